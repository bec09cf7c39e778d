package e2e

import (
	"context"
	"encoding/json"
	"io"
	"strconv"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	arrowparquet "github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	pgo "github.com/parquet-go/parquet-go"
	pgozstd "github.com/parquet-go/parquet-go/compress/zstd"

	"github.com/evodb/writer/bench/internal/cputime"
	"github.com/evodb/writer/cdc"
	"github.com/evodb/writer/engine"
	"github.com/evodb/writer/engine/parquet"
)

// order is a row of the generated orders table as Go values, for the
// peers that write typed rows.
type item struct {
	SKU   string  `json:"sku" parquet:"sku"`
	Qty   int64   `json:"qty" parquet:"qty"`
	Price float64 `json:"price" parquet:"price"`
}

type order struct {
	Op       string     `json:"-" parquet:"_op"`
	LSN      int64      `json:"-" parquet:"_lsn"`
	Producer string     `json:"-" parquet:"_producer"`
	CommitTS time.Time  `json:"-" parquet:"_commit_ts,timestamp(microsecond)"`
	OrderID  int64      `json:"order_id" parquet:"order_id"`
	UserID   int64      `json:"user_id" parquet:"user_id"`
	Amount   *float64   `json:"amount" parquet:"amount,optional"`
	Currency *string    `json:"currency" parquet:"currency,optional"`
	Status   *string    `json:"status" parquet:"status,optional"`
	PlacedAt *time.Time `json:"placed_at" parquet:"placed_at,optional,timestamp(microsecond)"`
	Items    []item     `json:"items" parquet:"items,list"`
	Note     *string    `json:"note" parquet:"note,optional"`
}

type typedData struct {
	entries [][]cdc.Entry // batches
	orders  []order
}

var typed *typedData

func loadTyped(b testing.TB) *typedData {
	b.Helper()
	if typed != nil {
		return typed
	}
	d := load(b, "orders")
	td := &typedData{}
	for _, batch := range d.batches {
		es, errs := cdc.DecodeJSONLines(nil, batch, &cdc.JSONOptions{Table: "orders"})
		if len(errs) > 0 {
			b.Fatal(errs[0])
		}
		td.entries = append(td.entries, es)
		for i := range es {
			var o order
			if err := json.Unmarshal(es[i].Data, &o); err != nil {
				b.Fatal(err)
			}
			o.Op, o.LSN, o.Producer, o.CommitTS = es[i].Op.String(), es[i].LSN, es[i].Producer, es[i].CommitTime
			td.orders = append(td.orders, o)
		}
	}
	typed = td
	return td
}

func reportRows(b *testing.B, rows int, out int64, cpu0 int64) {
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*rows), "ns/row")
	b.ReportMetric(float64(cputime.Used().Nanoseconds()-cpu0)/float64(b.N*rows), "cpu-ns/row")
	b.ReportMetric(float64(out), "out-bytes")
}

// newOrderWriter is the TypedWriter of the ours cases: zstd level 1, row
// groups of batchRows rows, and the given TypedOptions.RowGroupMemory.
func newOrderWriter(b *testing.B, rowGroupMemory int) *engine.TypedWriter[order] {
	b.Helper()
	return newOrderWriterBytes(b, rowGroupMemory, 0)
}

// newOrderWriterBytes is newOrderWriter with the given
// TypedOptions.RowGroupBytes too.
func newOrderWriterBytes(b testing.TB, rowGroupMemory, rowGroupBytes int) *engine.TypedWriter[order] {
	b.Helper()
	w, err := engine.NewTypedWriter[order](engine.TypedOptions{
		Parquet: parquet.WriterOptions{Compression: parquet.Zstd, ZstdLevel: 1}, RowGroupRows: batchRows,
		RowGroupMemory: rowGroupMemory, RowGroupBytes: rowGroupBytes})
	if err != nil {
		b.Fatal(err)
	}
	return w
}

// measureRows runs run once to warm up, then in the benchmark loop, and
// reports allocs/row with reportRows' figures; run writes rows rows and
// returns the bytes written.
func measureRows(b *testing.B, rows int, run func() int64) {
	b.Helper()
	n := run()
	b.ReportAllocs()
	m0, c0 := mallocs(), cputime.Used().Nanoseconds()
	for b.Loop() {
		n = run()
	}
	b.ReportMetric(float64(mallocs()-m0)/float64(b.N*rows), "allocs/row")
	reportRows(b, rows, n, c0)
}

