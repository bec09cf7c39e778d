package duckdb

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/evodb/writer/bench/gen"
	"github.com/evodb/writer/cdc"
	"github.com/evodb/writer/engine"
	"github.com/evodb/writer/engine/parquet"
	"github.com/google/go-cmp/cmp"
)

// need skips the test when DuckDB is not installed, except in CI, where it
// must be.
func need(t testing.TB) {
	t.Helper()
	if err := Available(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%v", err)
		}
		t.Skipf("%v", err)
	}
}

// spec is one checksummed column: a leaf outside lists, or a list.
type spec struct {
	path []string
	kind string // int, ts, double, string, bool, list, json
}

func specs(n *parquet.Node, prefix []string, dst []spec) []spec {
	for _, c := range n.Children {
		p := append(prefix[:len(prefix):len(prefix)], c.Name)
		switch {
		case c.Logical == parquet.List:
			dst = append(dst, spec{p, "list"})
		case !c.IsLeaf():
			dst = specs(c, p, dst)
		case c.Logical == parquet.TimestampMicros:
			dst = append(dst, spec{p, "ts"})
		case c.Logical == parquet.JSON:
			dst = append(dst, spec{p, "json"})
		case c.Type == parquet.Int64:
			dst = append(dst, spec{p, "int"})
		case c.Type == parquet.Double:
			dst = append(dst, spec{p, "double"})
		case c.Type == parquet.Boolean:
			dst = append(dst, spec{p, "bool"})
		default:
			dst = append(dst, spec{p, "string"})
		}
	}
	return dst
}

func (s spec) sql() string {
	e := Ident(s.path[0])
	for _, p := range s.path[1:] {
		e = fmt.Sprintf("struct_extract(%s, %s)", e, Quote(p))
	}
	return e
}

// inputRow is an entry's row with the metadata columns, numbers as int64
// or float64, nulls dropped and times in one canonical form.
func inputRow(t *testing.T, e *cdc.Entry) map[string]any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(e.Data))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatal(err)
	}
	m = canon(m).(map[string]any)
	m["_op"] = e.Op.String()
	m["_lsn"] = e.LSN
	m["_producer"] = e.Producer
	m["_commit_ts"] = canonTime(e.CommitTime)
	return m
}

func canonTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.999999Z07:00") }

func canon(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if e == nil {
				delete(x, k)
				continue
			}
			x[k] = canon(e)
		}
		return x
	case []any:
		for i, e := range x {
			x[i] = canon(e)
		}
		return x
	case json.Number:
		if i, err := strconv.ParseInt(string(x), 10, 64); err == nil && !strings.ContainsAny(string(x), ".eE") {
			return i
		}
		f, _ := strconv.ParseFloat(string(x), 64)
		return f
	case string:
		if tm, err := time.Parse(time.RFC3339Nano, x); err == nil {
			return canonTime(tm)
		}
	}
	return v
}

// fromDuckDB converts a value DuckDB returned for schema node n into the
// form of inputRow.
func fromDuckDB(t *testing.T, n *parquet.Node, v any) any {
	t.Helper()
	if v == nil {
		return nil
	}
	switch {
	case n.Logical == parquet.List:
		el := n.Children[0].Children[0]
		out := []any{}
		for _, e := range v.([]any) {
			out = append(out, fromDuckDB(t, el, e))
		}
		return out
	case !n.IsLeaf():
		m := map[string]any{}
		obj := v.(map[string]any)
		for _, c := range n.Children {
			if cv := fromDuckDB(t, c, obj[c.Name]); cv != nil {
				m[c.Name] = cv
			}
		}
		return m
	case n.Logical == parquet.TimestampMicros:
		tm, err := time.Parse("2006-01-02 15:04:05.999999-07", v.(string))
		if err != nil {
			t.Fatalf("DuckDB timestamp %q: %v", v, err)
		}
		return canonTime(tm)
	case n.Type == parquet.Int64:
		i, err := strconv.ParseInt(fmt.Sprint(v), 10, 64)
		if err != nil {
			t.Fatalf("DuckDB BIGINT %v: %v", v, err)
		}
		return i
	case n.Type == parquet.Double:
		f, err := strconv.ParseFloat(fmt.Sprint(v), 64)
		if err != nil {
			t.Fatalf("DuckDB DOUBLE %v: %v", v, err)
		}
		return f
	}
	return canon(v)
}

