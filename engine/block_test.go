package engine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/evodb/writer/cdc"
	"github.com/evodb/writer/engine/parquet"
	"github.com/google/go-cmp/cmp"
)

// writeRead writes es as a block and reads its rows back.
func writeRead(t *testing.T, bw *BlockWriter, es []cdc.Entry) (*BlockInfo, []Row, *BlockFile) {
	t.Helper()
	var buf bytes.Buffer
	info, err := bw.WriteBlock(context.Background(), &buf, es)
	if err != nil {
		t.Fatalf("WriteBlock: %v", err)
	}
	if info.Bytes != int64(buf.Len()) {
		t.Fatalf("BlockInfo.Bytes = %d, %d written", info.Bytes, buf.Len())
	}
	f, err := OpenBlock(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatalf("OpenBlock: %v", err)
	}
	if f.NumRows() != info.Rows || f.NumRowGroups() != info.RowGroups {
		t.Fatalf("file has %d rows in %d row groups, info says %d in %d", f.NumRows(), f.NumRowGroups(), info.Rows, info.RowGroups)
	}
	rows, err := f.Rows(context.Background())
	if err != nil {
		t.Fatalf("Rows: %v", err)
	}
	return info, rows, f
}

func compareRows(t *testing.T, es []cdc.Entry, errs []*RowError, rows []Row) {
	t.Helper()
	rejected := map[int]bool{}
	for _, e := range errs {
		rejected[e.Index] = true
	}
	var want []Row
	for i, e := range es {
		if !rejected[i] {
			want = append(want, Row{Op: e.Op, LSN: e.LSN, Producer: e.Producer, CommitTime: e.CommitTime.UTC(), Data: inputData(t, e.Data)})
		}
	}
	for i := range rows {
		rows[i].Data = canonical(rows[i].Data).(map[string]any)
	}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Fatalf("rows read back differ (-want +got):\n%s", diff)
	}
}

func TestBlockRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts BlockOptions
	}{
		{"zstd, one row group", BlockOptions{}},
		{"snappy, small row groups", BlockOptions{Parquet: parquet.WriterOptions{Compression: parquet.Snappy}, RowGroupBytes: 2000}},
		{"uncompressed, pages v2, tiny pages", BlockOptions{Uncompressed: true, RowGroupBytes: 500,
			Parquet: parquet.WriterOptions{DataPageV2: true, PageSize: 256}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			seeds := 12
			if testing.Short() {
				seeds = 4
			}
			for seed := range seeds {
				r := rand.New(rand.NewPCG(uint64(seed), 11))
				fs := randomSchema(r, 0)
				bw, err := NewBlockWriter(tc.opts)
				if err != nil {
					t.Fatal(err)
				}
				for batch := range 3 {
					if batch == 2 {
						fs = append(fs, randomSchema(r, 1)...)
					}
					lines := randomRows(r, fs, r.IntN(300))
					if batch == 1 && len(lines) > 3 {
						lines[2] = `{"broken":` // a rejected row among the others
					}
					es := entries(lines...)
					info, rows, _ := writeRead(t, bw, es)
					if batch == 1 && len(lines) > 3 && len(info.Errors) != 1 {
						t.Fatalf("seed %d: errors %v, want the broken row", seed, info.Errors)
					}
					compareRows(t, es, info.Errors, rows)
				}
			}
		})
	}
}

func TestBlockEdgeBatches(t *testing.T) {
	bw, err := NewBlockWriter(BlockOptions{RowGroupBytes: 1})
	if err != nil {
		t.Fatal(err)
	}
	for _, lines := range [][]string{
		nil,                           // empty batch
		{`{"a":1}`},                   // one row
		{`{"a":2,"b":[1,2,3]}`, `{}`}, // a row group per row
		{`{"b":[]}`, `{"b":null}`, `{"b":[null]}`},
	} {
		es := entries(lines...)
		info, rows, f := writeRead(t, bw, es)
		if info.Rows != int64(len(lines)) {
			t.Fatalf("%d rows written, want %d", info.Rows, len(lines))
		}
		if len(lines) > 0 && info.RowGroups != len(lines) {
			t.Fatalf("%d row groups for %d rows at a 1-byte target", info.RowGroups, len(lines))
		}
		if diff := cmp.Diff(info.Schema, f.Schema()); diff != "" {
			t.Fatalf("schema read back differs (-written +read):\n%s", diff)
		}
		compareRows(t, es, nil, rows)
	}
}

