package buffer

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
)

// Errors returned by Ring.
var (
	// ErrFull is returned by TryPublish and TryPublishBatch when the ring
	// has no free slot.
	ErrFull = errors.New("buffer: ring is full")
	// ErrClosed is returned when publishing into a closed ring, and by the
	// consumer once a closed ring has been drained.
	ErrClosed = errors.New("buffer: ring is closed")
	// ErrNoRing is returned by a Ring that was not made with NewRing.
	ErrNoRing = errors.New("buffer: Ring used without NewRing")
)

// cacheLine is the size the hot fields of a Ring are spread over, so that
// producers and the consumer do not invalidate each other's lines.
const cacheLine = 64

// MaxRingCapacity is the largest capacity NewRing accepts.
const MaxRingCapacity = 1 << 24

// closedBit marks the tail of a closed ring. Positions stay far below it:
// at a billion values a second they would need centuries to reach it.
const closedBit = uint64(1) << 63

// spinRounds is how many times a waiting producer or consumer yields the
// processor before it parks.
const spinRounds = 4

// slot is the publication record of one position. A producer that claimed
// the run of positions p, p+1, ..., p+run-1 writes their values, then run,
// then stores seq = p+1 in the slot of p: one atomic store publishes the
// whole run. Every slot has a cache line of its own, so producers
// publishing neighbouring runs do not share a line. The values themselves
// are kept in a dense array beside the slots, so that a run is copied in
// and out with one copy each.
type slot struct {
	seq atomic.Uint64
	run uint64
	_   [cacheLine - 16]byte
}

// Ring is a bounded lock-free multi-producer single-consumer queue.
// Any number of goroutines may publish concurrently; Drain and Consume
// must be called from one goroutine at a time (the consumer). See the
// package documentation for its invariants.
type Ring[T any] struct {
	// read-only after NewRing
	slots []slot
	vals  []T
	mask  uint64
	size  uint64
	wake  chan struct{} // capacity 1: a producer or Close wakes the consumer
	hook  func()        // tests: called at every step where a thread may interleave
	_     [cacheLine]byte

	tail atomic.Uint64 // next position to claim, closedBit once closed
	// limit caches head+size as last seen by a producer: positions below
	// it are free, so a claim that stays below it need not read the head,
	// whose cache line the consumer keeps writing. It shares the tail's
	// line, which claiming producers own anyway. It is never above the
	// true head+size, because the head only grows.
	limit atomic.Uint64
	_     [cacheLine - 16]byte

	head atomic.Uint64 // next position to read; written by the consumer only
	// runEnd is owned by the consumer: positions below it belong to a run
	// already seen published.
	runEnd uint64
	_      [cacheLine - 16]byte

	consumerWaiting atomic.Uint32 // 1 while the consumer is parked or about to park
	_               [cacheLine - 4]byte

	space notifier // producers parked until the consumer frees slots
}

// NewRing returns an empty ring with capacity slots. The capacity must be
// a power of two between 2 and MaxRingCapacity.
func NewRing[T any](capacity int) (*Ring[T], error) {
	if capacity < 2 || capacity > MaxRingCapacity || capacity&(capacity-1) != 0 {
		return nil, fmt.Errorf("buffer: ring capacity %d is not a power of two between 2 and %d", capacity, MaxRingCapacity)
	}
	r := &Ring[T]{
		slots: make([]slot, capacity),
		vals:  make([]T, capacity),
		mask:  uint64(capacity - 1),
		size:  uint64(capacity),
		wake:  make(chan struct{}, 1),
	}
	r.limit.Store(r.size)
	return r, nil
}

// Cap returns the number of slots.
func (r *Ring[T]) Cap() int { return int(r.size) }

// Len returns the number of positions claimed and not yet consumed. It is
// a snapshot: other goroutines may change it at once.
func (r *Ring[T]) Len() int {
	t := r.tail.Load() &^ closedBit
	h := r.head.Load()
	if h > t {
		return 0
	}
	return int(t - h)
}

// Closed reports whether Close has been called.
func (r *Ring[T]) Closed() bool { return r.tail.Load()&closedBit != 0 }

func (r *Ring[T]) step() {
	if r.hook != nil {
		r.hook()
	}
}

