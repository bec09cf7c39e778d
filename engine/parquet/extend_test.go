package parquet

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// extendSchemas returns a schema and a larger one: a field added to a
// group the first has (obj.y), inside a list of groups (items.b) and at
// the top (n, tags).
func extendSchemas() (small, large *Node) {
	mk := func(grown bool) *Node {
		obj := &Node{Name: "obj", Repetition: Optional, Children: []*Node{
			{Name: "x", Repetition: Optional, Type: ByteArray, Logical: String},
		}}
		elem := &Node{Name: "element", Repetition: Optional, Children: []*Node{
			{Name: "a", Repetition: Optional, Type: Int64},
		}}
		root := &Node{Name: "s", Children: []*Node{
			{Name: "id", Repetition: Required, Type: Int64},
			obj,
			{Name: "items", Repetition: Optional, Logical: List, Children: []*Node{
				{Name: "list", Repetition: Repeated, Children: []*Node{elem}},
			}},
		}}
		if grown {
			obj.Children = append(obj.Children, &Node{Name: "y", Repetition: Optional, Type: Int64})
			elem.Children = append(elem.Children, &Node{Name: "b", Repetition: Optional, Type: Double})
			root.Children = slices.Insert(root.Children, 1, &Node{Name: "n", Repetition: Optional, Type: Double})
			root.Children = append(root.Children, &Node{Name: "tags", Repetition: Optional, Logical: List, Children: []*Node{
				{Name: "list", Repetition: Repeated, Children: []*Node{
					{Name: "element", Repetition: Optional, Type: ByteArray, Logical: String},
				}},
			}})
		}
		return root
	}
	return mk(false), mk(true)
}

// extendRows shreds rows of the large schema; with old, the added fields
// are null.
func extendRows(large *Node, rng *rand.Rand, rows int, old bool) []ColumnData {
	s := newTestShredder(large)
	for i := range rows {
		var obj, items any
		if rng.IntN(4) > 0 {
			var y any
			if !old && rng.IntN(2) == 0 {
				y = int64(i)
			}
			var x any
			if rng.IntN(3) > 0 {
				x = []byte("x")
			}
			obj = []any{x, y}
		}
		if k := rng.IntN(4); k > 0 {
			var list []any
			for j := range k - 1 { // k-1 elements: some lists empty
				var b any
				if !old && j%2 == 0 {
					b = float64(j) / 2
				}
				var elem any = []any{int64(j), b}
				if j == 2 {
					elem = nil
				}
				list = append(list, []any{elem}) // the repeated group holds the element
			}
			items = []any{list}
		}
		var n, tags any
		if !old {
			n = float64(i)
			tags = []any{[]any{[]any{[]byte("t")}}}
		}
		s.row(large, []any{int64(i), n, obj, items, tags})
	}
	return s.take()
}

// only keeps the columns of cols whose paths are leaves of schema.
func only(cols []ColumnData, schema *Node) []ColumnData {
	_, leaves, _ := flattenSchema(schema)
	var out []ColumnData
	for _, l := range leaves {
		for _, c := range cols {
			if slices.Equal(c.Path, l.path) {
				c.Leaf = l.node
				out = append(out, c)
			}
		}
	}
	return out
}

func TestExtend(t *testing.T) {
	small, large := extendSchemas()
	for _, os := range optionSets {
		t.Run(os.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(7, 7))
			early := [][]ColumnData{extendRows(large, rng, 300, true), extendRows(large, rng, 1, true)}
			late := extendRows(large, rng, 200, false)
			var buf bytes.Buffer
			w, err := NewWriter(&buf, small, os.opts)
			if err != nil {
				t.Fatal(err)
			}
			for _, g := range early {
				if err := w.WriteRowGroup(only(g, small)); err != nil {
					t.Fatal(err)
				}
			}
			if err := w.Extend(large); err != nil {
				t.Fatalf("Extend: %v", err)
			}
			if err := w.WriteRowGroup(late); err != nil {
				t.Fatal(err)
			}
			// The added fields of existing groups need their rows' shape;
			// the new top-level fields are all null, Close writes them.
			for g := range early {
				var fill []ColumnData
				for _, c := range early[g] {
					if p := strings.Join(c.Path, "."); p == "obj.y" || p == "items.list.element.b" {
						fill = append(fill, c)
					}
				}
				if err := w.Backfill(g, fill); err != nil {
					t.Fatalf("Backfill %d: %v", g, err)
				}
			}
			if err := w.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
			f, got := readAll(t, buf.Bytes())
			if diff := cmp.Diff(large, f.Schema()); diff != "" {
				t.Fatalf("schema read back (-want +got):\n%s", diff)
			}
			want := append(slices.Clone(early), late)
			if diff := cmp.Diff(want, got, cmpColumns); diff != "" {
				t.Fatalf("columns read back (-want +got):\n%s", diff)
			}
			for g, rg := range f.RowGroups() {
				for _, c := range rg.Columns {
					if c.Statistics == nil || !c.Statistics.HasNullCount {
						t.Fatalf("row group %d column %v: no statistics", g, c.Path)
					}
				}
			}
		})
	}
}

