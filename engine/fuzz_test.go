package engine

import (
	"bytes"
	"context"
	"testing"

	"github.com/evodb/writer/cdc"
)

// FuzzShred feeds arbitrary lines to the shredder and the block writer: it
// never panics, every row is either rejected with an error or read back
// from the Parquet block equal to its input, and a second batch through
// the same writer (with the schema the first one left) round-trips as
// well.
func FuzzShred(f *testing.F) {
	for _, seed := range []string{
		`{"a":1,"b":"x","c":[1,2],"d":{"e":true}}`,
		"{\"a\":1.5}\n{\"a\":\"s\"}\n{\"a\":null}",
		`{"t":"2026-11-25T10:00:00Z"}` + "\n" + `{"t":"2026-11-25T10:00:00.5+01:00"}`,
		`{"l":[[],[null],[{"x":1}]],"o":{}}`,
		`{"big":123456789012345678901234567890,"f":1e400}`,
		`{"a":1,"a":2}`,
		`{"\u0041":"\ud83d\ude00","a/b~c":1,"":2}`,
		`{"_lsn":1,"A":1,"a":2}`,
		"{\"a\":\"\xff\"}",
		`[1]`,
		`{"a":NaN}`,
		`{"deep":[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		lines := bytes.Split(data, []byte("\n"))
		if len(lines) > 64 {
			lines = lines[:64]
		}
		bw, err := NewBlockWriter(BlockOptions{Shredder: Options{Table: "t", MaxDepth: 16}, RowGroupBytes: 64})
		if err != nil {
			t.Fatal(err)
		}
		for round := range 2 {
			es := make([]cdc.Entry, len(lines))
			for i, l := range lines {
				es[i] = cdc.Entry{Op: cdc.Insert, Table: "t", Data: l, LSN: int64(i), Producer: "p"}
			}
			var buf bytes.Buffer
			info, err := bw.WriteBlock(context.Background(), &buf, es)
			if err != nil {
				t.Fatalf("round %d: WriteBlock: %v", round, err)
			}
			for _, e := range info.Errors {
				if e.Err == nil || e.Error() == "" {
					t.Fatalf("row error without a message: %#v", e)
				}
			}
			if info.Stats.Rows+info.Stats.Rejected != len(es) {
				t.Fatalf("round %d: %d rows + %d rejected != %d entries", round, info.Stats.Rows, info.Stats.Rejected, len(es))
			}
			f, err := OpenBlock(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
			if err != nil {
				t.Fatalf("round %d: OpenBlock: %v", round, err)
			}
			rows, err := f.Rows(context.Background())
			if err != nil {
				t.Fatalf("round %d: Rows: %v", round, err)
			}
			compareRows(t, es, info.Errors, rows)
		}
	})
}
