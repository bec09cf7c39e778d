package server

import (
	"context"

	"github.com/evodb/writer/cdc"
	"github.com/evodb/writer/manifest"
)

// tableWriter is what the server needs of a table's writer.
type tableWriter interface {
	// Flush writes entries as blocks and commits them with a txn per
	// producer; entries already committed are dropped.
	Flush(ctx context.Context, entries []cdc.Entry) (flushResult, error)
	// CommittedLSN is producer's highest committed LSN.
	CommittedLSN(producer string) (int64, bool)
	Snapshot(ctx context.Context) (*manifest.Snapshot, error)
	// Compact merges small blocks into big ones.
	Compact(ctx context.Context) (any, error)
	// Stats is the writer's counters, as JSON.
	Stats() any
	Close(ctx context.Context) error
}

// flushResult is what the server reads of a flush.
type flushResult struct {
	BlockPath  string
	Rows       int64
	Bytes      int64
	Version    int64
	Duplicates int
	Rejected   []string
}
