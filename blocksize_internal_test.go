package writer

import (
	"fmt"
	"testing"

	"github.com/evodb/writer/cdc"
)

// sizedEntries returns n entries of entrySize bytes each.
func sizedEntries(n int) []cdc.Entry {
	es := make([]cdc.Entry, n)
	data := make([]byte, entrySize-(&cdc.Entry{}).Size())
	for i := range es {
		es[i] = cdc.Entry{Op: cdc.Insert, Data: data}
	}
	return es
}

const entrySize = 200

func TestBlockCuts(t *testing.T) {
	// entries counts entries of entrySize bytes; perBlock and maxIn are in
	// tenths of an entry.
	for _, tc := range []struct {
		entries         int
		perBlock, maxIn int64
		blocks          int
	}{
		{entries: 1, perBlock: 1000, maxIn: 4000, blocks: 1},
		{entries: 10, perBlock: 1000, maxIn: 4000, blocks: 1},   // 0.1 block: one small block
		{entries: 149, perBlock: 1000, maxIn: 4000, blocks: 1},  // 1.49 blocks: one
		{entries: 151, perBlock: 1000, maxIn: 4000, blocks: 2},  // 1.51: two of 0.75
		{entries: 530, perBlock: 1000, maxIn: 4000, blocks: 5},  // 5.3: five of 1.06
		{entries: 1000, perBlock: 1000, maxIn: 500, blocks: 20}, // the maximum decides
		{entries: 100, perBlock: 1000, maxIn: 5, blocks: 100},   // one entry each
	} {
		t.Run(fmt.Sprintf("%d/%d/%d", tc.entries, tc.perBlock, tc.maxIn), func(t *testing.T) {
			es := sizedEntries(tc.entries)
			cuts := blockCuts(es, tc.perBlock*entrySize/10, tc.maxIn*entrySize/10)
			if len(cuts) != tc.blocks {
				t.Fatalf("%d blocks, want %d: %v", len(cuts), tc.blocks, cuts)
			}
			next := 0
			var sizes []int64
			for _, c := range cuts {
				if c[0] != next || c[1] <= c[0] {
					t.Fatalf("cuts %v do not cover the entries in order", cuts)
				}
				next = c[1]
				sizes = append(sizes, int64(c[1]-c[0])*entrySize)
			}
			if next != len(es) {
				t.Fatalf("cuts %v end at %d of %d entries", cuts, next, len(es))
			}
			lo, hi := sizes[0], sizes[0]
			for _, s := range sizes {
				lo, hi = min(lo, s), max(hi, s)
				if allowed := max(tc.maxIn*entrySize/10, entrySize); s > allowed {
					t.Errorf("a block of %d entry bytes, above the %d allowed", s, allowed)
				}
			}
			if hi-lo > entrySize {
				t.Errorf("uneven blocks: %v", sizes)
			}
		})
	}
}

func TestBlockRatio(t *testing.T) {
	var r blockRatio
	if got := r.ratio(); got != initialBlockRatio {
		t.Errorf("initial ratio %v, want %v", got, initialBlockRatio)
	}
	if got := r.inputBytes(1000); got != 4000 {
		t.Errorf("inputBytes(1000) = %d at the initial ratio, want 4000", got)
	}
	for range 20 {
		r.observe(1000, 100)
	}
	if got := r.ratio(); got < 0.0999 || got > 0.1001 {
		t.Errorf("ratio %v after blocks of 0.1, want 0.1", got)
	}
	// Worse data takes over within a few blocks.
	for range 5 {
		r.observe(1000, 500)
	}
	if got := r.ratio(); got < 0.48 || got > 0.5 {
		t.Errorf("ratio %v after five blocks of 0.5, want about 0.5", got)
	}
	r.observe(1000, 1)
	for range 30 {
		r.observe(1<<30, 1)
	}
	if got := r.ratio(); got != minBlockRatio {
		t.Errorf("ratio %v for near-empty blocks, want the floor %v", got, minBlockRatio)
	}
	r.observe(0, 10) // ignored
	r.observe(10, 0)
	if got := r.ratio(); got != minBlockRatio {
		t.Errorf("ratio %v after empty observations, want %v", got, minBlockRatio)
	}
}
