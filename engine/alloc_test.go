package engine

import (
	"context"
	"io"
	"runtime"
	"testing"

	"github.com/evodb/writer/arena"
	"github.com/evodb/writer/cdc"
)

// TestShortBlockAllocations: a stream of full blocks with a short one
// now and then (the end of each burst) settles to no growth of the
// shredder's buffers: the bytes allocated per cycle of nine blocks stay
// far below one block's columns.
func TestShortBlockAllocations(t *testing.T) {
	if testing.Short() {
		t.Skip("allocation counts are not meaningful under -race; slow under qemu")
	}
	es, size := benchRows(20000)
	bw, err := NewBlockWriter(BlockOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cycle := func() {
		for i := range 9 {
			batch := es
			if i == 8 {
				batch = es[:2000]
			}
			if _, err := bw.WriteBlock(context.Background(), io.Discard, batch); err != nil {
				t.Fatal(err)
			}
		}
	}
	for range 3 {
		cycle()
	}
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	cycle()
	runtime.ReadMemStats(&m1)
	if got := m1.TotalAlloc - m0.TotalAlloc; got > uint64(size)/10 {
		t.Fatalf("%d bytes allocated in a cycle of nine blocks, want (far) less than a tenth of a block's %d bytes of rows", got, size)
	}
}

// TestMemoryFollowsSmallBlocks: a BlockWriter that wrote a large block
// and then small ones gives back, within arena.ShrinkRounds row groups,
// the memory the large block grew (arena, encoder buffers, dictionary
// tables, zstd history): what it retains comes down to what a writer that
// only ever wrote small blocks retains, give or take.
func TestMemoryFollowsSmallBlocks(t *testing.T) {
	if testing.Short() {
		t.Skip("heap figures are not meaningful under -race; slow under qemu")
	}
	es, _ := benchRows(200000)
	small := es[:2000]
	// Row groups of the whole block, so that the large one grows the
	// writer well beyond what small ones need.
	opts := BlockOptions{RowGroupMemory: 8}
	retained := func(f func()) int64 {
		t.Helper()
		var m0, m1 runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&m0)
		f()
		runtime.GC()
		runtime.ReadMemStats(&m1)
		return int64(m1.HeapAlloc) - int64(m0.HeapAlloc)
	}
	write := func(bw *BlockWriter, batch []cdc.Entry) {
		t.Helper()
		if _, err := bw.WriteBlock(context.Background(), io.Discard, batch); err != nil {
			t.Fatal(err)
		}
	}
	var fresh, grown *BlockWriter
	onlySmall := retained(func() {
		var err error
		if fresh, err = NewBlockWriter(opts); err != nil {
			t.Fatal(err)
		}
		for range 2 * arena.ShrinkRounds {
			write(fresh, small)
		}
	})
	afterBig := retained(func() {
		var err error
		if grown, err = NewBlockWriter(opts); err != nil {
			t.Fatal(err)
		}
		write(grown, es)
	})
	afterSmall := afterBig + retained(func() {
		for range 2 * arena.ShrinkRounds {
			write(grown, small)
		}
	})
	runtime.KeepAlive(fresh)
	runtime.KeepAlive(grown)
	t.Logf("retained: %d bytes by a writer of small blocks only; %d after a block of %d rows, %d after %d small blocks more",
		onlySmall, afterBig, len(es), afterSmall, 2*arena.ShrinkRounds)
	if afterBig < 4*onlySmall {
		t.Fatalf("the large block left %d bytes, small ones %d: too little difference to test", afterBig, onlySmall)
	}
	if afterSmall > 2*onlySmall {
		t.Fatalf("after small blocks the writer still holds %d bytes, a writer of small blocks only %d", afterSmall, onlySmall)
	}
}
