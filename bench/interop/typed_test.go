package interop

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	pgo "github.com/parquet-go/parquet-go"

	"github.com/evodb/writer/bench/internal/pqcheck"
	"github.com/evodb/writer/engine"
	"github.com/evodb/writer/engine/parquet"
)

type typedLine struct {
	SKU   string  `parquet:"sku"`
	Qty   int64   `parquet:"qty"`
	Price float64 `parquet:"price"`
}

type typedAddress struct {
	City string  `parquet:"city"`
	Zip  *string `parquet:"zip,optional"`
}

// typedOrder is written by engine.TypedWriter and read back, into the same
// type, by parquet-go's GenericReader.
type typedOrder struct {
	Op       string        `parquet:"_op"`
	LSN      int64         `parquet:"_lsn"`
	Producer string        `parquet:"_producer"`
	CommitTS time.Time     `parquet:"_commit_ts,optional,timestamp(microsecond)"`
	OrderID  int64         `parquet:"order_id"`
	Small    int32         `parquet:"small"`
	Ratio    float32       `parquet:"ratio"`
	Paid     bool          `parquet:"paid"`
	Amount   *float64      `parquet:"amount,optional"`
	Status   *string       `parquet:"status,optional"`
	PlacedAt *time.Time    `parquet:"placed_at,optional,timestamp(microsecond)"`
	Blob     []byte        `parquet:"blob"`
	Ship     *typedAddress `parquet:"ship,optional"`
	Lines    []typedLine   `parquet:"lines,list"`
	Tags     []string      `parquet:"tags,list"`
}

func randomTypedOrders(rng *rand.Rand, n int, lsn int64) []typedOrder {
	ops := []string{"INSERT", "UPDATE", "DELETE"}
	statuses := []string{"new", "paid", "shipped", "cancelled"}
	base := time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)
	out := make([]typedOrder, n)
	for i := range out {
		o := typedOrder{
			Op: ops[rng.IntN(3)], LSN: lsn + int64(i), Producer: fmt.Sprintf("p%d", rng.IntN(3)),
			OrderID: int64(i) * 3, Small: rng.Int32N(100) - 50, Ratio: float32(rng.IntN(1000)) / 8, Paid: rng.IntN(2) == 0,
			Blob: []byte(fmt.Sprintf("b%x", rng.Uint32())),
		}
		if rng.IntN(4) > 0 {
			o.CommitTS = base.Add(time.Duration(i) * time.Millisecond)
		}
		if rng.IntN(10) > 0 {
			a := float64(rng.IntN(100000)) / 100
			o.Amount = &a
		}
		if rng.IntN(10) > 0 {
			s := statuses[rng.IntN(len(statuses))]
			o.Status = &s
		}
		if rng.IntN(10) > 0 {
			t := base.Add(time.Duration(rng.Int64N(1e12)) * time.Microsecond)
			o.PlacedAt = &t
		}
		if rng.IntN(3) > 0 {
			o.Ship = &typedAddress{City: statuses[rng.IntN(4)]}
			if rng.IntN(2) == 0 {
				z := fmt.Sprint(10000 + rng.IntN(90000))
				o.Ship.Zip = &z
			}
		}
		for range rng.IntN(4) {
			o.Lines = append(o.Lines, typedLine{SKU: fmt.Sprintf("SKU-%d", rng.IntN(50)), Qty: 1 + rng.Int64N(5), Price: float64(rng.IntN(20000)) / 100})
		}
		for range rng.IntN(3) {
			o.Tags = append(o.Tags, statuses[rng.IntN(4)])
		}
		out[i] = o
	}
	return out
}