// lookup returns the value at path in row, or nil.
func lookup(row map[string]any, path []string) any {
	var cur any = row
	for _, p := range path {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[p]
	}
	return cur
}

// expected computes, from the input rows in LSN order, what the checksum
// query should return for s: the count and the checksum as text.
func expected(t *testing.T, rows []map[string]any, s spec) (count int, sum string, fsum float64) {
	t.Helper()
	total := new(big.Int)
	var strs []string
	for _, r := range rows {
		v := lookup(r, s.path)
		if v == nil {
			continue
		}
		count++
		switch s.kind {
		case "int":
			total.Add(total, big.NewInt(v.(int64)))
		case "ts":
			tm, err := time.Parse(time.RFC3339Nano, v.(string))
			if err != nil {
				t.Fatal(err)
			}
			total.Add(total, big.NewInt(tm.UnixMicro()))
		case "double":
			switch x := v.(type) {
			case float64:
				fsum += x
			case int64:
				fsum += float64(x)
			}
		case "bool":
			if v.(bool) {
				total.Add(total, big.NewInt(1))
			}
		case "list":
			total.Add(total, big.NewInt(int64(len(v.([]any)))))
		case "string":
			strs = append(strs, v.(string))
		}
	}
	switch s.kind {
	case "string":
		if count > 0 {
			h := md5.Sum([]byte(strings.Join(strs, "\x1f")))
			sum = hex.EncodeToString(h[:])
		}
	case "double", "json":
	default:
		if count > 0 {
			sum = total.String()
		}
	}
	return count, sum, fsum
}

func TestDuckDBReadsOurBlocks(t *testing.T) {
	need(t)
	n := 20000
	if testing.Short() {
		n = 4000
	}
	dir := t.TempDir()
	for _, opts := range []struct {
		name string
		o    engine.BlockOptions
	}{
		{"zstd", engine.BlockOptions{RowGroupBytes: 1 << 20}},
		// zstd levels 1 and 2 compress pages below 64 KiB with the
		// project's own encoder (internal/zstdenc): small pages send all
		// of them through it
		{"zstd1-small-pages", engine.BlockOptions{RowGroupBytes: 300 << 10,
			Parquet: parquet.WriterOptions{Compression: parquet.Zstd, ZstdLevel: 1, PageSize: 16 << 10}}},
		{"zstd2-v2-small-pages", engine.BlockOptions{RowGroupBytes: 300 << 10,
			Parquet: parquet.WriterOptions{Compression: parquet.Zstd, ZstdLevel: 2, DataPageV2: true, PageSize: 48 << 10}}},
		{"snappy-v2-small-pages", engine.BlockOptions{RowGroupBytes: 300 << 10,
			Parquet: parquet.WriterOptions{Compression: parquet.Snappy, DataPageV2: true, PageSize: 8 << 10}}},
	} {
		for ti, table := range gen.Tables {
			t.Run(opts.name+"/"+table, func(t *testing.T) {
				es := gen.New(gen.Config{Seed: uint64(10 + ti), Tables: []string{table}}).Entries(nil, n)
				bw, err := engine.NewBlockWriter(opts.o)
				if err != nil {
					t.Fatal(err)
				}
				path := filepath.Join(dir, opts.name+"-"+table+".parquet")
				f, err := os.Create(path)
				if err != nil {
					t.Fatal(err)
				}
				info, err := bw.WriteBlock(context.Background(), f, es)
				if err != nil {
					t.Fatal(err)
				}
				if err := f.Close(); err != nil {
					t.Fatal(err)
				}
				if len(info.Errors) != 0 || info.Stats.Rescued != 0 || info.Rows != int64(n) {
					t.Fatalf("block: %d rows, errors %v, %d rescued", info.Rows, info.Errors, info.Stats.Rescued)
				}
				schema := info.Schema
				rows := make([]map[string]any, len(es))
				for i := range es {
					rows[i] = inputRow(t, &es[i])
				}
				checkWithDuckDB(t, path, schema, rows)
			})
		}
	}
}

