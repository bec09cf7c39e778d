// Package lakehouse checks tables written by the LakehouseWriter with an
// independent reader: DuckDB resolves the active files from the Delta log
// (read_json over _delta_log: every add not removed) and reads them with
// read_parquet; row counts and checksums must equal what was written,
// before and after a compaction.
package lakehouse

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
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
	bad      bool
}

func (r *row) entry() cdc.Entry {
	e := cdc.Entry{Op: cdc.Insert, Table: "events", LSN: r.lsn, Producer: r.producer, CommitTime: r.commit}
	if r.bad {
		e.Data = []byte(`{"id": ` + fmt.Sprint(r.id) + `,`)
		return e
	}
	m := map[string]any{"id": r.id, "amount": r.amount, "tags": r.tags, "nested": map[string]any{"n": r.n}}
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
	var count, lsns, ids, quarters, tags, ns, extras, commit int64
	var names []string
	for _, r := range rs {
		if r.bad {
			continue
		}
		count++
		lsns += r.lsn
		ids += r.id
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
		hex.EncodeToString(sum[:]), fmt.Sprint(tags), fmt.Sprint(ns), fmt.Sprint(extras), fmt.Sprint(commit)}
}

const checksumSQL = `SELECT count(*)::VARCHAR AS c0, count(DISTINCT (_producer, _lsn))::VARCHAR AS c1,
	sum(_lsn)::VARCHAR AS c2, sum(id)::VARCHAR AS c3, (sum(amount) * 4)::BIGINT::VARCHAR AS c4,
	md5(string_agg(name, ',' ORDER BY _producer, _lsn)) AS c5, sum(len(tags))::VARCHAR AS c6,
	sum(nested.n)::VARCHAR AS c7, count(extra)::VARCHAR AS c8, sum(epoch_us(_commit_ts))::VARCHAR AS c9
	FROM read_parquet([%s], union_by_name = true)`

// readWithDuckDB resolves the active files of the table in dir from its
// log and returns them and the checksums of their rows.
func readWithDuckDB(t *testing.T, dir string) ([]string, []string) {
	t.Helper()
	ctx := context.Background()
	logGlob := duckdb.Quote(filepath.Join(dir, "_delta_log", "*.json"))
	src := "read_json(" + logGlob + ", format = 'newline_delimited', columns = {'add': 'STRUCT(path VARCHAR)', 'remove': 'STRUCT(path VARCHAR)'})"
	out, err := duckdb.Run(ctx, 1, "SELECT p FROM (SELECT add.path AS p FROM "+src+" WHERE add IS NOT NULL EXCEPT SELECT remove.path FROM "+src+" WHERE remove IS NOT NULL) ORDER BY p")
	if err != nil {
		t.Fatal(err)
	}
	var files, quoted []string
	for _, r := range out.Results[0].Rows {
		p := fmt.Sprint(r["p"])
		files = append(files, p)
		quoted = append(quoted, duckdb.Quote(filepath.Join(dir, p)))
	}
	if len(files) == 0 {
		t.Fatal("DuckDB found no active file in the log")
	}
	out, err = duckdb.Run(ctx, 1, fmt.Sprintf(checksumSQL, strings.Join(quoted, ", ")))
	if err != nil {
		t.Fatal(err)
	}
	r := out.Results[0].Rows[0]
	var got []string
	for i := range 10 {
		got = append(got, fmt.Sprint(r[fmt.Sprintf("c%d", i)]))
	}
	return files, got
}

func TestDuckDBReadsDeltaTable(t *testing.T) {
	need(t)
	ctx := context.Background()
	dir := t.TempDir()
	w, err := writer.Open(ctx, writer.Options{URI: "file://" + dir, MaxBlockBytes: 16 << 10, TargetBlockBytes: 8 << 10,
		Compaction: writer.CompactorOptions{MinBlocksToCompact: 2}})
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
		for i := range rs {
			es = append(es, rs[i].entry())
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
		written = append(written, rs...)
	}
	want := checksums(written)
	snap, err := w.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	files, got := readWithDuckDB(t, dir)
	if len(files) != snap.NumFiles() {
		t.Errorf("DuckDB found %d active files, the log has %d", len(files), snap.NumFiles())
	}
	if diff := cmp.Diff(want, got); diff != "" {
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
	after, got := readWithDuckDB(t, dir)
	if len(after) >= len(files) {
		t.Errorf("%d active files after compaction, %d before", len(after), len(files))
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("checksums after compaction (-written +DuckDB):\n%s", diff)
	}
	t.Logf("%d rows in %d files, %d after compacting %d blocks", len(written), len(files), len(after), res.CompactedBlocks)
}
