package engine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/evodb/writer/cdc"
	"github.com/google/go-cmp/cmp"
)

// lineReport is what a test compares of a rejected line.
type lineReport struct {
	Line, Offset int
	Msg          string
}

func reports(errs []*cdc.LineError) []lineReport {
	var out []lineReport
	for _, e := range errs {
		out = append(out, lineReport{e.Line, e.Offset, e.Error()})
	}
	return out
}

// fullyValidated decodes batch with full validation in the decoder and
// writes the entries as a block: the rejected lines (the decoder's and the
// shredder's, the latter found by the entry's data) and the block's rows.
func fullyValidated(t *testing.T, bw *BlockWriter, batch []byte, opts cdc.JSONOptions) ([]*cdc.LineError, []Row) {
	t.Helper()
	es, lineErrs := cdc.DecodeJSONLines(nil, batch, &opts)
	info, rows, _ := writeRead(t, bw, es)
	return mergeLineErrors(lineErrs, LineErrors(nil, batch, es, info.Errors, nil)), rows
}

// TestWriteJSONLines checks that the one-pass path (the decoder frames,
// the shredder validates) rejects the same lines with the same messages,
// line numbers and byte offsets as the decoder validating every line, and
// writes the same rows.
func TestWriteJSONLines(t *testing.T) {
	long := `{"s":"` + strings.Repeat("x", 300) + `"}`
	lines := []string{
		`{"id":1,"s":"a"}`,
		`{"id":2,"s":`, // malformed
		long,           // over the line limit
		"{\"id\":4,\"s\":\"\xfe\"}",
		`{"id":5,"n":NaN}`,
		`{"a":[[[[[[[[[[1]]]]]]]]]]}`, // too deep
		`{"id":7,"s":"b","n":1.5}`,
		`{"id":8,"id":9}`, // duplicate key
		`{"op":"UPDATE","lsn":9,"data":{"id":9,"s":"x\q"}}`,
		`  {"op":"DELETE","data":{"id":10,"s":"y\u00e9\"}"},"lsn":10}`,
		`{"op":"INSERT","data":{"id":11,"s":"z"},"lsn":11,"extra":{"x":[1,2]}}`, // unknown member
		`{"op":"INSERT","data":{"id":12,"n":01}}`,
		"{\"op\":\"INSERT\",\"data\":{\"id\":13,\"s\":\"tab\there\"}}",
		`{"op":"INSERT","data":{"id":14,"a":[1}],"lsn":14}`, // brackets of the wrong kinds
		`{"op":"INSERT","data":{"id":15,"s":"ok"},"lsn":"15"}`,
		`{"id":16,"t":tru}`,
		`{"id":17,"l":[true,false,null,{"k":"v"}]}`,
		`{"op":"INSERT","data":{"id":18}} trailing`,
		``,
		`{"id":20,"a":1,}`,
		`{"op":"INSERT","data":{"id":21},"x":{"b":2}}`,   // unknown member after the row
		`{"table":"t","data":{"id":22,"s":"plain row"}}`, // a plain row with a "data" column
		`{"op":"INSERT","data":{"id":23},"data":{"id":2}}`,
		`{"op":"INSERT","data":{"id":24,"o":{"p":1}}}}`,
	}
	batch := []byte(strings.Join(lines, "\n") + "\n")
	opts := cdc.JSONOptions{Table: "t", MaxLineBytes: 200, MaxDepth: 8}
	bwFull, err := NewBlockWriter(BlockOptions{Shredder: Options{MaxDepth: 8}})
	if err != nil {
		t.Fatal(err)
	}
	wantErrs, wantRows := fullyValidated(t, bwFull, batch, opts)

	bw, err := NewBlockWriter(BlockOptions{Shredder: Options{MaxDepth: 8}})
	if err != nil {
		t.Fatal(err)
	}
	for round := range 2 { // the second with the schema and buffers of the first
		var buf bytes.Buffer
		info, gotErrs, err := bw.WriteJSONLines(context.Background(), &buf, batch, &opts)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(reports(wantErrs), reports(gotErrs)); diff != "" {
			t.Errorf("round %d: rejected lines differ (-validating decoder +one pass):\n%s", round, diff)
		}
		f, err := OpenBlock(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
		if err != nil {
			t.Fatal(err)
		}
		rows, err := f.Rows(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(wantRows, rows); diff != "" {
			t.Errorf("round %d: rows differ (-validating decoder +one pass):\n%s", round, diff)
		}
		if info.Rows != int64(len(rows)) || len(rows) != 6 {
			t.Errorf("round %d: %d rows (info %d), want 6", round, len(rows), info.Rows)
		}
	}
	// Every bad line is reported once, with its kind.
	kinds := map[int]error{2: cdc.ErrSyntax, 3: cdc.ErrLineTooLong, 4: cdc.ErrInvalidUTF8, 5: cdc.ErrSyntax,
		6: cdc.ErrTooDeep, 8: ErrDuplicateKey, 9: cdc.ErrSyntax, 11: cdc.ErrEnvelope, 12: cdc.ErrSyntax,
		13: cdc.ErrSyntax, 14: cdc.ErrSyntax, 16: cdc.ErrSyntax, 18: cdc.ErrSyntax, 20: cdc.ErrSyntax,
		21: cdc.ErrEnvelope, 23: cdc.ErrEnvelope, 24: cdc.ErrSyntax}
	if len(wantErrs) != len(kinds) {
		t.Fatalf("%d lines rejected, want %d: %v", len(wantErrs), len(kinds), wantErrs)
	}
	for _, e := range wantErrs {
		if !errors.Is(e, kinds[e.Line]) {
			t.Errorf("line %d: error %v, want %v", e.Line, e, kinds[e.Line])
		}
	}
}

// TestLineErrorsOutsideBatch: a row error whose entry does not come from
// the batch is kept, naming the entry, with no line.
func TestLineErrorsOutsideBatch(t *testing.T) {
	batch := []byte("{\"a\":1}\n{\"a\":\n")
	es, _ := cdc.DecodeJSONLines(nil, batch, &cdc.JSONOptions{Table: "t"})
	es = append(es, cdc.Entry{Op: cdc.Insert, Table: "t", LSN: 77, Data: []byte(`{"a":`)})
	s := newShredder(t, Options{})
	b := shred(t, s, es)
	got := LineErrors(nil, batch, es, b.Errors, nil)
	if len(got) != 1 || got[0].Line != 0 || got[0].Offset != -1 || !strings.Contains(got[0].Error(), "lsn 77") {
		t.Fatalf("errors %v, want one without a line naming lsn 77", got)
	}
	if got := LineErrors(nil, batch, es[:1], []*RowError{{Index: 5, Err: cdc.ErrSyntax}}, nil); len(got) != 1 || got[0].Line != 0 {
		t.Fatalf("an index beyond the entries: %v", got)
	}
}

// FuzzWriteJSONLines checks the one-pass path against the validating
// decoder on arbitrary batches: the same lines rejected, with the same
// messages, and the same rows written.
func FuzzWriteJSONLines(f *testing.F) {
	for _, seed := range []string{
		`{"op":"INSERT","table":"t","data":{"a":1,"b":"x"},"lsn":1}`,
		"{\"a\":1}\n{\"a\":[1,{\"b\":\"\\\"]}\"}]}\n{\"a\":\"\xff\"}",
		`{"op":"UPDATE","data":{"a":[1}],"lsn":2}`,
		`{"op":"DELETE","data":{"s":"\"}\\"},"lsn":"3","commit_ts":1764064800123456}`,
		`{"a":tru,"b":nul}` + "\n" + `{"a":1 2}`,
		`{"op":"INSERT","data":{"x":1},"other":{"y":[]}}`,
		`{"a":[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]}`,
		`{"op":"INSERT","data":{"a":1}}` + " x\n" + `{"a":"\u12"}`,
		`{"a":1,"a":2}` + "\n\r\n" + `{"op":"INSERT","data":{}}`,
		`{"op":"INSERT","data":{"a":1},"x":{"b":2}}` + "\n" + `{"table":"t","data":{"a":1}} `,
		`{"op":"INSERT","data":{"a":1},"data":{"b":2}}` + "\n" + `{"op":"INSERT","data":{"a":{"b":1}}}}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, batch []byte) {
		if bytes.Count(batch, []byte("\n")) > 64 {
			return
		}
		opts := cdc.JSONOptions{Table: "t", MaxDepth: 16, MaxLineBytes: 4096}
		bwFull, err := NewBlockWriter(BlockOptions{Shredder: Options{Table: "t", MaxDepth: 16}})
		if err != nil {
			t.Fatal(err)
		}
		wantErrs, wantRows := fullyValidated(t, bwFull, batch, opts)
		bw, err := NewBlockWriter(BlockOptions{Shredder: Options{Table: "t", MaxDepth: 16}})
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		_, gotErrs, err := bw.WriteJSONLines(context.Background(), &buf, batch, &opts)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(reports(wantErrs), reports(gotErrs)); diff != "" {
			t.Fatalf("rejected lines differ (-validating decoder +one pass):\n%s", diff)
		}
		for _, e := range gotErrs {
			if e.Err == nil || !strings.HasPrefix(e.Error(), fmt.Sprintf("line %d: ", e.Line)) {
				t.Fatalf("error %q does not name its line %d", e, e.Line)
			}
		}
		f, err := OpenBlock(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
		if err != nil {
			t.Fatal(err)
		}
		rows, err := f.Rows(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(wantRows, rows); diff != "" {
			t.Fatalf("rows differ (-validating decoder +one pass):\n%s", diff)
		}
	})
}
