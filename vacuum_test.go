package writer_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	writer "github.com/evodb/writer"
	"github.com/evodb/writer/manifest"
	"github.com/evodb/writer/upload"
	"github.com/google/go-cmp/cmp"
)

// TestVacuumRetention builds a table whose history spans hours (blocks
// flushed, compacted at +1h, an orphan written at the start, files outside
// data/) and vacuums it at several times: each run deletes exactly the
// retired and orphan files older than the retention, and every snapshot
// current within the retention still reads.
func TestVacuumRetention(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name      string
		now       time.Duration // after the compaction
		retention time.Duration
		tomb      int // retired inputs deleted
		orphans   int
	}{
		{"within the retention", 30 * time.Minute, time.Hour, 0, 1},
		{"just before", time.Hour - time.Second, time.Hour, 0, 1},
		{"retired an hour ago", time.Hour + time.Second, time.Hour, 4, 1},
		{"long retention", 10 * time.Hour, 24 * time.Hour, 0, 0},
		{"default retention, a day later", 24 * time.Hour, 0, 0, 0},
		{"default retention, 8 days later", 8 * 24 * time.Hour, 0, 4, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clk := newCTClock()
			mem := upload.NewMemoryClock(clk.Now) // the store's clock runs with the test's
			tbl := ctNewTable(t, mem, clk)
			store := tbl.Store()
			// An orphan (a flush that never committed) and files Vacuum must
			// never touch.
			if _, err := store.Put(ctx, "data/blk_orphan.parquet", []byte("not committed"), upload.PutOptions{}); err != nil {
				t.Fatal(err)
			}
			if _, err := store.Put(ctx, "notes/readme.txt", []byte("keep"), upload.PutOptions{}); err != nil {
				t.Fatal(err)
			}
			ctFill(t, tbl, "p1", 4)
			v4 := ctSnapshot(t, tbl)
			want := ctRowsOf(t, tbl, v4)
			clk.Advance(time.Hour)
			res := ctCompact(t, tbl, clk)
			if res.NewBlocks != 1 {
				t.Fatalf("compaction: %+v", res)
			}
			// The orphan is dated by the store's clock at the start, an
			// hour before the compaction.
			clk.Advance(tc.now)
			vr, err := writer.Vacuum(ctx, tbl, writer.VacuumOptions{Retention: tc.retention, Now: clk.Now})
			if err != nil {
				t.Fatal(err)
			}
			if vr.Tombstoned != tc.tomb || vr.Orphans != tc.orphans || vr.Deleted != tc.tomb+tc.orphans || vr.Version != res.Version {
				t.Fatalf("vacuum: %+v; want %d retired and %d orphans deleted at version %d", vr, tc.tomb, tc.orphans, res.Version)
			}
			if vr.Kept+vr.Deleted != 6 {
				t.Fatalf("vacuum: %+v; want 6 files considered", vr)
			}
			for _, k := range []string{manifest.CommitFile(0), manifest.CommitFile(res.Version), "notes/readme.txt", res.NewPaths[0]} {
				if _, err := store.Head(ctx, k); err != nil {
					t.Fatalf("%s: %v", k, err)
				}
			}
			if diff := cmp.Diff(want, ctRowsOf(t, tbl, ctSnapshot(t, tbl))); diff != "" {
				t.Fatalf("latest rows (-want +got):\n%s", diff)
			}
			// The snapshot before the compaction was current until the
			// compaction: it reads as long as that is within the retention.
			_, err = ctTryRows(tbl, v4)
			if tc.tomb == 0 && err != nil {
				t.Fatalf("the snapshot before the compaction no longer reads within the retention: %v", err)
			}
			if tc.tomb > 0 && !errors.Is(err, upload.ErrNotFound) {
				t.Fatalf("the snapshot before the compaction reads after its retention: %v", err)
			}
		})
	}
}

