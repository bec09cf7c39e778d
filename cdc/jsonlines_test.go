package cdc

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

func TestDecodeJSONLines(t *testing.T) {
	opts := &JSONOptions{Table: "default_table", Producer: "p0"}
	ts := time.Date(2026, 11, 25, 10, 0, 0, 123456000, time.UTC)
	tests := []struct {
		name string
		line string
		want Entry
	}{
		{"envelope", `{"op":"INSERT","table":"events","data":{"type":"click","userId":123},"lsn":100}`,
			Entry{Op: Insert, Table: "events", Producer: "p0", LSN: 100, Data: []byte(`{"type":"click","userId":123}`)}},
		{"plain row", `{"type":"click","userId":123}`,
			Entry{Op: Insert, Table: "default_table", Producer: "p0", Data: []byte(`{"type":"click","userId":123}`)}},
		{"plain row with op but no data", `{"op":"x","n":1}`,
			Entry{Op: Insert, Table: "default_table", Producer: "p0", Data: []byte(`{"op":"x","n":1}`)}},
		{"all members, lower-case op, string lsn", ` {"op":"delete","data":{"id":7},"lsn":"9223372036854775807","producer":"db\u002d1","commit_ts":"2026-11-25T10:00:00.123456Z","table":"t"} `,
			Entry{Op: Delete, Table: "t", Producer: "db-1", LSN: 9223372036854775807, CommitTime: ts, Data: []byte(`{"id":7}`)}},
		{"integer commit time", `{"op":"UPDATE","data":{},"commit_ts":1764064800123456}`,
			Entry{Op: Update, Table: "default_table", Producer: "p0", CommitTime: time.UnixMicro(1764064800123456).UTC(), Data: []byte(`{}`)}},
		{"escaped member name", `{"\u006fp":"INSERT","data":{"a":[1,2,{"b":null}]}}`,
			Entry{Op: Insert, Table: "default_table", Producer: "p0", Data: []byte(`{"a":[1,2,{"b":null}]}`)}},
		{"nested op and data are row content", `{"row":{"op":"DELETE","data":{}}}`,
			Entry{Op: Insert, Table: "default_table", Producer: "p0", Data: []byte(`{"row":{"op":"DELETE","data":{}}}`)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, frame := range []bool{false, true} {
				o := *opts
				o.FrameData = frame
				got, errs := DecodeJSONLines(nil, []byte(tt.line+"\r\n"), &o)
				if len(errs) != 0 {
					t.Fatalf("FrameData %v: errors: %v", frame, errs)
				}
				if diff := cmp.Diff([]Entry{tt.want}, got); diff != "" {
					t.Errorf("FrameData %v: (-want +got):\n%s", frame, diff)
				}
			}
		})
	}
}

