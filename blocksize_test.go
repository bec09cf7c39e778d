package writer_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	writer "github.com/evodb/writer"
	"github.com/evodb/writer/buffer"
	"github.com/evodb/writer/cdc"
	"github.com/evodb/writer/engine"
	"github.com/evodb/writer/upload"
)

// The band that block sizes keep around the target once the writer's
// compression estimate has seen a few blocks of like data (options.go).
const bandLow, bandHigh = 0.5, 1.5

var sizeWords = strings.Fields("alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike " +
	"november oscar papa quebec romeo sierra tango uniform victor whiskey xray yankee zulu")

// genRows returns n deterministic entries of producer p from LSN first on,
// compressing like typical application rows. With noise, each row also
// holds 48 random hex digits, which compress far worse.
func genRows(seed uint64, p string, first int64, n int, noise bool) []cdc.Entry {
	rng := rand.New(rand.NewPCG(seed, uint64(first)))
	es := make([]cdc.Entry, n)
	for i := range es {
		lsn := first + int64(i)
		var note strings.Builder
		for j := range 4 {
			if j > 0 {
				note.WriteByte(' ')
			}
			note.WriteString(sizeWords[rng.IntN(len(sizeWords))])
		}
		extra := ""
		if noise {
			extra = fmt.Sprintf(`,"blob":"%016x%016x%016x"`, rng.Uint64(), rng.Uint64(), rng.Uint64())
		}
		data := fmt.Sprintf(`{"id":%d,"user":"user-%d","amount":%.2f,"status":"s%d","note":%q%s}`,
			lsn, rng.IntN(5000), rng.Float64()*1000, rng.IntN(4), note.String(), extra)
		es[i] = cdc.Entry{Op: cdc.Insert, Table: "orders", Data: []byte(data), LSN: lsn, Producer: p, CommitTime: t0}
	}
	return es
}

func entryBytes(es []cdc.Entry) int64 {
	var n int64
	for i := range es {
		n += int64(es[i].Size())
	}
	return n
}

// blockSizes returns the sizes in the store of the blocks paths names.
func blockSizes(t *testing.T, store upload.Store, paths []string) []int64 {
	t.Helper()
	var out []int64
	for _, p := range paths {
		data, _, err := store.Get(context.Background(), p)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, int64(len(data)))
	}
	return out
}

func sizeTarget() int64 {
	if testing.Short() {
		return 64 << 10
	}
	return 256 << 10
}

// checkBand fails for a size outside the band around target or above max.
func checkBand(t *testing.T, what string, sizes []int64, target, maxBytes int64) {
	t.Helper()
	if len(sizes) == 0 {
		t.Fatalf("%s: no blocks", what)
	}
	for i, s := range sizes {
		if r := float64(s) / float64(target); r < bandLow || r > bandHigh || s > maxBytes {
			t.Errorf("%s: block %d of %d bytes is %.2f× the target %d (band %.1f–%.1f, max %d)", what, i, s, r, target, bandLow, bandHigh, maxBytes)
		}
	}
}

func TestFlushBlocksNearTarget(t *testing.T) {
	ctx := context.Background()
	target, maxBytes := sizeTarget(), 4*sizeTarget()
	store := upload.NewMemory()
	w := open(t, writer.Options{Store: store, TargetBlockBytes: target, MaxBlockBytes: maxBytes})
	if got, want := w.InputBytesPerBlock(), int64(float64(target)/w.BlockRatio()); got != want {
		t.Errorf("InputBytesPerBlock %d, want target / BlockRatio = %d", got, want)
	}
	rowsPerBlock := int(w.InputBytesPerBlock() / int64(genRows(1, "p", 1, 1, false)[0].Size()))
	var all []cdc.Entry
	lsn := int64(1)
	// Warm-up: blocks of the conservative initial estimate, then a few
	// flushes of blocks sized by what the blocks before taught.
	for i := range 4 {
		es := genRows(1, "p", lsn, 3*rowsPerBlock/2, false)
		lsn += int64(len(es))
		all = append(all, es...)
		res, err := w.Flush(ctx, es)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range blockSizes(t, store, res.BlockPaths) {
			if s > maxBytes {
				t.Errorf("warm-up flush %d: a block of %d bytes, above the max %d", i, s, maxBytes)
			}
		}
		rowsPerBlock = int(w.InputBytesPerBlock() / (entryBytes(es) / int64(len(es))))
	}
	if r := w.BlockRatio(); r >= 0.5 || r <= 0 {
		t.Errorf("estimate %.3f after the warm-up; this data compresses well below 0.5", r)
	}
	// A large batch: about 5.3 blocks' worth.
	es := genRows(1, "p", lsn, 16*rowsPerBlock/3, false)
	all = append(all, es...)
	res, err := w.Flush(ctx, es)
	if err != nil {
		t.Fatal(err)
	}
	sizes := blockSizes(t, store, res.BlockPaths)
	if len(sizes) < 4 || len(sizes) > 7 {
		t.Errorf("%d blocks for about 5.3 target blocks of entries: %v", len(sizes), sizes)
	}
	t.Logf("large flush: %d blocks %v, estimate %.3f", len(sizes), sizes, w.BlockRatio())
	checkBand(t, "large flush", sizes, target, maxBytes)
	if st := w.Stats(); st.RowsWritten != int64(len(all)) {
		t.Errorf("%d rows written, want %d", st.RowsWritten, len(all))
	}
	if !testing.Short() {
		checkRows(t, readAll(t, w, nil), wantRows2(all))
	}
}

