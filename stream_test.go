package writer_test

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	writer "github.com/evodb/writer"
	"github.com/evodb/writer/cdc"
	"github.com/evodb/writer/engine"
	"github.com/evodb/writer/upload"
)

// sliceSource hands FlushBlocks fixed batches and records what it is told.
type sliceSource struct {
	batches [][]cdc.Entry
	next    int
	err     error // returned by Next after the batches, instead of io.EOF
	// commitEvery ends a commit after every that many batches (0: one
	// commit)
	commitEvery int
	ended       bool // the last Next ended a commit
	commits     []int
	results     []writer.FlushResult

	mu       sync.Mutex
	done     int
	rejected [][]int // per batch, the indexes Done was given
	inFlight int     // batches handed out and not done
	maxHeld  int     // the most at once
	dupDone  bool    // Done was called twice for a batch
}

func (s *sliceSource) Next(ctx context.Context) ([]cdc.Entry, error) {
	if s.commitEvery > 0 && s.next > 0 && s.next%s.commitEvery == 0 && !s.ended {
		s.ended = true
		return nil, writer.ErrEndOfCommit
	}
	s.ended = false
	if s.next == len(s.batches) {
		if s.err != nil {
			return nil, s.err
		}
		return nil, io.EOF
	}
	b := s.batches[s.next]
	s.next++
	s.mu.Lock()
	s.inFlight++
	s.maxHeld = max(s.maxHeld, s.inFlight)
	s.mu.Unlock()
	return b, nil
}

func (s *sliceSource) Committed(res writer.FlushResult, end int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.commits = append(s.commits, end)
	s.results = append(s.results, res)
}

func (s *sliceSource) Done(batch int, rejected []*engine.RowError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.inFlight--
	idx := []int{}
	for _, re := range rejected {
		idx = append(idx, re.Index)
	}
	for len(s.rejected) <= batch {
		s.rejected = append(s.rejected, nil)
	}
	if s.rejected[batch] != nil {
		s.dupDone = true
	}
	s.rejected[batch] = idx
	s.done++
}

// split cuts entries into batches of the given sizes.
func split(entries []cdc.Entry, sizes ...int) [][]cdc.Entry {
	var out [][]cdc.Entry
	for _, n := range sizes {
		out = append(out, entries[:n])
		entries = entries[n:]
	}
	return out
}

