package e2e

import (
	"testing"

	"github.com/evodb/writer/bench/internal/cputime"
	"github.com/evodb/writer/cdc"
	"github.com/evodb/writer/engine"
)

// BenchmarkJSONLinesShred measures the part of BenchmarkJSONLinesToParquet
// before the Parquet writer: framing the JSON lines
// (cdc.DecodeJSONLines with FrameData) and shredding their rows into
// columns (engine.Shredder, which validates them), batch by batch, in
// steady state. It reports cpu-ns/row split into the two parts.
func BenchmarkJSONLinesShred(b *testing.B) {
	for _, table := range []string{"users", "orders", "events"} {
		b.Run(table, func(b *testing.B) {
			d := load(b, table)
			s, err := engine.NewShredder(engine.Options{Table: table})
			if err != nil {
				b.Fatal(err)
			}
			opts := &cdc.JSONOptions{Table: table, FrameData: true}
			var entries []cdc.Entry
			var decodeNs, shredNs int64
			run := func() {
				for _, batch := range d.batches {
					c0 := cputime.Used().Nanoseconds()
					var errs []*cdc.LineError
					entries, errs = cdc.DecodeJSONLines(entries[:0], batch, opts)
					if len(errs) > 0 {
						b.Fatal(errs[0])
					}
					c1 := cputime.Used().Nanoseconds()
					blk, err := s.Shred(entries)
					if err != nil {
						b.Fatal(err)
					}
					if len(blk.Errors) > 0 {
						b.Fatal(blk.Errors[0])
					}
					c2 := cputime.Used().Nanoseconds()
					decodeNs += c1 - c0
					shredNs += c2 - c1
				}
			}
			run() // warm up: the schema known, buffers grown
			decodeNs, shredNs = 0, 0
			b.SetBytes(int64(len(d.lines)))
			b.ReportAllocs()
			m0 := mallocs()
			for b.Loop() {
				run()
			}
			m1 := mallocs()
			rows := float64(b.N * d.rows)
			b.ReportMetric(float64(decodeNs+shredNs)/rows, "cpu-ns/row")
			b.ReportMetric(float64(decodeNs)/rows, "frame-cpu-ns/row")
			b.ReportMetric(float64(shredNs)/rows, "shred-cpu-ns/row")
			b.ReportMetric(float64(m1-m0)/rows, "allocs/row")
		})
	}
}
