package writer_test

import (
	"context"
	"fmt"
	"log"
	"os"

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

// JSON lines, as a CDC source or a file delivers them, go into a table in
// a local directory, opened by URI; the table's snapshot tells what it
// holds, as `evodb-writer inspect` shows it.
func Example_jsonLinesToLocalTable() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "evodb-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	w, err := writer.Open(ctx, writer.Options{URI: "file://" + dir + "/orders", PartitionMode: writer.ModeDOSQLite})
	if err != nil {
		log.Fatal(err)
	}
	defer w.Close(ctx)

	lines := []byte(`{"op":"INSERT","data":{"id":1,"status":"placed"},"lsn":10,"producer":"db-1","commit_ts":"2026-11-26T10:00:00Z"}
{"op":"UPDATE","data":{"id":1,"status":"paid","paid_at":"2026-11-26T10:05:00Z"},"lsn":11,"producer":"db-1"}
{"id":2,"status":"placed"}
{"id":3,
`)
	entries, lineErrs := cdc.DecodeJSONLines(nil, lines, &cdc.JSONOptions{Producer: "db-1"})
	for _, le := range lineErrs {
		fmt.Println("rejected:", le)
	}
	// The plain line has no LSN; give it the next one, as evodb-writer load does.
	entries[2].LSN = 12
	res, err := w.Flush(ctx, entries)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("version", res.Version, "rows", res.RowCount, "blocks", len(res.BlockPaths))

	snap, err := w.Snapshot(ctx)
	if err != nil {
		log.Fatal(err)
	}
	lsn, _ := snap.TxnVersion("db-1")
	fmt.Println("files", snap.NumFiles(), "db-1 committed up to", lsn)
	schema, err := snap.Schema()
	if err != nil {
		log.Fatal(err)
	}
	for _, f := range schema.Fields {
		fmt.Println(f.Name, f.Type.Primitive)
	}
	// Output:
	// rejected: line 4: invalid JSON at byte 8: unexpected end of input, want a member name
	// version 1 rows 3 blocks 1
	// files 1 db-1 committed up to 12
	// _op string
	// _lsn long
	// _producer string
	// _commit_ts timestamp
	// _rescued string
	// id long
	// status string
	// paid_at timestamp
}
