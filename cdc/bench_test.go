package cdc

import (
	"encoding/json"
	"fmt"
	"testing"
)

func benchLines(n int) []byte {
	var b []byte
	for i := range n {
		b = fmt.Appendf(b, `{"op":"INSERT","table":"events","lsn":%d,"producer":"db-1","data":{"id":%d,"type":"click","user":{"name":"user-%d","tags":["a","b"]},"score":%d.25,"ok":true}}`+"\n", i+1, i, i%1000, i%97)
	}
	return b
}

// BenchmarkDecodeJSONLines measures decoding envelopes without building
// values; BenchmarkDecodeJSONLinesStdlib decodes the same lines with
// encoding/json into a struct holding the row as raw JSON, for scale.
func BenchmarkDecodeJSONLines(b *testing.B) { benchDecodeJSONLines(b, nil) }

// BenchmarkDecodeJSONLinesUniqueKeys decodes the same lines with
// UniqueKeys (what the service does): the cost of the duplicate check.
func BenchmarkDecodeJSONLinesUniqueKeys(b *testing.B) {
	benchDecodeJSONLines(b, &JSONOptions{UniqueKeys: true})
}

// BenchmarkDecodeJSONLinesFramed decodes the same lines with FrameData:
// the rows are framed, not validated (the shredder validates them).
func BenchmarkDecodeJSONLinesFramed(b *testing.B) {
	benchDecodeJSONLines(b, &JSONOptions{FrameData: true})
}

// benchDecodeJSONLines decodes 1000 generated lines per iteration with opts.
func benchDecodeJSONLines(b *testing.B, opts *JSONOptions) {
	data := benchLines(1000)
	entries := make([]Entry, 0, 1000)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		var errs []*LineError
		entries, errs = DecodeJSONLines(entries[:0], data, opts)
		if len(errs) != 0 || len(entries) != 1000 {
			b.Fatal(errs)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*1000), "ns/row")
}

func BenchmarkDecodeJSONLinesStdlib(b *testing.B) {
	data := benchLines(1000)
	type envelope struct {
		Op       string          `json:"op"`
		Table    string          `json:"table"`
		LSN      int64           `json:"lsn"`
		Producer string          `json:"producer"`
		Data     json.RawMessage `json:"data"`
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		n := 0
		for off := 0; off < len(data); {
			end := off
			for data[end] != '\n' {
				end++
			}
			var e envelope
			if err := json.Unmarshal(data[off:end], &e); err != nil {
				b.Fatal(err)
			}
			n++
			off = end + 1
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*1000), "ns/row")
}