func TestExtendErrors(t *testing.T) {
	small, large := extendSchemas()
	rng := rand.New(rand.NewPCG(8, 8))
	early := extendRows(large, rng, 50, true)
	start := func(t *testing.T) *Writer {
		t.Helper()
		w, err := NewWriter(&bytes.Buffer{}, small, WriterOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if err := w.WriteRowGroup(only(early, small)); err != nil {
			t.Fatal(err)
		}
		return w
	}
	t.Run("schema lacks a column", func(t *testing.T) {
		w := start(t)
		less := &Node{Name: "s", Children: []*Node{{Name: "id", Repetition: Required, Type: Int64}}}
		if err := w.Extend(less); err == nil || !strings.Contains(err.Error(), "obj.x") {
			t.Fatalf("Extend to a schema without obj.x: %v", err)
		}
	})
	t.Run("type changes", func(t *testing.T) {
		w := start(t)
		_, other := extendSchemas()
		other.Children[0] = &Node{Name: "id", Repetition: Optional, Type: Int64}
		if err := w.Extend(other); err == nil || !strings.Contains(err.Error(), "id") {
			t.Fatalf("Extend making id optional: %v", err)
		}
	})
	t.Run("nested field not backfilled", func(t *testing.T) {
		w := start(t)
		if err := w.Extend(large); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); !errors.Is(err, ErrInvalidColumn) || !strings.Contains(err.Error(), "obj.y") {
			t.Fatalf("Close without obj.y for row group 0: %v", err)
		}
	})
	t.Run("bad backfills", func(t *testing.T) {
		w := start(t)
		if err := w.Extend(large); err != nil {
			t.Fatal(err)
		}
		var y, x ColumnData
		for _, c := range early {
			switch strings.Join(c.Path, ".") {
			case "obj.y":
				y = c
			case "obj.x":
				x = c
			}
		}
		if err := w.Backfill(1, []ColumnData{y}); err == nil {
			t.Fatal("Backfill of a row group not written: no error")
		}
		if err := w.Backfill(0, []ColumnData{x}); !errors.Is(err, ErrInvalidColumn) {
			t.Fatalf("Backfill of a column the row group has: %v", err)
		}
		short := y
		short.NumLevels, short.DefLevels = 10, y.DefLevels[:10]
		if err := w.Backfill(0, []ColumnData{short}); !errors.Is(err, ErrInvalidColumn) {
			t.Fatalf("Backfill with 10 of 50 rows: %v", err)
		}
	})
}

// TestDictionaryKeepsCompression: a chunk whose dictionary indices do not
// shrink under zstd but whose dictionary of text does stays compressed.
func TestDictionaryKeepsCompression(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	words := []string{"alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel"}
	var distinct [][]byte
	for range 3000 {
		distinct = append(distinct, []byte("https://"+words[rng.IntN(8)]+words[rng.IntN(8)]+".example/"+words[rng.IntN(8)]+"/"+words[rng.IntN(8)]))
	}
	leaf := &Node{Name: "url", Repetition: Required, Type: ByteArray, Logical: String}
	schema := flatSchema(leaf)
	c := ColumnData{Path: []string{"url"}, Leaf: leaf, Offsets: []int32{0}}
	for range 20000 {
		c.Bytes = append(c.Bytes, distinct[rng.IntN(len(distinct))]...)
		c.Offsets = append(c.Offsets, int32(len(c.Bytes)))
		c.NumLevels++
	}
	data := writeFile(t, schema, WriterOptions{Compression: Zstd}, []ColumnData{c})
	f, _ := readAll(t, data)
	got := f.RowGroups()[0].Columns[0]
	if !got.HasDictionary || got.Compression != Zstd {
		t.Fatalf("chunk: dictionary %v, compression %v; want a zstd-compressed dictionary", got.HasDictionary, got.Compression)
	}
}
