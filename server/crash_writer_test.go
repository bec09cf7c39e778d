package server

import (
	"context"
	"fmt"

	writer "github.com/evodb/writer"
	"github.com/evodb/writer/manifest"
	"github.com/evodb/writer/upload"
)

// The crash test's child opens its tables with the real LakehouseWriter
// (nil: the server's default), and the parent reads them back through the
// Delta log and the Parquet blocks.
var crashTableOpener func(ctx context.Context, name, uri string) (tableWriter, error)

// readTableLSNs returns, per producer, the LSNs of the rows of the table at
// uri, checking that each row holds what jsonBatch sent for its LSN.
func readTableLSNs(ctx context.Context, uri string) (map[string][]int64, error) {
	store, err := upload.Open(ctx, uri)
	if err != nil {
		return nil, err
	}
	tbl, err := manifest.Open(store, "", manifest.Options{})
	if err != nil {
		return nil, err
	}
	snap, err := tbl.Snapshot(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := writer.ReadRows(ctx, store, snap)
	if err != nil {
		return nil, err
	}
	out := map[string][]int64{}
	for _, r := range rows {
		if id, _ := r.Data["id"].(int64); id != r.LSN || r.Data["p"] != r.Producer {
			return nil, fmt.Errorf("row of %s at LSN %d holds %v", r.Producer, r.LSN, r.Data)
		}
		out[r.Producer] = append(out[r.Producer], r.LSN)
	}
	return out, nil
}
