package gen

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/evodb/writer/cdc"
	"github.com/google/go-cmp/cmp"
)

func TestDeterministic(t *testing.T) {
	a := New(Config{Seed: 42}).JSONLines(nil, 500)
	b := New(Config{Seed: 42}).JSONLines(nil, 500)
	if !bytes.Equal(a, b) {
		t.Fatal("the same seed gave different streams")
	}
	c := New(Config{Seed: 43}).JSONLines(nil, 500)
	if bytes.Equal(a, c) {
		t.Fatal("different seeds gave the same stream")
	}
}

func TestStreamShape(t *testing.T) {
	g := New(Config{Seed: 1})
	es := g.Entries(nil, 5000)
	tables := map[string]int{}
	ops := map[cdc.Op]int{}
	nulls, values := 0, 0
	for i, e := range es {
		if !json.Valid(e.Data) || e.Data[0] != '{' {
			t.Fatalf("entry %d: invalid JSON object %q", i, e.Data)
		}
		if i > 0 && (e.LSN <= es[i-1].LSN || !e.CommitTime.After(es[i-1].CommitTime)) {
			t.Fatalf("entry %d: LSN or commit time not increasing", i)
		}
		tables[e.Table]++
		ops[e.Op]++
		var m map[string]any
		if err := json.Unmarshal(e.Data, &m); err != nil {
			t.Fatal(err)
		}
		for _, v := range m {
			values++
			if v == nil {
				nulls++
			}
		}
	}
	if len(tables) != 3 || len(ops) != 3 {
		t.Fatalf("tables %v ops %v", tables, ops)
	}
	if rate := float64(nulls) / float64(values); rate < 0.01 || rate > 0.1 {
		t.Fatalf("explicit null rate %.3f", rate)
	}
	// The same stream as JSON lines decodes to the same entries.
	lines := New(Config{Seed: 1}).JSONLines(nil, 5000)
	back, errs := cdc.DecodeJSONLines(nil, lines, nil)
	if len(errs) != 0 {
		t.Fatalf("JSON lines rejected: %v", errs[0])
	}
	if len(back) != len(es) {
		t.Fatalf("%d entries decoded, want %d", len(back), len(es))
	}
	for i := range es {
		a, b := es[i], back[i]
		if a.Op != b.Op || a.Table != b.Table || a.LSN != b.LSN || a.Producer != b.Producer ||
			!a.CommitTime.Equal(b.CommitTime) || !bytes.Equal(a.Data, b.Data) {
			t.Fatalf("entry %d decodes differently (-entry +decoded):\n%s", i, cmp.Diff(a, b))
		}
	}
}

func TestSkewedIDs(t *testing.T) {
	g := New(Config{Seed: 7, Tables: []string{"orders"}})
	es := g.Entries(nil, 20000)
	counts := map[string]int{}
	for _, e := range es {
		var m struct {
			UserID json.Number `json:"user_id"`
		}
		if err := json.Unmarshal(e.Data, &m); err != nil {
			t.Fatal(err)
		}
		counts[string(m.UserID)]++
	}
	if counts["1"] < len(es)/20 {
		t.Fatalf("id 1 appears %d times in %d rows: not skewed", counts["1"], len(es))
	}
	if len(counts) < 1000 {
		t.Fatalf("only %d distinct ids", len(counts))
	}
}
