package engine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/evodb/writer/cdc"
	"github.com/evodb/writer/engine/parquet"
)

// failAfter takes n bytes, then fails every write.
type failAfter struct{ n int }

func (f *failAfter) Write(p []byte) (int, error) {
	if len(p) > f.n {
		k := f.n
		f.n = 0
		return k, errors.New("disk full")
	}
	f.n -= len(p)
	return len(p), nil
}

// TestTypedRowGroupMemory appends batches of every size (some of them
// refused for a bad string) to writers with a memory budget, checks that
// the rows in memory stay within it, and that each block, written first to
// a writer that fails part way and then again, or by Flush, reads back as
// the rows accepted, in row groups of at most RowGroupRows rows.
func TestTypedRowGroupMemory(t *testing.T) {
	budgets, blocks, batches, big := []int{0, 1, 4 << 10, 48 << 10, 1 << 20}, 4, 30, 2500
	if testing.Short() {
		budgets, blocks, batches, big = []int{0, 1, 48 << 10}, 2, 12, 1200
	}
	for k, budget := range budgets {
		batches, big := batches, big
		if budget > 0 && budget < 8<<10 {
			// row groups of a row or a few: fewer rows
			batches, big = batches/2, big/4
		}
		t.Run(fmt.Sprint(budget), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(k), 11))
			w, err := NewTypedWriter[typedAll](TypedOptions{RowGroupMemory: budget, RowGroupRows: 700})
			if err != nil {
				t.Fatal(err)
			}
			for block := range blocks {
				var want []Row
				lsn := int64(block * 1_000_000)
				maxMem := 0
				for range batches {
					n := 1 + rng.IntN(300)
					if rng.IntN(5) == 0 {
						n = 1 + rng.IntN(big)
					}
					vals := make([]typedAll, n)
					for i := range vals {
						vals[i] = randomTypedAll(rng)
					}
					meta := Meta{Op: cdc.Update, LSN: lsn, Producer: "p"}
					lsn++
					bad := -1
					if rng.IntN(6) == 0 {
						bad = rng.IntN(n)
						vals[bad].Str = "bad \xff"
					}
					before := w.Rows()
					var err error
					if n < 4 && bad < 0 {
						for i := range vals {
							if err = w.AppendRow(meta, &vals[i]); err != nil {
								break
							}
						}
					} else {
						err = w.AppendBatch(meta, vals)
					}
					if bad >= 0 {
						if !errors.Is(err, ErrTypedString) || !bytes.Contains([]byte(err.Error()), fmt.Appendf(nil, "row %d:", bad)) {
							t.Fatalf("batch with a bad string at row %d: %v", bad, err)
						}
						if w.Rows() != before {
							t.Fatalf("%d rows after a refused batch, had %d", w.Rows(), before)
						}
						continue
					}
					if err != nil {
						t.Fatal(err)
					}
					for i := range vals {
						want = append(want, Row{Op: meta.Op, LSN: meta.LSN, Producer: meta.Producer, Data: expectData(t, vals[i])})
					}
					b := w.core.typedBlock
					maxMem = max(maxMem, b.memory())
					// within the budget, but for the estimate's error or a
					// single row larger than the budget (these rows take
					// about 400 bytes, up to 2 KiB)
					if m := b.memory(); budget > 0 && m > budget+budget/8+2048 {
						t.Fatalf("%d bytes of %d rows in memory, budget %d", m, b.rows-b.heldRows, budget)
					}
					// without a budget, a full row group is encoded as the
					// next begins: at most a row group is in memory
					if inMem := b.rows - b.heldRows; budget == 0 && inMem > 700 {
						t.Fatalf("%d rows in memory without a budget, row groups of 700", inMem)
					}
				}
				spilled := w.core.typedBlock.heldRows
				var buf bytes.Buffer
				var info *BlockInfo
				if block%2 == 1 {
					info = flushBlock(t, w, &buf)
				} else {
					held := w.core.typedBlock.held.n
					for _, n := range []int{0, held / 2, held + 10, held + 5000} {
						if _, err := w.WriteBlock(context.Background(), &failAfter{n: n}); err == nil {
							if n >= held+5000 {
								break // the whole file fit
							}
							t.Fatalf("WriteBlock failing after %d bytes succeeded", n)
						}
						if w.Rows() != len(want) {
							t.Fatalf("%d rows after a failed write, want %d", w.Rows(), len(want))
						}
					}
					if info, err = w.WriteBlock(context.Background(), &buf); err != nil {
						t.Fatal(err)
					}
				}
				if info.Rows != int64(len(want)) || info.Bytes != int64(buf.Len()) {
					t.Fatalf("info: %d rows, %d bytes; want %d, %d", info.Rows, info.Bytes, len(want), buf.Len())
				}
				got, bf := readTypedBlock(t, buf.Bytes())
				if diff := cmp.Diff(want, got); diff != "" {
					t.Fatalf("block %d differs (-want +got):\n%s", block, diff)
				}
				if bf.NumRowGroups() != info.RowGroups {
					t.Fatalf("%d row groups, info says %d", bf.NumRowGroups(), info.RowGroups)
				}
				if budget > 0 && budget <= 48<<10 && spilled == 0 {
					t.Fatalf("%d rows with a budget of %d: none was encoded before the block", len(want), budget)
				}
				if budget == 0 && spilled != (len(want)-1)/700*700 {
					t.Fatalf("%d rows without a budget: %d encoded before the block, want the full row groups", len(want), spilled)
				}
				// the budget cuts pieces, not row groups: every row group
				// but the last has RowGroupRows rows
				if g := (len(want) + 699) / 700; info.RowGroups != g {
					t.Fatalf("%d row groups for %d rows, want %d", info.RowGroups, len(want), g)
				}
				for g := range bf.NumRowGroups() {
					cols, err := bf.Columns(g)
					if err != nil {
						t.Fatal(err)
					}
					if n := cols[1].NumLevels; n != 700 && (g+1 < bf.NumRowGroups() || n < 1 || n > 700) {
						t.Fatalf("row group %d has %d rows", g, n)
					}
				}
				t.Logf("block %d: %d rows, %d row groups, %d bytes, at most %d bytes in memory", block, len(want), info.RowGroups, info.Bytes, maxMem)
			}
		})
	}
}

