//go:build !unix

package blockwriter

// cpuNanos is unavailable here; the cpu-ns/row metric reads 0.
func cpuNanos() int64 { return 0 }
