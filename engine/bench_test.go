package engine

import (
	"context"
	"fmt"
	"io"
	"testing"

	"github.com/evodb/writer/cdc"
)

// benchRows makes n rows of a CDC-like table: ids, low- and
// high-cardinality strings, doubles, a timestamp, a nested object with a
// null, an array.
func benchRows(n int) ([]cdc.Entry, int) {
	es := make([]cdc.Entry, n)
	size := 0
	for i := range es {
		data := fmt.Sprintf(`{"id":%d,"user":"user-%d","country":"C%d","amount":%d.%02d,"ok":%v,"at":"2026-11-25T10:%02d:%02d.%03dZ","addr":{"city":"city %d","zip":null,"geo":{"lat":%d.5,"lon":-%d.25}},"tags":["t%d","x"],"note":"note number %d with some text"}`,
			i, i*7919%100000, i%20, i%1000, i%100, i%3 == 0, i/60%60, i%60, i%1000, i%50, i%90, i%180, i%8, i)
		es[i] = cdc.Entry{Op: cdc.Insert, Table: "t", Data: []byte(data), LSN: int64(i + 1), Producer: "pg-1"}
		size += len(data)
	}
	return es, size
}

// BenchmarkShred measures shredding alone, in steady state (the schema
// known, the arena grown): allocations per block must be 0.
func BenchmarkShred(b *testing.B) {
	es, size := benchRows(50000)
	s, err := NewShredder(Options{})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := s.Shred(es); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(size))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Shred(es); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(es)), "ns/row")
}

// BenchmarkWriteBlock measures rows → Parquet block (zstd level 1), in
// steady state.
func BenchmarkWriteBlock(b *testing.B) {
	es, size := benchRows(50000)
	bw, err := NewBlockWriter(BlockOptions{})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	if _, err := bw.WriteBlock(ctx, io.Discard, es); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(size))
	b.ReportAllocs()
	var out int64
	for b.Loop() {
		info, err := bw.WriteBlock(ctx, io.Discard, es)
		if err != nil {
			b.Fatal(err)
		}
		out = info.Bytes
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(es)), "ns/row")
	b.ReportMetric(float64(out), "block-bytes")
}