// TestTypedOptionErrors: options no block can be written with are
// refused by NewTypedWriter, naming what is wrong.
func TestTypedOptionErrors(t *testing.T) {
	for _, tc := range []struct {
		opts TypedOptions
		want string
	}{
		{TypedOptions{RowGroupMemory: -1}, "negative RowGroupMemory -1"},
		{TypedOptions{RowGroupBytes: -3}, "negative RowGroupBytes -3"},
		{TypedOptions{RowGroupBytes: 1 << 20, RowGroupMemory: 4 << 20}, "RowGroupBytes 1048576 and RowGroupMemory 4194304 both set"},
		{TypedOptions{RowGroupRows: -5}, "negative RowGroupRows -5"},
		{TypedOptions{Parquet: parquet.WriterOptions{ZstdLevel: 40}}, "zstd level 40"},
		{TypedOptions{Parquet: parquet.WriterOptions{Concurrency: -2}}, "negative concurrency -2"},
	} {
		if _, err := NewTypedWriter[typedAll](tc.opts); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want an error naming %q", tc.opts, err, tc.want)
		}
	}
}

// TestTypedRowGroupMemoryFirstBatch refuses a batch that spilled row
// groups before its bad row, as the first batch of a block (the block's
// file not begun yet), in every way a block starts: a new writer, after
// WriteBlock, after Reset, after Flush; and after rows from before it in
// the same block. The block written next holds exactly the rows accepted.
func TestTypedRowGroupMemoryFirstBatch(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	ctx := context.Background()
	for _, c := range []struct {
		start  string
		budget int
	}{{"new", 1}, {"after-writeblock", 1}, {"after-reset", 1}, {"after-flush", 1}, {"after-rows", 1},
		{"new/nobudget", 0}, {"after-writeblock/nobudget", 0}, {"after-reset/nobudget", 0}, {"after-flush/nobudget", 0}, {"after-rows/nobudget", 0}} {
		start, _, _ := strings.Cut(c.start, "/")
		t.Run(c.start, func(t *testing.T) {
			// without a budget, the bad batch (of over 3 stretches) spans
			// row groups, which are encoded before it fails
			rows := 700
			if c.budget == 0 {
				rows = 50
			}
			w, err := NewTypedWriter[typedAll](TypedOptions{RowGroupMemory: c.budget, RowGroupRows: rows})
			if err != nil {
				t.Fatal(err)
			}
			var want []Row
			good := func(n int, lsn int64) {
				vals := make([]typedAll, n)
				for i := range vals {
					vals[i] = randomTypedAll(rng)
					want = append(want, Row{Op: cdc.Insert, LSN: lsn, Producer: "p", Data: expectData(t, vals[i])})
				}
				if err := w.AppendBatch(Meta{Op: cdc.Insert, LSN: lsn, Producer: "p"}, vals); err != nil {
					t.Fatal(err)
				}
			}
			switch start {
			case "after-writeblock":
				good(10, 1)
				if _, err := w.WriteBlock(ctx, io.Discard); err != nil {
					t.Fatal(err)
				}
			case "after-reset":
				good(3*w.core.stretch, 1) // spilled, then dropped
				w.Reset()
			case "after-flush":
				good(10, 1)
				if err := w.Flush(ctx, io.Discard, nil); err != nil {
					t.Fatal(err)
				}
			}
			want = nil
			if start == "after-rows" {
				good(5, 2)
			}
			before := w.Rows()
			bad := make([]typedAll, 3*w.core.stretch+5)
			for i := range bad {
				bad[i] = randomTypedAll(rng)
			}
			bad[len(bad)-1].Str = "bad \xff"
			if err := w.AppendBatch(Meta{Op: cdc.Delete, LSN: 9}, bad); !errors.Is(err, ErrTypedString) || strings.Contains(err.Error(), "taking the batch back") {
				t.Fatalf("batch with a bad last row: %v", err)
			}
			if w.Rows() != before {
				t.Fatalf("Rows() = %d after a refused batch, had %d", w.Rows(), before)
			}
			good(2*w.core.stretch, 3)
			var buf bytes.Buffer
			info, err := w.WriteBlock(ctx, &buf)
			if err != nil {
				t.Fatal(err)
			}
			got, bf := readTypedBlock(t, buf.Bytes())
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("(-want +got):\n%s", diff)
			}
			if info.Rows != int64(len(want)) || bf.NumRows() != info.Rows || bf.NumRowGroups() != info.RowGroups {
				t.Fatalf("info %d rows, %d row groups; file %d rows, %d row groups; want %d rows",
					info.Rows, info.RowGroups, bf.NumRows(), bf.NumRowGroups(), len(want))
			}
		})
	}
}

