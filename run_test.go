package writer_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	writer "github.com/evodb/writer"
	"github.com/evodb/writer/buffer"
	"github.com/evodb/writer/cdc"
	"github.com/evodb/writer/upload"
)

// fakeClock is a clock moved by hand, with timers that fire when it
// passes them. armed receives a value each time a timer is set.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []*fakeTimer
	armed  chan time.Duration
}

type fakeTimer struct {
	at      time.Time
	f       func()
	stopped bool
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: t0, armed: make(chan time.Duration, 1000)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) AfterFunc(d time.Duration, f func()) func() bool {
	c.mu.Lock()
	t := &fakeTimer{at: c.now.Add(d), f: f}
	c.timers = append(c.timers, t)
	c.mu.Unlock()
	c.armed <- d
	return func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		was := !t.stopped
		t.stopped = true
		return was
	}
}

// Advance moves the clock and runs the timers it passed.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	var due []func()
	keep := c.timers[:0]
	for _, t := range c.timers {
		switch {
		case t.stopped:
		case !t.at.After(c.now):
			t.stopped = true
			due = append(due, t.f)
		default:
			keep = append(keep, t)
		}
	}
	c.timers = keep
	c.mu.Unlock()
	for _, f := range due {
		f()
	}
}

// failingStore refuses to create data blocks while fail is set.
type failingStore struct {
	upload.Store
	fail atomic.Bool
}

func (s *failingStore) Create(ctx context.Context, key string, opts upload.PutOptions) (upload.Writer, error) {
	if s.fail.Load() {
		return nil, errors.New("injected: store unavailable")
	}
	return s.Store.Create(ctx, key, opts)
}

type runHarness struct {
	w       *writer.LakehouseWriter
	ring    *buffer.Ring[cdc.Entry]
	clock   *fakeClock
	flushes chan flushEvent
	done    chan error
	cancel  context.CancelFunc
}

type flushEvent struct {
	res writer.FlushResult
	err error
}

func startRun(t *testing.T, w *writer.LakehouseWriter, bo buffer.Options, pre []cdc.Entry, closeFirst bool) *runHarness {
	t.Helper()
	ring, err := buffer.NewRing[cdc.Entry](256)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := ring.TryPublishBatch(pre); err != nil || n != len(pre) {
		t.Fatalf("published %d of %d: %v", n, len(pre), err)
	}
	if closeFirst {
		ring.Close()
	}
	h := &runHarness{w: w, ring: ring, clock: newFakeClock(), flushes: make(chan flushEvent, 100), done: make(chan error, 1)}
	bo.Clock = h.clock
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	t.Cleanup(cancel)
	go func() {
		h.done <- w.Run(ctx, ring, writer.RunOptions{
			Buffer: bo, AfterFunc: h.clock.AfterFunc,
			OnFlush: func(res writer.FlushResult, err error) { h.flushes <- flushEvent{res, err} },
		})
	}()
	return h
}

func (h *runHarness) wait(t *testing.T) error {
	t.Helper()
	select {
	case err := <-h.done:
		return err
	case <-time.After(time.Minute):
		t.Fatal("Run did not return")
	}
	return nil
}

func (h *runHarness) nextFlush(t *testing.T) flushEvent {
	t.Helper()
	select {
	case ev := <-h.flushes:
		return ev
	case <-time.After(time.Minute):
		t.Fatal("no flush")
	}
	return flushEvent{}
}

func (h *runHarness) armed(t *testing.T) time.Duration {
	t.Helper()
	select {
	case d := <-h.clock.armed:
		return d
	case <-time.After(time.Minute):
		t.Fatal("Run set no timer")
	}
	return 0
}

func TestRunEntriesTrigger(t *testing.T) {
	w := open(t, writer.Options{Store: upload.NewMemory()})
	entries := batch(t, "p1", 1, 25)
	h := startRun(t, w, buffer.Options{MaxEntries: 10}, entries, true)
	if err := h.wait(t); err != nil {
		t.Fatal(err)
	}
	var sizes []int64
	for range 3 {
		ev := h.nextFlush(t)
		if ev.err != nil {
			t.Fatal(ev.err)
		}
		sizes = append(sizes, ev.res.RowCount)
	}
	if sizes[0] != 10 || sizes[1] != 10 || sizes[2] != 5 {
		t.Errorf("flush sizes %v, want [10 10 5]", sizes)
	}
	checkRows(t, readAll(t, w, nil), wantRows(entries))
}

