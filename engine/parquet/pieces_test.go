package parquet

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// concatCols is the row group of the rows of parts, one after the other.
func concatCols(parts [][]ColumnData) []ColumnData {
	out := make([]ColumnData, len(parts[0]))
	for i := range out {
		c := &out[i]
		p0 := &parts[0][i]
		c.Path, c.Leaf, c.MaxDef, c.MaxRep = p0.Path, p0.Leaf, p0.MaxDef, p0.MaxRep
		c.Offsets = []int32{0}
		for _, p := range parts {
			q := &p[i]
			c.NumLevels += q.NumLevels
			c.DefLevels = append(c.DefLevels, q.DefLevels...)
			c.RepLevels = append(c.RepLevels, q.RepLevels...)
			c.Bools = append(c.Bools, q.Bools...)
			c.Int32s = append(c.Int32s, q.Int32s...)
			c.Int64s = append(c.Int64s, q.Int64s...)
			c.Floats = append(c.Floats, q.Floats...)
			c.Doubles = append(c.Doubles, q.Doubles...)
			if q.Leaf.Type == ByteArray {
				for k := 0; k+1 < len(q.Offsets); k++ {
					c.Bytes = append(c.Bytes, q.Bytes[q.Offsets[k]:q.Offsets[k+1]]...)
					c.Offsets = append(c.Offsets, int32(len(c.Bytes)))
				}
			}
		}
		if c.Leaf.Type != ByteArray {
			c.Offsets = nil
		}
	}
	return out
}

// normalize makes the empty slices of row groups nil (and the offsets of
// no byte arrays {0}), so that cmp compares values only.
func normalize(groups [][]ColumnData) {
	for _, g := range groups {
		for i := range g {
			c := &g[i]
			nilIfEmpty(&c.DefLevels)
			nilIfEmpty(&c.RepLevels)
			nilIfEmpty(&c.Bools)
			nilIfEmpty(&c.Int32s)
			nilIfEmpty(&c.Int64s)
			nilIfEmpty(&c.Floats)
			nilIfEmpty(&c.Doubles)
			nilIfEmpty(&c.Bytes)
			if c.Leaf.Type != ByteArray {
				c.Offsets = nil
			} else if len(c.Offsets) == 0 {
				c.Offsets = []int32{0}
			}
		}
	}
}

func nilIfEmpty[T any](s *[]T) {
	if len(*s) == 0 {
		*s = nil
	}
}

// checkGroups reads the file data and checks that its row groups are
// want, value for value (empty slices and nil alike).
func checkGroups(t *testing.T, data []byte, want ...[]ColumnData) *File {
	t.Helper()
	f, got := readAll(t, data)
	w := slices.Clone(want)
	normalize(got)
	normalize(w)
	if diff := cmp.Diff(w, got, cmpColumns); diff != "" {
		t.Fatalf("columns differ (-want +got):\n%s", diff)
	}
	return f
}

// pieceSpec is a row group to write: in pieces of the given rows, or
// whole with WriteRowGroup.
type pieceSpec struct {
	whole  bool
	pieces [][]ColumnData
}

