package engine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/evodb/writer/cdc"
	"github.com/evodb/writer/engine/parquet"
	"github.com/google/go-cmp/cmp"
)

// writeBlockFile writes es with bw and opens the result.
func writeBlockFile(t *testing.T, bw *BlockWriter, es []cdc.Entry) *BlockFile {
	t.Helper()
	var buf bytes.Buffer
	info, err := bw.WriteBlock(context.Background(), &buf, es)
	if err != nil {
		t.Fatalf("WriteBlock: %v", err)
	}
	if len(info.Errors) != 0 {
		t.Fatalf("rows rejected: %v", info.Errors)
	}
	f, err := OpenBlock(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// mergeBlocks merges files with a Merger and returns the rows read back
// from the result and the merge info.
func mergeBlocks(t *testing.T, files []*BlockFile, opts MergeOptions) ([]Row, *MergeInfo, *BlockFile) {
	t.Helper()
	var schemas []*parquet.Node
	for _, f := range files {
		schemas = append(schemas, f.Schema())
	}
	schema, err := MergeSchema(schemas...)
	if err != nil {
		t.Fatalf("MergeSchema: %v", err)
	}
	var buf bytes.Buffer
	m, err := NewMerger(&buf, schema, opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if err := m.AppendBlock(context.Background(), f); err != nil {
			t.Fatalf("AppendBlock: %v", err)
		}
	}
	info, err := m.Close()
	if err != nil {
		t.Fatalf("Close: %v", err)
	}
	if info.Bytes != int64(buf.Len()) {
		t.Fatalf("MergeInfo.Bytes = %d, %d written", info.Bytes, buf.Len())
	}
	out, err := OpenBlock(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatalf("OpenBlock(merged): %v", err)
	}
	if out.NumRows() != info.Rows || out.NumRowGroups() != len(info.RowGroups) {
		t.Fatalf("merged file: %d rows in %d row groups; info: %d rows in %d", out.NumRows(), out.NumRowGroups(), info.Rows, len(info.RowGroups))
	}
	rows, err := out.Rows(context.Background())
	if err != nil {
		t.Fatalf("reading the merged block: %v", err)
	}
	return rows, info, out
}

func blockRows(t *testing.T, files []*BlockFile) []Row {
	t.Helper()
	var all []Row
	for _, f := range files {
		rows, err := f.Rows(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, rows...)
	}
	return all
}

// addNestedField appends a new field to the first object found in fs
// (through lists too); it reports whether there was one.
func addNestedField(r *rand.Rand, fs []*rfield, name string) bool {
	for _, f := range fs {
		switch {
		case f.typ == TypeObject:
			if !addNestedField(r, f.children, name) {
				f.children = append(f.children, randomField(r, name, 2))
			}
			return true
		case f.typ == TypeList && f.elem != nil:
			if addNestedField(r, []*rfield{f.elem}, name) {
				return true
			}
		}
	}
	return false
}

// TestMergeRandom merges blocks of random schemas that grow from block to
// block (new top-level and nested columns), with several row groups in and
// out, and compares the rows with the inputs' rows in order.
func TestMergeRandom(t *testing.T) {
	seeds := 40
	if testing.Short() {
		seeds = 10
	}
	for seed := range seeds {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			r := rand.New(rand.NewPCG(uint64(seed), 21))
			fs := randomSchema(r, 0)
			bw, err := NewBlockWriter(BlockOptions{RowGroupBytes: 1 + r.IntN(3000)})
			if err != nil {
				t.Fatal(err)
			}
			var files []*BlockFile
			lsn := int64(0)
			for batch := range 4 {
				switch batch {
				case 1:
					fs = append(fs, randomSchema(r, 1)...)
				case 2:
					addNestedField(r, fs, "late")
				}
				es := entries(randomRows(r, fs, 1+r.IntN(150))...)
				for i := range es {
					lsn++
					es[i].LSN = lsn
				}
				files = append(files, writeBlockFile(t, bw, es))
			}
			want := blockRows(t, files)
			opts := MergeOptions{RowGroupBytes: 1 + r.IntN(4000)}
			if seed%2 == 1 {
				opts.RowsHint = int64(len(want)) // sized buffers
			}
			got, info, _ := mergeBlocks(t, files, opts)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("merged rows differ (-inputs +merged):\n%s", diff)
			}
			if info.Rows != int64(len(want)) {
				t.Fatalf("MergeInfo.Rows = %d, want %d", info.Rows, len(want))
			}
		})
	}
}

