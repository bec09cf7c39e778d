// Package lakehouse checks tables written by the LakehouseWriter with an
// independent reader: DuckDB resolves the active files from the Delta log
// (read_json over _delta_log: every add not removed) and reads them with
// read_parquet; row counts and checksums must equal what was written,
// before and after a compaction and after a vacuum.
package lakehouse

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	writer "github.com/evodb/writer"
	"github.com/evodb/writer/bench/duckdb"
	"github.com/evodb/writer/cdc"
)

func need(t testing.TB) {
	t.Helper()
	if err := duckdb.Available(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%v", err)
		}
		t.Skipf("%v", err)
	}
}

var t0 = time.Date(2026, 11, 26, 4, 0, 0, 0, time.UTC)

// row is the source of one entry, and what the checksums are made of.
type row struct {
	producer string
	lsn      int64
	id       int64
	name     *string
	amount   float64 // a multiple of 0.25: sums are exact
	tags     []string
	n        int64
	extra    *string
	commit   time.Time
	bad      bool // not JSON: the flush rejects the row
	rescued  bool // id sent as text: the id column is null, _rescued holds it
}

func (r *row) entry() cdc.Entry {
	e := cdc.Entry{Op: cdc.Insert, Table: "events", LSN: r.lsn, Producer: r.producer, CommitTime: r.commit}
	if r.bad {
		e.Data = []byte(`{"id": ` + fmt.Sprint(r.id) + `,`)
		return e
	}
	m := map[string]any{"id": r.id, "amount": r.amount, "tags": r.tags, "nested": map[string]any{"n": r.n}}
	if r.rescued {
		m["id"] = fmt.Sprintf("text %d", r.id)
	}
	if r.name != nil {
		m["name"] = *r.name
	}
	if r.extra != nil {
		m["extra"] = *r.extra
	}
	data, err := json.Marshal(m)
	if err != nil {
		panic(err)
	}
	e.Data = data
	return e
}

func makeRows(producer string, from, to int64, flush int) []row {
	var rs []row
	for lsn := from; lsn <= to; lsn++ {
		r := row{producer: producer, lsn: lsn, id: lsn * 3, amount: float64(lsn%400) + 0.25*float64(lsn%4),
			tags: []string{"a", "b", "c"}[:lsn%4], n: lsn % 97, commit: t0.Add(time.Duration(lsn) * time.Millisecond)}
		if lsn%11 != 0 {
			s := fmt.Sprintf("%s/%d", producer, lsn)
			r.name = &s
		}
		if flush >= 6 && lsn%2 == 0 { // a column that appears later
			s := fmt.Sprintf("x%d", lsn%13)
			r.extra = &s
		}
		r.bad = lsn%251 == 0
		r.rescued = flush == 11 && lsn%3 == 0 && !r.bad // only the last flush
		rs = append(rs, r)
	}
	return rs
}

// checksums are what the table must read back as, in DuckDB's text.
func checksums(rs []row) []string {
	sort.Slice(rs, func(i, j int) bool {
		if rs[i].producer != rs[j].producer {
			return rs[i].producer < rs[j].producer
		}
		return rs[i].lsn < rs[j].lsn
	})
	var count, lsns, ids, quarters, tags, ns, extras, rescued, commit int64
	var names []string
	for _, r := range rs {
		if r.bad {
			continue
		}
		count++
		lsns += r.lsn
		if r.rescued {
			rescued++
		} else {
			ids += r.id
		}
		quarters += int64(r.amount * 4)
		tags += int64(len(r.tags))
		ns += r.n
		if r.extra != nil {
			extras++
		}
		if r.name != nil {
			names = append(names, *r.name)
		}
		commit += r.commit.UnixMicro()
	}
	sum := md5.Sum([]byte(strings.Join(names, ",")))
	return []string{fmt.Sprint(count), fmt.Sprint(count), fmt.Sprint(lsns), fmt.Sprint(ids), fmt.Sprint(quarters),
		hex.EncodeToString(sum[:]), fmt.Sprint(tags), fmt.Sprint(ns), fmt.Sprint(extras), fmt.Sprint(rescued), fmt.Sprint(commit)}
}

