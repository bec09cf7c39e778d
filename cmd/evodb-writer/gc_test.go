package main

import (
	"math"
	"runtime/debug"
	"testing"
)

func TestLoadGC(t *testing.T) {
	total := totalMemory()
	fits := func(limit int64) bool { return total == 0 || limit <= total/2 }
	tests := []struct {
		name   string
		env    map[string]string
		target int64
		// wantLimit is the heap limit set, 0 for the runtime's policy
		// left alone.
		wantLimit int64
	}{
		{"standard: the least limit", nil, 4 << 20, 512 << 20},
		{"do-sqlite: the least limit", nil, 64 << 10, 512 << 20},
		{"enterprise: 128 blocks", nil, 32 << 20, 4 << 30},
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
			restore := loadGC(func(k string) string { return tc.env[k] }, tc.target)
			percent := debug.SetGCPercent(-1)
			debug.SetGCPercent(percent)
			limit := debug.SetMemoryLimit(-1)
			restore()
			if tc.wantLimit == 0 {
				if percent != percent0 || limit != limit0 {
					t.Errorf("GC percent %d, limit %d: want the runtime's %d, %d left alone", percent, limit, percent0, limit0)
				}
			} else if percent != -1 || limit != tc.wantLimit {
				t.Errorf("GC percent %d, limit %d: want -1 (off), %d", percent, limit, tc.wantLimit)
			}
			if p, l := debug.SetGCPercent(percent0), debug.SetMemoryLimit(-1); p != percent0 || l != limit0 {
				t.Errorf("after restore: GC percent %d, limit %d; want %d, %d", p, l, percent0, limit0)
			}
		})
	}
}
