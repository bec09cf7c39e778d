package writer_test

import (
	"bytes"
	"context"
	"testing"

	writer "github.com/evodb/writer"
	"github.com/evodb/writer/cdc"
	"github.com/evodb/writer/upload"
)

// FuzzFlush flushes each input line as a row: whatever the bytes, Flush
// neither fails nor panics, every row is either written or rejected, and
// what was written reads back, once.
func FuzzFlush(f *testing.F) {
	f.Add([]byte("{\"a\": 1}\n{\"a\": \"x\", \"b\": [1, {\"c\": null}]}\n"))
	f.Add([]byte("{\"t\": \"2026-01-02T03:04:05Z\"}\n{\"t\": 5}\nnot json\n[]\n{\"a\":1,\"a\":2}\n"))
	f.Add([]byte("{\"n\": 1e400, \"m\": -0.0, \"s\": \"\\ud800\"}\n{\"o\": {}}\n{\"l\": [[], [null]]}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		ctx := context.Background()
		w, err := writer.Open(ctx, writer.Options{Store: upload.NewMemory(), MaxBlockBytes: 4 << 10, TargetBlockBytes: 1 << 10})
		if err != nil {
			t.Fatal(err)
		}
		defer w.Close(ctx)
		var entries []cdc.Entry
		for i, line := range bytes.Split(data, []byte("\n")) {
			entries = append(entries, cdc.Entry{Op: cdc.Insert, Table: "f", Data: line, LSN: int64(i + 1), Producer: "p"})
		}
		res, err := w.Flush(ctx, entries)
		if err != nil {
			t.Fatal(err)
		}
		if int(res.RowCount)+len(res.Rejected) != len(entries) {
			t.Fatalf("%d rows written and %d rejected of %d", res.RowCount, len(res.Rejected), len(entries))
		}
		rows, err := w.ReadRows(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if int64(len(rows)) != res.RowCount {
			t.Fatalf("%d rows read back, %d written", len(rows), res.RowCount)
		}
		seen := map[int64]bool{}
		for _, r := range rows {
			if seen[r.LSN] {
				t.Fatalf("row %d read twice", r.LSN)
			}
			seen[r.LSN] = true
		}
		if again, err := w.Flush(ctx, entries); err != nil || !again.Duplicate && len(entries) > 0 {
			t.Fatalf("replay: %+v, %v", again, err)
		}
	})
}
