// Package interop checks that the files our Parquet writer produces read
// back value for value in independent readers: arrow-go (its column
// readers, its Arrow conversion and its statistics) and parquet-go.
package interop

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	aparquet "github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/metadata"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"github.com/google/go-cmp/cmp"
	pgo "github.com/parquet-go/parquet-go"

	"github.com/evodb/writer/engine/parquet"
)

// cmpColumns compares column data with whole-slice comparers (NaN equal
// to NaN, nil equal to empty).
var cmpColumns = cmp.Options{
	cmp.Comparer(slices.Equal[[]uint8]),
	cmp.Comparer(slices.Equal[[]bool]),
	cmp.Comparer(slices.Equal[[]int32]),
	cmp.Comparer(slices.Equal[[]int64]),
	cmp.Comparer(func(a, b []float32) bool {
		return slices.EqualFunc(a, b, func(x, y float32) bool { return x == y || (x != x && y != y) })
	}),
	cmp.Comparer(func(a, b []float64) bool {
		return slices.EqualFunc(a, b, func(x, y float64) bool { return x == y || (x != x && y != y) })
	}),
	cmp.Comparer(func(a, b *parquet.Node) bool { return a == b }),
}

var optionSets = []struct {
	name string
	opts parquet.WriterOptions
}{
	{"plain-v1", parquet.WriterOptions{}},
	{"v2", parquet.WriterOptions{DataPageV2: true}},
	{"snappy", parquet.WriterOptions{Compression: parquet.Snappy}},
	{"snappy-v2", parquet.WriterOptions{Compression: parquet.Snappy, DataPageV2: true}},
	{"zstd", parquet.WriterOptions{Compression: parquet.Zstd}},
	{"zstd-v2", parquet.WriterOptions{Compression: parquet.Zstd, DataPageV2: true}},
	{"nodict-small-pages", parquet.WriterOptions{DictionaryLimit: -1, PageSize: 700}},
	{"tiny-dict-zstd-v2", parquet.WriterOptions{DictionaryLimit: 64, PageSize: 3000, Compression: parquet.Zstd, DataPageV2: true}},
}

func allTypesSchema() *parquet.Node {
	root := &parquet.Node{Name: "all"}
	types := []parquet.Node{
		{Name: "bool", Type: parquet.Boolean}, {Name: "i32", Type: parquet.Int32}, {Name: "i64", Type: parquet.Int64},
		{Name: "ts", Type: parquet.Int64, Logical: parquet.TimestampMicros}, {Name: "f32", Type: parquet.Float},
		{Name: "f64", Type: parquet.Double}, {Name: "bin", Type: parquet.ByteArray},
		{Name: "str", Type: parquet.ByteArray, Logical: parquet.String}, {Name: "json", Type: parquet.ByteArray, Logical: parquet.JSON},
	}
	for _, rep := range []parquet.Repetition{parquet.Required, parquet.Optional} {
		for _, ty := range types {
			n := ty
			n.Name = fmt.Sprintf("%s_%d", ty.Name, rep)
			n.Repetition = rep
			root.Children = append(root.Children, &n)
		}
	}
	list := func(name string, rep parquet.Repetition, elem *parquet.Node) *parquet.Node {
		return &parquet.Node{Name: name, Repetition: rep, Logical: parquet.List, Children: []*parquet.Node{
			{Name: "list", Repetition: parquet.Repeated, Children: []*parquet.Node{elem}},
		}}
	}
	root.Children = append(root.Children,
		&parquet.Node{Name: "obj", Repetition: parquet.Optional, Children: []*parquet.Node{
			{Name: "id", Repetition: parquet.Required, Type: parquet.Int64},
			{Name: "inner", Repetition: parquet.Optional, Children: []*parquet.Node{
				{Name: "name", Repetition: parquet.Optional, Type: parquet.ByteArray, Logical: parquet.String},
				{Name: "score", Repetition: parquet.Required, Type: parquet.Double},
			}},
		}},
		list("tags", parquet.Optional, &parquet.Node{Name: "element", Repetition: parquet.Optional, Type: parquet.ByteArray, Logical: parquet.String}),
		list("ids", parquet.Required, &parquet.Node{Name: "element", Repetition: parquet.Required, Type: parquet.Int64}),
		list("flags", parquet.Optional, &parquet.Node{Name: "element", Repetition: parquet.Optional, Type: parquet.Boolean}),
		list("f32s", parquet.Optional, &parquet.Node{Name: "element", Repetition: parquet.Optional, Type: parquet.Float}),
		list("points", parquet.Optional, &parquet.Node{Name: "element", Repetition: parquet.Optional, Children: []*parquet.Node{
			{Name: "x", Repetition: parquet.Required, Type: parquet.Int32},
			{Name: "t", Repetition: parquet.Optional, Type: parquet.Int64, Logical: parquet.TimestampMicros},
		}}),
		list("matrix", parquet.Optional, list("element", parquet.Optional,
			&parquet.Node{Name: "element", Repetition: parquet.Required, Type: parquet.Double})),
	)
	return root
}

