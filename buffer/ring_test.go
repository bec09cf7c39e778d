package buffer

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// item is what the ring tests publish: producer p's i-th value.
type item struct{ p, i int }

func newRing[T any](t *testing.T, capacity int) *Ring[T] {
	t.Helper()
	r, err := NewRing[T](capacity)
	if err != nil {
		t.Fatalf("NewRing(%d): %v", capacity, err)
	}
	return r
}

func TestNewRingCapacity(t *testing.T) {
	for _, tc := range []struct {
		capacity int
		ok       bool
	}{
		{-4, false}, {0, false}, {1, false}, {2, true}, {3, false}, {6, false},
		{1024, true}, {MaxRingCapacity * 2, false},
	} {
		t.Run(fmt.Sprint(tc.capacity), func(t *testing.T) {
			r, err := NewRing[int](tc.capacity)
			if tc.ok {
				if err != nil {
					t.Fatalf("NewRing(%d) = %v, want no error", tc.capacity, err)
				}
				if r.Cap() != tc.capacity {
					t.Fatalf("Cap() = %d, want %d", r.Cap(), tc.capacity)
				}
				return
			}
			if err == nil {
				t.Fatalf("NewRing(%d) succeeded, want an error", tc.capacity)
			}
		})
	}
}

func TestRingTryPublishFullAndDrain(t *testing.T) {
	r := newRing[int](t, 4)
	for v := range 4 {
		if err := r.TryPublish(v); err != nil {
			t.Fatalf("TryPublish(%d): %v", v, err)
		}
	}
	if err := r.TryPublish(4); !errors.Is(err, ErrFull) {
		t.Fatalf("TryPublish on a full ring = %v, want ErrFull", err)
	}
	if r.Len() != 4 {
		t.Fatalf("Len() = %d, want 4", r.Len())
	}
	dst := make([]int, 3)
	n, err := r.Drain(dst)
	if err != nil || n != 3 {
		t.Fatalf("Drain = %d, %v; want 3, nil", n, err)
	}
	if diff := cmp.Diff([]int{0, 1, 2}, dst[:n]); diff != "" {
		t.Fatalf("drained (-want +got):\n%s", diff)
	}
	n, err = r.TryPublishBatch([]int{4, 5, 6, 7})
	if n != 3 || !errors.Is(err, ErrFull) {
		t.Fatalf("TryPublishBatch with 3 free slots = %d, %v; want 3, ErrFull", n, err)
	}
	dst = make([]int, 8)
	n, err = r.Drain(dst)
	if err != nil {
		t.Fatalf("Drain: %v", err)
	}
	if diff := cmp.Diff([]int{3, 4, 5, 6}, dst[:n]); diff != "" {
		t.Fatalf("drained after wrap-around (-want +got):\n%s", diff)
	}
	if n, err := r.Drain(dst); n != 0 || err != nil {
		t.Fatalf("Drain on an empty open ring = %d, %v; want 0, nil", n, err)
	}
}

// TestRingRunsWrapAndSplit publishes batches that wrap around the end of
// the slots and drains them in pieces smaller and larger than a batch.
func TestRingRunsWrapAndSplit(t *testing.T) {
	r := newRing[int](t, 8)
	var want, got []int
	next := 0
	publish := func(k int) {
		t.Helper()
		vs := make([]int, k)
		for i := range vs {
			vs[i] = next
			next++
		}
		if n, err := r.TryPublishBatch(vs); n != k || err != nil {
			t.Fatalf("TryPublishBatch(%d values) = %d, %v", k, n, err)
		}
		want = append(want, vs...)
	}
	drain := func(room int) {
		t.Helper()
		dst := make([]int, room)
		n, err := r.Drain(dst)
		if err != nil {
			t.Fatalf("Drain: %v", err)
		}
		got = append(got, dst[:n]...)
	}
	publish(5)
	drain(2) // part of a run
	drain(2)
	publish(5) // positions 5..9: wraps
	drain(3)   // the end of the first run and two of the second
	publish(2)
	drain(8) // the rest of one run and a whole one
	publish(8)
	drain(1)
	drain(20)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("drained (-published +drained):\n%s", diff)
	}
	if r.Len() != 0 {
		t.Fatalf("Len() = %d after draining everything", r.Len())
	}
}