func writePieces(t *testing.T, schema *Node, opts WriterOptions, specs []pieceSpec) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := NewWriter(&buf, schema, opts)
	if err != nil {
		t.Fatal(err)
	}
	for g, s := range specs {
		if s.whole {
			if err := w.WriteRowGroup(concatCols(s.pieces)); err != nil {
				t.Fatalf("row group %d: %v", g, err)
			}
			continue
		}
		for k, p := range s.pieces {
			if err := w.WritePiece(p); err != nil {
				t.Fatalf("row group %d, piece %d: %v", g, k, err)
			}
		}
		if err := w.EndRowGroup(); err != nil {
			t.Fatalf("row group %d: %v", g, err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestPiecesRoundTrip writes random row groups a piece at a time (pieces
// of 0 to 2,500 rows, low-cardinality values turning to distinct ones so
// that dictionaries fall back) between whole ones, with every option set,
// reads them back, and checks each chunk's statistics against those of
// the same row group written whole.
func TestPiecesRoundTrip(t *testing.T) {
	seeds := 16
	if testing.Short() {
		seeds = 6
	}
	sizes := []int{0, 1, 7, 90, 300, 1100, 2500}
	for seed := range seeds {
		rng := rand.New(rand.NewPCG(uint64(seed), 11))
		schema := randomSchema(rng, 4, 3)
		for k, os := range optionSets {
			if testing.Short() && k%2 == 1 {
				continue
			}
			t.Run(fmt.Sprintf("seed%d/%s", seed, os.name), func(t *testing.T) {
				prng := rand.New(rand.NewPCG(uint64(seed), uint64(k)+100))
				g := &valueGen{rng: prng, nullRate: 0.15}
				s := newTestShredder(schema)
				var specs []pieceSpec
				for grp := range 3 {
					spec := pieceSpec{whole: grp == 1}
					np := 1 + prng.IntN(6)
					for p := range np {
						// low cardinality first, then (on odd seeds) distinct values
						g.card = 5
						if seed%2 == 1 && p >= np/2 {
							g.card = 0
						}
						for range sizes[prng.IntN(len(sizes))] {
							s.row(schema, g.row(schema))
						}
						spec.pieces = append(spec.pieces, s.take())
					}
					specs = append(specs, spec)
				}
				data := writePieces(t, schema, os.opts, specs)
				var want [][]ColumnData
				for _, sp := range specs {
					if c := concatCols(sp.pieces); sp.whole || rowsOf(c) > 0 {
						want = append(want, c)
					}
				}
				f := checkGroups(t, data, want...)
				for _, m := range wholeMismatches(t, f, schema, os.opts, want) {
					t.Error(m)
				}
			})
		}
	}
}

// stringGroup is a row group of a required string column s and an
// optional int64 column n.
func stringGroup(schema *Node, strs []string) []ColumnData {
	s := ColumnData{Path: []string{"s"}, Leaf: schema.Children[0], NumLevels: len(strs), Offsets: []int32{0}}
	n := ColumnData{Path: []string{"n"}, Leaf: schema.Children[1], MaxDef: 1, NumLevels: len(strs)}
	for i, v := range strs {
		s.Bytes = append(s.Bytes, v...)
		s.Offsets = append(s.Offsets, int32(len(s.Bytes)))
		if i%7 == 3 {
			n.DefLevels = append(n.DefLevels, 0)
			continue
		}
		n.DefLevels = append(n.DefLevels, 1)
		n.Int64s = append(n.Int64s, int64(len(v)*1000+(i*7919)%97))
	}
	return []ColumnData{s, n}
}

func stringSchema() *Node {
	return flatSchema(&Node{Name: "s", Type: ByteArray, Logical: String},
		&Node{Name: "n", Type: Int64, Repetition: Optional})
}

// TestPiecesOneDictionary: the pieces of a row group of repeating values
// share one dictionary page, so that the file is about the size of the
// same rows written whole, where one row group per piece repeats it.
func TestPiecesOneDictionary(t *testing.T) {
	schema := stringSchema()
	opts := WriterOptions{Compression: Zstd, ZstdLevel: 1}
	rng := rand.New(rand.NewPCG(3, 4))
	var pieces [][]ColumnData
	for range 20 {
		strs := make([]string, 1000)
		for i := range strs {
			strs[i] = fmt.Sprintf("customer-%04d", rng.IntN(300))
		}
		pieces = append(pieces, stringGroup(schema, strs))
	}
	pieced := writePieces(t, schema, opts, []pieceSpec{{pieces: pieces}})
	whole := writeFile(t, schema, opts, concatCols(pieces))
	groups := writeFile(t, schema, opts, pieces...)
	f := checkGroups(t, pieced, concatCols(pieces))
	c := f.RowGroups()[0].Columns[0]
	if !c.HasDictionary || !slices.Contains(c.Encodings, EncRLEDictionary) || slices.Contains(c.Encodings, EncDeltaLengthBytes) {
		t.Errorf("s: dictionary %v, encodings %v; want the dictionary alone", c.HasDictionary, c.Encodings)
	}
	t.Logf("pieced %d bytes, whole %d, a row group per piece %d", len(pieced), len(whole), len(groups))
	if len(pieced) > len(whole)*5/4 {
		t.Errorf("pieced file %d bytes, more than 1.25 times the whole one's %d", len(pieced), len(whole))
	}
	if len(pieced)*4 > len(groups)*3 {
		t.Errorf("pieced file %d bytes, more than 3/4 of the %d of a row group per piece", len(pieced), len(groups))
	}
}

// TestPiecesDictionaryFallback: a string column whose pieces turn from a
// few values to distinct ones keeps its dictionary for the first pages
// and falls back for the next, in one chunk that every value reads back
// from.
func TestPiecesDictionaryFallback(t *testing.T) {
	schema := stringSchema()
	for _, opts := range []WriterOptions{{Compression: Zstd}, {}, {DataPageV2: true, Compression: Snappy}, {DictionaryLimit: 2000}} {
		var pieces [][]ColumnData
		for p := range 8 {
			strs := make([]string, 700)
			for i := range strs {
				if p < 2 {
					strs[i] = fmt.Sprintf("status-%d", i%4)
				} else {
					strs[i] = fmt.Sprintf("id-%d-%d", p, i)
				}
			}
			pieces = append(pieces, stringGroup(schema, strs))
		}
		data := writePieces(t, schema, opts, []pieceSpec{{pieces: pieces}})
		f := checkGroups(t, data, concatCols(pieces))
		c := f.RowGroups()[0].Columns[0]
		if !c.HasDictionary || !slices.Contains(c.Encodings, EncRLEDictionary) || !slices.Contains(c.Encodings, EncDeltaLengthBytes) {
			t.Errorf("%+v: s: dictionary %v, encodings %v; want a dictionary and DELTA_LENGTH_BYTE_ARRAY after it", opts, c.HasDictionary, c.Encodings)
		}
	}
}

// TestPiecesRewind takes a row group in pieces back to a mark: with only
// pieces after it, after the marked row group ended and another began,
// and after its end failed to be written; then finishes the file and
// reads back exactly the pieces kept and added.
func TestPiecesRewind(t *testing.T) {
	schema := stringSchema()
	piece := func(tag string, n int) []ColumnData {
		strs := make([]string, n)
		for i := range strs {
			strs[i] = fmt.Sprintf("%s-%d", tag, i%3)
		}
		return stringGroup(schema, strs)
	}
	for _, opts := range []WriterOptions{{Compression: Zstd}, {Concurrency: 3, PageSize: 256, Compression: Snappy}} {
		var buf bytes.Buffer
		w, err := NewWriter(&buf, schema, opts)
		if err != nil {
			t.Fatal(err)
		}
		must := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		// back takes the file (and buf) back to mark m
		back := func(m PieceMark) {
			t.Helper()
			buf.Truncate(int(m.Off))
			must(w.RewindPieces(&buf, m))
		}
		state := func(groups int, rows int64) {
			t.Helper()
			if w.RowGroups() != groups || w.OpenRows() != rows {
				t.Fatalf("%d row groups, %d rows in progress after the rewind; want %d, %d", w.RowGroups(), w.OpenRows(), groups, rows)
			}
		}
		p1, p2, p3, p4, p5, p6, p7 := piece("a", 10), piece("b", 20), piece("c", 30), piece("d", 40), piece("e", 50), piece("f", 60), piece("g", 5)
		must(w.WritePiece(p1))
		mark := w.MarkPieces()
		must(w.WritePiece(p2))
		must(w.WritePiece(p3))
		if err := w.WriteRowGroup(p4); err == nil {
			t.Fatal("WriteRowGroup while pieces are in progress succeeded")
		}
		// back to p1 alone, the row group still in progress
		must(w.RewindPieces(&buf, mark))
		if w.OpenRows() != 10 {
			t.Fatalf("OpenRows %d after the rewind, want 10", w.OpenRows())
		}
		must(w.WritePiece(p4))
		mark = w.MarkPieces()
		must(w.WritePiece(p5))
		must(w.EndRowGroup())
		must(w.WritePiece(p6))
		must(w.EndRowGroup())
		must(w.WritePiece(p7))
		// back to p1, p4 in progress: the two row groups after are dropped
		back(mark)
		state(0, 50)
		// the end fails, and is written again
		mark = w.MarkPieces()
		must(w.WritePiece(p6))
		must(w.Rewind(failingWriter{}, mark.Groups, mark.Off))
		if err := w.EndRowGroup(); err == nil {
			t.Fatal("EndRowGroup to a failing writer succeeded")
		}
		back(mark)
		must(w.WritePiece(p3))
		must(w.EndRowGroup())
		w.DropMark()
		if err := w.RewindPieces(&buf, mark); err == nil {
			t.Fatal("RewindPieces after DropMark succeeded")
		}
		// a mark between row groups, then whole row groups: back to it
		mark = w.MarkPieces()
		must(w.WriteRowGroup(p5))
		must(w.WritePiece(p6))
		must(w.EndRowGroup())
		must(w.WritePiece(p2))
		back(mark)
		state(1, 0)
		must(w.WritePiece(p7))
		must(w.Close()) // ends the row group in progress
		checkGroups(t, buf.Bytes(), concatCols([][]ColumnData{p1, p4, p3}), concatCols([][]ColumnData{p7}))
	}
}

// TestPieceErrors: a bad piece is refused whole, naming the column, and
// the pieces before it stay.
func TestPieceErrors(t *testing.T) {
	schema := stringSchema()
	var buf bytes.Buffer
	w, err := NewWriter(&buf, schema, WriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	good := stringGroup(schema, []string{"x", "y", "z"})
	if err := w.WritePiece(good); err != nil {
		t.Fatal(err)
	}
	bad := stringGroup(schema, []string{"x", "y"})
	bad[1] = stringGroup(schema, []string{"x", "y", "z"})[1]
	err = w.WritePiece(bad)
	if err == nil || !strings.Contains(err.Error(), "column n") && !strings.Contains(err.Error(), "column s") {
		t.Fatalf("piece of unequal columns: %v", err)
	}
	if err := w.WritePiece(good[:1]); err == nil || !strings.Contains(err.Error(), "1 columns for a schema of 2") {
		t.Fatalf("piece of one column: %v", err)
	}
	if err := w.RewindPieces(&buf, PieceMark{}); err == nil || !strings.Contains(err.Error(), "no mark") {
		t.Fatalf("RewindPieces without a mark: %v", err)
	}
	if w.OpenRows() != 3 {
		t.Fatalf("OpenRows %d, want 3", w.OpenRows())
	}
	wider := flatSchema(schema.Children[0], schema.Children[1], &Node{Name: "x", Type: Int32, Repetition: Optional})
	if err := w.Extend(wider); err == nil || !strings.Contains(err.Error(), "in pieces") {
		t.Fatalf("Extend while pieces are in progress: %v", err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.WritePiece(good); err == nil {
		t.Fatal("WritePiece after Close succeeded")
	}
	// a file whose schema was extended takes no pieces
	var other bytes.Buffer
	w2, err := NewWriter(&other, schema, WriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := w2.WriteRowGroup(good); err != nil {
		t.Fatal(err)
	}
	if err := w2.Extend(wider); err != nil {
		t.Fatal(err)
	}
	if err := w2.WritePiece(good); err == nil || !strings.Contains(err.Error(), "extended") {
		t.Fatalf("WritePiece after Extend: %v", err)
	}
	checkGroups(t, buf.Bytes(), concatCols([][]ColumnData{good}))
}

// TestPiecesBoundedCardinality: a column of a few thousand distinct
// values (prices), whose first pieces bring mostly new values, keeps its
// dictionary (the share of new values falls) and its compression (a
// piece's first page does not judge the codec): the chunk written in
// small pieces is within 15 % of the chunk written whole.
func TestPiecesBoundedCardinality(t *testing.T) {
	schema := flatSchema(&Node{Name: "price", Type: Double})
	opts := WriterOptions{Compression: Zstd, ZstdLevel: 1}
	rng := rand.New(rand.NewPCG(3, 4))
	var pieces [][]ColumnData
	for k := range 40 {
		n := 6500
		if k == 0 {
			n = 40 // a first piece too small to judge by
		}
		c := ColumnData{Path: []string{"price"}, Leaf: schema.Children[0], NumLevels: n}
		for range n {
			c.Doubles = append(c.Doubles, float64(rng.IntN(20000))/100+0.5)
		}
		pieces = append(pieces, []ColumnData{c})
	}
	pieced := writePieces(t, schema, opts, []pieceSpec{{pieces: pieces}})
	whole := writeFile(t, schema, opts, concatCols(pieces))
	f := checkGroups(t, pieced, concatCols(pieces))
	c := f.RowGroups()[0].Columns[0]
	t.Logf("pieced %d bytes (%v, %v), whole %d", len(pieced), c.Encodings, c.Compression, len(whole))
	if c.Compression != Zstd || !c.HasDictionary || slices.Contains(c.Encodings, EncByteStreamSplit) {
		t.Errorf("chunk %v with %v, dictionary %v; want zstd and the dictionary alone", c.Compression, c.Encodings, c.HasDictionary)
	}
	if len(pieced) > len(whole)*115/100 {
		t.Errorf("pieced file %d bytes, more than 1.15 times the whole one's %d", len(pieced), len(whole))
	}
}

// TestPiecesFirstPieceDictionary: a column written in pieces of 6,500
// values, the first as large as the others. Of 5,000 skus, the first
// piece (3,700 distinct values), judged as a whole chunk, loses its
// dictionary to DELTA_LENGTH_BYTE_ARRAY, but the chunk's dictionary,
// which the later pieces share, wins by far: the chunk keeps one and is
// within 15 % of the chunk written whole, in the first file and in the
// next ones (ResetKeepChoices), where a piece's verdict against the
// dictionary once held for the file and the files after. Ids that each
// come twice in a row (half of them distinct, but as many new in a
// piece's second half as in its first) keep the first piece's verdict:
// no dictionary.
func TestPiecesFirstPieceDictionary(t *testing.T) {
	schema := flatSchema(&Node{Name: "s", Type: ByteArray, Logical: String})
	opts := WriterOptions{Compression: Zstd, ZstdLevel: 1}
	for _, tc := range []struct {
		name  string
		value func(rng *rand.Rand, piece, i int) int64
		dict  bool
	}{
		{"skus", func(rng *rand.Rand, _, _ int) int64 { return int64(rng.IntN(5000)) }, true},
		{"paired ids", func(_ *rand.Rand, piece, i int) int64 { return int64(piece*6500+i/2) * 7919 }, false},
	} {
		rng := rand.New(rand.NewPCG(5, 6))
		var pieces [][]ColumnData
		for p := range 40 {
			c := ColumnData{Path: []string{"s"}, Leaf: schema.Children[0], NumLevels: 6500, Offsets: []int32{0}}
			for i := range c.NumLevels {
				c.Bytes = strconv.AppendInt(append(c.Bytes, "SKU-"...), tc.value(rng, p, i), 10)
				c.Offsets = append(c.Offsets, int32(len(c.Bytes)))
			}
			pieces = append(pieces, []ColumnData{c})
		}
		all := concatCols(pieces)
		whole := writeFile(t, schema, opts, all)
		var buf bytes.Buffer
		w, err := NewWriter(&buf, schema, opts)
		if err != nil {
			t.Fatal(err)
		}
		for file := range 3 {
			if file > 0 {
				buf.Reset()
				if err := w.ResetKeepChoices(&buf); err != nil {
					t.Fatal(err)
				}
			}
			// two row groups, each in pieces
			for range 2 {
				for k, p := range pieces {
					if err := w.WritePiece(p); err != nil {
						t.Fatalf("%s, file %d, piece %d: %v", tc.name, file, k, err)
					}
				}
				if err := w.EndRowGroup(); err != nil {
					t.Fatal(err)
				}
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			f := checkGroups(t, buf.Bytes(), all, all)
			for g, rg := range f.RowGroups() {
				c := rg.Columns[0]
				if got := c.HasDictionary || slices.Contains(c.Encodings, EncRLEDictionary); got != tc.dict || slices.Contains(c.Encodings, EncDeltaLengthBytes) == tc.dict {
					t.Errorf("%s, file %d, row group %d: dictionary %v, encodings %v; want dictionary %v alone", tc.name, file, g, c.HasDictionary, c.Encodings, tc.dict)
				}
			}
			t.Logf("%s, file %d: %d bytes a row group in pieces, %d whole", tc.name, file, buf.Len()/2, len(whole))
			if buf.Len()/2 > len(whole)*115/100 {
				t.Errorf("%s, file %d: %d bytes a row group in pieces, more than 1.15 times the %d of the chunk written whole", tc.name, file, buf.Len()/2, len(whole))
			}
		}
	}
}

// FuzzPieces writes random row groups of a random schema a piece at a
// time (the script's bytes: piece sizes, cardinalities, an option set,
// whole row groups among them) and checks that they read back as written,
// with each chunk's statistics those of the same row group written whole,
// and the least and greatest of its values.
func FuzzPieces(f *testing.F) {
	f.Add(uint64(1), []byte{3, 200, 0, 17, 255, 1})
	f.Add(uint64(7), []byte{130, 5, 5, 5, 5, 5, 5, 5, 64, 0, 9})
	f.Add(uint64(12), []byte{9, 250, 251, 252, 1, 2, 3, 128, 40})
	f.Fuzz(func(t *testing.T, seed uint64, script []byte) {
		if len(script) == 0 || len(script) > 40 {
			return
		}
		rng := rand.New(rand.NewPCG(seed, 3))
		schema := randomSchema(rng, 4, 3)
		opts := optionSets[int(script[0])%len(optionSets)].opts
		g := &valueGen{rng: rng, nullRate: 0.2}
		s := newTestShredder(schema)
		var specs []pieceSpec
		spec := pieceSpec{}
		for _, b := range script[1:] {
			switch {
			case b == 255: // end the row group
				specs = append(specs, spec)
				spec = pieceSpec{}
				continue
			case b == 254: // the next row group is written whole
				spec.whole = true
				continue
			}
			// low bits: rows (up to 500); high bit: distinct values
			g.card = 6
			if b&128 != 0 {
				g.card = 0
			}
			for range int(b&127) * 4 {
				s.row(schema, g.row(schema))
			}
			spec.pieces = append(spec.pieces, s.take())
		}
		specs = append(specs, spec)
		var want [][]ColumnData
		for i := range specs {
			if len(specs[i].pieces) == 0 {
				specs[i].pieces = [][]ColumnData{s.take()}
			}
			if c := concatCols(specs[i].pieces); specs[i].whole || rowsOf(c) > 0 {
				want = append(want, c)
			}
		}
		data := writePieces(t, schema, opts, specs)
		f := checkGroups(t, data, want...)
		if ms := wholeMismatches(t, f, schema, opts, want); len(ms) > 0 {
			t.Fatal(ms[0])
		}
		if _, got := readAll(t, data); len(valueMismatches(f, got)) > 0 {
			t.Fatal(valueMismatches(f, got)[0])
		}
	})
}

// wholeMismatches compares the chunks of f, written in pieces, with the
// same row groups (want) written whole: their value counts and
// statistics, one message per difference.
func wholeMismatches(t *testing.T, f *File, schema *Node, opts WriterOptions, want [][]ColumnData) []string {
	t.Helper()
	refData := writeFile(t, schema, opts, want...)
	ref, err := OpenFile(bytes.NewReader(refData), int64(len(refData)))
	if err != nil {
		t.Fatal(err)
	}
	var ms []string
	for gi, rg := range f.RowGroups() {
		for ci, cc := range rg.Columns {
			rc := ref.RowGroups()[gi].Columns[ci]
			path := strings.Join(cc.Path, ".")
			if cc.NumValues != rc.NumValues {
				ms = append(ms, fmt.Sprintf("row group %d, %s: %d values, whole %d", gi, path, cc.NumValues, rc.NumValues))
			}
			if diff := cmp.Diff(rc.Statistics, cc.Statistics); diff != "" {
				ms = append(ms, fmt.Sprintf("row group %d, %s: statistics differ from the whole chunk's (-whole +pieces):\n%s", gi, path, diff))
			}
		}
	}
	return ms
}

// TestPiecesRewindForgetsChoice: pieces taken back to a mark before the
// row group's first piece leave nothing behind: the next piece chooses
// the chunk's encoding from its own values. Distinct strings (no
// dictionary) are taken back; repeating ones follow and get one.
func TestPiecesRewindForgetsChoice(t *testing.T) {
	schema := stringSchema()
	distinct := make([]string, 6000)
	repeating := make([]string, 6000)
	for i := range distinct {
		distinct[i] = fmt.Sprintf("order-%08d-%x", i, i*2654435761)
		repeating[i] = fmt.Sprintf("status-%d", i%4)
	}
	var buf bytes.Buffer
	w, err := NewWriter(&buf, schema, WriterOptions{Compression: Zstd})
	if err != nil {
		t.Fatal(err)
	}
	mark := w.MarkPieces()
	if err := w.WritePiece(stringGroup(schema, distinct)); err != nil {
		t.Fatal(err)
	}
	if err := w.RewindPieces(&buf, mark); err != nil {
		t.Fatal(err)
	}
	w.DropMark()
	if err := w.WritePiece(stringGroup(schema, repeating)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	f := checkGroups(t, buf.Bytes(), stringGroup(schema, repeating))
	c := f.RowGroups()[0].Columns[0]
	if !c.HasDictionary || slices.Contains(c.Encodings, EncDeltaLengthBytes) {
		t.Errorf("s: dictionary %v, encodings %v; want the dictionary alone", c.HasDictionary, c.Encodings)
	}
}

// TestPiecesEmptyStringStats: an empty string is a string column's
// minimum (and maximum, if it is the only value) in the statistics of a
// chunk written in pieces or whole, whatever the pieces around it and
// whether the writer's buffers were used before (an empty statistic in a
// buffer never used read as none, and a later piece's minimum replaced
// it: a reader pruning by statistics would skip the rows of "").
func TestPiecesEmptyStringStats(t *testing.T) {
	schema := stringSchema()
	cases := []struct {
		pieces   [][]string
		min, max string
	}{
		{[][]string{{"", ""}, {"x"}}, "", "x"},
		{[][]string{{"b"}, {"", ""}, {"a"}}, "", "b"},
		{[][]string{{"", "a"}, {"b"}}, "", "b"},
		{[][]string{{"c", "b"}, {""}}, "", "c"},
		{[][]string{{"", ""}}, "", ""},
		{[][]string{{""}, {""}}, "", ""},
	}
	for _, whole := range []bool{false, true} {
		for _, c := range cases {
			// each case on a new writer, and again after row groups of
			// other strings have used its buffers
			warm := pieceSpec{whole: whole, pieces: [][]ColumnData{stringGroup(schema, []string{"p", "qq"}), stringGroup(schema, []string{"rrr"})}}
			for _, specs := range [][]pieceSpec{{{whole: whole}}, {warm, {whole: whole}, warm}} {
				for i := range specs {
					if specs[i].pieces == nil {
						for _, p := range c.pieces {
							specs[i].pieces = append(specs[i].pieces, stringGroup(schema, p))
						}
					}
				}
				data := writePieces(t, schema, WriterOptions{Compression: Zstd, ZstdLevel: 1}, specs)
				f, err := OpenFile(bytes.NewReader(data), int64(len(data)))
				if err != nil {
					t.Fatal(err)
				}
				for g, rg := range f.RowGroups() {
					if len(specs) > 1 && g != 1 {
						continue
					}
					st := rg.Columns[0].Statistics
					if st == nil || st.Min == nil || st.Max == nil || string(st.Min) != c.min || string(st.Max) != c.max {
						t.Errorf("whole %v, pieces %q, row group %d of %d: statistics %+v, want min %q max %q", whole, c.pieces, g, len(specs), st, c.min, c.max)
					}
				}
			}
		}
	}
}

// valueMismatches checks each chunk's statistics against the values read
// back (groups, as readAll returns them): min and max, when the chunk has
// them, are its least and greatest value (NaNs aside; -0 and +0 equal),
// and a chunk of values has them unless it is of byte arrays too long for
// statistics or of NaNs alone. One message per difference.
func valueMismatches(f *File, groups [][]ColumnData) []string {
	var ms []string
	for gi, rg := range f.RowGroups() {
		for ci, cc := range rg.Columns {
			c := &groups[gi][ci]
			path := strings.Join(cc.Path, ".")
			lo, hi, ok := trueMinMax(c)
			st := cc.Statistics
			has := st != nil && st.Min != nil && st.Max != nil
			switch {
			case !ok && has:
				ms = append(ms, fmt.Sprintf("row group %d, %s: statistics %q..%q of no value", gi, path, st.Min, st.Max))
			case ok && !has:
				if !(c.Leaf.Type == ByteArray && (len(lo) > maxStatBytes || len(hi) > maxStatBytes)) {
					ms = append(ms, fmt.Sprintf("row group %d, %s: no min and max statistics for values %q..%q", gi, path, lo, hi))
				}
			case ok && (!statEqual(c.Leaf.Type, st.Min, lo) || !statEqual(c.Leaf.Type, st.Max, hi)):
				ms = append(ms, fmt.Sprintf("row group %d, %s: statistics %q..%q, values %q..%q", gi, path, st.Min, st.Max, lo, hi))
			}
		}
	}
	return ms
}

// trueMinMax is the least and greatest value of c, encoded as a
// statistic of its type (NaNs left out), and whether it has one.
func trueMinMax(c *ColumnData) (lo, hi []byte, ok bool) {
	enc := func(v any) []byte {
		var b []byte
		switch v := v.(type) {
		case bool:
			b = []byte{b2u(v)}
		case int32:
			b = binary.LittleEndian.AppendUint32(nil, uint32(v))
		case int64:
			b = binary.LittleEndian.AppendUint64(nil, uint64(v))
		case float32:
			b = binary.LittleEndian.AppendUint32(nil, math.Float32bits(v))
		case float64:
			b = binary.LittleEndian.AppendUint64(nil, math.Float64bits(v))
		}
		return b
	}
	switch c.Leaf.Type {
	case Boolean:
		if len(c.Bools) == 0 {
			return nil, nil, false
		}
		return enc(!slices.Contains(c.Bools, false)), enc(slices.Contains(c.Bools, true)), true
	case Int32:
		if len(c.Int32s) == 0 {
			return nil, nil, false
		}
		return enc(slices.Min(c.Int32s)), enc(slices.Max(c.Int32s)), true
	case Int64:
		if len(c.Int64s) == 0 {
			return nil, nil, false
		}
		return enc(slices.Min(c.Int64s)), enc(slices.Max(c.Int64s)), true
	case Float:
		vs := slices.DeleteFunc(slices.Clone(c.Floats), func(v float32) bool { return v != v })
		if len(vs) == 0 {
			return nil, nil, false
		}
		return enc(slices.Min(vs)), enc(slices.Max(vs)), true
	case Double:
		vs := slices.DeleteFunc(slices.Clone(c.Doubles), func(v float64) bool { return v != v })
		if len(vs) == 0 {
			return nil, nil, false
		}
		return enc(slices.Min(vs)), enc(slices.Max(vs)), true
	}
	for i := 0; i+1 < len(c.Offsets); i++ {
		v := c.Bytes[c.Offsets[i]:c.Offsets[i+1]]
		if !ok || bytes.Compare(v, lo) < 0 {
			lo = v
		}
		if !ok || bytes.Compare(v, hi) > 0 {
			hi = v
		}
		ok = true
	}
	return lo, hi, ok
}

// statEqual reports whether statistic a and value b (both encoded as
// statistics of type t) are the same value; floats compare as numbers.
func statEqual(t PhysicalType, a, b []byte) bool {
	switch {
	case t == Float && len(a) == 4 && len(b) == 4:
		return math.Float32frombits(binary.LittleEndian.Uint32(a)) == math.Float32frombits(binary.LittleEndian.Uint32(b))
	case t == Double && len(a) == 8 && len(b) == 8:
		return math.Float64frombits(binary.LittleEndian.Uint64(a)) == math.Float64frombits(binary.LittleEndian.Uint64(b))
	}
	return bytes.Equal(a, b)
}

// TestPiecesFallbackKeepsUsedValues: a chunk whose dictionary falls back
// on a piece writes a dictionary page of the values its pages use, those
// of the pieces before: the new values the failing piece brought, which
// no page uses, are left out.
func TestPiecesFallbackKeepsUsedValues(t *testing.T) {
	schema := stringSchema()
	first := make([]string, 300) // too few to judge by: a dictionary
	ids := make([]string, 5000)  // all new: the dictionary falls back
	for i := range first {
		first[i] = fmt.Sprintf("status-%d", i%3)
	}
	for i := range ids {
		ids[i] = fmt.Sprintf("id-%08d-%x", i, i*2654435761)
	}
	var buf bytes.Buffer
	w, err := NewWriter(&buf, schema, WriterOptions{Compression: Zstd})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range [][]string{first, ids} {
		if err := w.WritePiece(stringGroup(schema, p)); err != nil {
			t.Fatal(err)
		}
	}
	s := &w.streams[0]
	if !s.frozen || s.dictN != 3 {
		t.Fatalf("the dictionary after the ids: frozen %v, %d values; want frozen, the 3 statuses", s.frozen, s.dictN)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	f := checkGroups(t, buf.Bytes(), concatCols([][]ColumnData{stringGroup(schema, first), stringGroup(schema, ids)}))
	c := f.RowGroups()[0].Columns[0]
	if !c.HasDictionary || !slices.Contains(c.Encodings, EncDeltaLengthBytes) {
		t.Errorf("s: dictionary %v, encodings %v; want the dictionary, then DELTA_LENGTH_BYTE_ARRAY", c.HasDictionary, c.Encodings)
	}
}

// TestPiecesVerdictsCarry: the verdict on a column's dictionary that a
// row group's pieces reach holds for the next row groups of the file,
// whose first pieces are too small to judge by. Ids, found distinct in
// the first row group, are written without a dictionary in the next
// from their first piece on; the first thousand values of a bounded set
// (prices), which are all new, do not turn a dictionary that won on the
// first row group into the fallback encoding. (Before, the second row
// group of ids had a dictionary page of the 6,500 values of its first
// two pieces, for the first piece's 500, and the prices fell back on
// their first piece.)
func TestPiecesVerdictsCarry(t *testing.T) {
	schema := stringSchema()
	ids := func(from, n int) []string {
		s := make([]string, n)
		for i := range s {
			s[i] = fmt.Sprintf("id-%08d-%x", from+i, (from+i)*2654435761)
		}
		return s
	}
	prices := func(from, n int) []string {
		s := make([]string, n)
		for i := range s {
			k := ((from + i) * 7919) % 3000 // 3,000 prices, each new once
			s[i] = fmt.Sprintf("%d.%02d", k/100, k%100)
		}
		return s
	}
	for _, tc := range []struct {
		name string
		vals func(from, n int) []string
		dict bool // the second row group has a dictionary, and only it
		// the second row group's first piece: below pieceJudgeValues,
		// or just above
		small int
	}{{"ids", ids, false, 500}, {"prices", prices, true, 1100}} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			w, err := NewWriter(&buf, schema, WriterOptions{Compression: Zstd})
			if err != nil {
				t.Fatal(err)
			}
			var groups [][]ColumnData
			from := 0
			// the first row group judged on its first piece, whole; the
			// second's first piece too small to judge by
			for _, sizes := range [][]int{{6000, 6000}, {tc.small, 6000, 6000}} {
				var parts [][]ColumnData
				for _, n := range sizes {
					p := stringGroup(schema, tc.vals(from, n))
					from += n
					if err := w.WritePiece(p); err != nil {
						t.Fatal(err)
					}
					parts = append(parts, p)
				}
				if err := w.EndRowGroup(); err != nil {
					t.Fatal(err)
				}
				groups = append(groups, concatCols(parts))
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			f := checkGroups(t, buf.Bytes(), groups...)
			c := f.RowGroups()[1].Columns[0]
			fallback := slices.Contains(c.Encodings, EncDeltaLengthBytes)
			if c.HasDictionary != tc.dict || fallback == tc.dict {
				t.Errorf("second row group: dictionary %v, encodings %v; want dictionary %v alone", c.HasDictionary, c.Encodings, tc.dict)
			}
		})
	}
}