// TestTypedRowGroupMemoryBatches appends batches of identical rows, each
// of several stretches, under a budget of about three and a half batches:
// the rows in memory are encoded before the batch that would pass the
// budget, so every piece of the row group holds three whole batches, and
// the block is one row group.
func TestTypedRowGroupMemoryBatches(t *testing.T) {
	row := randomTypedAll(rand.New(rand.NewPCG(3, 3)))
	probe, err := NewTypedWriter[typedAll](TypedOptions{})
	if err != nil {
		t.Fatal(err)
	}
	n := 3*probe.core.stretch + 1
	batch := make([]typedAll, n)
	for i := range batch {
		batch[i] = row
	}
	if err := probe.AppendBatch(Meta{Op: cdc.Insert}, batch); err != nil {
		t.Fatal(err)
	}
	per := probe.core.typedBlock.memory() / len(batch)
	w, err := NewTypedWriter[typedAll](TypedOptions{RowGroupMemory: 7 * n / 2 * per})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		if err := w.AppendBatch(Meta{Op: cdc.Insert}, batch); err != nil {
			t.Fatal(err)
		}
		if held, want := w.core.typedBlock.heldRows, i/3*3*n; held != want {
			t.Fatalf("after batch %d, %d rows encoded, want %d", i, held, want)
		}
	}
	var buf bytes.Buffer
	info, err := w.WriteBlock(context.Background(), &buf)
	if err != nil {
		t.Fatal(err)
	}
	_, bf := readTypedBlock(t, buf.Bytes())
	var sizes []int
	for g := range bf.NumRowGroups() {
		cols, err := bf.Columns(g)
		if err != nil {
			t.Fatal(err)
		}
		sizes = append(sizes, cols[1].NumLevels)
	}
	want := []int{20 * n}
	if diff := cmp.Diff(want, sizes); diff != "" || info.RowGroups != len(want) {
		t.Fatalf("row group sizes (-want +got):\n%s", diff)
	}
}