func TestDecodeJSONLinesRejects(t *testing.T) {
	long := `{"s":"` + strings.Repeat("x", 300) + `"}`
	deep := `{"a":` + strings.Repeat("[", 70) + strings.Repeat("]", 70) + "}"
	tests := []struct {
		name    string
		line    string
		err     error
		message string
	}{
		{"truncated", `{"a":1`, ErrSyntax, "unexpected end of input"},
		{"trailing comma", `{"a":1,}`, ErrSyntax, "want a member name"},
		{"NaN", `{"a":NaN}`, ErrSyntax, "NaN and Infinity"},
		{"negative Infinity", `{"a":-Infinity}`, ErrSyntax, "NaN and Infinity"},
		{"leading zero", `{"a":01}`, ErrSyntax, "want ',' or '}'"},
		{"bad escape", `{"a":"\q"}`, ErrSyntax, "invalid escape"},
		{"control byte", "{\"a\":\"x\ty\"}", ErrSyntax, "control byte 0x09"},
		{"invalid UTF-8", "{\"a\":\"\xff\"}", ErrInvalidUTF8, "byte 0xff"},
		{"too deep", deep, ErrTooDeep, "more than 64 levels"},
		{"too long", long, ErrLineTooLong, "limit 200"},
		{"array", `[1,2]`, ErrNotObject, ""},
		{"two objects", `{"a":1}{"b":2}`, ErrSyntax, "after the object"},
		{"unknown envelope member", `{"op":"INSERT","data":{},"before":{}}`, ErrEnvelope, `unknown member "before"`},
		{"bad op", `{"op":"UPSERT","data":{}}`, ErrEnvelope, `"op" is "UPSERT"`},
		{"data not object", `{"op":"INSERT","data":[1]}`, ErrEnvelope, `"data" must be an object`},
		{"negative lsn", `{"op":"INSERT","data":{},"lsn":-1}`, ErrEnvelope, `"lsn" is "-1"`},
		{"fractional lsn", `{"op":"INSERT","data":{},"lsn":1.5}`, ErrEnvelope, `"lsn" is "1.5"`},
		{"duplicate member", `{"op":"INSERT","op":"DELETE","data":{}}`, ErrEnvelope, `"op" appears twice`},
		{"bad commit time", `{"op":"INSERT","data":{},"commit_ts":"yesterday"}`, ErrEnvelope, "not RFC 3339"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			batch := "{\"ok\":1}\n" + tt.line + "\n{\"ok\":2}\n"
			got, errs := DecodeJSONLines(nil, []byte(batch), &JSONOptions{MaxLineBytes: 200})
			if len(got) != 2 || string(got[0].Data) != `{"ok":1}` || string(got[1].Data) != `{"ok":2}` {
				t.Errorf("the good lines around the bad one were not kept: %+v", got)
			}
			if len(errs) != 1 {
				t.Fatalf("got %d errors, want 1: %v", len(errs), errs)
			}
			e := errs[0]
			if e.Line != 2 || e.Offset != len("{\"ok\":1}\n") {
				t.Errorf("error names line %d offset %d, want line 2 offset 9", e.Line, e.Offset)
			}
			if !errors.Is(e, tt.err) {
				t.Errorf("error %q is not %v", e, tt.err)
			}
			if !strings.Contains(e.Error(), tt.message) || !strings.HasPrefix(e.Error(), "line 2: ") {
				t.Errorf("error %q does not say %q", e, tt.message)
			}
		})
	}
}

func TestAppendJSONLineRoundTrip(t *testing.T) {
	in := []Entry{
		{Op: Insert, Table: "events", Producer: "db-1", LSN: 1, Data: []byte(`{"a":1}`)},
		{Op: Update, Table: "ta\"ble\n\x01é", Producer: "", LSN: 1 << 62, CommitTime: time.UnixMicro(1764064800123456).UTC(), Data: []byte(`{"nested":{"x":[true,false,null]}}`)},
		{Op: Delete, Table: "t", Producer: "bad\xffutf8", LSN: 0, Data: []byte(`{}`)},
	}
	var buf []byte
	for i := range in {
		var err error
		if buf, err = AppendJSONLine(buf, &in[i]); err != nil {
			t.Fatal(err)
		}
	}
	got, errs := DecodeJSONLines(nil, buf, nil)
	if len(errs) != 0 {
		t.Fatalf("errors: %v", errs)
	}
	want := append([]Entry(nil), in...)
	want[2].Producer = "bad\uFFFDutf8" // invalid UTF-8 is replaced, never written raw
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if _, err := AppendJSONLine(nil, &Entry{Op: 0, Data: []byte(`{}`)}); err == nil {
		t.Error("invalid op accepted")
	}
	if _, err := AppendJSONLine(nil, &Entry{Op: Insert, Data: []byte(`[1]`)}); err == nil {
		t.Error("non-object data accepted")
	}
}

