package main

import (
	"io/fs"
	"path"
	"strconv"
	"strings"
)

// cgroupMemoryLimit returns the memory limit, in bytes, of the cgroup the
// process runs in, read from fsys (the root of the file system): the
// cgroup v2 memory.max, or the cgroup v1 memory.limit_in_bytes, of the
// group /proc/self/cgroup names (or at the root of the hierarchy's mount,
// where a container sees its own group). 0 when there is none, or it
// cannot be read. A container's limit is usually far below the machine's
// memory, which is what the kernel reports to sysinfo inside it too.
func cgroupMemoryLimit(fsys fs.FS) int64 {
	data, err := fs.ReadFile(fsys, "proc/self/cgroup")
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(data)) {
		// hierarchy-ID:controllers:path
		f := strings.SplitN(strings.TrimSpace(line), ":", 3)
		if len(f) != 3 {
			continue
		}
		var dir, file string
		switch {
		case f[0] == "0" && f[1] == "":
			dir, file = "sys/fs/cgroup", "memory.max"
		case hasController(f[1], "memory"):
			dir, file = "sys/fs/cgroup/memory", "memory.limit_in_bytes"
		default:
			continue
		}
		for _, p := range []string{path.Join(dir, strings.TrimPrefix(f[2], "/"), file), path.Join(dir, file)} {
			if v, ok := readLimit(fsys, p); ok {
				return v
			}
		}
	}
	return 0
}

func hasController(list, name string) bool {
	for c := range strings.SplitSeq(list, ",") {
		if c == name {
			return true
		}
	}
	return false
}

// readLimit reads a cgroup memory limit file: a number of bytes, or "max"
// (v2) or a number near 2^63 (v1) for none (0, true). ok is false when
// the file is missing or holds something else.
func readLimit(fsys fs.FS, name string) (int64, bool) {
	data, err := fs.ReadFile(fsys, name)
	if err != nil {
		return 0, false
	}
	s := strings.TrimSpace(string(data))
	if s == "max" {
		return 0, true
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil || v <= 0 {
		return 0, false
	}
	if v >= 1<<62 {
		return 0, true // v1's "no limit", rounded to a page
	}
	return v, true
}

// usableMemory is the memory the process may use: the machine's (0:
// unknown), or its cgroup's limit when that is lower.
func usableMemory(machine, cgroup int64) int64 {
	if cgroup > 0 && (machine <= 0 || cgroup < machine) {
		return cgroup
	}
	return machine
}
