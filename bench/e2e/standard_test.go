package e2e

import (
	"context"
	"io"
	"strconv"
	"testing"

	arrowparquet "github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	pgo "github.com/parquet-go/parquet-go"
	pgozstd "github.com/parquet-go/parquet-go/compress/zstd"

	"github.com/evodb/writer/bench/internal/cputime"
)

// standardRows is the orders rows of a block of the standard partition
// mode (4 MB blocks, the default): 180,000 rows make 4.2 MB of Parquet
// with ours, in two row groups (122,880 rows and the rest).
const standardRows = 180_000

// standardGroupBytes is the TypedOptions.RowGroupBytes that brings a
// streamed standardRows block under twice its size in peak heap without
// a RowGroupMemory budget: row groups of about 20,000 orders rows.
const standardGroupBytes = 4 << 20

// standardGroupSweep are larger RowGroupBytes the standard block is also
// measured with: fewer row groups, less CPU, more memory (5 MiB already
// peaks at about twice the block).
var standardGroupSweep = []int{5 << 20, 6 << 20}

// BenchmarkTypedStandardBlocks writes the orders rows (1 M) as blocks of
// standardRows rows, each block its own file, the way the writer cuts a
// table's rows in the standard partition mode: zstd level 1, row groups
// of 122,880 rows, the same Go structs for every writer. Ours is
// engine.TypedWriter holding each block until WriteBlock (held) or
// streaming it as Append encodes its row groups (stream, see
// TypedWriter.Stream), without a budget or with a RowGroupMemory budget
// (rowgroupmemory=), which encodes the rows a piece at a time to bound
// the raw rows held, or with row groups ended at 4 MiB of raw columns
// (rowgroupbytes=4MiB, streamed: TypedOptions.RowGroupBytes; also 5 and
// 6 MiB, standardGroupSweep), which bounds them by ending row groups
// sooner: BenchmarkPeakHeapTyped/180000rows measures the memory of each. The peers write a file per block: parquet-go's
// GenericWriter, reused with Reset; arrow-go's pqarrow FileWriter, a new
// one per block (it has no reuse), from a record per block built in the
// timed loop as BenchmarkTypedRowsToParquet builds its records.
// cpu-ns/row is the CPU time of all goroutines over the rows.
func BenchmarkTypedStandardBlocks(b *testing.B) {
	type config struct {
		stream     bool
		mem, bytes int
	}
	configs := []config{{false, 0, 0}, {true, 0, 0}, {true, 512 << 10, 0}, {true, 1 << 20, 0}, {true, 0, standardGroupBytes}}
	for _, n := range standardGroupSweep {
		configs = append(configs, config{true, 0, n})
	}
	for _, c := range configs {
		name := "impl=ours/held"
		if c.stream {
			name = "impl=ours/stream"
		}
		if c.mem > 0 {
			name += "/rowgroupmemory=" + strconv.Itoa(c.mem>>10) + "KiB"
		}
		if c.bytes > 0 {
			name += "/rowgroupbytes=" + strconv.Itoa(c.bytes>>20) + "MiB"
		}
		b.Run(name, func(b *testing.B) {
			td := loadTyped(b)
			w := newOrderWriterBytes(b, c.mem, c.bytes)
			ctx := context.Background()
			run := func() int64 {
				var out counter
				for lo := 0; lo < len(td.orders); lo += standardRows {
					dst := io.Writer(&out)
					if c.stream {
						if err := w.Stream(&out); err != nil {
							b.Fatal(err)
						}
						dst = nil
					}
					if err := w.Append(td.orders[lo:min(lo+standardRows, len(td.orders))]); err != nil {
						b.Fatal(err)
					}
					if _, err := w.WriteBlock(ctx, dst); err != nil {
						b.Fatal(err)
					}
				}
				return out.n
			}
			measureRows(b, len(td.orders), run)
		})
	}
	b.Run("impl=parquet-go", func(b *testing.B) {
		td := loadTyped(b)
		var out counter
		w := pgo.NewGenericWriter[order](&out, pgo.Compression(&pgozstd.Codec{Level: pgozstd.SpeedFastest}),
			pgo.MaxRowsPerRowGroup(batchRows))
		run := func() int64 {
			out.n = 0
			for lo := 0; lo < len(td.orders); lo += standardRows {
				w.Reset(&out)
				if _, err := w.Write(td.orders[lo:min(lo+standardRows, len(td.orders))]); err != nil {
					b.Fatal(err)
				}
				if err := w.Close(); err != nil {
					b.Fatal(err)
				}
			}
			return out.n
		}
		measureRows(b, len(td.orders), run)
	})
	b.Run("impl=arrow-go", func(b *testing.B) {
		td := loadTyped(b)
		schema := orderArrowSchema()
		props := arrowparquet.NewWriterProperties(arrowparquet.WithCompression(compress.Codecs.Zstd), arrowparquet.WithCompressionLevel(1),
			arrowparquet.WithMaxRowGroupLength(batchRows))
		var n int64
		b.ReportAllocs()
		c0 := cputime.Used().Nanoseconds()
		for b.Loop() {
			var out counter
			for lo := 0; lo < len(td.orders); lo += standardRows {
				fw, err := pqarrow.NewFileWriter(schema, &out, props, pqarrow.DefaultWriterProps())
				if err != nil {
					b.Fatal(err)
				}
				rec := orderRecord(schema, td.orders[lo:min(lo+standardRows, len(td.orders))])
				if err := fw.Write(rec); err != nil {
					b.Fatal(err)
				}
				rec.Release()
				if err := fw.Close(); err != nil {
					b.Fatal(err)
				}
			}
			n = out.n
		}
		reportRows(b, len(td.orders), n, c0)
	})
}
