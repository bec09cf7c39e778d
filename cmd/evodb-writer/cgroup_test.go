package main

import (
	"testing"
	"testing/fstest"
)

// TestCgroupMemoryLimit: the load's heap limit is bounded by half the
// memory the process may use (loadGC), which in a container is its
// cgroup's limit, not the machine's memory that sysinfo reports there:
// with the machine's, a load in a 768 MiB container of a 64 GiB machine
// turned the collector off under a limit of 8 GiB.
func TestCgroupMemoryLimit(t *testing.T) {
	const (
		mib     = int64(1) << 20
		machine = 64 << 30
	)
	file := func(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }
	tests := []struct {
		name  string
		fs    fstest.MapFS
		limit int64 // cgroupMemoryLimit
		total int64 // usableMemory of the machine's and that
	}{
		{"v2, the container's own namespace", fstest.MapFS{
			"proc/self/cgroup":          file("0::/\n"),
			"sys/fs/cgroup/memory.max":  file("805306368\n"),
			"sys/fs/cgroup/memory.stat": file("anon 0\n"),
		}, 768 * mib, 768 * mib},
		{"v2, a nested group", fstest.MapFS{
			"proc/self/cgroup":                                   file("0::/system.slice/load.service\n"),
			"sys/fs/cgroup/memory.max":                           file("max\n"),
			"sys/fs/cgroup/system.slice/load.service/memory.max": file("1073741824\n"),
		}, 1024 * mib, 1024 * mib},
		{"v2, no limit", fstest.MapFS{
			"proc/self/cgroup":         file("0::/\n"),
			"sys/fs/cgroup/memory.max": file("max\n"),
		}, 0, machine},
		{"v1, the group's directory", fstest.MapFS{
			"proc/self/cgroup": file("12:pids:/docker/abc\n4:memory:/docker/abc\n1:cpu,cpuacct:/docker/abc\n"),
			"sys/fs/cgroup/memory/docker/abc/memory.limit_in_bytes": file("536870912\n"),
		}, 512 * mib, 512 * mib},
		{"v1, mounted at the group (namespace)", fstest.MapFS{
			"proc/self/cgroup":                           file("4:memory:/docker/abc\n"),
			"sys/fs/cgroup/memory/memory.limit_in_bytes": file("536870912\n"),
		}, 512 * mib, 512 * mib},
		{"v1, controllers listed together", fstest.MapFS{
			"proc/self/cgroup":                           file("3:cpuacct,memory:/\n"),
			"sys/fs/cgroup/memory/memory.limit_in_bytes": file("268435456\n"),
		}, 256 * mib, 256 * mib},
		{"v1, no limit", fstest.MapFS{
			"proc/self/cgroup":                           file("4:memory:/\n"),
			"sys/fs/cgroup/memory/memory.limit_in_bytes": file("9223372036854771712\n"),
		}, 0, machine},
		{"a limit above the machine's memory", fstest.MapFS{
			"proc/self/cgroup":         file("0::/\n"),
			"sys/fs/cgroup/memory.max": file("137438953472\n"),
		}, 128 << 30, machine},
		{"no cgroup file system", fstest.MapFS{
			"proc/self/cgroup": file("0::/\n"),
		}, 0, machine},
		{"no /proc", fstest.MapFS{}, 0, machine},
		{"garbage", fstest.MapFS{
			"proc/self/cgroup":         file("0::/\nnonsense\n"),
			"sys/fs/cgroup/memory.max": file("lots\n"),
		}, 0, machine},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			limit := cgroupMemoryLimit(tc.fs)
			if limit != tc.limit {
				t.Errorf("cgroupMemoryLimit = %d; want %d", limit, tc.limit)
			}
			if got := usableMemory(machine, limit); got != tc.total {
				t.Errorf("usableMemory(%d, %d) = %d; want %d", int64(machine), limit, got, tc.total)
			}
		})
	}
}
