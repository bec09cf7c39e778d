package writer

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/evodb/writer/engine"
	"github.com/evodb/writer/engine/parquet"
	"github.com/evodb/writer/manifest"
	"github.com/evodb/writer/upload"
)

// ErrClosed is returned by the methods of a closed LakehouseWriter.
var ErrClosed = errors.New("writer: closed")

// ErrInvalidEntry is matched by the error Flush returns, before writing
// anything, for a batch holding an entry it cannot commit (a negative LSN).
var ErrInvalidEntry = errors.New("writer: invalid entry")

// LakehouseWriter writes batches of CDC entries into one Delta table. It is
// safe for concurrent use; its Flushes are serialised.
type LakehouseWriter struct {
	cfg   config
	table *manifest.Table
	store upload.Store // rooted at the table

	// s3 and s3Prefix, when the table is on S3, let blocks go up with the
	// configured multipart options.
	s3       *upload.S3
	s3Prefix string

	flushMu sync.Mutex // serialises Flush; guards bw, encs and bwSchema
	bw      *engine.BlockWriter
	// encs are the block writers a Flush of several blocks runs at once
	// (Options.BlockEncoders of them; encs[0] is bw). With one encoder bw
	// is pipelined instead (it shreds a block while encoding the one
	// before).
	encs []*engine.BlockWriter
	// bwSchema is the table schema string bw and encs were seeded with.
	bwSchema string
	// rgEst are the row-group estimates every block of a parallel round
	// starts from (nil before the first: the block writers' own, all
	// equal), so that a block's bytes do not depend on which block writer
	// takes it; see parallelRound. Guarded by flushMu and estMu (the
	// writers of a FlushBlocks run parallel rounds at once).
	rgEst *engine.RowGroupEstimates
	estMu sync.Mutex
	// source is the source table (cdc.Entry.Table) the writer's blocks
	// are of, once known; a new BlockWriter keeps it.
	source string

	snapMu sync.RWMutex
	snap   *manifest.Snapshot // the latest snapshot known

	stats   counters
	pending pendingCache // CompactionsPending per snapshot version
	ratio   blockRatio   // block bytes per entry byte, learnt from the blocks written
	closed  atomic.Bool
}

// Open opens the table the options name, creating it (version 0, with the
// metadata columns and the declared schema) if it does not exist.
func Open(ctx context.Context, opts Options) (*LakehouseWriter, error) {
	cfg, err := opts.config()
	if err != nil {
		return nil, err
	}
	store, prefix := opts.Store, strings.Trim(opts.Table, "/")
	if opts.URI != "" {
		if store, err = upload.Open(ctx, opts.URI); err != nil {
			return nil, fmt.Errorf("writer: open %s: %w", opts.URI, err)
		}
	}
	tbl, err := manifest.Open(store, prefix, cfg.Manifest)
	if err != nil {
		return nil, fmt.Errorf("writer: %w", err)
	}
	w := &LakehouseWriter{cfg: cfg, table: tbl, store: tbl.Store()}
	if s3, ok := store.(*upload.S3); ok {
		w.s3 = s3
		if prefix != "" {
			w.s3Prefix = prefix + "/"
		}
	}
	snap, err := tbl.Snapshot(ctx)
	if errors.Is(err, manifest.ErrNoTable) {
		schema, serr := initialSchema(cfg.Schema)
		if serr != nil {
			return nil, serr
		}
		snap, err = tbl.Create(ctx, schema, manifest.CreateOptions{Name: cfg.TableName, Description: cfg.Description})
		if errors.Is(err, manifest.ErrTableExists) {
			snap, err = tbl.Snapshot(ctx) // another writer created it first
		}
	}
	if err != nil {
		return nil, fmt.Errorf("writer: open table: %w", err)
	}
	w.snap = snap
	w.stats.s.LastVersion = snap.Version()
	if err := w.resetBlockWriter(snap); err != nil {
		return nil, err
	}
	cfg.Logger.Debug("writer: table open", "version", snap.Version(), "files", snap.NumFiles())
	return w, nil
}

// resetBlockWriter makes new BlockWriters (bw and encs) whose shredders
// know the columns of snap's schema with their types, plus the declared
// ones. Caller holds flushMu (or owns w exclusively).
func (w *LakehouseWriter) resetBlockWriter(snap *manifest.Snapshot) error {
	schema, err := snap.Schema()
	if err != nil {
		return fmt.Errorf("writer: table schema: %w", err)
	}
	declared, err := declaredSchema(schema, w.cfg.Schema)
	if err != nil {
		return err
	}
	if len(w.encs) > 0 {
		// Keep the columns these writers inferred before (not yet in the
		// table if their commit failed): the next block adds them. Where
		// two writers typed a column differently, the first one's type
		// is kept.
		if declared == nil {
			declared = &engine.Schema{}
		}
		for _, e := range w.encs {
			declared.Fields = mergeFields(declared.Fields, completeFields(e.Shredder().Schema().Fields))
		}
		if len(declared.Fields) == 0 && !declared.Strict {
			declared = nil
		}
	}
	encs := make([]*engine.BlockWriter, w.cfg.BlockEncoders)
	for i := range encs {
		if encs[i], err = w.newBlockWriter(declared, w.cfg.BlockEncoders == 1); err != nil {
			return err
		}
	}
	w.bw, w.encs = encs[0], encs
	w.bwSchema = snap.Metadata().SchemaString
	return nil
}