// TestMergeEvolution merges blocks of two writers that saw different
// columns, including a field added inside a struct and inside the structs
// of a list, with rescued values, and checks the merged schema and rows.
func TestMergeEvolution(t *testing.T) {
	newBW := func() *BlockWriter {
		bw, err := NewBlockWriter(BlockOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return bw
	}
	a := writeBlockFile(t, newBW(), entries(
		`{"id":1,"a":{"x":1},"items":[{"k":1}]}`,
		`{"id":2,"a":null,"items":[]}`,
		`{"id":3}`,
	))
	b := writeBlockFile(t, newBW(), entries(
		`{"id":4,"a":{"x":2,"y":"s"},"items":[{"k":2,"v":true},{"k":3}],"z":5}`,
		`{"id":"not a number","a":{"y":"t"},"items":[{"v":false},null],"z":6.5}`,
	))
	got, _, out := mergeBlocks(t, []*BlockFile{a, b}, MergeOptions{})
	want := blockRows(t, []*BlockFile{a, b})
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("merged rows differ (-inputs +merged):\n%s", diff)
	}
	wantSchema := "id:int64 a:{x:int64 y:string} items:[{k:int64 v:bool}] z:double"
	if got := schemaString(out.Schema()); got != wantSchema {
		t.Errorf("merged schema\n got %s\nwant %s", got, wantSchema)
	}
	var names []string
	for _, c := range out.Schema().Children {
		names = append(names, c.Name)
	}
	wantNames := []string{ColOp, ColLSN, ColProducer, ColCommitTS, "id", "a", "items", "z", ColRescued}
	if diff := cmp.Diff(wantNames, names); diff != "" {
		t.Errorf("top-level columns (-want +got):\n%s", diff)
	}
	// The rescued value is still in _rescued, not in id.
	if got[4].Data["id"] != "not a number" {
		t.Errorf("rescued id read back as %#v", got[4].Data["id"])
	}
}

func TestMergeSchemaErrors(t *testing.T) {
	leaf := func(name string, rep parquet.Repetition, typ parquet.PhysicalType, l parquet.LogicalType) *parquet.Node {
		return &parquet.Node{Name: name, Repetition: rep, Type: typ, Logical: l}
	}
	root := func(children ...*parquet.Node) *parquet.Node {
		return &parquet.Node{Name: "schema", Children: children}
	}
	req := leaf("_lsn", parquet.Required, parquet.Int64, parquet.NoLogical)
	for _, tc := range []struct {
		name    string
		schemas []*parquet.Node
		want    string
	}{
		{"physical type", []*parquet.Node{
			root(req, leaf("x", parquet.Optional, parquet.Int64, parquet.NoLogical)),
			root(req, leaf("x", parquet.Optional, parquet.Double, parquet.NoLogical))}, "column x has physical type"},
		{"logical type", []*parquet.Node{
			root(req, leaf("x", parquet.Optional, parquet.Int64, parquet.NoLogical)),
			root(req, leaf("x", parquet.Optional, parquet.Int64, parquet.TimestampMicros))}, "column x has logical type"},
		{"case", []*parquet.Node{
			root(req, leaf("x", parquet.Optional, parquet.Int64, parquet.NoLogical)),
			root(req, leaf("X", parquet.Optional, parquet.Int64, parquet.NoLogical))}, "differ only in case"},
		{"required missing later", []*parquet.Node{
			root(req, leaf("x", parquet.Optional, parquet.Int64, parquet.NoLogical)),
			root(leaf("x", parquet.Optional, parquet.Int64, parquet.NoLogical))}, "required column _lsn is missing"},
		{"required missing earlier", []*parquet.Node{
			root(leaf("x", parquet.Optional, parquet.Int64, parquet.NoLogical)),
			root(req, leaf("x", parquet.Optional, parquet.Int64, parquet.NoLogical))}, "required column _lsn is missing"},
		{"group and leaf", []*parquet.Node{
			root(req, leaf("x", parquet.Optional, parquet.Int64, parquet.NoLogical)),
			root(req, &parquet.Node{Name: "x", Repetition: parquet.Optional, Children: []*parquet.Node{leaf("y", parquet.Optional, parquet.Int64, parquet.NoLogical)}})},
			"column x is a group in one block and a leaf"},
		{"repetition", []*parquet.Node{
			root(req, leaf("x", parquet.Optional, parquet.Int64, parquet.NoLogical)),
			root(req, leaf("x", parquet.Required, parquet.Int64, parquet.NoLogical))}, "column x has repetition"},
		{"nothing", nil, "no schema"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := MergeSchema(tc.schemas...)
			if !errors.Is(err, ErrMergeSchema) {
				t.Fatalf("err = %v, want ErrMergeSchema", err)
			}
			if !bytes.Contains([]byte(err.Error()), []byte(tc.want)) {
				t.Fatalf("err = %v, want it to mention %q", err, tc.want)
			}
		})
	}
}

