package server

import (
	"context"

	writer "github.com/evodb/writer"
	"github.com/evodb/writer/cdc"
	"github.com/evodb/writer/manifest"
)

// openWriter returns the function that opens a table's LakehouseWriter
// with cfg.Writer, at the table's URI.
func openWriter(cfg Config) func(ctx context.Context, name, uri string) (tableWriter, error) {
	return func(ctx context.Context, name, uri string) (tableWriter, error) {
		opts := cfg.Writer
		opts.Store, opts.Table, opts.URI = nil, "", uri
		if opts.Logger == nil {
			opts.Logger = cfg.Logger.With("table", name)
		}
		if opts.TableName == "" {
			opts.TableName = name
		}
		w, err := writer.Open(ctx, opts)
		if err != nil {
			return nil, err
		}
		return lakehouse{w}, nil
	}
}

// lakehouse adapts a *writer.LakehouseWriter to tableWriter.
type lakehouse struct{ w *writer.LakehouseWriter }

func (l lakehouse) Flush(ctx context.Context, es []cdc.Entry) (flushResult, error) {
	res, err := l.w.Flush(ctx, es)
	out := flushResult{
		BlockPath: res.BlockPath, Rows: res.RowCount, Bytes: res.Bytes,
		Version: res.Version, Duplicates: res.Duplicates,
	}
	for _, re := range res.Rejected {
		out.Rejected = append(out.Rejected, re.Error())
	}
	return out, err
}

func (l lakehouse) CommittedLSN(p string) (int64, bool) { return l.w.CommittedLSN(p) }

func (l lakehouse) Snapshot(ctx context.Context) (*manifest.Snapshot, error) {
	return l.w.Snapshot(ctx)
}

func (l lakehouse) Compact(ctx context.Context) (any, error) { return l.w.Compact(ctx) }

func (l lakehouse) Stats() any { return l.w.Stats() }

func (l lakehouse) Close(ctx context.Context) error { return l.w.Close(ctx) }
