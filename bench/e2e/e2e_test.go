package e2e

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/evodb/writer/arena"
	"github.com/evodb/writer/bench/duckdb"
	"github.com/evodb/writer/bench/gen"
	"github.com/evodb/writer/bench/internal/cputime"
	"github.com/evodb/writer/cdc"
	"github.com/evodb/writer/engine"
	"github.com/evodb/writer/engine/parquet"
)

// batchRows is the number of rows per block in the JSON lines benchmark
// (DuckDB's row groups hold 122,880 rows).
const batchRows = 122_880

func benchRows() int {
	if s := os.Getenv("EVODB_BENCH_ROWS"); s != "" {
		if n, err := strconv.Atoi(s); err == nil && n > 0 {
			return n
		}
	}
	return 1_000_000
}

type dataset struct {
	table   string
	rows    int
	lines   []byte // JSON lines (cdc envelopes)
	batches [][]byte
	path    string // the lines in a file, for DuckDB
	dir     string
}

var (
	datasets   = map[string]*dataset{}
	datasetsMu sync.Mutex
)

// load generates (once per process) rows of table as JSON lines.
func load(b testing.TB, table string) *dataset {
	b.Helper()
	datasetsMu.Lock()
	defer datasetsMu.Unlock()
	if d, ok := datasets[table]; ok {
		return d
	}
	n := benchRows()
	d := &dataset{table: table, rows: n}
	d.lines = gen.New(gen.Config{Seed: 2026, Tables: []string{table}}).JSONLines(nil, n)
	// Batches of batchRows lines.
	rest := d.lines
	for len(rest) > 0 {
		end, count := 0, 0
		for end < len(rest) && count < batchRows {
			i := bytes.IndexByte(rest[end:], '\n')
			if i < 0 {
				end = len(rest)
				break
			}
			end += i + 1
			count++
		}
		d.batches = append(d.batches, rest[:end])
		rest = rest[end:]
	}
	dir, err := os.MkdirTemp("", "evodb-e2e-")
	if err != nil {
		b.Fatal(err)
	}
	d.dir = dir
	d.path = filepath.Join(dir, table+".jsonl")
	if err := os.WriteFile(d.path, d.lines, 0o644); err != nil {
		b.Fatal(err)
	}
	datasets[table] = d
	return d
}

func TestMain(m *testing.M) {
	code := m.Run()
	for _, d := range datasets {
		os.RemoveAll(d.dir)
	}
	os.Exit(code)
}

type counter struct{ n int64 }

func (c *counter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

func mallocs() uint64 {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.Mallocs
}

// BenchmarkJSONLinesToParquet: the same JSON lines into Parquet with zstd,
// ours (one block per batch of 122,880 rows) and DuckDB (one file).
func BenchmarkJSONLinesToParquet(b *testing.B) {
	for _, table := range []string{"users", "orders", "events"} {
		b.Run(table+"/ours", func(b *testing.B) {
			d := load(b, table)
			for _, level := range []int{1, 3} {
				b.Run("zstd"+strconv.Itoa(level), func(b *testing.B) { benchOursJSON(b, d, level, false) })
			}
			b.Run("zstd3-pipelined", func(b *testing.B) { benchOursJSON(b, d, 3, true) })
			b.Run("zstd3-parallel", func(b *testing.B) { benchOursJSONParallel(b, d, 3, runtime.GOMAXPROCS(0)) })
		})
		b.Run(table+"/duckdb-2threads", func(b *testing.B) {
			if err := duckdb.Available(); err != nil {
				b.Skip(err)
			}
			d := load(b, table)
			benchDuckDBJSON(b, d)
		})
	}
}

// benchOursJSON decodes each batch of lines and writes it as a block
// (BlockWriter.WriteJSONLines: the decoder frames the rows, the shredder
// validates them as it shreds them); with
// pipelined, decoding, shredding and encoding run on three goroutines, a
// batch apart.
func benchOursJSON(b *testing.B, d *dataset, level int, pipelined bool) {
	ctx := context.Background()
	bw, err := engine.NewBlockWriter(engine.BlockOptions{Pipelined: pipelined,
		Parquet: parquet.WriterOptions{Compression: parquet.Zstd, ZstdLevel: level}})
	if err != nil {
		b.Fatal(err)
	}
	var bufs [3][]cdc.Entry
	// The decoder only frames the rows: the shredder validates them, once.
	opts := &cdc.JSONOptions{Table: d.table, FrameData: true}
	check := func(info *engine.BlockInfo, err error) {
		if err != nil {
			panic(err)
		}
		if len(info.Errors) > 0 {
			panic(info.Errors[0])
		}
	}
	run := func() int64 {
		var out counter
		var p *engine.Pipeline
		if pipelined {
			if p, err = bw.Pipeline(ctx); err != nil {
				b.Fatal(err)
			}
		}
		if p == nil {
			for _, batch := range d.batches {
				info, errs, err := bw.WriteJSONLines(ctx, &out, batch, opts)
				if len(errs) > 0 {
					b.Fatal(errs[0])
				}
				check(info, err)
			}
			return out.n
		}
		// Pipelined: a goroutine decodes the lines of the next batches
		// (three entry buffers in turn) while this one shreds and the
		// pipeline's goroutine encodes.
		decoded := make(chan []cdc.Entry, 1)
		go func() {
			defer close(decoded)
			for i, batch := range d.batches {
				es, errs := cdc.DecodeJSONLines(bufs[i%3][:0], batch, opts)
				if len(errs) > 0 {
					panic(errs[0])
				}
				bufs[i%3] = es
				decoded <- es
			}
		}()
		for es := range decoded {
			if err := p.Submit(es, &out, check); err != nil {
				b.Fatal(err)
			}
		}
		if err := p.Close(); err != nil {
			b.Fatal(err)
		}
		return out.n
	}
	// Warm up: the schema known, buffers grown.
	measureJSON(b, d, run, run())
}

// measureJSON runs run in the benchmark loop (after the caller's warm-up,
// whose output size is out) and reports per-row wall and CPU time,
// allocations and the output size.
func measureJSON(b *testing.B, d *dataset, run func() int64, out int64) {
	b.Helper()
	b.SetBytes(int64(len(d.lines)))
	b.ReportAllocs()
	m0, c0 := mallocs(), cputime.Used().Nanoseconds()
	for b.Loop() {
		out = run()
	}
	m1, c1 := mallocs(), cputime.Used().Nanoseconds()
	rows := float64(b.N * d.rows)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/rows, "ns/row")
	b.ReportMetric(float64(c1-c0)/rows, "cpu-ns/row")
	b.ReportMetric(float64(m1-m0)/rows, "allocs/row")
	b.ReportMetric(float64(out), "out-bytes")
}

