//go:build linux

package kernels

import (
	"runtime"
	"syscall"
	"testing"
	"time"
)

// threadCPU returns the CPU time the calling thread has used.
func threadCPU() time.Duration {
	const rusageThread = 1 // RUSAGE_THREAD
	var ru syscall.Rusage
	if err := syscall.Getrusage(rusageThread, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// cpuClock measures the CPU time of a benchmark's loop, which on a shared
// machine varies far less than its wall time. start locks the goroutine to
// its thread so that the thread's clock sees all of the loop.
type cpuClock struct{ t0 time.Duration }

func startCPUClock() cpuClock {
	runtime.LockOSThread()
	return cpuClock{threadCPU()}
}

// report adds the CPU nanoseconds per value of the loop just run.
func (c cpuClock) report(b *testing.B, n int) {
	d := threadCPU() - c.t0
	runtime.UnlockOSThread()
	b.ReportMetric(float64(d.Nanoseconds())/float64(b.N*n), "cpu-ns/value")
}
