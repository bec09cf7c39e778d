package buffer_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/evodb/writer/buffer"
	"github.com/evodb/writer/cdc"
)

// The CDC buffer's cycle: add entries as they arrive, flush when a trigger
// holds, and commit each producer's highest LSN with the batch.
func ExampleCDC() {
	b, err := buffer.New(buffer.Options{MaxEntries: 3, MaxAge: 30 * time.Second})
	if err != nil {
		panic(err)
	}
	rows := []cdc.Entry{
		{Op: cdc.Insert, Table: "events", Data: []byte(`{"type":"click"}`), LSN: 100, Producer: "shop-1"},
		{Op: cdc.Insert, Table: "events", Data: []byte(`{"type":"view"}`), LSN: 7, Producer: "shop-2"},
		{Op: cdc.Insert, Table: "events", Data: []byte(`{"type":"click"}`), LSN: 100, Producer: "shop-1"}, // resent
		{Op: cdc.Update, Table: "events", Data: []byte(`{"type":"buy"}`), LSN: 101, Producer: "shop-1"},
	}
	for i := range rows {
		if err := b.Add(&rows[i]); err != nil {
			fmt.Println("not buffered:", err)
		}
	}
	if b.ShouldFlush() {
		batch := b.Drain(nil)
		fmt.Printf("flush %d entries (%v), commit LSNs %v\n", len(batch.Entries), batch.Trigger, batch.HighestLSN)
		batch.Release() // after the commit
	}
	_, pending := b.NextDeadline()
	fmt.Println("age timer needed:", pending)
	// Output:
	// not buffered: buffer: duplicate entry from producer "shop-1": LSN 100 is not above the last accepted LSN 100
	// flush 3 entries (entries), commit LSNs map[shop-1:101 shop-2:7]
	// age timer needed: false
}

// Producers publish into a Ring while one consumer drains it in batches;
// Close lets the consumer finish what was published.
func ExampleRing() {
	r, err := buffer.NewRing[cdc.Entry](1024)
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	var wg sync.WaitGroup
	for p := range 4 {
		wg.Go(func() {
			batch := make([]cdc.Entry, 100)
			for i := range batch {
				batch[i] = cdc.Entry{Op: cdc.Insert, Table: "events", Data: []byte(`{}`), LSN: int64(i + 1), Producer: fmt.Sprint("p", p)}
			}
			if _, err := r.PublishBatch(ctx, batch); err != nil {
				fmt.Println("publish:", err)
			}
		})
	}
	go func() { wg.Wait(); r.Close() }()

	dst := make([]cdc.Entry, 64)
	total := 0
	for {
		n, err := r.Consume(ctx, dst)
		total += n
		if errors.Is(err, buffer.ErrClosed) {
			break
		}
	}
	fmt.Println("consumed", total)
	// Output: consumed 400
}