// TestTypedRowGroupMemoryGrowingRows keeps the budget when rows grow: small
// rows first, then rows a thousand times larger, in small batches and in
// one large batch (whose stretch of rows, sized by the Go struct, would
// hold megabytes of strings).
func TestTypedRowGroupMemoryGrowingRows(t *testing.T) {
	type wide struct {
		ID int64  `parquet:"id"`
		S  string `parquet:"s"`
	}
	const budget = 1 << 20
	big := strings.Repeat("x", 1024)
	for _, batch := range []int{10, 6000} {
		w, err := NewTypedWriter[wide](TypedOptions{RowGroupMemory: budget})
		if err != nil {
			t.Fatal(err)
		}
		small := make([]wide, 2000)
		for i := range small {
			small[i] = wide{ID: int64(i), S: "s"}
		}
		if err := w.AppendBatch(Meta{Op: cdc.Insert}, small); err != nil {
			t.Fatal(err)
		}
		rows := len(small)
		most := 0
		for range 12000 / batch {
			vals := make([]wide, batch)
			for i := range vals {
				vals[i] = wide{ID: int64(rows + i), S: big}
			}
			if err := w.AppendBatch(Meta{Op: cdc.Insert}, vals); err != nil {
				t.Fatal(err)
			}
			rows += batch
			most = max(most, w.core.typedBlock.memory())
		}
		if most > budget+budget/8 {
			t.Errorf("batches of %d rows: %d bytes in memory, budget %d", batch, most, budget)
		}
		var buf bytes.Buffer
		info, err := w.WriteBlock(context.Background(), &buf)
		if err != nil {
			t.Fatal(err)
		}
		if info.Rows != int64(rows) {
			t.Fatalf("%d rows written, want %d", info.Rows, rows)
		}
		if got, _ := readTypedBlock(t, buf.Bytes()); len(got) != rows || got[rows-1].Data["s"] != big {
			t.Fatalf("%d rows read back, want %d", len(got), rows)
		}
		t.Logf("batches of %d: at most %d bytes in memory, %d row groups", batch, most, info.RowGroups)
	}
}

// TestTypedRowGroupMemoryPieceFails fails the k-th piece the writer
// encodes, for every k of a script of batches and writes: a batch whose
// piece fails is refused whole (its rows taken back, those before it
// kept, encoded or not), a write whose piece fails leaves the block to be
// written again, and each block reads back as exactly the rows accepted.
func TestTypedRowGroupMemoryPieceFails(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	batches := make([][]typedAll, 14)
	for i := range batches {
		batches[i] = make([]typedAll, 1+rng.IntN(120))
		for j := range batches[i] {
			batches[i][j] = randomTypedAll(rng)
		}
	}
	step := 1
	if testing.Short() {
		step = 3 // every third piece
	}
	for _, opts := range []TypedOptions{{RowGroupMemory: 12 << 10, RowGroupRows: 250}, {RowGroupRows: 60}} {
		pieceFails(t, batches, step, opts)
	}
}

