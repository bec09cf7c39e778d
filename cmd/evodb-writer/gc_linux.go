package main

import (
	"os"
	"syscall"
)

// totalMemory returns the memory the process may use in bytes: the
// machine's, or its cgroup's limit when lower (a container's); 0 if
// unknown.
func totalMemory() int64 {
	var machine int64
	var si syscall.Sysinfo_t
	if err := syscall.Sysinfo(&si); err == nil {
		machine = int64(si.Totalram) * int64(si.Unit)
	}
	return usableMemory(machine, cgroupMemoryLimit(os.DirFS("/")))
}
