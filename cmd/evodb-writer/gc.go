package main

import (
	"math"
	"runtime/debug"
	"runtime/metrics"
	"sync"
)

// The load command owns its process and knows its working set: a few
// chunks of one block's input each, their entries, and the block writers'
// memory. Its allocations are mostly that working set, allocated once and
// reused, and little garbage (about 7 MB per million lines of the events
// table), so the collector's default policy (a cycle each time the heap
// doubles) only spends CPU: its first cycle, started when the first chunk
// buffer is allocated, cost 2-3 % of a 3 M line load's CPU for nothing to
// free. loadGC turns the proportional collector off and bounds the heap
// with a memory limit instead, well above the working set, so that the
// collector runs only if garbage brings the heap near it. The limit
// follows the working set: after each block it is raised to three times
// the heap found live by the last cycle, if that is more (a working set
// above the limit would make the collector run without end).

const (
	// minLoadHeapLimit is the least heap limit of a load, with an eighth
	// of the machine's memory if that is more.
	minLoadHeapLimit = 512 << 20
	// loadHeapBlocks is the heap limit in blocks of the partition mode's
	// target size: the input of one block is 4 to 20 times the block, and
	// a load holds a few blocks' input and entries at a time.
	loadHeapBlocks = 128
	// loadHeapLive is the least ratio of the limit to the live heap.
	loadHeapLive = 3
)

// gcLimit is the collector's policy of a load.
type gcLimit struct {
	mu    sync.Mutex
	limit int64 // the heap limit set
	most  int64 // the highest limit allowed: half the machine's memory
	// set applies a limit (debug.SetMemoryLimit); giveUp restores the
	// runtime's own policy when the live heap needs more than most.
	set    func(int64)
	giveUp func()
	off    bool // the runtime's policy is back
}

// loadGC sets the collector's policy for a load writing blocks of
// targetBlock bytes: a limit of loadHeapBlocks blocks, at least
// minLoadHeapLimit and an eighth of the machine's memory. It returns the policy (nil when it leaves the runtime's
// alone: GOGC or GOMEMLIMIT set in the environment, or a limit above half
// the machine's memory) and what restores the former policy.
func loadGC(getenv func(string) string, targetBlock int64) (*gcLimit, func()) {
	if getenv("GOGC") != "" || getenv("GOMEMLIMIT") != "" {
		return nil, func() {}
	}
	total := totalMemory()
	g := newGCLimit(max(minLoadHeapLimit, loadHeapBlocks*targetBlock, total/8), total/2, nil, nil)
	if g == nil {
		return nil, func() {}
	}
	percent := debug.SetGCPercent(-1)
	prev := debug.SetMemoryLimit(g.limit)
	g.set = func(limit int64) { debug.SetMemoryLimit(limit) }
	g.giveUp = func() {
		debug.SetMemoryLimit(prev)
		debug.SetGCPercent(percent)
	}
	return g, func() {
		g.mu.Lock()
		defer g.mu.Unlock()
		if !g.off {
			g.off = true
			g.giveUp()
		}
	}
}

// newGCLimit returns the policy with a heap limit of limit, at most most
// (0: no bound), or nil if limit is above most.
func newGCLimit(limit, most int64, set func(int64), giveUp func()) *gcLimit {
	if most <= 0 {
		most = math.MaxInt64
	}
	if limit > most {
		return nil
	}
	return &gcLimit{limit: limit, most: most, set: set, giveUp: giveUp}
}

// follow raises the limit to loadHeapLive times live (the heap the last
// cycle found live) if that is more; past the most allowed it gives the
// runtime its own policy back.
func (g *gcLimit) follow(live int64) {
	if g == nil {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.off || live <= g.limit/loadHeapLive {
		return
	}
	want := loadHeapLive * live
	if want > g.most {
		g.off = true
		g.giveUp()
		return
	}
	g.limit = want
	g.set(want)
}

// liveHeap returns the heap the last collection found live (0 before the
// first).
func liveHeap() int64 {
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return int64(s[0].Value.Uint64())
}