func pieceFails(t *testing.T, batches [][]typedAll, step int, opts TypedOptions) {
	injected := errors.New("injected piece failure")
	for k := 0; ; k += step {
		w, err := NewTypedWriter[typedAll](opts)
		if err != nil {
			t.Fatal(err)
		}
		calls, failed := 0, false
		w.core.pieceFault = func() error {
			calls++
			if calls == k+1 {
				failed = true
				return injected
			}
			return nil
		}
		var want []Row
		meta := Meta{Op: cdc.Insert, LSN: 7, Producer: "p"}
		for i, batch := range batches {
			before := w.Rows()
			if err := w.AppendBatch(meta, batch); err != nil {
				if !errors.Is(err, injected) || !strings.Contains(err.Error(), "engine: typed rows: encoding") {
					t.Fatalf("k=%d: batch %d: %v", k, i, err)
				}
				if w.Rows() != before {
					t.Fatalf("k=%d: %d rows after a refused batch, had %d", k, w.Rows(), before)
				}
				// the same batch again, now that the fault is spent
				if err := w.AppendBatch(meta, batch); err != nil {
					t.Fatalf("k=%d: batch %d again: %v", k, i, err)
				}
			}
			for j := range batch {
				want = append(want, Row{Op: meta.Op, LSN: meta.LSN, Producer: meta.Producer, Data: expectData(t, batch[j])})
			}
		}
		var buf bytes.Buffer
		if _, err := w.WriteBlock(context.Background(), &buf); err != nil {
			if !errors.Is(err, injected) {
				t.Fatalf("k=%d: WriteBlock: %v", k, err)
			}
			if w.Rows() != len(want) {
				t.Fatalf("k=%d: %d rows after a failed write, want %d", k, w.Rows(), len(want))
			}
			buf.Reset()
			if _, err := w.WriteBlock(context.Background(), &buf); err != nil {
				t.Fatalf("k=%d: WriteBlock again: %v", k, err)
			}
		}
		got, _ := readTypedBlock(t, buf.Bytes())
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("k=%d: block differs (-want +got):\n%s", k, diff)
		}
		if !failed {
			if k < 10 {
				t.Fatalf("only %d pieces: the script does not spill enough", calls)
			}
			t.Logf("RowGroupMemory %d, RowGroupRows %d: %d pieces, each failed once", opts.RowGroupMemory, opts.RowGroupRows, calls)
			break // every piece was failed once
		}
	}
}