type testFile struct {
	name   string
	data   []byte
	groups [][]parquet.ColumnData
}

// testFiles writes the all-types schema with every option set, in
// several row groups (one empty), with high and low cardinality.
func testFiles(t *testing.T) []testFile {
	t.Helper()
	schema := allTypesSchema()
	rows := 3000
	if testing.Short() {
		rows = 600
	}
	var out []testFile
	for k, os := range optionSets {
		for _, card := range []int{0, 4} {
			g := &valueGen{rng: rand.New(rand.NewPCG(uint64(k), uint64(card))), nullRate: 0.15, card: card}
			s := newTestShredder(schema)
			var groups [][]parquet.ColumnData
			for _, n := range []int{rows, 1, 0, rows / 3} {
				for range n {
					s.row(schema, g.row(schema))
				}
				groups = append(groups, s.take())
			}
			var buf bytes.Buffer
			w, err := parquet.NewWriter(&buf, schema, os.opts)
			if err != nil {
				t.Fatal(err)
			}
			for _, grp := range groups {
				if err := w.WriteRowGroup(grp); err != nil {
					t.Fatal(err)
				}
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			out = append(out, testFile{name: fmt.Sprintf("%s/card%d", os.name, card), data: buf.Bytes(), groups: groups})
		}
	}
	return out
}

// shell returns a column with c's identity and no data.
func shell(c *parquet.ColumnData) parquet.ColumnData {
	return parquet.ColumnData{Path: c.Path, Leaf: c.Leaf, MaxDef: c.MaxDef, MaxRep: c.MaxRep}
}

func addLevels(c *parquet.ColumnData, def, rep int) {
	c.NumLevels++
	if c.MaxDef > 0 {
		c.DefLevels = append(c.DefLevels, uint8(def))
	}
	if c.MaxRep > 0 {
		c.RepLevels = append(c.RepLevels, uint8(rep))
	}
}

func addBytes(c *parquet.ColumnData, v []byte) {
	if len(c.Offsets) == 0 {
		c.Offsets = append(c.Offsets, 0)
	}
	c.Bytes = append(c.Bytes, v...)
	c.Offsets = append(c.Offsets, int32(len(c.Bytes)))
}

// readArrowColumn reads one column chunk with arrow-go's column reader.
func readArrowColumn(t *testing.T, cr file.ColumnChunkReader, want *parquet.ColumnData) parquet.ColumnData {
	t.Helper()
	got := shell(want)
	n := int64(want.NumLevels) + 1 // ask for one more than expected
	def := make([]int16, n)
	rep := make([]int16, n)
	var total int64
	var values int
	var err error
	switch r := cr.(type) {
	case *file.BooleanColumnChunkReader:
		v := make([]bool, n)
		total, values, err = r.ReadBatch(n, v, def, rep)
		got.Bools = v[:values]
	case *file.Int32ColumnChunkReader:
		v := make([]int32, n)
		total, values, err = r.ReadBatch(n, v, def, rep)
		got.Int32s = v[:values]
	case *file.Int64ColumnChunkReader:
		v := make([]int64, n)
		total, values, err = r.ReadBatch(n, v, def, rep)
		got.Int64s = v[:values]
	case *file.Float32ColumnChunkReader:
		v := make([]float32, n)
		total, values, err = r.ReadBatch(n, v, def, rep)
		got.Floats = v[:values]
	case *file.Float64ColumnChunkReader:
		v := make([]float64, n)
		total, values, err = r.ReadBatch(n, v, def, rep)
		got.Doubles = v[:values]
	case *file.ByteArrayColumnChunkReader:
		v := make([]aparquet.ByteArray, n)
		total, values, err = r.ReadBatch(n, v, def, rep)
		for _, b := range v[:values] {
			addBytes(&got, b)
		}
	default:
		t.Fatalf("column reader %T", cr)
	}
	if err != nil && !errors.Is(err, io.EOF) {
		t.Fatalf("arrow-go ReadBatch: %v", err)
	}
	for i := range total {
		d, r := 0, 0
		if got.MaxDef > 0 {
			d = int(def[i])
		}
		if got.MaxRep > 0 {
			r = int(rep[i])
		}
		addLevels(&got, d, r)
	}
	return got
}

func TestArrowColumnReaders(t *testing.T) {
	for _, tf := range testFiles(t) {
		t.Run(tf.name, func(t *testing.T) {
			rdr, err := file.NewParquetReader(bytes.NewReader(tf.data))
			if err != nil {
				t.Fatalf("arrow-go NewParquetReader: %v", err)
			}
			defer rdr.Close()
			if rdr.NumRowGroups() != len(tf.groups) {
				t.Fatalf("arrow-go sees %d row groups, want %d", rdr.NumRowGroups(), len(tf.groups))
			}
			for i, want := range tf.groups {
				compareArrowRowGroup(t, rdr.RowGroup(i), i, want)
			}
		})
	}
}

// checkArrowTypes checks that each column of want has the arrow type (as
// arrow prints it) want gives, in sc.
func checkArrowTypes(t *testing.T, sc *arrow.Schema, want map[string]string) {
	t.Helper()
	for name, typ := range want {
		idx := sc.FieldIndices(name)
		if len(idx) != 1 {
			t.Fatalf("arrow schema lacks %s: %v", name, sc)
		}
		if got := sc.Field(idx[0]).Type.String(); got != typ {
			t.Errorf("%s: arrow type %s, want %s", name, got, typ)
		}
	}
}

// compareArrowRowGroup checks that arrow-go reads row group i (rg) as the
// columns want, values, levels and statistics.
func compareArrowRowGroup(t *testing.T, rg *file.RowGroupReader, i int, want []parquet.ColumnData) {
	t.Helper()
	for j := range want {
		cr, err := rg.Column(j)
		if err != nil {
			t.Fatalf("arrow-go row group %d column %d: %v", i, j, err)
		}
		got := readArrowColumn(t, cr, &want[j])
		if diff := cmp.Diff(want[j], got, cmpColumns); diff != "" {
			t.Fatalf("row group %d column %v differs (-ours +arrow-go):\n%s", i, want[j].Path, diff)
		}
		checkArrowStats(t, rg.MetaData(), j, &want[j])
	}
}

// checkArrowStats compares the statistics arrow-go decodes with the
// column's values.
func checkArrowStats(t *testing.T, rg *metadata.RowGroupMetaData, j int, c *parquet.ColumnData) {
	t.Helper()
	cc, err := rg.ColumnChunk(j)
	if err != nil {
		t.Fatal(err)
	}
	st, err := cc.Statistics()
	if err != nil || st == nil {
		t.Fatalf("column %v: arrow-go statistics: %v, %v", c.Path, st, err)
	}
	if st.NullCount() != int64(c.NumLevels-c.NumValues()) {
		t.Errorf("column %v: null count %d, want %d", c.Path, st.NullCount(), c.NumLevels-c.NumValues())
	}
	if c.NumValues() == 0 {
		if st.HasMinMax() {
			t.Errorf("column %v: all null but has min/max", c.Path)
		}
		return
	}
	switch s := st.(type) {
	case *metadata.Int64Statistics:
		if s.Min() != slices.Min(c.Int64s) || s.Max() != slices.Max(c.Int64s) {
			t.Errorf("column %v: min/max %d/%d, want %d/%d", c.Path, s.Min(), s.Max(), slices.Min(c.Int64s), slices.Max(c.Int64s))
		}
	case *metadata.Int32Statistics:
		if s.Min() != slices.Min(c.Int32s) || s.Max() != slices.Max(c.Int32s) {
			t.Errorf("column %v: min/max %d/%d, want %d/%d", c.Path, s.Min(), s.Max(), slices.Min(c.Int32s), slices.Max(c.Int32s))
		}
	case *metadata.Float64Statistics:
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, v := range c.Doubles {
			if v == v {
				lo, hi = min(lo, v), max(hi, v)
			}
		}
		if s.HasMinMax() && (s.Min() != lo || s.Max() != hi) {
			t.Errorf("column %v: min/max %v/%v, want %v/%v", c.Path, s.Min(), s.Max(), lo, hi)
		}
	case *metadata.ByteArrayStatistics:
		lo, hi := c.Bytes[c.Offsets[0]:c.Offsets[1]], c.Bytes[c.Offsets[0]:c.Offsets[1]]
		for i := 1; i < c.NumValues(); i++ {
			v := c.Bytes[c.Offsets[i]:c.Offsets[i+1]]
			if bytes.Compare(v, lo) < 0 {
				lo = v
			}
			if bytes.Compare(v, hi) > 0 {
				hi = v
			}
		}
		if !bytes.Equal(s.Min(), lo) || !bytes.Equal(s.Max(), hi) {
			t.Errorf("column %v: min/max %q/%q, want %q/%q", c.Path, s.Min(), s.Max(), lo, hi)
		}
	}
}

// TestArrowTable reads every file into an Arrow table and checks the
// logical types and row counts arrow-go derives from our schema.
func TestArrowTable(t *testing.T) {
	files := testFiles(t)
	for _, tf := range files[:4] {
		t.Run(tf.name, func(t *testing.T) {
			tbl, err := pqarrow.ReadTable(context.Background(), bytes.NewReader(tf.data), nil, pqarrow.ArrowReadProperties{}, memory.DefaultAllocator)
			if err != nil {
				t.Fatalf("pqarrow.ReadTable: %v", err)
			}
			defer tbl.Release()
			var rows int64
			for _, g := range tf.groups {
				rows += int64(g[0].NumLevels) // the first column is flat
			}
			if tbl.NumRows() != rows {
				t.Fatalf("arrow-go table has %d rows, want %d", tbl.NumRows(), rows)
			}
			sc := tbl.Schema()
			wantTypes := map[string]string{
				"ts_0":   "timestamp[us, tz=UTC]",
				"str_1":  "utf8",
				"bin_0":  "binary",
				"tags":   "list<element: utf8, nullable>",
				"ids":    "list<element: int64>",
				"matrix": "list<element: list<element: float64>, nullable>",
				"obj":    "struct<id: int64, inner: struct<name: utf8 nullable, score: float64> nullable>",
			}
			checkArrowTypes(t, sc, wantTypes)
			if f := sc.Field(sc.FieldIndices("json_0")[0]); f.Type.ID() != arrow.EXTENSION && f.Type.ID() != arrow.STRING && f.Type.ID() != arrow.BINARY {
				t.Errorf("json_0: arrow type %s", f.Type)
			}
		})
	}
}

// readParquetGoColumn reads one column chunk with parquet-go.
func readParquetGoColumn(t *testing.T, cc pgo.ColumnChunk, want *parquet.ColumnData) parquet.ColumnData {
	t.Helper()
	got := shell(want)
	pages := cc.Pages()
	defer pages.Close()
	buf := make([]pgo.Value, 256)
	for {
		p, err := pages.ReadPage()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("parquet-go ReadPage: %v", err)
		}
		vr := p.Values()
		for {
			n, err := vr.ReadValues(buf)
			for _, v := range buf[:n] {
				addLevels(&got, v.DefinitionLevel(), v.RepetitionLevel())
				if v.IsNull() {
					continue
				}
				switch want.Leaf.Type {
				case parquet.Boolean:
					got.Bools = append(got.Bools, v.Boolean())
				case parquet.Int32:
					got.Int32s = append(got.Int32s, v.Int32())
				case parquet.Int64:
					got.Int64s = append(got.Int64s, v.Int64())
				case parquet.Float:
					got.Floats = append(got.Floats, v.Float())
				case parquet.Double:
					got.Doubles = append(got.Doubles, v.Double())
				case parquet.ByteArray:
					addBytes(&got, v.ByteArray())
				}
			}
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("parquet-go ReadValues: %v", err)
			}
		}
		pgo.Release(p)
	}
	return got
}

