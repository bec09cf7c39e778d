package parquet

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestChunkCodec checks the per-column choice of compression: a column
// whose first data page does not shrink is written uncompressed, one that
// shrinks is compressed, the first row group's choice holds for the rest
// of the file (some readers take the first chunk's codec for all), and
// every value reads back, with pages v1 and v2, compressing on one
// goroutine or several (which write the same bytes).
func TestChunkCodec(t *testing.T) {
	schema := &Node{Name: "schema", Repetition: Required, Children: []*Node{
		{Name: "random", Repetition: Required, Type: Int64},
		{Name: "text", Repetition: Optional, Type: ByteArray, Logical: String},
		{Name: "later", Repetition: Required, Type: Int64},
	}}
	group := func(seed uint64, n int, laterRandom bool) []ColumnData {
		rng := rand.New(rand.NewPCG(seed, 1))
		random := make([]int64, n)
		later := make([]int64, n)
		text := ColumnData{Path: []string{"text"}, Leaf: schema.Children[1], MaxDef: 1, NumLevels: n, Offsets: []int32{0}}
		for i := range n {
			random[i] = int64(rng.Uint64())
			later[i] = int64(i % 3)
			if laterRandom {
				later[i] = int64(rng.Uint64())
			}
			if i%10 == 0 {
				text.DefLevels = append(text.DefLevels, 0)
				continue
			}
			text.DefLevels = append(text.DefLevels, 1)
			text.Bytes = fmt.Appendf(text.Bytes, "the same words again and again, %d times", i)
			text.Offsets = append(text.Offsets, int32(len(text.Bytes)))
		}
		return []ColumnData{
			{Path: []string{"random"}, Leaf: schema.Children[0], NumLevels: n, Int64s: random},
			text,
			{Path: []string{"later"}, Leaf: schema.Children[2], NumLevels: n, Int64s: later},
		}
	}
	groups := [][]ColumnData{group(1, 5000, false), group(2, 3000, true)}
	for _, opts := range []WriterOptions{
		{Compression: Zstd, PageSize: 4096},
		{Compression: Zstd, PageSize: 4096, DataPageV2: true},
		{Compression: Snappy, PageSize: 4096, Concurrency: 3},
		{Compression: Zstd, PageSize: 4096, DataPageV2: true, Concurrency: 3},
	} {
		f := checkRoundTrip(t, schema, opts, groups...)
		var got [][]Compression
		for _, rg := range f.RowGroups() {
			var codecs []Compression
			for _, c := range rg.Columns {
				codecs = append(codecs, c.Compression)
			}
			got = append(got, codecs)
		}
		c := opts.Compression
		want := [][]Compression{{Uncompressed, c, c}, {Uncompressed, c, c}}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%+v: codecs per row group and column (-want +got):\n%s", opts, diff)
		}
		serial := opts
		serial.Concurrency = 1
		if string(writeFile(t, schema, serial, groups...)) != string(writeFile(t, schema, opts, groups...)) {
			t.Errorf("%+v: one goroutine and several write different bytes", opts)
		}
	}
}
