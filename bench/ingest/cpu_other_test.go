//go:build !unix

package ingest

import "time"

// cpuTime is not measured on this system: CPU metrics are left out.
func cpuTime() time.Duration { return 0 }
