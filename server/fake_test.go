package server

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/evodb/writer/cdc"
	"github.com/evodb/writer/manifest"
	"github.com/evodb/writer/upload"
)

// fakeWriter is a table writer for the server's tests: it commits real
// Delta log entries (an add naming no real file, and a txn per producer)
// to a table in a store, and keeps the rows it committed in memory, per
// table URI, for the tests to check. It can be told to fail flushes.
type fakeWriter struct {
	uri   string
	store upload.Store
	table *manifest.Table
	rows  *fakeRows

	mu   sync.Mutex
	snap *manifest.Snapshot
	n    int
}

// fakeRows are the entries committed to one table, across fakeWriters.
type fakeRows struct {
	mu      sync.Mutex
	entries []cdc.Entry
	fail    atomic.Int64 // flushes still to fail
	// hold, when set before a flush, makes Flush signal entered and
	// wait for release before doing anything.
	hold             atomic.Bool
	entered, release chan struct{}
	flushes          atomic.Int64
	compactions      atomic.Int64
}

var fakeTables sync.Map // uri -> *fakeRows

func fakeRowsOf(uri string) *fakeRows {
	v, _ := fakeTables.LoadOrStore(uri, new(fakeRows))
	return v.(*fakeRows)
}

func (r *fakeRows) snapshot() []cdc.Entry {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]cdc.Entry(nil), r.entries...)
}

var errInjected = errors.New("injected flush failure")

func openFake(ctx context.Context, name, uri string) (tableWriter, error) {
	store, err := upload.Open(ctx, uri)
	if err != nil {
		return nil, err
	}
	tbl, err := manifest.Open(store, "", manifest.Options{})
	if err != nil {
		return nil, err
	}
	snap, err := tbl.Snapshot(ctx)
	if errors.Is(err, manifest.ErrNoTable) {
		schema := manifest.StructType{Fields: []manifest.StructField{{Name: "_lsn", Type: manifest.Type("long"), Nullable: true}}}
		snap, err = tbl.Create(ctx, schema, manifest.CreateOptions{Name: name})
	}
	if err != nil {
		return nil, err
	}
	return &fakeWriter{uri: uri, store: store, table: tbl, rows: fakeRowsOf(uri), snap: snap}, nil
}

func (f *fakeWriter) Flush(ctx context.Context, es []cdc.Entry) (flushResult, error) {
	if f.rows.hold.Load() {
		f.rows.entered <- struct{}{}
		<-f.rows.release
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rows.flushes.Add(1)
	if f.rows.fail.Load() > 0 {
		f.rows.fail.Add(-1)
		return flushResult{}, errInjected
	}
	var keep []cdc.Entry
	high := map[string]int64{}
	dups := 0
	for _, e := range es {
		if v, ok := f.snap.TxnVersion(e.Producer); ok && e.LSN <= v {
			dups++
			continue
		}
		keep = append(keep, e)
		high[e.Producer] = max(high[e.Producer], e.LSN)
	}
	if len(keep) == 0 {
		return flushResult{Version: f.snap.Version(), Duplicates: dups}, nil
	}
	f.n++
	path := fmt.Sprintf("data/fake_%d_%d.parquet", f.snap.Version()+1, f.n)
	// The data file holds the entries as JSON lines, so that another
	// process can read the table back (see readTableLSNs).
	var data []byte
	for i := range keep {
		var err error
		if data, err = cdc.AppendJSONLine(data, &keep[i]); err != nil {
			return flushResult{}, err
		}
	}
	if _, err := f.store.Put(ctx, path, data, upload.PutOptions{}); err != nil {
		return flushResult{}, err
	}
	stats, _ := manifest.EncodeStats(manifest.Stats{NumRecords: int64(len(keep))})
	actions := []manifest.Action{{Add: &manifest.AddFile{Path: path, PartitionValues: map[string]string{}, Size: int64(len(keep)) * 10, DataChange: true, Stats: stats}}}
	for p, v := range high {
		actions = append(actions, manifest.Action{Txn: &manifest.Txn{AppID: p, Version: v}})
	}
	res, err := f.table.Commit(ctx, f.snap, actions, manifest.CommitOptions{})
	if err != nil {
		return flushResult{}, err
	}
	f.snap = res.Snapshot
	f.rows.mu.Lock()
	for _, e := range keep {
		e.Data = append([]byte(nil), e.Data...)
		f.rows.entries = append(f.rows.entries, e)
	}
	f.rows.mu.Unlock()
	return flushResult{BlockPath: path, Rows: int64(len(keep)), Bytes: int64(len(keep)) * 10, Version: res.Version, Duplicates: dups}, nil
}

// readFakeTable returns, per producer, the LSNs of the rows of the table at
// uri, in the order of its files and rows.
func readFakeTable(ctx context.Context, uri string) (map[string][]int64, error) {
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
	out := map[string][]int64{}
	for _, f := range snap.Files() {
		key, err := f.Key()
		if err != nil {
			return nil, err
		}
		b, _, err := store.Get(ctx, key)
		if err != nil {
			return nil, err
		}
		es, errs := cdc.DecodeJSONLines(nil, b, nil)
		if len(errs) > 0 {
			return nil, fmt.Errorf("%s: %v", key, errs[0])
		}
		for _, e := range es {
			out[e.Producer] = append(out[e.Producer], e.LSN)
		}
	}
	return out, nil
}

func (f *fakeWriter) CommittedLSN(p string) (int64, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.snap.TxnVersion(p)
}

func (f *fakeWriter) Snapshot(ctx context.Context) (*manifest.Snapshot, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.snap, nil
}

func (f *fakeWriter) Compact(ctx context.Context) (any, error) {
	f.rows.compactions.Add(1)
	return map[string]int{"compacted_blocks": 0}, nil
}

func (f *fakeWriter) Stats() any { return map[string]int64{"flushes": f.rows.flushes.Load()} }

func (f *fakeWriter) Close(ctx context.Context) error { return nil }
