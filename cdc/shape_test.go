package cdc

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// checkShape decodes the lines of firsts with quickEnvelope (which keeps
// their shapes) and then next with the same cache, and compares what it
// makes of next with quickEnvelope on a cache of its own (member by
// member): a shape takes a line only when that takes it, and gives the
// same entry.
func checkShape(t *testing.T, opts *JSONOptions, next []byte, firsts ...[]byte) (taken bool) {
	t.Helper()
	var cache stringCache
	var e Entry
	for _, f := range firsts {
		quickEnvelope(&e, f, opts, &cache)
	}
	var got, want Entry
	ok := quickEnvelope(&got, next, opts, &cache)
	wantOK := quickEnvelope(&want, next, opts, &stringCache{})
	if ok != wantOK {
		t.Fatalf("after %q, quickEnvelope(%q) = %v, on its own %v", firsts, next, ok, wantOK)
	}
	if ok {
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("after %q, %q (-on its own +after):\n%s", firsts, next, diff)
		}
	}
	return ok
}

// TestEnvelopeShape decodes, after lines of several shapes, the same
// lines with each byte changed, removed or doubled, with other values and
// ops, and compares the shape's decoding with the member by member one.
func TestEnvelopeShape(t *testing.T) {
	opts := &JSONOptions{Table: "dt", Producer: "dp", FrameData: true}
	firsts := []string{
		`{"op":"INSERT","table":"users","lsn":1,"producer":"pg-users","commit_ts":1767225600000063,"data":{"id":489,"name":"x"}}`,
		`{"op":"UPDATE","table":"t","data":{"a":1},"lsn":7}`,
		`{"commit_ts":5,"op":"DELETE","lsn":12345678901,"data":{}}`,
		`{"op":"INSERT","data":{"a":{"b":[1]}}}`,
		`{"lsn":3,"op":"INSERT","producer":"p","data":{}}`,
	}
	var nexts []string
	for _, f := range firsts {
		nexts = append(nexts, f,
			strings.Replace(f, "INSERT", "UPDATE", 1), strings.Replace(f, "DELETE", "INSERT", 1),
			strings.Replace(f, `"lsn":1`, `"lsn":1234567890123456789`, 1), strings.Replace(f, `"lsn":1`, `"lsn":0`, 1),
			strings.Replace(f, `"lsn":1`, `"lsn":01`, 1), strings.Replace(f, `"lsn":1`, `"lsn":-1`, 1),
			strings.Replace(f, `"lsn":1`, `"lsn":"1"`, 1), strings.Replace(f, `"lsn":`, `"lsn":99`, 1),
			strings.Replace(f, `"commit_ts":`, `"commit_ts":9`, 1), strings.Replace(f, `"users"`, `"userz"`, 1),
			strings.Replace(f, `"data":{`, `"data":{"more":2,`, 1), strings.Replace(f, `}}`, `} }`, 1),
			strings.Replace(f, `"data":{`, `"data":[`, 1), f+" ", f[:len(f)-1])
		for i := range len(f) {
			for _, c := range []byte{'0', '9', '}', '"', ',', ' ', 'x'} {
				b := []byte(f)
				b[i] = c
				nexts = append(nexts, string(b))
			}
			nexts = append(nexts, f[:i]+f[i+1:], f[:i]+f[i:i+1]+f[i:])
		}
	}
	taken := 0
	for i, f := range firsts {
		// After the line alone, and after it and lines of the other ops
		// (the shapes of all three kept).
		other := strings.Replace(strings.Replace(f, "INSERT", "DELETE", 1), "UPDATE", "INSERT", 1)
		third := strings.Replace(strings.Replace(f, "INSERT", "UPDATE", 1), "DELETE", "UPDATE", 1)
		for _, n := range nexts {
			if checkShape(t, opts, []byte(n), []byte(f)) {
				taken++
			}
			checkShape(t, opts, []byte(n), []byte(f), []byte(other), []byte(third), []byte(firsts[(i+1)%len(firsts)]))
		}
	}
	if taken < 500 {
		t.Fatalf("the shape took only %d lines: the test checks too little", taken)
	}
}

// FuzzEnvelopeShape compares quickEnvelope on a line after another (the
// first's shape kept, alone or with the shapes of lines of other ops)
// with quickEnvelope on the line alone.
func FuzzEnvelopeShape(f *testing.F) {
	first := `{"op":"INSERT","table":"users","lsn":1,"producer":"pg-users","commit_ts":1767225600000063,"data":{"id":489}}`
	f.Add([]byte(first), []byte(strings.Replace(first, `"lsn":1`, `"lsn":22`, 1)))
	f.Add([]byte(first), []byte(strings.Replace(first, `INSERT`, `DELETE`, 1)))
	f.Add([]byte(`{"op":"UPDATE","data":{},"lsn":7}`), []byte(`{"op":"UPDATE","data":{},"lsn":8}`))
	f.Add([]byte(`{"lsn":3,"op":"INSERT","data":{}}`), []byte(`{"lsn":3,"op":"INSERT","data":{"a":1} }`))
	f.Fuzz(func(t *testing.T, first, next []byte) {
		opts := &JSONOptions{FrameData: true}
		checkShape(t, opts, next, first)
		// With the shapes of the other ops kept as well.
		checkShape(t, opts, next, first, bytes.Replace(first, []byte("INSERT"), []byte("UPDATE"), 1),
			bytes.Replace(first, []byte("INSERT"), []byte("DELETE"), 1))
	})
}
