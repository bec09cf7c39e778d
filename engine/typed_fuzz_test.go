package engine

import (
	"bytes"
	"context"
	"errors"
	"strconv"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/evodb/writer/cdc"
)

// FuzzTypedStrings appends rows of arbitrary strings, in a plain, a
// pointer and an optional field, to a TypedWriter: a batch with invalid
// UTF-8 is refused with ErrTypedString, any other reads back the same.
func FuzzTypedStrings(f *testing.F) {
	f.Add("abc", "", uint8(3))
	f.Add("", "sixteen bytes!!!", uint8(1))
	f.Add("x\xff", "ok", uint8(7))
	f.Add("héllo wörld, a longer string than sixteen bytes", "é", uint8(40))
	f.Fuzz(func(t *testing.T, a, b string, n uint8) {
		w, err := NewTypedWriter[shortStrRow](TypedOptions{})
		if err != nil {
			t.Fatal(err)
		}
		rows := make([]shortStrRow, int(n%64)+1)
		want := make([]Row, len(rows))
		for i := range rows {
			s, o := a, b
			if i%2 == 1 {
				s, o = b, a
			}
			rows[i] = shortStrRow{S: s, Opt: o}
			data := map[string]any{"s": s}
			if o != "" {
				data["opt"] = o
			}
			if i%3 != 2 {
				rows[i].P = &rows[i].S
				data["p"] = s
			}
			want[i] = Row{Op: cdc.Delete, LSN: 7, Producer: "f", Data: data}
		}
		err = w.AppendBatch(Meta{Op: cdc.Delete, LSN: 7, Producer: "f"}, rows)
		if !utf8.ValidString(a) || !utf8.ValidString(b) {
			if !errors.Is(err, ErrTypedString) {
				t.Fatalf("AppendBatch with invalid UTF-8: %v, want ErrTypedString", err)
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if _, err := w.WriteBlock(context.Background(), &buf); err != nil {
			t.Fatal(err)
		}
		got, _ := readTypedBlock(t, buf.Bytes())
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("(-want +got):\n%s", diff)
		}
	})
}

// spillData is the columns of spillRow; spillRow pads them to 8 KiB, so
// that the writer shreds 16 rows at a time and a memory budget cuts even
// small batches.
type spillData struct {
	ID int64   `parquet:"id"`
	S  string  `parquet:"s"`
	P  *string `parquet:"p"`
	L  []int32 `parquet:"l"`
}

type spillRow struct {
	ID  int64      `parquet:"id"`
	S   string     `parquet:"s"`
	P   *string    `parquet:"p"`
	L   []int32    `parquet:"l"`
	Pad [8192]byte `parquet:"-"`
}

// FuzzTypedRowGroupMemory runs a script of appends (some batches with an
// invalid string somewhere), failing and good writes, Resets and Flushes
// against a TypedWriter with a small RowGroupMemory: every batch refused
// leaves Rows unchanged, every failed write keeps the block, and every
// block written reads back as exactly the rows accepted since the last.
func FuzzTypedRowGroupMemory(f *testing.F) {
	f.Add(uint16(300), uint8(5), []byte{3, 40, 11, 200, 0, 7, 1, 0, 19, 60, 4, 1, 1, 0})
	f.Add(uint16(1), uint8(1), []byte{5, 90, 13, 90, 2, 0, 21, 33, 6, 0, 1, 0})
	f.Add(uint16(5000), uint8(49), []byte{43, 255, 3, 255, 0, 100, 1, 1})
	f.Add(uint16(0), uint8(9|0x80), []byte{3, 40, 11, 200, 0, 7, 1, 0, 19, 60, 4, 1, 1, 0})
	f.Fuzz(func(t *testing.T, budget uint16, groupRows uint8, script []byte) {
		mem := int(budget) + 1
		if groupRows>>6 == 2 {
			// (a pattern no seed held before) no budget: each full row
			// group encoded as the next begins
			mem = 0
		}
		w, err := NewTypedWriter[spillRow](TypedOptions{RowGroupMemory: mem, RowGroupRows: int(groupRows%64) + 1})
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		var want []Row
		// the last Flush's block and its rows, checked once it is written
		var flushed *bytes.Buffer
		var flushWant []Row
		var flushErr error
		check := func(data []byte, rows []Row) {
			t.Helper()
			got, bf := readTypedBlock(t, data)
			if diff := cmp.Diff(rows, got, cmpopts.EquateEmpty()); diff != "" {
				t.Fatalf("block (-want +got):\n%s", diff)
			}
			if bf.NumRows() != int64(len(rows)) {
				t.Fatalf("%d rows in the file, want %d", bf.NumRows(), len(rows))
			}
		}
		waitFlush := func() {
			w.Wait()
			if flushErr != nil {
				t.Fatal(flushErr)
			}
			if flushed != nil {
				check(flushed.Bytes(), flushWant)
				flushed, flushWant = nil, nil
			}
		}
		id := int64(0)
		for k := 0; k+1 < len(script) && k < 64; k += 2 {
			a, b := script[k], script[k+1]
			switch a % 8 {
			case 0: // a write that fails after some bytes
				if _, err := w.WriteBlock(ctx, &failAfter{n: int(b) * 64}); err == nil {
					waitFlush()
					want = nil // it fit: the block is written
				} else if w.Rows() != len(want) {
					t.Fatalf("Rows() = %d after a failed write, want %d", w.Rows(), len(want))
				}
			case 1:
				var buf bytes.Buffer
				info, err := w.WriteBlock(ctx, &buf)
				if err != nil {
					t.Fatal(err)
				}
				waitFlush()
				if info.Rows != int64(len(want)) {
					t.Fatalf("info.Rows = %d, want %d", info.Rows, len(want))
				}
				check(buf.Bytes(), want)
				want = nil
			case 2:
				w.Reset()
				want = nil
			case 3:
				waitFlush()
				flushed, flushWant = new(bytes.Buffer), want
				if err := w.Flush(ctx, flushed, func(_ *BlockInfo, err error) {
					flushErr = err
				}); err != nil {
					t.Fatal(err)
				}
				want = nil // the next rows go to the other block meanwhile
			default: // a batch, with a bad string at row b%n if a's high bit is set
				n := int(b)%70 + 1
				rows := make([]spillRow, n)
				var add []Row
				for i := range rows {
					id++
					d := spillData{ID: id, S: strconv.FormatInt(id*7919%1000, 10)}
					if id%3 != 0 {
						d.P = &d.S
					}
					if id%4 != 0 {
						d.L = make([]int32, id%5)
						for j := range d.L {
							d.L[j] = int32(id) + int32(j)
						}
					}
					rows[i] = spillRow{ID: d.ID, S: d.S, P: d.P, L: d.L}
					add = append(add, Row{Op: cdc.Update, LSN: int64(k), Producer: "f", Data: expectData(t, d)})
				}
				bad := a >= 128
				if bad {
					rows[int(b)%n].S = "\xc3("
				}
				before := w.Rows()
				err := w.AppendBatch(Meta{Op: cdc.Update, LSN: int64(k), Producer: "f"}, rows)
				if bad {
					if !errors.Is(err, ErrTypedString) || w.Rows() != before {
						t.Fatalf("batch with a bad row %d of %d: %v; Rows %d, had %d", int(b)%n, n, err, w.Rows(), before)
					}
					continue
				}
				if err != nil {
					t.Fatal(err)
				}
				want = append(want, add...)
			}
		}
		var buf bytes.Buffer
		if _, err := w.WriteBlock(ctx, &buf); err != nil {
			t.Fatal(err)
		}
		waitFlush()
		check(buf.Bytes(), want)
	})
}
