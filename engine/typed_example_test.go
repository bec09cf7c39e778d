package engine_test

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/evodb/writer/cdc"
	"github.com/evodb/writer/engine"
)

type exampleItem struct {
	SKU string `parquet:"sku"`
	Qty int64  `parquet:"qty"`
}

type exampleOrder struct {
	ID       int64         `parquet:"id"`
	Amount   *float64      `parquet:"amount"`
	PlacedAt time.Time     `parquet:"placed_at,timestamp(microsecond)"`
	Items    []exampleItem `parquet:"items,list"`
	Internal string        `parquet:"-"`
}

func ExampleTypedWriter() {
	w, err := engine.NewTypedWriter[exampleOrder](engine.TypedOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	amount := 12.5
	orders := []exampleOrder{
		{ID: 1, Amount: &amount, PlacedAt: time.Date(2026, 11, 26, 6, 0, 0, 0, time.UTC), Items: []exampleItem{{SKU: "a", Qty: 2}}},
		{ID: 2, PlacedAt: time.Date(2026, 11, 26, 6, 1, 0, 0, time.UTC)},
	}
	// One Meta for the batch; AppendRow takes one per row.
	if err := w.AppendBatch(engine.Meta{Op: cdc.Insert, LSN: 7, Producer: "shop"}, orders); err != nil {
		fmt.Println(err)
		return
	}
	var block bytes.Buffer
	info, err := w.WriteBlock(context.Background(), &block)
	if err != nil {
		fmt.Println(err)
		return
	}
	f, err := engine.OpenBlock(bytes.NewReader(block.Bytes()), int64(block.Len()))
	if err != nil {
		fmt.Println(err)
		return
	}
	rows, err := f.Rows(context.Background())
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(info.Rows, "rows")
	for _, r := range rows {
		data, _ := r.JSON()
		fmt.Println(r.Op, r.LSN, string(data))
	}
	// Output:
	// 2 rows
	// INSERT 7 {"amount":12.5,"id":1,"items":[{"qty":2,"sku":"a"}],"placed_at":"2026-11-26T06:00:00Z"}
	// INSERT 7 {"id":2,"placed_at":"2026-11-26T06:01:00Z"}
}

// A block streamed to its destination (here a buffer; an upload's body in
// practice) while its rows are appended: each full row group goes out as
// Append encodes it, and WriteBlock, given nil, writes the rest.
func ExampleTypedWriter_Stream() {
	w, err := engine.NewTypedWriter[exampleOrder](engine.TypedOptions{RowGroupRows: 1000})
	if err != nil {
		fmt.Println(err)
		return
	}
	var upload bytes.Buffer
	if err := w.Stream(&upload); err != nil {
		fmt.Println(err)
		return
	}
	orders := make([]exampleOrder, 2500)
	for i := range orders {
		orders[i] = exampleOrder{ID: int64(i), PlacedAt: time.Date(2026, 11, 26, 6, 0, i, 0, time.UTC)}
	}
	meta := engine.Meta{Op: cdc.Insert, LSN: 8, Producer: "shop"}
	for lo := 0; lo < len(orders); lo += 500 {
		if err := w.AppendBatch(meta, orders[lo:lo+500]); err != nil {
			// a batch refused after some of its rows went out breaks the
			// block (engine.ErrStreamBroken): Reset, and append its rows
			// again for a new block
			fmt.Println(err)
			return
		}
		fmt.Println(w.Rows(), "rows appended; bytes out:", upload.Len() > 0)
	}
	info, err := w.WriteBlock(context.Background(), nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(info.Rows, "rows,", info.RowGroups, "row groups; all streamed:", info.Bytes == int64(upload.Len()))
	// Output:
	// 500 rows appended; bytes out: false
	// 1000 rows appended; bytes out: false
	// 1500 rows appended; bytes out: true
	// 2000 rows appended; bytes out: true
	// 2500 rows appended; bytes out: true
	// 2500 rows, 3 row groups; all streamed: true
}
