package interop

import (
	"fmt"
	"github.com/evodb/writer/engine/parquet"
	"math"
	"math/rand/v2"
)

// A small row model and Dremel shredder used only by the tests, so that
// round trips start from rows and the levels are right by construction.
//
// A value is nil (null / absent), a leaf value (bool, int32, int64,
// float32, float64, []byte), a group ([]any, one entry per child) or, for a
// repeated field, a list ([]any of the element values).

type testShredder struct {
	leafOf map[*parquet.Node]int
	cols   []parquet.ColumnData
}

func newTestShredder(root *parquet.Node) *testShredder {
	cols, err := parquet.LeafColumns(root)
	if err != nil {
		panic(err)
	}
	s := &testShredder{leafOf: map[*parquet.Node]int{}, cols: cols}
	for i, c := range cols {
		s.leafOf[c.Leaf] = i
	}
	return s
}

// reset empties the columns for the next row group.
func (s *testShredder) take() []parquet.ColumnData {
	out := s.cols
	s.cols = make([]parquet.ColumnData, len(out))
	for i, c := range out {
		s.cols[i] = parquet.ColumnData{Path: c.Path, Leaf: c.Leaf, MaxDef: c.MaxDef, MaxRep: c.MaxRep}
	}
	return out
}

func (s *testShredder) row(root *parquet.Node, v []any) {
	for i, c := range root.Children {
		s.field(c, v[i], 0, 0, 0)
	}
}

// field shreds the value v of node n; r is the repetition level to use
// for the first entry, d the definition level of n's parent, depth the
// number of repeated ancestors.
func (s *testShredder) field(n *parquet.Node, v any, r, d, depth uint8) {
	switch n.Repetition {
	case parquet.Required:
		s.content(n, v, r, d, depth)
	case parquet.Optional:
		if v == nil {
			s.null(n, r, d)
			return
		}
		s.content(n, v, r, d+1, depth)
	case parquet.Repeated:
		list, _ := v.([]any)
		if len(list) == 0 {
			s.null(n, r, d)
			return
		}
		for i, e := range list {
			rr := r
			if i > 0 {
				rr = depth + 1
			}
			s.content(n, e, rr, d+1, depth+1)
		}
	}
}

func (s *testShredder) content(n *parquet.Node, v any, r, d, depth uint8) {
	if n.IsLeaf() {
		c := &s.cols[s.leafOf[n]]
		s.level(c, r, d)
		switch x := v.(type) {
		case bool:
			c.Bools = append(c.Bools, x)
		case int32:
			c.Int32s = append(c.Int32s, x)
		case int64:
			c.Int64s = append(c.Int64s, x)
		case float32:
			c.Floats = append(c.Floats, x)
		case float64:
			c.Doubles = append(c.Doubles, x)
		case []byte:
			if len(c.Offsets) == 0 {
				c.Offsets = append(c.Offsets, 0)
			}
			c.Bytes = append(c.Bytes, x...)
			c.Offsets = append(c.Offsets, int32(len(c.Bytes)))
		default:
			panic(fmt.Sprintf("leaf %s: value %T", n.Name, v))
		}
		return
	}
	g := v.([]any)
	for i, c := range n.Children {
		s.field(c, g[i], r, d, depth)
	}
}

func (s *testShredder) null(n *parquet.Node, r, d uint8) {
	if n.IsLeaf() {
		s.level(&s.cols[s.leafOf[n]], r, d)
		return
	}
	for _, c := range n.Children {
		s.null(c, r, d)
	}
}

func (s *testShredder) level(c *parquet.ColumnData, r, d uint8) {
	c.NumLevels++
	if c.MaxDef > 0 {
		c.DefLevels = append(c.DefLevels, d)
	}
	if c.MaxRep > 0 {
		c.RepLevels = append(c.RepLevels, r)
	}
}

// valueGen makes random values for a schema.
type valueGen struct {
	rng      *rand.Rand
	nullRate float64
	card     int // distinct values per leaf; 0 means unbounded
	strs     [][]byte
}

func (g *valueGen) row(root *parquet.Node) []any {
	out := make([]any, len(root.Children))
	for i, c := range root.Children {
		out[i] = g.field(c)
	}
	return out
}

