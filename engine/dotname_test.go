package engine

import (
	"bytes"
	"fmt"
	"testing"
)

// TestRowGroupsDottedNames writes a block whose later row groups add a
// field b to a group a while the table has a top-level column named
// "a.b": the two are different columns, whatever their names joined with
// a dot look like.
func TestRowGroupsDottedNames(t *testing.T) {
	for _, tc := range []struct {
		name         string
		first, early string
		late         string
	}{
		{"new group beside a dotted column", `{"id":0,"a.b":1}`, `{"id":%d,"a.b":%d}`, `{"id":%d,"a.b":%d,"a":{"b":"x"}}`},
		{"new field of a group beside a dotted column", `{"id":0,"a.b":1,"a":{"c":1}}`, `{"id":%d,"a.b":%d,"a":{"c":1}}`, `{"id":%d,"a.b":%d,"a":{"c":2,"b":"x"}}`},
		{"new dotted column beside a group", `{"id":0,"a":{"b":"x"}}`, `{"id":%d,"a":{"b":"y%d"}}`, `{"id":%d,"a":{"b":"z"},"a.b":%d}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bw, err := NewBlockWriter(BlockOptions{RowGroupBytes: 300})
			if err != nil {
				t.Fatal(err)
			}
			es0 := entries(tc.first)
			info0, rows0, _ := writeRead(t, bw, es0)
			compareRows(t, es0, info0.Errors, rows0)
			var lines []string
			for i := range 60 {
				f := tc.early
				if i >= 40 {
					f = tc.late
				}
				lines = append(lines, fmt.Sprintf(f, i, i))
			}
			es := entries(lines...)
			info, rows, _ := writeRead(t, bw, es)
			if info.RowGroups < 2 {
				t.Fatalf("%d row groups, want several", info.RowGroups)
			}
			compareRows(t, es, info.Errors, rows)
			if info.Stats.NewColumns == 0 {
				t.Fatalf("stats %+v: the new column came with the first row group", info.Stats)
			}
		})
	}
}

// TestStartFileSchemaNotExtendable starts a block whose schema the
// writer's parquet.Writer cannot be extended to (it lacks a column the
// writer's last file had): the block is a new file from its first byte,
// with one magic, not the old writer's magic and then the new one's.
func TestStartFileSchemaNotExtendable(t *testing.T) {
	bw, err := NewBlockWriter(BlockOptions{})
	if err != nil {
		t.Fatal(err)
	}
	writeRead(t, bw, entries(`{"a":1}`))
	other, err := NewBlockWriter(BlockOptions{})
	if err != nil {
		t.Fatal(err)
	}
	_, _, f := writeRead(t, other, entries(`{"b":"x"}`))
	var buf bytes.Buffer
	bw.enc.cw = countingWriter{w: &buf}
	if err := bw.startFile(f.Schema()); err != nil {
		t.Fatal(err)
	}
	if err := bw.pw.Close(); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(buf.Bytes(), []byte("PAR1")) || bytes.HasPrefix(buf.Bytes()[4:], []byte("PAR1")) {
		t.Fatalf("block starts %q", buf.Bytes()[:min(buf.Len(), 8)])
	}
	g, err := OpenBlock(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatalf("OpenBlock: %v", err)
	}
	if got, want := schemaString(g.Schema()), schemaString(f.Schema()); got != want {
		t.Fatalf("schema %s, want %s", got, want)
	}
}
