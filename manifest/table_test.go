package manifest_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/evodb/writer/manifest"
	"github.com/evodb/writer/upload"
	"github.com/evodb/writer/upload/uploadtest"
	"github.com/google/go-cmp/cmp"
)

func TestMain(m *testing.M) {
	code := m.Run()
	uploadtest.StopSharedGateway()
	os.Exit(code)
}

// clock is a manual clock: each call advances one second.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Second)
	return c.t
}

type sleeps struct{ n atomic.Int64 }

func (s *sleeps) Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return fmt.Errorf("non-positive backoff %v", d)
	}
	s.n.Add(1)
	return ctx.Err()
}

func testOptions(c *clock, s *sleeps) manifest.Options {
	return manifest.Options{Now: c.Now, Sleep: s.Sleep, Jitter: func() float64 { return 0.5 }, MaxAttempts: 1000}
}

var testSchema = manifest.StructType{Fields: []manifest.StructField{
	{Name: "id", Type: manifest.Type("long"), Nullable: false},
	{Name: "name", Type: manifest.Type("string"), Nullable: true},
	{Name: "_lsn", Type: manifest.Type("long"), Nullable: false},
	{Name: "_commit_ts", Type: manifest.Type("timestamp"), Nullable: false},
}}

type storeCase struct {
	name string
	new  func(t *testing.T) upload.Store
}

