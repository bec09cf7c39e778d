package cdc

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// checkQuickValidated decodes line with the validating decoder's fast path
// and its general path, and fails unless the fast path takes the line
// exactly when want says so, and, when it does, the general path accepts
// it with the same entry.
func checkQuickValidated(t *testing.T, line []byte, opts *JSONOptions, maxDepth int, want bool) {
	t.Helper()
	var quick, general Entry
	took := quickValidated(&quick, line, maxDepth, opts, &stringCache{})
	err := decodeLineMode(&general, line, maxDepth, opts, &stringCache{}, false)
	if took && err != nil {
		t.Fatalf("the fast path took %q, which the general path rejects: %v", line, err)
	}
	if took {
		if diff := cmp.Diff(general, quick); diff != "" {
			t.Fatalf("%q (-general +quick):\n%s", line, diff)
		}
	}
	if took != want {
		t.Fatalf("quickValidated took %q: %v, want %v (general path: %v)", line, took, want, err)
	}
}

// TestQuickValidated checks the validating decoder's fast path against its
// general path: the lines it takes decode to the same entry, and it gives
// up on every line outside its shape or with a row the general path
// refuses (which then names the problem).
func TestQuickValidated(t *testing.T) {
	tests := []struct {
		name  string
		line  string
		quick bool
	}{
		{"all members, data last", `{"op":"INSERT","table":"users","lsn":1,"producer":"pg-users","commit_ts":1767225600000063,"data":{"id":489,"tags":["a"]}}`, true},
		{"data in the middle", `{"op":"INSERT","data":{"id":1,"user":"user-1","type":"view","amount":0.01,"ok":true},"lsn":1,"commit_ts":1764000000001000}`, true},
		{"data first", `{"data":{"a":{"b":[1,2,{"c":null}]}},"op":"UPDATE","lsn":7}`, true},
		{"op and data only", `{"op":"DELETE","data":{}}`, true},
		{"row with white space and escapes", `{"op":"INSERT","data":{ "a" : "x\u00e9\n" , "b":[ 1 , -2.5e3 ] },"lsn":3}`, true},
		{"row with non-ASCII text", `{"op":"INSERT","data":{"name":"Zoë","city":"Zürich"},"lsn":4}`, true},
		{"lsn 0", `{"op":"UPDATE","lsn":0,"data":{"a":1}}`, true},
		{"largest quick lsn", `{"op":"INSERT","lsn":999999999999999999,"data":{}}`, true},
		{"19-digit lsn", `{"op":"INSERT","lsn":9223372036854775807,"data":{}}`, false},
		{"lsn with leading zero", `{"op":"INSERT","lsn":01,"data":{}}`, false},
		{"negative lsn", `{"op":"INSERT","lsn":-1,"data":{}}`, false},
		{"fractional lsn", `{"op":"INSERT","lsn":1.5,"data":{}}`, false},
		{"string lsn", `{"op":"INSERT","lsn":"1","data":{}}`, false},
		{"negative commit time", `{"op":"INSERT","commit_ts":-5,"data":{}}`, false},
		{"text commit time", `{"op":"INSERT","commit_ts":"2026-11-25T10:00:00Z","data":{}}`, false},
		{"lower-case op", `{"op":"insert","data":{}}`, false},
		{"unknown op", `{"op":"UPSERT","data":{}}`, false},
		{"escaped table", `{"op":"INSERT","table":"a\"b","data":{}}`, false},
		{"non-ASCII producer", `{"op":"INSERT","producer":"é","data":{}}`, false},
		{"escaped member name", `{"\u006fp":"INSERT","data":{}}`, false},
		{"white space in the envelope", `{"op": "INSERT","data":{}}`, false},
		{"white space after data", `{"op":"INSERT","data":{} ,"lsn":1}`, false},
		{"trailing white space", `{"op":"INSERT","data":{}} `, false},
		{"data not an object", `{"op":"INSERT","data":[1]}`, false},
		{"repeated member", `{"op":"INSERT","op":"DELETE","data":{}}`, false},
		{"repeated data", `{"op":"INSERT","data":{},"data":{}}`, false},
		{"unknown member", `{"op":"INSERT","x":1,"data":{}}`, false},
		{"no op", `{"table":"t","data":{}}`, false},
		{"no data", `{"op":"INSERT","lsn":1}`, false},
		{"plain row", `{"a":1}`, false},
		{"truncated", `{"op":"INSERT","table":"t`, false},
		{"truncated row", `{"op":"INSERT","data":{"a":1`, false},
		{"empty object", `{}`, false},
		{"bad row: syntax", `{"op":"INSERT","data":{"a":1,},"lsn":1}`, false},
		{"bad row: NaN", `{"op":"INSERT","data":{"a":NaN},"lsn":1}`, false},
		{"bad row: invalid UTF-8", "{\"op\":\"INSERT\",\"data\":{\"a\":\"\xff\"},\"lsn\":1}", false},
		{"bad row: control byte", "{\"op\":\"INSERT\",\"data\":{\"a\":\"\x01\"},\"lsn\":1}", false},
		{"bad row: bad escape", `{"op":"INSERT","data":{"a":"\x"},"lsn":1}`, false},
		{"bad row: repeated key", `{"op":"INSERT","data":{"a":1,"a":2},"lsn":1}`, false},
		{"bad row: repeated escaped key", `{"op":"INSERT","data":{"a":1,"\u0061":2},"lsn":1}`, false},
		{"bad row: repeated nested key", `{"op":"INSERT","data":{"a":{"b":1,"b":2}},"lsn":1}`, false},
		{"row ends the line early", `{"op":"INSERT","data":{"a":1}}}`, false},
	}
	opts := &JSONOptions{Table: "default_table", Producer: "p0", UniqueKeys: true}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkQuickValidated(t, []byte(tt.line), opts, 64, tt.quick)
		})
	}
}

