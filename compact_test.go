package writer_test

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	writer "github.com/evodb/writer"
	"github.com/evodb/writer/cdc"
	"github.com/evodb/writer/engine"
	"github.com/evodb/writer/manifest"
	"github.com/evodb/writer/upload"
	"github.com/evodb/writer/upload/uploadtest"
	"github.com/google/go-cmp/cmp"
)

func TestCompactPreservesRows(t *testing.T) {
	for _, sc := range stores() {
		t.Run(sc.name, func(t *testing.T) {
			ctx := context.Background()
			clk := newCTClock()
			tbl := ctNewTable(t, sc.new(t), clk)
			ctFill(t, tbl, "p1", 9)
			before := ctSnapshot(t, tbl)
			want := ctRowsOf(t, tbl, before)
			if len(want) != 90 {
				t.Fatalf("%d rows before compaction, want 90", len(want))
			}
			var total int64
			for _, f := range before.Files() {
				total += f.Size
			}
			// A target of about 4.5 blocks: two groups of 5 and 4 blocks.
			c, err := writer.NewCompactor(tbl, writer.CompactorOptions{TargetBlockSize: total / 2, Clock: clk.Now, RowGroupBytes: 3000})
			if err != nil {
				t.Fatal(err)
			}
			if got := c.Pending(before); got != 2 {
				t.Fatalf("Pending = %d, want 2 groups (plan %v)", got, c.Plan(before))
			}
			clk.Advance(time.Minute)
			res, err := c.Compact(ctx)
			if err != nil {
				t.Fatal(err)
			}
			after := ctSnapshot(t, tbl)
			if res.CompactedBlocks != 9 || res.NewBlocks != 2 || res.Version != before.Version()+1 || after.Version() != res.Version {
				t.Fatalf("result %+v; want 9 blocks into 2 at version %d", res, before.Version()+1)
			}
			if res.BytesRead != total || res.BytesReclaimed != res.BytesRead-res.BytesWritten || res.Rows != 90 {
				t.Fatalf("result %+v; inputs hold %d bytes, 90 rows", res, total)
			}
			if diff := cmp.Diff(res.NewPaths, ctActiveKeys(t, after), cmpSorted); diff != "" {
				t.Fatalf("active files after compaction are not the new blocks (-new +active):\n%s", diff)
			}
			if diff := cmp.Diff(want, ctRowsOf(t, tbl, after)); diff != "" {
				t.Fatalf("rows after compaction differ (-before +after):\n%s", diff)
			}
			checkCompactCommit(t, tbl, res, before, clk.Now())
			if c.Pending(after) != 0 {
				t.Errorf("Pending after compaction = %d", c.Pending(after))
			}

			// Old snapshots still read: the inputs are not deleted.
			old, err := tbl.SnapshotAt(ctx, before.Version())
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, ctRowsOf(t, tbl, old)); diff != "" {
				t.Fatalf("old snapshot after compaction (-want +got):\n%s", diff)
			}
			// A vacuum whose retention covers the compaction keeps them.
			vr, err := writer.Vacuum(ctx, tbl, writer.VacuumOptions{Retention: 2 * time.Hour, Now: clk.at(time.Hour)})
			if err != nil {
				t.Fatal(err)
			}
			if vr.Deleted != 0 || vr.Kept != 11 {
				t.Fatalf("vacuum within the retention: %+v; want nothing deleted, 11 kept", vr)
			}
			if diff := cmp.Diff(want, ctRowsOf(t, tbl, old)); diff != "" {
				t.Fatalf("old snapshot after vacuum within the retention (-want +got):\n%s", diff)
			}
			// A dry run past the retention names the inputs, deletes nothing.
			dry, err := writer.Vacuum(ctx, tbl, writer.VacuumOptions{Retention: 2 * time.Hour, Now: clk.at(3 * time.Hour), DryRun: true})
			if err != nil {
				t.Fatal(err)
			}
			if dry.Deleted != 9 || dry.Tombstoned != 9 || len(ctDataKeys(t, tbl)) != 11 {
				t.Fatalf("dry run: %+v, %d files left; want 9 to delete, 11 left", dry, len(ctDataKeys(t, tbl)))
			}
			vr, err = writer.Vacuum(ctx, tbl, writer.VacuumOptions{Retention: 2 * time.Hour, Now: clk.at(3 * time.Hour)})
			if err != nil {
				t.Fatal(err)
			}
			if vr.Deleted != 9 || vr.Tombstoned != 9 || vr.Orphans != 0 || vr.BytesDeleted != total {
				t.Fatalf("vacuum past the retention: %+v; want the 9 inputs (%d bytes)", vr, total)
			}
			if diff := cmp.Diff(res.NewPaths, ctDataKeys(t, tbl), cmpSorted); diff != "" {
				t.Fatalf("files left after vacuum (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(want, ctRowsOf(t, tbl, ctSnapshot(t, tbl))); diff != "" {
				t.Fatalf("rows after vacuum differ (-before +after):\n%s", diff)
			}
			if _, err := ctTryRows(tbl, old); !errors.Is(err, upload.ErrNotFound) {
				t.Fatalf("the snapshot before compaction still reads after its files' retention: err = %v", err)
			}
		})
	}
}