func stores() []storeCase {
	return []storeCase{
		{"memory", func(t *testing.T) upload.Store { return upload.NewMemory() }},
		{"local", func(t *testing.T) upload.Store {
			s, err := upload.NewLocal(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			return s
		}},
	}
}

func newTable(t *testing.T, store upload.Store) *manifest.Table {
	t.Helper()
	tbl, err := manifest.Open(store, "tables/t1", testOptions(newClock(), &sleeps{}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tbl.Create(context.Background(), testSchema, manifest.CreateOptions{Name: "t1"}); err != nil {
		t.Fatal(err)
	}
	return tbl
}

func addAction(key string, rows int64) manifest.Action {
	return manifest.Action{Add: &manifest.AddFile{
		Path: manifest.EncodePath(key), PartitionValues: map[string]string{},
		Size: 100 * rows, ModificationTime: 1, DataChange: true,
		Stats: manifest.Stats{NumRecords: rows,
			MinValues: map[string]any{"id": 1}, MaxValues: map[string]any{"id": rows},
			NullCount: map[string]any{"id": 0, "name": 0}}.String(),
	}}
}

func removeAction(key string) manifest.Action {
	ts := int64(5)
	return manifest.Action{Remove: &manifest.RemoveFile{Path: manifest.EncodePath(key), DeletionTimestamp: &ts, ExtendedFileMetadata: true}}
}

func keys(t *testing.T, s *manifest.Snapshot) []string {
	t.Helper()
	var out []string
	for _, f := range s.Files() {
		k, err := f.Key()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, k)
	}
	return out
}

func mustCommit(t *testing.T, tbl *manifest.Table, base *manifest.Snapshot, actions ...manifest.Action) manifest.CommitResult {
	t.Helper()
	res, err := tbl.Commit(context.Background(), base, actions, manifest.CommitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestCreateCommitReplay(t *testing.T) {
	for _, sc := range stores() {
		t.Run(sc.name, func(t *testing.T) {
			ctx := context.Background()
			store := sc.new(t)
			tbl := newTable(t, store)

			s0, err := tbl.Snapshot(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if s0.Version() != 0 || s0.NumFiles() != 0 {
				t.Fatalf("fresh table: version %d, %d files", s0.Version(), s0.NumFiles())
			}
			if diff := cmp.Diff(manifest.Protocol{MinReaderVersion: 1, MinWriterVersion: 2}, s0.Protocol()); diff != "" {
				t.Errorf("protocol (-want +got):\n%s", diff)
			}
			got, err := s0.Schema()
			if err != nil {
				t.Fatal(err)
			}
			want, _ := testSchema.SchemaString()
			gotStr, _ := got.SchemaString()
			if gotStr != want {
				t.Errorf("schema: got %s want %s", gotStr, want)
			}
			md := s0.Metadata()
			if md.Format.Provider != "parquet" || len(md.ID) != 36 || md.CreatedTime == nil || md.Name != "t1" {
				t.Errorf("metadata: %+v", md)
			}

			r1 := mustCommit(t, tbl, s0, addAction("data/blk_1.parquet", 10), addAction("data/blk 2.parquet", 20))
			r2 := mustCommit(t, tbl, r1.Snapshot, addAction("data/blk_3.parquet", 30), removeAction("data/blk_1.parquet"))
			if r1.Version != 1 || r2.Version != 2 {
				t.Fatalf("versions %d, %d", r1.Version, r2.Version)
			}
			if _, err := tbl.Create(ctx, testSchema, manifest.CreateOptions{}); !errors.Is(err, manifest.ErrTableExists) {
				t.Errorf("second Create: %v, want ErrTableExists", err)
			}

			// A fresh reader of the same store sees the same state.
			again, err := manifest.Open(store, "tables/t1", manifest.Options{})
			if err != nil {
				t.Fatal(err)
			}
			s2, err := again.Snapshot(ctx)
			if err != nil {
				t.Fatal(err)
			}
			wantKeys := []string{"data/blk 2.parquet", "data/blk_3.parquet"}
			if diff := cmp.Diff(wantKeys, keys(t, s2)); diff != "" {
				t.Errorf("files (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(wantKeys, keys(t, r2.Snapshot)); diff != "" {
				t.Errorf("commit result snapshot files (-want +got):\n%s", diff)
			}
			f, ok := s2.File("data/blk 2.parquet")
			if !ok || f.Path != "data/blk%202.parquet" {
				t.Fatalf("file blk 2: %+v %v", f, ok)
			}
			st, err := f.ParseStats()
			if err != nil || st.NumRecords != 20 || fmt.Sprint(st.MaxValues["id"]) != "20" {
				t.Errorf("stats %+v, %v", st, err)
			}
			// The log file is newline-delimited JSON with a commit id.
			data, _, err := store.Get(ctx, "tables/t1/_delta_log/00000000000000000001.json")
			if err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
			if len(lines) != 3 || !strings.Contains(lines[0], `"evodb.commitId":"`+r1.CommitID+`"`) ||
				!strings.HasPrefix(lines[1], `{"add":{"path":"data/blk_1.parquet"`) {
				t.Errorf("commit file:\n%s", data)
			}
		})
	}
}

func TestNoTable(t *testing.T) {
	tbl, err := manifest.Open(upload.NewMemory(), "", manifest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tbl.Snapshot(context.Background()); !errors.Is(err, manifest.ErrNoTable) {
		t.Errorf("Snapshot of an empty store: %v, want ErrNoTable", err)
	}
}

func TestTimeTravel(t *testing.T) {
	ctx := context.Background()
	clk := newClock()
	tbl, err := manifest.Open(upload.NewMemory(), "", testOptions(clk, &sleeps{}))
	if err != nil {
		t.Fatal(err)
	}
	s, err := tbl.Create(ctx, testSchema, manifest.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{nil}
	stamps := []time.Time{s.Timestamp()}
	live := map[string]bool{}
	for v := 1; v <= 12; v++ {
		acts := []manifest.Action{addAction(fmt.Sprintf("data/blk_%02d.parquet", v), int64(v))}
		if v%4 == 0 {
			old := fmt.Sprintf("data/blk_%02d.parquet", v-2)
			acts = append(acts, removeAction(old))
			delete(live, old)
		}
		live[fmt.Sprintf("data/blk_%02d.parquet", v)] = true
		res := mustCommit(t, tbl, s, acts...)
		s = res.Snapshot
		var ks []string
		for k := range live {
			ks = append(ks, k)
		}
		sort.Strings(ks)
		want = append(want, ks)
		stamps = append(stamps, s.Timestamp())
	}
	for v := range want {
		at, err := tbl.SnapshotAt(ctx, int64(v))
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want[v], keys(t, at)); diff != "" {
			t.Errorf("version %d files (-want +got):\n%s", v, diff)
		}
		asOf, err := tbl.SnapshotAsOf(ctx, stamps[v].Add(time.Millisecond))
		if err != nil {
			t.Fatal(err)
		}
		if asOf.Version() != int64(v) {
			t.Errorf("as of %v: version %d, want %d", stamps[v], asOf.Version(), v)
		}
	}
	if _, err := tbl.SnapshotAt(ctx, 13); !errors.Is(err, manifest.ErrVersionNotFound) {
		t.Errorf("SnapshotAt(13): %v", err)
	}
	if _, err := tbl.SnapshotAsOf(ctx, stamps[0].Add(-time.Second)); !errors.Is(err, manifest.ErrVersionNotFound) {
		t.Errorf("SnapshotAsOf before creation: %v", err)
	}
}

// concurrentCommits runs writers × commits appends into one table at once
// and checks that each is in the log exactly once at contiguous versions.
func concurrentCommits(t *testing.T, store upload.Store, writers, commits int) {
	t.Helper()
	concurrentCommitsChecked(t, store, store, writers, commits)
}

// concurrentCommitsChecked commits through store and checks the result
// through check (the same objects without injected faults).
func concurrentCommitsChecked(t *testing.T, store, check upload.Store, writers, commits int) {
	t.Helper()
	ctx := context.Background()
	tbl := newTable(t, store)
	checker, err := manifest.Open(check, "tables/t1", manifest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	base0, err := checker.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	ids := make([][]string, writers)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			base := base0 // every writer starts from version 0
			for i := range commits {
				key := fmt.Sprintf("data/w%d_%03d.parquet", w, i)
				txn := manifest.Action{Txn: &manifest.Txn{AppID: fmt.Sprintf("producer-%d", w), Version: int64(i + 1)}}
				res, err := tbl.Commit(ctx, base, []manifest.Action{addAction(key, 1), txn}, manifest.CommitOptions{})
				if err != nil {
					errs <- fmt.Errorf("writer %d commit %d: %w", w, i, err)
					return
				}
				ids[w] = append(ids[w], res.CommitID)
				base = res.Snapshot
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	final, err := checker.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	total := writers * commits
	if final.Version() != int64(total) || final.NumFiles() != total {
		t.Fatalf("final version %d with %d files, want %d and %d", final.Version(), final.NumFiles(), total, total)
	}
	for w := range writers {
		if v, ok := final.TxnVersion(fmt.Sprintf("producer-%d", w)); !ok || v != int64(commits) {
			t.Errorf("producer-%d txn version %d %v, want %d", w, v, ok, commits)
		}
	}
	// Every commit id appears in exactly one log file.
	seen := map[string]int{}
	logs, err := checker.Store().List(ctx, manifest.LogDir)
	if err != nil {
		t.Fatal(err)
	}
	commitFiles, checkpoints := 0, 0
	for _, l := range logs {
		switch {
		case strings.HasSuffix(l.Key, ".json"):
			commitFiles++
		case strings.HasSuffix(l.Key, ".checkpoint.parquet"):
			checkpoints++
		}
	}
	if commitFiles != total+1 || checkpoints != total/100 {
		t.Errorf("%d commit files and %d checkpoints, want %d and %d", commitFiles, checkpoints, total+1, total/100)
	}
	for v := 1; v <= total; v++ {
		data, _, err := checker.Store().Get(ctx, manifest.CommitFile(int64(v)))
		if err != nil {
			t.Fatalf("version %d: %v", v, err)
		}
		acts, err := manifest.DecodeActions(manifest.CommitFile(int64(v)), data)
		if err != nil {
			t.Fatal(err)
		}
		seen[acts[0].CommitInfo.CommitID]++
	}
	for w := range writers {
		for _, id := range ids[w] {
			if seen[id] != 1 {
				t.Errorf("commit %s of writer %d appears %d times", id, w, seen[id])
			}
		}
	}
}

func TestConcurrentCommits(t *testing.T) {
	commits := 50
	if testing.Short() {
		commits = 10
	}
	for _, sc := range stores() {
		t.Run(sc.name, func(t *testing.T) { concurrentCommits(t, sc.new(t), 4, commits) })
	}
}

func TestConcurrentCommitsS3(t *testing.T) {
	if testing.Short() {
		t.Skip("S3 concurrency test is not short")
	}
	gw := uploadtest.SharedGateway(t)
	ctx := context.Background()
	bucket, err := gw.NewBucket(ctx)
	if err != nil {
		t.Fatal(err)
	}
	s, err := upload.NewS3(ctx, upload.S3Options{
		Bucket: bucket, Endpoint: gw.Endpoint, Region: gw.Region, UsePathStyle: true,
		AccessKeyID: gw.AccessKey, SecretAccessKey: gw.SecretKey,
	})
	if err != nil {
		t.Fatal(err)
	}
	concurrentCommits(t, s, 4, 50)
}

// TestS3Faults commits from two writers through a transport that loses
// responses of applied puts, throttles puts and resets reads, with the
// store's own retries off so every failure reaches the committer.
func TestS3Faults(t *testing.T) {
	if testing.Short() {
		t.Skip("S3 fault test is not short")
	}
	gw := uploadtest.SharedGateway(t)
	ctx := context.Background()
	bucket, err := gw.NewBucket(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tr := &uploadtest.Transport{Seed: 7, Rules: []uploadtest.Rule{
		{Op: uploadtest.OpPutObject, Fault: uploadtest.LostResponse, Rate: 0.2},
		{Op: uploadtest.OpPutObject, Fault: uploadtest.Status503, Rate: 0.1},
		{Op: uploadtest.OpPutObject, Fault: uploadtest.Conflict409, Rate: 0.05},
		{Op: uploadtest.OpGetObject, Fault: uploadtest.Reset, Rate: 0.1},
		// Which reads happen depends on how the writers' races go; with
		// few of them the rate above may hit none. This one always
		// resets the fifth read.
		{Op: uploadtest.OpGetObject, Fault: uploadtest.Reset, Skip: 4, Times: 1},
	}}
	open := func(client *http.Client) upload.Store {
		s, err := upload.NewS3(ctx, upload.S3Options{
			Bucket: bucket, Endpoint: gw.Endpoint, Region: gw.Region, UsePathStyle: true,
			AccessKeyID: gw.AccessKey, SecretAccessKey: gw.SecretKey, HTTPClient: client,
			Retry: upload.RetryPolicy{MaxAttempts: 1},
		})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	concurrentCommitsChecked(t, open(tr.Client()), open(nil), 2, 20)
	inj := tr.Injected()
	if inj[uploadtest.LostResponse] == 0 || inj[uploadtest.Reset] == 0 {
		t.Errorf("faults injected: %v; the test did not exercise lost responses and read failures", inj)
	}
	t.Logf("faults injected: %v", inj)
}

// lossyStore applies puts of commit files but reports failures.
type lossyStore struct {
	upload.Store
	mu sync.Mutex
	// plan[i] is what the i-th put of a log file does: "lose" applies it
	// and returns an error, "fail" returns an error without applying it,
	// "" passes through.
	plan  []string
	puts  int
	after func() // run once before the first planned put
}

func (l *lossyStore) Put(ctx context.Context, key string, data []byte, opts upload.PutOptions) (upload.ObjectInfo, error) {
	l.mu.Lock()
	step := ""
	if strings.Contains(key, "_delta_log/") && l.puts < len(l.plan) {
		step = l.plan[l.puts]
		l.puts++
		if l.after != nil {
			f := l.after
			l.after = nil
			l.mu.Unlock()
			f()
			l.mu.Lock()
		}
	}
	l.mu.Unlock()
	switch step {
	case "lose":
		info, err := l.Store.Put(ctx, key, data, opts)
		if err != nil {
			return info, err
		}
		return upload.ObjectInfo{}, errors.New("injected: connection reset after the request was sent")
	case "fail":
		return upload.ObjectInfo{}, errors.New("injected: 503 slow down")
	}
	return l.Store.Put(ctx, key, data, opts)
}

func TestLostResponse(t *testing.T) {
	tests := []struct {
		name        string
		plan        []string
		concurrent  bool // another writer commits before our first put
		wantVersion int64
		wantFiles   int
	}{
		{"lost response found by id", []string{"lose"}, false, 1, 1},
		{"lost twice", []string{"fail", "lose"}, false, 1, 1},
		{"failed put retried", []string{"fail", "fail"}, false, 1, 1},
		{"lost after a race", []string{"lose"}, true, 2, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			mem := upload.NewMemory()
			seed := newTable(t, mem)
			base, err := seed.Snapshot(ctx)
			if err != nil {
				t.Fatal(err)
			}
			lossy := &lossyStore{Store: mem}
			sl := &sleeps{}
			tbl, err := manifest.Open(lossy, "tables/t1", testOptions(newClock(), sl))
			if err != nil {
				t.Fatal(err)
			}
			lossy.plan = tc.plan
			if tc.concurrent {
				lossy.after = func() { mustCommit(t, seed, base, addAction("data/other.parquet", 1)) }
			}
			res, err := tbl.Commit(ctx, base, []manifest.Action{addAction("data/mine.parquet", 3)}, manifest.CommitOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if res.Version != tc.wantVersion || res.Snapshot.NumFiles() != tc.wantFiles {
				t.Errorf("version %d with %d files, want %d with %d", res.Version, res.Snapshot.NumFiles(), tc.wantVersion, tc.wantFiles)
			}
			final, err := seed.Snapshot(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if final.Version() != tc.wantVersion {
				t.Errorf("table at version %d, want %d (a commit was duplicated or lost)", final.Version(), tc.wantVersion)
			}
			n := 0
			for v := int64(1); v <= final.Version(); v++ {
				data, _, err := mem.Get(ctx, "tables/t1/"+manifest.CommitFile(v))
				if err != nil {
					t.Fatal(err)
				}
				n += strings.Count(string(data), res.CommitID)
			}
			if n != 1 {
				t.Errorf("commit id found %d times in the log, want 1", n)
			}
		})
	}
}

func TestLostResponseCreate(t *testing.T) {
	mem := upload.NewMemory()
	tbl, err := manifest.Open(&lossyStore{Store: mem, plan: []string{"lose"}}, "", testOptions(newClock(), &sleeps{}))
	if err != nil {
		t.Fatal(err)
	}
	s, err := tbl.Create(context.Background(), testSchema, manifest.CreateOptions{})
	if err != nil {
		t.Fatalf("Create after a lost response: %v", err)
	}
	if s.Version() != 0 {
		t.Errorf("version %d", s.Version())
	}
}

func TestUnknownOutcome(t *testing.T) {
	mem := upload.NewMemory()
	seed := newTable(t, mem)
	base, err := seed.Snapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	opts := testOptions(newClock(), &sleeps{})
	opts.MaxAttempts = 3
	tbl, err := manifest.Open(&lossyStore{Store: mem, plan: []string{"fail", "fail", "fail"}}, "tables/t1", opts)
	if err != nil {
		t.Fatal(err)
	}
	_, err = tbl.Commit(context.Background(), base, []manifest.Action{addAction("data/x.parquet", 1)}, manifest.CommitOptions{})
	if !errors.Is(err, manifest.ErrCommitUnknown) {
		t.Errorf("got %v, want ErrCommitUnknown", err)
	}
}

func TestRemoveConflict(t *testing.T) {
	ctx := context.Background()
	tbl := newTable(t, upload.NewMemory())
	s1 := mustCommit(t, tbl, nil, addAction("data/a.parquet", 1), addAction("data/b.parquet", 1)).Snapshot

	// A compaction removes a and b; a concurrent one (same base) removes b.
	mustCommit(t, tbl, s1, addAction("data/ab.parquet", 2), removeAction("data/a.parquet"), removeAction("data/b.parquet"))
	_, err := tbl.Commit(ctx, s1, []manifest.Action{addAction("data/b2.parquet", 1), removeAction("data/b.parquet")}, manifest.CommitOptions{})
	var ce *manifest.ConflictError
	if !errors.As(err, &ce) || ce.Version != 2 || !strings.Contains(ce.Error(), "data/b.parquet") {
		t.Fatalf("got %v, want a conflict with version 2 on data/b.parquet", err)
	}
	// An append from the same stale base goes through.
	if r := mustCommit(t, tbl, s1, addAction("data/c.parquet", 1)); r.Version != 3 {
		t.Errorf("append after a compaction: version %d, want 3", r.Version)
	}
	// Removing a file the base does not hold is refused up front.
	latest, err := tbl.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tbl.Commit(ctx, latest, []manifest.Action{removeAction("data/a.parquet")}, manifest.CommitOptions{}); !errors.Is(err, manifest.ErrConflict) {
		t.Errorf("removing a removed file: %v", err)
	}
	if diff := cmp.Diff([]string{"data/ab.parquet", "data/c.parquet"}, keys(t, latest)); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
	var gone []string
	for _, r := range latest.Tombstones() {
		gone = append(gone, r.Path)
	}
	if diff := cmp.Diff([]string{"data/a.parquet", "data/b.parquet"}, gone); diff != "" {
		t.Errorf("tombstones (-want +got):\n%s", diff)
	}
	// AddFile.Remove builds a compaction's remove action.
	f, _ := latest.File("data/c.parquet")
	rm := f.Remove(time.UnixMilli(42), false)
	r := mustCommit(t, tbl, latest, manifest.Action{Remove: &rm}, addAction("data/c2.parquet", 1))
	if r.Snapshot.NumFiles() != 2 || len(r.Snapshot.Tombstones()) != 3 || *rm.Size != f.Size || *rm.DeletionTimestamp != 42 || rm.DataChange {
		t.Errorf("after removing c: %d files, %d tombstones, remove %+v", r.Snapshot.NumFiles(), len(r.Snapshot.Tombstones()), rm)
	}
}

func TestTxnDuplicate(t *testing.T) {
	ctx := context.Background()
	tbl := newTable(t, upload.NewMemory())
	txn := func(app string, v int64) manifest.Action {
		return manifest.Action{Txn: &manifest.Txn{AppID: app, Version: v}}
	}
	s0, err := tbl.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := s0.TxnVersion("p1"); ok {
		t.Fatal("fresh table has a txn")
	}
	s1 := mustCommit(t, tbl, s0, addAction("data/1.parquet", 1), txn("p1", 5)).Snapshot
	if v, ok := s1.TxnVersion("p1"); !ok || v != 5 {
		t.Fatalf("TxnVersion = %d %v", v, ok)
	}
	tests := []struct {
		name string
		base *manifest.Snapshot
		v    int64
	}{
		{"same version, current base", s1, 5},
		{"older version, current base", s1, 4},
		{"same version, stale base (lost race)", s0, 5},
		{"higher version committed concurrently", s0, 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tbl.Commit(ctx, tc.base, []manifest.Action{addAction("data/dup.parquet", 1), txn("p1", tc.v)}, manifest.CommitOptions{})
			var de *manifest.DuplicateError
			if !errors.As(err, &de) || de.AppID != "p1" || de.Committed != 5 || de.Version != tc.v {
				t.Fatalf("got %v, want a duplicate of p1 at 5", err)
			}
		})
	}
	// A lower version of p1 from the stale base conflicts: it was checked
	// against a table without p1's commit.
	if _, err := tbl.Commit(ctx, s0, []manifest.Action{addAction("data/lower.parquet", 1), txn("p1", 7)}, manifest.CommitOptions{}); !errors.Is(err, manifest.ErrConflict) {
		t.Errorf("txn p1 at 7 from a base without p1's commit at 5: %v, want a conflict", err)
	}
	// Another producer from the stale base is no duplicate.
	r := mustCommit(t, tbl, s0, addAction("data/2.parquet", 1), txn("p2", 5))
	if v, _ := r.Snapshot.TxnVersion("p1"); v != 5 || r.Version != 2 {
		t.Errorf("version %d, p1 at %d", r.Version, v)
	}
	if _, err := tbl.Commit(ctx, nil, []manifest.Action{txn("p3", 1), txn("p3", 2)}, manifest.CommitOptions{}); err == nil {
		t.Error("two txns of one application in one commit were accepted")
	}
	latest := mustCommit(t, tbl, nil, txn("p1", 6)).Snapshot
	if diff := cmp.Diff(map[string]int64{"p1": 6, "p2": 5}, txnVersions(latest)); diff != "" {
		t.Errorf("txns (-want +got):\n%s", diff)
	}
	if lu := latest.Txns()["p1"].LastUpdated; lu == nil || *lu != latest.Timestamp().UnixMilli() {
		t.Errorf("txn lastUpdated %v, want the commit time %d", lu, latest.Timestamp().UnixMilli())
	}
}

func txnVersions(s *manifest.Snapshot) map[string]int64 {
	out := map[string]int64{}
	for k, v := range s.Txns() {
		out[k] = v.Version
	}
	return out
}

func TestSchemaEvolution(t *testing.T) {
	ctx := context.Background()
	tbl := newTable(t, upload.NewMemory())
	s0, err := tbl.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	withCol := func(f manifest.StructField) manifest.Action {
		sch := manifest.StructType{Fields: append(append([]manifest.StructField(nil), testSchema.Fields...), f)}
		md := s0.Metadata()
		ss, err := json.Marshal(sch) // unvalidated: bad schemas are tested too
		if err != nil {
			t.Fatal(err)
		}
		md.SchemaString = string(ss)
		return manifest.Action{Metadata: &md}
	}
	bad := []struct {
		name string
		act  manifest.Action
	}{
		{"non-nullable column", withCol(manifest.StructField{Name: "x", Type: manifest.Type("long")})},
		{"case-duplicate column", withCol(manifest.StructField{Name: "NAME", Type: manifest.Type("long"), Nullable: true})},
		{"unknown type", withCol(manifest.StructField{Name: "x", Type: manifest.Type("uint128"), Nullable: true})},
	}
	for _, tc := range bad {
		if _, err := tbl.Commit(ctx, s0, []manifest.Action{tc.act}, manifest.CommitOptions{}); err == nil {
			t.Errorf("%s: accepted", tc.name)
		}
	}
	changed := s0.Metadata()
	changed.SchemaString = strings.Replace(changed.SchemaString, `"name":"name","type":"string"`, `"name":"name","type":"long"`, 1)
	if _, err := tbl.Commit(ctx, s0, []manifest.Action{{Metadata: &changed}}, manifest.CommitOptions{}); err == nil {
		t.Error("a type change was accepted")
	}

	add := withCol(manifest.StructField{Name: "city", Type: manifest.Type("string"), Nullable: true})
	r := mustCommit(t, tbl, s0, add, addAction("data/1.parquet", 1))
	sch, err := r.Snapshot.Schema()
	if err != nil {
		t.Fatal(err)
	}
	if len(sch.Fields) != 5 || sch.Fields[4].Name != "city" {
		t.Errorf("schema after adding a column: %+v", sch)
	}
	// An append from the old schema still commits after the column was added.
	if r2 := mustCommit(t, tbl, s0, addAction("data/2.parquet", 1)); r2.Version != 2 {
		t.Errorf("append version %d", r2.Version)
	}
	// A second metadata change from the stale base conflicts.
	add2 := withCol(manifest.StructField{Name: "zip", Type: manifest.Type("string"), Nullable: true})
	if _, err := tbl.Commit(ctx, s0, []manifest.Action{add2}, manifest.CommitOptions{}); !errors.Is(err, manifest.ErrConflict) {
		t.Errorf("concurrent metadata change: %v, want a conflict", err)
	}
}

func TestCorruptLog(t *testing.T) {
	create := `{"commitInfo":{"timestamp":1}}
{"protocol":{"minReaderVersion":1,"minWriterVersion":2}}
{"metaData":{"id":"x","format":{"provider":"parquet","options":{}},"schemaString":"{\"type\":\"struct\",\"fields\":[]}","partitionColumns":[],"configuration":{}}}
`
	tests := []struct {
		name  string
		files map[int]string
		want  []string // substrings of the error
	}{
		{"bad json", map[int]string{0: create, 1: "{\"add\":{\"path\":\"a\",\"size\":1}}\n{\"add\":{\"path\n"},
			[]string{"_delta_log/00000000000000000001.json", "line 2"}},
		{"two keys", map[int]string{0: create, 1: `{"add":{"path":"a"},"remove":{"path":"a"}}`},
			[]string{"00000000000000000001.json line 1", "exactly one key"}},
		{"empty path", map[int]string{0: create, 1: "\n\n" + `{"add":{"path":"","size":1}}`},
			[]string{"00000000000000000001.json line 3", "empty path"}},
		{"absolute path", map[int]string{0: create, 1: `{"add":{"path":"s3://b/x.parquet","size":1}}`},
			[]string{"00000000000000000001.json line 1", "absolute"}},
		{"no protocol", map[int]string{0: `{"metaData":{"id":"x","schemaString":"{\"type\":\"struct\",\"fields\":[]}"}}`},
			[]string{"00000000000000000000.json", "no protocol"}},
		{"reader version 3", map[int]string{0: strings.Replace(create, `"minReaderVersion":1`, `"minReaderVersion":3`, 1)},
			[]string{"00000000000000000000.json line 2", "reader version 3"}},
		{"bad schema", map[int]string{0: strings.Replace(create, `\"fields\":[]`, `\"fields\":[{\"name\":\"a\",\"type\":\"nope\"}]`, 1)},
			[]string{"00000000000000000000.json line 3", `unknown type "nope"`}},
		{"gap", map[int]string{0: create, 2: `{"add":{"path":"a","size":1}}`},
			[]string{"00000000000000000001.json is missing"}},
		{"null action", map[int]string{0: create, 1: `{"txn":null}`},
			[]string{"00000000000000000001.json line 1", "null"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			mem := upload.NewMemory()
			for v, body := range tc.files {
				if _, err := mem.Put(context.Background(), manifest.CommitFile(int64(v)), []byte(body), upload.PutOptions{}); err != nil {
					t.Fatal(err)
				}
			}
			tbl, err := manifest.Open(mem, "", manifest.Options{})
			if err != nil {
				t.Fatal(err)
			}
			_, err = tbl.Snapshot(context.Background())
			if err == nil {
				t.Fatal("corrupt log accepted")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

// view is the comparable content of a snapshot.
type view struct {
	Version  int64
	Protocol manifest.Protocol
	Metadata manifest.Metadata
	Files    []manifest.AddFile
	Txns     map[string]manifest.Txn
	Removed  []manifest.RemoveFile
}

func viewOf(s *manifest.Snapshot) view {
	return view{s.Version(), s.Protocol(), s.Metadata(), s.Files(), s.Txns(), s.Tombstones()}
}

func TestCheckpoint(t *testing.T) {
	ctx := context.Background()
	mem := upload.NewMemory()
	opts := testOptions(newClock(), &sleeps{})
	opts.CheckpointInterval = 5
	tbl, err := manifest.Open(mem, "t", opts)
	if err != nil {
		t.Fatal(err)
	}
	s, err := tbl.Create(ctx, testSchema, manifest.CreateOptions{Name: "orders", Description: "d",
		Configuration: map[string]string{"delta.appendOnly": "false", "k": ""}})
	if err != nil {
		t.Fatal(err)
	}
	for v := 1; v <= 12; v++ {
		add := addAction(fmt.Sprintf("data/blk %02d.parquet", v), int64(v))
		if v%3 == 0 {
			add.Add.PartitionValues = map[string]string{"day": "2026-11-26"}
			add.Add.Tags = map[string]string{"INSERTION_TIME": "1"}
		}
		acts := []manifest.Action{add, {Txn: &manifest.Txn{AppID: fmt.Sprintf("p%d", v%2), Version: int64(v)}}}
		// The removes are recent (within the week tombstones are kept),
		// so the checkpoint holds their tombstones.
		if v == 4 {
			rm := removeAction("data/blk 02.parquet")
			ts := s.Timestamp().UnixMilli()
			rm.Remove.DeletionTimestamp = &ts
			acts = append(acts, rm)
		}
		if v == 9 {
			f, _ := s.File("data/blk 03.parquet")
			rm := f.Remove(s.Timestamp(), false)
			acts = append(acts, manifest.Action{Remove: &rm})
		}
		if v == 7 {
			md := s.Metadata()
			md.SchemaString = strings.Replace(md.SchemaString, "]}", `,{"name":"extra","type":"string","nullable":true,"metadata":{}}]}`, 1)
			acts = append(acts, manifest.Action{Metadata: &md})
		}
		res, err := tbl.Commit(ctx, s, acts, manifest.CommitOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if res.CheckpointErr != nil {
			t.Fatalf("checkpoint after version %d: %v", v, res.CheckpointErr)
		}
		s = res.Snapshot
	}
	want := viewOf(s)
	if _, _, err := mem.Get(ctx, "t/"+manifest.CheckpointFile(10)); err != nil {
		t.Fatalf("no checkpoint at 10: %v", err)
	}
	last, _, err := mem.Get(ctx, "t/"+manifest.LastCheckpointFile)
	if err != nil || !strings.Contains(string(last), `"version":10`) {
		t.Fatalf("_last_checkpoint = %s, %v", last, err)
	}
	// Remove the commits the checkpoint covers: reading must not need them.
	for v := int64(0); v <= 9; v++ {
		if err := mem.Delete(ctx, "t/"+manifest.CommitFile(v)); err != nil {
			t.Fatal(err)
		}
	}
	fresh, err := manifest.Open(mem, "t", manifest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := fresh.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, viewOf(got)); diff != "" {
		t.Errorf("snapshot from the checkpoint (-want +got):\n%s", diff)
	}
	at, err := fresh.SnapshotAt(ctx, 11)
	if err != nil {
		t.Fatal(err)
	}
	if at.Version() != 11 || at.NumFiles() != 9 {
		t.Errorf("version 11 from checkpoint 10: version %d with %d files", at.Version(), at.NumFiles())
	}
	// A damaged pointer falls back to listing the log.
	if _, err := mem.Put(ctx, "t/"+manifest.LastCheckpointFile, []byte("{not json"), upload.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	if got, err = fresh.Snapshot(ctx); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, viewOf(got)); diff != "" {
		t.Errorf("snapshot after a damaged _last_checkpoint (-want +got):\n%s", diff)
	}
	// A damaged checkpoint is an error naming it.
	if _, err := mem.Put(ctx, "t/"+manifest.CheckpointFile(10), []byte("PAR1 garbage PAR1"), upload.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := fresh.Snapshot(ctx); err == nil || !strings.Contains(err.Error(), "00000000000000000010.checkpoint.parquet") {
		t.Errorf("damaged checkpoint: %v", err)
	}
}

// getLog records the commit files read through it.
type getLog struct {
	upload.Store
	mu    sync.Mutex
	reads []string
}

func (g *getLog) Get(ctx context.Context, key string) ([]byte, upload.ObjectInfo, error) {
	g.mu.Lock()
	g.reads = append(g.reads, key)
	g.mu.Unlock()
	return g.Store.Get(ctx, key)
}

func (g *getLog) take() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	r := g.reads
	g.reads = nil
	return r
}

// TestSnapshotAsOfCheckpoints: time travel by timestamp on a table with
// checkpoints gives the same snapshot as SnapshotAt of the version current
// then, and reads it from the newest checkpoint at or before that version:
// no commit older than that checkpoint is read except the checkpoints'
// own commits (probed for their timestamps), and it still works once the
// commits a checkpoint covers are deleted.
func TestSnapshotAsOfCheckpoints(t *testing.T) {
	ctx := context.Background()
	clk := newClock()
	// The store's clock is the commits' (without the tick of a read), so
	// a checkpoint file is dated like its commit.
	mem := upload.NewMemoryClock(func() time.Time { clk.mu.Lock(); defer clk.mu.Unlock(); return clk.t })
	log := &getLog{Store: mem}
	opts := testOptions(clk, &sleeps{})
	opts.CheckpointInterval = 5
	tbl, err := manifest.Open(log, "", opts)
	if err != nil {
		t.Fatal(err)
	}
	s, err := tbl.Create(ctx, testSchema, manifest.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	const last = 23
	stamps := []time.Time{s.Timestamp()}
	for v := 1; v <= last; v++ {
		acts := []manifest.Action{addAction(fmt.Sprintf("data/blk_%02d.parquet", v), int64(v)),
			{Txn: &manifest.Txn{AppID: fmt.Sprintf("p%d", v%3), Version: int64(v)}}}
		if v%4 == 0 {
			acts = append(acts, removeAction(fmt.Sprintf("data/blk_%02d.parquet", v-3)))
		}
		res := mustCommit(t, tbl, s, acts...)
		if res.CheckpointErr != nil {
			t.Fatal(res.CheckpointErr)
		}
		s = res.Snapshot
		stamps = append(stamps, s.Timestamp())
	}
	ckpts := map[string]bool{}
	for v := int64(5); v <= last; v += 5 {
		ckpts[manifest.CommitFile(v)] = true
	}
	check := func(t *testing.T, v int64, at time.Time) {
		t.Helper()
		want, err := tbl.SnapshotAt(ctx, v)
		if err != nil {
			t.Fatal(err)
		}
		log.take()
		got, err := tbl.SnapshotAsOf(ctx, at)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(viewOf(want), viewOf(got)); diff != "" {
			t.Fatalf("as of %v (-SnapshotAt(%d) +got):\n%s", at, v, diff)
		}
		base := v / 5 * 5 // the newest checkpoint at or before v (0: none)
		for _, k := range log.take() {
			cv, ok := parseVersion(k)
			if ok && base > 0 && cv <= base && !ckpts[k] {
				t.Fatalf("as of version %d: read %s, older than checkpoint %d", v, k, base)
			}
		}
	}
	for v := int64(0); v <= last; v++ {
		// Right at the commit's time and just before the next one.
		check(t, v, stamps[v])
		if v < last {
			check(t, v, stamps[v+1].Add(-time.Millisecond))
		}
	}
	check(t, last, stamps[last].Add(time.Hour))
	if _, err := tbl.SnapshotAsOf(ctx, stamps[0].Add(-time.Millisecond)); !errors.Is(err, manifest.ErrVersionNotFound) {
		t.Fatalf("before the table was created: %v", err)
	}
	// Delete the commits up to checkpoint 10: versions from 10 on still
	// read, the checkpoint's own time coming from its file.
	for v := int64(0); v <= 10; v++ {
		if err := mem.Delete(ctx, manifest.CommitFile(v)); err != nil {
			t.Fatal(err)
		}
	}
	for _, v := range []int64{10, 12, last} {
		at := stamps[last].Add(time.Hour)
		if v < last {
			at = stamps[v+1].Add(-time.Millisecond)
		}
		got, err := tbl.SnapshotAsOf(ctx, at)
		if err != nil {
			t.Fatal(err)
		}
		if got.Version() != v {
			t.Fatalf("as of version %d's time after the log before checkpoint 10 was deleted: version %d", v, got.Version())
		}
	}
}

// parseVersion returns the version of a commit file key.
func parseVersion(key string) (int64, bool) {
	name, ok := strings.CutPrefix(key, manifest.LogDir)
	if !ok || !strings.HasSuffix(name, ".json") {
		return 0, false
	}
	v, err := strconv.ParseInt(strings.TrimSuffix(name, ".json"), 10, 64)
	return v, err == nil
}

// expiryTable is the scaffolding of the tombstone expiry tests: a table
// at the root of a memory store, read and written through store (the
// memory store or a wrapper of it), on a manual clock that stays at t0
// until set moves it, with no automatic checkpoints, and the snapshot of
// its last commit.
type expiryTable struct {
	t     *testing.T
	ctx   context.Context
	t0    time.Time
	mu    sync.Mutex
	now   time.Time
	mem   *upload.Memory
	store upload.Store
	tbl   *manifest.Table
	s     *manifest.Snapshot
	// commits is what commit passes (StampRemoves dates removes by the
	// commit's time)
	commits manifest.CommitOptions
}

// newExpiryTable creates the table with the configuration conf; wrap
// (nil: none) puts a wrapper around the memory store.
func newExpiryTable(t *testing.T, t0 time.Time, conf map[string]string, commits manifest.CommitOptions, wrap func(upload.Store) upload.Store) *expiryTable {
	t.Helper()
	e := &expiryTable{t: t, ctx: context.Background(), t0: t0, now: t0, mem: upload.NewMemory(), commits: commits}
	e.store = e.mem
	if wrap != nil {
		e.store = wrap(e.mem)
	}
	tbl, err := manifest.Open(e.store, "", manifest.Options{Now: e.clock, CheckpointInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	e.tbl = tbl
	if e.s, err = tbl.Create(e.ctx, testSchema, manifest.CreateOptions{Configuration: conf}); err != nil {
		t.Fatal(err)
	}
	return e
}

// clock is the table's clock.
func (e *expiryTable) clock() time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.now
}

// set moves the clock to t0+d.
func (e *expiryTable) set(d time.Duration) {
	e.mu.Lock()
	e.now = e.t0.Add(d)
	e.mu.Unlock()
}

// commit commits actions on the last snapshot.
func (e *expiryTable) commit(actions ...manifest.Action) {
	e.t.Helper()
	res, err := e.tbl.Commit(e.ctx, e.s, actions, e.commits)
	if err != nil {
		e.t.Fatal(err)
	}
	e.s = res.Snapshot
}

// retention is the metadata action that sets the tombstone retention to
// interval.
func (e *expiryTable) retention(interval string) manifest.Action {
	meta := e.s.Metadata()
	meta.Configuration = map[string]string{manifest.TombstoneRetentionProperty: interval}
	return manifest.Action{Metadata: &meta}
}

// checkpoint writes the checkpoint of the last snapshot.
func (e *expiryTable) checkpoint() {
	e.t.Helper()
	if err := e.tbl.Checkpoint(e.ctx, e.s); err != nil {
		e.t.Fatal(err)
	}
}

// reopen opens the table afresh, as a new writer would, on the same
// clock, and returns it with its latest snapshot.
func (e *expiryTable) reopen() (*manifest.Table, *manifest.Snapshot) {
	e.t.Helper()
	fresh, err := manifest.Open(e.store, "", manifest.Options{Now: e.clock})
	if err != nil {
		e.t.Fatal(err)
	}
	latest, err := fresh.Snapshot(e.ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	return fresh, latest
}

// tombstonePaths is the paths of removes.
func tombstonePaths(removes []manifest.RemoveFile) []string {
	var paths []string
	for _, r := range removes {
		paths = append(paths, r.Path)
	}
	return paths
}

// TestCheckpointTombstoneExpiry: a checkpoint leaves out the tombstones
// older than the table's delta.deletedFileRetentionDuration (a week when
// unset) and keeps the others, and those without a deletionTimestamp; the
// active files are unchanged and a bad property is an error naming it.
func TestCheckpointTombstoneExpiry(t *testing.T) {
	t0 := time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name    string
		conf    map[string]string
		kept    []string // tombstones in the checkpoint
		wantErr string
	}{
		{"unset: a week", nil, []string{"data/a.parquet", "data/b.parquet", "data/c.parquet"}, ""},
		{"1 hour", map[string]string{manifest.TombstoneRetentionProperty: "interval 1 hours"}, []string{"data/b.parquet", "data/c.parquet"}, ""},
		{"90 minutes: a is exactly that old", map[string]string{manifest.TombstoneRetentionProperty: "INTERVAL 90 MINUTES"}, []string{"data/a.parquet", "data/b.parquet", "data/c.parquet"}, ""},
		{"zero", map[string]string{manifest.TombstoneRetentionProperty: "interval 0 seconds"}, []string{"data/c.parquet"}, ""},
		{"not an interval", map[string]string{manifest.TombstoneRetentionProperty: "7 days"}, nil, "delta.deletedFileRetentionDuration"},
		{"unknown unit", map[string]string{manifest.TombstoneRetentionProperty: "interval 7 fortnights"}, nil, "unknown unit"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// removes keep the deletionTimestamp they are given (c none)
			e := newExpiryTable(t, t0, tc.conf, manifest.CommitOptions{}, nil)
			e.commit(addAction("data/a.parquet", 1), addAction("data/b.parquet", 1), addAction("data/c.parquet", 1), addAction("data/d.parquet", 1))
			rm := func(key string, at *time.Duration) manifest.Action {
				a := removeAction(key)
				a.Remove.DeletionTimestamp = nil
				if at != nil {
					ts := t0.Add(*at).UnixMilli()
					a.Remove.DeletionTimestamp = &ts
				}
				return a
			}
			zero, fifty := time.Duration(0), 50*time.Minute
			e.commit(rm("data/a.parquet", &zero))
			e.set(fifty)
			e.commit(rm("data/b.parquet", &fifty), rm("data/c.parquet", nil))
			e.set(90 * time.Minute)
			err := e.tbl.Checkpoint(e.ctx, e.s)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("checkpoint: %v; want an error naming %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			_, got := e.reopen()
			if diff := cmp.Diff(tc.kept, tombstonePaths(got.Tombstones())); diff != "" {
				t.Errorf("tombstones in the checkpoint (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(keys(t, e.s), keys(t, got)); diff != "" {
				t.Errorf("active files from the checkpoint (-replayed +checkpoint):\n%s", diff)
			}
			if n := len(e.s.Tombstones()); n != 3 {
				t.Errorf("the replayed snapshot has %d tombstones; want all 3 (only checkpoints expire them)", n)
			}
		})
	}
}

func TestParseInterval(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Duration
		err  bool
	}{
		{"interval 1 week", 7 * 24 * time.Hour, false},
		{"interval 7 days", 7 * 24 * time.Hour, false},
		{"  Interval   36   Hours ", 36 * time.Hour, false},
		{"interval 1 second", time.Second, false},
		{"interval 250 milliseconds", 250 * time.Millisecond, false},
		{"interval 2 minute", 2 * time.Minute, false},
		{"interval -1 days", 0, true},
		{"interval 1.5 days", 0, true},
		{"interval 1 s", 0, true},
		{"interval 1 month", 0, true},
		{"168h", 0, true},
		{"interval 1 day extra", 0, true},
		{"interval 99999999999 weeks", 0, true},
	} {
		got, err := manifest.ParseInterval(tc.in)
		if (err != nil) != tc.err || got != tc.want {
			t.Errorf("ParseInterval(%q) = %v, %v; want %v (error %v)", tc.in, got, err, tc.want, tc.err)
		}
	}
}

// TestExpiredTombstones: a checkpoint written under a lowered retention
// records how far it expired tombstones, later checkpoints carry that
// over, and ExpiredTombstones reads the removes made since a time back
// from the commit files only when they may be missing, leaving out the
// files active again and the tombstones the snapshot has.
func TestExpiredTombstones(t *testing.T) {
	t0 := time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)
	var log *getLog
	e := newExpiryTable(t, t0, nil, manifest.CommitOptions{StampRemoves: true}, func(s upload.Store) upload.Store {
		log = &getLog{Store: s}
		return log
	})
	ctx := e.ctx
	e.commit(addAction("data/a.parquet", 1), addAction("data/b.parquet", 1), addAction("data/c.parquet", 1), addAction("data/d.parquet", 1))
	e.set(time.Hour)
	e.commit(removeAction("data/a.parquet"), removeAction("data/d.parquet"))
	e.commit(e.retention("interval 1 hour"))
	e.set(3 * time.Hour)
	e.commit(removeAction("data/b.parquet"), addAction("data/d.parquet", 1)) // d is active again
	e.checkpoint()                                                           // expires a (and d's remove) at t0+2h
	// Go on from the checkpoint, as a writer started now would: the
	// next checkpoint is built on it.
	var err error
	if e.s, err = e.tbl.Snapshot(ctx); err != nil {
		t.Fatal(err)
	}
	e.commit(e.retention("interval 1 week"))
	e.set(4 * time.Hour)
	e.commit(removeAction("data/c.parquet"))
	e.checkpoint() // a week's retention: expires nothing more
	removedA := manifest.CommitFile(2)

	fresh, latest := e.reopen()
	if got, want := latest.TombstonesExpiredBefore(), t0.Add(2*time.Hour); !got.Equal(want) {
		t.Fatalf("TombstonesExpiredBefore = %v; want %v, the first checkpoint's expiry carried over by the second", got, want)
	}
	if diff := cmp.Diff([]string{"data/b.parquet", "data/c.parquet"}, tombstonePaths(latest.Tombstones())); diff != "" {
		t.Fatalf("tombstones (-want +got):\n%s", diff)
	}
	for _, tc := range []struct {
		name  string
		since time.Duration
		want  []string
		reads bool
	}{
		{"complete since then", 2 * time.Hour, nil, false},
		{"complete since later", 5 * time.Hour, nil, false},
		{"expired ones all older", 90 * time.Minute, nil, true},
		{"a's removal within", 30 * time.Minute, []string{"data/a.parquet"}, true},
		{"everything", 0, []string{"data/a.parquet"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			log.take()
			got, err := fresh.ExpiredTombstones(ctx, latest, t0.Add(tc.since))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, tombstonePaths(got)); diff != "" {
				t.Fatalf("expired tombstones (-want +got):\n%s", diff)
			}
			if reads := log.take(); (len(reads) > 0) != tc.reads {
				t.Fatalf("read %v; want reads: %v", reads, tc.reads)
			}
		})
	}
	// A commit file it needs that is gone is an error naming it.
	if err := e.mem.Delete(ctx, removedA); err != nil {
		t.Fatal(err)
	}
	if _, err := fresh.ExpiredTombstones(ctx, latest, t0.Add(30*time.Minute)); err == nil || !strings.Contains(err.Error(), removedA) {
		t.Fatalf("with %s missing: %v; want an error naming it", removedA, err)
	}
}

// TestExpiredTombstonesLogCleanedUp: the commits before a checkpoint that
// are older than the table's log retention may be cleaned up (Delta
// writers delete them, oldest first). When a checkpoint written under a
// lowered retention makes ExpiredTombstones read the log back, the first
// commit before since, which only tells it to stop, may be one of those:
// that is the end of what it needs, not a missing commit. A commit
// missing between two that are there is still an error.
func TestExpiredTombstonesLogCleanedUp(t *testing.T) {
	t0 := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	e := newExpiryTable(t, t0, nil, manifest.CommitOptions{StampRemoves: true}, nil)
	ctx := e.ctx
	const day = 24 * time.Hour
	e.commit(addAction("data/a.parquet", 1), addAction("data/b.parquet", 1)) // v1
	// Forty quiet days, then the retention is lowered, a file removed and
	// a checkpoint written that expires its tombstone.
	e.set(40 * day)
	e.commit(e.retention("interval 1 hour")) // v2
	e.commit(removeAction("data/a.parquet")) // v3
	e.set(40*day + 3*time.Hour)
	e.checkpoint()
	e.commit(e.retention("interval 1 week")) // v4
	// The log cleanup of a Delta writer (a 30-day log retention) drops
	// the commits before the checkpoint older than that: v0 and v1.
	for v := range int64(2) {
		if err := e.mem.Delete(ctx, manifest.CommitFile(v)); err != nil {
			t.Fatal(err)
		}
	}
	e.set(40*day + 4*time.Hour)
	fresh, latest := e.reopen()
	since := e.clock().Add(-7 * day) // a vacuum under the week's retention
	got, err := fresh.ExpiredTombstones(ctx, latest, since)
	if err != nil {
		t.Fatalf("ExpiredTombstones after the log cleanup: %v; want a's remove (v3), the commits cleaned up being 40 days old", err)
	}
	if diff := cmp.Diff([]string{"data/a.parquet"}, tombstonePaths(got)); diff != "" {
		t.Fatalf("expired tombstones (-want +got):\n%s", diff)
	}
	// Since further back than the log retention (30 days), the commits
	// cleaned up may have been made after it: they are needed, and missing.
	if _, err := fresh.ExpiredTombstones(ctx, latest, e.clock().Add(-35*day)); err == nil || !strings.Contains(err.Error(), manifest.CommitFile(1)) {
		t.Fatalf("since 35 days back: %v; want an error naming %s", err, manifest.CommitFile(1))
	}
	// A commit missing after one that is there (v2) is not a cleanup.
	if err := e.mem.Delete(ctx, manifest.CommitFile(3)); err != nil {
		t.Fatal(err)
	}
	if _, err := fresh.ExpiredTombstones(ctx, latest, since); err == nil || !strings.Contains(err.Error(), manifest.CommitFile(3)) {
		t.Fatalf("with %s missing and %s there: %v; want an error naming the missing one", manifest.CommitFile(3), manifest.CommitFile(2), err)
	}
}