// typedBlocks writes orders with engine.TypedWriter under several
// option sets.
func typedBlocks(t *testing.T, orders []typedOrder) map[string][]byte {
	t.Helper()
	sets := map[string]engine.TypedOptions{
		"zstd":             {},
		"zstd-row-groups":  {RowGroupRows: 700},
		"uncompressed-v2":  {Uncompressed: true, Parquet: parquet.WriterOptions{DataPageV2: true}},
		"snappy-small-pgs": {Parquet: parquet.WriterOptions{Compression: parquet.Snappy, PageSize: 2000}},
		// row groups encoded a piece at a time as the rows are appended,
		// cut by memory (in one row group, and in several)
		"row-group-memory":        {RowGroupMemory: 24 << 10},
		"row-group-memory-groups": {RowGroupMemory: 24 << 10, RowGroupRows: 1100},
	}
	out := map[string][]byte{}
	for name, opts := range sets {
		w, err := engine.NewTypedWriter[typedOrder](opts)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Append(orders); err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if _, err := w.WriteBlock(context.Background(), &buf); err != nil {
			t.Fatal(err)
		}
		out[name] = buf.Bytes()
		if opts.RowGroupMemory > 0 {
			// a column chunk with dictionary pages and others after them,
			// for the readers to be shown one
			if ok, err := pqcheck.HasMixedChunk(buf.Bytes()); err != nil || !ok {
				t.Fatalf("%s: no column chunk has dictionary pages and others (%v)", name, err)
			}
		}
	}
	return out
}

// TestTypedParquetGo reads TypedWriter blocks with parquet-go's
// GenericReader into the struct they were written from.
func TestTypedParquetGo(t *testing.T) {
	n := 3000
	if testing.Short() {
		n = 1500
	}
	orders := randomTypedOrders(rand.New(rand.NewPCG(4, 4)), n, 100)
	for name, data := range typedBlocks(t, orders) {
		t.Run(name, func(t *testing.T) {
			r := pgo.NewGenericReader[typedOrder](bytes.NewReader(data))
			defer r.Close()
			if r.NumRows() != int64(len(orders)) {
				t.Fatalf("parquet-go sees %d rows, want %d", r.NumRows(), len(orders))
			}
			got := make([]typedOrder, len(orders))
			k := 0
			for k < len(got) {
				m, err := r.Read(got[k:])
				k += m
				if err != nil {
					if k == len(got) {
						break
					}
					t.Fatalf("parquet-go Read after %d rows: %v", k, err)
				}
			}
			// parquet-go reads an empty list as nil and times in the
			// local zone: compare instants, and nil with empty.
			if diff := cmp.Diff(orders, got, cmpopts.EquateEmpty(),
				cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })); diff != "" {
				t.Fatalf("(-written +parquet-go):\n%s", diff)
			}
		})
	}
}

// TestTypedArrow reads TypedWriter blocks with arrow-go's column readers,
// value for value and level for level against our reader, and as an
// Arrow table.
func TestTypedArrow(t *testing.T) {
	orders := randomTypedOrders(rand.New(rand.NewPCG(5, 5)), 1500, 1)
	for name, data := range typedBlocks(t, orders) {
		t.Run(name, func(t *testing.T) {
			ours, err := parquet.OpenFile(bytes.NewReader(data), int64(len(data)))
			if err != nil {
				t.Fatal(err)
			}
			rdr, err := file.NewParquetReader(bytes.NewReader(data))
			if err != nil {
				t.Fatalf("arrow-go NewParquetReader: %v", err)
			}
			defer rdr.Close()
			if rdr.NumRowGroups() != ours.NumRowGroups() || rdr.NumRows() != int64(len(orders)) {
				t.Fatalf("arrow-go: %d row groups, %d rows; want %d, %d", rdr.NumRowGroups(), rdr.NumRows(), ours.NumRowGroups(), len(orders))
			}
			for i := range ours.NumRowGroups() {
				want, err := ours.ReadRowGroup(i)
				if err != nil {
					t.Fatal(err)
				}
				compareArrowRowGroup(t, rdr.RowGroup(i), i, want)
			}
			tbl, err := pqarrow.ReadTable(context.Background(), bytes.NewReader(data), nil, pqarrow.ArrowReadProperties{}, memory.DefaultAllocator)
			if err != nil {
				t.Fatalf("pqarrow.ReadTable: %v", err)
			}
			defer tbl.Release()
			wantTypes := map[string]string{
				"_commit_ts": "timestamp[us, tz=UTC]",
				"small":      "int32",
				"ratio":      "float32",
				"blob":       "binary",
				"ship":       "struct<city: utf8, zip: utf8 nullable>",
				"lines":      "list<element: struct<sku: utf8, qty: int64, price: float64>>",
				"tags":       "list<element: utf8>",
			}
			checkArrowTypes(t, tbl.Schema(), wantTypes)
		})
	}
}
