package ingest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/evodb/writer/bench/internal/cputime"
	"github.com/evodb/writer/buffer"
	"github.com/evodb/writer/cdc"
)

// capacity is the number of entries the ring and the channel can hold.
const capacity = 4096

// consumeBatch is how many entries the ring's consumer drains at once.
const consumeBatch = 256

var producerCounts = []int{1, 2, 8}

func entryFor(p int) cdc.Entry {
	return cdc.Entry{
		Op:       cdc.Insert,
		Table:    "events",
		Data:     []byte(`{"type":"click","user":123}`),
		Producer: fmt.Sprint("producer-", p),
	}
}

// sink keeps the consumer's reads from being optimised away.
var sink int64

// block is how many entries the consumer takes per b.Loop iteration: one
// op. Its own loop over them is tight, so that what is measured is the
// queue, not a function call per entry.
const block = 256

// run measures block entries consumed per b.Loop iteration while
// producers publish as fast as they can. consume(n) must consume exactly
// n entries. After the loop, producers are told to stop and drainRest
// must keep the queue moving until done is closed.
func run(b *testing.B, producers int, produce func(p int, stop *atomic.Bool), consume func(n int) int64, drainRest func(done <-chan struct{})) {
	b.ReportAllocs()
	var stop atomic.Bool
	var wg sync.WaitGroup
	for p := range producers {
		wg.Go(func() { produce(p, &stop) })
	}
	var sum int64
	cpu0 := cputime.Used()
	for b.Loop() {
		sum += consume(block)
	}
	cpu := cputime.Used() - cpu0
	entries := b.N * block
	stop.Store(true)
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	drainRest(done)
	<-done
	sink += sum
	b.ReportMetric(float64(entries)/b.Elapsed().Seconds(), "entries/s")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(entries), "ns/entry")
	reportCPU(b, cpu, entries)
}

// reportCPU reports the CPU time the whole process spent per entry, all
// threads together. Unlike ns/op it does not grow when other programs
// take the machine's cores, but it counts spinning and GC work too.
func reportCPU(b *testing.B, cpu time.Duration, entries int) {
	if cpu > 0 {
		b.ReportMetric(float64(cpu.Nanoseconds())/float64(entries), "cpu-ns/entry")
	}
}

// ringBench publishes batch entries per call (one with Publish when batch
// is 1) into a Ring of T; val makes producer p's i-th value.
func ringBench[T any](b *testing.B, producers, batch int, val func(p int) T, lsn func(*T) int64) {
	r, err := buffer.NewRing[T](capacity)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	dst := make([]T, consumeBatch)
	run(b, producers,
		func(p int, stop *atomic.Bool) {
			v := val(p)
			if batch == 1 {
				for !stop.Load() {
					if r.Publish(ctx, v) != nil {
						return
					}
				}
				return
			}
			vs := make([]T, batch)
			for k := range vs {
				vs[k] = v
			}
			for !stop.Load() {
				if _, err := r.PublishBatch(ctx, vs); err != nil {
					return
				}
			}
		},
		func(need int) int64 {
			var sum int64
			for need > 0 {
				n, err := r.Consume(ctx, dst[:min(need, len(dst))])
				if err != nil {
					b.Fatal(err)
				}
				for k := range n {
					sum += lsn(&dst[k])
				}
				need -= n
			}
			return sum
		},
		func(done <-chan struct{}) {
			r.Close()
			for {
				if _, err := r.Consume(ctx, dst); errors.Is(err, buffer.ErrClosed) {
					return
				}
			}
		})
}

func chanBench(b *testing.B, producers int) {
	ch := make(chan cdc.Entry, capacity)
	run(b, producers,
		func(p int, stop *atomic.Bool) {
			e := entryFor(p)
			for !stop.Load() {
				ch <- e
			}
		},
		func(need int) int64 {
			var sum int64
			for range need {
				sum += (<-ch).LSN
			}
			return sum
		},
		func(done <-chan struct{}) {
			for {
				select {
				case <-ch:
				case <-done:
					return
				}
			}
		})
}

