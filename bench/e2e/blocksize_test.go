package e2e

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/evodb/writer/bench/internal/cputime"
	"github.com/evodb/writer/engine"
	"github.com/evodb/writer/engine/parquet"
)

// blockSizes are the rows per block (ours) and per row group (the peers)
// of BenchmarkBlockSize.
var blockSizes = []int{1 << 10, 1 << 12, 1 << 14, 1 << 16, 1 << 18}

// reportRate reports rows/s (wall time), the CPU time per row and the
// bytes written.
func reportRate(b *testing.B, rows int, out int64, cpu0 int64) {
	b.ReportMetric(float64(b.N)*float64(rows)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64(cputime.Used().Nanoseconds()-cpu0)/float64(b.N*rows), "cpu-ns/row")
	b.ReportMetric(float64(out), "out-bytes")
}

// BenchmarkBlockSize writes the same generated orders rows (gen seed 2026,
// EVODB_BENCH_ROWS rows) with zstd level 1, cut into blocks of
// rows=<n> rows: ours writes one Parquet file per block (as it does into a
// table), parquet-go's GenericWriter and arrow-go's pqarrow one file with
// row groups of n rows. Each reports rows/s, cpu-ns/row and out-bytes (all
// the bytes written for the whole input).
func BenchmarkBlockSize(b *testing.B) {
	for _, size := range blockSizes {
		b.Run(fmt.Sprintf("rows=%d/impl=ours", size), func(b *testing.B) {
			td := loadTyped(b)
			entries := slices.Concat(td.entries...)
			bw, err := engine.NewBlockWriter(engine.BlockOptions{Parquet: parquet.WriterOptions{Compression: parquet.Zstd, ZstdLevel: 1}})
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			var n int64
			b.ReportAllocs()
			c0 := cputime.Used().Nanoseconds()
			for b.Loop() {
				var out counter
				for lo := 0; lo < len(entries); lo += size {
					info, err := bw.WriteBlock(ctx, &out, entries[lo:min(lo+size, len(entries))])
					if err != nil {
						b.Fatal(err)
					}
					if len(info.Errors) > 0 {
						b.Fatalf("block at row %d: %v", lo, info.Errors[0])
					}
				}
				n = out.n
			}
			reportRate(b, len(entries), n, c0)
		})
		b.Run(fmt.Sprintf("rows=%d/impl=parquet-go", size), func(b *testing.B) {
			td := loadTyped(b)
			var n int64
			b.ReportAllocs()
			c0 := cputime.Used().Nanoseconds()
			for b.Loop() {
				n = writeParquetGoOrders(b, td.orders, size)
			}
			reportRate(b, len(td.orders), n, c0)
		})
		b.Run(fmt.Sprintf("rows=%d/impl=arrow-go", size), func(b *testing.B) {
			td := loadTyped(b)
			schema := orderArrowSchema()
			var n int64
			b.ReportAllocs()
			c0 := cputime.Used().Nanoseconds()
			for b.Loop() {
				// Records of batchRows rows, as in BenchmarkTypedRowsToParquet;
				// the writer cuts its row groups at size rows.
				n = writeArrowOrders(b, schema, td.orders, size)
			}
			reportRate(b, len(td.orders), n, c0)
		})
	}
}
