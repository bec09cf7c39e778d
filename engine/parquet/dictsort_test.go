package parquet

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestSortedNumericDictionary writes numeric columns whose dictionary is
// written in sorted order (indices renumbered) and checks that every value
// reads back bit for bit, in row order, with each compression.
func TestSortedNumericDictionary(t *testing.T) {
	const n, distinct = 30000, 500
	r := rand.New(rand.NewPCG(7, 11))
	pool := make([]uint64, distinct)
	for i := range pool {
		pool[i] = r.Uint64()
	}
	// special values: signed zeros, NaNs with payloads, extremes
	pool[0], pool[1] = math.Float64bits(0), math.Float64bits(math.Copysign(0, -1))
	pool[2], pool[3] = math.Float64bits(math.NaN()), 0x7ff8_0000_0000_0001
	pool[4], pool[5] = math.MaxUint64, 1
	col := func(typ PhysicalType) ColumnData {
		c := ColumnData{NumLevels: n}
		for range n {
			v := pool[r.IntN(distinct)]
			switch typ {
			case Int32:
				c.Int32s = append(c.Int32s, int32(v))
			case Int64:
				c.Int64s = append(c.Int64s, int64(v))
			case Float:
				c.Floats = append(c.Floats, math.Float32frombits(uint32(v)))
			case Double:
				c.Doubles = append(c.Doubles, math.Float64frombits(v))
			}
		}
		return c
	}
	bits := func(c ColumnData) []uint64 {
		var out []uint64
		for _, v := range c.Int32s {
			out = append(out, uint64(uint32(v)))
		}
		for _, v := range c.Int64s {
			out = append(out, uint64(v))
		}
		for _, v := range c.Floats {
			out = append(out, uint64(math.Float32bits(v)))
		}
		for _, v := range c.Doubles {
			out = append(out, math.Float64bits(v))
		}
		return out
	}
	types := []PhysicalType{Int32, Int64, Float, Double}
	var leaves []*Node
	var group []ColumnData
	for i, typ := range types {
		leaves = append(leaves, &Node{Name: string(rune('a' + i)), Type: typ})
	}
	schema := flatSchema(leaves...)
	for i, typ := range types {
		c := col(typ)
		c.Leaf, c.Path = leaves[i], []string{leaves[i].Name}
		group = append(group, c)
	}
	for _, tc := range []struct {
		name string
		opts WriterOptions
	}{
		{"none", WriterOptions{}},
		{"snappy", WriterOptions{Compression: Snappy}},
		{"zstd", WriterOptions{Compression: Zstd, ZstdLevel: 3}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, groups := readAll(t, writeFile(t, schema, tc.opts, group, group))
			for g, rg := range f.RowGroups() {
				for j, cc := range rg.Columns {
					if !cc.HasDictionary {
						t.Errorf("row group %d column %d: not dictionary-encoded, the test does not reach the sorted dictionary", g, j)
					}
					if diff := cmp.Diff(bits(group[j]), bits(groups[g][j])); diff != "" {
						t.Errorf("row group %d column %d (-want +got):\n%s", g, j, diff)
					}
				}
			}
		})
	}
}