// benchOursJSONParallel writes the same batches, one block each, with
// workers block writers at once (what LakehouseWriter.Flush does with
// Options.BlockEncoders for a batch of several blocks): each worker takes
// the next batch and decodes, shreds, encodes and writes it on its own
// goroutine, so that with workers = GOMAXPROCS every core is busy until
// the batches run out. Its ns/row is wall time; cpu-ns/row counts the
// process's CPU time on all cores.
func benchOursJSONParallel(b *testing.B, d *dataset, level, workers int) {
	ctx := context.Background()
	bws := make([]*engine.BlockWriter, workers)
	for i := range bws {
		bw, err := engine.NewBlockWriter(engine.BlockOptions{
			Parquet: parquet.WriterOptions{Compression: parquet.Zstd, ZstdLevel: level}})
		if err != nil {
			b.Fatal(err)
		}
		bws[i] = bw
	}
	opts := &cdc.JSONOptions{Table: d.table, FrameData: true}
	run := func() int64 {
		var (
			next  atomic.Int64
			total atomic.Int64
			wg    sync.WaitGroup
			mu    sync.Mutex
			first error
		)
		for _, bw := range bws {
			wg.Go(func() {
				var out counter
				defer func() { total.Add(out.n) }()
				for {
					i := int(next.Add(1) - 1)
					if i >= len(d.batches) {
						return
					}
					info, errs, err := bw.WriteJSONLines(ctx, &out, d.batches[i], opts)
					if err == nil && len(errs) > 0 {
						err = errs[0]
					}
					if err == nil && len(info.Errors) > 0 {
						err = info.Errors[0]
					}
					if err != nil {
						mu.Lock()
						first = cmp.Or(first, err)
						mu.Unlock()
						return
					}
				}
			})
		}
		wg.Wait()
		if first != nil {
			b.Fatal(first)
		}
		return total.Load()
	}
	// Warm up: every worker writes batches until each has met the
	// schema and grown its buffers.
	var outBytes int64
	for range workers {
		outBytes = run()
	}
	measureJSON(b, d, run, outBytes)
	b.ReportMetric(float64(workers), "workers")
}

func benchDuckDBJSON(b *testing.B, d *dataset) {
	out := filepath.Join(d.dir, d.table+"-duckdb.parquet")
	warm := filepath.Join(d.dir, d.table+"-warm.parquet")
	copyStmt := func(dst string, limit string) string {
		return fmt.Sprintf("COPY (SELECT * FROM read_json(%s, format='newline_delimited')%s) TO %s (FORMAT parquet, COMPRESSION zstd)",
			duckdb.Quote(d.path), limit, duckdb.Quote(dst))
	}
	var totalMs, cpuMs float64
	for b.Loop() {
		res, err := duckdb.Run(context.Background(), 2, copyStmt(warm, " LIMIT 1000"), copyStmt(out, ""))
		if err != nil {
			b.Fatal(err)
		}
		totalMs += res.Results[1].Ms
		cpuMs += res.Results[1].CPUMs
	}
	b.ReportMetric(cpuMs*1e6/float64(b.N*d.rows), "cpu-ns/row")
	st, err := os.Stat(out)
	if err != nil {
		b.Fatal(err)
	}
	perRun := totalMs / float64(b.N) / 1e3 // seconds
	b.ReportMetric(perRun*1e9/float64(d.rows), "ns/row")
	b.ReportMetric(float64(len(d.lines))/perRun/1e6, "json-MB/s")
	b.ReportMetric(float64(st.Size()), "out-bytes")
}