// wantRows2 is wantRows for genRows' entries: the rows are their JSON.
func wantRows2(es []cdc.Entry) []engine.Row {
	rows := make([]engine.Row, len(es))
	for i, e := range es {
		var d map[string]any
		if err := json.Unmarshal(e.Data, &d); err != nil {
			panic(err)
		}
		d["id"] = e.LSN // the id column is a long
		rows[i] = engine.Row{Op: e.Op, LSN: e.LSN, Producer: e.Producer, CommitTime: e.CommitTime, Data: d}
	}
	sortRows(rows)
	return rows
}

func TestFlushNeverAboveMaxWhenCompressionWorsens(t *testing.T) {
	ctx := context.Background()
	target, maxBytes := sizeTarget(), 2*sizeTarget()
	store := upload.NewMemory()
	w := open(t, writer.Options{Store: store, TargetBlockBytes: target, MaxBlockBytes: maxBytes})
	// Rows that are all alike teach the writer a tiny ratio.
	same := make([]cdc.Entry, 20000)
	for i := range same {
		same[i] = cdc.Entry{Op: cdc.Insert, Table: "orders", Data: []byte(`{"id":1,"user":"user-1","amount":1.00,"status":"s1","note":"alpha alpha alpha alpha"}`), LSN: int64(i + 1), Producer: "p", CommitTime: t0}
	}
	for range 3 {
		if _, err := w.Flush(ctx, same); err != nil {
			t.Fatal(err)
		}
	}
	low := w.BlockRatio()
	// Then rows that compress far worse, in one batch the tiny ratio
	// would put in a single block many times the maximum.
	n := int(w.InputBytesPerBlock()/int64(genRows(2, "q", 1, 1, true)[0].Size())) + 1
	es := genRows(2, "q", 1, n, true)
	res, err := w.Flush(ctx, es)
	if err != nil {
		t.Fatal(err)
	}
	sizes := blockSizes(t, store, res.BlockPaths)
	t.Logf("estimate %.4f before, %.4f after; %d entry bytes in blocks %v", low, w.BlockRatio(), entryBytes(es), sizes)
	if len(sizes) < 2 {
		t.Errorf("%d block(s) of %v for %d entry bytes of poorly compressing rows", len(sizes), sizes, entryBytes(es))
	}
	for i, s := range sizes {
		if s > maxBytes {
			t.Errorf("block %d of %d bytes, above the max %d", i, s, maxBytes)
		}
	}
	if r := w.BlockRatio(); r <= low {
		t.Errorf("estimate %.4f after poorly compressing blocks, not above the %.4f before", r, low)
	}
	if res.RowCount != int64(len(es)) {
		t.Errorf("%d rows written, want %d", res.RowCount, len(es))
	}
	var got int
	for _, r := range readAll(t, w, nil) {
		if r.Producer == "q" {
			got++
		}
	}
	if got != len(es) {
		t.Errorf("%d rows of the batch in the table, want %d", got, len(es))
	}
}

func TestRunBlocksNearTarget(t *testing.T) {
	target, maxBytes := sizeTarget(), 4*sizeTarget()
	store := upload.NewMemory()
	w := open(t, writer.Options{Store: store, TargetBlockBytes: target, MaxBlockBytes: maxBytes})
	// About 10 target blocks at a ratio of 1/6.
	rowBytes := int64(genRows(3, "p", 1, 1, false)[0].Size())
	n := int(10 * 6 * target / rowBytes)
	ring, err := buffer.NewRing[cdc.Entry](4096)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var flushes [][]string
	done := make(chan error, 1)
	go func() {
		done <- w.Run(ctx, ring, writer.RunOptions{
			Buffer: buffer.Options{MaxAge: 1 << 40},
			OnFlush: func(res writer.FlushResult, err error) {
				if err == nil {
					flushes = append(flushes, res.BlockPaths)
				}
			},
		})
	}()
	for from := 1; from <= n; from += 2048 {
		es := genRows(3, "p", int64(from), min(2048, n+1-from), false)
		for len(es) > 0 {
			k, err := ring.PublishBatch(ctx, es)
			if err != nil {
				t.Fatal(err)
			}
			es = es[k:]
		}
	}
	ring.Close()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if len(flushes) < 5 {
		t.Fatalf("%d flushes for about 10 target blocks of entries", len(flushes))
	}
	// The first two flushes warm the estimate up; the last one is what
	// was left when the ring closed.
	var sizes []int64
	for _, paths := range flushes[2 : len(flushes)-1] {
		sizes = append(sizes, blockSizes(t, store, paths)...)
	}
	t.Logf("run: %d flushes, sizes after the warm-up %v, estimate %.3f", len(flushes), sizes, w.BlockRatio())
	checkBand(t, "run", sizes, target, maxBytes)
	if st := w.Stats(); st.RowsWritten != int64(n) {
		t.Errorf("%d rows written, want %d", st.RowsWritten, n)
	}
}
