//go:build !unix

package service

import "time"

// cpuTime is not measured on this system: the CPU metric reads 0.
func cpuTime() time.Duration { return 0 }
