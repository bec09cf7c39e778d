package buffer

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/evodb/writer/cdc"
	"github.com/google/go-cmp/cmp"
)

// FuzzCDC drives a CDC buffer with a sequence of operations decoded from
// the input and checks every answer against a plain model: a list of
// entries, a byte count and each producer's last accepted LSN.
//
// Each operation is three bytes: kind, producer and argument.
func FuzzCDC(f *testing.F) {
	f.Add([]byte{0, 0, 1, 0, 0, 1, 0, 1, 5, 1, 0, 0})
	f.Add([]byte{0, 0, 3, 0, 0, 2, 0, 2, 200, 0, 2, 9, 1, 0, 0, 0, 1, 1, 2, 0, 0, 1, 0, 0})
	f.Add([]byte{0, 1, 250, 0, 1, 250, 0, 1, 250, 0, 1, 250, 3, 0, 9, 1, 0, 0, 2, 0, 0})
	f.Fuzz(func(t *testing.T, ops []byte) {
		const (
			maxEntries = 4
			maxBytes   = 600
			limit      = 1000
			maxAge     = 10 * time.Second
		)
		clock := newFakeClock()
		b := newCDC(t, Options{MaxEntries: maxEntries, MaxBytes: maxBytes, MemoryLimit: limit, MaxAge: maxAge, Clock: clock})

		var (
			entries   []cdc.Entry
			bytes     int64
			oldest    time.Time
			last      = map[string]int64{}
			nextLSN   = map[string]int64{}
			pending   *Batch // the last batch drained, if it may still be requeued
			pendingAt time.Time
		)
		for len(ops) >= 3 {
			kind, who, arg := ops[0]%4, ops[1]%3, ops[2]
			ops = ops[3:]
			producer := fmt.Sprint("p", who)
			switch kind {
			case 0: // add: arg's low bits step the LSN (0 repeats, 1 goes back), high bits size it
				lsn := nextLSN[producer]
				switch step := int64(arg % 4); step {
				case 0:
				case 1:
					lsn -= 2
				default:
					lsn += step
				}
				lsn = max(lsn, 0)
				e := entry(producer, lsn, 48+int(arg/4)*4)
				err := b.Add(&e)
				prev, seen := last[producer]
				size := int64(e.Size())
				switch {
				case seen && lsn <= prev:
					if !errors.Is(err, ErrDuplicate) {
						t.Fatalf("Add(%s, %d) after %d = %v, want ErrDuplicate", producer, lsn, prev, err)
					}
				case bytes+size > limit:
					if !errors.Is(err, ErrMemoryLimit) {
						t.Fatalf("Add(%s, %d) of %d bytes with %d buffered = %v, want ErrMemoryLimit", producer, lsn, size, bytes, err)
					}
				default:
					if err != nil {
						t.Fatalf("Add(%s, %d) = %v, want accepted", producer, lsn, err)
					}
					if len(entries) == 0 {
						oldest = clock.Now()
					}
					entries = append(entries, e)
					bytes += size
					last[producer] = lsn
					nextLSN[producer] = lsn + 1
				}
			case 1: // drain
				batch := b.Drain(nil)
				if diff := cmp.Diff(entries, batch.Entries); diff != "" {
					t.Fatalf("Drain entries (-model +buffer):\n%s", diff)
				}
				var high map[string]int64
				if len(entries) > 0 {
					high = map[string]int64{}
					for _, e := range entries {
						high[e.Producer] = max(high[e.Producer], e.LSN)
					}
					pending, pendingAt = &batch, oldest
				}
				if diff := cmp.Diff(high, batch.HighestLSN); diff != "" {
					t.Fatalf("Drain HighestLSN (-model +buffer):\n%s", diff)
				}
				if batch.Bytes != bytes {
					t.Fatalf("Drain Bytes = %d, model %d", batch.Bytes, bytes)
				}
				entries, bytes, oldest = nil, 0, time.Time{}
			case 2: // requeue the last batch drained
				if pending == nil {
					continue
				}
				requeued := pending.Entries
				b.Requeue(pending)
				entries = append(append([]cdc.Entry(nil), requeued...), entries...)
				for _, e := range requeued {
					bytes += int64(e.Size())
				}
				if oldest.IsZero() || pendingAt.Before(oldest) {
					oldest = pendingAt
				}
				pending = nil
			case 3: // let time pass
				clock.Advance(time.Duration(arg) * time.Second / 10)
			}
			var want Trigger
			if len(entries) > 0 {
				if len(entries) >= maxEntries {
					want |= TriggerEntries
				}
				if bytes >= maxBytes {
					want |= TriggerBytes
				}
				if clock.Now().Sub(oldest) >= maxAge {
					want |= TriggerAge
				}
			}
			if got := b.Triggers(); got != want {
				t.Fatalf("Triggers() = %v, model %v (%d entries, %d bytes)", got, want, len(entries), bytes)
			}
			if b.Len() != len(entries) || b.Bytes() != bytes {
				t.Fatalf("buffer holds %d entries, %d bytes; model %d, %d", b.Len(), b.Bytes(), len(entries), bytes)
			}
		}
	})
}