// BenchmarkTypedRowsToParquet writes the orders rows with zstd (level 1)
// in row groups of 122,880 rows, from the same Go values (the order
// structs, metadata fields included) for every writer: ours is
// engine.TypedWriter (one block per batch of 122,880 rows; ours/pipelined
// encodes each block on a second goroutine while the next is appended;
// rowgroupmemory=4MiB bounds the raw rows held, encoding them a piece of
// the row group at a time, for each of the two; blockgroups=8 writes a
// block every 8 batches, so that each row group but a block's last is
// encoded by Append once the next one begins),
// the peers
// parquet-go's GenericWriter and arrow-go's pqarrow (one file, row groups
// of 122,880 rows). from=json-entries/impl=ours is not a typed-rows case,
// and has no peer: it writes the same rows with engine.BlockWriter from
// cdc entries whose data is JSON, so it parses JSON the others do not; it
// is kept to show that cost.
func BenchmarkTypedRowsToParquet(b *testing.B) {
	// pipelined: Flush, a block encoded on a second goroutine while the
	// next one is appended, so that case uses up to two cores: its wall
	// ns/row and its cpu-ns/row differ. rowgroupmemory=4MiB: a memory
	// budget, each block's row group encoded while its rows are appended,
	// a piece at every 4 MiB of raw columns (about 14,000 rows), and held
	// until the block is written.
	// stream: each block streamed to the counting writer as Append
	// encodes its row groups (TypedWriter.Stream), not held until
	// WriteBlock.
	type config struct {
		pipelined, stream bool
		mem, groups       int
	}
	var configs []config
	for _, pipelined := range []bool{false, true} {
		for _, mem := range []int{0, 4 << 20, 8 << 20} {
			configs = append(configs, config{pipelined, false, mem, 1})
		}
		configs = append(configs, config{pipelined, false, 0, 8})
	}
	configs = append(configs, config{false, true, 0, 8})
	for _, c := range configs {
		pipelined, mem := c.pipelined, c.mem
		{
			name := "ours"
			if pipelined {
				name += "/pipelined"
			}
			if c.stream {
				name += "/stream"
			}
			if mem > 0 {
				name += "/rowgroupmemory=" + strconv.Itoa(mem>>20) + "MiB"
			}
			if c.groups > 1 {
				name += "/blockgroups=" + strconv.Itoa(c.groups)
			}
			b.Run(name, func(b *testing.B) {
				td := loadTyped(b)
				w := newOrderWriter(b, mem)
				ctx := context.Background()
				var failed error
				then := func(_ *engine.BlockInfo, err error) {
					if err != nil && failed == nil {
						failed = err
					}
				}
				run := func() int64 {
					var out counter
					dst := io.Writer(&out)
					if c.stream {
						dst = nil
					}
					for i, lo := 0, 0; lo < len(td.orders); i, lo = i+1, lo+batchRows {
						if c.stream && i%c.groups == 0 {
							if err := w.Stream(&out); err != nil {
								b.Fatal(err)
							}
						}
						if err := w.Append(td.orders[lo:min(lo+batchRows, len(td.orders))]); err != nil {
							b.Fatal(err)
						}
						if (i+1)%c.groups != 0 && lo+batchRows < len(td.orders) {
							continue // the block goes on
						}
						var err error
						if pipelined {
							err = w.Flush(ctx, dst, then)
						} else {
							_, err = w.WriteBlock(ctx, dst)
						}
						if err != nil {
							b.Fatal(err)
						}
					}
					w.Wait()
					if failed != nil {
						b.Fatal(failed)
					}
					return out.n
				}
				measureRows(b, len(td.orders), run)
			})
		}
	}
	b.Run("from=json-entries/impl=ours", func(b *testing.B) {
		td := loadTyped(b)
		bw, err := engine.NewBlockWriter(engine.BlockOptions{Parquet: parquet.WriterOptions{Compression: parquet.Zstd, ZstdLevel: 1}})
		if err != nil {
			b.Fatal(err)
		}
		ctx := context.Background()
		run := func() int64 {
			var out counter
			for _, es := range td.entries {
				if _, err := bw.WriteBlock(ctx, &out, es); err != nil {
					b.Fatal(err)
				}
			}
			return out.n
		}
		measureRows(b, len(td.orders), run)
	})
	b.Run("parquet-go", func(b *testing.B) {
		td := loadTyped(b)
		var n int64
		b.ReportAllocs()
		c0 := cputime.Used().Nanoseconds()
		for b.Loop() {
			n = writeParquetGoOrders(b, td.orders, batchRows)
		}
		reportRows(b, len(td.orders), n, c0)
	})
	b.Run("arrow-go", func(b *testing.B) {
		td := loadTyped(b)
		schema := orderArrowSchema()
		var n int64
		b.ReportAllocs()
		c0 := cputime.Used().Nanoseconds()
		for b.Loop() {
			n = writeArrowOrders(b, schema, td.orders, batchRows)
		}
		reportRows(b, len(td.orders), n, c0)
	})
}

// BenchmarkTypedShred measures the shredding half of ours alone: the
// orders rows appended to a TypedWriter a batch of 122,880 rows at a time
// and dropped with Reset, nothing encoded.
func BenchmarkTypedShred(b *testing.B) {
	td := loadTyped(b)
	w := newOrderWriter(b, 0)
	measureRows(b, len(td.orders), func() int64 {
		for lo := 0; lo < len(td.orders); lo += batchRows {
			if err := w.Append(td.orders[lo:min(lo+batchRows, len(td.orders))]); err != nil {
				b.Fatal(err)
			}
			w.Reset()
		}
		return 0
	})
}