func TestRunAgeTrigger(t *testing.T) {
	w := open(t, writer.Options{Store: upload.NewMemory()})
	entries := batch(t, "p1", 1, 3)
	h := startRun(t, w, buffer.Options{MaxEntries: 100, MaxAge: 10 * time.Second}, entries, false)
	if d := h.armed(t); d != 10*time.Second {
		t.Errorf("timer set for %v, want the age limit 10s", d)
	}
	if st := w.Stats(); st.Commits != 0 {
		t.Fatalf("flushed before the age limit: %+v", st)
	}
	h.clock.Advance(10 * time.Second)
	ev := h.nextFlush(t)
	if ev.err != nil || ev.res.RowCount != 3 {
		t.Fatalf("flush %+v, %v", ev.res, ev.err)
	}
	h.ring.Close()
	if err := h.wait(t); err != nil {
		t.Fatal(err)
	}
	checkRows(t, readAll(t, w, nil), wantRows(entries))
}

func TestRunCloseAndCancelFlushRemainder(t *testing.T) {
	for _, cancel := range []bool{false, true} {
		name := map[bool]string{false: "ring closed", true: "context cancelled"}[cancel]
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			w := open(t, writer.Options{Store: upload.NewMemory()})
			// LSNs 1..5 are committed already: Run refuses them again.
			if _, err := w.Flush(ctx, batch(t, "p1", 1, 5)); err != nil {
				t.Fatal(err)
			}
			h := startRun(t, w, buffer.Options{MaxEntries: 100, MaxAge: time.Minute}, batch(t, "p1", 1, 8), false)
			h.armed(t) // everything is buffered, waiting for the age limit
			if cancel {
				h.cancel()
			} else {
				h.ring.Close()
			}
			err := h.wait(t)
			if cancel && !errors.Is(err, context.Canceled) || !cancel && err != nil {
				t.Fatalf("Run returned %v", err)
			}
			checkRows(t, readAll(t, w, nil), wantRows(batch(t, "p1", 1, 8)))
			if st := w.Stats(); st.Duplicates != 5 || st.Commits != 2 {
				t.Errorf("stats %+v, want 5 duplicates and 2 commits", st)
			}
		})
	}
}

func TestRunRequeuesFailedFlush(t *testing.T) {
	store := &failingStore{Store: upload.NewMemory()}
	w := open(t, writer.Options{Store: store})
	store.fail.Store(true)
	bp, err := buffer.NewBackpressure(buffer.BackpressureOptions{HighWaterMark: 1 << 30, LowWaterMark: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	entries := batch(t, "p1", 1, 10)
	h := startRun(t, w, buffer.Options{MaxEntries: 10, Backpressure: bp}, entries, false)
	if ev := h.nextFlush(t); ev.err == nil {
		t.Fatal("the flush succeeded through a failing store")
	}
	if d := h.armed(t); d != time.Second {
		t.Errorf("retry timer %v, want 1s", d)
	}
	if st := bp.Stats(); st.InFlight != 0 || st.Buffered == 0 {
		t.Errorf("after a failed flush the bytes should be buffered again: %+v", st)
	}
	store.fail.Store(false)
	h.clock.Advance(time.Second)
	if ev := h.nextFlush(t); ev.err != nil || ev.res.RowCount != 10 {
		t.Fatalf("retry: %+v, %v", ev.res, ev.err)
	}
	h.ring.Close()
	if err := h.wait(t); err != nil {
		t.Fatal(err)
	}
	checkRows(t, readAll(t, w, nil), wantRows(entries))
	if st := bp.Stats(); st.InFlight != 0 || st.Buffered != 0 {
		t.Errorf("backpressure still counts bytes after the commit: %+v", st)
	}
	if st := w.Stats(); st.FailedFlushes != 1 || st.Commits != 1 {
		t.Errorf("stats %+v", st)
	}
}

func TestRunUnflushedError(t *testing.T) {
	store := &failingStore{Store: upload.NewMemory()}
	w := open(t, writer.Options{Store: store})
	store.fail.Store(true)
	entries := batch(t, "p1", 1, 4)
	h := startRun(t, w, buffer.Options{MaxEntries: 100}, entries, true)
	err := h.wait(t)
	var ue *writer.UnflushedError
	if !errors.As(err, &ue) {
		t.Fatalf("Run returned %v, want an *UnflushedError", err)
	}
	if len(ue.Entries) != len(entries) {
		t.Errorf("%d entries handed back, want %d", len(ue.Entries), len(entries))
	}
}

func TestRunWriterClosed(t *testing.T) {
	w := open(t, writer.Options{Store: upload.NewMemory()})
	if err := w.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	entries := batch(t, "p1", 1, 4)
	h := startRun(t, w, buffer.Options{MaxEntries: 2}, entries, false)
	err := h.wait(t)
	var ue *writer.UnflushedError
	if !errors.As(err, &ue) || !errors.Is(err, writer.ErrClosed) {
		t.Fatalf("Run returned %v, want an *UnflushedError of ErrClosed", err)
	}
	if len(ue.Entries) != len(entries) {
		t.Errorf("%d entries handed back, want %d", len(ue.Entries), len(entries))
	}
}