// checkCompactCommit reads the compaction's commit file back and checks
// its actions: OPTIMIZE, a remove with dataChange false and the deletion
// time per input, an add with dataChange false and stats per new block.
func checkCompactCommit(t *testing.T, tbl *manifest.Table, res writer.CompactResult, before *manifest.Snapshot, now time.Time) {
	t.Helper()
	data, _, err := tbl.Store().Get(context.Background(), manifest.CommitFile(res.Version))
	if err != nil {
		t.Fatal(err)
	}
	actions, err := manifest.DecodeActions("commit", data)
	if err != nil {
		t.Fatal(err)
	}
	var removed, added []string
	var minLSN []int64
	for _, a := range actions {
		switch {
		case a.CommitInfo != nil:
			if a.CommitInfo.Operation != "OPTIMIZE" {
				t.Errorf("operation %q, want OPTIMIZE", a.CommitInfo.Operation)
			}
		case a.Remove != nil:
			k, _ := a.Remove.Key()
			removed = append(removed, k)
			if a.Remove.DataChange || a.Remove.DeletionTimestamp == nil || *a.Remove.DeletionTimestamp != now.UnixMilli() {
				t.Errorf("remove %+v: want dataChange false, deletionTimestamp %d", a.Remove, now.UnixMilli())
			}
		case a.Add != nil:
			k, _ := a.Add.Key()
			added = append(added, k)
			if a.Add.DataChange {
				t.Errorf("add %s has dataChange true", k)
			}
			st, err := a.Add.ParseStats()
			if err != nil || st == nil {
				t.Fatalf("add %s: stats %v", k, err)
			}
			lo, err := st.MinValues[engine.ColLSN].(interface{ Int64() (int64, error) }).Int64()
			if err != nil {
				t.Fatal(err)
			}
			minLSN = append(minLSN, lo)
			if _, ok := st.NullCount["addr"].(map[string]any)["city"]; !ok {
				t.Errorf("add %s: no nested null count for addr.city in %s", k, a.Add.Stats)
			}
		case a.Txn != nil:
			t.Errorf("compaction commit carries a txn: %+v", a.Txn)
		}
	}
	if diff := cmp.Diff(ctActiveKeys(t, before), removed, cmpSorted); diff != "" {
		t.Errorf("removed files (-inputs +removed):\n%s", diff)
	}
	if diff := cmp.Diff(res.NewPaths, added, cmpSorted); diff != "" {
		t.Errorf("added files (-new +added):\n%s", diff)
	}
	// Groups follow the LSN order: the first new block starts at LSN 1,
	// the second after the first group's last row.
	if !slices.Equal(minLSN, []int64{1, 51}) {
		t.Errorf("new blocks start at LSNs %v, want [1 51]", minLSN)
	}
}

// TestCompactStats checks the add.stats of a new block against its rows.
func TestCompactStats(t *testing.T) {
	clk := newCTClock()
	tbl := ctNewTable(t, upload.NewMemory(), clk)
	ctFill(t, tbl, "p1", 8)
	res := ctCompact(t, tbl, clk)
	if res.NewBlocks != 1 {
		t.Fatalf("%+v; want one new block", res)
	}
	f, ok := ctSnapshot(t, tbl).File(res.NewPaths[0])
	if !ok {
		t.Fatal("new block not active")
	}
	got, err := manifest.ParseStats(f.Stats)
	if err != nil {
		t.Fatal(err)
	}
	want, err := manifest.ParseStats(`{"numRecords":80,
		"minValues":{"_op":"DELETE","_lsn":1,"_producer":"p1","_commit_ts":"2026-11-26T03:00:00.001Z","id":1,"name":"p1-1","score":0.5,
			"addr":{"city":"c0","zip":"00060"},"late":80},
		"maxValues":{"_op":"UPDATE","_lsn":80,"_producer":"p1","_commit_ts":"2026-11-26T03:00:00.080Z","id":80,"name":"p1-9","score":9.5,
			"addr":{"city":"c3","zip":"00080"},"late":160},
		"nullCount":{"_op":0,"_lsn":0,"_producer":0,"_commit_ts":0,"id":11,"name":0,"score":0,
			"addr":{"city":0,"zip":59},"late":39,"_rescued":69}}`)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("stats of the new block (-want +got):\n%s", diff)
	}
}

func TestCompactNothingToDo(t *testing.T) {
	clk := newCTClock()
	tbl := ctNewTable(t, upload.NewMemory(), clk)
	ctFill(t, tbl, "p1", 3)
	res := ctCompact(t, tbl, clk)
	if diff := cmp.Diff(writer.CompactResult{Version: 3}, res); diff != "" {
		t.Fatalf("compaction of 3 blocks with MinBlocksToCompact 4 (-want +got):\n%s", diff)
	}
	if n := len(ctDataKeys(t, tbl)); n != 3 {
		t.Fatalf("%d files, want the 3 blocks", n)
	}
}

