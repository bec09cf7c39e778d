package engine

import (
	"bytes"
	"testing"

	"github.com/evodb/writer/cdc"
)

// FuzzShred feeds arbitrary lines to the shredder: it never panics, every
// row is either rejected with an error or read back equal to its input,
// and a second batch through the same shredder (with the schema the
// first one left) round-trips as well.
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
		s, err := NewShredder(Options{Table: "t", MaxDepth: 16})
		if err != nil {
			t.Fatal(err)
		}
		for round := range 2 {
			es := make([]cdc.Entry, len(lines))
			for i, l := range lines {
				es[i] = cdc.Entry{Op: cdc.Insert, Table: "t", Data: l, LSN: int64(i), Producer: "p"}
			}
			b, err := s.Shred(es)
			if err != nil {
				t.Fatalf("round %d: Shred: %v", round, err)
			}
			for _, e := range b.Errors {
				if e.Err == nil || e.Error() == "" {
					t.Fatalf("row error without a message: %#v", e)
				}
			}
			if b.Stats.Rows+b.Stats.Rejected != len(es) {
				t.Fatalf("round %d: %d rows + %d rejected != %d entries", round, b.Stats.Rows, b.Stats.Rejected, len(es))
			}
			checkRoundTrip(t, es, b)
		}
	})
}
