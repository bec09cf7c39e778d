package writer_test

import (
	"context"
	"fmt"
	"log"

	writer "github.com/evodb/writer"
	"github.com/evodb/writer/cdc"
	"github.com/evodb/writer/upload"
)

// A producer's batch is flushed into a new table, then replayed (as after
// a crash before the acknowledgement): the replay is recognised from the
// table's txn and written nowhere.
func Example() {
	ctx := context.Background()
	w, err := writer.Open(ctx, writer.Options{Store: upload.NewMemory(), Table: "tables/orders"})
	if err != nil {
		log.Fatal(err)
	}
	defer w.Close(ctx)

	entries := []cdc.Entry{
		{Op: cdc.Insert, Table: "orders", Producer: "shop-1", LSN: 1, Data: []byte(`{"id": 1, "total": 9.5}`)},
		{Op: cdc.Insert, Table: "orders", Producer: "shop-1", LSN: 2, Data: []byte(`{"id": 2, "total": 12}`)},
		{Op: cdc.Update, Table: "orders", Producer: "shop-1", LSN: 3, Data: []byte(`{"id": 1, "total": 10.5, "note": "fixed"}`)},
	}
	res, err := w.Flush(ctx, entries)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("version", res.Version, "rows", res.RowCount, "shop-1 committed up to", res.Committed["shop-1"])

	res, err = w.Flush(ctx, entries)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("replay: duplicate", res.Duplicate, "rows", res.RowCount)

	rows, err := w.ReadRows(ctx, nil)
	if err != nil {
		log.Fatal(err)
	}
	for _, r := range rows {
		fmt.Println(r.Op, r.LSN, r.Data["id"], r.Data["total"], r.Data["note"])
	}
	st := w.Stats()
	fmt.Println("commits", st.Commits, "blocks", st.BlocksWritten, "duplicates", st.Duplicates)
	// Output:
	// version 1 rows 3 shop-1 committed up to 3
	// replay: duplicate true rows 0
	// INSERT 1 1 9.5 <nil>
	// INSERT 2 2 12 <nil>
	// UPDATE 3 1 10.5 fixed
	// commits 1 blocks 1 duplicates 3
}
