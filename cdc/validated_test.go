package cdc

import (
	"bytes"
	"errors"
	"fmt"
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

// checkQuickRow validates the row at the start of b with quickRow and
// with the scanner (as the general path does, inside a line's object),
// and fails unless quickRow takes the row exactly when want says so and,
// when it does, the scanner accepts it with the same end.
func checkQuickRow(t *testing.T, b []byte, maxDepth int, unique, want bool) {
	t.Helper()
	end, took := quickRow(b, 0, 2, maxDepth, unique, new([]keySpan))
	s := scanner{b: b, depth: 1, maxDepth: maxDepth, unique: unique}
	err := s.object()
	if took && (err != nil || s.i != end) {
		t.Fatalf("quickRow took %q up to %d; the scanner: %v, up to %d", b, end, err, s.i)
	}
	if took != want {
		t.Fatalf("quickRow took %q: %v, want %v (scanner: %v)", b, took, want, err)
	}
}

// TestQuickRow checks the row validator of the fast path against the
// scanner: it takes the common rows, with their white space, non-ASCII
// strings, escapes in values and nested values, and gives up on rows it
// does not handle or that the scanner refuses.
func TestQuickRow(t *testing.T) {
	tests := []struct {
		name   string
		row    string
		unique bool
		quick  bool
	}{
		{"service row", `{"id":1,"user":"user-1","type":"view","amount":0.01,"ok":true}`, true, true},
		{"empty", `{}`, true, true},
		{"empty with white space", "{ \t}", true, true},
		{"white space everywhere", "{ \"a\" : 1 ,\r\n\"b\"\t:\"x\" }", true, true},
		{"numbers", `{"a":0,"b":-0,"c":-12.5e+3,"d":1E5,"e":0.25,"f":123456789012345678901234567890}`, true, true},
		{"literals", `{"a":true,"b":false,"c":null}`, true, true},
		{"non-ASCII and escaped values", `{"a":"Zoë","b":"\u00e9\n\"","c":"😀"}`, true, true},
		{"nested values", `{"a":{"b":[1,{"c":"d"}],"e":{}},"f":[]}`, true, true},
		{"long plain string", `{"a":"` + strings.Repeat("x", 100) + `"}`, true, true},
		{"trailing bytes after the row", `{"a":1},"lsn":1}`, true, true},
		{"16 members", `{` + rowMembers(16) + `}`, true, true},
		{"17 members", `{` + rowMembers(17) + `}`, true, false},
		{"17 members, names not checked", `{` + rowMembers(17) + `}`, false, true},
		{"repeated name", `{"a":1,"b":2,"a":3}`, true, false},
		{"repeated name, not checked", `{"a":1,"b":2,"a":3}`, false, true},
		{"repeated nested name", `{"a":{"b":1,"b":2}}`, true, false},
		{"escaped name", `{"\u0061":1}`, true, false},
		{"non-ASCII name", `{"é":1}`, true, false},
		{"leading zero", `{"a":01}`, true, false},
		{"bare minus", `{"a":-}`, true, false},
		{"point without digits", `{"a":1.}`, true, false},
		{"exponent without digits", `{"a":1e+}`, true, false},
		{"NaN", `{"a":NaN}`, true, false},
		{"negative Infinity", `{"a":-Infinity}`, true, false},
		{"bad literal", `{"a":tru}`, true, false},
		{"literal run on", `{"a":truex}`, true, false},
		{"trailing comma", `{"a":1,}`, true, false},
		{"missing colon", `{"a" 1}`, true, false},
		{"unterminated string", `{"a":"x`, true, false},
		{"bad escape", `{"a":"\x"}`, true, false},
		{"invalid UTF-8", "{\"a\":\"\xff\"}", true, false},
		{"control byte", "{\"a\":\"\x01\"}", true, false},
		{"truncated", `{"a":1`, true, false},
		{"unclosed nested", `{"a":[1,2}`, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkQuickRow(t, []byte(tt.row), 64, tt.unique, tt.quick)
		})
	}
	// The depth limit: the row is level 2 of its line.
	deep := func(levels int) []byte {
		return []byte(strings.Repeat(`{"a":`, levels-1) + `{}` + strings.Repeat(`}`, levels-1))
	}
	checkQuickRow(t, deep(1), 2, true, true)
	checkQuickRow(t, deep(1), 1, true, false)
	checkQuickRow(t, deep(3), 4, true, true)
	checkQuickRow(t, deep(4), 4, true, false)
	checkQuickRow(t, []byte(`{"a":[[1]]}`), 4, true, true)
	checkQuickRow(t, []byte(`{"a":[[1]]}`), 3, true, false)
}