// newBlockWriter makes a BlockWriter with the writer's options whose
// shredder starts from the declared schema (nil: none).
func (w *LakehouseWriter) newBlockWriter(declared *engine.Schema, pipelined bool) (*engine.BlockWriter, error) {
	opts := engine.BlockOptions{
		Shredder:       engine.Options{Schema: declared, Table: w.source},
		RowGroupBytes:  w.cfg.RowGroupBytes,
		RowGroupMemory: w.cfg.RowGroupMemory,
		Pipelined:      pipelined,
	}
	switch w.cfg.Compression {
	case CompressionNone:
		opts.Uncompressed = true
	case CompressionSnappy:
		opts.Parquet.Compression = parquet.Snappy
	default:
		opts.Parquet.Compression = parquet.Zstd
		opts.Parquet.ZstdLevel = w.cfg.ZstdLevel
		if opts.Parquet.ZstdLevel == 0 {
			opts.Parquet.ZstdLevel = 1
		}
	}
	bw, err := engine.NewBlockWriter(opts)
	if err != nil {
		return nil, fmt.Errorf("writer: block writer: %w", err)
	}
	return bw, nil
}

// completeFields drops fields without a type (keys seen only with null
// values), which a declared schema cannot hold.
func completeFields(fs []engine.Field) []engine.Field {
	var out []engine.Field
	for _, f := range fs {
		switch f.Type {
		case engine.TypeUnknown:
			continue
		case engine.TypeObject:
			f.Fields = completeFields(f.Fields)
			if len(f.Fields) == 0 {
				continue
			}
		case engine.TypeList:
			if f.Elem == nil || f.Elem.Type == engine.TypeUnknown {
				continue
			}
			if f.Elem.Type == engine.TypeObject {
				e := *f.Elem
				e.Fields = completeFields(e.Fields)
				if len(e.Fields) == 0 {
					continue
				}
				f.Elem = &e
			}
		}
		out = append(out, f)
	}
	return out
}

// Table returns the table's log.
func (w *LakehouseWriter) Table() *manifest.Table { return w.table }

// Store returns the store rooted at the table.
func (w *LakehouseWriter) Store() upload.Store { return w.store }

// Limits returns the block sizes in effect.
func (w *LakehouseWriter) Limits() ModeLimits { return w.cfg.limits }

// Snapshot reads the latest version of the table (and remembers it for
// the next Flush's duplicate filter).
func (w *LakehouseWriter) Snapshot(ctx context.Context) (*manifest.Snapshot, error) {
	cur := w.latest()
	s, err := w.table.Update(ctx, cur)
	if err != nil {
		return nil, err
	}
	w.remember(s)
	return s, nil
}

// latest returns the latest snapshot known without reading the store.
func (w *LakehouseWriter) latest() *manifest.Snapshot {
	w.snapMu.RLock()
	defer w.snapMu.RUnlock()
	return w.snap
}

// remember keeps s if it is newer than the snapshot known.
func (w *LakehouseWriter) remember(s *manifest.Snapshot) {
	w.snapMu.Lock()
	if s.Version() > w.snap.Version() {
		w.snap = s
	}
	w.snapMu.Unlock()
	w.stats.update(func(st *Stats) {
		if s.Version() > st.LastVersion {
			st.LastVersion = s.Version()
		}
	})
}

// CommittedLSN returns the highest LSN of producer committed in the latest
// snapshot this writer knows, and whether the producer committed at all.
func (w *LakehouseWriter) CommittedLSN(producer string) (int64, bool) {
	return w.latest().TxnVersion(producer)
}

// Close stops the writer: later Flushes fail with ErrClosed. It waits for
// a Flush in progress to end. Nothing is buffered inside the writer, so
// nothing is lost.
func (w *LakehouseWriter) Close(ctx context.Context) error {
	if w.closed.Swap(true) {
		return nil
	}
	done := make(chan struct{})
	go func() {
		w.flushMu.Lock()
		w.bw, w.encs = nil, nil
		w.flushMu.Unlock()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("writer: close: waiting for a flush: %w", ctx.Err())
	}
}

// ReadRows reads every row of the table at snapshot s (nil: the latest
// version), file by file in path order (block names start with their
// write time, so that is about commit order). For tests, tools and small
// tables: it holds one block's bytes and every row in memory.
func (w *LakehouseWriter) ReadRows(ctx context.Context, s *manifest.Snapshot) ([]engine.Row, error) {
	if s == nil {
		var err error
		if s, err = w.Snapshot(ctx); err != nil {
			return nil, err
		}
	}
	return ReadRows(ctx, w.store, s)
}

// ReadRows reads every row of the data files active in s from store (rooted
// at the table), in path order.
func ReadRows(ctx context.Context, store upload.Store, s *manifest.Snapshot) ([]engine.Row, error) {
	var rows []engine.Row
	for _, f := range s.Files() {
		r, err := ReadFile(ctx, store, f)
		if err != nil {
			return nil, err
		}
		rows = append(rows, r...)
	}
	return rows, nil
}

// ReadFile reads the rows of one data file of the table.
func ReadFile(ctx context.Context, store upload.Store, f manifest.AddFile) ([]engine.Row, error) {
	key, err := f.Key()
	if err != nil {
		return nil, err
	}
	data, _, err := store.Get(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("writer: read %s: %w", key, err)
	}
	if int64(len(data)) != f.Size {
		return nil, fmt.Errorf("writer: %s holds %d bytes, the log says %d", key, len(data), f.Size)
	}
	b, err := engine.OpenBlock(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, fmt.Errorf("writer: open %s: %w", key, err)
	}
	rows, err := b.Rows(ctx)
	if err != nil {
		return nil, fmt.Errorf("writer: rows of %s: %w", key, err)
	}
	return rows, nil
}
