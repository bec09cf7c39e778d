package writer_test

// Helpers shared by the tests and benchmarks of the root package: the
// stores they run on, the writer's rows and how they read back, tables
// written below the writer (manifest level) with a manual clock, and a
// store that fails on purpose.

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
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
	"github.com/evodb/writer/upload/uploadtest"
)

// Stores.

// storeCase is a store the tests run on: new opens an empty one.
type storeCase struct {
	name string
	new  func(t testing.TB) upload.Store
}

// stores is every kind of store: memory, local files, and S3 on versitygw.
func stores() []storeCase {
	return []storeCase{
		{"memory", func(t testing.TB) upload.Store { return upload.NewMemory() }},
		{"local", func(t testing.TB) upload.Store {
			s, err := upload.NewLocal(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			return s
		}},
		{"versitygw", func(t testing.TB) upload.Store { return s3Store(t, upload.S3Options{}) }},
	}
}

// storesNamed is the stores of stores() with these names, in that order.
func storesNamed(names ...string) []storeCase {
	var out []storeCase
	for _, sc := range stores() {
		if slices.Contains(names, sc.name) {
			out = append(out, sc)
		}
	}
	return out
}

// s3Store opens a store on the shared versitygw server, on a new bucket
// unless opts names one; opts may carry an HTTP client with a fault
// transport, a retry policy or multipart options.
func s3Store(t testing.TB, opts upload.S3Options) *upload.S3 {
	t.Helper()
	gw := uploadtest.SharedGateway(t)
	ctx := context.Background()
	if opts.Bucket == "" {
		bucket, err := gw.NewBucket(ctx)
		if err != nil {
			t.Fatal(err)
		}
		opts.Bucket = bucket
	}
	opts.Endpoint, opts.Region, opts.UsePathStyle = gw.Endpoint, gw.Region, true
	opts.AccessKeyID, opts.SecretAccessKey = gw.AccessKey, gw.SecretKey
	s, err := upload.NewS3(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// Writers and their rows.

var t0 = time.Date(2026, 11, 26, 3, 0, 0, 0, time.UTC)

// rowData is the data of generated row lsn of producer p, as the engine
// reads it back.
func rowData(p string, lsn int64) map[string]any {
	d := map[string]any{
		"id":     lsn,
		"name":   fmt.Sprintf("%s-row-%d", p, lsn),
		"amount": float64(lsn) + 0.25,
		"at":     t0.Add(time.Duration(lsn) * time.Millisecond).Format(time.RFC3339Nano),
		"tags":   []any{"t" + fmt.Sprint(lsn%3), "x"},
		"nested": map[string]any{"ok": lsn%2 == 0, "n": lsn * 10},
	}
	if lsn%5 == 0 {
		delete(d, "name") // a null
	}
	return d
}

// batch returns entries from..to (inclusive LSNs) of producer p.
func batch(t testing.TB, p string, from, to int64) []cdc.Entry {
	t.Helper()
	var es []cdc.Entry
	for lsn := from; lsn <= to; lsn++ {
		data, err := json.Marshal(rowData(p, lsn))
		if err != nil {
			t.Fatal(err)
		}
		op := cdc.Insert
		if lsn%7 == 0 {
			op = cdc.Update
		}
		es = append(es, cdc.Entry{Op: op, Table: "orders", Data: data, LSN: lsn, Producer: p, CommitTime: t0.Add(time.Duration(lsn) * time.Second)})
	}
	return es
}

// wantRows is what reading entries back must give.
func wantRows(entries []cdc.Entry) []engine.Row {
	var rows []engine.Row
	for _, e := range entries {
		rows = append(rows, engine.Row{Op: e.Op, LSN: e.LSN, Producer: e.Producer, CommitTime: e.CommitTime, Data: rowData(e.Producer, e.LSN)})
	}
	sortRows(rows)
	return rows
}

func sortRows(rows []engine.Row) {
	sort.Slice(rows, func(i, j int) bool {
		if rows[i].Producer != rows[j].Producer {
			return rows[i].Producer < rows[j].Producer
		}
		return rows[i].LSN < rows[j].LSN
	})
}

// readAll reads the rows of snapshot s (nil: latest), sorted.
func readAll(t testing.TB, w *writer.LakehouseWriter, s *manifest.Snapshot) []engine.Row {
	t.Helper()
	rows, err := w.ReadRows(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	sortRows(rows)
	return rows
}

func checkRows(t testing.TB, got, want []engine.Row) {
	t.Helper()
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("rows read back (-want +got):\n%s", diff)
	}
}

func open(t testing.TB, opts writer.Options) *writer.LakehouseWriter {
	t.Helper()
	w, err := writer.Open(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close(context.Background()) })
	return w
}

// tableSchema is the schema of the writer's latest snapshot.
func tableSchema(t testing.TB, w *writer.LakehouseWriter) manifest.StructType {
	t.Helper()
	snap, err := w.Snapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	schema, err := snap.Schema()
	if err != nil {
		t.Fatal(err)
	}
	return schema
}

// ctCompact runs one compaction of tbl with the default options on clk.
func ctCompact(t testing.TB, tbl *manifest.Table, clk *ctClock) writer.CompactResult {
	t.Helper()
	c, err := writer.NewCompactor(tbl, writer.CompactorOptions{Clock: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.Compact(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// Tables written below the writer, with a manual clock.

// ctClock is a manual clock shared by the table, the compactor and
// vacuum; it starts at the real time so that the stores' modification
// times fall near it.
type ctClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *ctClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *ctClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// at returns a clock function fixed at the clock's time plus d.
func (c *ctClock) at(d time.Duration) func() time.Time {
	t := c.Now().Add(d)
	return func() time.Time { return t }
}

func newCTClock() *ctClock { return &ctClock{t: time.Now().UTC().Truncate(time.Millisecond)} }

var ctSchema = manifest.StructType{Fields: []manifest.StructField{
	{Name: engine.ColOp, Type: manifest.Type("string")},
	{Name: engine.ColLSN, Type: manifest.Type("long")},
	{Name: engine.ColProducer, Type: manifest.Type("string")},
	{Name: engine.ColCommitTS, Type: manifest.Type("timestamp"), Nullable: true},
	{Name: "id", Type: manifest.Type("long"), Nullable: true},
	{Name: "name", Type: manifest.Type("string"), Nullable: true},
	{Name: "score", Type: manifest.Type("double"), Nullable: true},
	{Name: "tags", Type: manifest.DataType{Array: &manifest.ArrayType{ElementType: manifest.Type("string"), ContainsNull: true}}, Nullable: true},
	{Name: "addr", Type: manifest.DataType{Struct: &manifest.StructType{Fields: []manifest.StructField{
		{Name: "city", Type: manifest.Type("string"), Nullable: true},
		{Name: "zip", Type: manifest.Type("string"), Nullable: true},
	}}}, Nullable: true},
	{Name: "late", Type: manifest.Type("long"), Nullable: true},
	{Name: engine.ColRescued, Type: manifest.Type("string"), Nullable: true},
}}

func ctOpen(t *testing.T, store upload.Store, clk *ctClock) *manifest.Table {
	t.Helper()
	tbl, err := manifest.Open(store, "tables/events", manifest.Options{
		Now: clk.Now, MaxAttempts: 1000, BaseDelay: time.Microsecond, MaxDelay: time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	return tbl
}

func ctNewTable(t *testing.T, store upload.Store, clk *ctClock) *manifest.Table {
	t.Helper()
	tbl := ctOpen(t, store, clk)
	if _, err := tbl.Create(context.Background(), ctSchema, manifest.CreateOptions{Name: "events"}); err != nil {
		t.Fatal(err)
	}
	return tbl
}

// ctFlush writes entries as one block and commits it the way a flush does
// (add with numRecords and the _lsn range in its stats, txn of the
// producer). It returns the block's key.
func ctFlush(ctx context.Context, tbl *manifest.Table, es []cdc.Entry) (string, error) {
	return ctFlushRG(ctx, tbl, es, 2000)
}

// ctFlushRG is ctFlush with row groups of rowGroupBytes entry bytes.
func ctFlushRG(ctx context.Context, tbl *manifest.Table, es []cdc.Entry, rowGroupBytes int) (string, error) {
	// id is declared, so the rows where it is text rescue it; the other
	// columns are inferred block by block, as independent writers do.
	bw, err := engine.NewBlockWriter(engine.BlockOptions{RowGroupBytes: rowGroupBytes,
		Shredder: engine.Options{Schema: &engine.Schema{Fields: []engine.Field{{Name: "id", Type: engine.TypeInt64}}}}})
	if err != nil {
		return "", err
	}
	var buf bytes.Buffer
	info, err := bw.WriteBlock(ctx, &buf, es)
	if err != nil {
		return "", err
	}
	if len(info.Errors) > 0 {
		return "", fmt.Errorf("rows rejected: %v", info.Errors)
	}
	var id [8]byte
	rand.Read(id[:])
	key := "data/blk_" + hex.EncodeToString(id[:]) + ".parquet"
	if _, err := tbl.Store().Put(ctx, key, buf.Bytes(), upload.PutOptions{IfAbsent: true}); err != nil {
		return "", err
	}
	lo, hi := es[0].LSN, es[0].LSN
	for _, e := range es {
		lo, hi = min(lo, e.LSN), max(hi, e.LSN)
	}
	st := manifest.Stats{NumRecords: int64(len(es)),
		MinValues: map[string]any{engine.ColLSN: lo}, MaxValues: map[string]any{engine.ColLSN: hi}}
	actions := []manifest.Action{
		{Add: &manifest.AddFile{Path: manifest.EncodePath(key), PartitionValues: map[string]string{},
			Size: int64(buf.Len()), ModificationTime: time.Now().UnixMilli(), DataChange: true, Stats: st.String()}},
		{Txn: &manifest.Txn{AppID: es[0].Producer, Version: hi}},
	}
	_, err = tbl.Commit(ctx, nil, actions, manifest.CommitOptions{})
	return key, err
}

// ctBatch makes n entries of producer p from LSN first on. Later LSNs
// carry more columns: "late" from LSN 40 on, "addr.zip" from 60 on; every
// 7th row has a value that goes to _rescued.
func ctBatch(p string, first int64, n int) []cdc.Entry {
	es := make([]cdc.Entry, n)
	base := time.Date(2026, 11, 26, 3, 0, 0, 0, time.UTC)
	for i := range es {
		lsn := first + int64(i)
		var b strings.Builder
		if lsn%7 == 0 {
			fmt.Fprintf(&b, `{"id":"text %d","name":"%s-%d","score":1.5`, lsn, p, lsn)
		} else {
			fmt.Fprintf(&b, `{"id":%d,"name":"%s-%d","score":%d.5,"tags":["a%d",null]`, lsn, p, lsn, lsn%10, lsn%3)
		}
		if lsn >= 60 {
			fmt.Fprintf(&b, `,"addr":{"city":"c%d","zip":"%05d"}`, lsn%4, lsn)
		} else {
			fmt.Fprintf(&b, `,"addr":{"city":"c%d"}`, lsn%4)
		}
		if lsn >= 40 {
			fmt.Fprintf(&b, `,"late":%d`, lsn*2)
		}
		b.WriteString("}")
		es[i] = cdc.Entry{Op: cdc.Op(1 + lsn%3), Table: "events", Data: []byte(b.String()), LSN: lsn, Producer: p,
			CommitTime: base.Add(time.Duration(lsn) * time.Millisecond)}
	}
	return es
}

// ctRowsOf reads every row of the snapshot's active blocks, sorted by
// producer and LSN.
func ctRowsOf(t *testing.T, tbl *manifest.Table, s *manifest.Snapshot) []engine.Row {
	t.Helper()
	rows, err := ctTryRows(tbl, s)
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func ctTryRows(tbl *manifest.Table, s *manifest.Snapshot) ([]engine.Row, error) {
	ctx := context.Background()
	var rows []engine.Row
	for _, f := range s.Files() {
		key, err := f.Key()
		if err != nil {
			return nil, err
		}
		data, _, err := tbl.Store().Get(ctx, key)
		if err != nil {
			return nil, fmt.Errorf("version %d: %w", s.Version(), err)
		}
		if int64(len(data)) != f.Size {
			return nil, fmt.Errorf("%s: %d bytes, add.size says %d", key, len(data), f.Size)
		}
		bf, err := engine.OpenBlock(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", key, err)
		}
		rs, err := bf.Rows(ctx)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", key, err)
		}
		rows = append(rows, rs...)
	}
	sortRows(rows)
	return rows, nil
}

func ctSnapshot(t *testing.T, tbl *manifest.Table) *manifest.Snapshot {
	t.Helper()
	s, err := tbl.Snapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// ctDataKeys lists the files under data/.
func ctDataKeys(t *testing.T, tbl *manifest.Table) []string {
	t.Helper()
	objs, err := tbl.Store().List(context.Background(), writer.DataDir)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, o := range objs {
		keys = append(keys, o.Key)
	}
	return keys
}

func ctActiveKeys(t *testing.T, s *manifest.Snapshot) []string {
	t.Helper()
	var keys []string
	for _, f := range s.Files() {
		k, err := f.Key()
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k)
	}
	return keys
}

// ctFill flushes blocks of 10 rows for producer p, LSNs 1..10*blocks.
func ctFill(t *testing.T, tbl *manifest.Table, p string, blocks int) {
	t.Helper()
	for i := range blocks {
		if _, err := ctFlush(context.Background(), tbl, ctBatch(p, int64(1+10*i), 10)); err != nil {
			t.Fatal(err)
		}
	}
}

var cmpSorted = cmp.Transformer("sorted", func(in []string) []string {
	out := slices.Clone(in)
	slices.Sort(out)
	return out
})

// ctCheckVacuum checks that a vacuum within the retention deletes
// nothing, that one past it leaves exactly the active files under data/,
// and that the table reads want before and after.
func ctCheckVacuum(t *testing.T, tbl *manifest.Table, clk *ctClock, want []engine.Row) writer.VacuumResult {
	t.Helper()
	ctx := context.Background()
	vr, err := writer.Vacuum(ctx, laterTable(t, tbl, clk, 30*time.Minute), writer.VacuumOptions{Retention: time.Hour, Now: clk.at(30 * time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	if vr.Deleted != 0 {
		t.Fatalf("vacuum within the retention deleted %v", vr.Paths)
	}
	vr, err = writer.Vacuum(ctx, laterTable(t, tbl, clk, 2*time.Hour), writer.VacuumOptions{Retention: time.Hour, Now: clk.at(2 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	s := ctSnapshot(t, tbl)
	if diff := cmp.Diff(ctActiveKeys(t, s), ctDataKeys(t, tbl), cmpSorted); diff != "" {
		t.Fatalf("files under data/ after vacuum are not the active ones (-active +files):\n%s", diff)
	}
	if diff := cmp.Diff(want, ctRowsOf(t, tbl, s)); diff != "" {
		t.Fatalf("rows after vacuum (-want +got):\n%s", diff)
	}
	return vr
}

// laterTable is tbl on a store whose clock reads d later than it does:
// as if Vacuum ran d from now on both the test's clock and the store's.
// Objects already written keep their modification times; only the time
// Vacuum reads from writer.ClockFile moves.
func laterTable(t *testing.T, tbl *manifest.Table, clk *ctClock, d time.Duration) *manifest.Table {
	t.Helper()
	later, err := manifest.Open(laterStore{Store: tbl.Store(), by: d}, "", manifest.Options{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	return later
}

type laterStore struct {
	upload.Store
	by time.Duration
}

func (s laterStore) Head(ctx context.Context, key string) (upload.ObjectInfo, error) {
	info, err := s.Store.Head(ctx, key)
	if key == writer.ClockFile {
		info.ModTime = info.ModTime.Add(s.by)
	}
	return info, err
}

// A store that fails on purpose.

var errInjected = errors.New("injected fault")

// faultStore counts the operations on a store and fails one of them:
// the failAt-th (1-based; 0: none), before it is applied or, for writes
// and deletes when after is set, once it has been applied (a lost
// response). beforePut runs before every Put.
type faultStore struct {
	upload.Store
	mu        sync.Mutex
	ops       int
	failAt    int
	after     bool
	failed    string
	beforePut func(key string)
}

// step counts an operation and reports whether it fails, and how.
func (f *faultStore) step(name string) (fail, after bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.ops++
	if f.ops == f.failAt {
		f.failed = name
		return true, f.after
	}
	return false, false
}

func (f *faultStore) Put(ctx context.Context, key string, data []byte, opts upload.PutOptions) (upload.ObjectInfo, error) {
	if f.beforePut != nil {
		f.beforePut(key)
	}
	fail, after := f.step("Put " + key)
	if fail && !after {
		return upload.ObjectInfo{}, errInjected
	}
	info, err := f.Store.Put(ctx, key, data, opts)
	if fail {
		return upload.ObjectInfo{}, errInjected
	}
	return info, err
}

func (f *faultStore) Create(ctx context.Context, key string, opts upload.PutOptions) (upload.Writer, error) {
	if fail, _ := f.step("Create " + key); fail {
		return nil, errInjected
	}
	w, err := f.Store.Create(ctx, key, opts)
	if err != nil {
		return nil, err
	}
	return &faultWriter{Writer: w, f: f, key: key}, nil
}

func (f *faultStore) Get(ctx context.Context, key string) ([]byte, upload.ObjectInfo, error) {
	if fail, _ := f.step("Get " + key); fail {
		return nil, upload.ObjectInfo{}, errInjected
	}
	return f.Store.Get(ctx, key)
}

func (f *faultStore) GetRange(ctx context.Context, key string, off, n int64) ([]byte, error) {
	if fail, _ := f.step("GetRange " + key); fail {
		return nil, errInjected
	}
	return f.Store.GetRange(ctx, key, off, n)
}

func (f *faultStore) List(ctx context.Context, prefix string) ([]upload.ObjectInfo, error) {
	if fail, _ := f.step("List " + prefix); fail {
		return nil, errInjected
	}
	return f.Store.List(ctx, prefix)
}

func (f *faultStore) Delete(ctx context.Context, key string) error {
	fail, after := f.step("Delete " + key)
	if fail && !after {
		return errInjected
	}
	err := f.Store.Delete(ctx, key)
	if fail {
		return errInjected
	}
	return err
}

type faultWriter struct {
	upload.Writer
	f   *faultStore
	key string
}

func (w *faultWriter) Write(p []byte) (int, error) {
	if fail, _ := w.f.step("Write " + w.key); fail {
		return 0, errInjected
	}
	return w.Writer.Write(p)
}

func (w *faultWriter) Close() error {
	fail, after := w.f.step("Close " + w.key)
	if fail && !after {
		w.Writer.Abort()
		return errInjected
	}
	err := w.Writer.Close()
	if fail {
		return errInjected
	}
	return err
}