// FuzzDecodeJSONLines checks that decoding never panics, that every line
// it accepts is valid JSON, and that every valid JSON object line within
// the limits is accepted.
func FuzzDecodeJSONLines(f *testing.F) {
	f.Add([]byte(`{"op":"INSERT","table":"events","data":{"type":"click"},"lsn":100}`))
	f.Add([]byte("{\"a\":[1,2.5e-3,\"x\\u00e9\",null]}\n{\"b\":{}}"))
	f.Add([]byte(`{"a":"\ud83d\ude00"}`))
	f.Add([]byte(`{"a":-0.0E+1}`))
	f.Add([]byte(`{"op":"UPDATE","table":"t","lsn":7,"producer":"p","commit_ts":1764064800123456,"data":{"a":[1,{"b":"}"}]}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		entries, errs := DecodeJSONLines(nil, data, &JSONOptions{MaxDepth: 16})
		for _, e := range entries {
			if !json.Valid(e.Data) || e.Data[0] != '{' {
				t.Fatalf("accepted row is not a JSON object: %q", e.Data)
			}
		}
		for _, le := range errs {
			if le.Line < 1 || le.Offset < 0 || le.Offset > len(data) || le.Err == nil {
				t.Fatalf("malformed error %+v", le)
			}
			if errors.Is(le, ErrSyntax) && !strings.Contains(le.Error(), "line ") {
				t.Fatalf("error does not name its line: %v", le)
			}
		}
		// The framing mode accepts every line the validating one does,
		// with the same entry, and rejects no line for its row's content.
		framed, ferrs := DecodeJSONLines(nil, data, &JSONOptions{MaxDepth: 16, FrameData: true})
		if len(framed)+len(ferrs) != len(entries)+len(errs) {
			t.Fatalf("framing: %d entries %d errors, validating: %d entries %d errors", len(framed), len(ferrs), len(entries), len(errs))
		}
		k := 0
		for _, e := range framed {
			if k < len(entries) && &e.Data[0] == &entries[k].Data[0] {
				if diff := cmp.Diff(entries[k], e); diff != "" {
					t.Fatalf("framing decoded a line differently (-validating +framing):\n%s", diff)
				}
				k++
			}
		}
		if k != len(entries) {
			t.Fatalf("framing rejected %d lines the validating decoder accepts: %v", len(entries)-k, ferrs)
		}
		// A line the framing decoder rejects has the validating decoder's
		// error.
		byLine := map[int]string{}
		for _, le := range errs {
			byLine[le.Line] = le.Error()
		}
		for _, le := range ferrs {
			if want, ok := byLine[le.Line]; !ok || want != le.Error() {
				t.Fatalf("framing error %q, validating %q", le, want)
			}
		}
		// A single line that encoding/json accepts as an object must be
		// accepted unless it breaks a documented limit.
		if strings.ContainsAny(string(data), "\n\r") {
			return
		}
		// The framing decoder's fast path takes only lines its general
		// path accepts, with the same entry.
		fo := &JSONOptions{MaxDepth: 16, FrameData: true}
		var quick, general Entry
		if quickEnvelope(&quick, data, fo, &stringCache{}) {
			if err := decodeLineMode(&general, data, 16, fo, &stringCache{}, true); err != nil {
				t.Fatalf("fast path took a line the general path rejects: %v", err)
			}
			if diff := cmp.Diff(general, quick); diff != "" {
				t.Fatalf("fast path (-general +quick):\n%s", diff)
			}
		}
		// (encoding/json takes null into a map as no map at all: it is
		// not an object)
		var obj map[string]json.RawMessage
		if json.Unmarshal(data, &obj) == nil && obj != nil && utf8.Valid(data) && nestingDepth(data) <= 16 {
			if len(errs) > 0 && !errors.Is(errs[0], ErrEnvelope) {
				t.Fatalf("valid object rejected: %v", errs[0])
			}
		}
	})
}

// nestingDepth is the deepest nesting of brackets outside strings.
func nestingDepth(b []byte) int {
	depth, deepest, inString := 0, 0, false
	for i := 0; i < len(b); i++ {
		switch c := b[i]; {
		case inString && c == '\\':
			i++
		case c == '"':
			inString = !inString
		case inString:
		case c == '{' || c == '[':
			depth++
			deepest = max(deepest, depth)
		case c == '}' || c == ']':
			depth--
		}
	}
	return deepest
}

// TestQuickEnvelope checks the framing decoder's fast path against its
// general path: the lines it takes decode to the same entry, and it gives
// up on every line outside its shape (the general path then decides).
func TestQuickEnvelope(t *testing.T) {
	opts := &JSONOptions{Table: "default_table", Producer: "p0", FrameData: true}
	tests := []struct {
		name  string
		line  string
		quick bool
	}{
		{"all members", `{"op":"INSERT","table":"users","lsn":1,"producer":"pg-users","commit_ts":1767225600000063,"data":{"id":489,"tags":["a"]}}`, true},
		{"op and data only", `{"op":"DELETE","data":{}}`, true},
		{"update, lsn 0", `{"op":"UPDATE","lsn":0,"data":{"a":{"b":1}}}`, true},
		{"largest quick lsn", `{"op":"INSERT","lsn":999999999999999999,"data":{}}`, true},
		{"17-digit commit time", `{"op":"INSERT","commit_ts":12345678901234567,"data":{}}`, true},
		{"8-digit lsn", `{"op":"INSERT","lsn":87654321,"data":{}}`, true},
		{"8 digits then a letter", `{"op":"INSERT","lsn":87654321x,"data":{}}`, false},
		{"16 digits then a point", `{"op":"INSERT","commit_ts":1234567890123456.5,"data":{}}`, false},
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
		{"white space", `{"op": "INSERT","data":{}}`, false},
		{"trailing white space", `{"op":"INSERT","data":{}} `, false},
		{"space between the closing braces", `{"op":"INSERT","data":{} }`, false},
		{"data first", `{"data":{},"op":"INSERT"}`, false},
		{"data not an object", `{"op":"INSERT","data":[1]}`, false},
		{"repeated member", `{"op":"INSERT","op":"DELETE","data":{}}`, false},
		{"unknown member", `{"op":"INSERT","x":1,"data":{}}`, false},
		{"no op", `{"table":"t","data":{}}`, false},
		{"plain row", `{"a":1}`, false},
		{"truncated", `{"op":"INSERT","table":"t`, false},
		{"empty object", `{}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var cache stringCache
			var quick Entry
			if got := quickEnvelope(&quick, []byte(tt.line), opts, &cache); got != tt.quick {
				t.Fatalf("quickEnvelope took the line: %v, want %v", got, tt.quick)
			}
			if !tt.quick {
				return
			}
			var general Entry
			if err := decodeLineMode(&general, []byte(tt.line), 64, opts, &stringCache{}, true); err != nil {
				t.Fatalf("the general path rejects a line the fast path took: %v", err)
			}
			if diff := cmp.Diff(general, quick); diff != "" {
				t.Errorf("(-general +quick):\n%s", diff)
			}
		})
	}
}

// TestQuickEnvelopeNames checks that the fast path reuses the table and
// producer names of earlier lines only when the text repeats them.
func TestQuickEnvelopeNames(t *testing.T) {
	lines := []string{
		`{"op":"INSERT","table":"t1","producer":"p","data":{}}`,
		`{"op":"INSERT","table":"t1","producer":"p","data":{}}`,
		`{"op":"INSERT","table":"t12","producer":"","data":{}}`,
		`{"op":"INSERT","table":"t","producer":"p","data":{}}`,
		`{"op":"INSERT","table":"a\"b","data":{}}`,
		`{"op":"INSERT","table":"a\"b","data":{}}`,
	}
	var batch []byte
	var want []Entry
	for _, l := range lines {
		batch = append(batch, l+"\n"...)
		var e Entry
		if err := decodeLineMode(&e, []byte(l), 64, &JSONOptions{FrameData: true}, &stringCache{}, true); err != nil {
			t.Fatal(err)
		}
		want = append(want, e)
	}
	got, errs := DecodeJSONLines(nil, batch, &JSONOptions{FrameData: true})
	if len(errs) != 0 {
		t.Fatal(errs)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-each line alone +batch):\n%s", diff)
	}
}
