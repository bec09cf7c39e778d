package blockwriter

import (
	"bytes"
	"slices"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
	aparquet "github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"github.com/google/go-cmp/cmp"
	pgo "github.com/parquet-go/parquet-go"

	"github.com/evodb/writer/engine/parquet"
)

// TestOurReaderReadsPeers reads files written by parquet-go and arrow-go
// (their default encodings: PLAIN, dictionaries, delta, RLE levels; v1 and
// v2 pages; zstd and snappy) with our reader and compares every column with
// the rows they were given.
func TestOurReaderReadsPeers(t *testing.T) {
	d := makeDataset(20000)
	want := d.columns()
	files := map[string][]byte{}
	for _, v2 := range []bool{false, true} {
		name := "v1"
		if v2 {
			name = "v2"
		}
		var pg bytes.Buffer
		pw := pgo.NewGenericWriter[pgoRow](&pg, pgo.Compression(&pgo.Zstd), pgo.DataPageVersion(map[bool]int{false: 1, true: 2}[v2]))
		if _, err := pw.Write(d.pgoRows()); err != nil {
			t.Fatal(err)
		}
		if err := pw.Close(); err != nil {
			t.Fatal(err)
		}
		files["parquet-go/"+name] = pg.Bytes()

		rec := d.arrowRecord()
		ver := aparquet.DataPageV1
		if v2 {
			ver = aparquet.DataPageV2
		}
		var ar bytes.Buffer
		aw, err := pqarrow.NewFileWriter(rec.Schema(), &ar, aparquet.NewWriterProperties(
			aparquet.WithCompression(compress.Codecs.Snappy), aparquet.WithDataPageVersion(ver),
			aparquet.WithMaxRowGroupLength(7000), aparquet.WithAllocator(memory.DefaultAllocator)), pqarrow.DefaultWriterProps())
		if err != nil {
			t.Fatal(err)
		}
		if err := aw.Write(rec); err != nil {
			t.Fatal(err)
		}
		if err := aw.Close(); err != nil {
			t.Fatal(err)
		}
		rec.Release()
		files["arrow-go/"+name] = ar.Bytes()
	}
	sameLeaf := cmp.Comparer(func(a, b *parquet.Node) bool {
		return a.Name == b.Name && a.Type == b.Type && a.Logical == b.Logical && a.Repetition == b.Repetition
	})
	for name, data := range files {
		t.Run(name, func(t *testing.T) {
			f, err := parquet.OpenFile(bytes.NewReader(data), int64(len(data)))
			if err != nil {
				t.Fatalf("OpenFile: %v", err)
			}
			if f.NumRows() != int64(d.n) {
				t.Fatalf("%d rows, want %d", f.NumRows(), d.n)
			}
			got, err := parquet.LeafColumns(f.Schema())
			if err != nil {
				t.Fatal(err)
			}
			for i := range f.NumRowGroups() {
				cols, err := f.ReadRowGroup(i)
				if err != nil {
					t.Fatalf("row group %d: %v", i, err)
				}
				for j := range cols {
					appendColumn(&got[j], &cols[j])
				}
			}
			if diff := cmp.Diff(want, got, sameLeaf, cmp.Comparer(slices.Equal[[]uint8]), cmp.Comparer(slices.Equal[[]int32]),
				cmp.Comparer(slices.Equal[[]int64]), cmp.Comparer(slices.Equal[[]float64])); diff != "" {
				t.Fatalf("columns differ (-given +read):\n%s", diff)
			}
		})
	}
}

// appendColumn appends the levels and values of src to dst.
func appendColumn(dst, src *parquet.ColumnData) {
	dst.NumLevels += src.NumLevels
	dst.DefLevels = append(dst.DefLevels, src.DefLevels...)
	dst.RepLevels = append(dst.RepLevels, src.RepLevels...)
	dst.Bools = append(dst.Bools, src.Bools...)
	dst.Int32s = append(dst.Int32s, src.Int32s...)
	dst.Int64s = append(dst.Int64s, src.Int64s...)
	dst.Floats = append(dst.Floats, src.Floats...)
	dst.Doubles = append(dst.Doubles, src.Doubles...)
	if len(src.Offsets) > 1 {
		if len(dst.Offsets) == 0 {
			dst.Offsets = append(dst.Offsets, 0)
		}
		base := int32(len(dst.Bytes)) - src.Offsets[0]
		dst.Bytes = append(dst.Bytes, src.Bytes[src.Offsets[0]:src.Offsets[len(src.Offsets)-1]]...)
		for _, o := range src.Offsets[1:] {
			dst.Offsets = append(dst.Offsets, o+base)
		}
	}
}
