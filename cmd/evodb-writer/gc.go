package main

import (
	"runtime/debug"
)

// The load command owns its process and knows its working set: a few
// chunks of one block's input each, their entries, and the block writers'
// memory. Its allocations are mostly that working set, allocated once and
// reused, and little garbage (about 7 MB per million lines of the events
// table), so the collector's default policy (a cycle each time the heap
// doubles) only spends CPU: its first cycle, started when the first chunk
// buffer is allocated, cost about 3 % of a 3 M line load's CPU for nothing
// to free. loadGC turns the proportional collector off and bounds the heap
// with a memory limit instead, well above the working set: the collector
// runs only if garbage ever brings the heap near it.

const (
	// minLoadHeapLimit is the least heap limit of a load.
	minLoadHeapLimit = 512 << 20
	// loadHeapBlocks is the heap limit in blocks of the partition mode's
	// target size: the input of one block is 4 to 20 times the block, and
	// a load holds a few blocks' input and entries at a time.
	loadHeapBlocks = 128
)

// loadGC sets the collector's policy for a load writing blocks of
// targetBlock bytes and returns what restores the former one. It leaves
// the runtime's policy alone when the environment sets GOGC or GOMEMLIMIT,
// or when the limit would be more than half the machine's memory.
func loadGC(getenv func(string) string, targetBlock int64) (restore func()) {
	if getenv("GOGC") != "" || getenv("GOMEMLIMIT") != "" {
		return func() {}
	}
	limit := max(minLoadHeapLimit, loadHeapBlocks*targetBlock)
	if total := totalMemory(); total > 0 && limit > total/2 {
		return func() {}
	}
	percent := debug.SetGCPercent(-1)
	prev := debug.SetMemoryLimit(limit)
	return func() {
		debug.SetMemoryLimit(prev)
		debug.SetGCPercent(percent)
	}
}
