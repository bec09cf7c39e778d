package e2e

import (
	"context"
	"io"
	"runtime"
	"strconv"
	"testing"

	arrowparquet "github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	pgo "github.com/parquet-go/parquet-go"
	pgozstd "github.com/parquet-go/parquet-go/compress/zstd"

	"github.com/evodb/writer/arena"
	"github.com/evodb/writer/engine"
)

// peakTypedRows are the orders rows of BenchmarkPeakHeapTyped's blocks:
// about 46 KB (a block of the do-sqlite partition mode), 0.36 MB,
// 2.3 MB, 4.2 MB (standardRows, the standard mode's) and 23 MB of Parquet
// with ours.
var peakTypedRows = []int{1_300, 14_000, 100_000, standardRows, 1_000_000}

// peakTypedMemory are the TypedOptions.RowGroupMemory budgets ours is
// measured with (0: none, the rows of the row group in progress stay raw
// until WriteBlock; full row groups are encoded once the next begins).
var peakTypedMemory = []int{0, 512 << 10, 1 << 20, 4 << 20, 8 << 20}

// peakTypedStream are the budgets ours is also measured with streaming
// its blocks (TypedWriter.Stream) to the counting writer, as the peers
// write theirs, instead of holding them until WriteBlock.
var peakTypedStream = []int{0, 512 << 10, 1 << 20, 4 << 20}

// BenchmarkPeakHeapTyped measures, for ours and the peers, the peak heap a
// writer takes to write one file of the first n orders rows (the same Go
// structs for every writer; zstd level 1 / fastest; the peers write one
// row group), the
// way BenchmarkPeakHeap measures ours from JSON entries: the heap above a
// base taken after a full GC before the writer is made, with the garbage
// collector off while the file is written, after a warm-up of several
// files (as many as ours needs to settle its arena). Ours is
// engine.TypedWriter (Append, WriteBlock; row groups of 122,880 rows),
// without and with a RowGroupMemory budget (rowgroupmemory=), which
// encodes the rows held a piece of a row group at a time to bound them,
// and for the standard block also with row groups ended at
// standardGroupBytes (and standardGroupSweep) of raw columns (rowgroupbytes=, RowGroupBytes); it holds the block's row groups until WriteBlock
// writes them to io.Discard or, with stream, streams them to a counting
// writer as Append encodes them (TypedWriter.Stream), which is how the
// peers write (row-groups: the file's). parquet-go's GenericWriter is
// reused with Reset; arrow-go's pqarrow has no reuse, so each file is a
// new FileWriter (its record, the input in its world, is built before the
// base, as the structs are for the others). peak/block is the peak over
// the file's bytes; retained-bytes what the writer holds after the last
// file (after a GC).
func BenchmarkPeakHeapTyped(b *testing.B) {
	type config struct {
		mem    int
		stream bool
		bytes  int // TypedOptions.RowGroupBytes
	}
	var configs []config
	for _, mem := range peakTypedMemory {
		configs = append(configs, config{mem, false, 0})
	}
	for _, mem := range peakTypedStream {
		configs = append(configs, config{mem, true, 0})
	}
	for _, rows := range peakTypedRows {
		cs := configs
		if rows == standardRows {
			// the standard block streamed in row groups bounded by
			// their bytes, as BenchmarkTypedStandardBlocks writes it
			cs = append(cs[:len(cs):len(cs)], config{0, true, standardGroupBytes})
			for _, n := range standardGroupSweep {
				cs = append(cs, config{0, true, n})
			}
		}
		for _, c := range cs {
			mem := c.mem
			name := strconv.Itoa(rows) + "rows/impl=ours"
			if c.stream {
				name += "/stream"
			}
			if mem > 0 {
				name += "/rowgroupmemory=" + strconv.Itoa(mem>>10) + "KiB"
			}
			if c.bytes > 0 {
				name += "/rowgroupbytes=" + strconv.Itoa(c.bytes>>20) + "MiB"
			}
			b.Run(name, func(b *testing.B) {
				orders := loadTyped(b).orders[:rows]
				ctx := context.Background()
				var w *engine.TypedWriter[order]
				var out counter
				measurePeak(b, func() int64 {
					if w == nil {
						w = newOrderWriterBytes(b, mem, c.bytes)
					}
					dst := io.Writer(io.Discard)
					if c.stream {
						out.n = 0
						if err := w.Stream(&out); err != nil {
							b.Fatal(err)
						}
						dst = nil
					}
					if err := w.Append(orders); err != nil {
						b.Fatal(err)
					}
					info, err := w.WriteBlock(ctx, dst)
					if err != nil {
						b.Fatal(err)
					}
					if c.stream && info.Bytes != out.n {
						b.Fatalf("streamed %d bytes, BlockInfo.Bytes %d", out.n, info.Bytes)
					}
					b.ReportMetric(float64(info.RowGroups), "row-groups")
					return info.Bytes
				})
			})
		}
		b.Run(strconv.Itoa(rows)+"rows/impl=parquet-go", func(b *testing.B) {
			orders := loadTyped(b).orders[:rows]
			var w *pgo.GenericWriter[order]
			measurePeak(b, func() int64 {
				var out counter
				if w == nil {
					w = pgo.NewGenericWriter[order](&out, pgo.Compression(&pgozstd.Codec{Level: pgozstd.SpeedFastest}),
						pgo.MaxRowsPerRowGroup(int64(rows)))
				} else {
					w.Reset(&out)
				}
				if _, err := w.Write(orders); err != nil {
					b.Fatal(err)
				}
				if err := w.Close(); err != nil {
					b.Fatal(err)
				}
				return out.n
			})
		})
		b.Run(strconv.Itoa(rows)+"rows/impl=arrow-go", func(b *testing.B) {
			orders := loadTyped(b).orders[:rows]
			schema := orderArrowSchema()
			rec := orderRecord(schema, orders)
			defer rec.Release()
			props := arrowparquet.NewWriterProperties(arrowparquet.WithCompression(compress.Codecs.Zstd), arrowparquet.WithCompressionLevel(1),
				arrowparquet.WithMaxRowGroupLength(int64(rows)))
			measurePeak(b, func() int64 {
				var out counter
				fw, err := pqarrow.NewFileWriter(schema, &out, props, pqarrow.DefaultWriterProps())
				if err != nil {
					b.Fatal(err)
				}
				if err := fw.Write(rec); err != nil {
					b.Fatal(err)
				}
				if err := fw.Close(); err != nil {
					b.Fatal(err)
				}
				return out.n
			})
		})
	}
}