func TestParquetGo(t *testing.T) {
	for _, tf := range testFiles(t) {
		t.Run(tf.name, func(t *testing.T) {
			f, err := pgo.OpenFile(bytes.NewReader(tf.data), int64(len(tf.data)))
			if err != nil {
				t.Fatalf("parquet-go OpenFile: %v", err)
			}
			rgs := f.RowGroups()
			if len(rgs) != len(tf.groups) {
				t.Fatalf("parquet-go sees %d row groups, want %d", len(rgs), len(tf.groups))
			}
			for i, want := range tf.groups {
				ccs := rgs[i].ColumnChunks()
				if len(ccs) != len(want) {
					t.Fatalf("row group %d: %d column chunks, want %d", i, len(ccs), len(want))
				}
				for j := range want {
					got := readParquetGoColumn(t, ccs[j], &want[j])
					if diff := cmp.Diff(want[j], got, cmpColumns); diff != "" {
						t.Fatalf("row group %d column %v differs (-ours +parquet-go):\n%s", i, want[j].Path, diff)
					}
				}
			}
		})
	}
}

// TestEncodingsCovered makes sure the files above exercise every encoding
// the writer has.
func TestEncodingsCovered(t *testing.T) {
	seen := map[parquet.Encoding]bool{}
	for _, tf := range testFiles(t) {
		f, err := parquet.OpenFile(bytes.NewReader(tf.data), int64(len(tf.data)))
		if err != nil {
			t.Fatal(err)
		}
		for _, rg := range f.RowGroups() {
			for _, c := range rg.Columns {
				for _, e := range c.Encodings {
					seen[e] = true
				}
			}
		}
	}
	for _, e := range []parquet.Encoding{parquet.EncPlain, parquet.EncRLE, parquet.EncRLEDictionary, parquet.EncDeltaBinaryPacked, parquet.EncByteStreamSplit, parquet.EncDeltaLengthBytes} {
		if !seen[e] {
			t.Errorf("no test file uses %v", e)
		}
	}
}