func TestRingDrainClearsSlots(t *testing.T) {
	r := newRing[*int](t, 2)
	v := 7
	if err := r.TryPublish(&v); err != nil {
		t.Fatal(err)
	}
	dst := make([]*int, 1)
	if n, err := r.Drain(dst); n != 1 || err != nil || dst[0] != &v {
		t.Fatalf("Drain = %d, %v, %p; want 1, nil, %p", n, err, dst[0], &v)
	}
	for i := range r.vals {
		if r.vals[i] != nil {
			t.Fatalf("slot %d still references a drained value", i)
		}
	}
}

func TestRingClose(t *testing.T) {
	defer goleak.VerifyNone(t)
	r := newRing[int](t, 8)
	if _, err := r.TryPublishBatch([]int{1, 2, 3}); err != nil {
		t.Fatal(err)
	}
	r.Close()
	r.Close() // a second Close changes nothing
	if !r.Closed() {
		t.Fatal("Closed() = false after Close")
	}
	for name, publish := range map[string]func() error{
		"TryPublish":      func() error { return r.TryPublish(4) },
		"Publish":         func() error { return r.Publish(context.Background(), 4) },
		"TryPublishBatch": func() error { _, err := r.TryPublishBatch([]int{4}); return err },
		"PublishBatch":    func() error { _, err := r.PublishBatch(context.Background(), []int{4}); return err },
	} {
		if err := publish(); !errors.Is(err, ErrClosed) {
			t.Errorf("%s after Close = %v, want ErrClosed", name, err)
		}
	}
	dst := make([]int, 2)
	var got []int
	for {
		n, err := r.Consume(context.Background(), dst)
		got = append(got, dst[:n]...)
		if errors.Is(err, ErrClosed) {
			break
		}
		if err != nil {
			t.Fatalf("Consume: %v", err)
		}
	}
	if diff := cmp.Diff([]int{1, 2, 3}, got); diff != "" {
		t.Fatalf("drained after Close (-want +got):\n%s", diff)
	}
	if n, err := r.Drain(dst); n != 0 || !errors.Is(err, ErrClosed) {
		t.Fatalf("Drain of a drained closed ring = %d, %v; want 0, ErrClosed", n, err)
	}
}

// waitUntil yields until cond holds. It waits for another goroutine to
// reach a state, not for time to pass.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for i := 0; !cond(); i++ {
		if i == 50_000_000 {
			t.Fatalf("gave up waiting until %s", what)
		}
		runtime.Gosched()
	}
}

func TestRingPublishParksUntilSpace(t *testing.T) {
	defer goleak.VerifyNone(t)
	r := newRing[int](t, 2)
	if _, err := r.TryPublishBatch([]int{0, 1}); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := r.PublishBatch(context.Background(), []int{2, 3, 4})
		done <- err
	}()
	waitUntil(t, "the producer parks", func() bool { return r.space.waiters.Load() > 0 })
	var got []int
	dst := make([]int, 1)
	for len(got) < 5 {
		n, err := r.Consume(context.Background(), dst)
		if err != nil {
			t.Fatalf("Consume: %v", err)
		}
		got = append(got, dst[:n]...)
	}
	if err := <-done; err != nil {
		t.Fatalf("PublishBatch: %v", err)
	}
	if diff := cmp.Diff([]int{0, 1, 2, 3, 4}, got); diff != "" {
		t.Fatalf("consumed (-want +got):\n%s", diff)
	}
}

func TestRingContextEnds(t *testing.T) {
	defer goleak.VerifyNone(t)
	canceled, cancel := context.WithCancel(context.Background())
	cancel()

	r := newRing[int](t, 2)
	if _, err := r.Consume(canceled, make([]int, 1)); !errors.Is(err, context.Canceled) {
		t.Fatalf("Consume on an empty ring with a canceled context = %v, want context.Canceled", err)
	}
	if _, err := r.Consume(context.Background(), nil); err == nil {
		t.Fatal("Consume with an empty destination succeeded")
	}
	if _, err := r.TryPublishBatch([]int{0, 1}); err != nil {
		t.Fatal(err)
	}
	if err := r.Publish(canceled, 2); !errors.Is(err, context.Canceled) {
		t.Fatalf("Publish on a full ring with a canceled context = %v, want context.Canceled", err)
	}

	// A producer parked on a full ring returns when its context ends, and
	// what it did not publish is not in the ring.
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	var published int
	go func() {
		var err error
		published, err = r.PublishBatch(ctx, []int{2, 3})
		done <- err
	}()
	waitUntil(t, "the producer parks", func() bool { return r.space.waiters.Load() > 0 })
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) || published != 0 {
		t.Fatalf("parked PublishBatch after cancel = %d, %v; want 0, context.Canceled", published, err)
	}
	if r.Len() != 2 {
		t.Fatalf("Len() = %d after a canceled publish, want 2", r.Len())
	}

	// The consumer parked on an empty ring returns when its context ends.
	e := newRing[int](t, 2)
	ctx, cancel = context.WithCancel(context.Background())
	go func() {
		_, err := e.Consume(ctx, make([]int, 1))
		done <- err
	}()
	waitUntil(t, "the consumer parks", func() bool { return e.consumerWaiting.Load() != 0 })
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("parked Consume after cancel = %v, want context.Canceled", err)
	}
}