// TestVacuumRemoveWithoutTimestamp: a remove without deletionTimestamp
// (another writer's) counts as made at the latest commit.
func TestVacuumRemoveWithoutTimestamp(t *testing.T) {
	ctx := context.Background()
	clk := newCTClock()
	tbl := ctNewTable(t, upload.NewMemory(), clk)
	ctFill(t, tbl, "p1", 2)
	s := ctSnapshot(t, tbl)
	keys := ctActiveKeys(t, s)
	clk.Advance(time.Hour)
	if _, err := tbl.Commit(ctx, s, []manifest.Action{{Remove: &manifest.RemoveFile{Path: manifest.EncodePath(keys[0])}}}, manifest.CommitOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		now     time.Duration
		deleted []string
	}{
		{2*time.Hour - time.Second, nil},
		{2*time.Hour + time.Second, keys[:1]},
	} {
		vr, err := writer.Vacuum(ctx, tbl, writer.VacuumOptions{Retention: 2 * time.Hour, Now: clk.at(tc.now)})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tc.deleted, vr.Paths); diff != "" {
			t.Fatalf("at +%v: deleted (-want +got):\n%s", tc.now, diff)
		}
	}
}

// TestVacuumDeleteErrors: a file that cannot be deleted is named in the
// error, the others are deleted, and the next run deletes it.
func TestVacuumDeleteErrors(t *testing.T) {
	ctx := context.Background()
	clk := newCTClock()
	mem := upload.NewMemory()
	tbl := ctNewTable(t, mem, clk)
	ctFill(t, tbl, "p1", 4)
	want := ctRowsOf(t, tbl, ctSnapshot(t, tbl))
	ctCompact(t, tbl, clk)
	// Operations of a vacuum: List, then the snapshot's reads, then the
	// deletes; fail the second delete.
	probe := &faultStore{Store: mem}
	if _, err := writer.Vacuum(ctx, ctOpen(t, probe, clk), writer.VacuumOptions{Retention: time.Hour, Now: clk.at(30 * time.Minute)}); err != nil {
		t.Fatal(err)
	}
	fs := &faultStore{Store: mem, failAt: probe.ops + 2}
	vr, err := writer.Vacuum(ctx, ctOpen(t, fs, clk), writer.VacuumOptions{Retention: time.Hour, Now: clk.at(2 * time.Hour)})
	if !errors.Is(err, errInjected) || !strings.Contains(err.Error(), strings.TrimPrefix(fs.failed, "Delete tables/events/")) {
		t.Fatalf("vacuum with a failing delete: err = %v (failed %q)", err, fs.failed)
	}
	if vr.Deleted != 3 {
		t.Fatalf("vacuum with a failing delete: %+v; want the 3 other inputs deleted", vr)
	}
	vr, err = writer.Vacuum(ctx, tbl, writer.VacuumOptions{Retention: time.Hour, Now: clk.at(2 * time.Hour)})
	if err != nil || vr.Deleted != 1 || !slices.Contains(vr.Paths, strings.TrimPrefix(fs.failed, "Delete tables/events/")) {
		t.Fatalf("second vacuum: %+v, %v; want the file that failed (%s)", vr, err, fs.failed)
	}
	ctCheckVacuum(t, tbl, clk, want)
}

// TestVacuumOrphanClockSkew: orphans are aged on the store's clock, so
// however far the store's clock is from the vacuuming machine's, a block
// uploaded less than the retention ago (a commit in progress) is kept and
// one uploaded longer ago is deleted.
func TestVacuumOrphanClockSkew(t *testing.T) {
	ctx := context.Background()
	const retention = time.Hour
	for _, skew := range []time.Duration{-3 * time.Hour, -time.Hour - time.Second, 0, time.Hour + time.Second, 3 * time.Hour} {
		for _, tc := range []struct {
			elapsed time.Duration // since the upload
			deleted bool
		}{
			{0, false},
			{retention - time.Second, false},
			{retention + time.Second, true},
		} {
			t.Run(fmt.Sprintf("skew=%v/elapsed=%v", skew, tc.elapsed), func(t *testing.T) {
				clk := newCTClock() // the machine running Vacuum (and committing)
				mem := upload.NewMemoryClock(func() time.Time { return clk.Now().Add(skew) })
				tbl := ctNewTable(t, mem, clk)
				ctFill(t, tbl, "p1", 1)
				const key = "data/blk_uploaded_not_committed.parquet"
				if _, err := tbl.Store().Put(ctx, key, []byte("a block whose commit is in progress"), upload.PutOptions{}); err != nil {
					t.Fatal(err)
				}
				clk.Advance(tc.elapsed)
				vr, err := writer.Vacuum(ctx, tbl, writer.VacuumOptions{Retention: retention, Now: clk.Now})
				if err != nil {
					t.Fatal(err)
				}
				if want := clk.Now().Add(skew); !vr.StoreNow.Equal(want) {
					t.Fatalf("StoreNow %v, want the store's clock %v", vr.StoreNow, want)
				}
				var want []string
				if tc.deleted {
					want = []string{key}
				}
				if diff := cmp.Diff(want, vr.Paths); diff != "" {
					t.Fatalf("deleted (-want +got):\n%s", diff)
				}
				_, err = tbl.Store().Head(ctx, key)
				if gone := errors.Is(err, upload.ErrNotFound); gone != tc.deleted || (err != nil && !gone) {
					t.Fatalf("after the vacuum, Head(%s): %v; want deleted=%v", key, err, tc.deleted)
				}
			})
		}
	}
}