const checksumSQL = `SELECT count(*)::VARCHAR AS c0, count(DISTINCT (_producer, _lsn))::VARCHAR AS c1,
	sum(_lsn)::VARCHAR AS c2, sum(id)::VARCHAR AS c3, (sum(amount) * 4)::BIGINT::VARCHAR AS c4,
	md5(string_agg(name, ',' ORDER BY _producer, _lsn)) AS c5, sum(len(tags))::VARCHAR AS c6,
	sum(nested.n)::VARCHAR AS c7, count(extra)::VARCHAR AS c8, count(_rescued)::VARCHAR AS c9,
	sum(epoch_us(_commit_ts))::VARCHAR AS c10
	FROM %s`

// duckdbFigures is what DuckDB reads from a table through its log.
type duckdbFigures struct {
	files []string // the active files, resolved from _delta_log alone
	// want are the checksums to compare with those of the rows written
	// (see checksums).
	want []string
	// columns has, for every column of the table, the count of its values
	// and an md5 of them in (producer, LSN) order: what must not change
	// when the files do.
	columns map[string]string
}

// readWithDuckDB resolves the active files of the table in dir from its
// log (every add.path not named by a remove) and reads them with
// read_parquet.
func readWithDuckDB(t *testing.T, dir string, columns []string) duckdbFigures {
	t.Helper()
	ctx := context.Background()
	logGlob := duckdb.Quote(filepath.Join(dir, "_delta_log", "*.json"))
	src := "read_json(" + logGlob + ", format = 'newline_delimited', columns = {'add': 'STRUCT(path VARCHAR)', 'remove': 'STRUCT(path VARCHAR)'})"
	out, err := duckdb.Run(ctx, 1, "SELECT p FROM (SELECT add.path AS p FROM "+src+" WHERE add IS NOT NULL EXCEPT SELECT remove.path FROM "+src+" WHERE remove IS NOT NULL) ORDER BY p")
	if err != nil {
		t.Fatal(err)
	}
	var fig duckdbFigures
	var quoted []string
	for _, r := range out.Results[0].Rows {
		p := fmt.Sprint(r["p"])
		fig.files = append(fig.files, p)
		quoted = append(quoted, duckdb.Quote(filepath.Join(dir, p)))
	}
	if len(fig.files) == 0 {
		t.Fatal("DuckDB found no active file in the log")
	}
	data := "read_parquet([" + strings.Join(quoted, ", ") + "], union_by_name = true)"
	out, err = duckdb.Run(ctx, 1, fmt.Sprintf(checksumSQL, data))
	if err != nil {
		t.Fatal(err)
	}
	r := out.Results[0].Rows[0]
	for i := range len(r) {
		fig.want = append(fig.want, fmt.Sprint(r[fmt.Sprintf("c%d", i)]))
	}
	aggs := []string{"count(*)::VARCHAR AS rows"}
	for i, c := range columns {
		aggs = append(aggs,
			fmt.Sprintf("count(%s)::VARCHAR AS c%d", duckdb.Ident(c), i),
			fmt.Sprintf("md5(string_agg(coalesce(%s::VARCHAR, '<null>'), chr(31) ORDER BY _producer, _lsn)) AS m%d", duckdb.Ident(c), i))
	}
	out, err = duckdb.Run(ctx, 1, "SELECT "+strings.Join(aggs, ", ")+" FROM "+data)
	if err != nil {
		t.Fatal(err)
	}
	fig.columns = map[string]string{}
	for k, v := range out.Results[0].Rows[0] {
		fig.columns[k] = fmt.Sprint(v)
	}
	return fig
}