// claim reserves up to n consecutive positions. It returns the first
// position and how many it got: zero when the ring is full.
func (r *Ring[T]) claim(n uint64) (pos, got uint64, err error) {
	if r.slots == nil {
		return 0, 0, ErrNoRing
	}
	for {
		r.step()
		t := r.tail.Load()
		if t&closedBit != 0 {
			return 0, 0, ErrClosed
		}
		r.step()
		free := uint64(0)
		if l := r.limit.Load(); l > t {
			free = l - t
		}
		if free < n {
			// The head is loaded after the tail, so t-h never
			// underestimates what was in the ring when t was read: a full
			// answer is true.
			r.step()
			h := r.head.Load()
			if h > t {
				continue // t is stale: the consumer has moved past it
			}
			free = r.size - (t - h)
			if free == 0 {
				return t, 0, nil
			}
			if l := h + r.size; l > r.limit.Load() {
				r.limit.Store(l)
			}
		}
		k := min(n, free)
		r.step()
		if r.tail.CompareAndSwap(t, t+k) {
			return t, k, nil
		}
	}
}

// fill writes vs into the claimed positions pos, pos+1, ..., publishes
// them as one run, then wakes the consumer if it is parked.
func (r *Ring[T]) fill(pos uint64, vs []T) {
	i := pos & r.mask
	k := copy(r.vals[i:], vs)
	copy(r.vals, vs[k:])
	r.step()
	s := &r.slots[i]
	s.run = uint64(len(vs))
	s.seq.Store(pos + 1)
	r.wakeConsumer()
}

// fillOne is fill for a single value, without building a slice.
func (r *Ring[T]) fillOne(pos uint64, v *T) {
	i := pos & r.mask
	r.vals[i] = *v
	r.step()
	s := &r.slots[i]
	s.run = 1
	s.seq.Store(pos + 1)
	r.wakeConsumer()
}

// wakeConsumer wakes the consumer if it is parked or about to park.
func (r *Ring[T]) wakeConsumer() {
	r.step()
	if r.consumerWaiting.Load() != 0 && r.consumerWaiting.CompareAndSwap(1, 0) {
		select {
		case r.wake <- struct{}{}:
		default:
		}
	}
}

// TryPublish adds v to the ring if a slot is free. It never blocks: it
// returns ErrFull when the ring is full and ErrClosed after Close.
func (r *Ring[T]) TryPublish(v T) error {
	pos, got, err := r.claim(1)
	if err != nil {
		return err
	}
	if got == 0 {
		return ErrFull
	}
	r.fillOne(pos, &v)
	return nil
}

// TryPublishBatch adds as many values of vs, from the first, as there are
// free slots, without blocking. It returns how many it published; when
// that is fewer than len(vs) the error is ErrFull (or ErrClosed).
func (r *Ring[T]) TryPublishBatch(vs []T) (int, error) {
	done := 0
	for done < len(vs) {
		pos, got, err := r.claim(uint64(len(vs) - done))
		if err != nil {
			return done, err
		}
		if got == 0 {
			return done, ErrFull
		}
		r.fill(pos, vs[done:done+int(got)])
		done += int(got)
	}
	return done, nil
}

// Publish adds v to the ring, waiting for a free slot while it is full.
// It returns ErrClosed if the ring is or becomes closed before v is in,
// and the context's error if ctx ends first; in both cases v was not
// published.
func (r *Ring[T]) Publish(ctx context.Context, v T) error {
	for spins := 0; ; spins++ {
		pos, got, err := r.claim(1)
		if err != nil {
			return err
		}
		if got == 1 {
			r.fillOne(pos, &v)
			return nil
		}
		if err := r.waitSpace(ctx, spins); err != nil {
			return err
		}
	}
}

// PublishBatch adds every value of vs, in order, waiting for free slots
// while the ring is full. It returns how many values it published; fewer
// than len(vs) only with ErrClosed or the context's error, and then the
// first n values are in the ring and the rest are not.
func (r *Ring[T]) PublishBatch(ctx context.Context, vs []T) (int, error) {
	done := 0
	for spins := 0; done < len(vs); {
		pos, got, err := r.claim(uint64(len(vs) - done))
		if err != nil {
			return done, err
		}
		if got > 0 {
			r.fill(pos, vs[done:done+int(got)])
			done += int(got)
			spins = 0
			continue
		}
		if err := r.waitSpace(ctx, spins); err != nil {
			return done, err
		}
		spins++
	}
	return done, nil
}

