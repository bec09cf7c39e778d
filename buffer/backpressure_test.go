package buffer

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/goleak"
)

func newBackpressure(t *testing.T, high, low int64, onChange func(bool)) *Backpressure {
	t.Helper()
	b, err := NewBackpressure(BackpressureOptions{HighWaterMark: high, LowWaterMark: low, OnChange: onChange})
	if err != nil {
		t.Fatalf("NewBackpressure(%d, %d): %v", high, low, err)
	}
	return b
}

func TestBackpressureOptions(t *testing.T) {
	for _, tc := range []struct {
		name      string
		high, low int64
		wantErr   string
	}{
		{"valid", 100, 50, ""},
		{"zero high", 0, 50, "HighWaterMark 0 must be positive"},
		{"negative high", -1, 50, "HighWaterMark -1 must be positive"},
		{"zero low", 100, 0, "LowWaterMark 0 must be positive"},
		{"low equal to high", 100, 100, "LowWaterMark 100 must be below HighWaterMark 100"},
		{"low above high", 100, 200, "LowWaterMark 200 must be below HighWaterMark 100"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := NewBackpressure(BackpressureOptions{HighWaterMark: tc.high, LowWaterMark: tc.low})
			if tc.wantErr == "" {
				if err != nil || b == nil {
					t.Fatalf("NewBackpressure = %v, %v", b, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("NewBackpressure error = %v, want one containing %q", err, tc.wantErr)
			}
		})
	}
}

func TestBackpressureHysteresis(t *testing.T) {
	var changes []bool
	b := newBackpressure(t, 100, 50, func(p bool) { changes = append(changes, p) })
	for i, s := range []struct {
		delta  int64
		paused bool
	}{
		{60, false},
		{39, false}, // 99: below high
		{1, true},   // 100: at high
		{-30, true}, // 70: between the marks
		{-20, true}, // 50: at low, not below
		{-1, false}, // 49: below low
		{50, false}, // 99: between the marks, coming up
		{1, true},   // 100
		{-100, false},
	} {
		if err := b.Buffer(s.delta); err != nil {
			t.Fatalf("step %d: Buffer(%d): %v", i, s.delta, err)
		}
		if got := b.ShouldPause(); got != s.paused {
			t.Fatalf("step %d: after Buffer(%d) ShouldPause() = %v, want %v", i, s.delta, got, s.paused)
		}
	}
	if diff := cmp.Diff([]bool{true, false, true, false}, changes); diff != "" {
		t.Fatalf("OnChange calls (-want +got):\n%s", diff)
	}
	if st := b.Stats(); st != (BackpressureStats{Pauses: 2}) {
		t.Fatalf("Stats() = %+v, want 2 pauses and nothing counted", st)
	}
	if err := b.Buffer(-1); err == nil {
		t.Fatal("releasing more bytes than buffered succeeded")
	}
}

// TestBackpressureUploads follows bytes from the CDC buffer through an
// upload: a drain alone does not resume (the bytes are still held), the
// end of the upload does, whether it succeeded or failed, and a failed
// upload that is requeued keeps its bytes counted.
func TestBackpressureUploads(t *testing.T) {
	for _, tc := range []struct {
		name string
		end  func(c *CDC, batch *Batch)
	}{
		// A failed upload whose batch is given up is released the same way.
		{"upload succeeds", func(c *CDC, batch *Batch) { batch.Release() }},
		{"upload fails and the batch is requeued, then succeeds", func(c *CDC, batch *Batch) {
			c.Requeue(batch)
			batch.Release() // after Requeue: no effect
			retry := c.Drain(nil)
			retry.Release()
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer goleak.VerifyNone(t)
			bp := newBackpressure(t, 500, 200, nil)
			c := newCDC(t, Options{MaxBytes: 1000, Backpressure: bp})
			for lsn := int64(1); lsn <= 5; lsn++ {
				e := entry("p", lsn, 100)
				if err := c.Add(&e); err != nil {
					t.Fatal(err)
				}
			}
			if !bp.ShouldPause() {
				t.Fatal("not paused at the high water mark")
			}
			resumed := bp.Resumed()
			waited := make(chan error, 1)
			go func() { waited <- bp.Wait(context.Background()) }()

			batch := c.Drain(nil)
			if st := bp.Stats(); st.Buffered != 0 || st.InFlight != 500 || !st.Paused {
				t.Fatalf("after Drain: %+v; want 500 in flight, still paused", st)
			}
			tc.end(c, &batch)
			if st := bp.Stats(); st != (BackpressureStats{Pauses: 1}) {
				t.Fatalf("after the upload ended: %+v; want nothing counted, resumed", st)
			}
			select {
			case <-resumed:
			default:
				t.Fatal("the Resumed channel was not closed on resume")
			}
			if err := <-waited; err != nil {
				t.Fatalf("Wait: %v", err)
			}
		})
	}
}

func TestBackpressureRequeueKeepsPause(t *testing.T) {
	bp := newBackpressure(t, 300, 100, nil)
	c := newCDC(t, Options{MaxBytes: 1000, Backpressure: bp})
	for lsn := int64(1); lsn <= 3; lsn++ {
		e := entry("p", lsn, 100)
		if err := c.Add(&e); err != nil {
			t.Fatal(err)
		}
	}
	batch := c.Drain(nil)
	c.Requeue(&batch)
	if st := bp.Stats(); st.Buffered != 300 || st.InFlight != 0 || !st.Paused {
		t.Fatalf("after Requeue: %+v; want 300 buffered, paused", st)
	}
	batch.Release() // ended by Requeue already
	if !bp.ShouldPause() {
		t.Fatal("Release after Requeue released the bytes a second time")
	}
}

func TestBackpressureUploadEndsOnce(t *testing.T) {
	b := newBackpressure(t, 100, 50, nil)
	if err := b.Buffer(150); err != nil {
		t.Fatal(err)
	}
	u1, u2 := mustBegin(t, b, 100), mustBegin(t, b, 50)
	u1.Done()
	u1.Done()
	u1.Requeue()
	if st := b.Stats(); st.Buffered != 0 || st.InFlight != 50 || !st.Paused {
		t.Fatalf("after one upload ended three times: %+v; want 50 in flight, paused", st)
	}
	u2.Done()
	if st := b.Stats(); st != (BackpressureStats{Pauses: 1}) {
		t.Fatalf("after both uploads: %+v", st)
	}
}

func TestBackpressureWaitContext(t *testing.T) {
	defer goleak.VerifyNone(t)
	b := newBackpressure(t, 10, 5, nil)
	if err := b.Wait(context.Background()); err != nil {
		t.Fatalf("Wait while not paused = %v", err)
	}
	if err := b.Buffer(10); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := b.Wait(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Wait while paused with a canceled context = %v, want context.Canceled", err)
	}
}

// TestBackpressureConcurrent moves bytes through buffer and uploads from
// many goroutines: when all are done nothing is counted and it is not
// paused, whatever the interleaving.
func TestBackpressureConcurrent(t *testing.T) {
	rounds := 2_000
	if testing.Short() {
		rounds = 300
	}
	var mu sync.Mutex
	var changes []bool
	b := newBackpressure(t, 1_000, 300, func(p bool) { mu.Lock(); changes = append(changes, p); mu.Unlock() })
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range rounds {
				n := int64(50 + (g*7+i)%100)
				if err := b.Buffer(n); err != nil {
					t.Error(err)
					return
				}
				u, err := b.BeginUpload(n)
				if err != nil {
					t.Error(err)
					return
				}
				if i%3 == 0 {
					u.Requeue()
					if u, err = b.BeginUpload(n); err != nil {
						t.Error(err)
						return
					}
				}
				u.Done()
			}
		})
	}
	wg.Wait()
	if st := b.Stats(); st.Buffered != 0 || st.InFlight != 0 || st.Paused {
		t.Fatalf("after all uploads ended: %+v; want nothing counted, not paused", st)
	}
	for i, p := range changes {
		if p != (i%2 == 0) {
			t.Fatalf("OnChange calls do not alternate pause, resume: %v", changes)
		}
	}
}

func mustBegin(t *testing.T, b *Backpressure, n int64) *Upload {
	t.Helper()
	u, err := b.BeginUpload(n)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestBackpressureBeginUploadRejects(t *testing.T) {
	b := newBackpressure(t, 100, 50, nil)
	if err := b.Buffer(40); err != nil {
		t.Fatal(err)
	}
	for _, n := range []int64{-1, 41, 1 << 40} {
		if u, err := b.BeginUpload(n); err == nil || u != nil {
			t.Errorf("BeginUpload(%d) = %v, %v; want an error", n, u, err)
		}
	}
	if st := b.Stats(); st.Buffered != 40 || st.InFlight != 0 {
		t.Errorf("a rejected BeginUpload moved bytes: %+v", st)
	}
	mustBegin(t, b, 40).Done()
}
