package buffer

import (
	"errors"
	"slices"
	"testing"
)

// FuzzRing runs TryPublish, TryPublishBatch, Drain and Close from one
// goroutine, as decoded from the input, and checks each answer against a
// FIFO slice of the same capacity. Runs of every length, wrapping around
// the slots and drained in pieces, are what it exercises.
//
// Each operation is two bytes: kind and argument.
func FuzzRing(f *testing.F) {
	f.Add(byte(2), []byte{1, 3, 2, 2, 1, 5, 2, 1, 2, 9})
	f.Add(byte(3), []byte{0, 0, 1, 7, 2, 3, 3, 0, 2, 8, 0, 0})
	f.Add(byte(0), []byte{1, 16, 2, 5, 1, 16, 2, 16, 2, 16})
	f.Fuzz(func(t *testing.T, logCap byte, ops []byte) {
		capacity := 2 << (logCap % 5) // 2 to 32
		r := newRing[int](t, capacity)
		var model []int
		closed := false
		next := 0
		for len(ops) >= 2 {
			kind, arg := ops[0]%4, int(ops[1])
			ops = ops[2:]
			switch kind {
			case 0: // one value
				err := r.TryPublish(next)
				switch {
				case closed:
					if !errors.Is(err, ErrClosed) {
						t.Fatalf("TryPublish after Close = %v, want ErrClosed", err)
					}
				case len(model) == capacity:
					if !errors.Is(err, ErrFull) {
						t.Fatalf("TryPublish on a full ring = %v, want ErrFull", err)
					}
				default:
					if err != nil {
						t.Fatalf("TryPublish with %d of %d used = %v", len(model), capacity, err)
					}
					model = append(model, next)
				}
				next++
			case 1: // a batch of arg%40 values
				vs := make([]int, arg%40)
				for i := range vs {
					vs[i] = next + i
				}
				next += len(vs)
				n, err := r.TryPublishBatch(vs)
				fit := min(len(vs), capacity-len(model))
				switch {
				case closed && len(vs) > 0:
					if n != 0 || !errors.Is(err, ErrClosed) {
						t.Fatalf("TryPublishBatch after Close = %d, %v; want 0, ErrClosed", n, err)
					}
					continue
				case fit < len(vs):
					if n != fit || !errors.Is(err, ErrFull) {
						t.Fatalf("TryPublishBatch of %d with %d free = %d, %v; want %d, ErrFull", len(vs), fit, n, err, fit)
					}
				default:
					if n != len(vs) || err != nil {
						t.Fatalf("TryPublishBatch of %d with room = %d, %v", len(vs), n, err)
					}
				}
				model = append(model, vs[:n]...)
			case 2: // drain into arg%40 slots
				dst := make([]int, arg%40)
				n, err := r.Drain(dst)
				want := min(len(dst), len(model))
				if n != want || !slices.Equal(dst[:n], model[:want]) {
					t.Fatalf("Drain(%d) = %v, want %v", len(dst), dst[:n], model[:want])
				}
				model = model[want:]
				wantClosed := closed && len(model) == 0 && n == 0 && len(dst) > 0
				if wantClosed != errors.Is(err, ErrClosed) || (err != nil && !errors.Is(err, ErrClosed)) {
					t.Fatalf("Drain error = %v; closed %v, %d left", err, closed, len(model))
				}
			case 3:
				if arg%4 == 0 { // rarely: close
					r.Close()
					closed = true
				}
			}
			if r.Len() != len(model) {
				t.Fatalf("Len() = %d, model %d", r.Len(), len(model))
			}
		}
	})
}