func checkWithDuckDB(t *testing.T, path string, schema *parquet.Node, rows []map[string]any) {
	t.Helper()
	src := "read_parquet(" + Quote(path) + ")"
	ss := specs(schema, nil, nil)
	var aggs []string
	for i, s := range ss {
		e := s.sql()
		agg := map[string]string{
			"int":    "sum(%s)::VARCHAR",
			"ts":     "sum(epoch_us(%s))::VARCHAR",
			"double": "sum(%s)",
			"bool":   "count_if(%s)::VARCHAR",
			"list":   "sum(len(%s))::VARCHAR",
			"string": "md5(string_agg(%s, chr(31) ORDER BY _lsn))",
			"json":   "count(%s)",
		}[s.kind]
		aggs = append(aggs, fmt.Sprintf("count(%s) AS c%d", e, i), fmt.Sprintf(agg+" AS s%d", e, i))
	}
	// A sample of rows: the first, the last and every 97th.
	var lsns []string
	byLSN := map[int64]map[string]any{}
	for i, r := range rows {
		if i == 0 || i == len(rows)-1 || i%97 == 0 {
			lsns = append(lsns, strconv.FormatInt(r["_lsn"].(int64), 10))
			byLSN[r["_lsn"].(int64)] = r
		}
	}
	out, err := Run(context.Background(), 1,
		"SELECT count(*) AS n FROM "+src,
		"SELECT "+strings.Join(aggs, ", ")+" FROM "+src,
		"SELECT * FROM "+src+" WHERE _lsn IN ("+strings.Join(lsns, ",")+") ORDER BY _lsn",
	)
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(out.Results[0].Rows[0]["n"]); got != strconv.Itoa(len(rows)) {
		t.Fatalf("DuckDB counts %s rows, want %d", got, len(rows))
	}
	sums := out.Results[1].Rows[0]
	for i, s := range ss {
		count, sum, fsum := expected(t, rows, s)
		if got := fmt.Sprint(sums[fmt.Sprintf("c%d", i)]); got != strconv.Itoa(count) {
			t.Errorf("column %v: DuckDB counts %s values, want %d", s.path, got, count)
		}
		got := sums[fmt.Sprintf("s%d", i)]
		switch s.kind {
		case "double":
			g, _ := strconv.ParseFloat(fmt.Sprint(got), 64)
			if count > 0 && math.Abs(g-fsum) > 1e-9*math.Max(1, math.Abs(fsum)) {
				t.Errorf("column %v: DuckDB sums %v, want %v", s.path, g, fsum)
			}
		case "json":
			if fmt.Sprint(got) != "0" {
				t.Errorf("column %v: %v rescued values, want none", s.path, got)
			}
		default:
			if got == nil {
				got = ""
			}
			if fmt.Sprint(got) != sum {
				t.Errorf("column %v (%s): DuckDB checksum %v, want %s", s.path, s.kind, got, sum)
			}
		}
	}
	sample := out.Results[2].Rows
	if len(sample) != len(byLSN) {
		t.Fatalf("DuckDB returned %d sample rows, want %d", len(sample), len(byLSN))
	}
	root := &parquet.Node{Children: schema.Children}
	for _, r := range sample {
		got := fromDuckDB(t, root, r).(map[string]any)
		want := byLSN[got["_lsn"].(int64)]
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("row with LSN %v as DuckDB reads it (-input +DuckDB):\n%s", got["_lsn"], diff)
		}
	}
}
