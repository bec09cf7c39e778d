package parquet

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"testing"
	"unsafe"

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

// TestStringDictionaryInScratch: the string table keeps the values of its
// dictionary in the fixed-width builds' scratch, and a short strings'
// build its values in the sorted values' buffers (both idle while a chunk
// of strings is written), growing them when a dictionary outgrows them,
// instead of memory of their own; files written so are the bytes a new writer
// writes, and a run of like files leaves the scratch where it is.
func TestStringDictionaryInScratch(t *testing.T) {
	schema := flatSchema(
		&Node{Name: "ts", Repetition: Required, Type: Int64},
		&Node{Name: "name", Repetition: Optional, Type: ByteArray, Logical: String},
		&Node{Name: "code", Repetition: Optional, Type: ByteArray, Logical: String},
	)
	rng := rand.New(rand.NewPCG(7, 7))
	// file: n rows; names (long, from card of them) and codes (short)
	file := func(n, card int) []ColumnData {
		col := func(i int) ColumnData {
			return ColumnData{Path: []string{schema.Children[i].Name}, Leaf: schema.Children[i], NumLevels: n}
		}
		cols := []ColumnData{col(0), col(1), col(2)}
		cols[1].Offsets, cols[2].Offsets = []int32{0}, []int32{0}
		cols[1].DefLevels, cols[2].DefLevels = make([]uint8, n), make([]uint8, n)
		cols[1].MaxDef, cols[2].MaxDef = 1, 1
		for i := range n {
			cols[0].Int64s = append(cols[0].Int64s, 1_700_000_000_000_000+int64(i)*1_000+rng.Int64N(1_000))
			if rng.IntN(10) > 0 {
				cols[1].DefLevels[i] = 1
				cols[1].Bytes = fmt.Appendf(cols[1].Bytes, "customer-name-%06d", rng.IntN(card))
				cols[1].Offsets = append(cols[1].Offsets, int32(len(cols[1].Bytes)))
			}
			if rng.IntN(10) > 0 {
				cols[2].DefLevels[i] = 1
				cols[2].Bytes = fmt.Appendf(cols[2].Bytes, "c%d", rng.IntN(30))
				cols[2].Offsets = append(cols[2].Offsets, int32(len(cols[2].Bytes)))
			}
		}
		return cols
	}
	files := [][]ColumnData{file(3000, 500), file(3000, 2500), file(8000, 6000), file(2000, 300)}
	opts := WriterOptions{Compression: Zstd}
	w, err := NewWriter(io.Discard, schema, opts)
	if err != nil {
		t.Fatal(err)
	}
	write := func(cols []ColumnData, out io.Writer) {
		t.Helper()
		if err := w.Reset(out); err != nil {
			t.Fatal(err)
		}
		if err := w.WriteRowGroup(cols); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
	for i, cols := range files {
		// twice: a dictionary that outgrew the scratch leaves larger
		// scratch, which the next one like it fills
		for range 2 {
			var buf bytes.Buffer
			write(cols, &buf)
			if want := writeFile(t, schema, opts, cols); !bytes.Equal(buf.Bytes(), want) {
				t.Fatalf("file %d differs from a new writer's", i)
			}
		}
		// the last chunk written is the codes' (short strings, words
		// in spare64); the names' dictionary, built before, is in the
		// scratch: its values start where the scratch does
		slab, offs := w.byteDic.d.Values()
		if w.byteDic.d.Len() == 0 {
			t.Fatalf("file %d: no string dictionary built", i)
		}
		if cap(slab) > 0 && unsafe.Pointer(unsafe.SliceData(slab)) != unsafe.Pointer(unsafe.SliceData(w.fixed.spare64)) {
			t.Errorf("file %d: the string dictionary's values are not in the scratch", i)
		}
		if unsafe.Pointer(unsafe.SliceData(offs)) != unsafe.Pointer(unsafe.SliceData(w.fixed.spare32)) {
			t.Errorf("file %d: the string dictionary's offsets are not in the scratch", i)
		}
		// the codes' dictionary (short strings) is in the sorted
		// values' buffers
		if !w.byteDic.short {
			t.Fatalf("file %d: the codes' dictionary is not a short build", i)
		}
		if unsafe.Pointer(unsafe.SliceData(w.byteDic.slab)) != unsafe.Pointer(unsafe.SliceData(w.fixed.s64)) ||
			unsafe.Pointer(unsafe.SliceData(w.byteDic.offsets)) != unsafe.Pointer(unsafe.SliceData(w.fixed.order)) {
			t.Errorf("file %d: the short strings' dictionary is not in the sorted values' buffers", i)
		}
	}
	// settled on like files (the large one's memory released), the
	// scratch and the values in it stay where they are
	for range shrinkFiles + 1 {
		write(files[3], io.Discard)
	}
	s64, s32 := unsafe.SliceData(w.fixed.spare64), unsafe.SliceData(w.fixed.spare32)
	for range 3 {
		write(files[3], io.Discard)
		slab, _ := w.byteDic.d.Values()
		if unsafe.SliceData(w.fixed.spare64) != s64 || unsafe.SliceData(w.fixed.spare32) != s32 ||
			unsafe.Pointer(unsafe.SliceData(slab)) != unsafe.Pointer(s64) {
			t.Fatal("files like the last moved the scratch or the string dictionary's values")
		}
	}
}
