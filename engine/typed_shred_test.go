package engine

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/google/go-cmp/cmp"

	"github.com/evodb/writer/cdc"
)

type shortStrRow struct {
	S   string  `parquet:"s"`
	P   *string `parquet:"p"`
	Opt string  `parquet:"opt,optional"`
}

// pageStrings returns strings of every length from 0 to 40 bytes, each
// starting at every offset from 40 bytes before the end of a 4 KiB page to
// the page's end, so that some end exactly at the page's end and some
// cross it: the strings readStrings copies as two words and those it must
// copy with append. Their bytes are distinct, so that a copy that takes a
// byte too many or too few shows.
func pageStrings(t *testing.T) []string {
	t.Helper()
	buf := make([]byte, 3*4096)
	for i := range buf {
		buf[i] = 'a' + byte(i%26)
	}
	// the first page boundary inside buf
	start := uintptr(unsafe.Pointer(unsafe.SliceData(buf)))
	page := int((start+4095)&^4095 - start)
	if page < 48 {
		page += 4096
	}
	var out []string
	for n := 0; n <= 40; n++ {
		for at := page - 40; at <= page; at++ {
			out = append(out, unsafe.String(&buf[at], n))
		}
	}
	return out
}

// TestTypedShortStrings checks readStrings' copy of short strings against
// the strings themselves, for every length up to past the two-word copy
// and every position up to and across a page's end, in a plain, a pointer
// and an optional field, over more rows than a stretch.
func TestTypedShortStrings(t *testing.T) {
	strs := pageStrings(t)
	rows := make([]shortStrRow, 0, 2*len(strs))
	var want []Row
	for i := range 2 * len(strs) {
		s := strs[i%len(strs)]
		r := shortStrRow{S: s, Opt: s}
		data := map[string]any{"s": s}
		if i%3 != 0 {
			r.P = &strs[(i*7)%len(strs)]
			data["p"] = *r.P
		}
		if s != "" {
			data["opt"] = s
		}
		rows = append(rows, r)
		want = append(want, Row{Op: cdc.Insert, LSN: 1, Producer: "p", Data: data})
	}
	w, err := NewTypedWriter[shortStrRow](TypedOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if w.core.stretch >= len(rows) {
		t.Fatalf("%d rows fit in one stretch of %d", len(rows), w.core.stretch)
	}
	if err := w.AppendBatch(Meta{Op: cdc.Insert, LSN: 1, Producer: "p"}, rows); err != nil {
		t.Fatal(err)
	}
	// the columns' bytes, value by value, against the strings
	for i, name := range []string{"s", "p", "opt"} {
		c := &w.core.cols[4+i]
		if c.path[0] != name {
			t.Fatalf("column %d is %v, want %s", 4+i, c.path, name)
		}
		var got, exp []string
		for v := 0; v+1 < len(c.offs); v++ {
			got = append(got, string(c.data[c.offs[v]:c.offs[v+1]]))
		}
		for _, r := range rows {
			switch {
			case name == "s":
				exp = append(exp, r.S)
			case name == "p" && r.P != nil:
				exp = append(exp, *r.P)
			case name == "opt" && r.Opt != "":
				exp = append(exp, r.Opt)
			}
		}
		if diff := cmp.Diff(exp, got); diff != "" {
			t.Fatalf("column %s (-want +got):\n%s", name, diff)
		}
		if len(c.data) != int(c.offs[len(c.offs)-1]) {
			t.Fatalf("column %s: %d bytes, last offset %d", name, len(c.data), c.offs[len(c.offs)-1])
		}
	}
	var buf bytes.Buffer
	if _, err := w.WriteBlock(context.Background(), &buf); err != nil {
		t.Fatal(err)
	}
	got, _ := readTypedBlock(t, buf.Bytes())
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("(-want +got):\n%s", diff)
	}
}