func TestRingCloseWakesParked(t *testing.T) {
	defer goleak.VerifyNone(t)
	full := newRing[int](t, 2)
	if _, err := full.TryPublishBatch([]int{0, 1}); err != nil {
		t.Fatal(err)
	}
	empty := newRing[int](t, 2)
	producer := make(chan error, 1)
	consumer := make(chan error, 1)
	go func() { producer <- full.Publish(context.Background(), 2) }()
	go func() {
		_, err := empty.Consume(context.Background(), make([]int, 1))
		consumer <- err
	}()
	waitUntil(t, "both park", func() bool {
		return full.space.waiters.Load() > 0 && empty.consumerWaiting.Load() != 0
	})
	full.Close()
	empty.Close()
	if err := <-producer; !errors.Is(err, ErrClosed) {
		t.Errorf("parked Publish after Close = %v, want ErrClosed", err)
	}
	if err := <-consumer; !errors.Is(err, ErrClosed) {
		t.Errorf("parked Consume after Close = %v, want ErrClosed", err)
	}
	// What was published before Close is still delivered.
	got := make([]int, 4)
	n, err := full.Drain(got)
	if err != nil || !slices.Equal(got[:n], []int{0, 1}) {
		t.Fatalf("Drain after Close = %v, %v; want [0 1], nil", got[:n], err)
	}
}

// checkOrder checks that got holds, for each producer p, exactly the
// values 0..counts[p]-1, in that order.
func checkOrder(t *testing.T, got []item, counts []int) {
	t.Helper()
	next := make([]int, len(counts))
	for k, it := range got {
		if it.p < 0 || it.p >= len(counts) {
			t.Fatalf("value %d: unknown producer %d", k, it.p)
		}
		if it.i != next[it.p] {
			t.Fatalf("value %d: producer %d's value %d, want %d (lost, duplicated or reordered)", k, it.p, it.i, next[it.p])
		}
		next[it.p]++
	}
	if diff := cmp.Diff(counts, next); diff != "" {
		t.Fatalf("values consumed per producer (-published +consumed):\n%s", diff)
	}
}

func TestRingStress(t *testing.T) {
	defer goleak.VerifyNone(t)
	producers, per := 8, 20_000
	if testing.Short() {
		per = 2_000
	}
	for _, capacity := range []int{2, 64, 1024} {
		t.Run(fmt.Sprintf("capacity=%d", capacity), func(t *testing.T) {
			r := newRing[item](t, capacity)
			ctx := context.Background()
			var wg sync.WaitGroup
			errs := make(chan error, producers)
			for p := range producers {
				wg.Go(func() {
					rng := rand.New(rand.NewPCG(uint64(p), 1))
					batch := make([]item, 0, 16)
					for i := 0; i < per; {
						switch rng.IntN(3) {
						case 0: // one value, waiting
							if err := r.Publish(ctx, item{p, i}); err != nil {
								errs <- err
								return
							}
							i++
						case 1: // one value, not waiting
							switch err := r.TryPublish(item{p, i}); {
							case err == nil:
								i++
							case !errors.Is(err, ErrFull):
								errs <- err
								return
							}
						case 2: // a batch, waiting
							batch = batch[:0]
							for k := 0; k < 1+rng.IntN(16) && i+k < per; k++ {
								batch = append(batch, item{p, i + k})
							}
							n, err := r.PublishBatch(ctx, batch)
							i += n
							if err != nil {
								errs <- err
								return
							}
						}
					}
				})
			}
			go func() { wg.Wait(); r.Close() }()
			got := make([]item, 0, producers*per)
			dst := make([]item, 37)
			for {
				n, err := r.Consume(ctx, dst)
				got = append(got, dst[:n]...)
				if errors.Is(err, ErrClosed) {
					break
				}
				if err != nil {
					t.Fatalf("Consume: %v", err)
				}
			}
			close(errs)
			for err := range errs {
				t.Errorf("producer: %v", err)
			}
			counts := make([]int, producers)
			for p := range counts {
				counts[p] = per
			}
			checkOrder(t, got, counts)
		})
	}
}