// chanBatchBench sends batches of entries over a channel holding the same
// number of entries, recycling the batch buffers through a free list so
// that it allocates nothing per entry either.
func chanBatchBench(b *testing.B, producers, batch int) {
	ch := make(chan []cdc.Entry, capacity/batch)
	free := make(chan []cdc.Entry, capacity/batch+2*producers+1)
	for range cap(free) - 1 {
		free <- make([]cdc.Entry, batch)
	}
	var cur []cdc.Entry // the batch being read
	i := 0              // the next entry of cur to read
	run(b, producers,
		func(p int, stop *atomic.Bool) {
			e := entryFor(p)
			for !stop.Load() {
				buf := <-free
				for k := range buf {
					buf[k] = e
				}
				ch <- buf
			}
		},
		func(need int) int64 {
			var sum int64
			for need > 0 {
				if i == len(cur) {
					if cur != nil {
						free <- cur
					}
					cur, i = <-ch, 0
				}
				k := min(need, len(cur)-i)
				for _, e := range cur[i : i+k] {
					sum += e.LSN
				}
				i += k
				need -= k
			}
			return sum
		},
		func(done <-chan struct{}) {
			for {
				select {
				case buf := <-ch:
					free <- buf
				case <-done:
					return
				}
			}
		})
}

func entryLSN(e *cdc.Entry) int64 { return e.LSN }

// BenchmarkRing: one entry per publish, against a channel of entries.
func BenchmarkRing(b *testing.B) {
	for _, producers := range producerCounts {
		b.Run(fmt.Sprintf("producers=%d/impl=evodb", producers), func(b *testing.B) {
			ringBench(b, producers, 1, entryFor, entryLSN)
		})
		b.Run(fmt.Sprintf("producers=%d/impl=chan", producers), func(b *testing.B) {
			chanBench(b, producers)
		})
	}
}

// BenchmarkRingBatched: batches of 64 entries per publish, against a
// channel of entries (one send per entry) and a channel of 64-entry
// batches.
func BenchmarkRingBatched(b *testing.B) {
	const batch = 64
	for _, producers := range producerCounts {
		b.Run(fmt.Sprintf("producers=%d/impl=evodb", producers), func(b *testing.B) {
			ringBench(b, producers, batch, entryFor, entryLSN)
		})
		b.Run(fmt.Sprintf("producers=%d/impl=chan", producers), func(b *testing.B) {
			chanBench(b, producers)
		})
		b.Run(fmt.Sprintf("producers=%d/impl=chanbatch", producers), func(b *testing.B) {
			chanBatchBench(b, producers, batch)
		})
	}
}

// BenchmarkRingElem: what an entry costs to copy through the ring: the
// 96-byte cdc.Entry by value against a pointer to it.
func BenchmarkRingElem(b *testing.B) {
	for _, batch := range []int{1, 64} {
		b.Run(fmt.Sprintf("batch=%d/producers=2/impl=value", batch), func(b *testing.B) {
			ringBench(b, 2, batch, entryFor, entryLSN)
		})
		b.Run(fmt.Sprintf("batch=%d/producers=2/impl=pointer", batch), func(b *testing.B) {
			ringBench(b, 2, batch, func(p int) *cdc.Entry { e := entryFor(p); return &e }, func(e **cdc.Entry) int64 { return (*e).LSN })
		})
	}
}

// BenchmarkCDCAdd: Add one entry at a time and AddBatch 256 at a time,
// from 16 producers in turn, draining (and recycling the storage) at the
// default 10,000 entries.
func BenchmarkCDCAdd(b *testing.B) {
	const producers = 16
	newBuffer := func(b *testing.B) (*buffer.CDC, []cdc.Entry) {
		buf, err := buffer.New(buffer.Options{})
		if err != nil {
			b.Fatal(err)
		}
		es := make([]cdc.Entry, producers)
		for p := range es {
			es[p] = entryFor(p)
		}
		return buf, es
	}
	b.Run("mode=single", func(b *testing.B) {
		buf, es := newBuffer(b)
		var spare []cdc.Entry
		b.ReportAllocs()
		k := 0
		cpu0 := cputime.Used()
		for b.Loop() {
			e := &es[k%producers]
			e.LSN++
			k++
			if err := buf.Add(e); err != nil {
				b.Fatal(err)
			}
			if k%buffer.DefaultMaxEntries == 0 {
				spare = buf.Drain(spare).Entries
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/entry")
		reportCPU(b, cputime.Used()-cpu0, b.N)
	})
	b.Run("mode=batch256", func(b *testing.B) {
		const batch = 256
		buf, es := newBuffer(b)
		in := make([]cdc.Entry, batch)
		var spare []cdc.Entry
		b.ReportAllocs()
		k := 0
		cpu0 := cputime.Used()
		for b.Loop() {
			for j := range in {
				e := &es[k%producers]
				e.LSN++
				k++
				in[j] = *e
			}
			if _, err := buf.AddBatch(in); err != nil {
				b.Fatal(err)
			}
			if k%(batch*40) == 0 { // 10,240 entries
				spare = buf.Drain(spare).Entries
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*batch), "ns/entry")
		reportCPU(b, cputime.Used()-cpu0, b.N*batch)
	})
}
