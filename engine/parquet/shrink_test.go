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
		if bigBytes < 1<<20 || (opts.Compression == Zstd && (!bigHist || bigDict < 4*smallCard+dictSlack)) {
			t.Fatalf("%+v: the big file left %d bytes of buffers, tables for %d entries, zstd history %v: not big enough to test shrinking",
				opts, bigBytes, bigDict, bigHist)
		}
		// Tables within dictSlack entries of the need stay.
		wantDict := bigDict
		if bigDict > 4*smallCard+dictSlack {
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
