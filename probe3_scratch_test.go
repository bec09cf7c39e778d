package writer_test

import (
	"context"
	"testing"

	writer "github.com/evodb/writer"
	"github.com/evodb/writer/cdc"
	"github.com/evodb/writer/upload"
)

func TestScratchRows(t *testing.T) {
	ctx := context.Background()
	rows := []string{"{\"a\":\"\xff\xfe\"}", "{\"\xff\":1}", `{"a":"\ud800"}`, `{"a":1e400}`, `{"a":1,"a":"x"}`, `{"a":-0}`, `{"":1}`, `{"a":{"":{}}}`, `{"a":[1,"x",{"b":1},[2]]}`, "{\"a\":\"\x00\"}", `{"_lsn":5}`, `{"_op":"x","_rescued":1}`, `{"a.b":1}`, `{"A":1,"a":2}`, `{"a":123456789012345678901234567890}`, `{"a":"2026-01-02T03:04:05Z"}`, `{"a":true,"b":null}`, "{\"a\":1}\t ", `{"a":1}{"b":2}`}
	for i, row := range rows {
		es := []cdc.Entry{{Op: cdc.Insert, Table: "t", Data: []byte(row), LSN: int64(i + 1), Producer: "p"}}
		b, _ := cdc.AppendBinaryBatch(nil, es)
		_, derr := cdc.DecodeBinaryBatch(nil, b, nil)
		_, jerrs := cdc.DecodeJSONLines(nil, []byte(`{"op":"INSERT","lsn":1,"data":`+row+"}\n"), nil)
		w, _ := writer.Open(ctx, writer.Options{Store: upload.NewMemory()})
		res, err := w.Flush(ctx, es)
		if (derr == nil || len(jerrs) == 0) && (len(res.Rejected) > 0 || err != nil) {
			t.Errorf("%q: binary %v jsonl %v; flush rejected %v err %v", row, derr, jerrs, res.Rejected, err)
		}
		w.Close(ctx)
	}
}
