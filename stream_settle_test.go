package writer_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	writer "github.com/evodb/writer"
	"github.com/evodb/writer/cdc"
	"github.com/evodb/writer/upload"
)

// endSource is a sliceSource that closes ended when it first ends a
// commit.
type endSource struct {
	*sliceSource
	ended chan struct{}
	once  sync.Once
}

func (s *endSource) Next(ctx context.Context) ([]cdc.Entry, error) {
	es, err := s.sliceSource.Next(ctx)
	if errors.Is(err, writer.ErrEndOfCommit) {
		s.once.Do(func() { close(s.ended) })
	}
	return es, err
}

// holdStore holds the first Create until release is closed and fails
// every Create after the first ok ones.
type holdStore struct {
	upload.Store
	release chan struct{}
	mu      sync.Mutex
	creates int
	ok      int
}

func (h *holdStore) Create(ctx context.Context, key string, opts upload.PutOptions) (upload.Writer, error) {
	h.mu.Lock()
	h.creates++
	n := h.creates
	ok := h.ok
	h.mu.Unlock()
	if n == 1 {
		select {
		case <-h.release:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if n > ok {
		return nil, errInjected
	}
	return h.Store.Create(ctx, key, opts)
}

// padded returns entries of producer p, LSNs from..to, with x set by
// x(i) and a pad of the letter pad.
func padded(t *testing.T, from, to int, x func(i int) any, pad string) []cdc.Entry {
	t.Helper()
	var es []cdc.Entry
	for i := from; i <= to; i++ {
		data, err := json.Marshal(map[string]any{"id": i, "x": x(i), "pad": strings.Repeat(pad, 40)})
		if err != nil {
			t.Fatal(err)
		}
		es = append(es, cdc.Entry{Op: cdc.Insert, Table: "t", Data: data, LSN: int64(i), Producer: "p"})
	}
	return es
}

// TestFlushBlocksFailedSettleNotCommitted: the second batch of a commit
// clashes with the first (x long, then string) and its rewrite fails.
// The commit must not be made without it: its txn would cover the
// second batch's LSNs while its rows are not in the table, and a retry
// would drop them as duplicates.
func TestFlushBlocksFailedSettleNotCommitted(t *testing.T) {
	ctx := context.Background()
	mem := upload.NewMemory()
	first := padded(t, 1, 10, func(i int) any { return i }, "v")
	second := padded(t, 11, 20, func(i int) any { return fmt.Sprint("s", i) }, "w")
	// The third batch repeats the first's LSNs: nothing to write.
	third := padded(t, 1, 10, func(i int) any { return i }, "v")
	hs := &holdStore{Store: mem, release: make(chan struct{}), ok: 2}
	opts := smallBlocks(hs, 2)
	opts.TargetBlockBytes = 64 << 10
	opts.MaxBlockBytes = 1 << 20
	opts.Compression = writer.CompressionNone
	w := open(t, opts)
	src := &endSource{sliceSource: &sliceSource{batches: [][]cdc.Entry{first, second, third}, commitEvery: 2}, ended: make(chan struct{})}
	// The first block created (of either batch: the other batch is
	// written by the other block writer meanwhile) is held until the
	// commit has ended, so that the second batch is settled (and
	// rewritten) after that.
	go func() { <-src.ended; close(hs.release) }()
	res, err := w.FlushBlocks(ctx, src)
	if !errors.Is(err, errInjected) {
		t.Fatalf("error %v, want the injected one (%d rows, %d rewrites)", err, res.RowCount, w.Stats().SchemaRewrites)
	}
	if len(src.commits) != 0 {
		t.Errorf("source told of commits ending at %v after a failed batch", src.commits)
	}
	if lsn, ok := w.CommittedLSN("p"); ok {
		t.Errorf("producer p committed up to %d; the second batch was not written", lsn)
	}
	// Written again, every row is in the table.
	hs.mu.Lock()
	hs.ok = 1 << 30
	hs.mu.Unlock()
	all := append(append([]cdc.Entry(nil), first...), second...)
	if _, err := w.FlushBlocks(ctx, &sliceSource{batches: [][]cdc.Entry{first, second}}); err != nil {
		t.Fatal(err)
	}
	if got := len(readAll(t, w, nil)); got != len(all) {
		t.Errorf("%d rows in the table, want %d", got, len(all))
	}
}
