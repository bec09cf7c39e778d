package duckdb

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	writer "github.com/evodb/writer"
	"github.com/evodb/writer/bench/gen"
	"github.com/evodb/writer/upload"
	"github.com/google/go-cmp/cmp"
)

// deltaChecksums has DuckDB resolve the active files of the table in dir
// from its log (every add.path not named by a remove, read with
// read_ndjson_objects over _delta_log) and read them with read_parquet:
// the number of rows and, per column, the count of values and an md5 of
// the values in (producer, LSN) order. It returns those figures and the
// number of active files.
func deltaChecksums(t *testing.T, dir string, columns []string) (map[string]string, int) {
	t.Helper()
	log := Quote(filepath.Join(dir, "_delta_log", "*.json"))
	out, err := Run(context.Background(), 1,
		"SELECT p FROM (SELECT json_extract_string(json, '$.add.path') AS p FROM read_ndjson_objects("+log+") "+
			"EXCEPT SELECT json_extract_string(json, '$.remove.path') FROM read_ndjson_objects("+log+")) WHERE p IS NOT NULL ORDER BY p")
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, r := range out.Results[0].Rows {
		files = append(files, Quote(filepath.Join(dir, fmt.Sprint(r["p"]))))
	}
	if len(files) == 0 {
		t.Fatal("DuckDB finds no active file in the log")
	}
	src := "read_parquet([" + strings.Join(files, ", ") + "], union_by_name = true)"
	aggs := []string{"count(*)::VARCHAR AS rows"}
	for i, c := range columns {
		aggs = append(aggs,
			fmt.Sprintf("count(%s)::VARCHAR AS c%d", Ident(c), i),
			fmt.Sprintf("md5(string_agg(coalesce(%s::VARCHAR, '<null>'), chr(31) ORDER BY _producer, _lsn)) AS m%d", Ident(c), i))
	}
	out, err = Run(context.Background(), 1, "SELECT "+strings.Join(aggs, ", ")+" FROM "+src)
	if err != nil {
		t.Fatal(err)
	}
	sums := map[string]string{}
	for k, v := range out.Results[0].Rows[0] {
		sums[k] = fmt.Sprint(v)
	}
	return sums, len(files)
}

// TestDuckDBReadsTableAcrossCompaction writes a table with a
// LakehouseWriter, has DuckDB read it through its log, compacts and
// vacuums it, and has DuckDB read it again: the same rows, column by
// column, from fewer files. The last block adds a column and holds
// rescued values.
func TestDuckDBReadsTableAcrossCompaction(t *testing.T) {
	need(t)
	flushes, rows := 12, 400
	if testing.Short() {
		flushes, rows = 6, 200
	}
	ctx := context.Background()
	dir := t.TempDir()
	store, err := upload.NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	clock := func() time.Time { return now }
	w, err := writer.Open(ctx, writer.Options{Store: store, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close(ctx)
	g := gen.New(gen.Config{Seed: 5, Tables: []string{"orders"}})
	for range flushes - 1 {
		if _, err := w.Flush(ctx, g.Entries(nil, rows)); err != nil {
			t.Fatal(err)
		}
	}
	// The last block adds a column and rescues values that do not fit.
	last := g.Entries(nil, rows)
	for i := range last {
		if i%3 == 0 {
			last[i].Data = fmt.Appendf(nil, `{"order_id":"text %d","coupon":{"code":"C%d","pct":%d}}`, i, i, i%50)
		}
	}
	fr, err := w.Flush(ctx, last)
	if err != nil || fr.Rescued == 0 {
		t.Fatalf("last flush: %+v, %v; want rescued values", fr, err)
	}
	snap, err := w.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	schema, err := snap.Schema()
	if err != nil {
		t.Fatal(err)
	}
	var columns []string
	for _, f := range schema.Fields {
		columns = append(columns, f.Name)
	}
	before, files := deltaChecksums(t, dir, columns)
	if before["rows"] != fmt.Sprint(flushes*rows) || files != flushes {
		t.Fatalf("DuckDB reads %s rows from %d files; want %d from %d", before["rows"], files, flushes*rows, flushes)
	}
	res, err := w.Compact(ctx)
	if err != nil || res.CompactedBlocks != flushes || res.NewBlocks != 1 {
		t.Fatalf("Compact: %+v, %v", res, err)
	}
	after, files := deltaChecksums(t, dir, columns)
	if files != 1 {
		t.Fatalf("DuckDB finds %d active files after compaction, want 1", files)
	}
	if diff := cmp.Diff(before, after); diff != "" {
		t.Fatalf("DuckDB's figures after compaction (-before +after):\n%s", diff)
	}
	now = now.Add(8 * 24 * time.Hour)
	vr, err := w.Vacuum(ctx, 0)
	if err != nil || vr.Deleted != flushes {
		t.Fatalf("Vacuum: %+v, %v", vr, err)
	}
	again, _ := deltaChecksums(t, dir, columns)
	if diff := cmp.Diff(before, again); diff != "" {
		t.Fatalf("DuckDB's figures after vacuum (-before +after):\n%s", diff)
	}
	if !slices.Contains(columns, "coupon") || before[fmt.Sprintf("c%d", slices.Index(columns, "_rescued"))] == "0" {
		t.Errorf("want a column added by the last block and rescued values: columns %v, figures %v", columns, before)
	}
}