// TestFlushBlocksLikeFlush: a streamed commit of batches writes what one
// Flush of all its entries writes: the same rows, duplicates dropped
// across batches (committed before, or repeated in the commit), rejected
// rows reported on their own batch.
func TestFlushBlocksLikeFlush(t *testing.T) {
	bad := cdc.Entry{Op: cdc.Insert, Table: "orders", Data: []byte(`{"id":`), LSN: 0, Producer: "p"}
	tests := []struct {
		name     string
		before   []cdc.Entry // committed first, by Flush
		batches  func() [][]cdc.Entry
		wantRows []cdc.Entry
		wantDups int
		// wantRejected: per batch, the indexes of its rejected rows
		wantRejected [][]int
	}{
		{
			name:         "batches in order",
			batches:      func() [][]cdc.Entry { return split(batch(t, "p", 1, 250), 100, 1, 149) },
			wantRows:     batch(t, "p", 1, 250),
			wantRejected: [][]int{{}, {}, {}},
		},
		{
			name:   "committed before and repeated across batches",
			before: batch(t, "p", 1, 50),
			batches: func() [][]cdc.Entry {
				return [][]cdc.Entry{batch(t, "p", 40, 120), batch(t, "p", 100, 130), batch(t, "q", 1, 10)}
			},
			wantRows: append(append(batch(t, "p", 1, 50), batch(t, "p", 51, 130)...),
				batch(t, "q", 1, 10)...),
			wantDups:     11 + 21,
			wantRejected: [][]int{{}, {}, {}},
		},
		{
			name:   "LSNs that fall back are kept once",
			before: nil,
			batches: func() [][]cdc.Entry {
				return [][]cdc.Entry{batch(t, "p", 20, 40), batch(t, "p", 1, 25), batch(t, "p", 2, 3)}
			},
			wantRows:     batch(t, "p", 1, 40),
			wantDups:     6 + 2,
			wantRejected: [][]int{{}, {}, {}},
		},
		{
			name: "a bad row is rejected in its batch",
			batches: func() [][]cdc.Entry {
				a := batch(t, "p", 1, 5)
				b := append(batch(t, "p", 6, 8), bad)
				b[3].LSN = 9
				return [][]cdc.Entry{a, b, batch(t, "p", 10, 12)}
			},
			wantRows:     append(batch(t, "p", 1, 8), batch(t, "p", 10, 12)...),
			wantRejected: [][]int{{}, {3}, {}},
		},
		{
			name:         "every entry a duplicate",
			before:       batch(t, "p", 1, 20),
			batches:      func() [][]cdc.Entry { return split(batch(t, "p", 1, 20), 10, 10) },
			wantRows:     batch(t, "p", 1, 20),
			wantDups:     20,
			wantRejected: [][]int{{}, {}},
		},
	}
	for _, encoders := range []int{1, 2, 3} {
		for _, tc := range tests {
			t.Run(fmt.Sprintf("%s/encoders=%d", tc.name, encoders), func(t *testing.T) {
				ctx := context.Background()
				mem := upload.NewMemory()
				w := open(t, smallBlocks(mem, encoders))
				if tc.before != nil {
					if _, err := w.Flush(ctx, tc.before); err != nil {
						t.Fatal(err)
					}
				}
				before := w.Stats()
				src := &sliceSource{batches: tc.batches()}
				res, err := w.FlushBlocks(ctx, src)
				if err != nil {
					t.Fatal(err)
				}
				if res.Duplicates != tc.wantDups {
					t.Errorf("%d duplicates, want %d", res.Duplicates, tc.wantDups)
				}
				if diff := cmp.Diff(tc.wantRejected, src.rejected); diff != "" {
					t.Errorf("rejected rows per batch (-want +got):\n%s", diff)
				}
				if src.done != len(src.batches) || src.dupDone {
					t.Errorf("Done called %d times for %d batches (twice for one: %v)", src.done, len(src.batches), src.dupDone)
				}
				checkRows(t, readAll(t, w, nil), wantRows(tc.wantRows))
				if diff := cmp.Diff(activeKeys(t, w), dataKeys(t, mem)); diff != "" {
					t.Errorf("objects under data/ are not the table's files (-table +store):\n%s", diff)
				}
				after := w.Stats()
				var rejected int
				for _, r := range tc.wantRejected {
					rejected += len(r)
				}
				if got := after.Rejected - before.Rejected; got != int64(rejected) {
					t.Errorf("Stats.Rejected grew by %d, want %d", got, rejected)
				}
				if res.RowCount != after.RowsWritten-before.RowsWritten {
					t.Errorf("result %d rows, stats %d", res.RowCount, after.RowsWritten-before.RowsWritten)
				}
				if res.Duplicate != (res.RowCount == 0 && tc.wantDups > 0) {
					t.Errorf("Duplicate %v with %d rows and %d duplicates", res.Duplicate, res.RowCount, res.Duplicates)
				}
				last := tc.wantRows[len(tc.wantRows)-1]
				if got, _ := w.CommittedLSN(last.Producer); got != last.LSN || res.Committed[last.Producer] != last.LSN {
					t.Errorf("committed LSN of %s: %d (result %d), want %d", last.Producer, got, res.Committed[last.Producer], last.LSN)
				}
			})
		}
	}
}