// failingWriter fails after n bytes.
type failingWriter struct{ n int }

func (w *failingWriter) Write(p []byte) (int, error) {
	if len(p) > w.n {
		return 0, errors.New("disk full")
	}
	w.n -= len(p)
	return len(p), nil
}

// streamWriter records how many bytes were written before each call.
type streamWriter struct {
	bytes.Buffer
	writes int
}

func (w *streamWriter) Write(p []byte) (int, error) {
	w.writes++
	return w.Buffer.Write(p)
}

func TestBlockStreamsAndFails(t *testing.T) {
	var lines []string
	for i := range 3000 {
		lines = append(lines, fmt.Sprintf(`{"id":%d,"s":"value %d"}`, i, i*7919%1000))
	}
	es := entries(lines...)
	bw, err := NewBlockWriter(BlockOptions{RowGroupBytes: 40000})
	if err != nil {
		t.Fatal(err)
	}
	var sw streamWriter
	info, err := bw.WriteBlock(context.Background(), &sw, es)
	if err != nil {
		t.Fatal(err)
	}
	if info.RowGroups < 3 || sw.writes < info.RowGroups {
		t.Fatalf("%d row groups in %d writes: not streamed per row group", info.RowGroups, sw.writes)
	}
	if _, err := bw.WriteBlock(context.Background(), &failingWriter{n: 100}, es); err == nil || !bytes.Contains([]byte(err.Error()), []byte("disk full")) {
		t.Fatalf("WriteBlock to a failing writer: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := bw.WriteBlock(ctx, &sw, es); !errors.Is(err, context.Canceled) {
		t.Fatalf("WriteBlock with a cancelled context: %v", err)
	}
	// The writer is usable again after failures.
	_, rows, _ := writeRead(t, bw, es)
	compareRows(t, es, nil, rows)
}

func TestRowEntry(t *testing.T) {
	es := entries(`{"a":1,"b":{"c":[1.5,null]},"t":"2026-11-25T10:00:00Z","x":99999999999999999999}`)
	bw, err := NewBlockWriter(BlockOptions{})
	if err != nil {
		t.Fatal(err)
	}
	_, rows, _ := writeRead(t, bw, es)
	e, err := rows[0].Entry("t")
	if err != nil {
		t.Fatal(err)
	}
	// Writing the entries read back gives the same rows again.
	_, again, _ := writeRead(t, bw, []cdc.Entry{e})
	compareRows(t, es, nil, again)
}

func TestPipeline(t *testing.T) {
	if _, err := (&BlockWriter{}).Pipeline(context.Background()); !errors.Is(err, ErrNotPipelined) {
		t.Fatalf("Pipeline without Pipelined: %v", err)
	}
	bw, err := NewBlockWriter(BlockOptions{Pipelined: true, RowGroupBytes: 3000})
	if err != nil {
		t.Fatal(err)
	}
	p, err := bw.Pipeline(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(5, 5))
	fs := randomSchema(r, 0)
	const blocks = 8
	var batches [blocks][]cdc.Entry
	var outs [blocks]bytes.Buffer
	var infos [blocks]BlockInfo
	var errs [blocks]error
	for k := range blocks {
		if k == 4 {
			fs = append(fs, randomSchema(r, 1)...) // the schema grows while a block is being encoded
		}
		batches[k] = entries(randomRows(r, fs, 50+r.IntN(200))...)
		if err := p.Submit(batches[k], &outs[k], func(info *BlockInfo, err error) {
			errs[k] = err
			if info != nil {
				infos[k] = *info
				infos[k].Errors = append([]*RowError(nil), info.Errors...)
			}
		}); err != nil {
			t.Fatalf("Submit %d: %v", k, err)
		}
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	for k := range blocks {
		if errs[k] != nil {
			t.Fatalf("block %d: %v", k, errs[k])
		}
		f, err := OpenBlock(bytes.NewReader(outs[k].Bytes()), int64(outs[k].Len()))
		if err != nil {
			t.Fatalf("block %d: %v", k, err)
		}
		rows, err := f.Rows(context.Background())
		if err != nil {
			t.Fatalf("block %d: %v", k, err)
		}
		if infos[k].Bytes != int64(outs[k].Len()) {
			t.Fatalf("block %d: info says %d bytes, %d written", k, infos[k].Bytes, outs[k].Len())
		}
		compareRows(t, batches[k], infos[k].Errors, rows)
	}
	// A failing output fails its block and every later one.
	p, err = bw.Pipeline(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var got []error
	for k := range 3 {
		var out io.Writer = io.Discard
		if k == 1 {
			out = &failingWriter{n: 10}
		}
		if err := p.Submit(batches[k], out, func(_ *BlockInfo, err error) { got = append(got, err) }); err != nil {
			break
		}
	}
	if err := p.Close(); err == nil || len(got) == 0 || got[0] != nil || got[len(got)-1] == nil {
		t.Fatalf("Close = %v, block errors %v: want the failure from block 1 on", err, got)
	}
}

// TestBadLinesThroughTheWritePath sends JSON lines with bad ones among
// them through the cdc decoder and the block writer: each bad line is
// reported with its number, and every good line is in the block.
func TestBadLinesThroughTheWritePath(t *testing.T) {
	long := `{"s":"` + string(bytes.Repeat([]byte("x"), 300)) + `"}`
	lines := []string{
		`{"id":1,"s":"a"}`,
		`{"id":2,"s":`,                // 2: malformed
		long,                          // 3: over the line limit
		"{\"id\":4,\"s\":\"\xfe\"}",   // 4: invalid UTF-8
		`{"id":5,"n":NaN}`,            // 5: NaN
		`{"a":[[[[[[[[[[1]]]]]]]]]]}`, // 6: too deep
		`{"id":7,"s":"b","n":1.5}`,
		`{"id":8,"id":9}`, // 8: duplicate key (found by the shredder)
	}
	data := []byte(strings.Join(lines, "\n") + "\n")
	es, lineErrs := cdc.DecodeJSONLines(nil, data, &cdc.JSONOptions{Table: "t", MaxLineBytes: 200, MaxDepth: 8})
	wantLines := []int{2, 3, 4, 5, 6}
	if len(lineErrs) != len(wantLines) {
		t.Fatalf("line errors %v, want lines %v", lineErrs, wantLines)
	}
	for i, e := range lineErrs {
		if e.Line != wantLines[i] || !strings.HasPrefix(e.Error(), fmt.Sprintf("line %d: ", wantLines[i])) {
			t.Fatalf("line error %q, want line %d", e, wantLines[i])
		}
	}
	bw, err := NewBlockWriter(BlockOptions{})
	if err != nil {
		t.Fatal(err)
	}
	info, rows, _ := writeRead(t, bw, es)
	if len(info.Errors) != 1 || !errors.Is(info.Errors[0], ErrDuplicateKey) || es[info.Errors[0].Index].Data[6] != '8' {
		t.Fatalf("shredder errors %v, want the duplicate key of line 8", info.Errors)
	}
	compareRows(t, es, info.Errors, rows)
	if len(rows) != 2 {
		t.Fatalf("%d rows written, want the 2 good lines", len(rows))
	}
}

func TestRowTooLarge(t *testing.T) {
	s := newShredder(t, Options{MaxRowBytes: 20})
	es := entries(`{"a":1}`, `{"a":"a value longer than twenty bytes"}`, `{"a":3}`)
	b := shred(t, s, es)
	if len(b.Errors) != 1 || b.Errors[0].Index != 1 || !errors.Is(b.Errors[0], ErrRowTooLarge) {
		t.Fatalf("errors %v", b.Errors)
	}
	checkRoundTrip(t, es, b)
}