func TestCompactorOptionErrors(t *testing.T) {
	tbl := ctNewTable(t, upload.NewMemory(), newCTClock())
	for _, tc := range []struct {
		name string
		opts writer.CompactorOptions
		want string
	}{
		{"negative target", writer.CompactorOptions{TargetBlockSize: -1}, "negative"},
		{"one block", writer.CompactorOptions{MinBlocksToCompact: 1}, "at least 2"},
		{"max below min", writer.CompactorOptions{MinBlocksToCompact: 5, MaxBlocksPerCompaction: 3}, "below MinBlocksToCompact"},
		{"compression", writer.CompactorOptions{Compression: "lz4"}, `"lz4"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := writer.NewCompactor(tbl, tc.opts)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to mention %s", err, tc.want)
			}
		})
	}
	if _, err := writer.NewCompactor(nil, writer.CompactorOptions{}); err == nil {
		t.Fatal("NewCompactor(nil) succeeded")
	}
	for _, tc := range []struct {
		name string
		opts writer.VacuumOptions
		want string
	}{
		{"negative", writer.VacuumOptions{Retention: -time.Hour}, "negative"},
		{"short", writer.VacuumOptions{Retention: time.Minute}, "AllowShortRetention"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := writer.Vacuum(context.Background(), tbl, tc.opts)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to mention %s", err, tc.want)
			}
		})
	}
}

// TestCompactPlan checks which blocks are grouped, on adds without files.
func TestCompactPlan(t *testing.T) {
	type blk struct {
		name string
		size int64
		lsn  int64 // 0: no stats
	}
	for _, tc := range []struct {
		name   string
		opts   writer.CompactorOptions
		blocks []blk
		want   [][]string
	}{
		{"too few", writer.CompactorOptions{TargetBlockSize: 100},
			[]blk{{"a", 10, 1}, {"b", 10, 2}, {"c", 10, 3}}, nil},
		{"big blocks are left", writer.CompactorOptions{TargetBlockSize: 100},
			[]blk{{"a", 10, 1}, {"b", 100, 2}, {"c", 10, 3}, {"d", 500, 4}, {"e", 10, 5}, {"f", 10, 6}},
			[][]string{{"a", "c", "e", "f"}}},
		{"LSN order, groups of the target", writer.CompactorOptions{TargetBlockSize: 100},
			[]blk{{"z", 60, 1}, {"y", 60, 2}, {"x", 60, 3}, {"w", 60, 4}, {"v", 60, 5}},
			[][]string{{"z", "y"}, {"x", "w"}}},
		{"trailing group too small", writer.CompactorOptions{TargetBlockSize: 100, MinBlocksToCompact: 3},
			[]blk{{"a", 90, 1}, {"b", 20, 2}, {"c", 5, 3}, {"d", 5, 4}},
			[][]string{{"a", "b"}}},
		{"no stats last", writer.CompactorOptions{TargetBlockSize: 1000},
			[]blk{{"a", 10, 0}, {"b", 10, 9}, {"c", 10, 5}, {"d", 10, 0}},
			[][]string{{"c", "b", "a", "d"}}},
		{"bounded per run", writer.CompactorOptions{TargetBlockSize: 1000, MaxBlocksPerCompaction: 4},
			[]blk{{"a", 10, 1}, {"b", 10, 2}, {"c", 10, 3}, {"d", 10, 4}, {"e", 10, 5}},
			[][]string{{"a", "b", "c", "d"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tbl := ctNewTable(t, upload.NewMemory(), newCTClock())
			var actions []manifest.Action
			for _, b := range tc.blocks {
				st := ""
				if b.lsn > 0 {
					st = manifest.Stats{NumRecords: 1, MinValues: map[string]any{"_lsn": b.lsn}}.String()
				}
				actions = append(actions, manifest.Action{Add: &manifest.AddFile{Path: "data/" + b.name + ".parquet",
					PartitionValues: map[string]string{}, Size: b.size, ModificationTime: 1, DataChange: true, Stats: st}})
			}
			res, err := tbl.Commit(context.Background(), nil, actions, manifest.CommitOptions{})
			if err != nil {
				t.Fatal(err)
			}
			c, err := writer.NewCompactor(tbl, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			var got [][]string
			for _, g := range c.Plan(res.Snapshot) {
				var names []string
				for _, k := range g {
					names = append(names, strings.TrimSuffix(strings.TrimPrefix(k, "data/"), ".parquet"))
				}
				got = append(got, names)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Fatalf("plan (-want +got):\n%s", diff)
			}
			if n := c.Pending(res.Snapshot); n != len(tc.want) {
				t.Fatalf("Pending = %d, want %d", n, len(tc.want))
			}
		})
	}
}

// TestCompactFaults fails every store operation of a compaction in turn,
// before and after it is applied: the table always reads every row once,
// and the blocks of failed compactions are deleted by vacuum after the
// retention, not before.
func TestCompactFaults(t *testing.T) {
	ctx := context.Background()
	setup := func(t *testing.T) (*upload.Memory, *manifest.Table, *ctClock, []engine.Row) {
		clk := newCTClock()
		mem := upload.NewMemory()
		tbl := ctNewTable(t, mem, clk)
		ctFill(t, tbl, "p1", 6)
		return mem, tbl, clk, ctRowsOf(t, tbl, ctSnapshot(t, tbl))
	}
	opts := func(clk *ctClock) writer.CompactorOptions {
		return writer.CompactorOptions{TargetBlockSize: 3 * 1500, MinBlocksToCompact: 2, RowGroupBytes: 2000, ReadWindow: 700, Clock: clk.Now}
	}
	// A clean run counts the operations.
	mem, _, clk, _ := setup(t)
	fs := &faultStore{Store: mem}
	c, err := writer.NewCompactor(ctOpen(t, fs, clk), opts(clk))
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.Compact(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if res.NewBlocks < 2 {
		t.Fatalf("clean run: %+v; want at least 2 new blocks", res)
	}
	total := fs.ops
	step := 1
	if testing.Short() {
		step = 3
	}
	outcomes := map[string]int{}
	for k := 1; k <= total; k++ {
		// Under -short, every third operation, and the last ones (the
		// commit and what follows it) always.
		if k%step != 0 && k < total-8 {
			continue
		}
		for _, after := range []bool{false, true} {
			t.Run(fmt.Sprintf("op%d/after=%v", k, after), func(t *testing.T) {
				mem, tbl, clk, want := setup(t)
				before := ctSnapshot(t, tbl)
				fs := &faultStore{Store: mem, failAt: k, after: after}
				c, err := writer.NewCompactor(ctOpen(t, fs, clk), opts(clk))
				if err != nil {
					t.Fatal(err)
				}
				clk.Advance(time.Minute)
				res, err := c.Compact(ctx)
				s := ctSnapshot(t, tbl)
				if diff := cmp.Diff(want, ctRowsOf(t, tbl, s)); diff != "" {
					t.Fatalf("fault at %s (err %v): rows (-want +got):\n%s", fs.failed, err, diff)
				}
				switch {
				case err == nil:
					outcomes["compacted"]++
					if s.Version() != res.Version || res.NewBlocks == 0 {
						t.Fatalf("fault at %s: success %+v but the table is at version %d", fs.failed, res, s.Version())
					}
				case s.Version() == before.Version():
					outcomes["abandoned"]++
				default:
					// The commit landed but its answer was lost for good.
					outcomes["landed, error"]++
				}
				if fs.failed == "" {
					t.Fatalf("no fault injected at operation %d of %d", k, fs.ops)
				}
				ctCheckVacuum(t, tbl, clk, want)
			})
		}
	}
	t.Logf("%d operations, outcomes %v", total, outcomes)
	if outcomes["abandoned"] == 0 || outcomes["compacted"] == 0 {
		t.Fatalf("outcomes %v: want both abandoned and completed compactions", outcomes)
	}
}

// TestCompactConflict runs a second compaction between the first one's
// snapshot and its commit: the first is abandoned with an error matching
// manifest.ErrConflict, the table keeps every row once, and the block the
// abandoned compaction uploaded is an orphan vacuum deletes after the
// retention.
func TestCompactConflict(t *testing.T) {
	ctx := context.Background()
	clk := newCTClock()
	mem := upload.NewMemory()
	tbl := ctNewTable(t, mem, clk)
	ctFill(t, tbl, "p1", 5)
	want := ctRowsOf(t, tbl, ctSnapshot(t, tbl))
	other, err := writer.NewCompactor(tbl, writer.CompactorOptions{Clock: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	var otherRes writer.CompactResult
	var otherErr error
	once := sync.Once{}
	fs := &faultStore{Store: mem, beforePut: func(key string) {
		if strings.Contains(key, manifest.LogDir) {
			once.Do(func() { otherRes, otherErr = other.Compact(ctx) })
		}
	}}
	c, err := writer.NewCompactor(ctOpen(t, fs, clk), writer.CompactorOptions{Clock: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.Compact(ctx)
	if otherErr != nil || otherRes.CompactedBlocks != 5 {
		t.Fatalf("the concurrent compaction: %+v, %v", otherRes, otherErr)
	}
	var ce *manifest.ConflictError
	if !errors.Is(err, manifest.ErrConflict) || !errors.As(err, &ce) {
		t.Fatalf("compaction that lost its inputs: %+v, err = %v; want a manifest.ConflictError", res, err)
	}
	if !strings.Contains(err.Error(), "left for Vacuum") {
		t.Errorf("error does not say the new blocks are left for Vacuum: %v", err)
	}
	s := ctSnapshot(t, tbl)
	if diff := cmp.Diff(otherRes.NewPaths, ctActiveKeys(t, s)); diff != "" {
		t.Fatalf("active files (-winner's blocks +active):\n%s", diff)
	}
	if diff := cmp.Diff(want, ctRowsOf(t, tbl, s)); diff != "" {
		t.Fatalf("rows (-want +got):\n%s", diff)
	}
	if n := len(ctDataKeys(t, tbl)); n != 5+2 {
		t.Fatalf("%d files under data/, want 5 inputs + 2 new blocks (one orphan)", n)
	}
	vr := ctCheckVacuum(t, tbl, clk, want)
	if vr.Orphans != 1 || vr.Tombstoned != 5 {
		t.Fatalf("vacuum: %+v; want 1 orphan and 5 retired inputs", vr)
	}
}

// TestCompactConcurrentWriters runs 4 LakehouseWriters flushing into one
// table on versitygw beside 2 compactors: every row is in the table
// exactly once, and a compactor that loses its inputs to the other gives
// up with a conflict and changes nothing.
func TestCompactConcurrentWriters(t *testing.T) {
	flushes := 50
	if testing.Short() {
		flushes = 6
	}
	ctx := context.Background()
	clk := newCTClock()
	store := s3Store(t, upload.S3Options{})
	tbl := ctNewTable(t, store, clk)
	const writers, rowsPerFlush = 4, 5
	// Halfway the writers wait until a compaction has landed (or a
	// compactor failed), so that one lands between their flushes whatever
	// the scheduling; before and after that, they flush while the
	// compactors run.
	compacted, failed := make(chan struct{}), make(chan struct{})
	var compactedOnce, failedOnce sync.Once
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for i := range writers {
		lw, err := writer.Open(ctx, writer.Options{Store: store, Table: "tables/events", Clock: clk.Now})
		if err != nil {
			t.Fatal(err)
		}
		defer lw.Close(ctx)
		wg.Go(func() {
			p := fmt.Sprintf("writer%d", i)
			for j := range flushes {
				if j == flushes/2 {
					select {
					case <-compacted:
					case <-failed:
					}
				}
				if _, err := lw.Flush(ctx, ctBatch(p, int64(1+j*rowsPerFlush), rowsPerFlush)); err != nil {
					errs <- fmt.Errorf("%s flush %d: %w", p, j, err)
					return
				}
			}
		})
	}
	done := make(chan struct{})
	var mu sync.Mutex
	results := map[string]int{}
	var cwg sync.WaitGroup
	for range 2 {
		c, err := writer.NewCompactor(tbl, writer.CompactorOptions{Clock: clk.Now, MinBlocksToCompact: 4})
		if err != nil {
			t.Fatal(err)
		}
		cwg.Go(func() {
			for {
				select {
				case <-done:
					return
				default:
				}
				res, err := c.Compact(ctx)
				mu.Lock()
				switch {
				case err == nil && res.NewBlocks > 0:
					results["compacted"]++
					compactedOnce.Do(func() { close(compacted) })
				case err == nil:
					results["nothing to do"]++
				case errors.Is(err, manifest.ErrConflict):
					results["conflict"]++
				default:
					results["error: "+err.Error()]++
					failedOnce.Do(func() { close(failed) })
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	close(done)
	cwg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	t.Logf("compactions: %v", results)
	for k := range results {
		if strings.HasPrefix(k, "error") {
			t.Fatalf("compactions: %v", results)
		}
	}
	if results["compacted"] == 0 {
		t.Fatalf("no compaction ran beside the writers: %v", results)
	}
	var want []cdc.Entry
	for w := range writers {
		p := fmt.Sprintf("writer%d", w)
		for i := range flushes {
			want = append(want, ctBatch(p, int64(1+i*rowsPerFlush), rowsPerFlush)...)
		}
	}
	got := ctRowsOf(t, tbl, ctSnapshot(t, tbl))
	if len(got) != len(want) {
		t.Fatalf("%d rows in the table, %d written", len(got), len(want))
	}
	for i := range got {
		if got[i].Producer != want[i].Producer || got[i].LSN != want[i].LSN {
			t.Fatalf("row %d is %s/%d, want %s/%d", i, got[i].Producer, got[i].LSN, want[i].Producer, want[i].LSN)
		}
	}
	// Every version of the log reads.
	s := ctSnapshot(t, tbl)
	for v := range s.Version() + 1 {
		if _, err := tbl.SnapshotAt(ctx, v); err != nil {
			t.Fatalf("version %d: %v", v, err)
		}
	}
	ctCheckVacuum(t, tbl, clk, got)
}

// TestCompactS3Faults compacts on versitygw through the fault-injecting
// transport (reset reads, lost responses and throttling on puts), with
// the store's own retries off so that every fault reaches the compactor:
// failed compactions leave the table whole, a later one completes, and
// vacuum removes the orphans after the retention.
func TestCompactS3Faults(t *testing.T) {
	ctx := context.Background()
	clk := newCTClock()
	clean := s3Store(t, upload.S3Options{})
	tbl := ctNewTable(t, clean, clk)
	ctFill(t, tbl, "p1", 8)
	want := ctRowsOf(t, tbl, ctSnapshot(t, tbl))

	tr := &uploadtest.Transport{Seed: 3, Rules: []uploadtest.Rule{
		// The first block upload and the fourth read fail for sure.
		{Op: uploadtest.OpPutObject, Fault: uploadtest.Status503, Times: 1},
		{Op: uploadtest.OpGetObject, Fault: uploadtest.Reset, Skip: 3, Times: 1},
		{Op: uploadtest.OpGetObject, Fault: uploadtest.Reset, Rate: 0.02},
		{Op: uploadtest.OpPutObject, Fault: uploadtest.LostResponse, Rate: 0.15},
		{Op: uploadtest.OpPutObject, Fault: uploadtest.Status503, Rate: 0.1},
		{Op: uploadtest.OpListObjects, Fault: uploadtest.Status500, Rate: 0.02},
	}}
	faulty := s3Store(t, upload.S3Options{Bucket: clean.Bucket(), HTTPClient: tr.Client(), Retry: upload.RetryPolicy{MaxAttempts: 1}})
	c, err := writer.NewCompactor(ctOpen(t, faulty, clk), writer.CompactorOptions{Clock: clk.Now, MinBlocksToCompact: 2, TargetBlockSize: 2 * 1500})
	if err != nil {
		t.Fatal(err)
	}
	failures := 0
	for attempt := 0; ; attempt++ {
		if attempt == 100 {
			t.Fatalf("no compaction succeeded in 100 attempts")
		}
		res, err := c.Compact(ctx)
		if diff := cmp.Diff(want, ctRowsOf(t, tbl, ctSnapshot(t, tbl))); diff != "" {
			t.Fatalf("attempt %d (err %v): rows (-want +got):\n%s", attempt, err, diff)
		}
		if err != nil {
			failures++
			continue
		}
		if res.NewBlocks == 0 {
			t.Fatalf("attempt %d: nothing compacted: %+v", attempt, res)
		}
		break
	}
	inj := tr.Injected()
	t.Logf("%d failed compactions; faults injected %v", failures, inj)
	if failures < 2 {
		t.Fatalf("the faults did not bite: %d failures, injected %v", failures, inj)
	}
	ctCheckVacuum(t, tbl, clk, want)
}

// BenchmarkCompact merges 8 blocks of 20,000 rows each into one, on the
// memory and local stores; the throughput (MB/s) is the input blocks'
// bytes merged per second, json-MB/s the same rows as the JSON they were
// written from. Each iteration first puts the inputs back in the table (a small
// commit) so that there is something to compact.
func BenchmarkCompact(b *testing.B) {
	for _, sc := range storesNamed("memory", "local") {
		b.Run("store="+sc.name, func(b *testing.B) {
			ctx := context.Background()
			clk := newCTClock()
			tbl, err := manifest.Open(sc.new(b), "t", manifest.Options{Now: clk.Now})
			if err != nil {
				b.Fatal(err)
			}
			if _, err := tbl.Create(ctx, ctSchema, manifest.CreateOptions{}); err != nil {
				b.Fatal(err)
			}
			const blocks, rows = 8, 20000
			var jsonBytes int64
			for i := range blocks {
				es := ctBatch("p1", int64(1+i*rows), rows)
				for _, e := range es {
					jsonBytes += int64(len(e.Data))
				}
				if _, err := ctFlushRG(ctx, tbl, es, 0); err != nil {
					b.Fatal(err)
				}
			}
			s, err := tbl.Snapshot(ctx)
			if err != nil {
				b.Fatal(err)
			}
			inputs := s.Files()
			var total int64
			for _, f := range inputs {
				total += f.Size
			}
			c, err := writer.NewCompactor(tbl, writer.CompactorOptions{Clock: clk.Now})
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(total)
			b.ReportAllocs()
			var out int64
			for b.Loop() {
				s, err := tbl.Snapshot(ctx)
				if err != nil {
					b.Fatal(err)
				}
				if s.NumFiles() != len(inputs) {
					var actions []manifest.Action
					for _, f := range s.Files() {
						rm := f.Remove(clk.Now(), false)
						actions = append(actions, manifest.Action{Remove: &rm})
					}
					for _, f := range inputs {
						actions = append(actions, manifest.Action{Add: &f})
					}
					if _, err := tbl.Commit(ctx, s, actions, manifest.CommitOptions{}); err != nil {
						b.Fatal(err)
					}
				}
				res, err := c.Compact(ctx)
				if err != nil || res.CompactedBlocks != blocks {
					b.Fatalf("%+v, %v", res, err)
				}
				out = res.BytesWritten
			}
			b.ReportMetric(float64(blocks*rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
			b.ReportMetric(float64(jsonBytes)*float64(b.N)/b.Elapsed().Seconds()/1e6, "json-MB/s")
			b.ReportMetric(float64(out), "out-bytes")
		})
	}
}

// TestWriterCompactVacuum compacts and vacuums through a LakehouseWriter
// whose table gains columns from flush to flush, and keeps flushing after.
func TestWriterCompactVacuum(t *testing.T) {
	ctx := context.Background()
	clk := newCTClock()
	w, err := writer.Open(ctx, writer.Options{Store: upload.NewMemory(), Table: "t", Clock: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close(ctx)
	for i := range 9 {
		if _, err := w.Flush(ctx, ctBatch("p1", int64(1+10*i), 10)); err != nil {
			t.Fatal(err)
		}
	}
	tbl := w.Table()
	before := ctSnapshot(t, tbl)
	want := ctRowsOf(t, tbl, before)
	if st := w.Stats(); st.CompactionsPending != 1 {
		t.Fatalf("Stats().CompactionsPending = %d before compaction, want 1", st.CompactionsPending)
	}
	clk.Advance(time.Minute)
	res, err := w.Compact(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if res.CompactedBlocks != 9 || res.NewBlocks != 1 || res.Version != before.Version()+1 {
		t.Fatalf("Compact: %+v", res)
	}
	if st := w.Stats(); st.CompactionsPending != 0 || st.LastVersion != res.Version {
		t.Fatalf("Stats after compaction: pending %d, last version %d; want 0, %d", st.CompactionsPending, st.LastVersion, res.Version)
	}
	if diff := cmp.Diff(want, ctRowsOf(t, tbl, ctSnapshot(t, tbl))); diff != "" {
		t.Fatalf("rows after compaction (-before +after):\n%s", diff)
	}
	// Flushing goes on: a replayed batch is still a duplicate, a new one
	// lands beside the compacted block.
	if fr, err := w.Flush(ctx, ctBatch("p1", 81, 10)); err != nil || !fr.Duplicate {
		t.Fatalf("replayed batch after compaction: %+v, %v; want a duplicate", fr, err)
	}
	more := ctBatch("p1", 91, 10)
	if _, err := w.Flush(ctx, more); err != nil {
		t.Fatal(err)
	}
	want = ctRowsOf(t, tbl, ctSnapshot(t, tbl))
	if len(want) != 100 {
		t.Fatalf("%d rows, want 100", len(want))
	}
	if vr, err := w.Vacuum(ctx, time.Hour); err != nil || vr.Deleted != 0 {
		t.Fatalf("vacuum within the retention: %+v, %v", vr, err)
	}
	if _, err := w.Vacuum(ctx, time.Minute); err == nil {
		t.Fatal("vacuum with a one-minute retention was accepted")
	}
	clk.Advance(2 * time.Hour)
	vr, err := w.Vacuum(ctx, time.Hour)
	if err != nil || vr.Tombstoned != 9 || vr.Orphans != 0 {
		t.Fatalf("vacuum past the retention: %+v, %v; want the 9 inputs", vr, err)
	}
	s := ctSnapshot(t, tbl)
	if diff := cmp.Diff(ctActiveKeys(t, s), ctDataKeys(t, tbl), cmpSorted); diff != "" {
		t.Fatalf("files under data/ after vacuum (-active +files):\n%s", diff)
	}
	if diff := cmp.Diff(want, ctRowsOf(t, tbl, s)); diff != "" {
		t.Fatalf("rows after vacuum (-want +got):\n%s", diff)
	}
	if err := w.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Compact(ctx); !errors.Is(err, writer.ErrClosed) {
		t.Fatalf("Compact after Close: %v", err)
	}
}

// TestCompactMultipartS3 compacts blocks whose merged block (about 8 MB)
// is larger than one part on versitygw, through the transport that enforces R2's
// equal-part rule: the new block goes up as a streamed multipart upload.
func TestCompactMultipartS3(t *testing.T) {
	if testing.Short() {
		t.Skip("writes about 26 MB of blocks")
	}
	ctx := context.Background()
	clk := newCTClock()
	tr := &uploadtest.Transport{}
	store := s3Store(t, upload.S3Options{HTTPClient: tr.Client(),
		Multipart: upload.MultipartOptions{PartSize: upload.MinPartSize, Concurrency: 2}})
	tbl := ctNewTable(t, store, clk)
	// Rows of random text, which compresses little.
	var buf [100]byte
	for i := range 5 {
		es := ctBatch("p1", int64(1+i*16000), 16000)
		for j := range es {
			rand.Read(buf[:])
			es[j].Data = fmt.Appendf(nil, `{"id":%d,"name":"%x"}`, es[j].LSN, buf[:])
		}
		if _, err := ctFlushRG(ctx, tbl, es, 1<<20); err != nil {
			t.Fatal(err)
		}
	}
	want := ctRowsOf(t, tbl, ctSnapshot(t, tbl))
	before := store.Stats()
	c, err := writer.NewCompactor(tbl, writer.CompactorOptions{Clock: clk.Now, RowGroupBytes: 4 << 20})
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.Compact(ctx)
	if err != nil {
		t.Fatal(err)
	}
	parts := store.Stats().Parts - before.Parts
	t.Logf("%+v; %d parts", res, parts)
	if res.NewBlocks != 1 || res.BytesWritten <= upload.MinPartSize || parts < 2 {
		t.Fatalf("%+v, %d parts; want one block over %d bytes, in several parts", res, parts, upload.MinPartSize)
	}
	if diff := cmp.Diff(want, ctRowsOf(t, tbl, ctSnapshot(t, tbl))); diff != "" {
		t.Fatalf("rows after compaction (-before +after):\n%s", diff)
	}
}

// rangeStore records the ranged reads of a store.
type rangeStore struct {
	upload.Store
	mu     sync.Mutex
	ranges map[string][]int64 // key → lengths asked
}

func (r *rangeStore) GetRange(ctx context.Context, key string, off, n int64) ([]byte, error) {
	r.mu.Lock()
	r.ranges[key] = append(r.ranges[key], n)
	r.mu.Unlock()
	return r.Store.GetRange(ctx, key, off, n)
}

// TestCompactReadsInWindows checks that inputs larger than ReadWindow are
// read in ranged reads of the window (the footer excepted, read at once),
// never whole.
func TestCompactReadsInWindows(t *testing.T) {
	ctx := context.Background()
	clk := newCTClock()
	mem := upload.NewMemory()
	tbl := ctNewTable(t, mem, clk)
	for i := range 4 {
		if _, err := ctFlushRG(ctx, tbl, ctBatch("p1", int64(1+100*i), 100), 1500); err != nil {
			t.Fatal(err)
		}
	}
	want := ctRowsOf(t, tbl, ctSnapshot(t, tbl))
	const window = 2048
	rs := &rangeStore{Store: mem, ranges: map[string][]int64{}}
	c, err := writer.NewCompactor(ctOpen(t, rs, clk), writer.CompactorOptions{Clock: clk.Now, ReadWindow: window})
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.Compact(ctx)
	if err != nil || res.CompactedBlocks != 4 {
		t.Fatalf("%+v, %v", res, err)
	}
	inputs := 0
	for key, lens := range rs.ranges {
		if !strings.Contains(key, writer.DataDir) {
			continue
		}
		inputs++
		if len(lens) < 3 {
			t.Errorf("%s read in %d ranged reads %v; want several windows", key, len(lens), lens)
		}
		info, err := mem.Head(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		over := 0
		for _, n := range lens {
			if n >= info.Size {
				t.Errorf("%s (%d bytes) read whole", key, info.Size)
			}
			if n > window {
				over++
			}
		}
		// A read larger than the window is one asked for at once: the
		// footer, which holds the metadata of every row group.
		if over > 1 {
			t.Errorf("%s: ranged reads %v, %d beyond the %d-byte window", key, lens, over, window)
		}
	}
	if inputs != 4 {
		t.Fatalf("ranged reads of %d inputs, want 4: %v", inputs, rs.ranges)
	}
	if diff := cmp.Diff(want, ctRowsOf(t, tbl, ctSnapshot(t, tbl))); diff != "" {
		t.Fatalf("rows after compaction (-before +after):\n%s", diff)
	}
}

// TestCompactRemoveTimestampAtLandingAttempt: a compaction whose commit
// loses a race and lands on a later attempt dates its removes by the
// attempt that lands, so Vacuum keeps its inputs for the whole retention
// after the commit, not after the first attempt.
func TestCompactRemoveTimestampAtLandingAttempt(t *testing.T) {
	ctx := context.Background()
	const backoff = 10 * time.Minute // what the lost race costs on the clock
	clk := newCTClock()
	mem := upload.NewMemoryClock(clk.Now)
	tbl := ctNewTable(t, mem, clk)
	ctFill(t, tbl, "p1", 4)
	var once sync.Once
	fs := &faultStore{Store: mem, beforePut: func(key string) {
		if strings.Contains(key, manifest.LogDir) {
			// Another writer takes the version the compaction is about
			// to write; it does not touch the compaction's inputs.
			once.Do(func() { ctFill(t, tbl, "p2", 1) })
		}
	}}
	slow, err := manifest.Open(fs, "tables/events", manifest.Options{
		Now: clk.Now, MaxAttempts: 10, BaseDelay: time.Microsecond, MaxDelay: time.Millisecond,
		Sleep: func(context.Context, time.Duration) error { clk.Advance(backoff); return nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	c, err := writer.NewCompactor(slow, writer.CompactorOptions{Clock: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	start := clk.Now()
	res, err := c.Compact(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if res.CompactedBlocks != 4 {
		t.Fatalf("compaction: %+v; want the 4 blocks of p1 compacted", res)
	}
	landed := start.Add(backoff)
	if !clk.Now().Equal(landed) {
		t.Fatalf("the commit slept %v; want one lost race (%v)", clk.Now().Sub(start), backoff)
	}
	s := ctSnapshot(t, tbl)
	if s.Version() != res.Version || !s.Timestamp().Equal(landed) {
		t.Fatalf("latest version %d at %v; want the compaction's %d at %v", s.Version(), s.Timestamp(), res.Version, landed)
	}
	var got []time.Time
	for _, r := range s.Tombstones() {
		if r.DeletionTimestamp == nil {
			t.Fatalf("remove of %s has no deletionTimestamp", r.Path)
		}
		got = append(got, time.UnixMilli(*r.DeletionTimestamp).UTC())
	}
	want := []time.Time{landed, landed, landed, landed}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("deletionTimestamps (-the landing attempt +got):\n%s", diff)
	}
	// An hour after the first attempt but within an hour of the commit,
	// a vacuum keeps the inputs; after an hour from the commit it deletes
	// them.
	for _, tc := range []struct {
		at      time.Duration // after the landing commit
		deleted int
	}{
		{time.Hour - backoff/2, 0},
		{time.Hour + time.Second, 4},
	} {
		vr, err := writer.Vacuum(ctx, tbl, writer.VacuumOptions{Retention: time.Hour, Now: func() time.Time { return landed.Add(tc.at) }})
		if err != nil {
			t.Fatal(err)
		}
		if vr.Tombstoned != tc.deleted {
			t.Fatalf("vacuum %v after the commit: %+v; want %d retired inputs deleted", tc.at, vr, tc.deleted)
		}
	}
}