// TestTypedOpsChecked checks the _op field of rows that carry their
// metadata, string or cdc.Op, beyond the first stretch: a bad op in any
// stretch refuses the batch whole, naming its row in the batch, and the
// rows appended before stay.
func TestTypedOpsChecked(t *testing.T) {
	ts := time.Date(2026, 11, 26, 6, 0, 0, 0, time.UTC)
	const n = 5000
	names := []string{"INSERT", "UPDATE", "DELETE"}
	makeRows := func() []typedOrder {
		rows := make([]typedOrder, n)
		for i := range rows {
			rows[i] = typedOrder{Op: names[i%3], LSN: int64(i), Producer: "p", CommitTS: &ts, OrderID: int64(i)}
		}
		return rows
	}
	for _, bad := range []string{"", "INSERTS", "insert", "UPSERT", "INSER\x00", "DELETF", "\xffNSERT"} {
		t.Run(fmt.Sprintf("%q", bad), func(t *testing.T) {
			w, err := NewTypedWriter[typedOrder](TypedOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if w.core.stretch >= n-1 {
				t.Fatalf("stretch %d: the bad row would be in the first one", w.core.stretch)
			}
			if err := w.Append(makeRows()[:10]); err != nil {
				t.Fatal(err)
			}
			rows := makeRows()
			rows[n-1].Op = bad
			err = w.Append(rows)
			if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("row %d:", n-1)) || !strings.Contains(err.Error(), fmt.Sprintf("%q", bad)) {
				t.Fatalf("Append: %v, want an error naming row %d and %q", err, n-1, bad)
			}
			if w.Rows() != 10 {
				t.Fatalf("%d rows after the refused batch, want 10", w.Rows())
			}
			var buf bytes.Buffer
			if _, err := w.WriteBlock(context.Background(), &buf); err != nil {
				t.Fatal(err)
			}
			got, _ := readTypedBlock(t, buf.Bytes())
			if len(got) != 10 {
				t.Fatalf("%d rows read, want 10", len(got))
			}
			for i, r := range got {
				if want := cdc.Op(1 + i%3); r.Op != want {
					t.Fatalf("row %d: op %v, want %v", i, r.Op, want)
				}
			}
		})
	}
	t.Run("cdc.Op", func(t *testing.T) {
		w, err := NewTypedWriter[typedOrderOp](TypedOptions{})
		if err != nil {
			t.Fatal(err)
		}
		rows := make([]typedOrderOp, n)
		for i := range rows {
			rows[i] = typedOrderOp{Op: cdc.Op(1 + i%3), LSN: i, Producer: "p"}
		}
		rows[n-2].Op = 4
		if err := w.Append(rows); err == nil || !strings.Contains(err.Error(), fmt.Sprintf("row %d:", n-2)) {
			t.Fatalf("Append: %v, want an error naming row %d", err, n-2)
		}
		rows[n-2].Op = cdc.Delete
		if err := w.Append(rows); err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if _, err := w.WriteBlock(context.Background(), &buf); err != nil {
			t.Fatal(err)
		}
		got, _ := readTypedBlock(t, buf.Bytes())
		if len(got) != n {
			t.Fatalf("%d rows read, want %d", len(got), n)
		}
		for i, r := range got {
			if r.Op != rows[i].Op {
				t.Fatalf("row %d: op %v, want %v", i, r.Op, rows[i].Op)
			}
		}
	})
}

// TestTypedBlocksKeepChoices writes more blocks than rejudgeBlocks with
// one TypedWriter, whose data changes from block to block (few values,
// then all distinct ones, which overflow a dictionary kept from the block
// before), and reads every block back.
func TestTypedBlocksKeepChoices(t *testing.T) {
	w, err := NewTypedWriter[shortStrRow](TypedOptions{})
	if err != nil {
		t.Fatal(err)
	}
	n := 3000
	if testing.Short() {
		n = 500
	}
	for b := range rejudgeBlocks + 3 {
		rows := make([]shortStrRow, n)
		want := make([]Row, n)
		for i := range rows {
			s := fmt.Sprintf("few-%d", i%4)
			if b%3 == 1 {
				s = fmt.Sprintf("distinct-%d-%d", b, i*7919)
			}
			rows[i] = shortStrRow{S: s}
			want[i] = Row{Op: cdc.Update, LSN: int64(b), Producer: "p", Data: map[string]any{"s": s}}
		}
		if err := w.AppendBatch(Meta{Op: cdc.Update, LSN: int64(b), Producer: "p"}, rows); err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if _, err := w.WriteBlock(context.Background(), &buf); err != nil {
			t.Fatalf("block %d: %v", b, err)
		}
		got, _ := readTypedBlock(t, buf.Bytes())
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("block %d (-want +got):\n%s", b, diff)
		}
	}
}

type levelsPoint struct {
	X float64 `parquet:"x"`
	Y bool    `parquet:"y"`
}

type levelsItem struct {
	A  string      `parquet:"a"`
	B  int64       `parquet:"b"`
	C  levelsPoint `parquet:"c"`
	D  []int32     `parquet:"d"`
	E  *int32      `parquet:"e"`
	F  time.Time   `parquet:"f"`
	G  []byte      `parquet:"g"`
	H  uint16      `parquet:"h,optional"`
	PC *levelsPoint
}