// event is one operation of a history recorded by the linearizability
// test: its invocation and response on a logical clock.
type event struct {
	inv, resp int64
	vals      []item // published (one) or drained
	err       error
}

// TestRingLinearizable runs producers and the consumer with a random
// yield at every step of the ring's algorithm and checks the recorded
// history against what a FIFO queue allows:
//   - every value published successfully is drained exactly once, a value
//     whose publish failed never is, and each producer's values come out
//     in order;
//   - real-time order: if one publish returned before another began, its
//     value is drained first;
//   - a value is drained only by a Drain that ends after its publish began;
//   - ErrFull is returned only if the ring may have been full at some
//     moment during the call.
//
// (Emptiness is not linearizable in this design, on purpose: Drain stops
// at a slot claimed but not yet written, even if later slots are written.)
func TestRingLinearizable(t *testing.T) {
	defer goleak.VerifyNone(t)
	rounds, producers, per := 40, 3, 200
	if testing.Short() {
		rounds = 10
	}
	for round := range rounds {
		capacity := []int{2, 4, 8}[round%3]
		blocking := round%2 == 1
		t.Run(fmt.Sprintf("round=%d/capacity=%d/blocking=%v", round, capacity, blocking), func(t *testing.T) {
			r := newRing[item](t, capacity)
			r.hook = func() {
				if rand.IntN(2) == 0 {
					runtime.Gosched()
				}
			}
			var clock atomic.Int64
			pubs := make([][]event, producers)
			var wg sync.WaitGroup
			for p := range producers {
				wg.Go(func() {
					for i := 0; i < per; {
						// One value, or a batch of up to 3 that may wrap
						// around the slots and be published in parts.
						vs := []item{{p, i}}
						for k := 1; k < 1+rand.IntN(3) && i+k < per; k++ {
							vs = append(vs, item{p, i + k})
						}
						i += len(vs)
						ev := event{inv: clock.Add(1)}
						n := 0
						switch {
						case blocking && len(vs) == 1:
							if ev.err = r.Publish(context.Background(), vs[0]); ev.err == nil {
								n = 1
							}
						case blocking:
							n, ev.err = r.PublishBatch(context.Background(), vs)
						case len(vs) == 1:
							if ev.err = r.TryPublish(vs[0]); ev.err == nil {
								n = 1
							}
						default:
							n, ev.err = r.TryPublishBatch(vs)
						}
						ev.resp = clock.Add(1)
						ev.vals = vs[:n]
						if n < len(vs) && ev.err == nil {
							t.Errorf("publish of %v put in %d values and returned no error", vs, n)
						}
						pubs[p] = append(pubs[p], ev)
						if blocking && errors.Is(ev.err, ErrClosed) {
							return
						}
					}
				})
			}
			// In blocking rounds the consumer closes the ring while
			// producers run; otherwise it is closed once they are done.
			closeAfter := producers * per / 2
			if !blocking {
				go func() { wg.Wait(); r.Close() }()
			}
			var drains []event
			drained := 0
			for {
				dst := make([]item, 1+rand.IntN(3))
				ev := event{inv: clock.Add(1)}
				n, err := r.Drain(dst)
				ev.resp = clock.Add(1)
				ev.vals, ev.err = dst[:n], err
				drains = append(drains, ev)
				drained += n
				if errors.Is(err, ErrClosed) {
					break
				}
				if err != nil {
					t.Fatalf("Drain: %v", err)
				}
				if blocking && drained >= closeAfter && !r.Closed() {
					r.Close()
				}
				if n == 0 {
					runtime.Gosched()
				}
			}
			wg.Wait()
			checkHistory(t, capacity, pubs, drains)
		})
	}
}

