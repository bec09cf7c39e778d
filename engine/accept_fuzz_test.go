package engine

import (
	"bytes"
	"encoding/json"
	"io"
	"testing"
	"unicode/utf8"

	"github.com/evodb/writer/cdc"
)

// referenceAccepts is what the shredder must accept, decided with
// encoding/json: one valid JSON object (nothing after it), valid UTF-8,
// no object naming a member twice, nested at most maxDepth deep.
func referenceAccepts(line []byte, maxDepth int) bool {
	if !json.Valid(line) || !utf8.Valid(line) {
		return false
	}
	if t := bytes.TrimLeft(line, " \t\r\n"); len(t) == 0 || t[0] != '{' {
		return false
	}
	dec := json.NewDecoder(bytes.NewReader(line))
	// Numbers as their text: a number beyond float64's range (1E700) is
	// valid JSON, which the shredder keeps in _rescued, where Token would
	// fail to convert it.
	dec.UseNumber()
	type frame struct {
		obj    bool
		keys   map[string]bool
		expect bool // an object expects a key next
	}
	var stack []frame
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return true
		}
		if err != nil {
			return false
		}
		top := len(stack) - 1
		if d, ok := tok.(json.Delim); ok {
			switch d {
			case '{', '[':
				if top >= 0 && stack[top].obj {
					stack[top].expect = true
				}
				stack = append(stack, frame{obj: d == '{', keys: map[string]bool{}, expect: true})
				if len(stack) > maxDepth {
					return false
				}
			default:
				stack = stack[:top]
			}
			continue
		}
		if top >= 0 && stack[top].obj {
			if stack[top].expect {
				k := tok.(string)
				if stack[top].keys[k] {
					return false
				}
				stack[top].keys[k] = true
				stack[top].expect = false
			} else {
				stack[top].expect = true
			}
		}
	}
}

// FuzzShredAccepts checks the shredder's fast paths (short strings,
// plain numbers, member names matched against the predicted column's)
// against encoding/json: a row is accepted exactly when it is one valid
// JSON object in valid UTF-8 without a repeated member, both by a
// shredder that meets it first and by one that learned a schema of
// typed columns (so that its names are predicted and its numbers read
// into int64 and double columns) from an earlier batch.
func FuzzShredAccepts(f *testing.F) {
	for _, seed := range []string{
		`{"a":1,"b":"xy","c":1.5,"d":{"e":true,"f":[1,2]},"ts":"2026-01-01T00:00:00Z"}`,
		`{"a":-0,"b":"\u0041","c":01}`,
		`{"a":1,"a":2}`,
		`{"a":1,"\u0061":2}`,
		`{"b":"xy","b":"xy"}`,
		`{"a":-,"c":1.}`,
		`{"a":1}x`,
		`{"a":1} `,
		`{"":1E700}`,
		"{\"b\":\"\xc3\"}",
		"{\"b\":\"ab\x01\"}",
		"{\"b\":\"abcdefgh\x7f\"}",
		`{"a":123456789012345678901}`,
		`{"c":1.23456789012345678}`,
		`{"d":{"e":true,"e":false}}`,
		`{"d":{"f":[1,2],"e":true},"a":1}`,
	} {
		f.Add([]byte(seed))
	}
	const schemaRow = `{"a":1,"b":"xy","c":1.5,"d":{"e":true,"f":[1,2],"longer_name_x":"q"},"ts":"2026-01-01T00:00:00Z","abcdefgh":2}`
	f.Fuzz(func(t *testing.T, line []byte) {
		if bytes.ContainsAny(line, "\n") || len(line) > 4096 {
			return
		}
		want := referenceAccepts(line, 64)
		for _, primed := range []bool{false, true} {
			s, err := NewShredder(Options{Table: "t"})
			if err != nil {
				t.Fatal(err)
			}
			if primed {
				b, err := s.Shred([]cdc.Entry{{Op: cdc.Insert, Table: "t", Data: []byte(schemaRow)}})
				if err != nil || b.Stats.Rows != 1 {
					t.Fatalf("schema row: %v %+v", err, b)
				}
			}
			b, err := s.Shred([]cdc.Entry{{Op: cdc.Insert, Table: "t", Data: line}})
			if err != nil {
				t.Fatal(err)
			}
			got := b.Stats.Rows == 1
			if got != want {
				var why error
				if len(b.Errors) > 0 {
					why = b.Errors[0]
				}
				t.Fatalf("primed %v: shredder accepts %q: %v (%v), encoding/json: %v", primed, line, got, why, want)
			}
		}
	})
}