// TestMergerRejects checks that a row group whose schema the merger's
// does not cover is refused with a clear error and leaves the merger usable.
func TestMergerRejects(t *testing.T) {
	bw, err := NewBlockWriter(BlockOptions{})
	if err != nil {
		t.Fatal(err)
	}
	small := writeBlockFile(t, bw, entries(`{"a":1}`))
	bw2, _ := NewBlockWriter(BlockOptions{})
	other := writeBlockFile(t, bw2, entries(`{"b":"x"}`))
	var buf bytes.Buffer
	m, err := NewMerger(&buf, small.Schema(), MergeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.AppendBlock(context.Background(), other); !errors.Is(err, ErrMergeSchema) {
		t.Fatalf("AppendBlock of an uncovered schema: err = %v, want ErrMergeSchema", err)
	}
	if err := m.AppendBlock(context.Background(), small); err != nil {
		t.Fatal(err)
	}
	info, err := m.Close()
	if err != nil {
		t.Fatal(err)
	}
	if info.Rows != 1 {
		t.Fatalf("rows = %d, want 1", info.Rows)
	}
	if _, err := m.Close(); err == nil {
		t.Fatal("second Close succeeded")
	}
}

// TestMergerMemory checks that the merger writes a row group whenever its
// buffer reaches RowGroupBytes, so memory does not grow with the inputs.
func TestMergerMemory(t *testing.T) {
	bw, err := NewBlockWriter(BlockOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for i := range 2000 {
		lines = append(lines, fmt.Sprintf(`{"i":%d,"s":"value %d"}`, i, i))
	}
	f := writeBlockFile(t, bw, entries(lines...))
	var buf bytes.Buffer
	m, err := NewMerger(&buf, f.Schema(), MergeOptions{RowGroupBytes: 4096, RowsHint: 10000})
	if err != nil {
		t.Fatal(err)
	}
	maxBuf := 0
	for range 5 {
		if err := m.AppendBlock(context.Background(), f); err != nil {
			t.Fatal(err)
		}
		maxBuf = max(maxBuf, m.Buffered())
	}
	info, err := m.Close()
	if err != nil {
		t.Fatal(err)
	}
	if maxBuf >= 4096 {
		t.Errorf("buffered %d bytes after an append, want a flush at 4096", maxBuf)
	}
	if len(info.RowGroups) != 5 || info.Rows != 10000 {
		t.Errorf("%d row groups, %d rows; want 5 (one per input row group over the limit), 10000", len(info.RowGroups), info.Rows)
	}
	for i, rg := range info.RowGroups {
		for _, c := range rg.Columns {
			if c.Statistics == nil {
				t.Errorf("row group %d column %v has no statistics in the footer read back", i, c.Path)
			}
		}
	}
}