type levelsRow struct {
	ID int64          `parquet:"id"`
	L  []levelsItem   `parquet:"l"`
	M  [][]levelsItem `parquet:"m"`
	P  []*levelsItem  `parquet:"p"`
	S  []string       `parquet:"s"`
}

// columnContent is what a typed column holds, for comparisons.
type columnContent struct {
	Levels     int
	Defs, Reps []uint8
	Bools      []bool
	I32        []int32
	I64        []int64
	F32        []float32
	F64        []float64
	Data       []byte
	Offs       []int32
}

// TestTypedRunLevels checks the levels of list fields that are never null
// (worked out from the runs, and shared by sibling fields: runLevels)
// against the general path's, column by column, for lists of structs with
// required, optional, pointer, nested struct and nested list fields; nil,
// empty and long lists; and more rows than a stretch.
func TestTypedRunLevels(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 7))
	item := func() levelsItem {
		it := levelsItem{A: strings.Repeat("s", rng.IntN(20)), B: rng.Int64(), C: levelsPoint{X: rng.Float64(), Y: rng.IntN(2) == 0},
			F: time.UnixMicro(rng.Int64N(1 << 50)).UTC(), H: uint16(rng.IntN(3))}
		if rng.IntN(3) > 0 {
			it.D = make([]int32, rng.IntN(4))
			for i := range it.D {
				it.D[i] = rng.Int32()
			}
		}
		if rng.IntN(2) == 0 {
			it.E = ptr(rng.Int32())
		}
		if rng.IntN(2) == 0 {
			it.G = []byte("g")
		}
		if rng.IntN(2) == 0 {
			it.PC = &levelsPoint{X: 1}
		}
		return it
	}
	list := func() []levelsItem {
		switch rng.IntN(5) {
		case 0:
			return nil
		case 1:
			return []levelsItem{}
		}
		l := make([]levelsItem, 1+rng.IntN(6))
		for i := range l {
			l[i] = item()
		}
		return l
	}
	rows := make([]levelsRow, 3000)
	for i := range rows {
		r := &rows[i]
		r.ID = int64(i)
		r.L = list()
		if rng.IntN(4) > 0 {
			r.M = make([][]levelsItem, rng.IntN(4))
			for j := range r.M {
				r.M[j] = list()
			}
		}
		for range rng.IntN(4) {
			if rng.IntN(3) == 0 {
				r.P = append(r.P, nil)
			} else {
				it := item()
				r.P = append(r.P, &it)
			}
		}
		for range rng.IntN(3) {
			r.S = append(r.S, "x")
		}
	}
	shred := func(on bool) []columnContent {
		t.Helper()
		defer func(old bool) { runLevelsPath = old }(runLevelsPath)
		runLevelsPath = on
		w, err := NewTypedWriter[levelsRow](TypedOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if w.core.stretch >= len(rows) {
			t.Fatalf("%d rows fit in one stretch of %d", len(rows), w.core.stretch)
		}
		for lo := 0; lo < len(rows); lo += 700 {
			if err := w.AppendBatch(Meta{Op: cdc.Insert, LSN: 1, Producer: "p"}, rows[lo:min(lo+700, len(rows))]); err != nil {
				t.Fatal(err)
			}
		}
		var out []columnContent
		for _, c := range w.core.cols {
			out = append(out, columnContent{Levels: c.levels, Defs: c.defs, Reps: c.reps, Bools: c.bools,
				I32: c.i32, I64: c.i64, F32: c.f32, F64: c.f64, Data: c.data, Offs: c.offs})
		}
		return out
	}
	want, got := shred(false), shred(true)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("columns (-general path +run levels)\n%s", diff)
	}
}