// TestVacuumTombstoneRetention: Vacuum's default retention is the table's
// delta.deletedFileRetentionDuration, it refuses a longer one, and once a
// checkpoint has dropped the expired tombstones the retired files are
// deleted as orphans, no earlier than their tombstones allowed.
func TestVacuumTombstoneRetention(t *testing.T) {
	ctx := context.Background()
	clk := newCTClock()
	mem := upload.NewMemoryClock(clk.Now)
	tbl := ctOpen(t, mem, clk)
	if _, err := tbl.Create(ctx, ctSchema, manifest.CreateOptions{Name: "events",
		Configuration: map[string]string{manifest.TombstoneRetentionProperty: "interval 2 hours"}}); err != nil {
		t.Fatal(err)
	}
	ctFill(t, tbl, "p1", 4)
	clk.Advance(time.Hour)
	res := ctCompact(t, tbl, clk) // retires the 4 blocks at t0+1h
	if res.CompactedBlocks != 4 {
		t.Fatalf("compaction: %+v", res)
	}
	want := ctRowsOf(t, tbl, ctSnapshot(t, tbl))
	if _, err := writer.Vacuum(ctx, tbl, writer.VacuumOptions{Retention: 3 * time.Hour, Now: clk.Now}); err == nil || !strings.Contains(err.Error(), manifest.TombstoneRetentionProperty) {
		t.Fatalf("vacuum with a retention beyond the table's: %v; want an error naming %s", err, manifest.TombstoneRetentionProperty)
	}
	// The default retention is the table's two hours: 90 minutes after
	// the compaction the inputs stay.
	clk.Advance(90 * time.Minute)
	vr, err := writer.Vacuum(ctx, tbl, writer.VacuumOptions{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	if vr.Deleted != 0 {
		t.Fatalf("vacuum 90 minutes after the compaction, retention 2h: deleted %v", vr.Paths)
	}
	// A checkpoint past the tombstones' expiry leaves them out.
	clk.Advance(90 * time.Minute) // t0+4h: the removes are 3h old, past the 2h
	if err := tbl.Checkpoint(ctx, ctSnapshot(t, tbl)); err != nil {
		t.Fatal(err)
	}
	fresh := ctOpen(t, mem, clk)
	s := ctSnapshot(t, fresh)
	if n := len(s.Tombstones()); n != 0 {
		t.Fatalf("snapshot from the checkpoint has %d tombstones; want the 4 expired ones gone", n)
	}
	vr, err = writer.Vacuum(ctx, fresh, writer.VacuumOptions{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	if vr.Orphans != 4 || vr.Deleted != 4 {
		t.Fatalf("vacuum after the tombstones expired: %+v; want the 4 retired blocks deleted as orphans", vr)
	}
	ctCheckVacuum(t, fresh, clk, want)
}

// TestVacuumRetentionLoweredThenRaised: the table's tombstone retention
// is lowered, a checkpoint written under it drops the tombstones of a
// compaction's inputs, and the retention is raised again (with a second
// checkpoint, built on the first, under the raised one). The inputs are
// then unknown to the latest snapshot and were written long ago, yet the
// snapshot before the compaction was current within the raised
// retention: Vacuum must keep them until the compaction is older than
// it, then delete them.
func TestVacuumRetentionLoweredThenRaised(t *testing.T) {
	const (
		high = 48 * time.Hour
		low  = time.Hour
	)
	setRetention := func(t *testing.T, tbl *manifest.Table, interval string) {
		t.Helper()
		snap := ctSnapshot(t, tbl)
		meta := snap.Metadata()
		meta.Configuration = map[string]string{manifest.TombstoneRetentionProperty: interval}
		if _, err := tbl.Commit(context.Background(), snap, []manifest.Action{{Metadata: &meta}}, manifest.CommitOptions{Operation: "SET TBLPROPERTIES"}); err != nil {
			t.Fatal(err)
		}
	}
	for _, sc := range storesNamed("memory", "local", "versitygw") {
		t.Run(sc.name, func(t *testing.T) {
			ctx := context.Background()
			clk := newCTClock()
			start := clk.Now()
			tbl := ctOpen(t, sc.new(t), clk)
			if _, err := tbl.Create(ctx, ctSchema, manifest.CreateOptions{Name: "events",
				Configuration: map[string]string{manifest.TombstoneRetentionProperty: "interval 48 hours"}}); err != nil {
				t.Fatal(err)
			}
			// The blocks are written now, on the store's clock; the rest
			// happens days later on the test's clock, which vacuums on a
			// store whose clock is moved on by as much (laterTable).
			ctFill(t, tbl, "p1", 4)
			before := ctSnapshot(t, tbl)
			want := ctRowsOf(t, tbl, before)
			inputs := ctActiveKeys(t, before)
			clk.Advance(3 * 24 * time.Hour)
			compacted := clk.Now()
			if res := ctCompact(t, tbl, clk); res.CompactedBlocks != 4 {
				t.Fatalf("compaction: %+v", res)
			}
			setRetention(t, tbl, "interval 1 hour")
			clk.Advance(2 * low)
			if err := tbl.Checkpoint(ctx, ctSnapshot(t, tbl)); err != nil {
				t.Fatal(err)
			}
			setRetention(t, tbl, "interval 48 hours")
			clk.Advance(time.Minute)
			if err := tbl.Checkpoint(ctx, ctSnapshot(t, tbl)); err != nil {
				t.Fatal(err)
			}
			fresh, err := manifest.Open(tbl.Store(), "", manifest.Options{Now: clk.Now})
			if err != nil {
				t.Fatal(err)
			}
			latest := ctSnapshot(t, fresh)
			if n := len(latest.Tombstones()); n != 0 {
				t.Fatalf("the latest snapshot has %d tombstones; want the checkpoint under the 1 hour retention to have dropped all 4", n)
			}
			if got, want := latest.TombstonesExpiredBefore(), compacted.Add(2*low-low); !got.Equal(want) {
				t.Fatalf("TombstonesExpiredBefore = %v; want the first checkpoint's expiry %v, carried over by the second", got, want)
			}

			for _, tc := range []struct {
				since   time.Duration // after the compaction
				deleted []string
			}{
				{2*low + 2*time.Minute, nil},
				{high - time.Minute, nil},
				{high + time.Minute, inputs},
			} {
				at := compacted.Add(tc.since)
				vr, err := writer.Vacuum(ctx, laterTable(t, tbl, clk, at.Sub(start)), writer.VacuumOptions{Now: func() time.Time { return at }})
				if err != nil {
					t.Fatal(err)
				}
				if vr.Retention != high {
					t.Fatalf("vacuum at +%v: retention %v; want the raised %v", tc.since, vr.Retention, high)
				}
				if diff := cmp.Diff(tc.deleted, vr.Paths, cmpSorted); diff != "" {
					t.Fatalf("vacuum %v after the compaction: deleted (-want +got):\n%s", tc.since, diff)
				}
				// The snapshot before the compaction reads while it was
				// current within the retention, and not after.
				_, err = ctTryRows(tbl, before)
				if tc.deleted == nil && err != nil {
					t.Fatalf("vacuum %v after the compaction: the snapshot before it no longer reads: %v", tc.since, err)
				}
				if tc.deleted != nil && !errors.Is(err, upload.ErrNotFound) {
					t.Fatalf("vacuum %v after the compaction: the snapshot before it still reads: %v", tc.since, err)
				}
			}
			if diff := cmp.Diff(want, ctRowsOf(t, tbl, ctSnapshot(t, tbl))); diff != "" {
				t.Fatalf("latest rows (-want +got):\n%s", diff)
			}
		})
	}
}
