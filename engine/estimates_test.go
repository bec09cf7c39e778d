package engine

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/evodb/writer/cdc"
	"github.com/google/go-cmp/cmp"
)

// estimateRows makes n rows of about 80 entry bytes; wide ones carry a
// random hex string that compresses far worse in their note.
func estimateRows(seed uint64, n int, wide bool) []cdc.Entry {
	rng := rand.New(rand.NewPCG(seed, 7))
	lines := make([]string, n)
	for i := range lines {
		note := "ok"
		if wide {
			note = fmt.Sprintf("%016x%016x", rng.Uint64(), rng.Uint64())
		}
		lines[i] = fmt.Sprintf(`{"id":%d,"user":"user-%d","amount":%.2f,"status":"s%d","note":%q}`,
			i, rng.IntN(5000), rng.Float64()*1000, rng.IntN(4), note)
	}
	return entries(lines...)
}

// Two block writers with different histories (the same columns, data that
// compresses differently), given the same estimates,
// write the same entries to the same bytes: a block does not depend on
// which writer of a pool takes it.
func TestSetEstimatesMakesBlocksAlike(t *testing.T) {
	n := 40000
	if testing.Short() {
		n = 16000
	}
	batch := estimateRows(1, n, false)
	// the other history: rows with a note that compresses far worse
	ctx := context.Background()
	fresh, err := NewBlockWriter(BlockOptions{})
	if err != nil {
		t.Fatal(err)
	}
	used, err := NewBlockWriter(BlockOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := used.WriteBlock(ctx, &bytes.Buffer{}, estimateRows(2, n, true)); err != nil {
		t.Fatal(err)
	}
	if fresh.Estimates() == used.Estimates() {
		t.Fatalf("a block of rows did not change the estimates %+v: the test shows nothing", fresh.Estimates())
	}
	est := used.Estimates()
	var out [2]bytes.Buffer
	var groups [2]int
	for i, bw := range []*BlockWriter{fresh, used} {
		bw.SetEstimates(est)
		info, err := bw.WriteBlock(ctx, &out[i], batch)
		if err != nil {
			t.Fatal(err)
		}
		groups[i] = info.RowGroups
	}
	if groups[0] < 2 {
		t.Errorf("%d row group(s): the batch should span several", groups[0])
	}
	if !bytes.Equal(out[0].Bytes(), out[1].Bytes()) {
		t.Errorf("same entries, same estimates: blocks of %d bytes (%d row groups) and %d bytes (%d row groups)",
			out[0].Len(), groups[0], out[1].Len(), groups[1])
	}
}

func TestSetEstimatesKeepsInvalidRatios(t *testing.T) {
	good := RowGroupEstimates{OutPerIn: 0.1, MemPerIn: 0.6}
	for _, bad := range []float64{0, -1, math.NaN(), math.Inf(1), math.Inf(-1)} {
		t.Run(fmt.Sprint(bad), func(t *testing.T) {
			bw, err := NewBlockWriter(BlockOptions{})
			if err != nil {
				t.Fatal(err)
			}
			bw.SetEstimates(good)
			bw.SetEstimates(RowGroupEstimates{OutPerIn: bad, MemPerIn: bad})
			if diff := cmp.Diff(good, bw.Estimates()); diff != "" {
				t.Errorf("estimates after setting %v (-want +got):\n%s", bad, diff)
			}
		})
	}
}
