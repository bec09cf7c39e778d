package engine

import (
	"context"
	"io"
	"runtime"
	"testing"
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