// peakHeapRows are the users rows of BenchmarkPeakHeap's blocks, chosen
// for their Parquet size with the default options (zstd level 1): about
// 64 KB (the do-sqlite mode's target block), 0.68 MB, 4.7 MB (a standard
// block, DuckDB's row group of 122,880 rows) and 64 MB (the enterprise
// mode's 32 MB target, doubled).
var peakHeapRows = []int{1_450, 16_384, 122_880, 1_720_320}

// BenchmarkPeakHeap writes users blocks of several sizes (peakHeapRows,
// the first rows of the gen stream, seed 2026) with a BlockWriter of the
// default options, and reports the peak heap the writer takes to write a
// block against the block's Parquet bytes (peak/block; the target
// is at most 2) and the batch's JSON bytes.
//
// What the peak counts: the heap above a base taken, after a full GC,
// before the BlockWriter is created (the entries, which the caller holds
// either way, are in the base). It includes everything the writer keeps
// from block to block (arena, encoder state and buffers, zstd encoders)
// and everything it allocates while writing the measured block. The
// writer is warmed up first (its schema known, its arena and buffers
// settled), so this is the memory of a writer in steady state, counted
// from zero, not from its steady state. A new writer's first block takes
// more (its columns grow from nothing, and its encoder's buffers): its
// peak, measured the same way, is first-peak/block. The garbage collector is off
// while the block is written: the heap then only grows, so the heap
// after the block is its high-water mark (no sampling that could miss a
// short peak), and garbage made during the block counts as if no
// collection freed it in time. It is an upper bound of the live heap at
// any moment of the block. retained-bytes is the part that stays after
// the block (after a GC): the writer's state between blocks.
func BenchmarkPeakHeap(b *testing.B) {
	for _, rows := range peakHeapRows {
		b.Run(strconv.Itoa(rows)+"rows", func(b *testing.B) {
			lines := gen.New(gen.Config{Seed: 2026, Tables: []string{"users"}}).JSONLines(nil, rows)
			es, errs := cdc.DecodeJSONLines(nil, lines, &cdc.JSONOptions{Table: "users"})
			if len(errs) > 0 {
				b.Fatal(errs[0])
			}
			runtime.GC()
			base := heapAlloc()
			bw, err := engine.NewBlockWriter(engine.BlockOptions{})
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			// Warm up: the schema known, the buffers settled. The arena
			// settles after arena.ShrinkRounds row groups (see
			// arena.Reset), the encoder after a few files.
			var firstRatio float64
			for i, rounds := 0, 0; i < 6 || rounds < arena.ShrinkRounds+2; i++ {
				var info *engine.BlockInfo
				var err error
				if i == 0 {
					// the writer's first block, its buffers not settled
					first := heapDuring(base, func() { info, err = bw.WriteBlock(ctx, io.Discard, es) })
					if err == nil {
						firstRatio = float64(first) / float64(info.Bytes)
					}
				} else {
					info, err = bw.WriteBlock(ctx, io.Discard, es)
				}
				if err != nil {
					b.Fatal(err)
				}
				rounds += info.RowGroups
			}
			var peak, retained, blockBytes int64
			var groups int
			for b.Loop() {
				var info *engine.BlockInfo
				var err error
				h := heapDuring(base, func() { info, err = bw.WriteBlock(ctx, io.Discard, es) })
				if err != nil {
					b.Fatal(err)
				}
				peak = max(peak, h)
				blockBytes, groups = info.Bytes, info.RowGroups
				runtime.GC()
				retained = max(retained, heapAlloc()-base)
			}
			runtime.KeepAlive(bw)
			b.ReportMetric(float64(peak), "peak-heap-bytes")
			b.ReportMetric(float64(retained), "retained-bytes")
			b.ReportMetric(float64(len(lines)), "batch-json-bytes")
			b.ReportMetric(float64(blockBytes), "block-bytes")
			b.ReportMetric(float64(groups), "row-groups")
			b.ReportMetric(float64(peak)/float64(len(lines)), "peak/batch")
			b.ReportMetric(float64(peak)/float64(blockBytes), "peak/block")
			b.ReportMetric(firstRatio, "first-peak/block")
		})
	}
}

// heapDuring runs write after a full GC with the collector off and
// returns the heap above base right after it: with no collection while
// write runs, the heap only grows, so this is write's high-water mark
// (garbage included).
func heapDuring(base int64, write func()) int64 {
	runtime.GC()
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	write()
	return heapAlloc() - base
}

// heapAlloc is the bytes of heap objects, live or not yet swept
// (runtime.ReadMemStats flushes the per-P caches first, so that small
// objects allocated since the last GC are counted too).
func heapAlloc() int64 {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return int64(ms.HeapAlloc)
}