// measurePeak takes the base heap, warms write up on arena.ShrinkRounds+2
// files (ours settles its arena after arena.ShrinkRounds blocks, see
// arena.Reset; the peers get the same warm-up), then
// reports the largest heap above the base while one file is written with
// the collector off (peak-heap-bytes), the file's bytes and their ratio.
// first-peak/block is that ratio for the first file, measured the same
// way: a writer's first file, written before it could size its buffers
// from files before, which is a process's peak if it writes one file per
// writer or files of one size.
func measurePeak(b *testing.B, write func() int64) {
	b.Helper()
	runtime.GC()
	base := heapAlloc()
	var first, size int64
	first = heapDuring(base, func() { size = write() })
	firstRatio := float64(first) / float64(size)
	for range arena.ShrinkRounds + 1 {
		write()
	}
	var peak int64
	for b.Loop() {
		peak = max(peak, heapDuring(base, func() { size = write() }))
	}
	runtime.GC()
	b.ReportMetric(float64(heapAlloc()-base), "retained-bytes")
	runtime.KeepAlive(write)
	b.ReportMetric(float64(peak), "peak-heap-bytes")
	b.ReportMetric(float64(size), "block-bytes")
	b.ReportMetric(float64(peak)/float64(size), "peak/block")
	b.ReportMetric(firstRatio, "first-peak/block") // (b.Loop drops metrics reported before it)
}