// TestQuickValidatedLimits checks that the fast path applies the depth
// limit as the general path does (the line's own object is level 1) and
// refuses repeated keys only with UniqueKeys.
func TestQuickValidatedLimits(t *testing.T) {
	nested := func(levels int) string {
		return `{"op":"INSERT","data":` + strings.Repeat(`{"a":`, levels-1) + `{}` + strings.Repeat(`}`, levels-1) + `,"lsn":1}`
	}
	tests := []struct {
		name     string
		line     string
		opts     JSONOptions
		maxDepth int
		quick    bool
	}{
		{"row of 3 levels in a line of 4, limit 4", nested(3), JSONOptions{}, 4, true},
		{"row of 4 levels in a line of 5, limit 4", nested(4), JSONOptions{}, 4, false},
		{"row of 63 levels, default limit", nested(63), JSONOptions{}, 64, true},
		{"row of 64 levels, default limit", nested(64), JSONOptions{}, 64, false},
		{"array levels count", `{"op":"INSERT","data":{"a":[[1]]}}`, JSONOptions{}, 3, false},
		{"repeated key without UniqueKeys", `{"op":"INSERT","data":{"a":1,"a":2}}`, JSONOptions{}, 64, true},
		{"repeated key with UniqueKeys", `{"op":"INSERT","data":{"a":1,"a":2}}`, JSONOptions{UniqueKeys: true}, 64, false},
		{"default table and producer", `{"op":"INSERT","data":{}}`, JSONOptions{Table: "t", Producer: "p"}, 64, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkQuickValidated(t, []byte(tt.line), &tt.opts, tt.maxDepth, tt.quick)
		})
	}
}

// TestQuickValidatedBatch decodes a batch whose lines the fast path takes
// and gives up on in turn, with table and producer names that change from
// line to line, and compares it with each line decoded alone by the
// general path.
func TestQuickValidatedBatch(t *testing.T) {
	lines := []string{
		`{"op":"INSERT","table":"t1","producer":"p","data":{"a":1},"lsn":1}`,
		`{"op":"INSERT","table":"t1","producer":"p","data":{"a":2},"lsn":2}`,
		`{"op":"INSERT","table":"t12","producer":"","data":{},"lsn":3}`,
		`{"op": "UPDATE","table":"t1","data":{"a":3},"lsn":4}`,
		`{"op":"INSERT","table":"t","producer":"p","data":{"b":[true,false,null]},"lsn":5}`,
		`{"op":"INSERT","table":"a\"b","data":{},"lsn":6}`,
		`{"op":"DELETE","table":"t","producer":"q","data":{"k":"v"},"lsn":"7"}`,
		`{"op":"DELETE","table":"t","producer":"q","data":{"k":"v"},"lsn":8}`,
		`{"x":1}`,
	}
	opts := &JSONOptions{Table: "dt", Producer: "dp", UniqueKeys: true}
	var batch []byte
	var want []Entry
	for _, l := range lines {
		batch = append(batch, l+"\n"...)
		var e Entry
		if err := decodeLineMode(&e, []byte(l), 64, opts, &stringCache{}, false); err != nil {
			t.Fatal(err)
		}
		want = append(want, e)
	}
	got, errs := DecodeJSONLines(nil, batch, opts)
	if len(errs) != 0 {
		t.Fatal(errs)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-each line alone +batch):\n%s", diff)
	}
}

// FuzzQuickValidated compares the validating decoder's fast path with its
// general path on a line, after another line (whose table and producer
// names the fast path keeps), with and without UniqueKeys.
func FuzzQuickValidated(f *testing.F) {
	f.Add([]byte(`{"op":"INSERT","data":{"id":1,"user":"user-1","type":"view","amount":0.01,"ok":true},"lsn":1,"commit_ts":1764000000001000}`),
		[]byte(`{"op":"INSERT","data":{"id":2,"user":"user-2","type":"click","amount":0.02,"ok":false},"lsn":2,"commit_ts":1764000000002000}`), true)
	f.Add([]byte(`{"op":"UPDATE","table":"t","producer":"p","data":{"a":[1,{"b":"}"}]},"lsn":7}`),
		[]byte(`{"op":"UPDATE","table":"t","producer":"pq","data":{"a":1,"a":2},"lsn":8}`), false)
	f.Add([]byte(`{"data":{},"op":"DELETE"}`), []byte(`{"data":{"\u0061":1,"a":2},"op":"DELETE"}`), true)
	f.Add([]byte(`{"op":"INSERT","data":{"a":"\ud83d\ude00"}}`), []byte(`{"op":"INSERT","data":{"a":-0.0E+1}}`), true)
	f.Fuzz(func(t *testing.T, first, line []byte, unique bool) {
		if bytes.ContainsAny(line, "\n\r") {
			return
		}
		opts := &JSONOptions{Table: "dt", Producer: "dp", UniqueKeys: unique}
		const maxDepth = 16
		var cache stringCache
		var e Entry
		quickValidated(&e, first, maxDepth, opts, &cache)
		var quick, general Entry
		if !quickValidated(&quick, line, maxDepth, opts, &cache) {
			return
		}
		if err := decodeLineMode(&general, line, maxDepth, opts, &stringCache{}, false); err != nil {
			t.Fatalf("the fast path took %q, which the general path rejects: %v", line, err)
		}
		if diff := cmp.Diff(general, quick); diff != "" {
			t.Fatalf("%q after %q (-general +quick):\n%s", line, first, diff)
		}
	})
}