// writeParquetGoOrders writes orders with parquet-go's GenericWriter (zstd
// fastest, row groups of rowGroup rows) and returns the file's size.
func writeParquetGoOrders(b *testing.B, orders []order, rowGroup int) int64 {
	var out counter
	w := pgo.NewGenericWriter[order](&out, pgo.Compression(&pgozstd.Codec{Level: pgozstd.SpeedFastest}),
		pgo.MaxRowsPerRowGroup(int64(rowGroup)))
	if _, err := w.Write(orders); err != nil {
		b.Fatal(err)
	}
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
	return out.n
}

// writeArrowOrders writes orders with arrow-go's pqarrow writer (zstd level
// 1, row groups of rowGroup rows), in records of batchRows rows built from
// the structs, and returns the file's size.
func writeArrowOrders(b *testing.B, schema *arrow.Schema, orders []order, rowGroup int) int64 {
	props := arrowparquet.NewWriterProperties(arrowparquet.WithCompression(compress.Codecs.Zstd), arrowparquet.WithCompressionLevel(1),
		arrowparquet.WithMaxRowGroupLength(int64(rowGroup)))
	var out counter
	w, err := pqarrow.NewFileWriter(schema, &out, props, pqarrow.DefaultWriterProps())
	if err != nil {
		b.Fatal(err)
	}
	for lo := 0; lo < len(orders); lo += batchRows {
		rec := orderRecord(schema, orders[lo:min(lo+batchRows, len(orders))])
		if err := w.Write(rec); err != nil {
			b.Fatal(err)
		}
		rec.Release()
	}
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
	return out.n
}

func orderArrowSchema() *arrow.Schema {
	ts := &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}
	itemType := arrow.StructOf(
		arrow.Field{Name: "sku", Type: arrow.BinaryTypes.String},
		arrow.Field{Name: "qty", Type: arrow.PrimitiveTypes.Int64},
		arrow.Field{Name: "price", Type: arrow.PrimitiveTypes.Float64},
	)
	return arrow.NewSchema([]arrow.Field{
		{Name: "_op", Type: arrow.BinaryTypes.String},
		{Name: "_lsn", Type: arrow.PrimitiveTypes.Int64},
		{Name: "_producer", Type: arrow.BinaryTypes.String},
		{Name: "_commit_ts", Type: ts},
		{Name: "order_id", Type: arrow.PrimitiveTypes.Int64},
		{Name: "user_id", Type: arrow.PrimitiveTypes.Int64},
		{Name: "amount", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "currency", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "status", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "placed_at", Type: ts, Nullable: true},
		{Name: "items", Type: arrow.ListOf(itemType), Nullable: true},
		{Name: "note", Type: arrow.BinaryTypes.String, Nullable: true},
	}, nil)
}

func orderRecord(schema *arrow.Schema, rows []order) arrow.Record {
	bld := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer bld.Release()
	op := bld.Field(0).(*array.StringBuilder)
	lsn := bld.Field(1).(*array.Int64Builder)
	prod := bld.Field(2).(*array.StringBuilder)
	cts := bld.Field(3).(*array.TimestampBuilder)
	oid := bld.Field(4).(*array.Int64Builder)
	uid := bld.Field(5).(*array.Int64Builder)
	amt := bld.Field(6).(*array.Float64Builder)
	cur := bld.Field(7).(*array.StringBuilder)
	st := bld.Field(8).(*array.StringBuilder)
	pat := bld.Field(9).(*array.TimestampBuilder)
	items := bld.Field(10).(*array.ListBuilder)
	itemB := items.ValueBuilder().(*array.StructBuilder)
	sku := itemB.FieldBuilder(0).(*array.StringBuilder)
	qty := itemB.FieldBuilder(1).(*array.Int64Builder)
	price := itemB.FieldBuilder(2).(*array.Float64Builder)
	note := bld.Field(11).(*array.StringBuilder)
	optStr := func(b *array.StringBuilder, s *string) {
		if s == nil {
			b.AppendNull()
		} else {
			b.Append(*s)
		}
	}
	for i := range rows {
		r := &rows[i]
		op.Append(r.Op)
		lsn.Append(r.LSN)
		prod.Append(r.Producer)
		cts.Append(arrow.Timestamp(r.CommitTS.UnixMicro()))
		oid.Append(r.OrderID)
		uid.Append(r.UserID)
		if r.Amount == nil {
			amt.AppendNull()
		} else {
			amt.Append(*r.Amount)
		}
		optStr(cur, r.Currency)
		optStr(st, r.Status)
		if r.PlacedAt == nil {
			pat.AppendNull()
		} else {
			pat.Append(arrow.Timestamp(r.PlacedAt.UnixMicro()))
		}
		if r.Items == nil {
			items.AppendNull()
		} else {
			items.Append(true)
			for _, it := range r.Items {
				itemB.Append(true)
				sku.Append(it.SKU)
				qty.Append(it.Qty)
				price.Append(it.Price)
			}
		}
		optStr(note, r.Note)
	}
	return bld.NewRecord()
}
