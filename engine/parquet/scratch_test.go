package parquet

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestSmallChunkScratch: a writer of small chunks holds dictionary scratch
// of about their size. Ids spread over a million (a big table's ids in a
// small block) go to the hash table instead of a bitmap of the million
// (the bitmap took 192 KiB before the slack followed the chunk); the builds share one pair
// of scratch buffers, and the short strings the fixed-width table; the
// file reads back the same.
func TestSmallChunkScratch(t *testing.T) {
	const n = 1000
	rng := rand.New(rand.NewPCG(5, 5))
	schema := flatSchema(
		&Node{Name: "id", Repetition: Required, Type: Int64},
		&Node{Name: "age", Repetition: Required, Type: Int64},
		&Node{Name: "ts", Repetition: Required, Type: Int64},
		&Node{Name: "score", Repetition: Required, Type: Double},
		&Node{Name: "code", Repetition: Required, Type: ByteArray, Logical: String},
	)
	ids := make([]int64, 300)
	for i := range ids {
		ids[i] = rng.Int64N(1_000_000)
	}
	var (
		id, age, ts []int64
		score       []float64
		codes       []byte
		offsets     = []int32{0}
	)
	for i := range n {
		id = append(id, ids[rng.IntN(len(ids))])
		age = append(age, rng.Int64N(100))
		ts = append(ts, 1_700_000_000_000_000+int64(i)*1_000+rng.Int64N(1_000))
		score = append(score, float64(rng.IntN(200))/4)
		codes = fmt.Appendf(codes, "c%d", rng.IntN(40))
		offsets = append(offsets, int32(len(codes)))
	}
	col := func(i int) ColumnData {
		return ColumnData{Path: []string{schema.Children[i].Name}, Leaf: schema.Children[i], NumLevels: n}
	}
	cols := []ColumnData{col(0), col(1), col(2), col(3), col(4)}
	cols[0].Int64s, cols[1].Int64s, cols[2].Int64s = id, age, ts
	cols[3].Doubles = score
	cols[4].Bytes, cols[4].Offsets = codes, offsets

	for _, opts := range []WriterOptions{{Compression: Zstd}, {Compression: Snappy}} {
		var buf bytes.Buffer
		w, err := NewWriter(&buf, schema, opts)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.WriteRowGroup(cols); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if _, got := readAll(t, buf.Bytes()); !cmp.Equal([][]ColumnData{cols}, got, cmpColumns) {
			t.Fatalf("%+v: columns differ: %s", opts, cmp.Diff([][]ColumnData{cols}, got, cmpColumns))
		}
		// The sorted dictionary (12 bytes an entry, at most a value) and
		// the scratch (which the sort swaps with it): the sort's 12 bytes
		// an entry, the words' 8 a value, or the bitmap and counts of a
		// range buildDirect takes, 3/16 of a byte per value of the range
		// (15 KB for the 80,000 it takes for 1,000 values). Twice that:
		// buffers grow by doubling.
		f := &w.fixed
		held := 8*(cap(f.s64)+cap(f.spare64)) + 4*(cap(f.s32)+cap(f.order)+cap(f.spare32))
		if limit := 2 * (12*n + 15_000); held > limit {
			t.Errorf("%+v: %d bytes of dictionary scratch for chunks of %d values, want at most %d", opts, held, n, limit)
		}
		if w.byteDic.w != &w.fixed.d64 || w.byteDic.words != &w.fixed.spare64 {
			t.Errorf("%+v: the string dictionary has a table or scratch of its own", opts)
		}
	}
}