// TestTypedBatchMeta checks the metadata columns of AppendBatch (written
// a batch at a time by doubling copies) against the same rows appended
// one at a time with AppendRow and against the values themselves, for
// batches of 1 to more than a stretch, producers empty, short and long,
// and commit times null or set.
func TestTypedBatchMeta(t *testing.T) {
	metas := []Meta{
		{Op: cdc.Insert, LSN: 7, Producer: "pg-orders", CommitTime: time.UnixMicro(1_764_000_000_123_456).UTC()},
		{Op: cdc.Delete, LSN: -3, Producer: ""},
		{Op: cdc.Update, LSN: 1 << 40, Producer: strings.Repeat("long-producer-", 5), CommitTime: time.UnixMicro(5).UTC()},
	}
	for _, n := range []int{1, 2, 3, 17, 1000, 2500} {
		for k, m := range metas {
			t.Run(fmt.Sprintf("%d-rows-meta-%d", n, k), func(t *testing.T) {
				rows := make([]shortStrRow, n)
				for i := range rows {
					rows[i].S = strings.Repeat("v", i%5)
				}
				batch, err := NewTypedWriter[shortStrRow](TypedOptions{})
				if err != nil {
					t.Fatal(err)
				}
				single, err := NewTypedWriter[shortStrRow](TypedOptions{})
				if err != nil {
					t.Fatal(err)
				}
				// a row before, so that the batch starts past the columns' start
				first := Meta{Op: cdc.Insert, LSN: 1, Producer: "first"}
				for _, w := range []*TypedWriter[shortStrRow]{batch, single} {
					if err := w.AppendRow(first, &rows[0]); err != nil {
						t.Fatal(err)
					}
				}
				if err := batch.AppendBatch(m, rows); err != nil {
					t.Fatal(err)
				}
				for i := range rows {
					if err := single.AppendRow(m, &rows[i]); err != nil {
						t.Fatal(err)
					}
				}
				contents := func(w *TypedWriter[shortStrRow]) []columnContent {
					var out []columnContent
					for _, c := range w.core.cols {
						out = append(out, columnContent{Levels: c.levels, Defs: c.defs, Reps: c.reps, Bools: c.bools,
							I32: c.i32, I64: c.i64, F32: c.f32, F64: c.f64, Data: c.data, Offs: c.offs})
					}
					return out
				}
				got := contents(batch)
				if diff := cmp.Diff(contents(single), got); diff != "" {
					t.Fatalf("columns (-AppendRow +AppendBatch)\n%s", diff)
				}
				// the values themselves
				op, prod := got[0], got[2]
				if want := "INSERT" + strings.Repeat(m.Op.String(), n); string(op.Data) != want {
					t.Errorf("_op data %q, want %q", op.Data, want)
				}
				if want := "first" + strings.Repeat(m.Producer, n); string(prod.Data) != want {
					t.Errorf("_producer data %q, want %q", prod.Data, want)
				}
				for i := range n {
					if got, want := prod.Offs[i+2], int32(5+(i+1)*len(m.Producer)); got != want {
						t.Fatalf("_producer offset %d: %d, want %d", i+2, got, want)
					}
					if got[1].I64[i+1] != m.LSN {
						t.Fatalf("_lsn %d: %d, want %d", i+1, got[1].I64[i+1], m.LSN)
					}
				}
				ts := got[3]
				wantDef, wantTS := uint8(0), 0
				if !m.CommitTime.IsZero() {
					wantDef, wantTS = 1, n
				}
				// (the first row's is null)
				if len(ts.Defs) != n+1 || len(ts.I64) != wantTS {
					t.Fatalf("_commit_ts: %d levels, %d values, want %d and %d", len(ts.Defs), len(ts.I64), n+1, wantTS)
				}
				for i, d := range ts.Defs[1:] {
					if d != wantDef {
						t.Fatalf("_commit_ts level %d: %d, want %d", i+1, d, wantDef)
					}
				}
				for i, v := range ts.I64 {
					if v != m.CommitTime.UnixMicro() {
						t.Fatalf("_commit_ts %d: %d, want %d", i, v, m.CommitTime.UnixMicro())
					}
				}
			})
		}
	}
}

// TestTypedFlatDropped checks that the item addresses items works out
// (and those it writes past a short run's end) are all forgotten when an
// Append returns, so that they do not keep the rows alive.
func TestTypedFlatDropped(t *testing.T) {
	rows := make([]levelsRow, 500)
	for i := range rows {
		rows[i].L = make([]levelsItem, i%7)
	}
	w, err := NewTypedWriter[levelsRow](TypedOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.AppendBatch(Meta{Op: cdc.Insert, LSN: 1, Producer: "p"}, rows); err != nil {
		t.Fatal(err)
	}
	ptrs := w.core.flat.ptrs
	if cap(ptrs) == 0 {
		t.Fatal("no item addresses were worked out")
	}
	for i, p := range ptrs[:cap(ptrs)] {
		if p != nil {
			t.Fatalf("address %d of %d (length %d) kept after Append", i, cap(ptrs), len(ptrs))
		}
	}
}