func checkHistory(t *testing.T, capacity int, pubs [][]event, drains []event) {
	t.Helper()
	type pubRec struct {
		inv, resp int64
		order     int   // position in drain order, -1 if not drained
		drainResp int64 // response of the Drain that returned it
	}
	recs := map[item]*pubRec{}
	var ok []*pubRec
	for _, evs := range pubs {
		for _, ev := range evs {
			// The values put in (all, or the first ones with ErrFull
			// or ErrClosed) are published; the others must never show.
			if ev.err != nil && !errors.Is(ev.err, ErrFull) && !errors.Is(ev.err, ErrClosed) {
				t.Fatalf("publish %v: unexpected error %v", ev.vals, ev.err)
			}
			for _, v := range ev.vals {
				rec := &pubRec{inv: ev.inv, resp: ev.resp, order: -1}
				recs[v] = rec
				ok = append(ok, rec)
			}
		}
	}
	order := 0
	var drainedOrder []item
	for _, d := range drains {
		for _, v := range d.vals {
			rec := recs[v]
			if rec == nil {
				t.Fatalf("drained %v, which was never published successfully", v)
			}
			if rec.order >= 0 {
				t.Fatalf("drained %v twice", v)
			}
			if d.resp < rec.inv {
				t.Fatalf("drained %v in a Drain that ended (%d) before its publish began (%d)", v, d.resp, rec.inv)
			}
			rec.order, rec.drainResp = order, d.resp
			order++
			drainedOrder = append(drainedOrder, v)
		}
	}
	for v, rec := range recs {
		if rec.order < 0 {
			t.Fatalf("%v was published but never drained", v)
		}
	}
	// Per-producer order.
	last := map[int]int{}
	for _, v := range drainedOrder {
		if prev, seen := last[v.p]; seen && v.i <= prev {
			t.Fatalf("producer %d: %d drained after %d", v.p, v.i, prev)
		}
		last[v.p] = v.i
	}
	// Real-time order: sweep publishes by invocation, keeping the largest
	// drain position among publishes that responded earlier.
	byResp := slices.Clone(ok)
	sort.Slice(byResp, func(i, j int) bool { return byResp[i].resp < byResp[j].resp })
	byInv := slices.Clone(ok)
	sort.Slice(byInv, func(i, j int) bool { return byInv[i].inv < byInv[j].inv })
	k, maxOrder := 0, -1
	for _, b := range byInv {
		for k < len(byResp) && byResp[k].resp < b.inv {
			maxOrder = max(maxOrder, byResp[k].order)
			k++
		}
		if maxOrder > b.order {
			t.Fatalf("a value published before another began was drained after it (positions %d > %d)", maxOrder, b.order)
		}
	}
	// ErrFull: at most (publishes begun before the call ended) minus
	// (values drained by Drains that ended before the call began) were in
	// the ring during the call; that bound must reach the capacity.
	drainResps := make([]int64, 0, len(ok))
	for _, rec := range ok {
		drainResps = append(drainResps, rec.drainResp)
	}
	slices.Sort(drainResps)
	invs := make([]int64, 0, len(ok))
	for _, rec := range ok {
		invs = append(invs, rec.inv)
	}
	slices.Sort(invs)
	countBelow := func(s []int64, x int64) int {
		i, _ := slices.BinarySearch(s, x)
		return i
	}
	for _, evs := range pubs {
		for _, ev := range evs {
			if !errors.Is(ev.err, ErrFull) {
				continue
			}
			bound := countBelow(invs, ev.resp) - countBelow(drainResps, ev.inv)
			if bound < capacity {
				t.Fatalf("publish after %v returned ErrFull though at most %d of %d slots can have been used", ev.vals, bound, capacity)
			}
		}
	}
}

func TestZeroRingReportsError(t *testing.T) {
	var r Ring[int]
	if err := r.TryPublish(1); !errors.Is(err, ErrNoRing) {
		t.Errorf("TryPublish = %v, want ErrNoRing", err)
	}
	if err := r.Publish(context.Background(), 1); !errors.Is(err, ErrNoRing) {
		t.Errorf("Publish = %v, want ErrNoRing", err)
	}
	if _, err := r.Drain(make([]int, 4)); !errors.Is(err, ErrNoRing) {
		t.Errorf("Drain = %v, want ErrNoRing", err)
	}
	if _, err := r.Consume(context.Background(), make([]int, 4)); !errors.Is(err, ErrNoRing) {
		t.Errorf("Consume = %v, want ErrNoRing", err)
	}
}
