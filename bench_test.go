package writer_test

import (
	"context"
	"fmt"
	"io"
	"slices"
	"testing"
	"time"

	writer "github.com/evodb/writer"
	"github.com/evodb/writer/cdc"
	"github.com/evodb/writer/engine"
	"github.com/evodb/writer/engine/parquet"
	"github.com/evodb/writer/manifest"
)

// latencies collects one duration per iteration and reports p50 and p99.
type latencies []time.Duration

func (l latencies) report(b *testing.B, unit string) {
	if len(l) == 0 {
		return
	}
	s := slices.Clone(l)
	slices.Sort(s)
	pick := func(q float64) float64 {
		i := int(q * float64(len(s)-1))
		return float64(s[i]) / float64(time.Millisecond)
	}
	b.ReportMetric(pick(0.50), "p50-"+unit)
	b.ReportMetric(pick(0.99), "p99-"+unit)
}

// benchBatch returns n entries of producer p from LSN from, rows of about
// 150 bytes with a few types.
func benchBatch(p string, from int64, n int) ([]cdc.Entry, int64) {
	es := make([]cdc.Entry, n)
	var bytes int64
	for i := range es {
		lsn := from + int64(i)
		data := fmt.Appendf(nil, `{"id":%d,"user":"user-%d","kind":"%s","amount":%d.%02d,"at":"2026-11-26T03:%02d:%02d.%06dZ","ok":%t}`,
			lsn, lsn%5000, []string{"click", "view", "buy"}[lsn%3], lsn%1000, lsn%100, (lsn/60)%60, lsn%60, lsn%1000000, lsn%2 == 0)
		es[i] = cdc.Entry{Op: cdc.Insert, Table: "events", Data: data, LSN: lsn, Producer: p, CommitTime: t0.Add(time.Duration(lsn) * time.Millisecond)}
		bytes += int64(es[i].Size())
	}
	return es, bytes
}

// timeBatches calls do once per iteration on a new batch of n entries of
// benchBatch (made with the timer stopped) and returns how long each call
// took; the bytes per operation are a batch's entry bytes.
func timeBatches(b *testing.B, n int, do func(es []cdc.Entry) error) latencies {
	var lat latencies
	var lsn int64 = 1
	var bytes int64
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		es, nb := benchBatch("bench", lsn, n)
		lsn += int64(n)
		bytes = nb
		b.StartTimer()
		start := time.Now()
		err := do(es)
		lat = append(lat, time.Since(start))
		if err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(bytes)
	return lat
}

// BenchmarkFlush10k flushes batches of 10,000 entries end to end: filter,
// shred, encode, upload, commit.
func BenchmarkFlush10k(b *testing.B) {
	const n = 10_000
	for _, sc := range storesNamed("local", "versitygw") {
		b.Run(sc.name, func(b *testing.B) {
			ctx := context.Background()
			w := open(b, writer.Options{Store: sc.new(b), Manifest: manifest.Options{CheckpointInterval: -1}})
			lat := timeBatches(b, n, func(es []cdc.Entry) error {
				res, err := w.Flush(ctx, es)
				if err == nil && res.RowCount != n {
					err = fmt.Errorf("%d rows written", res.RowCount)
				}
				return err
			})
			lat.report(b, "ms")
			var total time.Duration
			for _, d := range lat {
				total += d
			}
			b.ReportMetric(float64(len(lat)*n)/total.Seconds(), "rows/s")
		})
	}
}

// BenchmarkEncode10k is the CPU part of BenchmarkFlush10k alone: the same
// batches shredded and encoded (zstd) to io.Discard, for the share of the
// store and the commit in a flush.
func BenchmarkEncode10k(b *testing.B) {
	const n = 10_000
	bw, err := engine.NewBlockWriter(engine.BlockOptions{Parquet: parquet.WriterOptions{Compression: parquet.Zstd, ZstdLevel: 1}})
	if err != nil {
		b.Fatal(err)
	}
	lat := timeBatches(b, n, func(es []cdc.Entry) error {
		_, err := bw.WriteBlock(context.Background(), io.Discard, es)
		return err
	})
	lat.report(b, "ms")
}

// BenchmarkCommit measures one commit (an add and a txn) on top of the
// latest snapshot, the writer's last step.
func BenchmarkCommit(b *testing.B) {
	for _, sc := range storesNamed("local", "versitygw") {
		b.Run(sc.name, func(b *testing.B) {
			ctx := context.Background()
			tbl, err := manifest.Open(sc.new(b), "t", manifest.Options{CheckpointInterval: -1})
			if err != nil {
				b.Fatal(err)
			}
			snap, err := tbl.Create(ctx, manifest.StructType{Fields: []manifest.StructField{{Name: "a", Type: manifest.Type("long"), Nullable: true}}}, manifest.CreateOptions{})
			if err != nil {
				b.Fatal(err)
			}
			var lat latencies
			i := int64(0)
			for b.Loop() {
				i++
				actions := []manifest.Action{
					{Add: &manifest.AddFile{Path: fmt.Sprintf("data/blk_%d.parquet", i), PartitionValues: map[string]string{},
						Size: 1000, ModificationTime: 1, DataChange: true, Stats: `{"numRecords":1}`}},
					{Txn: &manifest.Txn{AppID: "bench", Version: i}},
				}
				start := time.Now()
				res, err := tbl.Commit(ctx, snap, actions, manifest.CommitOptions{})
				lat = append(lat, time.Since(start))
				if err != nil {
					b.Fatal(err)
				}
				snap = res.Snapshot
			}
			lat.report(b, "ms")
		})
	}
}
