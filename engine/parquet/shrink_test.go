package parquet

import (
	"bytes"
	"io"
	"math/rand/v2"
	"testing"
)

// TestShrinkAfterOversizedFile: after a file much larger than the next
// ones, the writer releases the buffers it grew for it once shrinkFiles
// small files in a row needed far less (byte buffers, dictionary tables,
// the zstd history), writes the small files to the same bytes as a new
// writer does, and keeps its buffers through a run of files of one size.
func TestShrinkAfterOversizedFile(t *testing.T) {
	schema := flatSchema(
		&Node{Name: "id", Repetition: Required, Type: Int64},
		&Node{Name: "name", Repetition: Optional, Type: ByteArray, Logical: String},
		&Node{Name: "score", Repetition: Optional, Type: Double},
	)
	big := makeGroups(schema, &valueGen{rng: rand.New(rand.NewPCG(1, 1)), nullRate: 0.1, card: 60000}, 200000)[0]
	const smallCard = 200
	small := makeGroups(schema, &valueGen{rng: rand.New(rand.NewPCG(2, 2)), nullRate: 0.1, card: smallCard}, 2000)[0]
	optionSets := []WriterOptions{
		{Compression: Zstd, Concurrency: 1},
		{Compression: Zstd, Concurrency: 2, DataPageV2: true},
		{Compression: Snappy, Concurrency: 1},
	}
	if testing.Short() {
		optionSets = optionSets[:1] // slow under qemu and -race
	}
	for _, opts := range optionSets {
		var out bytes.Buffer
		w, err := NewWriter(&out, schema, opts)
		if err != nil {
			t.Fatal(err)
		}
		write := func(cols []ColumnData) []byte {
			t.Helper()
			out.Reset()
			if err := w.Reset(&out); err != nil {
				t.Fatal(err)
			}
			if err := w.WriteRowGroup(cols); err != nil {
				t.Fatal(err)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			return bytes.Clone(out.Bytes())
		}
		write(big)
		bigBytes, bigDict, bigHist := w.heldBytes()
		if bigBytes < 1<<20 || (opts.Compression == Zstd && (!bigHist || bigDict < 2*smallCard+dictSlack)) {
			t.Fatalf("%+v: the big file left %d bytes of buffers, tables for %d entries, zstd history %v: not big enough to test shrinking",
				opts, bigBytes, bigDict, bigHist)
		}
		// Tables within dictSlack entries of the need stay.
		wantDict := bigDict
		if bigDict > 2*smallCard+dictSlack {
			wantDict = smallCard
		}
		want := writeFile(t, schema, opts, small)
		for i := range shrinkFiles + 1 {
			if got := write(small); !bytes.Equal(got, want) {
				t.Fatalf("%+v: small file %d differs from a new writer's", opts, i)
			}
		}
		// The buffers went at the start of the file after the fourth
		// small one; the fifth grew them back to its own size.
		held, dict, hist := w.heldBytes()
		if limit := bigBytes / 8; held > limit || dict > wantDict || hist || w.use.releases == 0 {
			t.Fatalf("%+v: after %d small files the writer holds %d bytes of buffers (limit %d, %d after the big file), tables for %d entries (%d), zstd history %v",
				opts, shrinkFiles+1, held, limit, bigBytes, dict, bigDict, hist)
		}
		// The file after the release wrote its first chunk before a
		// dictionary table existed, so its page took memory of its own
		// (Writer.pageMem), which goes at the start of a file after
		// shrinkFiles files in a row had every page in the table: from
		// then on, the buffers are those of a run of like files.
		for range shrinkFiles + 1 {
			write(small)
		}
		held, _, _ = w.heldBytes()
		for range 2 * shrinkFiles {
			write(small)
		}
		if again, _, _ := w.heldBytes(); again != held {
			t.Fatalf("%+v: files of one size changed the buffers from %d to %d bytes", opts, held, again)
		}
	}
}

// TestShrinkKeepsBuffersOfAlternatingSizes: a big file every few files
// (fewer small ones between than shrinkFiles) never releases the buffers,
// so that the big files find them.
func TestShrinkKeepsBuffersOfAlternatingSizes(t *testing.T) {
	schema := flatSchema(&Node{Name: "name", Repetition: Optional, Type: ByteArray, Logical: String})
	big := makeGroups(schema, &valueGen{rng: rand.New(rand.NewPCG(3, 3)), nullRate: 0.1, card: 60000}, 100000)[0]
	small := makeGroups(schema, &valueGen{rng: rand.New(rand.NewPCG(4, 4)), nullRate: 0.1, card: 100}, 1000)[0]
	w, err := NewWriter(io.Discard, schema, WriterOptions{Compression: Zstd})
	if err != nil {
		t.Fatal(err)
	}
	write := func(cols []ColumnData) {
		t.Helper()
		if err := w.Reset(io.Discard); err != nil {
			t.Fatal(err)
		}
		if err := w.WriteRowGroup(cols); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
	for range 4 {
		write(big)
		for range shrinkFiles - 1 {
			write(small)
		}
	}
	if w.use.releases != 0 {
		t.Fatalf("%d buffers released with a big file every %d files", w.use.releases, shrinkFiles)
	}
}

// TestShrinkSettlesLikeANewWriter: a writer that wrote large files and
// then settles on small ones (a 64 KB block's worth of near-unique
// strings, ids and doubles) comes back, after shrinkFiles small files, to
// about the buffers and dictionary memory of a new writer of the small
// files only (a buffer may keep up to twice its need; the dictionaries a
// quarter more at most), and writes them to the same bytes.
// The large files' dictionaries (9,000 entries) are within the four times
// the need plus 8,192 entries that the release once allowed.
func TestShrinkSettlesLikeANewWriter(t *testing.T) {
	schema := flatSchema(
		&Node{Name: "id", Repetition: Required, Type: Int64},
		&Node{Name: "name", Repetition: Optional, Type: ByteArray, Logical: String},
		&Node{Name: "code", Repetition: Optional, Type: ByteArray, Logical: String},
		&Node{Name: "score", Repetition: Optional, Type: Double},
	)
	big := makeGroups(schema, &valueGen{rng: rand.New(rand.NewPCG(5, 5)), nullRate: 0.1, card: 9000}, 60000, 60000)
	small := makeGroups(schema, &valueGen{rng: rand.New(rand.NewPCG(6, 6)), nullRate: 0.1, card: 1500}, 1500)
	opts := WriterOptions{Compression: Zstd}
	write := func(w *Writer, groups [][]ColumnData) []byte {
		t.Helper()
		var out bytes.Buffer
		if err := w.Reset(&out); err != nil {
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
		return out.Bytes()
	}
	newWriter := func() *Writer {
		w, err := NewWriter(io.Discard, schema, opts)
		if err != nil {
			t.Fatal(err)
		}
		return w
	}
	fresh, used := newWriter(), newWriter()
	for range 2 {
		write(used, big)
	}
	bigHeld, _, _ := used.heldBytes()
	bigDict := dictMemoryHeld(used)
	for i := range shrinkFiles + 2 {
		want := write(fresh, small)
		if got := write(used, small); !bytes.Equal(got, want) {
			t.Fatalf("small file %d differs from a new writer's", i)
		}
	}
	freshHeld, _, _ := fresh.heldBytes()
	held, _, _ := used.heldBytes()
	t.Logf("buffers: %d after the large files, %d after the small ones, a new writer %d; dictionaries: %d, %d, %d",
		bigHeld, held, freshHeld, bigDict, dictMemoryHeld(used), dictMemoryHeld(fresh))
	if limit := 2 * freshHeld; held > limit {
		t.Errorf("after %d small files the writer holds %d bytes of buffers, a new writer %d (limit %d; %d after the large files)",
			shrinkFiles+2, held, freshHeld, limit, bigHeld)
	}
	freshDict, dict := dictMemoryHeld(fresh), dictMemoryHeld(used)
	if dict > freshDict+freshDict/4 {
		t.Errorf("after %d small files the dictionaries hold %d bytes, a new writer's %d (%d after the large files)",
			shrinkFiles+2, dict, freshDict, bigDict)
	}
	if bigDict < 4*freshDict || bigHeld < 4*freshHeld {
		t.Fatalf("the large files left %d bytes of buffers and %d of dictionaries, a small file's writer %d and %d: not large enough to test settling",
			bigHeld, bigDict, freshHeld, freshDict)
	}
}

// dictMemoryHeld is the memory of w's dictionary tables and of the
// dictionary values its builds keep.
func dictMemoryHeld(w *Writer) int {
	return w.dictMem.Bytes() + 8*cap(w.fixed.s64) + 4*cap(w.fixed.order) + 4*cap(w.fixed.s32) +
		cap(w.byteDic.slab) + 4*cap(w.byteDic.offsets)
}
