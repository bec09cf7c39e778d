package main

import (
	"math"
	"runtime/debug"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestLoadGC(t *testing.T) {
	total := totalMemory()
	fits := func(limit int64) bool { return total == 0 || limit <= total/2 }
	least := max(int64(512<<20), total/8)
	tests := []struct {
		name   string
		env    map[string]string
		target int64
		// wantLimit is the heap limit set, 0 for the runtime's policy
		// left alone.
		wantLimit int64
	}{
		{"standard: the least limit", nil, 4 << 20, least},
		{"do-sqlite: the least limit", nil, 64 << 10, least},
		{"enterprise: 128 blocks", nil, 32 << 20, max(4<<30, least)},
		{"GOGC set by the user", map[string]string{"GOGC": "200"}, 4 << 20, 0},
		{"GOMEMLIMIT set by the user", map[string]string{"GOMEMLIMIT": "1GiB"}, 4 << 20, 0},
		{"more than half the memory", nil, math.MaxInt64 / 256, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.wantLimit > 0 && !fits(tc.wantLimit) {
				tc.wantLimit = 0 // this machine has less memory than the case needs
			}
			percent0 := debug.SetGCPercent(100)
			debug.SetGCPercent(percent0)
			limit0 := debug.SetMemoryLimit(-1)
			g, restore := loadGC(func(k string) string { return tc.env[k] }, tc.target)
			percent := debug.SetGCPercent(-1)
			debug.SetGCPercent(percent)
			limit := debug.SetMemoryLimit(-1)
			restore()
			if tc.wantLimit == 0 {
				if g != nil || percent != percent0 || limit != limit0 {
					t.Errorf("policy %v, GC percent %d, limit %d: want the runtime's %d, %d left alone", g, percent, limit, percent0, limit0)
				}
			} else if g == nil || percent != -1 || limit != tc.wantLimit {
				t.Errorf("policy %v, GC percent %d, limit %d: want -1 (off), %d", g, percent, limit, tc.wantLimit)
			}
			if p, l := debug.SetGCPercent(percent0), debug.SetMemoryLimit(-1); p != percent0 || l != limit0 {
				t.Errorf("after restore: GC percent %d, limit %d; want %d, %d", p, l, percent0, limit0)
			}
		})
	}
}

// The limit follows the live heap: three times it once that is more than
// the limit, until that would pass the most allowed, where the runtime's
// policy comes back.
func TestGCLimitFollowsTheLiveHeap(t *testing.T) {
	const mib = 1 << 20
	var limits []int64
	gaveUp := 0
	g := newGCLimit(512*mib, 4096*mib, func(l int64) { limits = append(limits, l) }, func() { gaveUp++ })
	for _, live := range []int64{0, 100 * mib, 170 * mib, 171 * mib, 300 * mib, 250 * mib, 1000 * mib, 1400 * mib, 2000 * mib} {
		g.follow(live)
	}
	want := []int64{513 * mib, 900 * mib, 3000 * mib}
	if diff := cmp.Diff(want, limits); diff != "" {
		t.Errorf("limits set (-want +got):\n%s", diff)
	}
	if gaveUp != 1 {
		t.Errorf("runtime's policy given back %d times, want once (1400 MiB live needs 4200 MiB, above 4096)", gaveUp)
	}
	if newGCLimit(512*mib, 256*mib, nil, nil) != nil {
		t.Error("a limit above the most allowed was taken")
	}
	var nilPolicy *gcLimit
	nilPolicy.follow(1 << 40) // no policy: nothing to do
}