func (g *valueGen) field(n *parquet.Node) any {
	switch n.Repetition {
	case parquet.Optional:
		if g.rng.Float64() < g.nullRate {
			return nil
		}
	case parquet.Repeated:
		k := g.rng.IntN(4)
		list := make([]any, k)
		for i := range list {
			list[i] = g.content(n)
		}
		return list
	}
	return g.content(n)
}

func (g *valueGen) content(n *parquet.Node) any {
	if !n.IsLeaf() {
		out := make([]any, len(n.Children))
		for i, c := range n.Children {
			out[i] = g.field(c)
		}
		return out
	}
	pick := g.rng.Uint64()
	if g.card > 0 {
		pick %= uint64(g.card)
	}
	switch n.Type {
	case parquet.Boolean:
		return pick&1 == 1
	case parquet.Int32:
		if g.card > 0 {
			return int32(pick) - 7
		}
		return int32(pick)
	case parquet.Int64:
		if n.Logical == parquet.TimestampMicros {
			return int64(1_700_000_000_000_000 + pick%1_000_000_000)
		}
		if g.card > 0 {
			return int64(pick) * 1000
		}
		return int64(pick)
	case parquet.Float:
		switch pick % 17 {
		case 0:
			return float32(math.NaN())
		case 1:
			return float32(math.Copysign(0, -1))
		}
		return float32(int64(pick%2000)-1000) / 8
	case parquet.Double:
		switch pick % 19 {
		case 0:
			return math.NaN()
		case 1:
			return math.Inf(-1)
		}
		if g.card > 0 {
			return float64(pick) / 4
		}
		return math.Float64frombits(pick>>2 | 0x3ff0000000000000)
	case parquet.ByteArray:
		if g.card > 0 {
			return []byte(fmt.Sprintf("value-%d", pick))
		}
		b := make([]byte, g.rng.IntN(24))
		for i := range b {
			b[i] = byte(g.rng.Uint32())
		}
		if n.Logical == parquet.String || n.Logical == parquet.JSON {
			return []byte(fmt.Sprintf("%q", b))
		}
		return b
	}
	panic("type")
}

// randomSchema makes a schema of up to width fields per group and depth
// levels of nesting.
func randomSchema(rng *rand.Rand, width, depth int) *parquet.Node {
	root := &parquet.Node{Name: "schema"}
	n := 1 + rng.IntN(width)
	for i := range n {
		root.Children = append(root.Children, randomField(rng, fmt.Sprintf("f%d", i), width, depth))
	}
	return root
}

func randomField(rng *rand.Rand, name string, width, depth int) *parquet.Node {
	rep := parquet.Repetition(rng.IntN(3))
	kind := rng.IntN(10)
	switch {
	case depth > 0 && kind == 0:
		g := &parquet.Node{Name: name, Repetition: rep}
		for i := range 1 + rng.IntN(width) {
			g.Children = append(g.Children, randomField(rng, fmt.Sprintf("%s_%d", name, i), width, depth-1))
		}
		return g
	case depth > 0 && kind == 1:
		elem := randomField(rng, "element", width, depth-1)
		if elem.Repetition == parquet.Repeated {
			elem.Repetition = parquet.Optional
		}
		return &parquet.Node{Name: name, Repetition: parquet.Repetition(rng.IntN(2)), Logical: parquet.List, Children: []*parquet.Node{
			{Name: "list", Repetition: parquet.Repeated, Children: []*parquet.Node{elem}},
		}}
	}
	leaves := []parquet.Node{
		{Type: parquet.Boolean}, {Type: parquet.Int32}, {Type: parquet.Int64}, {Type: parquet.Int64, Logical: parquet.TimestampMicros},
		{Type: parquet.Float}, {Type: parquet.Double}, {Type: parquet.ByteArray}, {Type: parquet.ByteArray, Logical: parquet.String},
		{Type: parquet.ByteArray, Logical: parquet.JSON},
	}
	l := leaves[rng.IntN(len(leaves))]
	l.Name = name
	l.Repetition = rep
	return &l
}
