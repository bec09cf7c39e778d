package manifest_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/evodb/writer/manifest"
	"github.com/evodb/writer/upload"
)

// A producer appends a block under a txn and later replays the same batch:
// the second commit is recognised as a duplicate and written nowhere.
func Example() {
	ctx := context.Background()
	tbl, err := manifest.Open(upload.NewMemory(), "tables/orders", manifest.Options{})
	if err != nil {
		log.Fatal(err)
	}
	schema := manifest.StructType{Fields: []manifest.StructField{
		{Name: "id", Type: manifest.Type("long")},
		{Name: "_lsn", Type: manifest.Type("long")},
	}}
	snap, err := tbl.Create(ctx, schema, manifest.CreateOptions{Name: "orders"})
	if err != nil {
		log.Fatal(err)
	}
	flush := func(base *manifest.Snapshot, block string, highestLSN int64) (manifest.CommitResult, error) {
		return tbl.Commit(ctx, base, []manifest.Action{
			{Add: &manifest.AddFile{
				Path: manifest.EncodePath(block), PartitionValues: map[string]string{},
				Size: 4096, ModificationTime: 1, DataChange: true,
				Stats: manifest.Stats{NumRecords: 100}.String(),
			}},
			{Txn: &manifest.Txn{AppID: "producer-1", Version: highestLSN}},
		}, manifest.CommitOptions{})
	}
	res, err := flush(snap, "data/blk_1.parquet", 100)
	if err != nil {
		log.Fatal(err)
	}
	lsn, _ := res.Snapshot.TxnVersion("producer-1")
	fmt.Println("version", res.Version, "files", res.Snapshot.NumFiles(), "producer-1 at LSN", lsn)

	_, err = flush(snap, "data/blk_2.parquet", 100) // the same batch again, from the old snapshot
	fmt.Println("replay is a duplicate:", errors.Is(err, manifest.ErrDuplicate))
	// Output:
	// version 1 files 1 producer-1 at LSN 100
	// replay is a duplicate: true
}
