//go:build !unix

package cputime

import "time"

// Used returns 0: CPU time is not measured on this system, so CPU metrics
// built on it read 0.
func Used() time.Duration { return 0 }
