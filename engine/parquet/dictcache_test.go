package parquet

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestDictPageCache checks that reusing a column's compressed dictionary
// page while it repeats (cachedDictPage) writes the same bytes as
// compressing every page, serially and on two goroutines, across row
// groups and files, and that the pages are reused where they repeat.
func TestDictPageCache(t *testing.T) {
	const n = 6000
	schema := flatSchema(&Node{Name: "q", Type: Int64}, &Node{Name: "s", Type: ByteArray, Logical: String})
	// group draws its values from the first k of a fixed set, each of
	// them at least once: sorted, the integer dictionary is the same for
	// the same k; the strings' one, in first-seen order, changes with the
	// seed
	group := func(k int, seed uint64) []ColumnData {
		r := rand.New(rand.NewPCG(seed, 1))
		q := make([]int64, n)
		var data []byte
		offs := []int32{0}
		for i := range q {
			// every value once, then skewed ones (whose indices compress)
			v := i
			if i >= k {
				v = min(r.IntN(k), r.IntN(k), r.IntN(k))
			}
			q[i] = int64(100 + 7*v)
			data = fmt.Appendf(data, "code-%d", r.IntN(k))
			offs = append(offs, int32(len(data)))
		}
		return []ColumnData{
			{Path: []string{"q"}, Leaf: schema.Children[0], NumLevels: n, Int64s: q},
			{Path: []string{"s"}, Leaf: schema.Children[1], NumLevels: n, Bytes: data, Offsets: offs},
		}
	}
	// files of row groups, one writer, ResetKeepChoices between files
	files := [][][]ColumnData{
		{group(40, 1), group(40, 2)},
		{group(40, 3)},
		{group(41, 4), group(40, 5)},
		{group(40, 6)},
	}
	write := func(t *testing.T, concurrency int, cache bool) ([][]byte, int) {
		t.Helper()
		defer func(on bool) { dictCacheOn = on }(dictCacheOn)
		dictCacheOn = cache
		var out [][]byte
		var w *Writer
		for i, groups := range files {
			var buf bytes.Buffer
			var err error
			if i == 0 {
				w, err = NewWriter(&buf, schema, WriterOptions{Compression: Zstd, Concurrency: concurrency})
			} else {
				err = w.ResetKeepChoices(&buf)
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, g := range groups {
				if err := w.WriteRowGroup(g); err != nil {
					t.Fatal(err)
				}
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			_, got := readAll(t, buf.Bytes())
			if diff := cmp.Diff(groups, got, cmpColumns); diff != "" {
				t.Fatalf("file %d: columns differ (-want +got):\n%s", i, diff)
			}
			out = append(out, buf.Bytes())
		}
		return out, w.dictCacheHits
	}
	for _, concurrency := range []int{1, 2} {
		t.Run(fmt.Sprintf("concurrency %d", concurrency), func(t *testing.T) {
			want, _ := write(t, concurrency, false)
			got, hits := write(t, concurrency, true)
			if !cmp.Equal(want, got) {
				t.Fatal("files differ with the dictionary page cache")
			}
			// the integers' page is compressed by the choice of encoding
			// in the first row group, kept when the second repeats it,
			// reused in the third, dropped in the fourth (41 values:
			// not a repeat), not kept in the fifth (it repeats the
			// fourth's no more than the fourth repeated the third) and
			// kept again in the last, which repeats the fifth
			if hits != 1 {
				t.Errorf("%d dictionary pages reused, want 1", hits)
			}
		})
	}
}

// TestDictPageCacheKeepsRepeatsOnly: a column whose dictionary changes
// from row group to row group (a sorted dictionary of scores drawn anew)
// leaves no page in the cache, with the same bytes as without the cache;
// one whose dictionary repeats keeps its page and reuses it.
func TestDictPageCacheKeepsRepeatsOnly(t *testing.T) {
	const n = 3000
	schema := flatSchema(&Node{Name: "q", Type: Int64})
	// group: the values 100+7v for v in [lo, lo+k), each at least once,
	// then skewed ones; sorted, the dictionary depends on lo and k only
	group := func(lo, k int, seed uint64) []ColumnData {
		r := rand.New(rand.NewPCG(seed, 2))
		q := make([]int64, n)
		for i := range q {
			v := i
			if i >= k {
				v = min(r.IntN(k), r.IntN(k), r.IntN(k))
			}
			q[i] = int64(100 + 7*(lo+v))
		}
		return []ColumnData{{Path: []string{"q"}, Leaf: schema.Children[0], NumLevels: n, Int64s: q}}
	}
	tests := []struct {
		name     string
		lo       func(g int) int // the dictionary of row group g starts at lo(g)
		wantHeld bool
		wantHits int
	}{
		// 3 files of 4 row groups: the first row group's page is the
		// choice of encoding's, the second keeps it when it repeats, the
		// third and fourth reuse it, and so do the next files' second to
		// fourth
		{"changing", func(g int) int { return 50 * g }, false, 0},
		{"repeating", func(int) int { return 0 }, true, 2 + 3 + 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			write := func(cache bool) ([][]byte, *Writer) {
				defer func(on bool) { dictCacheOn = on }(dictCacheOn)
				dictCacheOn = cache
				w, err := NewWriter(io.Discard, schema, WriterOptions{Compression: Zstd})
				if err != nil {
					t.Fatal(err)
				}
				var files [][]byte
				g := 0
				for range 3 {
					var buf bytes.Buffer
					if err := w.Reset(&buf); err != nil {
						t.Fatal(err)
					}
					for range 4 {
						if err := w.WriteRowGroup(group(tt.lo(g), 40, uint64(g))); err != nil {
							t.Fatal(err)
						}
						g++
					}
					if err := w.Close(); err != nil {
						t.Fatal(err)
					}
					files = append(files, buf.Bytes())
				}
				return files, w
			}
			want, _ := write(false)
			got, w := write(true)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("files differ with the dictionary page cache (-without +with):\n%s", diff)
			}
			if held := w.dictCacheHeld > 0; held != tt.wantHeld || w.dictCacheHits != tt.wantHits {
				t.Errorf("cache holds %d bytes after %d hits; want held %v, %d hits",
					w.dictCacheHeld, w.dictCacheHits, tt.wantHeld, tt.wantHits)
			}
		})
	}
}
