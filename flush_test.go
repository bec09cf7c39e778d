package writer_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	writer "github.com/evodb/writer"
	"github.com/evodb/writer/cdc"
	"github.com/evodb/writer/engine"
	"github.com/evodb/writer/manifest"
	"github.com/evodb/writer/upload"
)

func TestOpenOptions(t *testing.T) {
	mem := upload.NewMemory()
	tests := []struct {
		name string
		opts writer.Options
		want string // substring of the error; "" for success
	}{
		{"store", writer.Options{Store: mem}, ""},
		{"uri", writer.Options{URI: "mem://writer-test-open/t"}, ""},
		{"neither", writer.Options{}, "exactly one of Store and URI"},
		{"both", writer.Options{Store: mem, URI: "mem://x"}, "exactly one of Store and URI"},
		{"uri with table", writer.Options{URI: "mem://x", Table: "t"}, "Table is the prefix"},
		{"bad mode", writer.Options{Store: mem, PartitionMode: "huge"}, `unknown partition mode "huge"`},
		{"bad compression", writer.Options{Store: mem, Compression: "lz4"}, `unknown compression "lz4"`},
		{"target above max", writer.Options{Store: mem, TargetBlockBytes: 10, MaxBlockBytes: 5}, "above the maximum"},
		{"small part", writer.Options{Store: mem, PartSize: 1 << 20}, "part size"},
		{"negative encoders", writer.Options{Store: mem, BlockEncoders: -1}, "negative BlockEncoders"},
		{"bad schema", writer.Options{Store: mem, Schema: &engine.Schema{Fields: []engine.Field{{Name: "_lsn", Type: engine.TypeInt64}}}}, "Options.Schema"},
		{"bad uri", writer.Options{URI: "ftp://x"}, "writer: open ftp://x"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w, err := writer.Open(context.Background(), tc.opts)
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				w.Close(context.Background())
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestPartitionModes(t *testing.T) {
	tests := []struct {
		mode        writer.PartitionMode
		target, max int64
	}{
		{writer.ModeDOSQLite, 64 << 10, 2 << 20},
		{writer.ModeStandard, 4 << 20, 500 << 20},
		{"", 4 << 20, 500 << 20},
		{writer.ModeEnterprise, 32 << 20, 5 << 30},
	}
	for _, tc := range tests {
		w := open(t, writer.Options{Store: upload.NewMemory(), PartitionMode: tc.mode})
		if got := w.Limits(); got.TargetBlockBytes != tc.target || got.MaxBlockBytes != tc.max {
			t.Errorf("mode %q: %+v", tc.mode, got)
		}
	}
}

func TestFlushDuplicates(t *testing.T) {
	ctx := context.Background()
	w := open(t, writer.Options{Store: upload.NewMemory()})
	if _, err := w.Flush(ctx, batch(t, "p1", 1, 10)); err != nil {
		t.Fatal(err)
	}
	// Overlap: 5..10 are in, 11..15 are new; 12 appears twice.
	b := batch(t, "p1", 5, 15)
	b = append(b, b[7])
	res, err := w.Flush(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	if res.Duplicates != 7 || res.RowCount != 5 || res.Duplicate || res.Committed["p1"] != 15 {
		t.Errorf("overlapping batch: %+v", res)
	}
	// The same batch again: nothing to write.
	res, err = w.Flush(ctx, batch(t, "p1", 1, 15))
	if err != nil {
		t.Fatal(err)
	}
	if !res.Duplicate || res.Duplicates != 15 || res.BlockPath != "" || res.Version != 2 {
		t.Errorf("replayed batch: %+v", res)
	}
	checkRows(t, readAll(t, w, nil), wantRows(batch(t, "p1", 1, 15)))
	if st := w.Stats(); st.Duplicates != 22 || st.Commits != 2 {
		t.Errorf("stats %+v", st)
	}
	// An empty batch commits nothing.
	if res, err := w.Flush(ctx, nil); err != nil || res.Version != 2 || res.Duplicate {
		t.Errorf("empty flush: %+v, %v", res, err)
	}
}

func TestFlushRejectedRows(t *testing.T) {
	ctx := context.Background()
	w := open(t, writer.Options{Store: upload.NewMemory()})
	b := batch(t, "p1", 1, 6)
	b[1].Data = []byte(`{"id": 2,`)        // truncated
	b[4].Data = []byte(`[1, 2]`)           // not an object
	b[5].Data = []byte(`{"a": 1, "a": 2}`) // duplicate key
	res, err := w.Flush(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	var got []int
	for _, re := range res.Rejected {
		got = append(got, re.Index)
		if re.LSN != b[re.Index].LSN {
			t.Errorf("rejected row %d has LSN %d, want %d", re.Index, re.LSN, b[re.Index].LSN)
		}
	}
	if diff := cmp.Diff([]int{1, 4, 5}, got); diff != "" {
		t.Errorf("rejected rows (-want +got):\n%s", diff)
	}
	if res.RowCount != 3 || res.Committed["p1"] != 6 {
		t.Errorf("%+v", res)
	}
	checkRows(t, readAll(t, w, nil), wantRows([]cdc.Entry{b[0], b[2], b[3]}))

	// A batch all of whose rows are bad writes no block but commits the
	// txn: replaying it is a duplicate.
	bad := batch(t, "p1", 7, 8)
	bad[0].Data, bad[1].Data = []byte(`nope`), []byte(`{`)
	res, err = w.Flush(ctx, bad)
	if err != nil {
		t.Fatal(err)
	}
	if res.BlockPath != "" || len(res.Rejected) != 2 || res.Committed["p1"] != 8 {
		t.Errorf("all rejected: %+v", res)
	}
	if res, err := w.Flush(ctx, bad); err != nil || !res.Duplicate {
		t.Errorf("replay of a rejected batch: %+v, %v", res, err)
	}
	// Indexes stay those of the batch given when duplicates are dropped.
	mixed := append(batch(t, "p1", 1, 1), batch(t, "p1", 9, 10)...)
	mixed[1].Data = []byte(`{"x": }`)
	res, err = w.Flush(ctx, mixed)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rejected) != 1 || res.Rejected[0].Index != 1 || res.Rejected[0].LSN != 9 || res.Duplicates != 1 || res.RowCount != 1 {
		t.Errorf("mixed batch: %+v", res)
	}
	if st := w.Stats(); st.Rejected != 6 {
		t.Errorf("stats: %d rejected, want 6", st.Rejected)
	}
}

func TestFlushSplitsLargeBatch(t *testing.T) {
	ctx := context.Background()
	store := upload.NewMemory()
	w := open(t, writer.Options{Store: store, PartitionMode: writer.ModeDOSQLite, MaxBlockBytes: 8 << 10, TargetBlockBytes: 4 << 10})
	entries := batch(t, "p1", 1, 300)
	res, err := w.Flush(ctx, entries)
	if err != nil {
		t.Fatal(err)
	}
	// 300 rows are many target blocks of 4 KB: several blocks, none above
	// the maximum in the store.
	if len(res.BlockPaths) < 2 || res.Version != 1 || res.RowCount != 300 {
		t.Errorf("%d blocks (want several) at version %d with %d rows", len(res.BlockPaths), res.Version, res.RowCount)
	}
	for _, p := range res.BlockPaths {
		data, _, err := store.Get(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		if len(data) > 8<<10 {
			t.Errorf("block %s of %d bytes, above MaxBlockBytes %d", p, len(data), 8<<10)
		}
	}
	snap, err := w.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if snap.NumFiles() != len(res.BlockPaths) {
		t.Errorf("%d files in the table, %d blocks written", snap.NumFiles(), len(res.BlockPaths))
	}
	var rows int64
	for _, f := range snap.Files() {
		st, err := f.ParseStats()
		if err != nil {
			t.Fatal(err)
		}
		rows += st.NumRecords
	}
	if rows != 300 {
		t.Errorf("stats count %d rows, want 300", rows)
	}
	checkRows(t, readAll(t, w, nil), wantRows(entries))
}

func TestFlushStats(t *testing.T) {
	ctx := context.Background()
	w := open(t, writer.Options{Store: upload.NewMemory()})
	entries := batch(t, "p1", 1, 20)
	res, err := w.Flush(ctx, entries)
	if err != nil {
		t.Fatal(err)
	}
	snap, err := w.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	f, ok := snap.File(res.BlockPath)
	if !ok {
		t.Fatalf("block %s not in the table", res.BlockPath)
	}
	st, err := f.ParseStats()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	flatten := func(prefix string, m map[string]any) {}
	flatten = func(prefix string, m map[string]any) {
		for k, v := range m {
			if sub, ok := v.(map[string]any); ok {
				flatten(prefix+k+".", sub)
				continue
			}
			got[prefix+k] = fmt.Sprint(v)
		}
	}
	flatten("min.", st.MinValues)
	flatten("max.", st.MaxValues)
	flatten("nulls.", st.NullCount)
	want := map[string]string{
		"min._lsn": "1", "max._lsn": "20",
		"min._op": "INSERT", "max._op": "UPDATE",
		"min._producer": "p1", "max._producer": "p1",
		"min._commit_ts": "2026-11-26T03:00:01.000Z", "max._commit_ts": "2026-11-26T03:00:20.000Z",
		"min.id": "1", "max.id": "20",
		"min.amount": "1.25", "max.amount": "20.25",
		"min.at": "2026-11-26T03:00:00.001Z", "max.at": "2026-11-26T03:00:00.020Z",
		"min.name": "p1-row-1", "max.name": "p1-row-9",
		"min.nested.n": "10", "max.nested.n": "200",
		"nulls._lsn": "0", "nulls._op": "0", "nulls._producer": "0", "nulls._commit_ts": "0",
		"nulls._rescued": "20", "nulls.id": "0", "nulls.amount": "0", "nulls.at": "0",
		"nulls.name": "4", "nulls.nested.n": "0", "nulls.nested.ok": "0",
	}
	if st.NumRecords != 20 {
		t.Errorf("numRecords %d", st.NumRecords)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("stats (-want +got):\n%s", diff)
	}
}

func TestSchemaEvolution(t *testing.T) {
	ctx := context.Background()
	mem := upload.NewMemory()
	w := open(t, writer.Options{Store: mem})
	if _, err := w.Flush(ctx, []cdc.Entry{{Op: cdc.Insert, Table: "t", Data: []byte(`{"a": 1}`), LSN: 1, Producer: "p"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Flush(ctx, []cdc.Entry{{Op: cdc.Insert, Table: "t", Data: []byte(`{"a": 2, "b": {"c": "x"}}`), LSN: 2, Producer: "p"}}); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range tableSchema(t, w).Fields {
		names = append(names, f.Name+":"+f.Type.String())
	}
	want := []string{`_op:"string"`, `_lsn:"long"`, `_producer:"string"`, `_commit_ts:"timestamp"`, `_rescued:"string"`, `a:"long"`,
		`b:{"type":"struct","fields":[{"name":"c","type":"string","nullable":true,"metadata":{}}]}`}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Errorf("schema (-want +got):\n%s", diff)
	}

	// Two writers type a new column differently at the same time: the
	// second one's commit meets the first one's schema change, writes its
	// block again with the table's type and rescues its value.
	w1 := open(t, writer.Options{Store: mem})
	w2 := open(t, writer.Options{Store: mem})
	if _, err := w1.Flush(ctx, []cdc.Entry{{Op: cdc.Insert, Table: "t", Data: []byte(`{"x": 5}`), LSN: 1, Producer: "q1"}}); err != nil {
		t.Fatal(err)
	}
	res, err := w2.Flush(ctx, []cdc.Entry{{Op: cdc.Insert, Table: "t", Data: []byte(`{"x": "five"}`), LSN: 1, Producer: "q2"}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Rewrites != 1 || res.Rescued != 1 {
		t.Errorf("second writer: %+v, want one rewrite and one rescued value", res)
	}
	rows := readAll(t, w, nil)
	var xs []any
	for _, r := range rows {
		if v, ok := r.Data["x"]; ok {
			xs = append(xs, v)
		}
	}
	if diff := cmp.Diff([]any{int64(5), "five"}, xs); diff != "" {
		t.Errorf("x values (-want +got):\n%s", diff)
	}
	if st := w2.Stats(); st.CommitConflicts != 1 || st.Rescued != 1 {
		t.Errorf("stats %+v", st)
	}
}

func TestDeclaredSchema(t *testing.T) {
	ctx := context.Background()
	schema := &engine.Schema{Fields: []engine.Field{
		{Name: "id", Type: engine.TypeInt64},
		{Name: "doc", Type: engine.TypeJSON},
	}}
	mem := upload.NewMemory()
	w := open(t, writer.Options{Store: mem, Schema: schema})
	if _, err := w.Flush(ctx, []cdc.Entry{{Op: cdc.Insert, Table: "t", Data: []byte(`{"id": 1, "doc": {"k": [1, 2]}}`), LSN: 1, Producer: "p"}}); err != nil {
		t.Fatal(err)
	}
	// A writer opened later without the declared schema keeps the json
	// column's type from the table.
	w2 := open(t, writer.Options{Store: mem})
	if _, err := w2.Flush(ctx, []cdc.Entry{{Op: cdc.Insert, Table: "t", Data: []byte(`{"id": 2, "doc": "text"}`), LSN: 2, Producer: "p"}}); err != nil {
		t.Fatal(err)
	}
	rows := readAll(t, w2, nil)
	want := []engine.Row{
		{Op: cdc.Insert, LSN: 1, Producer: "p", Data: map[string]any{"id": int64(1), "doc": map[string]any{"k": []any{int64(1), int64(2)}}}},
		{Op: cdc.Insert, LSN: 2, Producer: "p", Data: map[string]any{"id": int64(2), "doc": "text"}},
	}
	checkRows(t, rows, want)
	if st := w2.Stats(); st.Rescued != 0 {
		t.Errorf("%d values rescued, want none", st.Rescued)
	}
}

func TestTimeTravel(t *testing.T) {
	ctx := context.Background()
	clock := newFakeClock()
	w := open(t, writer.Options{Store: upload.NewMemory(), Clock: clock.Now})
	var committed []cdc.Entry
	want := map[int64][]engine.Row{0: nil}
	at := map[int64]time.Time{}
	for i := range int64(5) {
		clock.Advance(time.Minute)
		b := batch(t, fmt.Sprintf("p%d", i%2), i*10+1, i*10+10)
		res, err := w.Flush(ctx, b)
		if err != nil {
			t.Fatal(err)
		}
		committed = append(committed, b...)
		want[res.Version] = wantRows(committed)
		at[res.Version] = clock.Now()
	}
	for v, rows := range want {
		snap, err := w.Table().SnapshotAt(ctx, v)
		if err != nil {
			t.Fatal(err)
		}
		checkRows(t, readAll(t, w, snap), rows)
		if v == 0 {
			continue
		}
		// As of a time between commits: the version committed before.
		snap, err = w.Table().SnapshotAsOf(ctx, at[v].Add(30*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		if snap.Version() != v {
			t.Errorf("as of %v: version %d, want %d", at[v].Add(30*time.Second), snap.Version(), v)
		}
	}
}

func TestCloseRefusesFlush(t *testing.T) {
	w := open(t, writer.Options{Store: upload.NewMemory()})
	if err := w.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Flush(context.Background(), batch(t, "p", 1, 1)); !errors.Is(err, writer.ErrClosed) {
		t.Errorf("Flush after Close: %v", err)
	}
}

// lossyLog fails the next fail puts of log files (all of them when fail
// is negative), applying them first when lose is set, and the next
// failReads reads of the log: the writer cannot tell whether its commit
// landed.
type lossyLog struct {
	upload.Store
	mu              sync.Mutex
	fail, failReads int
	lose            bool
	logPuts         int // puts of log files that reached the store
}

func (l *lossyLog) Put(ctx context.Context, key string, data []byte, opts upload.PutOptions) (upload.ObjectInfo, error) {
	if !strings.Contains(key, "_delta_log/") {
		return l.Store.Put(ctx, key, data, opts)
	}
	l.mu.Lock()
	failing := l.fail != 0
	if l.fail > 0 {
		l.fail--
	}
	if !failing || l.lose {
		l.logPuts++
	}
	l.mu.Unlock()
	if !failing {
		return l.Store.Put(ctx, key, data, opts)
	}
	if l.lose {
		if _, err := l.Store.Put(ctx, key, data, opts); err != nil {
			return upload.ObjectInfo{}, err
		}
	}
	return upload.ObjectInfo{}, errors.New("injected: connection reset")
}

func (l *lossyLog) readFails() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.failReads == 0 {
		return false
	}
	l.failReads--
	return true
}

func (l *lossyLog) Get(ctx context.Context, key string) ([]byte, upload.ObjectInfo, error) {
	if strings.Contains(key, "_delta_log/") && l.readFails() {
		return nil, upload.ObjectInfo{}, errors.New("injected: read reset")
	}
	return l.Store.Get(ctx, key)
}

func (l *lossyLog) List(ctx context.Context, prefix string) ([]upload.ObjectInfo, error) {
	if l.readFails() {
		return nil, errors.New("injected: list reset")
	}
	return l.Store.List(ctx, prefix)
}

func (l *lossyLog) set(fail, failReads int, lose bool) {
	l.mu.Lock()
	l.fail, l.failReads, l.lose = fail, failReads, lose
	l.mu.Unlock()
}

func noSleep(context.Context, time.Duration) error { return nil }

// TestExactlyOnceAfterCrash: the writer uploads its block and dies before
// the commit is known to have landed; a new writer replays the batch.
func TestExactlyOnceAfterCrash(t *testing.T) {
	for _, lose := range []bool{false, true} {
		name := map[bool]string{false: "commit never written", true: "commit written, answer lost"}[lose]
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			mem := upload.NewMemory()
			first := batch(t, "p1", 1, 10)
			w0 := open(t, writer.Options{Store: mem, Table: "t"})
			if _, err := w0.Flush(ctx, first); err != nil {
				t.Fatal(err)
			}
			lossy := &lossyLog{Store: mem}
			w1 := open(t, writer.Options{Store: lossy, Table: "t", ResolveAttempts: 2,
				Manifest: manifest.Options{MaxAttempts: 2, Sleep: noSleep}})
			lossy.set(-1, -1, lose)
			b := batch(t, "p1", 5, 20) // overlaps the committed 5..10
			_, err := w1.Flush(ctx, b)
			if !errors.Is(err, manifest.ErrCommitUnknown) {
				t.Fatalf("flush through a lossy log: %v, want ErrCommitUnknown", err)
			}
			if st := w1.Stats(); st.Unknown != 1 {
				t.Errorf("stats: %+v", st)
			}
			// The block is in the store whatever became of the commit.
			objs, err := mem.List(ctx, "t/data/")
			if err != nil {
				t.Fatal(err)
			}
			if len(objs) != 2 {
				t.Errorf("%d blocks in the store, want 2 (one committed, one of the unknown commit)", len(objs))
			}
			// The process restarts: a new writer replays the batch.
			w2 := open(t, writer.Options{Store: mem, Table: "t"})
			res, err := w2.Flush(ctx, b)
			if err != nil {
				t.Fatal(err)
			}
			if lose && (!res.Duplicate || res.Duplicates != len(b)) || !lose && (res.Duplicates != 6 || res.RowCount != 10) {
				t.Errorf("replay: %+v", res)
			}
			checkRows(t, readAll(t, w2, nil), wantRows(batch(t, "p1", 1, 20)))
			// The first writer, healed, replays too: nothing more.
			lossy.set(0, 0, false)
			res, err = w1.Flush(ctx, b)
			if err != nil || !res.Duplicate {
				t.Errorf("replay by the first writer: %+v, %v", res, err)
			}
			checkRows(t, readAll(t, w2, nil), wantRows(batch(t, "p1", 1, 20)))
		})
	}
}

// TestResolveUnknownCommit: the commit's answer is lost and the log
// cannot be read right after: the manifest gives up with ErrCommitUnknown,
// and the writer looks for its commit id again and finds it.
func TestResolveUnknownCommit(t *testing.T) {
	ctx := context.Background()
	lossy := &lossyLog{Store: upload.NewMemory()}
	w := open(t, writer.Options{Store: lossy, ResolveAttempts: 3, Manifest: manifest.Options{MaxAttempts: 1, Sleep: noSleep}})
	lossy.set(1, 1, true)
	b := batch(t, "p1", 1, 10)
	res, err := w.Flush(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	snap, err := w.Table().Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if res.Version != 1 || res.RowCount != 10 || snap.Version() != 1 || snap.NumFiles() != 1 {
		t.Errorf("%+v; table at version %d with %d files, want 1 and 1", res, snap.Version(), snap.NumFiles())
	}
	checkRows(t, readAll(t, w, nil), wantRows(b))
	if st := w.Stats(); st.Retries == 0 || st.Commits != 1 || st.Unknown != 0 {
		t.Errorf("stats %+v", st)
	}
}

func TestFlushRepeatsOutOfOrder(t *testing.T) {
	ctx := context.Background()
	w := open(t, writer.Options{Store: upload.NewMemory()})
	p1, p2 := batch(t, "p1", 1, 3), batch(t, "p2", 1, 1)
	b := []cdc.Entry{p1[2], p1[0], p2[0], p1[2], p1[1], p2[0], p1[0]}
	res, err := w.Flush(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	if res.Duplicates != 3 || res.RowCount != 4 || res.Committed["p1"] != 3 || res.Committed["p2"] != 1 {
		t.Errorf("%+v", res)
	}
	checkRows(t, readAll(t, w, nil), wantRows(append(p1, p2...)))
}

// TestOverlappingBatchesOfTwoWriters: two writers hold overlapping batches
// of one producer (a redelivery); the second commits from a snapshot that
// predates the first one's commit. It must not write the overlap again.
func TestOverlappingBatchesOfTwoWriters(t *testing.T) {
	ctx := context.Background()
	mem := upload.NewMemory()
	// The columns exist already, so neither commit changes the schema.
	w0 := open(t, writer.Options{Store: mem})
	if _, err := w0.Flush(ctx, batch(t, "other", 1, 10)); err != nil {
		t.Fatal(err)
	}
	w1 := open(t, writer.Options{Store: mem})
	w2 := open(t, writer.Options{Store: mem})
	if _, err := w1.Flush(ctx, batch(t, "p", 1, 10)); err != nil {
		t.Fatal(err)
	}
	res, err := w2.Flush(ctx, batch(t, "p", 5, 15))
	if err != nil {
		t.Fatal(err)
	}
	if res.Rewrites != 1 || res.Duplicates != 6 || res.RowCount != 5 {
		t.Errorf("second writer: %+v, want one rewrite writing 11..15", res)
	}
	checkRows(t, readAll(t, w1, nil), wantRows(append(batch(t, "other", 1, 10), batch(t, "p", 1, 15)...)))
}

func TestOneSourceTable(t *testing.T) {
	ctx := context.Background()
	w := open(t, writer.Options{Store: upload.NewMemory()})
	if _, err := w.Flush(ctx, []cdc.Entry{{Op: cdc.Insert, Table: "a", Data: []byte(`{"x": 1}`), LSN: 1, Producer: "p"}}); err != nil {
		t.Fatal(err)
	}
	// The first flush widened the schema, so the writer starts its next
	// block from the table's schema: it stays the writer of table a.
	res, err := w.Flush(ctx, []cdc.Entry{
		{Op: cdc.Insert, Table: "b", Data: []byte(`{"x": 2}`), LSN: 2, Producer: "p"},
		{Op: cdc.Insert, Table: "a", Data: []byte(`{"x": 3}`), LSN: 3, Producer: "p"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rejected) != 1 || res.Rejected[0].Index != 0 || !errors.Is(res.Rejected[0], engine.ErrWrongTable) || res.RowCount != 1 {
		t.Errorf("%+v", res)
	}
}

func TestStrictSchema(t *testing.T) {
	ctx := context.Background()
	w := open(t, writer.Options{Store: upload.NewMemory(), Schema: &engine.Schema{Strict: true, Fields: []engine.Field{{Name: "id", Type: engine.TypeInt64}}}})
	for lsn := int64(1); lsn <= 2; lsn++ {
		res, err := w.Flush(ctx, []cdc.Entry{{Op: cdc.Insert, Table: "t", Data: fmt.Appendf(nil, `{"id": %d, "other": "x"}`, lsn), LSN: lsn, Producer: "p"}})
		if err != nil {
			t.Fatal(err)
		}
		if res.Rescued != 1 {
			t.Errorf("flush %d: %d values rescued, want 1", lsn, res.Rescued)
		}
	}
	for _, f := range tableSchema(t, w).Fields {
		if f.Name == "other" {
			t.Errorf("a strict schema gained the column %q", f.Name)
		}
	}
	want := []engine.Row{
		{Op: cdc.Insert, LSN: 1, Producer: "p", Data: map[string]any{"id": int64(1), "other": "x"}},
		{Op: cdc.Insert, LSN: 2, Producer: "p", Data: map[string]any{"id": int64(2), "other": "x"}},
	}
	checkRows(t, readAll(t, w, nil), want)
}

func TestCompressions(t *testing.T) {
	ctx := context.Background()
	sizes := map[string]int64{}
	for _, c := range []string{writer.CompressionZstd, writer.CompressionSnappy, writer.CompressionNone} {
		w := open(t, writer.Options{Store: upload.NewMemory(), Compression: c})
		b := batch(t, "p", 1, 400)
		res, err := w.Flush(ctx, b)
		if err != nil {
			t.Fatalf("%s: %v", c, err)
		}
		sizes[c] = res.Bytes
		checkRows(t, readAll(t, w, nil), wantRows(b))
	}
	if sizes[writer.CompressionNone] <= sizes[writer.CompressionZstd] || sizes[writer.CompressionNone] <= sizes[writer.CompressionSnappy] {
		t.Errorf("block sizes %v: the uncompressed block is not the largest", sizes)
	}
}

func TestFlushWithoutProducer(t *testing.T) {
	ctx := context.Background()
	w := open(t, writer.Options{Store: upload.NewMemory()})
	good := []cdc.Entry{{Op: cdc.Insert, Table: "t", Data: []byte(`{"a": 1}`)}}
	for i := range 2 {
		res, err := w.Flush(ctx, good)
		if err != nil || res.Version != int64(i+1) || res.RowCount != 1 || len(res.Committed) != 0 {
			t.Fatalf("flush %d: %+v, %v", i, res, err)
		}
	}
	// Without a producer there is no txn: the same entry went in twice.
	if rows := readAll(t, w, nil); len(rows) != 2 {
		t.Errorf("%d rows, want 2", len(rows))
	}
	// Only bad rows and no producer: nothing to commit.
	res, err := w.Flush(ctx, []cdc.Entry{{Op: cdc.Insert, Table: "t", Data: []byte(`{`)}})
	if err != nil || res.Version != 2 || len(res.Rejected) != 1 {
		t.Errorf("bad rows without producer: %+v, %v", res, err)
	}
}

func TestFlushRefusesNegativeLSN(t *testing.T) {
	ctx := context.Background()
	mem := upload.NewMemory()
	w := open(t, writer.Options{Store: mem})
	batch := []cdc.Entry{
		{Op: cdc.Insert, Table: "t", Data: []byte(`{"a": 1}`), LSN: 1, Producer: "p"},
		{Op: cdc.Insert, Table: "t", Data: []byte(`{"a": 2}`), LSN: -5, Producer: "p"},
	}
	_, err := w.Flush(ctx, batch)
	if !errors.Is(err, writer.ErrInvalidEntry) {
		t.Fatalf("Flush with a negative LSN: err = %v, want ErrInvalidEntry", err)
	}
	if !strings.Contains(err.Error(), "entry 1") || !strings.Contains(err.Error(), "-5") {
		t.Errorf("error %q does not name the entry and its LSN", err)
	}
	snap, err := w.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n := snap.NumFiles(); n != 0 {
		t.Errorf("table has %d files after a refused flush, want 0", n)
	}
	if _, ok := snap.TxnVersion("p"); ok {
		t.Error("a refused flush committed a txn")
	}
}
