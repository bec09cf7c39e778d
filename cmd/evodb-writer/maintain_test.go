package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/evodb/writer/manifest"
	"github.com/evodb/writer/upload"
)

func dataFiles(t *testing.T, table string) int {
	t.Helper()
	ents, err := os.ReadDir(filepath.Join(table, "data"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".parquet") {
			n++
		}
	}
	return n
}

func TestCompactAndVacuum(t *testing.T) {
	dir := t.TempDir()
	table := filepath.Join(dir, "t")
	data := filepath.Join(dir, "o.jsonl")
	ok(t, runOpts{}, "gen", "--rows", "3000", "--out", data)
	ok(t, runOpts{}, "load", "--table", table, "--batch-rows", "500", data)
	if n := dataFiles(t, table); n != 6 {
		t.Fatalf("%d blocks after the load, want 6", n)
	}

	plan := func() inspectCompaction {
		t.Helper()
		var rep inspectReport
		if err := json.Unmarshal([]byte(ok(t, runOpts{}, "inspect", "--table", table, "--json").stdout), &rep); err != nil {
			t.Fatal(err)
		}
		if rep.Compaction == nil {
			t.Fatal("inspect --json has no compaction")
		}
		return *rep.Compaction
	}
	if p := plan(); p.SmallBlocks != 6 || p.Groups != 1 {
		t.Errorf("inspect before compact: %+v, want 6 small blocks into 1", p)
	}

	// Six small blocks become one.
	r := ok(t, runOpts{}, "compact", "--table", table, "--json")
	var res struct {
		Commits         int   `json:"commits"`
		CompactedBlocks int   `json:"compacted_blocks"`
		NewBlocks       int   `json:"new_blocks"`
		Rows            int64 `json:"rows"`
		BytesWritten    int64 `json:"bytes_written"`
		Version         int64 `json:"version"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &res); err != nil {
		t.Fatalf("compact --json %q: %v", r.stdout, err)
	}
	if res.Commits != 1 || res.CompactedBlocks != 6 || res.NewBlocks != 1 || res.Rows != 3000 || res.Version != 7 {
		t.Errorf("compact: %+v, want 6 blocks of 3000 rows into 1 at version 7", res)
	}
	snap := snapshotOf(t, table)
	files, rows, size := tableTotals(t, snap)
	if files != 1 || rows != 3000 || size != res.BytesWritten || len(snap.Tombstones()) != 6 {
		t.Errorf("after compact: %d files, %d rows, %d bytes, %d removed; want 1 file of 3000 rows, %d bytes, 6 removed",
			files, rows, size, len(snap.Tombstones()), res.BytesWritten)
	}
	if p := plan(); p.SmallBlocks != 0 || p.Groups != 0 {
		t.Errorf("inspect after compact: %+v, want nothing to merge", p)
	}
	r = ok(t, runOpts{}, "compact", "--table", table)
	if !strings.HasPrefix(r.stdout, "nothing to compact") {
		t.Errorf("second compact: %q", r.stdout)
	}

	// The removed blocks are kept for time travel within the retention.
	r = ok(t, runOpts{}, "vacuum", "--table", table, "--retention", "168h")
	if !strings.HasPrefix(r.stdout, "deleted 0 files") || dataFiles(t, table) != 7 {
		t.Errorf("vacuum within the retention: %q, %d files left", r.stdout, dataFiles(t, table))
	}
	r = evw(t, runOpts{}, "vacuum", "--table", table, "--retention", "0s")
	if r.code != 2 || !strings.Contains(r.stderr, "--allow-short-retention") {
		t.Errorf("short retention without the flag: exit %d, %q", r.code, r.stderr)
	}
	r = ok(t, runOpts{}, "vacuum", "--table", table, "--retention", "0s", "--allow-short-retention", "--dry-run")
	if strings.Count(r.stdout, "data/blk_") != 6 || !strings.Contains(r.stdout, "would delete 6 files") || dataFiles(t, table) != 7 {
		t.Errorf("dry run: %q, %d files left", r.stdout, dataFiles(t, table))
	}
	r = ok(t, runOpts{}, "vacuum", "--table", table, "--retention", "0s", "--allow-short-retention", "--json")
	var vac struct {
		Deleted    int
		Tombstoned int
		DryRun     bool `json:"dry_run"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &vac); err != nil {
		t.Fatal(err)
	}
	if vac.Deleted != 6 || vac.Tombstoned != 6 || vac.DryRun || dataFiles(t, table) != 1 {
		t.Errorf("vacuum: %+v, %d files left; want 6 retired files deleted, 1 left", vac, dataFiles(t, table))
	}
	// The table still reads whole.
	if _, rows, _ := tableTotals(t, snapshotOf(t, table)); rows != 3000 {
		t.Errorf("%d rows after vacuum, want 3000", rows)
	}
	// Errors: a missing table, a bad retention.
	for _, args := range [][]string{
		{"compact", "--table", filepath.Join(dir, "none")},
		{"vacuum", "--table", filepath.Join(dir, "none")},
	} {
		if r := evw(t, runOpts{}, args...); r.code != 1 || !strings.Contains(r.stderr, "no table at") {
			t.Errorf("%v: exit %d, %q", args, r.code, r.stderr)
		}
	}
	if r := evw(t, runOpts{}, "vacuum", "--table", table, "--retention", "a week"); r.code != 2 || !strings.Contains(r.stderr, "invalid duration") {
		t.Errorf("bad retention: exit %d, %q", r.code, r.stderr)
	}
	if r := evw(t, runOpts{}, "compact", "--table", table, "--target-size", "big"); r.code != 2 || !strings.Contains(r.stderr, "invalid size") {
		t.Errorf("bad target size: exit %d, %q", r.code, r.stderr)
	}
}

