package writer

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/evodb/writer/buffer"
	"github.com/evodb/writer/cdc"
)

// RunOptions configure Run. Zero fields take the defaults in brackets.
type RunOptions struct {
	// Buffer sets the flush triggers (MaxEntries, MaxBytes, MaxAge),
	// the MemoryLimit, the Clock and the Backpressure of the CDC buffer.
	// Its zero MaxBytes means the writer's InputBytesPerBlock: the entry
	// bytes that make one block of TargetBlockBytes at the compression
	// ratio of the blocks written so far, set again after every flush
	// (clamped to an explicit MemoryLimit); with it, a zero MaxEntries
	// means no entry limit, so that bytes (or age) decide. Its zero Clock
	// is the writer's Options.Clock. With Backpressure set, a drained batch
	// counts as uploading until its commit (or, when it fails, as
	// buffered again): producers can Wait on it.
	Buffer buffer.Options
	// ReadBatch is the most entries taken from the ring at once [1024].
	ReadBatch int
	// RetryDelay is the wait after a failed flush before the batch is
	// tried again, doubling per failure up to MaxRetryDelay [1 s, 30 s].
	RetryDelay, MaxRetryDelay time.Duration
	// FinalFlushTimeout bounds the last flush, made after ctx ended [30 s].
	FinalFlushTimeout time.Duration
	// AfterFunc runs f after d; stop cancels it. Tests pass a fake timer
	// that goes with the fake Clock [time.AfterFunc].
	AfterFunc func(d time.Duration, f func()) (stop func() bool)
	// OnFlush, when set, is called after every flush attempt, on Run's
	// goroutine.
	OnFlush func(FlushResult, error)
	// OnReject, when set, is called for an entry the buffer refused: an
	// invalid op or LSN, or an entry larger than the memory limit. Such an
	// entry was never accepted; it is counted in Stats.Rejected.
	OnReject func(cdc.Entry, error)
}

// UnflushedError is returned by Run when its last flush failed or the
// writer was closed under it: Entries were taken from the ring and are not
// in the table. Nothing of them is lost as long as the caller writes them
// again (a replay is safe: what was committed is filtered by the txn
// versions).
type UnflushedError struct {
	Entries []cdc.Entry
	Err     error
}

func (e *UnflushedError) Error() string {
	return fmt.Sprintf("writer: run: %d entries not flushed: %v", len(e.Entries), e.Err)
}

func (e *UnflushedError) Unwrap() error { return e.Err }

type clockFunc func() time.Time

func (f clockFunc) Now() time.Time { return f() }

// runner is the state of one Run.
type runner struct {
	w        *LakehouseWriter
	opts     RunOptions
	buf      *buffer.CDC
	clock    buffer.Clock
	failures int
	retryAt  time.Time
	lastErr  error // of the last failed flush
	spare    []cdc.Entry
	// autoBytes: the buffer's byte trigger follows the writer's
	// InputBytesPerBlock (at most memLimit when that is set).
	autoBytes bool
	memLimit  int64
}

// autoMaxBytes is the byte trigger of Run's buffer: one target block's
// entry bytes, at most an explicit memory limit.
func autoMaxBytes(w *LakehouseWriter, memLimit int64) int64 {
	n := w.InputBytesPerBlock()
	if memLimit > 0 {
		n = min(n, memLimit)
	}
	return n
}

// Run drains ring through a buffer.CDC and flushes it with Flush whenever
// one of the buffer's triggers holds (entries, bytes, age: the age limit
// wakes Run through a timer set to the buffer's NextDeadline). After a
// commit the producers' LSNs are marked committed in the buffer, so later
// duplicates are refused there. A failed flush puts its batch back in the
// buffer, in front, and is tried again after RetryDelay (while the buffer is
// at its memory limit, Run stops reading the ring, so producers wait on it).
//
// Run returns nil when the ring is closed and everything it held is
// committed, or ctx's error when ctx ends, after a last flush of what was
// buffered and published (bounded by FinalFlushTimeout). If that last flush
// fails, or the writer is closed under it, it returns an *UnflushedError
// holding the entries not written.
func (w *LakehouseWriter) Run(ctx context.Context, ring *buffer.Ring[cdc.Entry], opts RunOptions) error {
	if ring == nil {
		return errors.New("writer: Run: nil ring")
	}
	if opts.ReadBatch <= 0 {
		opts.ReadBatch = 1024
	}
	if opts.RetryDelay <= 0 {
		opts.RetryDelay = time.Second
	}
	if opts.MaxRetryDelay <= 0 {
		opts.MaxRetryDelay = 30 * time.Second
	}
	if opts.FinalFlushTimeout <= 0 {
		opts.FinalFlushTimeout = 30 * time.Second
	}
	if opts.AfterFunc == nil {
		opts.AfterFunc = func(d time.Duration, f func()) func() bool { return time.AfterFunc(d, f).Stop }
	}
	bo := opts.Buffer
	auto := bo.MaxBytes == 0
	if auto {
		bo.MaxBytes = autoMaxBytes(w, bo.MemoryLimit)
		if bo.MaxEntries == 0 {
			bo.MaxEntries = math.MaxInt
		}
	}
	if bo.Clock == nil {
		bo.Clock = clockFunc(w.cfg.Clock)
	}
	buf, err := buffer.New(bo)
	if err != nil {
		return fmt.Errorf("writer: Run: %w", err)
	}
	for p, txn := range w.latest().Txns() {
		buf.Committed(p, txn.Version)
	}
	r := &runner{w: w, opts: opts, buf: buf, clock: bo.Clock, autoBytes: auto, memLimit: bo.MemoryLimit}
	return r.loop(ctx, ring)
}

