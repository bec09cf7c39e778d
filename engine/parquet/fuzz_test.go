package parquet

import (
	"bytes"
	"math/rand/v2"
	"testing"
)

// seedFiles are small valid files covering every encoding, both page
// versions and every codec, for the fuzz targets to mutate.
func seedFiles(t testing.TB) [][]byte {
	schema := allTypesSchema()
	var out [][]byte
	for k, os := range optionSets {
		g := &valueGen{rng: rand.New(rand.NewPCG(uint64(k), 11)), nullRate: 0.2, card: 3 * (k % 2)}
		groups := makeGroups(schema, g, 6, 3)
		out = append(out, writeFile(t, schema, os.opts, groups...))
	}
	small := &Node{Name: "s", Children: []*Node{{Name: "a", Repetition: Optional, Type: Int64}}}
	c := []ColumnData{{Path: []string{"a"}, Leaf: small.Children[0], MaxDef: 1, NumLevels: 3, DefLevels: []uint8{1, 0, 1}, Int64s: []int64{7, 9}}}
	out = append(out, writeFile(t, small, WriterOptions{}, c))
	return out
}

// FuzzReader feeds arbitrary bytes (seeded with valid files) to the
// reader: it must return data or an error, never panic.
func FuzzReader(f *testing.F) {
	for _, s := range seedFiles(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := OpenFile(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			return
		}
		_ = file.RowGroups()
		for i := range file.NumRowGroups() {
			cols, err := file.ReadRowGroup(i)
			if err != nil {
				continue
			}
			// what the reader accepts is consistent data: writing it
			// again must succeed
			var buf bytes.Buffer
			w, err := NewWriter(&buf, file.Schema(), WriterOptions{})
			if err != nil {
				t.Fatalf("schema read back is rejected by the writer: %v", err)
			}
			if err := w.WriteRowGroup(cols); err != nil {
				t.Fatalf("row group %d read back is rejected by the writer: %v", i, err)
			}
		}
	})
}

// FuzzThrift feeds arbitrary bytes to the footer and page header decoders.
func FuzzThrift(f *testing.F) {
	for _, s := range seedFiles(f) {
		n := int(s[len(s)-8]) | int(s[len(s)-7])<<8 | int(s[len(s)-6])<<16
		f.Add(s[len(s)-8-n : len(s)-8])
		f.Add(s[4:40])
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if m, err := decodeFileMeta(data); err == nil {
			// a decoded footer encodes and decodes to the same thing
			w := &tWriter{}
			w.fileMeta(m, 0)
			if _, err := decodeFileMeta(w.buf); err != nil {
				t.Fatalf("re-encoded footer does not decode: %v", err)
			}
		}
		var h pageHeader
		_, _ = decodePageHeader(data, &h)
	})
}
