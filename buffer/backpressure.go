package buffer

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
)

// BackpressureOptions configures a Backpressure.
type BackpressureOptions struct {
	// HighWaterMark is the number of bytes, buffered plus uploading, at
	// which producers are told to pause. It must be positive.
	HighWaterMark int64
	// LowWaterMark is the number of bytes below which paused producers are
	// told to resume. It must be positive and below HighWaterMark.
	LowWaterMark int64
	// OnChange, if set, is called with true when Backpressure pauses and
	// with false when it resumes, in that order, one call at a time. It
	// must return quickly and must not call the methods of the
	// Backpressure or of a CDC buffer that reports to it: it runs while
	// they hold their locks.
	OnChange func(paused bool)
}

// Backpressure decides when producers should pause, from the bytes
// buffered and the bytes still uploading, with hysteresis: it pauses when
// their total reaches HighWaterMark and resumes only when the total falls
// below LowWaterMark. It is safe for concurrent use.
type Backpressure struct {
	high, low int64
	onChange  func(paused bool)

	total    atomic.Int64 // buffered + in flight
	inFlight atomic.Int64
	paused   atomic.Bool
	pauses   atomic.Int64

	mu     sync.Mutex    // serialises state changes and OnChange calls
	resume chan struct{} // while paused: closed on resume
}

// BackpressureStats is a snapshot of a Backpressure.
type BackpressureStats struct {
	Buffered int64 // bytes buffered, not uploading
	InFlight int64 // bytes uploading
	Paused   bool
	Pauses   int64 // how many times it has paused
}

// closedChan is returned by Resumed when producers need not wait.
var closedChan = func() chan struct{} {
	c := make(chan struct{})
	close(c)
	return c
}()

// NewBackpressure returns a Backpressure with nothing counted.
func NewBackpressure(opts BackpressureOptions) (*Backpressure, error) {
	switch {
	case opts.HighWaterMark <= 0:
		return nil, fmt.Errorf("buffer: backpressure HighWaterMark %d must be positive", opts.HighWaterMark)
	case opts.LowWaterMark <= 0:
		return nil, fmt.Errorf("buffer: backpressure LowWaterMark %d must be positive", opts.LowWaterMark)
	case opts.LowWaterMark >= opts.HighWaterMark:
		return nil, fmt.Errorf("buffer: backpressure LowWaterMark %d must be below HighWaterMark %d", opts.LowWaterMark, opts.HighWaterMark)
	}
	return &Backpressure{high: opts.HighWaterMark, low: opts.LowWaterMark, onChange: opts.OnChange}, nil
}

// ShouldPause reports whether producers should pause now.
func (b *Backpressure) ShouldPause() bool { return b.paused.Load() }

// Resumed returns a channel that is closed when producers may go on: an
// already closed channel when Backpressure is not paused.
func (b *Backpressure) Resumed() <-chan struct{} {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.resume == nil {
		return closedChan
	}
	return b.resume
}

// Wait returns nil at once when Backpressure is not paused, otherwise when
// it resumes, or the context's error if ctx ends first.
func (b *Backpressure) Wait(ctx context.Context) error {
	if !b.paused.Load() {
		return nil
	}
	select {
	case <-b.Resumed():
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Buffer counts n more bytes as buffered; a negative n counts bytes that
// left the buffer without being uploaded. It returns an error, and counts
// nothing, if that would make the buffered bytes negative.
func (b *Backpressure) Buffer(n int64) error {
	if n < 0 {
		for {
			t := b.total.Load()
			if t-b.inFlight.Load()+n < 0 {
				return fmt.Errorf("buffer: backpressure cannot release %d bytes: only %d are buffered", -n, t-b.inFlight.Load())
			}
			if b.total.CompareAndSwap(t, t+n) {
				break
			}
		}
	} else {
		b.total.Add(n)
	}
	b.evaluate()
	return nil
}

// Upload is the bytes of one upload, counted as in flight until Done or
// Requeue is called. Only the first of those calls counts.
type Upload struct {
	b     *Backpressure
	n     int64
	ended atomic.Bool
}

// BeginUpload moves n buffered bytes to in flight. The total does not
// change, so neither does the pause state. The returned Upload must be
// ended with Done or Requeue whether the upload succeeds or fails. It
// returns an error, and moves nothing, when n is negative or more than all
// the bytes counted (buffered and in flight): such an upload cannot have
// been buffered. (The buffered part alone cannot be checked exactly while
// other goroutines move bytes, so the check is against the total, which a
// caller's own buffered bytes are always part of.)
func (b *Backpressure) BeginUpload(n int64) (*Upload, error) {
	if n < 0 {
		return nil, fmt.Errorf("buffer: backpressure cannot begin an upload of %d bytes", n)
	}
	if t := b.total.Load(); n > t {
		return nil, fmt.Errorf("buffer: backpressure cannot begin an upload of %d bytes: only %d are counted", n, t)
	}
	b.inFlight.Add(n)
	return &Upload{b: b, n: n}, nil
}

// Bytes returns the size the upload was begun with.
func (u *Upload) Bytes() int64 { return u.n }

// Done releases the upload's bytes: it has finished, or failed and its
// data is no longer held. Backpressure is re-evaluated at once.
func (u *Upload) Done() {
	if u == nil || !u.ended.CompareAndSwap(false, true) {
		return
	}
	u.b.inFlight.Add(-u.n)
	u.b.total.Add(-u.n)
	u.b.evaluate()
}

// Requeue counts the upload's bytes as buffered again: it failed and its
// data went back into the buffer to be uploaded later.
func (u *Upload) Requeue() {
	if u == nil || !u.ended.CompareAndSwap(false, true) {
		return
	}
	u.b.inFlight.Add(-u.n)
	u.b.evaluate()
}

// Stats returns a snapshot of the counters.
func (b *Backpressure) Stats() BackpressureStats {
	t, f := b.total.Load(), b.inFlight.Load()
	return BackpressureStats{Buffered: t - f, InFlight: f, Paused: b.paused.Load(), Pauses: b.pauses.Load()}
}

// evaluate changes the pause state if the total crossed a mark. The fast
// path is two atomic loads.
func (b *Backpressure) evaluate() {
	t := b.total.Load()
	if b.paused.Load() {
		if t >= b.low {
			return
		}
	} else if t < b.high {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	// Loop until the state agrees with the total: a change made by another
	// goroutine between its update and its look at paused is seen here,
	// because the total is loaded again after each state change.
	for {
		t := b.total.Load()
		switch p := b.paused.Load(); {
		case !p && t >= b.high:
			b.resume = make(chan struct{})
			b.paused.Store(true)
			b.pauses.Add(1)
			if b.onChange != nil {
				b.onChange(true)
			}
		case p && t < b.low:
			b.paused.Store(false)
			close(b.resume)
			b.resume = nil
			if b.onChange != nil {
				b.onChange(false)
			}
		default:
			return
		}
	}
}
