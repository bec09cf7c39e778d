package duckdb

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/evodb/writer/bench/internal/pqcheck"
	"github.com/evodb/writer/cdc"
	"github.com/evodb/writer/engine"
)

type typedItem struct {
	SKU   string  `parquet:"sku"`
	Qty   int64   `parquet:"qty"`
	Price float64 `parquet:"price"`
}

type typedRow struct {
	OrderID  int64       `parquet:"order_id"`
	Amount   *float64    `parquet:"amount"`
	Status   *string     `parquet:"status"`
	PlacedAt time.Time   `parquet:"placed_at,timestamp(microsecond)"`
	Items    []typedItem `parquet:"items"`
}

// TestTypedRowsDuckDB reads a block engine.TypedWriter wrote with DuckDB
// and compares the row count, aggregates of every column and a sample of
// rows with the values written.
func TestTypedRowsDuckDB(t *testing.T) {
	need(t)
	const n = 2000
	base := time.Date(2026, 11, 26, 6, 0, 0, 0, time.UTC)
	rows := make([]typedRow, n)
	var sumAmount float64
	var sumQty, amounts, statuses, items, nullLists int64
	for i := range rows {
		r := typedRow{OrderID: int64(i + 1), PlacedAt: base.Add(time.Duration(i) * time.Second)}
		if i%7 != 0 {
			a := float64(i%500) + 0.25
			r.Amount = &a
			sumAmount += a
			amounts++
		}
		if i%5 != 0 {
			s := []string{"new", "paid", "shipped"}[i%3]
			r.Status = &s
			statuses++
		}
		switch i % 4 {
		case 0:
			nullLists++
		case 1:
			r.Items = []typedItem{}
		default:
			for k := range i % 4 {
				r.Items = append(r.Items, typedItem{SKU: fmt.Sprintf("SKU-%d", k), Qty: int64(k + 1), Price: 1.5})
				sumQty += int64(k + 1)
				items++
			}
		}
		rows[i] = r
	}
	// Row groups of 300 rows, held until the block is written or streamed
	// as they are encoded (TypedWriter.Stream); and row groups cut by a
	// memory budget too (encoded while the rows are appended, held until
	// the block is written).
	for name, opts := range map[string]engine.TypedOptions{
		"row-groups-of-300":          {RowGroupRows: 300},
		"row-groups-of-300-streamed": {RowGroupRows: 300},
		"row-group-memory":           {RowGroupRows: 300, RowGroupMemory: 16 << 10},
		// one row group in pieces, whose unique columns' first
		// dictionaries fall back
		"row-group-memory-pieces": {RowGroupMemory: 16 << 10},
	} {
		t.Run(name, func(t *testing.T) {
			w, err := engine.NewTypedWriter[typedRow](opts)
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			dst := io.Writer(&buf)
			if strings.HasSuffix(name, "-streamed") {
				if err := w.Stream(&buf); err != nil {
					t.Fatal(err)
				}
				dst = nil
			}
			if err := w.AppendBatch(engine.Meta{Op: cdc.Insert, LSN: 42, Producer: "typed", CommitTime: base}, rows); err != nil {
				t.Fatal(err)
			}
			if dst == nil && buf.Len() == 0 {
				t.Fatal("nothing streamed while the rows were appended")
			}
			if _, err := w.WriteBlock(context.Background(), dst); err != nil {
				t.Fatal(err)
			}
			if opts.RowGroupMemory > 0 && opts.RowGroupRows == 0 {
				if ok, err := pqcheck.HasMixedChunk(buf.Bytes()); err != nil || !ok {
					t.Fatalf("no column chunk has dictionary pages and others (%v): DuckDB is not shown one", err)
				}
			}
			path := filepath.Join(t.TempDir(), "typed.parquet")
			if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			src := "read_parquet(" + Quote(path) + ")"
			out, err := Run(context.Background(), 1,
				`SELECT count(*) AS n, count(amount) AS amounts, sum(amount) AS sum_amount, count(status) AS statuses,
					count(*) FILTER (WHERE items IS NULL) AS null_lists,
					sum(len(items)) AS items, sum(list_sum(list_transform(items, x -> x.qty))) AS sum_qty,
					min(placed_at)::VARCHAR AS first_at, max(order_id) AS max_id,
					count(DISTINCT _op) AS ops, min(_lsn) AS lsn, min(_producer) AS producer, min(_commit_ts)::VARCHAR AS commit_ts
				 FROM `+src,
				`SELECT order_id, amount, status, placed_at::VARCHAR AS placed_at, to_json(items)::VARCHAR AS items
				 FROM `+src+` WHERE order_id IN (1, 2, 3, 4, 1999) ORDER BY order_id`)
			if err != nil {
				t.Fatal(err)
			}
			agg := out.Results[0].Rows[0]
			num := func(k string) string { return fmt.Sprint(agg[k]) }
			got := map[string]string{
				"n": num("n"), "amounts": num("amounts"), "sum_amount": num("sum_amount"), "statuses": num("statuses"),
				"null_lists": num("null_lists"), "items": num("items"), "sum_qty": num("sum_qty"), "first_at": num("first_at"),
				"max_id": num("max_id"), "ops": num("ops"), "lsn": num("lsn"), "producer": num("producer"), "commit_ts": num("commit_ts"),
			}
			want := map[string]string{
				"n": fmt.Sprint(n), "amounts": fmt.Sprint(amounts), "sum_amount": fmt.Sprint(sumAmount), "statuses": fmt.Sprint(statuses),
				"null_lists": fmt.Sprint(nullLists), "items": fmt.Sprint(items), "sum_qty": fmt.Sprint(sumQty),
				"first_at": "2026-11-26 06:00:00+00", "max_id": fmt.Sprint(n), "ops": "1", "lsn": "42", "producer": "typed",
				"commit_ts": "2026-11-26 06:00:00+00",
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("DuckDB aggregates (-written +DuckDB):\n%s", diff)
			}
			var sample []string
			for _, r := range out.Results[1].Rows {
				b, err := json.Marshal(r)
				if err != nil {
					t.Fatal(err)
				}
				sample = append(sample, string(b))
			}
			wantSample := []string{
				`{"amount":null,"items":null,"order_id":"1","placed_at":"2026-11-26 06:00:00+00","status":null}`,
				`{"amount":1.25,"items":"[]","order_id":"2","placed_at":"2026-11-26 06:00:01+00","status":"paid"}`,
				`{"amount":2.25,"items":"[{\"sku\":\"SKU-0\",\"qty\":1,\"price\":1.5},{\"sku\":\"SKU-1\",\"qty\":2,\"price\":1.5}]","order_id":"3","placed_at":"2026-11-26 06:00:02+00","status":"shipped"}`,
				`{"amount":3.25,"items":"[{\"sku\":\"SKU-0\",\"qty\":1,\"price\":1.5},{\"sku\":\"SKU-1\",\"qty\":2,\"price\":1.5},{\"sku\":\"SKU-2\",\"qty\":3,\"price\":1.5}]","order_id":"4","placed_at":"2026-11-26 06:00:03+00","status":"new"}`,
				`{"amount":498.25,"items":"[{\"sku\":\"SKU-0\",\"qty\":1,\"price\":1.5},{\"sku\":\"SKU-1\",\"qty\":2,\"price\":1.5}]","order_id":"1999","placed_at":"2026-11-26 06:33:18+00","status":"new"}`,
			}
			if diff := cmp.Diff(wantSample, sample); diff != "" {
				t.Fatalf("DuckDB sample rows (-written +DuckDB):\n%s", diff)
			}
		})
	}
}