func (r *runner) loop(ctx context.Context, ring *buffer.Ring[cdc.Entry]) error {
	dst := make([]cdc.Entry, r.opts.ReadBatch)
	var pending []cdc.Entry // read from the ring, not yet in the buffer
	for {
		if ctx.Err() != nil {
			return r.finish(ctx, ring, pending, ctx.Err())
		}
		now := r.clock.Now()
		due := r.buf.Len() > 0 && (r.buf.ShouldFlush() || len(pending) > 0)
		if due && !now.Before(r.retryAt) {
			if !r.flush(ctx) && errors.Is(r.lastErr, ErrClosed) {
				// The writer was closed under Run: nothing can be
				// written any more; hand everything back.
				left := r.buf.Drain(nil)
				left.Release()
				return &UnflushedError{Entries: append(left.Entries, pending...), Err: r.lastErr}
			}
			pending = r.add(pending)
			continue
		}
		if len(pending) > 0 && !due {
			pending = r.add(pending)
			continue
		}
		// Sleep until input arrives, the age limit fires, or the retry
		// delay of a failed flush ends.
		var wake time.Time
		if due {
			wake = r.retryAt
		} else if dl, ok := r.buf.NextDeadline(); ok {
			wake = dl
			if dl.Before(r.retryAt) {
				wake = r.retryAt
			}
		}
		wctx, cancel := ctx, context.CancelFunc(func() {})
		stop := func() bool { return false }
		if !wake.IsZero() {
			d := wake.Sub(now)
			if d <= 0 {
				continue
			}
			wctx, cancel = context.WithCancel(ctx)
			stop = r.opts.AfterFunc(d, cancel)
		}
		if due {
			// The buffer holds what it can; wait for the retry only.
			<-wctx.Done()
			stop()
			cancel()
			continue
		}
		n, err := ring.Consume(wctx, dst)
		stop()
		cancel()
		if n > 0 {
			pending = r.add(append(pending, dst[:n]...))
			clear(dst[:n])
		}
		if errors.Is(err, buffer.ErrClosed) {
			return r.finish(ctx, ring, pending, nil)
		}
	}
}

// add puts entries into the buffer until a flush is due or the memory
// limit is reached, and returns the rest (in a slice of its own).
func (r *runner) add(es []cdc.Entry) []cdc.Entry {
	for i := range es {
		if r.buf.ShouldFlush() {
			return append([]cdc.Entry(nil), es[i:]...)
		}
		err := r.buf.Add(&es[i])
		switch {
		case err == nil:
		case errors.Is(err, buffer.ErrDuplicate):
			r.w.stats.update(func(s *Stats) { s.Duplicates++ })
		case errors.Is(err, buffer.ErrMemoryLimit) && r.buf.Len() > 0:
			return append([]cdc.Entry(nil), es[i:]...)
		default:
			r.w.stats.update(func(s *Stats) { s.Rejected++ })
			r.w.cfg.Logger.Warn("writer: run: entry refused", "producer", es[i].Producer, "lsn", es[i].LSN, "err", err)
			if r.opts.OnReject != nil {
				r.opts.OnReject(es[i], err)
			}
		}
	}
	return nil
}

// flush drains the buffer and flushes it; a failure requeues the batch.
func (r *runner) flush(ctx context.Context) bool {
	batch := r.buf.Drain(r.spare[:0])
	r.spare = nil
	if len(batch.Entries) == 0 {
		return true
	}
	res, err := r.w.Flush(ctx, batch.Entries)
	if r.opts.OnFlush != nil {
		r.opts.OnFlush(res, err)
	}
	if err != nil {
		r.lastErr = err
		r.buf.Requeue(&batch)
		d := r.opts.RetryDelay << min(r.failures, 16)
		if d > r.opts.MaxRetryDelay || d <= 0 {
			d = r.opts.MaxRetryDelay
		}
		r.failures++
		r.retryAt = r.clock.Now().Add(d)
		return false
	}
	for p, lsn := range res.Committed {
		r.buf.Committed(p, lsn)
	}
	if r.autoBytes {
		// The blocks just written refined the compression estimate.
		if err := r.buf.SetMaxBytes(autoMaxBytes(r.w, r.memLimit)); err != nil {
			r.w.cfg.Logger.Warn("writer: run: byte trigger unchanged", "err", err)
		}
	}
	batch.Release()
	r.failures, r.retryAt = 0, time.Time{}
	r.spare = batch.Entries
	clear(r.spare)
	return true
}

// finish takes what the ring still holds, flushes everything and returns
// cause, or an *UnflushedError.
func (r *runner) finish(ctx context.Context, ring *buffer.Ring[cdc.Entry], pending []cdc.Entry, cause error) error {
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.opts.FinalFlushTimeout)
	defer cancel()
	dst := make([]cdc.Entry, r.opts.ReadBatch)
	// Entries published before the end; bounded by one ring's worth so
	// that producers still publishing cannot keep Run alive.
	for budget := ring.Cap(); budget > 0; {
		n, _ := ring.Drain(dst[:min(len(dst), budget)])
		if n == 0 {
			break
		}
		budget -= n
		pending = append(pending, dst[:n]...)
	}
	for {
		pending = r.add(pending)
		if r.buf.Len() == 0 && len(pending) == 0 {
			return cause
		}
		if !r.flush(fctx) {
			left := r.buf.Drain(nil)
			left.Release() // handed back to the caller
			rest := append(left.Entries, pending...)
			r.w.cfg.Logger.Error("writer: run: last flush failed", "entries", len(rest), "err", r.lastErr)
			return &UnflushedError{Entries: rest, Err: errors.Join(cause, r.lastErr)}
		}
	}
}