// waitSpace returns once a slot may have been freed or the ring closed. It
// yields the processor for the first few rounds and then parks until the
// consumer signals.
func (r *Ring[T]) waitSpace(ctx context.Context, spins int) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if spins < spinRounds {
		runtime.Gosched()
		return nil
	}
	ch := r.space.prepare()
	defer r.space.done()
	// Re-check after announcing the wait: the consumer stores the head
	// before it looks for waiters, so either it sees us or we see it.
	r.step()
	t := r.tail.Load()
	if h := r.head.Load(); t&closedBit != 0 || h > t || t-h < r.size {
		return nil
	}
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Drain moves up to len(dst) published values into dst, in order, and
// returns how many. It never blocks. It returns 0 and ErrClosed once the
// ring is closed and everything published before Close has been drained.
// The slots it read are cleared so the ring keeps no references to
// drained values. Only the consumer goroutine may call it.
func (r *Ring[T]) Drain(dst []T) (int, error) {
	if r.slots == nil {
		return 0, ErrNoRing
	}
	h := r.head.Load()
	end := r.runEnd
	n := 0
	for n < len(dst) {
		p := h + uint64(n)
		if p == end {
			// The next run starts here: is it published?
			s := &r.slots[p&r.mask]
			r.step()
			if s.seq.Load() != p+1 {
				break
			}
			end = p + s.run
		}
		k := min(int(end-p), len(dst)-n)
		i := int(p & r.mask)
		if k == 1 { // single publishes: cheaper than copy and clear calls
			dst[n] = r.vals[i]
			var zero T
			r.vals[i] = zero
		} else if i+k > len(r.vals) { // the run wraps around the end
			c := copy(dst[n:], r.vals[i:])
			clear(r.vals[i:])
			copy(dst[n+c:n+k], r.vals)
			clear(r.vals[:k-c])
		} else {
			copy(dst[n:], r.vals[i:i+k])
			clear(r.vals[i : i+k])
		}
		n += k
	}
	r.runEnd = end
	if n > 0 {
		r.step()
		r.head.Store(h + uint64(n))
		r.step()
		r.space.broadcast()
		return n, nil
	}
	if len(dst) > 0 {
		if t := r.tail.Load(); t&closedBit != 0 && t&^closedBit == h {
			return 0, ErrClosed
		}
	}
	return 0, nil
}

// Consume is Drain that waits until at least one value is available. It
// returns ErrClosed once the ring is closed and drained, and the context's
// error if ctx ends first. Only the consumer goroutine may call it.
func (r *Ring[T]) Consume(ctx context.Context, dst []T) (int, error) {
	if len(dst) == 0 {
		return 0, errors.New("buffer: Ring.Consume needs a destination with room for at least one value")
	}
	for spins := 0; ; spins++ {
		n, err := r.Drain(dst)
		if n > 0 || err != nil {
			return n, err
		}
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		if spins < spinRounds {
			runtime.Gosched()
			continue
		}
		r.consumerWaiting.Store(1)
		// Re-check after announcing the wait: a producer stores the slot's
		// sequence before it looks at consumerWaiting.
		r.step()
		h := r.head.Load()
		t := r.tail.Load()
		if h < r.runEnd || r.slots[h&r.mask].seq.Load() == h+1 || (t&closedBit != 0 && t&^closedBit == h) {
			r.consumerWaiting.Store(0)
			continue
		}
		select {
		case <-r.wake:
		case <-ctx.Done():
			r.consumerWaiting.Store(0)
			return 0, ctx.Err()
		}
		r.consumerWaiting.Store(0)
	}
}

// Close stops the ring taking values. Publishing afterwards returns
// ErrClosed; values already published, including those whose producers
// are still writing them, are still handed to the consumer, which then
// gets ErrClosed. Waiting producers and the consumer are woken. Close may
// be called more than once.
func (r *Ring[T]) Close() {
	r.tail.Or(closedBit)
	select {
	case r.wake <- struct{}{}:
	default:
	}
	r.space.wakeAll()
}

// notifier parks goroutines until another one broadcasts. The broadcaster
// pays one atomic load when nobody waits.
type notifier struct {
	waiters atomic.Int32
	mu      sync.Mutex
	ch      chan struct{}
}

// prepare registers a waiter and returns the channel that the next
// broadcast closes. The caller must call done when it stops waiting.
func (n *notifier) prepare() <-chan struct{} {
	n.waiters.Add(1)
	n.mu.Lock()
	if n.ch == nil {
		n.ch = make(chan struct{})
	}
	ch := n.ch
	n.mu.Unlock()
	return ch
}

func (n *notifier) done() { n.waiters.Add(-1) }

// broadcast wakes the goroutines waiting now, if any.
func (n *notifier) broadcast() {
	if n.waiters.Load() == 0 {
		return
	}
	n.wakeAll()
}

func (n *notifier) wakeAll() {
	n.mu.Lock()
	if n.ch != nil {
		close(n.ch)
		n.ch = nil
	}
	n.mu.Unlock()
}