// TestDuckDBReadsDeltaTable writes a table with a LakehouseWriter (three
// producers, a redelivered batch, rejected rows, a column added midway,
// rescued values in the last flush, batches cut into several blocks), has
// DuckDB read it through its log, compacts and vacuums it, and has DuckDB
// read it again: the rows written, column by column, from fewer files.
func TestDuckDBReadsDeltaTable(t *testing.T) {
	need(t)
	ctx := context.Background()
	dir := t.TempDir()
	now := time.Now()
	clock := func() time.Time { return now }
	w, err := writer.Open(ctx, writer.Options{URI: "file://" + dir, MaxBlockBytes: 16 << 10, TargetBlockBytes: 8 << 10,
		Compaction: writer.CompactorOptions{MinBlocksToCompact: 2}, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close(ctx)
	var written []row
	lsn := map[string]int64{}
	for f := range 12 {
		p := fmt.Sprintf("p%d", f%3)
		rs := makeRows(p, lsn[p]+1, lsn[p]+300, f)
		lsn[p] += 300
		var es []cdc.Entry
		bad, rescued := 0, 0
		for i := range rs {
			es = append(es, rs[i].entry())
			if rs[i].bad {
				bad++
			}
			if rs[i].rescued {
				rescued++
			}
		}
		if f == 7 {
			// A redelivery of the last 100 rows of the batch before it
			// for this producer: duplicates, written nowhere.
			prev := makeRows(p, lsn[p]-399, lsn[p]-300, f)
			for i := range prev {
				es = append(es, prev[i].entry())
			}
		}
		res, err := w.Flush(ctx, es)
		if err != nil {
			t.Fatal(err)
		}
		if f == 7 && res.Duplicates != 100 {
			t.Errorf("flush %d: %d duplicates, want 100", f, res.Duplicates)
		}
		if len(res.Rejected) != bad || res.Rescued != rescued {
			t.Errorf("flush %d: %d rejected, %d rescued; want %d, %d", f, len(res.Rejected), res.Rescued, bad, rescued)
		}
		written = append(written, rs...)
	}
	want := checksums(written)
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
	for _, c := range []string{"extra", "_rescued"} {
		if !slices.Contains(columns, c) {
			t.Fatalf("no column %s in the table's schema: %v", c, columns)
		}
	}
	before := readWithDuckDB(t, dir, columns)
	if len(before.files) != snap.NumFiles() {
		t.Errorf("DuckDB found %d active files, the log has %d", len(before.files), snap.NumFiles())
	}
	if diff := cmp.Diff(want, before.want); diff != "" {
		t.Errorf("checksums (-written +DuckDB):\n%s", diff)
	}

	// Compaction changes the files, not the rows.
	res, err := w.Compact(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if res.CompactedBlocks == 0 {
		t.Fatalf("nothing compacted: %+v", res)
	}
	after := readWithDuckDB(t, dir, columns)
	if n := len(before.files) - res.CompactedBlocks + res.NewBlocks; len(after.files) != n || n >= len(before.files) {
		t.Errorf("%d active files after compaction (%+v), %d before", len(after.files), res, len(before.files))
	}
	if diff := cmp.Diff(want, after.want); diff != "" {
		t.Errorf("checksums after compaction (-written +DuckDB):\n%s", diff)
	}
	if diff := cmp.Diff(before.columns, after.columns); diff != "" {
		t.Errorf("DuckDB's column figures after compaction (-before +after):\n%s", diff)
	}

	// Vacuum deletes the compacted inputs, past the retention, and
	// nothing the log still names.
	now = now.Add(writer.DefaultVacuumRetention + 24*time.Hour)
	vr, err := w.Vacuum(ctx, 0)
	if err != nil || vr.Deleted != res.CompactedBlocks {
		t.Fatalf("Vacuum: %+v, %v; want %d deleted", vr, err, res.CompactedBlocks)
	}
	again := readWithDuckDB(t, dir, columns)
	if diff := cmp.Diff(after.files, again.files); diff != "" {
		t.Errorf("active files after vacuum (-before +after):\n%s", diff)
	}
	if diff := cmp.Diff(want, again.want); diff != "" {
		t.Errorf("checksums after vacuum (-written +DuckDB):\n%s", diff)
	}
	if diff := cmp.Diff(before.columns, again.columns); diff != "" {
		t.Errorf("DuckDB's column figures after vacuum (-before +after):\n%s", diff)
	}
	t.Logf("%d rows in %d files, %d after compacting %d blocks, %d deleted by vacuum",
		len(written), len(before.files), len(after.files), res.CompactedBlocks, vr.Deleted)
}