// TestTypedRowGroupBytes appends random batches (some refused for a bad
// string, some of rows several times wider than the others) to writers
// whose row groups are bounded by their raw bytes (RowGroupBytes), writes
// each block by WriteBlock or Flush, and checks that it reads back as the
// rows accepted, and that each row group's rows (measured by appending
// them alone to a writer without bounds) take at most about RowGroupBytes
// as raw columns (a quarter more if it holds wide rows and narrow ones,
// as TypedOptions.RowGroupBytes admits for rows five times larger), and
// more than half of it if the next row group began for want of room.
func TestTypedRowGroupBytes(t *testing.T) {
	limits, blocks, batches := []int{1, 4 << 10, 16 << 10, 64 << 10}, 3, 16
	if testing.Short() {
		limits, blocks, batches = []int{1, 16 << 10}, 2, 10
	}
	type accepted struct {
		meta Meta
		row  typedAll
		wide bool
	}
	probe, err := NewTypedWriter[typedAll](TypedOptions{RowGroupRows: 1 << 30})
	if err != nil {
		t.Fatal(err)
	}
	rawBytes := func(rows []accepted) int {
		t.Helper()
		probe.Reset()
		for i := range rows {
			if err := probe.AppendRow(rows[i].meta, &rows[i].row); err != nil {
				t.Fatal(err)
			}
		}
		return probe.core.typedBlock.memory()
	}
	for k, limit := range limits {
		t.Run(fmt.Sprint(limit), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(k), 13))
			w, err := NewTypedWriter[typedAll](TypedOptions{RowGroupBytes: limit, RowGroupRows: 700})
			if err != nil {
				t.Fatal(err)
			}
			most := 300
			if limit < 8<<10 {
				most = 40 // row groups of a row or a few: fewer rows
			}
			wideGroups := 0
			for block := range blocks {
				var want []Row
				var rows []accepted
				lsn := int64(block * 1_000_000)
				for range batches {
					n := 1 + rng.IntN(most)
					if rng.IntN(5) == 0 {
						n = 1 + rng.IntN(4*most)
					}
					// rows of about 1.5 KiB instead of about 300 bytes
					wide := rng.IntN(4) == 0
					vals := make([]typedAll, n)
					for i := range vals {
						vals[i] = randomTypedAll(rng)
						if wide {
							vals[i].Str = strings.Repeat("w", 1000+rng.IntN(500))
						}
					}
					meta := Meta{Op: cdc.Insert, LSN: lsn, Producer: "p"}
					lsn++
					bad := -1
					if rng.IntN(6) == 0 {
						bad = rng.IntN(n)
						vals[bad].Str = "bad \xff"
					}
					before := w.Rows()
					err := w.AppendBatch(meta, vals)
					if bad >= 0 {
						if !errors.Is(err, ErrTypedString) || w.Rows() != before {
							t.Fatalf("batch with a bad string at row %d: %v, %d rows (had %d)", bad, err, w.Rows(), before)
						}
						continue
					}
					if err != nil {
						t.Fatal(err)
					}
					for i := range vals {
						want = append(want, Row{Op: meta.Op, LSN: meta.LSN, Producer: meta.Producer, Data: expectData(t, vals[i])})
						rows = append(rows, accepted{meta, vals[i], wide})
					}
				}
				var buf bytes.Buffer
				var info *BlockInfo
				if block%2 == 1 {
					info = flushBlock(t, w, &buf)
				} else if info, err = w.WriteBlock(context.Background(), &buf); err != nil {
					t.Fatal(err)
				}
				got, bf := readTypedBlock(t, buf.Bytes())
				if diff := cmp.Diff(want, got); diff != "" {
					t.Fatalf("block %d differs (-want +got):\n%s", block, diff)
				}
				if info.Rows != int64(len(want)) || bf.NumRowGroups() != info.RowGroups {
					t.Fatalf("info: %d rows, %d row groups; the file has %d rows, %d row groups", info.Rows, info.RowGroups, len(want), bf.NumRowGroups())
				}
				prev, off, largest := 0, 0, 0
				for g := range bf.NumRowGroups() {
					cols, err := bf.Columns(g)
					if err != nil {
						t.Fatal(err)
					}
					n := cols[1].NumLevels
					if n < 1 || n > 700 {
						t.Fatalf("row group %d has %d rows", g, n)
					}
					group := rows[off : off+n]
					raw := rawBytes(group)
					largest = max(largest, raw)
					if limit == 1 && n != 1 {
						t.Fatalf("RowGroupBytes 1: row group %d has %d rows, want one", g, n)
					}
					// narrow rows take about 300 bytes, up to 2 KiB: the
					// estimate from their average may pass the limit by a
					// few; wide rows after narrow ones (about five times
					// larger), by up to a quarter of it more (5/4-1)
					most := limit + limit/8 + 2048
					// (the rows of the row group before set its first
					// estimate)
					from := rows[prev : off+n]
					// (a block's first row group starts from the estimate
					// of an earlier block, whose rows may be narrow)
					if g == 0 && block > 0 || slices.ContainsFunc(from, func(a accepted) bool { return a.wide != from[0].wide }) {
						most += limit / 4
						wideGroups++
					}
					if n > 1 && raw > most {
						t.Fatalf("row group %d: %d rows take %d bytes, RowGroupBytes %d", g, n, raw, limit)
					}
					if g+1 < bf.NumRowGroups() && n < 700 && limit > 1 && 2*raw <= limit-2048 {
						t.Fatalf("row group %d ended at %d rows, %d bytes, RowGroupBytes %d", g, n, raw, limit)
					}
					prev, off = off, off+n
				}
				t.Logf("block %d: %d rows in %d row groups, %d bytes; largest row group %d bytes raw", block, len(want), info.RowGroups, info.Bytes, largest)
			}
			if limit > 1 && wideGroups == 0 {
				t.Fatal("no row group held both narrow and wide rows")
			}
		})
	}
}

