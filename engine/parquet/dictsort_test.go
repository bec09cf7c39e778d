package parquet

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
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

// TestBuildDirect checks that buildDirect, where it takes a column, makes
// the same decision, indices and dictionary page as the hash build sorted
// by sortValues, for ranges of either sign, both signs and the extremes.
func TestBuildDirect(t *testing.T) {
	type result struct {
		OK   bool
		Idx  []uint32
		Page []byte
	}
	r := rand.New(rand.NewPCG(3, 5))
	cases := []struct {
		name   string
		lo     int64
		span   int64
		n      int
		limit  int
		max16  int
		direct bool // whether buildDirect must take it
	}{
		{"small positive", 1, 5, 10000, 1 << 20, 8, true},
		{"one value", 42, 0, 5000, 1 << 20, 8, true},
		{"both signs", -300, 700, 20000, 1 << 20, 15, true},
		{"negative", -5000, 3000, 9000, 1 << 20, 15, true},
		{"int32 edges", math.MinInt32, 100, 6000, 1 << 20, 15, true},
		{"top of int64", math.MaxInt64 - 1000, 1000, 6000, 1 << 20, 15, true},
		{"few values", -3, 6, 17, 1 << 20, 8, true},
		{"too distinct", 0, 1 << 20, 70000, 1 << 20, 8, true},
		{"over the limit", 0, 5000, 50000, 1 << 10, 15, true},
		{"wide", -1 << 40, 1 << 41, 5000, 1 << 20, 15, false},
	}
	for _, tc := range cases {
		for _, width := range []int{4, 8} {
			if width == 4 && (tc.lo < math.MinInt32 || tc.lo+tc.span > math.MaxInt32) {
				continue
			}
			t.Run(fmt.Sprintf("%s/width=%d", tc.name, width), func(t *testing.T) {
				v64 := make([]int64, tc.n)
				for i := range v64 {
					// skewed towards the low end, the ends present
					x := r.Int64N(tc.span + 1)
					if r.IntN(2) == 0 {
						x = min(x, r.Int64N(tc.span+1))
					}
					v64[i] = tc.lo + x
				}
				v64[0], v64[len(v64)-1] = tc.lo, tc.lo+tc.span
				v32 := make([]int32, tc.n)
				for i, x := range v64 {
					v32[i] = int32(x)
				}
				var direct, hashed dictFixed
				var got, want result
				got.Idx = make([]uint32, tc.n)
				want.Idx = make([]uint32, tc.n)
				var applied bool
				if width == 4 {
					lo, hi := slices.Min(v32), slices.Max(v32)
					got.OK, applied = buildDirect(&direct, v32, lo, hi, 4, tc.limit, tc.max16, got.Idx)
					want.OK = buildFixed(&hashed, asU32(v32), 4, tc.limit, tc.max16, want.Idx)
				} else {
					lo, hi := slices.Min(v64), slices.Max(v64)
					got.OK, applied = buildDirect(&direct, v64, lo, hi, 8, tc.limit, tc.max16, got.Idx)
					want.OK = buildFixed(&hashed, asU64(v64), 8, tc.limit, tc.max16, want.Idx)
				}
				if applied != tc.direct {
					t.Fatalf("buildDirect took the column: %v, want %v", applied, tc.direct)
				}
				if !applied {
					return
				}
				if want.OK {
					hashed.sortValues(want.Idx)
					want.Page = hashed.appendValues(nil)
				}
				if got.OK {
					direct.sortValues(got.Idx) // a no-op: built sorted
					got.Page = direct.appendValues(nil)
					if direct.len() != hashed.len() {
						t.Fatalf("direct dictionary of %d values, hashed %d", direct.len(), hashed.len())
					}
				} else {
					got.Idx, want.Idx = nil, nil // not kept: indices do not matter
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Fatalf("(-hashed +direct)\n%s", diff)
				}
			})
		}
	}
}

// FuzzBuildDirect: wherever the bitmap build takes a column, it agrees with
// the hash build, sorted, on the decision, the indices and the page.
func FuzzBuildDirect(f *testing.F) {
	f.Add([]byte{1, 2, 3, 1, 2, 3}, int64(-2), uint8(3))
	f.Add([]byte{0xff, 0, 0x80, 7}, int64(math.MaxInt64-300), uint8(9))
	f.Fuzz(func(t *testing.T, raw []byte, lo int64, shift uint8) {
		v := make([]int64, len(raw)/2)
		for i := range v {
			d := int64(raw[2*i])<<8 | int64(raw[2*i+1])
			d <<= shift % 48
			if lo > 0 && d > math.MaxInt64-lo {
				d = 0
			}
			v[i] = lo + d
		}
		if len(v) == 0 {
			return
		}
		for _, limit := range []int{1 << 20, 64} {
			var direct, hashed dictFixed
			got, want := make([]uint32, len(v)), make([]uint32, len(v))
			ok, applied := buildDirect(&direct, v, slices.Min(v), slices.Max(v), 8, limit, 8, got)
			if !applied {
				continue
			}
			wantOK := buildFixed(&hashed, asU64(v), 8, limit, 8, want)
			if ok != wantOK {
				t.Fatalf("limit %d: bitmap build kept the dictionary: %v, hash build: %v", limit, ok, wantOK)
			}
			if !ok {
				continue
			}
			hashed.sortValues(want)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("limit %d: indices (-hash +bitmap)\n%s", limit, diff)
			}
			if diff := cmp.Diff(hashed.appendValues(nil), direct.appendValues(nil)); diff != "" {
				t.Fatalf("limit %d: page (-hash +bitmap)\n%s", limit, diff)
			}
		}
	})
}