// rowMembers is n members "k0":0, "k1":1, ... joined by commas.
func rowMembers(n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `"k%d":%d`, i, i)
	}
	return b.String()
}

// FuzzQuickRow compares the fast path's row validator with the scanner on
// arbitrary text after an opening brace.
func FuzzQuickRow(f *testing.F) {
	f.Add([]byte(`"id":1,"user":"user-1","type":"view","amount":0.01,"ok":true}`), true, 64)
	f.Add([]byte(`"a":{"b":[1,{"c":"d"}],"e":{}},"f":[],"a":2}`), true, 64)
	f.Add([]byte(` "a" : -1.5e-3 , "b" : "\u00e9" }`), false, 64)
	f.Add([]byte(`"a":[[[1]]]}`), true, 4)
	f.Fuzz(func(t *testing.T, rest []byte, unique bool, maxDepth int) {
		if maxDepth < 1 || maxDepth > 64 {
			return
		}
		b := append([]byte{'{'}, rest...)
		// At level 2 (a JSON line's row) and at level 1 (a binary
		// batch's row).
		for depth := 1; depth <= 2; depth++ {
			end, took := quickRow(b, 0, depth, maxDepth, unique, new([]keySpan))
			if !took {
				continue
			}
			s := scanner{b: b, depth: depth - 1, maxDepth: maxDepth, unique: unique}
			if err := s.object(); err != nil || s.i != end {
				t.Fatalf("quickRow at level %d took %q up to %d; the scanner: %v, up to %d", depth, b, end, err, s.i)
			}
		}
	})
}

// TestBinaryBatchRows decodes binary batches of one row each, rows the
// fast path takes and rows it gives up on, and checks that each is
// accepted or refused as the scanner alone decides (level 1: the row is
// the whole value), with the error naming the row.
func TestBinaryBatchRows(t *testing.T) {
	rows := []string{
		`{"id":1,"user":"user-1","type":"view","amount":0.01,"ok":true}`,
		`{ "a" : [1, {"b": "é"}] }`,
		`{` + rowMembers(17) + `}`,
		`{"\u0061":1,"b":2}`,
		`{"a":1,"a":2}`,
		`{"\u0061":1,"a":2}`,
		`{"a":{"b":1,"b":2}}`,
		`{"a":01}`,
		`{"a":1} x`,
		`{"a":1}  `,
		`{"a":[[[[1]]]]}`,
	}
	for _, unique := range []bool{false, true} {
		for _, row := range rows {
			b, err := AppendBinaryBatch(nil, []Entry{{Op: Insert, Table: "t", Producer: "p", LSN: 1, Data: []byte(row)}})
			if err != nil {
				t.Fatal(err)
			}
			opts := &JSONOptions{MaxDepth: 4, UniqueKeys: unique}
			_, err = DecodeBinaryBatch(nil, b, opts)
			s := scanner{b: []byte(row), maxDepth: 4, unique: unique}
			want := s.value()
			if s.ws(); want == nil && s.i != len(row) {
				want = errors.New("bytes after the object")
			}
			if (err == nil) != (want == nil) {
				t.Fatalf("row %q (unique %v): DecodeBinaryBatch: %v; the scanner: %v", row, unique, err, want)
			}
			if err != nil && !strings.Contains(err.Error(), "entry 0 (LSN 1)") {
				t.Fatalf("row %q: error %q does not name the entry", row, err)
			}
		}
	}
}