// flushBlock writes w's block to out by Flush, waits for it, and returns
// its BlockInfo; it fails t if the block could not be written.
func flushBlock(t *testing.T, w *TypedWriter[typedAll], out io.Writer) *BlockInfo {
	t.Helper()
	var info *BlockInfo
	done := make(chan struct{})
	if err := w.Flush(context.Background(), out, func(i *BlockInfo, err error) {
		if err != nil {
			t.Error(err)
		} else {
			c := *i
			info = &c
		}
		close(done)
	}); err != nil {
		t.Fatal(err)
	}
	<-done
	w.Wait()
	if info == nil {
		t.FailNow()
	}
	return info
}

// TestTypedRowGroupMemoryDictionary: blocks of orders written with a
// budget, in pieces of a few thousand rows, come within 10% of the same
// blocks written without one, block after block: the column of skus (of
// 8,000), whose dictionary a first piece alone judges a loss, keeps one
// (the chunk's pays, as the pieces after bring fewer and fewer new
// skus). A first piece's verdict against the dictionary once held for
// the chunk, the file and the next rejudgeBlocks files: 19% larger here.
func TestTypedRowGroupMemoryDictionary(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 9))
	ts := time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)
	opts := parquet.WriterOptions{Compression: parquet.Zstd, ZstdLevel: 1}
	budget, err := NewTypedWriter[typedOrder](TypedOptions{RowGroupMemory: 512 << 10, Parquet: opts})
	if err != nil {
		t.Fatal(err)
	}
	whole, err := NewTypedWriter[typedOrder](TypedOptions{Parquet: opts})
	if err != nil {
		t.Fatal(err)
	}
	rows := make([]typedOrder, 20000)
	blocks := rejudgeBlocks + 2
	if testing.Short() {
		blocks = 2
	}
	for block := range blocks {
		for i := range rows {
			c := ts.Add(time.Duration(block*len(rows)+i) * time.Millisecond)
			rows[i] = typedOrder{Op: "INSERT", LSN: int64(i), Producer: "p", CommitTS: &c, OrderID: int64(i),
				Amount: ptr(float64(rng.IntN(1_000_000)) / 100), Items: rows[i].Items[:0]}
			for range 1 + rng.IntN(4) {
				rows[i].Items = append(rows[i].Items, typedItem{SKU: "SKU-" + strconv.Itoa(rng.IntN(8000)),
					Qty: int32(1 + rng.IntN(5)), Price: float64(rng.IntN(20000))/100 + 0.5})
			}
		}
		var sizes [2]int64
		for k, w := range []*TypedWriter[typedOrder]{budget, whole} {
			if err := w.Append(rows); err != nil {
				t.Fatal(err)
			}
			info, err := w.WriteBlock(context.Background(), io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			sizes[k] = info.Bytes
		}
		t.Logf("block %d: %d bytes with the budget, %d without", block, sizes[0], sizes[1])
		if sizes[0]*10 > sizes[1]*11 {
			t.Errorf("block %d: %d bytes with the budget, over 1.1 times the %d without", block, sizes[0], sizes[1])
		}
	}
}