// TestFlushBlocksHoldsFewBatches: the writer takes a batch only when a
// block writer is free for it, so the batches held at once stay near the
// number of encoders, however many the commit has.
func TestFlushBlocksHoldsFewBatches(t *testing.T) {
	ctx := context.Background()
	w := open(t, smallBlocks(upload.NewMemory(), 2))
	all := batch(t, "p", 1, 400)
	var sizes []int
	for range 20 {
		sizes = append(sizes, 20)
	}
	src := &sliceSource{batches: split(all, sizes...)}
	res, err := w.FlushBlocks(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	if res.RowCount != 400 || res.Version != 1 {
		t.Errorf("%d rows at version %d, want 400 at version 1", res.RowCount, res.Version)
	}
	// Two being written, and one written but waiting for the one before
	// it to be done.
	if src.maxHeld > 3 {
		t.Errorf("%d batches held at once with 2 encoders", src.maxHeld)
	}
	checkRows(t, readAll(t, w, nil), wantRows(all))
}

// TestFlushBlocksFailures: when the source fails, or the commit meets a
// concurrent one, nothing of the batches is committed and no block is
// left in the store.
func TestFlushBlocksFailures(t *testing.T) {
	ctx := context.Background()
	t.Run("source error", func(t *testing.T) {
		mem := upload.NewMemory()
		w := open(t, smallBlocks(mem, 2))
		boom := errors.New("corrupt input")
		src := &sliceSource{batches: split(batch(t, "p", 1, 200), 100, 100), err: boom}
		if _, err := w.FlushBlocks(ctx, src); !errors.Is(err, boom) {
			t.Fatalf("error %v, want the source's", err)
		}
		if keys := dataKeys(t, mem); len(keys) != 0 {
			t.Errorf("blocks left in the store: %v", keys)
		}
		if lsn, ok := w.CommittedLSN("p"); ok {
			t.Errorf("producer p committed up to %d", lsn)
		}
		// The writer is usable afterwards.
		res, err := w.FlushBlocks(ctx, &sliceSource{batches: split(batch(t, "p", 1, 200), 100, 100)})
		if err != nil || res.RowCount != 200 {
			t.Fatalf("flush after a failure: %d rows, %v", res.RowCount, err)
		}
	})
	t.Run("negative LSN", func(t *testing.T) {
		w := open(t, smallBlocks(upload.NewMemory(), 2))
		b := batch(t, "p", 1, 3)
		b[1].LSN = -1
		if _, err := w.FlushBlocks(ctx, &sliceSource{batches: [][]cdc.Entry{b}}); !errors.Is(err, writer.ErrInvalidEntry) {
			t.Fatalf("error %v, want ErrInvalidEntry", err)
		}
	})
	t.Run("concurrent commit", func(t *testing.T) {
		mem := upload.NewMemory()
		w := open(t, smallBlocks(mem, 2))
		other := open(t, smallBlocks(mem, 1))
		if _, err := w.Flush(ctx, batch(t, "p", 1, 10)); err != nil {
			t.Fatal(err)
		}
		// other commits LSNs 11..20 of p after w read the table.
		if _, err := other.Flush(ctx, batch(t, "p", 11, 20)); err != nil {
			t.Fatal(err)
		}
		_, err := w.FlushBlocks(ctx, &sliceSource{batches: split(batch(t, "p", 11, 60), 25, 25)})
		if !errors.Is(err, writer.ErrStreamConflict) {
			t.Fatalf("error %v, want ErrStreamConflict", err)
		}
		checkRows(t, readAll(t, w, nil), wantRows(batch(t, "p", 1, 20)))
		if diff := cmp.Diff(activeKeys(t, w), dataKeys(t, mem)); diff != "" {
			t.Errorf("objects under data/ are not the table's files (-table +store):\n%s", diff)
		}
		// Written again, the batches are filtered against the new table.
		res, err := w.FlushBlocks(ctx, &sliceSource{batches: split(batch(t, "p", 11, 60), 25, 25)})
		if err != nil || res.Duplicates != 10 || res.RowCount != 40 {
			t.Fatalf("second try: %d rows, %d duplicates, %v", res.RowCount, res.Duplicates, err)
		}
		checkRows(t, readAll(t, w, nil), wantRows(batch(t, "p", 1, 60)))
	})
	t.Run("cancelled", func(t *testing.T) {
		mem := upload.NewMemory()
		w := open(t, smallBlocks(mem, 2))
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := w.FlushBlocks(cctx, &sliceSource{batches: split(batch(t, "p", 1, 100), 50, 50)}); !errors.Is(err, context.Canceled) {
			t.Fatalf("error %v, want context.Canceled", err)
		}
		if keys := dataKeys(t, mem); len(keys) != 0 {
			t.Errorf("blocks left in the store: %v", keys)
		}
	})
	t.Run("closed", func(t *testing.T) {
		w := open(t, smallBlocks(upload.NewMemory(), 2))
		w.Close(ctx)
		if _, err := w.FlushBlocks(ctx, &sliceSource{}); !errors.Is(err, writer.ErrClosed) {
			t.Fatalf("error %v, want ErrClosed", err)
		}
	})
}

// TestFlushBlocksSchemaClash: two batches written at once type a column
// new to the table differently; the later one is written again with the
// earlier one's type (its values rescued), as in a Flush.
func TestFlushBlocksSchemaClash(t *testing.T) {
	ctx := context.Background()
	mem := upload.NewMemory()
	opts := smallBlocks(newBarrierStore(mem, 2), 2)
	opts.MaxBlockBytes = 1 << 20
	w := open(t, opts)
	ints := func(i int) any { return i }
	strs := func(i int) any { return fmt.Sprint("s", i) }
	size := clashBatch(t, 2, ints, strs)[0].Size()
	n := int(2*w.InputBytesPerBlock()/int64(size)) &^ 1
	es := clashBatch(t, n, ints, strs)
	res, err := w.FlushBlocks(ctx, &sliceSource{batches: split(es, n/2, n/2)})
	if err != nil {
		t.Fatal(err)
	}
	if res.RowCount != int64(n) || res.Rescued != n/2 {
		t.Errorf("%d rows, %d rescued; want %d, %d", res.RowCount, res.Rescued, n, n/2)
	}
	var xType string
	for _, f := range tableSchema(t, w).Fields {
		if f.Name == "x" {
			xType = f.Type.String()
		}
	}
	if xType != `"long"` {
		t.Errorf("x typed %s, want long", xType)
	}
	if st := w.Stats(); st.SchemaRewrites != 1 {
		t.Errorf("%d schema rewrites, want 1", st.SchemaRewrites)
	}
	if diff := cmp.Diff(activeKeys(t, w), dataKeys(t, mem)); diff != "" {
		t.Errorf("objects under data/ are not the table's files (-table +store):\n%s", diff)
	}
}

// TestFlushBlocksCommits: a stream of batches with a commit every two
// batches makes those commits, in order, each filtered against the ones
// before (an LSN committed by an earlier commit of the stream is a
// duplicate, even if it never reached the table before).
func TestFlushBlocksCommits(t *testing.T) {
	for _, encoders := range []int{1, 2, 3} {
		t.Run(fmt.Sprintf("encoders=%d", encoders), func(t *testing.T) {
			ctx := context.Background()
			mem := upload.NewMemory()
			w := open(t, smallBlocks(mem, encoders))
			// 1..100, 101..200 | 150..250 (150..200 repeat), 301..400 |
			// 260..280 (below 400, committed by the commit before) | end
			batches := [][]cdc.Entry{batch(t, "p", 1, 100), batch(t, "p", 101, 200), batch(t, "p", 150, 250), batch(t, "p", 301, 400), batch(t, "p", 260, 280)}
			src := &sliceSource{batches: batches, commitEvery: 2}
			res, err := w.FlushBlocks(ctx, src)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff([]int{2, 4, 5}, src.commits); diff != "" {
				t.Errorf("commits end at batches (-want +got):\n%s", diff)
			}
			var versions []int64
			var rows []int64
			var dups []int
			for _, r := range src.results {
				versions, rows, dups = append(versions, r.Version), append(rows, r.RowCount), append(dups, r.Duplicates)
			}
			if diff := cmp.Diff([]int64{1, 2, 2}, versions); diff != "" {
				t.Errorf("versions (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([]int64{200, 150, 0}, rows); diff != "" {
				t.Errorf("rows per commit (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([]int{0, 51, 21}, dups); diff != "" {
				t.Errorf("duplicates per commit (-want +got):\n%s", diff)
			}
			if res.RowCount != 350 || res.Duplicates != 72 || res.Version != 2 || len(res.BlockPaths) != len(activeKeys(t, w)) {
				t.Errorf("result: %d rows, %d duplicates, version %d, %d blocks", res.RowCount, res.Duplicates, res.Version, len(res.BlockPaths))
			}
			want := append(batch(t, "p", 1, 250), batch(t, "p", 301, 400)...)
			checkRows(t, readAll(t, w, nil), wantRows(want))
			if diff := cmp.Diff(activeKeys(t, w), dataKeys(t, mem)); diff != "" {
				t.Errorf("objects under data/ are not the table's files (-table +store):\n%s", diff)
			}
			if st := w.Stats(); st.Commits != 2 || st.RowsWritten != 350 {
				t.Errorf("stats: %d commits, %d rows", st.Commits, st.RowsWritten)
			}
		})
	}
}

// TestFlushBlocksFailureKeepsEarlierCommits: a source that fails after a
// commit leaves that commit in the table and nothing of what came after.
func TestFlushBlocksFailureKeepsEarlierCommits(t *testing.T) {
	ctx := context.Background()
	mem := upload.NewMemory()
	w := open(t, smallBlocks(mem, 2))
	boom := errors.New("corrupt input")
	src := &sliceSource{batches: split(batch(t, "p", 1, 300), 100, 100, 100), commitEvery: 2, err: boom}
	if _, err := w.FlushBlocks(ctx, src); !errors.Is(err, boom) {
		t.Fatalf("error %v, want the source's", err)
	}
	if diff := cmp.Diff([]int{2}, src.commits); diff != "" {
		t.Errorf("commits end at batches (-want +got):\n%s", diff)
	}
	checkRows(t, readAll(t, w, nil), wantRows(batch(t, "p", 1, 200)))
	if diff := cmp.Diff(activeKeys(t, w), dataKeys(t, mem)); diff != "" {
		t.Errorf("objects under data/ are not the table's files (-table +store):\n%s", diff)
	}
}

// TestFlushBlocksDeterministic: the same batches streamed into a new
// table with several block writers make the same files, byte for byte,
// on every run, however the block writers ran: each batch is cut and
// written with the estimates learnt, in batch order, from the batches
// before it, not from those that happened to finish first. The batches
// switch between data that compresses well and data that does not, so
// that the estimates move while the batches are written, and a source
// sizing its batches by the writer's estimate (BlockSizer) is told the
// same figures every time.
func TestFlushBlocksDeterministic(t *testing.T) {
	var batches [][]cdc.Entry
	lsn := int64(1)
	for i, n := range []int{300, 40, 500, 260, 90, 420, 330, 10, 380, 270, 460, 150} {
		batches = append(batches, genRows(uint64(i), "p", lsn, n, i%4 >= 2))
		lsn += int64(n)
	}
	runs := 4
	if testing.Short() {
		runs = 3
	}
	for _, encoders := range []int{2, 3} {
		t.Run(fmt.Sprintf("encoders=%d", encoders), func(t *testing.T) {
			var first *streamedFiles
			for run := range runs {
				got := streamFiles(t, encoders, batches)
				if first == nil {
					first = got
					n := 0
					for _, c := range got.Files {
						n += len(c)
					}
					if n < 2*len(batches) || len(got.Files) != 3 {
						t.Fatalf("%d files in %d commits for %d batches; want several blocks a batch, 3 commits", n, len(got.Files), len(batches))
					}
					continue
				}
				if diff := cmp.Diff(first, got); diff != "" {
					t.Fatalf("run %d wrote other files than run 0 (-run 0 +run %d):\n%s", run, run, diff)
				}
			}
		})
	}
}

// streamedFiles is what a FlushBlocks wrote: each commit's files (sha256
// and rows, in the commit's order) and the estimates the source was told.
type streamedFiles struct {
	Files   [][]string
	Learnt  []int64
	Commits []int
}

// learntSource is a sliceSource that records what BlockSizer tells it.
type learntSource struct {
	sliceSource
	learnt []int64
}

func (s *learntSource) Learnt(batch int, inputBytesPerBlock int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if batch != len(s.learnt) {
		panic(fmt.Sprintf("Learnt(%d) after %d batches", batch, len(s.learnt)))
	}
	s.learnt = append(s.learnt, inputBytesPerBlock)
}

func streamFiles(t *testing.T, encoders int, batches [][]cdc.Entry) *streamedFiles {
	t.Helper()
	ctx := context.Background()
	mem := upload.NewMemory()
	w := open(t, smallBlocks(mem, encoders))
	src := &learntSource{sliceSource: sliceSource{batches: batches, commitEvery: 4}}
	res, err := w.FlushBlocks(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	var want []cdc.Entry
	for _, b := range batches {
		want = append(want, b...)
	}
	if res.RowCount != int64(len(want)) {
		t.Fatalf("%d rows written, want %d", res.RowCount, len(want))
	}
	out := &streamedFiles{Learnt: src.learnt, Commits: src.commits}
	for _, r := range src.results {
		var files []string
		for _, p := range r.BlockPaths {
			data, _, err := mem.Get(ctx, p)
			if err != nil {
				t.Fatal(err)
			}
			files = append(files, fmt.Sprintf("%x", sha256.Sum256(data)))
		}
		out.Files = append(out.Files, files)
	}
	return out
}