// TestVacuumTableRetention: without --retention, vacuum applies the
// table's delta.deletedFileRetentionDuration, also when it is shorter than
// a week (a fixed week would be refused as longer than the table keeps its
// tombstones), and says which retention it applied; an explicit retention
// above the table's is refused naming the property.
func TestVacuumTableRetention(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	table := filepath.Join(dir, "t")
	data := filepath.Join(dir, "o.jsonl")
	ok(t, runOpts{}, "gen", "--rows", "1000", "--out", data)
	ok(t, runOpts{}, "load", "--table", table, "--batch-rows", "500", data)

	store, err := upload.NewLocal(table)
	if err != nil {
		t.Fatal(err)
	}
	tbl, err := manifest.Open(store, "", manifest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	snap, err := tbl.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	meta := snap.Metadata()
	meta.Configuration = map[string]string{manifest.TombstoneRetentionProperty: "interval 2 hours"}
	if _, err := tbl.Commit(ctx, snap, []manifest.Action{{Metadata: &meta}}, manifest.CommitOptions{Operation: "SET TBLPROPERTIES"}); err != nil {
		t.Fatal(err)
	}

	r := ok(t, runOpts{}, "vacuum", "--table", table)
	if !strings.HasPrefix(r.stdout, "deleted 0 files") || !strings.Contains(r.stdout, "retention 2h0m0s") {
		t.Errorf("vacuum with the table's retention: %q", r.stdout)
	}
	var res struct{ Retention time.Duration }
	if err := json.Unmarshal([]byte(ok(t, runOpts{}, "vacuum", "--table", table, "--json").stdout), &res); err != nil {
		t.Fatal(err)
	}
	if res.Retention != 2*time.Hour {
		t.Errorf("vacuum --json: retention %v, want the table's 2h", res.Retention)
	}
	r = evw(t, runOpts{}, "vacuum", "--table", table, "--retention", "7d")
	if r.code != 1 || !strings.Contains(r.stderr, manifest.TombstoneRetentionProperty) {
		t.Errorf("retention above the table's: exit %d, %q", r.code, r.stderr)
	}
}
