package parquet

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
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

// TestPlainEncodersGrowOnce: a PLAIN encoder appending many values to a
// buffer without room for them allocates once (not a chain of
// doublings, whose copies a writer's first block would count), and
// writes what the values' PLAIN encoding is.
func TestPlainEncodersGrowOnce(t *testing.T) {
	const n = 50_000
	i32 := make([]int32, n)
	i64 := make([]int64, n)
	f32 := make([]float32, n)
	f64 := make([]float64, n)
	var data []byte
	offsets := []int32{0}
	for i := range n {
		i32[i], i64[i] = int32(i*7-3), int64(i)*1e9-5
		f32[i], f64[i] = float32(i)/3, float64(i)/7
		data = append(data, "value-"[:1+i%6]...)
		offsets = append(offsets, int32(len(data)))
	}
	cases := []struct {
		name   string
		encode func(dst []byte) []byte
		want   func() []byte
	}{
		{"int32", func(dst []byte) []byte { return appendPlainInt32(dst, i32) }, func() []byte {
			var b []byte
			for _, v := range i32 {
				b = binary.LittleEndian.AppendUint32(b, uint32(v))
			}
			return b
		}},
		{"int64", func(dst []byte) []byte { return appendPlainInt64(dst, i64) }, func() []byte {
			var b []byte
			for _, v := range i64 {
				b = binary.LittleEndian.AppendUint64(b, uint64(v))
			}
			return b
		}},
		{"float", func(dst []byte) []byte { return appendPlainFloat(dst, f32) }, func() []byte {
			var b []byte
			for _, v := range f32 {
				b = binary.LittleEndian.AppendUint32(b, math.Float32bits(v))
			}
			return b
		}},
		{"double", func(dst []byte) []byte { return appendPlainDouble(dst, f64) }, func() []byte {
			var b []byte
			for _, v := range f64 {
				b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v))
			}
			return b
		}},
		{"bytes", func(dst []byte) []byte { return appendPlainBytes(dst, data, offsets, 0, n) }, func() []byte {
			var b []byte
			for i := range n {
				v := data[offsets[i]:offsets[i+1]]
				b = binary.LittleEndian.AppendUint32(b, uint32(len(v)))
				b = append(b, v...)
			}
			return b
		}},
	}
	for _, c := range cases {
		prefix := []byte("head")
		got := c.encode(slices.Clip(prefix))
		if want := append([]byte("head"), c.want()...); !bytes.Equal(got, want) {
			t.Errorf("%s: encoded %d bytes, not the %d expected (or other bytes)", c.name, len(got), len(want))
		}
		if testing.Short() {
			continue // allocation counts are not meaningful under -race (run with -short)
		}
		if allocs := testing.AllocsPerRun(5, func() { c.encode(slices.Clip(prefix)) }); allocs != 1 {
			t.Errorf("%s: %v allocations for %d values into a full buffer, want 1", c.name, allocs, n)
		}
		room := make([]byte, 0, len(got))
		if allocs := testing.AllocsPerRun(5, func() { c.encode(room) }); allocs != 0 {
			t.Errorf("%s: %v allocations into a buffer with room, want 0", c.name, allocs)
		}
	}
}
