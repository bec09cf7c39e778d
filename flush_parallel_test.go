package writer_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	writer "github.com/evodb/writer"
	"github.com/evodb/writer/cdc"
	"github.com/evodb/writer/manifest"
	"github.com/evodb/writer/upload"
)

// Flushes that make several blocks write them with Options.BlockEncoders
// block writers at once; these tests run them with several encoders
// whatever the machine's core count.

// smallBlocks makes a batch of a few hundred generated rows several
// blocks.
func smallBlocks(store upload.Store, encoders int) writer.Options {
	return writer.Options{Store: store, PartitionMode: writer.ModeDOSQLite, TargetBlockBytes: 2 << 10, MaxBlockBytes: 64 << 10,
		BlockEncoders: encoders, ResolveAttempts: 2, Manifest: manifest.Options{MaxAttempts: 3, Sleep: noSleep}}
}

// dataKeys lists the objects under data/ of a store rooted at the table.
func dataKeys(t *testing.T, store upload.Store) []string {
	t.Helper()
	objs, err := store.List(context.Background(), "data/")
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, o := range objs {
		keys = append(keys, o.Key)
	}
	slices.Sort(keys)
	return keys
}

// activeKeys lists the data files of the table's latest snapshot.
func activeKeys(t *testing.T, w *writer.LakehouseWriter) []string {
	t.Helper()
	snap, err := w.Snapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, f := range snap.Files() {
		k, err := f.Key()
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func TestParallelFlush(t *testing.T) {
	for _, encoders := range []int{1, 2, 3} {
		t.Run(fmt.Sprintf("encoders=%d", encoders), func(t *testing.T) {
			ctx := context.Background()
			mem := upload.NewMemory()
			w := open(t, smallBlocks(mem, encoders))
			var all []cdc.Entry
			for i, n := range []int64{300, 1, 450} {
				from := int64(len(all)) + 1
				b := batch(t, "p", from, from+n-1)
				all = append(all, b...)
				res, err := w.Flush(ctx, b)
				if err != nil {
					t.Fatal(err)
				}
				if res.RowCount != n || res.Version != int64(i+1) || (n > 100) != (len(res.BlockPaths) > 2) {
					t.Errorf("flush %d: %d rows in %d blocks at version %d", i, res.RowCount, len(res.BlockPaths), res.Version)
				}
			}
			checkRows(t, readAll(t, w, nil), wantRows(all))
			if diff := cmp.Diff(activeKeys(t, w), dataKeys(t, mem)); diff != "" {
				t.Errorf("objects under data/ are not the table's files (-table +store):\n%s", diff)
			}
			if st := w.Stats(); st.SchemaRewrites != 0 || st.Commits != 3 || st.RowsWritten != int64(len(all)) {
				t.Errorf("stats %+v", st)
			}
		})
	}
}

// clashBatch returns n entries of producer p whose column x holds first(i)
// in the first half of the batch and second(i) in the other half, all of
// the same size (padded) so that a cut into two blocks falls between the
// halves.
func clashBatch(t *testing.T, n int, first, second func(i int) any) []cdc.Entry {
	t.Helper()
	var es []cdc.Entry
	for i := 1; i <= n; i++ {
		d := map[string]any{"id": i, "x": first(i)}
		if i > n/2 {
			d["x"] = second(i)
		}
		data, err := json.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		const size = 100
		if len(data) > size-10 {
			t.Fatalf("row %s too long for the padding", data)
		}
		pad := fmt.Sprintf(`,"pad":"%s"}`, strings.Repeat("v", size-len(data)-9))
		data = append(data[:len(data)-1], pad...)
		es = append(es, cdc.Entry{Op: cdc.Insert, Table: "t", Data: data, LSN: int64(i), Producer: "p"})
	}
	return es
}

// barrierStore holds the first n block creations until all n have
// arrived: n blocks are then being written at once, each by its own block
// writer.
type barrierStore struct {
	upload.Store
	mu      sync.Mutex
	n       int
	arrived chan struct{}
}

func newBarrierStore(s upload.Store, n int) *barrierStore {
	return &barrierStore{Store: s, n: n, arrived: make(chan struct{})}
}

func (b *barrierStore) Create(ctx context.Context, key string, opts upload.PutOptions) (upload.Writer, error) {
	b.mu.Lock()
	b.n--
	if b.n == 0 {
		close(b.arrived)
	}
	b.mu.Unlock()
	select {
	case <-b.arrived:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return b.Store.Create(ctx, key, opts)
}

// TestParallelSchemaClash: blocks encoded at once type a column new to the
// table each from their own rows. The batch is two blocks written at once;
// x is of one type in the first, of another in the second: the second
// clashes with the first and is written again with the first one's type,
// its values rescued, as one writer writing the blocks in turn would have
// done.
func TestParallelSchemaClash(t *testing.T) {
	tests := []struct {
		name          string
		first, second func(i int) any
		wantType      string
		// rewrites: the second block is written again; rescues: its x
		// values then go to _rescued.
		rewrites, rescues bool
	}{
		{"integers then strings", func(i int) any { return i }, func(i int) any { return fmt.Sprint("s", i) }, `"long"`, true, true},
		{"integers then fractions", func(i int) any { return i }, func(i int) any { return float64(i) + 0.5 }, `"long"`, true, true},
		// Integers fit a double column: no value is rescued.
		{"fractions then integers", func(i int) any { return float64(i) + 0.5 }, func(i int) any { return i }, `"double"`, true, false},
		{"times then words", func(i int) any { return fmt.Sprintf("2026-11-26T10:00:%02dZ", i%60) }, func(i int) any { return "word" }, `"timestamp"`, true, true},
		{"strings then objects", func(i int) any { return "s" }, func(i int) any { return map[string]any{"k": i} }, `"string"`, true, true},
		{"objects then lists", func(i int) any { return map[string]any{"k": i} }, func(i int) any { return []any{i} }, `{"type":"struct","fields":[{"name":"k","type":"long","nullable":true,"metadata":{}}]}`, true, true},
		// Not a clash: a column only the second block has is added.
		{"nulls then integers", func(i int) any { return nil }, func(i int) any { return i }, `"long"`, false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			mem := upload.NewMemory()
			opts := smallBlocks(newBarrierStore(mem, 2), 2)
			opts.MaxBlockBytes = 1 << 20
			w := open(t, opts)
			// Two blocks' worth of entries.
			size := clashBatch(t, 2, tc.first, tc.second)[0].Size()
			n := int(2*w.InputBytesPerBlock()/int64(size)) &^ 1
			es := clashBatch(t, n, tc.first, tc.second)
			res, err := w.Flush(ctx, es)
			if err != nil {
				t.Fatal(err)
			}
			if len(res.BlockPaths) != 2 || res.RowCount != int64(n) || res.Rewrites != 0 {
				t.Fatalf("%d blocks, %d rows, %d rewrites; want 2 blocks, %d rows, no rewrite of the commit", len(res.BlockPaths), res.RowCount, res.Rewrites, n)
			}
			var xType string
			for _, f := range tableSchema(t, w).Fields {
				if f.Name == "x" {
					xType = f.Type.String()
				}
			}
			if xType != tc.wantType {
				t.Errorf("x is %s in the table, want %s", xType, tc.wantType)
			}
			wantRewrites, wantRescued := int64(0), 0
			if tc.rewrites {
				wantRewrites = 1
			}
			if tc.rescues {
				wantRescued = n / 2
			}
			if st := w.Stats(); st.SchemaRewrites != wantRewrites || res.Rescued != wantRescued {
				t.Errorf("%d blocks written again, %d values rescued; want %d and %d", st.SchemaRewrites, res.Rescued, wantRewrites, wantRescued)
			}
			// Every value reads back in its place, from its column or
			// from _rescued.
			rows := readAll(t, w, nil)
			if len(rows) != len(es) {
				t.Fatalf("%d rows read back, want %d", len(rows), len(es))
			}
			for i, r := range rows {
				var want map[string]any
				if err := json.Unmarshal(es[i].Data, &want); err != nil {
					t.Fatal(err)
				}
				if want["x"] == nil {
					delete(want, "x")
				}
				got, err := json.Marshal(r.Data)
				if err != nil {
					t.Fatal(err)
				}
				wantJSON, err := json.Marshal(want)
				if err != nil {
					t.Fatal(err)
				}
				if string(got) != string(wantJSON) {
					t.Fatalf("row %d: %s, want %s", r.LSN, got, wantJSON)
				}
			}
			// The block that was written again is gone from the store.
			if diff := cmp.Diff(activeKeys(t, w), dataKeys(t, mem)); diff != "" {
				t.Errorf("objects under data/ are not the table's files (-table +store):\n%s", diff)
			}
		})
	}
}

// TestParallelFlushFaults fails each store operation of a parallel flush in
// turn (before it is applied, and after: a lost answer). The flush either
// commits the whole batch or none of it (or, its commit's answer lost, may
// have); a replay by a healthy writer then leaves every row in the table
// exactly once, and only blocks counted as orphans (or kept for a commit
// of unknown outcome) are left under data/.
func TestParallelFlushFaults(t *testing.T) {
	ctx := context.Background()
	setup := func(t *testing.T) (*upload.Memory, []cdc.Entry, []cdc.Entry) {
		mem := upload.NewMemory()
		w := open(t, smallBlocks(mem, 2))
		first := batch(t, "p", 1, 40)
		if _, err := w.Flush(ctx, first); err != nil {
			t.Fatal(err)
		}
		return mem, first, batch(t, "p", 31, 330) // overlaps the committed 31..40
	}
	mem, _, b := setup(t)
	probe := &faultStore{Store: mem}
	w := open(t, smallBlocks(probe, 2))
	opened := probe.ops
	res, err := w.Flush(ctx, b)
	if err != nil || len(res.BlockPaths) < 3 {
		t.Fatalf("clean run: %d blocks, %v; want 3 or more", len(res.BlockPaths), err)
	}
	total := probe.ops - opened // the Flush's operations
	step := 1
	if testing.Short() {
		step = 4
	}
	outcomes := map[string]int{}
	var mu sync.Mutex
	for k := 1; k <= total+2; k++ {
		if k%step != 0 && k < total-6 {
			continue
		}
		for _, after := range []bool{false, true} {
			t.Run(fmt.Sprintf("op%d/after=%v", k, after), func(t *testing.T) {
				mem, first, b := setup(t)
				fs := &faultStore{Store: mem, after: after}
				w := open(t, smallBlocks(fs, 2))
				fs.mu.Lock()
				fs.failAt = fs.ops + k
				fs.mu.Unlock()
				_, err := w.Flush(ctx, b)
				healthy := open(t, smallBlocks(mem, 2))
				before := readAll(t, healthy, nil)
				var outcome string
				switch {
				case err == nil:
					outcome = "committed"
					checkRows(t, before, wantRows(batch(t, "p", 1, 330)))
				case errors.Is(err, manifest.ErrCommitUnknown):
					outcome = "unknown"
					if len(before) != 40 && len(before) != 330 {
						t.Fatalf("fault at %s: %d rows after a commit of unknown outcome, want 40 or 330", fs.failed, len(before))
					}
				default:
					outcome = "failed"
					checkRows(t, before, wantRows(first))
				}
				mu.Lock()
				outcomes[outcome]++
				mu.Unlock()
				if outcome != "unknown" {
					left := len(dataKeys(t, mem)) - len(activeKeys(t, healthy))
					if int64(left) > w.Stats().OrphanBlocks {
						t.Errorf("fault at %s (%v): %d blocks left beside the table's, %d counted orphans", fs.failed, err, left, w.Stats().OrphanBlocks)
					}
				}
				// A replay by a healthy writer completes the batch, once.
				if _, err := healthy.Flush(ctx, b); err != nil {
					t.Fatal(err)
				}
				checkRows(t, readAll(t, healthy, nil), wantRows(batch(t, "p", 1, 330)))
			})
		}
	}
	t.Logf("%d operations; outcomes %v", total, outcomes)
	if outcomes["failed"] == 0 || outcomes["committed"] == 0 {
		t.Errorf("outcomes %v: want both failed and committed flushes", outcomes)
	}
}

// cancelOnCreate cancels a context when the n-th block is created, while
// the blocks before it are being written.
type cancelOnCreate struct {
	upload.Store
	mu     sync.Mutex
	n      int
	cancel context.CancelFunc
}

func (c *cancelOnCreate) Create(ctx context.Context, key string, opts upload.PutOptions) (upload.Writer, error) {
	c.mu.Lock()
	c.n--
	if c.n == 0 {
		c.cancel()
	}
	c.mu.Unlock()
	return c.Store.Create(ctx, key, opts)
}

// TestParallelFlushCancel: a Flush cancelled while its blocks are being
// written stops, commits nothing and leaves no block behind.
func TestParallelFlushCancel(t *testing.T) {
	for _, at := range []int{1, 2, 4} {
		t.Run(fmt.Sprintf("create%d", at), func(t *testing.T) {
			mem := upload.NewMemory()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			cs := &cancelOnCreate{Store: mem, n: at, cancel: cancel}
			w := open(t, smallBlocks(cs, 2))
			_, err := w.Flush(ctx, batch(t, "p", 1, 400))
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("flush: %v, want context.Canceled", err)
			}
			if keys := dataKeys(t, mem); len(keys) != 0 {
				t.Errorf("blocks left behind: %v", keys)
			}
			// The writer goes on with the next Flush.
			b := batch(t, "p", 1, 50)
			if _, err := w.Flush(context.Background(), b); err != nil {
				t.Fatal(err)
			}
			checkRows(t, readAll(t, w, nil), wantRows(b))
		})
	}
}

// TestParallelFlushLostRace: a writer whose batch of several blocks was
// filtered against a snapshot older than another writer's commit of part
// of it loses the race, deletes the blocks it wrote, and writes what is
// left anew, every row once.
func TestParallelFlushLostRace(t *testing.T) {
	ctx := context.Background()
	mem := upload.NewMemory()
	w0 := open(t, smallBlocks(mem, 2))
	// The columns exist already, so neither commit changes the schema.
	if _, err := w0.Flush(ctx, batch(t, "other", 1, 10)); err != nil {
		t.Fatal(err)
	}
	w1 := open(t, smallBlocks(mem, 2))
	w2 := open(t, smallBlocks(mem, 2))
	if _, err := w1.Flush(ctx, batch(t, "p", 1, 200)); err != nil {
		t.Fatal(err)
	}
	res, err := w2.Flush(ctx, batch(t, "p", 101, 400))
	if err != nil {
		t.Fatal(err)
	}
	if res.Rewrites != 1 || res.Duplicates != 100 || res.RowCount != 200 || len(res.BlockPaths) < 2 {
		t.Errorf("second writer: %d rewrites, %d duplicates, %d rows in %d blocks; want one rewrite writing 201..400 in several blocks",
			res.Rewrites, res.Duplicates, res.RowCount, len(res.BlockPaths))
	}
	checkRows(t, readAll(t, w1, nil), wantRows(append(batch(t, "other", 1, 10), batch(t, "p", 1, 400)...)))
	if diff := cmp.Diff(activeKeys(t, w2), dataKeys(t, mem)); diff != "" {
		t.Errorf("objects under data/ are not the table's files (-table +store):\n%s", diff)
	}
}
