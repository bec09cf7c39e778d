package parquet

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestResetKeepChoices checks that ResetKeepChoices carries the value
// encoding a column's first chunk chose over to the next file, as a file
// carries it over to its next row groups, where Reset judges it again, as
// a new writer would; every file reads back whole.
func TestResetKeepChoices(t *testing.T) {
	const n = 4096
	schema := flatSchema(&Node{Name: "s", Type: ByteArray, Logical: String})
	// few: strings of 5 values; varied: strings of many values, judged
	// apart (whatever the judgement of each)
	strs := func(distinct int) []ColumnData {
		var data []byte
		offs := []int32{0}
		for i := range n {
			if k := uint32(i % distinct); distinct < 100 {
				data = fmt.Appendf(data, "city-%d", k)
			} else {
				data = fmt.Appendf(data, "v%08x-%d", k*2654435761, k)
			}
			offs = append(offs, int32(len(data)))
		}
		return []ColumnData{{Path: []string{"s"}, Leaf: schema.Children[0], NumLevels: n, Bytes: data, Offsets: offs}}
	}
	few, varied := strs(5), strs(1800)
	// write writes each group of groups to a file of its own, with
	// reset between them, and returns the value encoding of each
	write := func(t *testing.T, reset func(*Writer, *bytes.Buffer) error, groups ...[]ColumnData) []Encoding {
		t.Helper()
		var encs []Encoding
		var w *Writer
		for i, g := range groups {
			var buf bytes.Buffer
			var err error
			if i == 0 {
				w, err = NewWriter(&buf, schema, WriterOptions{Compression: Zstd})
			} else {
				err = reset(w, &buf)
			}
			if err != nil {
				t.Fatal(err)
			}
			if err := w.WriteRowGroup(g); err != nil {
				t.Fatal(err)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			f, got := readAll(t, buf.Bytes())
			if diff := cmp.Diff([][]ColumnData{g}, got, cmpColumns); diff != "" {
				t.Fatalf("file %d: columns differ (-want +got):\n%s", i, diff)
			}
			c := f.RowGroups()[0].Columns[0]
			encs = append(encs, c.Encodings[len(c.Encodings)-1])
		}
		return encs
	}
	// the same groups as row groups of one file
	oneFile := func(t *testing.T, groups ...[]ColumnData) []Encoding {
		t.Helper()
		data := writeFile(t, schema, WriterOptions{Compression: Zstd}, groups...)
		f, _ := readAll(t, data)
		var encs []Encoding
		for _, rg := range f.RowGroups() {
			c := rg.Columns[0]
			encs = append(encs, c.Encodings[len(c.Encodings)-1])
		}
		return encs
	}
	reset := func(w *Writer, b *bytes.Buffer) error { return w.Reset(b) }
	keep := func(w *Writer, b *bytes.Buffer) error { return w.ResetKeepChoices(b) }
	fresh := write(t, reset, varied)
	carried := oneFile(t, few, varied)
	if got := write(t, keep, few, varied); !cmp.Equal(got, carried) {
		t.Errorf("ResetKeepChoices: encodings %v, want those of one file, %v", got, carried)
	}
	if got, want := write(t, reset, few, varied), append(write(t, reset, few), fresh...); !cmp.Equal(got, want) {
		t.Errorf("Reset: encodings %v, want those of new writers, %v", got, want)
	}
	// the choice itself: kept by ResetKeepChoices, dropped by Reset
	w, err := NewWriter(&bytes.Buffer{}, schema, WriterOptions{Compression: Zstd})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.WriteRowGroup(few); err != nil {
		t.Fatal(err)
	}
	l := &w.leaves[0]
	if !l.dictChosen {
		t.Fatal("no dictionary choice made on a chunk of 4096 values")
	}
	choice := l.dictChoice
	if err := w.ResetKeepChoices(&bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	if !l.dictChosen || l.dictChoice != choice {
		t.Fatalf("after ResetKeepChoices: chosen %v, choice %v, want true, %v", l.dictChosen, l.dictChoice, choice)
	}
	if err := w.Reset(&bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	if l.dictChosen {
		t.Fatal("after Reset: the dictionary choice is still made")
	}
	if err := w.ResetKeepChoices(nil); err == nil {
		t.Fatal("ResetKeepChoices(nil): no error")
	}
}

// TestResetKeepChoicesCodec checks that ResetKeepChoices leaves a column
// uncompressed without judging it again once plainRunsToKeep files in a
// row found its compression far from paying (plainClear), that a file
// whose column compresses breaks the run, and that Reset judges again;
// every file reads back whole, with the codec its column chunk reports.
func TestResetKeepChoicesCodec(t *testing.T) {
	const n = 4096
	schema := flatSchema(&Node{Name: "x", Type: Int64})
	// noise: deltas of random 62-bit values, which zstd cannot shrink;
	// steps: a counter, which it shrinks to almost nothing
	noise := func(seed uint64) []ColumnData {
		v := make([]int64, n)
		x := seed
		for i := range v {
			x = x*6364136223846793005 + 1442695040888963407
			v[i] = int64(x >> 2)
		}
		return []ColumnData{{Path: []string{"x"}, Leaf: schema.Children[0], NumLevels: n, Int64s: v}}
	}
	steps := func() []ColumnData {
		v := make([]int64, n)
		for i := range v {
			v[i] = int64(i) * 3
		}
		return []ColumnData{{Path: []string{"x"}, Leaf: schema.Children[0], NumLevels: n, Int64s: v}}
	}
	type step struct {
		reset     string // "new", "keep" or "plain"
		group     []ColumnData
		codec     Compression // of the chunk written
		kept      bool        // codec set before the chunk, not judged
		plainRuns uint8       // after the file
	}
	cases := []struct {
		name  string
		steps []step
	}{
		{"kept after two files", []step{
			{"new", noise(1), Uncompressed, false, 1},
			{"keep", noise(2), Uncompressed, false, 2},
			{"keep", noise(3), Uncompressed, true, 2},
			// kept even for data that would compress, until judged again
			{"keep", steps(), Uncompressed, true, 2},
			{"plain", steps(), Zstd, false, 0},
			{"keep", noise(4), Uncompressed, false, 1},
		}},
		{"a compressed file breaks the run", []step{
			{"new", noise(1), Uncompressed, false, 1},
			{"keep", steps(), Zstd, false, 0},
			{"keep", noise(2), Uncompressed, false, 1},
			{"keep", noise(3), Uncompressed, false, 2},
			{"keep", steps(), Uncompressed, true, 2},
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var w *Writer
			for i, s := range tc.steps {
				var buf bytes.Buffer
				var err error
				switch s.reset {
				case "new":
					w, err = NewWriter(&buf, schema, WriterOptions{Compression: Zstd})
				case "keep":
					err = w.ResetKeepChoices(&buf)
				default:
					err = w.Reset(&buf)
				}
				if err != nil {
					t.Fatal(err)
				}
				l := &w.leaves[0]
				if l.codecSet != s.kept {
					t.Errorf("file %d: codec set before the chunk: %v, want %v", i, l.codecSet, s.kept)
				}
				if err := w.WriteRowGroup(s.group); err != nil {
					t.Fatal(err)
				}
				if err := w.Close(); err != nil {
					t.Fatal(err)
				}
				if l.plainRuns != s.plainRuns {
					t.Errorf("file %d: plainRuns %d, want %d", i, l.plainRuns, s.plainRuns)
				}
				f, got := readAll(t, buf.Bytes())
				if diff := cmp.Diff([][]ColumnData{s.group}, got, cmpColumns); diff != "" {
					t.Fatalf("file %d: columns differ (-want +got):\n%s", i, diff)
				}
				if c := f.RowGroups()[0].Columns[0].Compression; c != s.codec {
					t.Errorf("file %d: codec %v, want %v", i, c, s.codec)
				}
			}
		})
	}
}

// TestResetKeepChoicesGrowth: a verdict against a column's dictionary,
// made on a small chunk (3,000 skus of 5,000, most of them distinct),
// holds for the next chunks of up to rejudgeGrowth times its values, in
// the file and after ResetKeepChoices; a chunk thirty times larger, whose
// dictionary wins by far, judges its own and gets one, its file within
// 2% of a new writer's; its verdict for the dictionary then holds for
// the small chunk too.
func TestResetKeepChoicesGrowth(t *testing.T) {
	schema := flatSchema(&Node{Name: "sku", Type: ByteArray, Logical: String})
	opts := WriterOptions{Compression: Zstd, ZstdLevel: 1}
	rng := rand.New(rand.NewPCG(1, 2))
	skus := func(n int) []ColumnData {
		c := ColumnData{Path: []string{"sku"}, Leaf: schema.Children[0], NumLevels: n, Offsets: []int32{0}}
		for range n {
			c.Bytes = fmt.Appendf(c.Bytes, "SKU-%d", rng.IntN(5000))
			c.Offsets = append(c.Offsets, int32(len(c.Bytes)))
		}
		return []ColumnData{c}
	}
	var buf bytes.Buffer
	w, err := NewWriter(&buf, schema, opts)
	if err != nil {
		t.Fatal(err)
	}
	l := &w.leaves[0]
	file := func(g []ColumnData, wantDict bool) {
		t.Helper()
		buf.Reset()
		if err := w.ResetKeepChoices(&buf); err != nil {
			t.Fatal(err)
		}
		if err := w.WriteRowGroup(g); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		f := checkGroups(t, buf.Bytes(), g)
		if c := f.RowGroups()[0].Columns[0]; c.HasDictionary != wantDict {
			t.Fatalf("%d skus: dictionary %v (%v), want %v", g[0].NumLevels, c.HasDictionary, c.Encodings, wantDict)
		}
	}
	small := skus(3000)
	file(small, false)
	if !l.dictChosen || l.dictChoice == kindDict || l.dictChoiceValues != 3000 {
		t.Fatalf("after 3,000 skus: chosen %v, choice %v, on %d values; want a verdict against the dictionary on 3,000", l.dictChosen, l.dictChoice, l.dictChoiceValues)
	}
	// up to rejudgeGrowth times the values: the verdict holds, unjudged
	file(skus(3000*rejudgeGrowth), false)
	if l.dictChoiceValues != 3000 {
		t.Fatalf("a chunk of %d values judged the dictionary again", 3000*rejudgeGrowth)
	}
	big := skus(100_000)
	file(big, true)
	fresh := writeFile(t, schema, opts, big)
	if buf.Len() > len(fresh)*102/100 {
		t.Errorf("100,000 skus: %d bytes after the small chunk's verdict, a new writer's %d", buf.Len(), len(fresh))
	}
	// the large chunk's verdict, for the dictionary, holds for the small
	// one, unjudged
	file(small, true)
	if l.dictChoiceValues != 100_000 {
		t.Fatalf("3,000 skus after 100,000 judged the dictionary again (on %d values)", l.dictChoiceValues)
	}
}
