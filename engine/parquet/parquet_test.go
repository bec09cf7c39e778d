package parquet

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// cmpColumns compares column data; whole-slice comparers keep large
// columns fast (cmp's element-wise walk is slow).
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
}

// writeFile writes the row groups with opts and returns the file bytes.
func writeFile(t testing.TB, schema *Node, opts WriterOptions, groups ...[]ColumnData) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := NewWriter(&buf, schema, opts)
	if err != nil {
		t.Fatalf("NewWriter: %v", err)
	}
	for i, g := range groups {
		if err := w.WriteRowGroup(g); err != nil {
			t.Fatalf("WriteRowGroup %d: %v", i, err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	return buf.Bytes()
}

// readAll opens a file and reads every row group.
func readAll(t testing.TB, data []byte) (*File, [][]ColumnData) {
	t.Helper()
	f, err := OpenFile(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatalf("OpenFile: %v", err)
	}
	var groups [][]ColumnData
	for i := range f.NumRowGroups() {
		cols, err := f.ReadRowGroup(i)
		if err != nil {
			t.Fatalf("ReadRowGroup %d: %v", i, err)
		}
		groups = append(groups, cols)
	}
	return f, groups
}

func checkRoundTrip(t *testing.T, schema *Node, opts WriterOptions, groups ...[]ColumnData) *File {
	t.Helper()
	data := writeFile(t, schema, opts, groups...)
	f, got := readAll(t, data)
	if diff := cmp.Diff(schema, f.Schema()); diff != "" {
		t.Fatalf("schema differs (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(groups, got, cmpColumns); diff != "" {
		t.Fatalf("columns differ (-want +got):\n%s", diff)
	}
	var rows int64
	for _, g := range groups {
		rows += rowsOf(g)
	}
	if f.NumRows() != rows {
		t.Fatalf("NumRows = %d, want %d", f.NumRows(), rows)
	}
	return f
}

func rowsOf(cols []ColumnData) int64 {
	c := cols[0]
	if c.MaxRep == 0 {
		return int64(c.NumLevels)
	}
	var n int64
	for _, r := range c.RepLevels {
		if r == 0 {
			n++
		}
	}
	return n
}

// makeGroups generates row groups of the given sizes.
func makeGroups(schema *Node, g *valueGen, sizes ...int) [][]ColumnData {
	s := newTestShredder(schema)
	var out [][]ColumnData
	for _, n := range sizes {
		for range n {
			s.row(schema, g.row(schema))
		}
		out = append(out, s.take())
	}
	return out
}

var optionSets = []struct {
	name string
	opts WriterOptions
}{
	{"plain-v1", WriterOptions{}},
	{"v2", WriterOptions{DataPageV2: true}},
	{"snappy", WriterOptions{Compression: Snappy}},
	{"snappy-v2", WriterOptions{Compression: Snappy, DataPageV2: true}},
	{"zstd", WriterOptions{Compression: Zstd}},
	{"zstd9-v2", WriterOptions{Compression: Zstd, ZstdLevel: 9, DataPageV2: true}},
	{"nodict-small-pages", WriterOptions{DictionaryLimit: -1, PageSize: 512}},
	{"tiny-dict-zstd", WriterOptions{DictionaryLimit: 64, PageSize: 2048, Compression: Zstd}},
	{"zstd-serial", WriterOptions{Compression: Zstd, Concurrency: 1, PageSize: 1024}},
	{"snappy-4-workers-v2", WriterOptions{Compression: Snappy, Concurrency: 4, PageSize: 1024, DataPageV2: true}},
}

func TestRoundTripRandomSchemas(t *testing.T) {
	seeds := 40
	if testing.Short() {
		seeds = 8
	}
	for seed := range seeds {
		rng := rand.New(rand.NewPCG(uint64(seed), 7))
		schema := randomSchema(rng, 4, 3)
		for k, os := range optionSets {
			if testing.Short() && k%2 == 1 {
				continue
			}
			t.Run(fmt.Sprintf("seed%d/%s", seed, os.name), func(t *testing.T) {
				g := &valueGen{rng: rand.New(rand.NewPCG(uint64(seed), uint64(k))), nullRate: 0.2}
				if seed%2 == 0 {
					g.card = 5
				}
				checkRoundTrip(t, schema, os.opts, makeGroups(schema, g, 0, 1, 300, 57)...)
			})
		}
	}
}

// allTypes is a flat schema with every physical and logical type in every
// repetition, plus a nested group and lists.
func allTypesSchema() *Node {
	root := &Node{Name: "all"}
	types := []Node{
		{Name: "bool", Type: Boolean}, {Name: "i32", Type: Int32}, {Name: "i64", Type: Int64},
		{Name: "ts", Type: Int64, Logical: TimestampMicros}, {Name: "f32", Type: Float},
		{Name: "f64", Type: Double}, {Name: "bin", Type: ByteArray},
		{Name: "str", Type: ByteArray, Logical: String}, {Name: "json", Type: ByteArray, Logical: JSON},
	}
	for _, rep := range []Repetition{Required, Optional, Repeated} {
		for _, ty := range types {
			n := ty
			n.Name = fmt.Sprintf("%s_%d", ty.Name, rep)
			n.Repetition = rep
			root.Children = append(root.Children, &n)
		}
	}
	root.Children = append(root.Children,
		&Node{Name: "obj", Repetition: Optional, Children: []*Node{
			{Name: "id", Repetition: Required, Type: Int64},
			{Name: "inner", Repetition: Optional, Children: []*Node{
				{Name: "name", Repetition: Optional, Type: ByteArray, Logical: String},
			}},
		}},
		&Node{Name: "tags", Repetition: Optional, Logical: List, Children: []*Node{
			{Name: "list", Repetition: Repeated, Children: []*Node{
				{Name: "element", Repetition: Optional, Type: ByteArray, Logical: String},
			}},
		}},
		&Node{Name: "matrix", Repetition: Required, Logical: List, Children: []*Node{
			{Name: "list", Repetition: Repeated, Children: []*Node{
				{Name: "element", Repetition: Optional, Logical: List, Children: []*Node{
					{Name: "list", Repetition: Repeated, Children: []*Node{
						{Name: "element", Repetition: Required, Type: Double},
					}},
				}},
			}},
		}},
	)
	return root
}

func TestRoundTripAllTypes(t *testing.T) {
	schema := allTypesSchema()
	for k, os := range optionSets {
		for _, card := range []int{0, 3} {
			t.Run(fmt.Sprintf("%s/card%d", os.name, card), func(t *testing.T) {
				g := &valueGen{rng: rand.New(rand.NewPCG(uint64(k), 1)), nullRate: 0.1, card: card}
				checkRoundTrip(t, schema, os.opts, makeGroups(schema, g, 1, 2000, 0, 10)...)
			})
		}
	}
}

func TestRoundTripNullsAndEmptyLists(t *testing.T) {
	schema := allTypesSchema()
	for _, os := range optionSets {
		t.Run(os.name, func(t *testing.T) {
			// every optional value null and every list empty
			g := &valueGen{rng: rand.New(rand.NewPCG(3, 3)), nullRate: 1}
			groups := makeGroups(schema, g, 100)
			f := checkRoundTrip(t, schema, os.opts, groups...)
			for _, c := range f.RowGroups()[0].Columns {
				st := c.Statistics
				if st == nil || !st.HasNullCount {
					t.Fatalf("%v: no statistics", c.Path)
				}
			}
		})
	}
}

// TestListLevels checks hand-written rows with empty lists, null lists and
// null elements against the levels the Parquet spec prescribes.
func TestListLevels(t *testing.T) {
	schema := &Node{Name: "s", Children: []*Node{
		{Name: "tags", Repetition: Optional, Logical: List, Children: []*Node{
			{Name: "list", Repetition: Repeated, Children: []*Node{
				{Name: "element", Repetition: Optional, Type: Int32},
			}},
		}},
	}}
	el := func(v ...any) []any {
		out := []any{}
		for _, x := range v {
			out = append(out, []any{x})
		}
		return out
	}
	rows := [][]any{
		{nil},                                // null list
		{[]any{el()}},                        // empty list
		{[]any{el(int32(1), nil, int32(2))}}, // elements, one null
		{[]any{el(int32(3))}},
	}
	s := newTestShredder(schema)
	for _, r := range rows {
		s.row(schema, r)
	}
	cols := s.take()
	want := ColumnData{Path: []string{"tags", "list", "element"}, Leaf: schema.Children[0].Children[0].Children[0],
		MaxDef: 3, MaxRep: 1, NumLevels: 6,
		DefLevels: []uint8{0, 1, 3, 2, 3, 3}, RepLevels: []uint8{0, 0, 0, 1, 1, 0}, Int32s: []int32{1, 2, 3}}
	if diff := cmp.Diff(want, cols[0], cmpColumns); diff != "" {
		t.Fatalf("shredded levels differ (-want +got):\n%s", diff)
	}
	for _, os := range optionSets {
		t.Run(os.name, func(t *testing.T) { checkRoundTrip(t, schema, os.opts, cols) })
	}
}

func flatSchema(leaves ...*Node) *Node { return &Node{Name: "s", Children: leaves} }

func TestEncodingChoice(t *testing.T) {
	const n = 20000
	ids := make([]int64, n)
	low := make([]int64, n)
	ts := make([]int64, n)
	dbl := make([]float64, n)
	var strs, uniq ColumnData
	for i := range n {
		ids[i] = int64(i) * 3
		low[i] = int64(i % 7)
		ts[i] = 1_700_000_000_000_000 + int64(i)*1000
		dbl[i] = float64(i%1000) * 1.25
		strs.Bytes = append(strs.Bytes, fmt.Sprintf("city-%d", i%13)...)
		strs.Offsets = append(strs.Offsets, int32(len(strs.Bytes)))
		uniq.Bytes = append(uniq.Bytes, fmt.Sprintf("user-%08d-%x", i, i*7919)...)
		uniq.Offsets = append(uniq.Offsets, int32(len(uniq.Bytes)))
	}
	strs.Offsets = append([]int32{0}, strs.Offsets...)
	uniq.Offsets = append([]int32{0}, uniq.Offsets...)
	schema := flatSchema(
		&Node{Name: "id", Type: Int64},
		&Node{Name: "low", Type: Int64},
		&Node{Name: "ts", Type: Int64, Logical: TimestampMicros},
		&Node{Name: "dbl", Type: Double},
		&Node{Name: "city", Type: ByteArray, Logical: String},
		&Node{Name: "user", Type: ByteArray, Logical: String},
		&Node{Name: "flag", Type: Boolean},
	)
	bools := make([]bool, n)
	for i := range bools {
		bools[i] = i%100 < 3
	}
	cols := []ColumnData{
		{Int64s: ids}, {Int64s: low}, {Int64s: ts}, {Doubles: dbl},
		{Bytes: strs.Bytes, Offsets: strs.Offsets}, {Bytes: uniq.Bytes, Offsets: uniq.Offsets}, {Bools: bools},
	}
	for i := range cols {
		cols[i].Path = []string{schema.Children[i].Name}
		cols[i].Leaf = schema.Children[i]
		cols[i].NumLevels = n
	}
	tests := []struct {
		name string
		opts WriterOptions
		want map[string]Encoding
	}{
		{"default", WriterOptions{}, map[string]Encoding{
			"id": EncDeltaBinaryPacked, "low": EncRLEDictionary, "ts": EncDeltaBinaryPacked,
			"dbl": EncRLEDictionary, "city": EncRLEDictionary, "user": EncDeltaLengthBytes, "flag": EncPlain,
		}},
		{"fallback", WriterOptions{DictionaryLimit: 64, Compression: Zstd}, map[string]Encoding{
			"id": EncDeltaBinaryPacked, "low": EncRLEDictionary, "ts": EncDeltaBinaryPacked,
			"dbl": EncByteStreamSplit, "city": EncDeltaLengthBytes, "user": EncDeltaLengthBytes, "flag": EncPlain,
		}},
		{"nodict", WriterOptions{DictionaryLimit: -1}, map[string]Encoding{
			"id": EncDeltaBinaryPacked, "low": EncDeltaBinaryPacked, "ts": EncDeltaBinaryPacked,
			"dbl": EncPlain, "city": EncDeltaLengthBytes, "user": EncDeltaLengthBytes, "flag": EncPlain,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := checkRoundTrip(t, schema, tt.opts, cols)
			got := map[string]Encoding{}
			for _, c := range f.RowGroups()[0].Columns {
				// the value encoding is the last one listed
				got[c.Path[0]] = c.Encodings[len(c.Encodings)-1]
				if c.HasDictionary != (got[c.Path[0]] == EncRLEDictionary) {
					t.Errorf("%s: HasDictionary %v with encodings %v", c.Path[0], c.HasDictionary, c.Encodings)
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("encodings differ (-want +got):\n%s", diff)
			}
		})
	}
}

// pagesOf counts the data pages of every column chunk of row group 0.
func pagesOf(t *testing.T, data []byte, f *File) []int {
	t.Helper()
	var out []int
	for _, cc := range f.meta.rowGroups[0].columns {
		m := cc.meta
		pos := m.chunkStart()
		end := pos + m.compressedSize
		pages := 0
		for pos < end {
			var h pageHeader
			hl, err := decodePageHeader(data[pos:], &h)
			if err != nil {
				t.Fatalf("page header at %d: %v", pos, err)
			}
			if h.typ == pageData || h.typ == pageDataV2 {
				pages++
			}
			pos += int64(hl) + int64(h.compressedSize)
		}
		out = append(out, pages)
	}
	return out
}

func TestPagesSplitAtRowBoundaries(t *testing.T) {
	schema := allTypesSchema()
	g := &valueGen{rng: rand.New(rand.NewPCG(9, 9)), nullRate: 0.1}
	groups := makeGroups(schema, g, 5000)
	for _, v2 := range []bool{false, true} {
		opts := WriterOptions{PageSize: 4096, DataPageV2: v2, Compression: Snappy}
		data := writeFile(t, schema, opts, groups...)
		f, got := readAll(t, data)
		if diff := cmp.Diff(groups, got, cmpColumns); diff != "" {
			t.Fatalf("columns differ (-want +got):\n%s", diff)
		}
		pages := pagesOf(t, data, f)
		if slices.Max(pages) < 5 {
			t.Fatalf("v2=%v: pages per column %v, want several", v2, pages)
		}
		if v2 {
			// every v2 page header counts whole rows: the sums match
			for j, cc := range f.meta.rowGroups[0].columns {
				pos, end := cc.meta.chunkStart(), cc.meta.chunkStart()+cc.meta.compressedSize
				var rows int64
				for pos < end {
					var h pageHeader
					hl, _ := decodePageHeader(data[pos:], &h)
					if h.dataV2 != nil {
						rows += int64(h.dataV2.numRows)
					}
					pos += int64(hl) + int64(h.compressedSize)
				}
				if rows != 5000 {
					t.Fatalf("column %d: v2 pages count %d rows, want 5000", j, rows)
				}
			}
		}
	}
}

func TestStatistics(t *testing.T) {
	negZero := math.Copysign(0, -1)
	le := binary.LittleEndian
	f64 := func(v float64) []byte { return le.AppendUint64(nil, math.Float64bits(v)) }
	f32 := func(v float32) []byte { return le.AppendUint32(nil, math.Float32bits(v)) }
	i32 := func(v int32) []byte { return le.AppendUint32(nil, uint32(v)) }
	i64 := func(v int64) []byte { return le.AppendUint64(nil, uint64(v)) }
	tests := []struct {
		name string
		leaf Node
		col  ColumnData
		defs []uint8
		want Statistics
	}{
		{"int32", Node{Type: Int32}, ColumnData{Int32s: []int32{5, -3, 9}}, nil,
			Statistics{Min: i32(-3), Max: i32(9), HasNullCount: true}},
		{"int64 nulls", Node{Type: Int64, Repetition: Optional}, ColumnData{Int64s: []int64{-1 << 40, 7}}, []uint8{1, 0, 1, 0},
			Statistics{Min: i64(-1 << 40), Max: i64(7), NullCount: 2, HasNullCount: true}},
		{"double zeros and NaN", Node{Type: Double}, ColumnData{Doubles: []float64{math.NaN(), 0, 0}}, nil,
			Statistics{Min: f64(negZero), Max: f64(0), HasNullCount: true}},
		{"double negative zero max", Node{Type: Double}, ColumnData{Doubles: []float64{-2, negZero}}, nil,
			Statistics{Min: f64(-2), Max: f64(0), HasNullCount: true}},
		{"float all NaN", Node{Type: Float}, ColumnData{Floats: []float32{float32(math.NaN())}}, nil,
			Statistics{HasNullCount: true}},
		{"float", Node{Type: Float}, ColumnData{Floats: []float32{1.5, -0.25, float32(math.Inf(1))}}, nil,
			Statistics{Min: f32(-0.25), Max: f32(float32(math.Inf(1))), HasNullCount: true}},
		{"bytes unsigned", Node{Type: ByteArray}, ColumnData{Bytes: []byte("b\xffa"), Offsets: []int32{0, 1, 2, 3}}, nil,
			Statistics{Min: []byte("a"), Max: []byte{0xff}, HasNullCount: true}},
		{"bool", Node{Type: Boolean}, ColumnData{Bools: []bool{true, true}}, nil,
			Statistics{Min: []byte{1}, Max: []byte{1}, HasNullCount: true}},
		{"all null", Node{Type: ByteArray, Logical: String, Repetition: Optional}, ColumnData{}, []uint8{0, 0, 0},
			Statistics{NullCount: 3, HasNullCount: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			leaf := tt.leaf
			leaf.Name = "c"
			schema := flatSchema(&leaf)
			c := tt.col
			c.Path, c.Leaf = []string{"c"}, &leaf
			if tt.defs != nil {
				c.MaxDef, c.DefLevels, c.NumLevels = 1, tt.defs, len(tt.defs)
			} else {
				c.NumLevels = c.NumValues()
			}
			f := checkRoundTrip(t, schema, WriterOptions{}, []ColumnData{c})
			got := f.RowGroups()[0].Columns[0].Statistics
			if diff := cmp.Diff(&tt.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Fatalf("statistics differ (-want +got):\n%s", diff)
			}
		})
	}
}

func TestWriteRowGroupValidation(t *testing.T) {
	schema := &Node{Name: "s", Children: []*Node{
		{Name: "a", Repetition: Optional, Type: Int64},
		{Name: "l", Repetition: Repeated, Type: ByteArray},
	}}
	good := func() []ColumnData {
		return []ColumnData{
			{Path: []string{"a"}, Leaf: schema.Children[0], MaxDef: 1, NumLevels: 2, DefLevels: []uint8{1, 0}, Int64s: []int64{4}},
			{Path: []string{"l"}, Leaf: schema.Children[1], MaxDef: 1, MaxRep: 1, NumLevels: 3,
				DefLevels: []uint8{1, 1, 0}, RepLevels: []uint8{0, 1, 0}, Bytes: []byte("xy"), Offsets: []int32{0, 1, 2}},
		}
	}
	tests := []struct {
		name   string
		mutate func(c []ColumnData) []ColumnData
		want   string
	}{
		{"too few columns", func(c []ColumnData) []ColumnData { return c[:1] }, "1 columns for a schema of 2 leaves"},
		{"wrong path", func(c []ColumnData) []ColumnData { c[0].Path = []string{"b"}; return c }, `column a: invalid column data: got column "b"`},
		{"def too high", func(c []ColumnData) []ColumnData { c[0].DefLevels[1] = 2; return c }, "column a: invalid column data: definition level 2 at entry 1 exceeds 1"},
		{"values count", func(c []ColumnData) []ColumnData { c[0].Int64s = nil; return c }, "column a: invalid column data: 0 values for 1 definition levels"},
		{"levels length", func(c []ColumnData) []ColumnData { c[0].NumLevels = 3; return c }, "column a: invalid column data: 2 definition levels for NumLevels 3"},
		{"first rep", func(c []ColumnData) []ColumnData { c[1].RepLevels[0] = 1; return c }, "column l: invalid column data: first repetition level is 1"},
		{"continue absent list", func(c []ColumnData) []ColumnData { c[1].RepLevels[2] = 1; return c }, "column l: invalid column data: repetition level 1 at entry 2 continues a list that is absent"},
		{"offsets decrease", func(c []ColumnData) []ColumnData { c[1].Offsets = []int32{0, 2, 1}; return c }, "column l: invalid column data: offsets decrease at value 2"},
		{"offsets past bytes", func(c []ColumnData) []ColumnData { c[1].Offsets = []int32{0, 1, 3}; return c }, "column l: invalid column data: last offset 3 beyond the 2 bytes"},
		{"row counts differ", func(c []ColumnData) []ColumnData {
			c[1].RepLevels = []uint8{0, 0, 0}
			return c
		}, "column l: invalid column data: 3 rows, column a has 2"},
		{"max def", func(c []ColumnData) []ColumnData { c[0].MaxDef = 0; return c }, "MaxDef/MaxRep 0/0, schema says 1/0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			w, err := NewWriter(&buf, schema, WriterOptions{})
			if err != nil {
				t.Fatal(err)
			}
			err = w.WriteRowGroup(tt.mutate(good()))
			if err == nil || !strings.Contains(err.Error(), tt.want) || !errors.Is(err, ErrInvalidColumn) {
				t.Fatalf("error %v, want one containing %q and wrapping ErrInvalidColumn", err, tt.want)
			}
			// the writer stays usable and the file holds only good groups
			if err := w.WriteRowGroup(good()); err != nil {
				t.Fatalf("good row group after a bad one: %v", err)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			_, groups := readAll(t, buf.Bytes())
			if diff := cmp.Diff([][]ColumnData{good()}, groups, cmpColumns); diff != "" {
				t.Fatalf("file differs (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSchemaErrors(t *testing.T) {
	tests := []struct {
		name   string
		schema *Node
		want   string
	}{
		{"nil", nil, "root must be a group"},
		{"leaf root", &Node{Name: "x", Type: Int32}, "root must be a group"},
		{"bad type", flatSchema(&Node{Name: "a", Type: 42}), "a: invalid physical type 42"},
		{"string on int", flatSchema(&Node{Name: "a", Type: Int32, Logical: String}), "a: String and JSON need ByteArray"},
		{"ts on int32", flatSchema(&Node{Name: "a", Type: Int32, Logical: TimestampMicros}), "a: TimestampMicros needs Int64"},
		{"bad list", flatSchema(&Node{Name: "l", Logical: List, Children: []*Node{{Name: "x", Type: Int32}}}), "l: a List group needs"},
		{"empty group", flatSchema(&Node{Name: "g", Children: []*Node{}}), "g: a group needs at least one child"},
		{"duplicate", flatSchema(&Node{Name: "a", Type: Int32}, &Node{Name: "a", Type: Int64}), `duplicate child "a"`},
		{"empty name", flatSchema(&Node{Type: Int32}), "empty name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewWriter(&bytes.Buffer{}, tt.schema, WriterOptions{})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestFooterMetadata(t *testing.T) {
	schema := flatSchema(&Node{Name: "a", Type: Int32})
	c := []ColumnData{{Path: []string{"a"}, Leaf: schema.Children[0], NumLevels: 1, Int32s: []int32{1}}}
	data := writeFile(t, schema, WriterOptions{KeyValueMetadata: []KeyValue{{"k", "v"}}}, c)
	f, _ := readAll(t, data)
	if f.CreatedBy() != DefaultCreatedBy {
		t.Errorf("CreatedBy = %q", f.CreatedBy())
	}
	if diff := cmp.Diff([]KeyValue{{"k", "v"}}, f.KeyValueMetadata()); diff != "" {
		t.Errorf("key/value metadata differ:\n%s", diff)
	}
}

// TestStreaming checks that each row group reaches the io.Writer when
// WriteRowGroup returns, before Close.
func TestStreaming(t *testing.T) {
	schema := allTypesSchema()
	g := &valueGen{rng: rand.New(rand.NewPCG(1, 2)), nullRate: 0.1}
	groups := makeGroups(schema, g, 100, 100)
	var buf bytes.Buffer
	w, err := NewWriter(&buf, schema, WriterOptions{Compression: Zstd})
	if err != nil {
		t.Fatal(err)
	}
	if buf.Len() != 4 {
		t.Fatalf("after NewWriter %d bytes written, want the 4 magic bytes", buf.Len())
	}
	prev := buf.Len()
	for _, grp := range groups {
		if err := w.WriteRowGroup(grp); err != nil {
			t.Fatal(err)
		}
		if buf.Len() <= prev {
			t.Fatalf("row group not written out before Close (%d bytes)", buf.Len())
		}
		prev = buf.Len()
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	// Reset reuses the writer for a second, identical file
	var buf2 bytes.Buffer
	if err := w.Reset(&buf2); err != nil {
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
	if !bytes.Equal(buf.Bytes(), buf2.Bytes()) {
		t.Fatalf("file after Reset differs from the first")
	}
}

type failWriter struct{ after int }

func (f *failWriter) Write(p []byte) (int, error) {
	if f.after < len(p) {
		return 0, errors.New("disk full")
	}
	f.after -= len(p)
	return len(p), nil
}

func TestWriteErrorIsSticky(t *testing.T) {
	schema := flatSchema(&Node{Name: "a", Type: Int32})
	c := []ColumnData{{Path: []string{"a"}, Leaf: schema.Children[0], NumLevels: 1, Int32s: []int32{1}}}
	w, err := NewWriter(&failWriter{after: 4}, schema, WriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.WriteRowGroup(c); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("WriteRowGroup error %v, want disk full", err)
	}
	if err := w.Close(); err == nil {
		t.Fatal("Close after a write error succeeded")
	}
}

func TestCorruptFiles(t *testing.T) {
	schema := allTypesSchema()
	g := &valueGen{rng: rand.New(rand.NewPCG(5, 5)), nullRate: 0.1, card: 4}
	groups := makeGroups(schema, g, 200)
	for _, os := range optionSets[:5] {
		data := writeFile(t, schema, os.opts, groups...)
		rng := rand.New(rand.NewPCG(1, 1))
		for trial := range 300 {
			bad := slices.Clone(data)
			switch trial % 3 {
			case 0:
				bad = bad[:rng.IntN(len(bad))]
			case 1:
				for range 1 + rng.IntN(4) {
					bad[4+rng.IntN(len(bad)-12)] ^= byte(1 + rng.IntN(255))
				}
			case 2:
				i := rng.IntN(len(bad) - 12)
				bad = slices.Delete(bad, i, i+1+rng.IntN(8))
			}
			readCorrupt(bad) // must not panic; errors are expected
		}
	}
}

// readCorrupt opens and reads a possibly corrupt file, returning the first
// error.
func readCorrupt(data []byte) error {
	f, err := OpenFile(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return err
	}
	for i := range f.NumRowGroups() {
		if _, err := f.ReadRowGroup(i); err != nil {
			return err
		}
	}
	return nil
}

func TestCorruptErrorsNameThePlace(t *testing.T) {
	schema := flatSchema(&Node{Name: "a", Type: Int64})
	c := []ColumnData{{Path: []string{"a"}, Leaf: schema.Children[0], NumLevels: 3, Int64s: []int64{1, 2, 3}}}
	data := writeFile(t, schema, WriterOptions{}, c)
	// break the page header's first byte (the page type field)
	bad := slices.Clone(data)
	bad[4] = 0xff
	err := readCorrupt(bad)
	if err == nil || !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "column a, page 0 at offset 4") {
		t.Fatalf("error %v, want ErrCorrupt naming column a, page 0 at offset 4", err)
	}
	err = readCorrupt(data[:len(data)-1])
	if err == nil || !errors.Is(err, ErrCorrupt) {
		t.Fatalf("truncated file: error %v, want ErrCorrupt", err)
	}
}

// TestReadRLEBooleans checks the reader on RLE-encoded booleans, which
// other writers emit (this one writes PLAIN booleans).
func TestReadRLEBooleans(t *testing.T) {
	want := []bool{true, true, true, true, true, true, true, true, true, false, true, false}
	var h hybridEncoder
	data := h.appendLevels([]byte{0, 0, 0, 0}, asU8(want), 1)
	binary.LittleEndian.PutUint32(data, uint32(len(data)-4))
	node := &Node{Name: "b", Type: Boolean}
	cr := &chunkReader{leaf: &leaf{node: node}}
	cd := ColumnData{Leaf: node}
	if err := cr.decodeValues(&cd, EncRLE, data, len(want)); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, cd.Bools); diff != "" {
		t.Fatalf("booleans differ:\n%s", diff)
	}
	if err := cr.decodeValues(&cd, EncRLE, data[:len(data)-1], len(want)); err == nil {
		t.Fatal("truncated RLE booleans decoded without error")
	}
}

// TestConcurrencyDoesNotChangeBytes checks that compressing pages on
// several goroutines writes the same file as compressing them in order.
func TestConcurrencyDoesNotChangeBytes(t *testing.T) {
	schema := allTypesSchema()
	g := &valueGen{rng: rand.New(rand.NewPCG(4, 4)), nullRate: 0.1}
	groups := makeGroups(schema, g, 3000, 10)
	for _, c := range []Compression{Snappy, Zstd} {
		serial := writeFile(t, schema, WriterOptions{Compression: c, Concurrency: 1, PageSize: 2048}, groups...)
		parallel := writeFile(t, schema, WriterOptions{Compression: c, Concurrency: 3, PageSize: 2048}, groups...)
		if !bytes.Equal(serial, parallel) {
			t.Fatalf("%v: files written with 1 and 3 goroutines differ", c)
		}
	}
}

// TestSteadyStateAllocations checks that a writer reused with Reset
// allocates per column chunk and page, never per row: 100 times the rows
// add (almost) no allocation.
func TestSteadyStateAllocations(t *testing.T) {
	if testing.Short() {
		t.Skip("allocation counts are not meaningful under -race; slow under qemu")
	}
	schema := allTypesSchema()
	counts := map[int]float64{}
	for _, rows := range []int{2000, 200000} {
		g := &valueGen{rng: rand.New(rand.NewPCG(8, 8)), nullRate: 0.1, card: 50}
		groups := makeGroups(schema, g, rows)
		for _, opts := range []WriterOptions{{Compression: Zstd, Concurrency: 1}, {Compression: Snappy, Concurrency: 1, DataPageV2: true}} {
			w, err := NewWriter(io.Discard, schema, opts)
			if err != nil {
				t.Fatal(err)
			}
			write := func() {
				if err := w.Reset(io.Discard); err != nil {
					t.Fatal(err)
				}
				if err := w.WriteRowGroup(groups[0]); err != nil {
					t.Fatal(err)
				}
				if err := w.Close(); err != nil {
					t.Fatal(err)
				}
			}
			write() // warm the buffers
			counts[rows] += testing.AllocsPerRun(3, write)
		}
	}
	if counts[200000]-counts[2000] > 198000/10000 {
		t.Fatalf("allocations grow with rows: %v per file for 2,000 rows, %v for 200,000", counts[2000], counts[200000])
	}
	t.Logf("allocations per file (both option sets, %d columns): %v", len(newTestShredder(schema).cols), counts)
}
