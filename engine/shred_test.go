package engine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/evodb/writer/arena"
	"github.com/evodb/writer/cdc"
	"github.com/evodb/writer/engine/parquet"
	"github.com/google/go-cmp/cmp"
)

// schemaString describes the user columns of a Parquet schema compactly:
// "a:int64 b:{c:string} t:[timestamp]".
func schemaString(n *parquet.Node) string {
	var parts []string
	for _, c := range n.Children {
		if strings.HasPrefix(c.Name, "_") {
			continue
		}
		parts = append(parts, c.Name+":"+typeString(c))
	}
	return strings.Join(parts, " ")
}

func typeString(n *parquet.Node) string {
	if n.Logical == parquet.List {
		return "[" + typeString(n.Children[0].Children[0]) + "]"
	}
	if !n.IsLeaf() {
		var parts []string
		for _, c := range n.Children {
			parts = append(parts, c.Name+":"+typeString(c))
		}
		return "{" + strings.Join(parts, " ") + "}"
	}
	switch {
	case n.Logical == parquet.TimestampMicros:
		return "timestamp"
	case n.Logical == parquet.String:
		return "string"
	case n.Logical == parquet.JSON:
		return "json"
	case n.Type == parquet.ByteArray:
		return "binary"
	case n.Type == parquet.Int64:
		return "int64"
	case n.Type == parquet.Double:
		return "double"
	case n.Type == parquet.Boolean:
		return "bool"
	}
	return fmt.Sprintf("type%d", n.Type)
}

var baseTime = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

// entries makes one insert per JSON line, with increasing LSNs.
func entries(lines ...string) []cdc.Entry {
	out := make([]cdc.Entry, len(lines))
	for i, l := range lines {
		out[i] = cdc.Entry{Op: cdc.Op(i%3 + 1), Table: "t", Data: []byte(l), LSN: int64(100 + i),
			Producer: "p" + fmt.Sprint(i%2), CommitTime: baseTime.Add(time.Duration(i) * time.Millisecond)}
	}
	return out
}

// canonical is the form the input JSON of a row is compared in: the form
// Row.Data takes, with timestamps written in UTC and integral floats as
// int64 (a double column reads 10 back as 10.0).
func canonical(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = canonical(e)
		}
	case []any:
		for i, e := range x {
			x[i] = canonical(e)
		}
	case float64:
		if x == math.Trunc(x) && math.Abs(x) <= 1<<53 {
			return int64(x)
		}
	case string:
		if us, ok := parseTimestamp([]byte(x)); ok {
			return string(appendTimestamp(nil, us))
		}
	}
	return v
}

func inputData(t *testing.T, data []byte) map[string]any {
	t.Helper()
	v, err := decodeJSONValue(data)
	if err != nil {
		t.Fatalf("test input %q: %v", data, err)
	}
	return canonical(v).(map[string]any)
}

// checkRoundTrip assembles the block's rows and compares them with the
// entries that were not rejected.
func checkRoundTrip(t *testing.T, es []cdc.Entry, b *Block) []Row {
	t.Helper()
	rows, err := Rows(b.Schema, b.Columns)
	if err != nil {
		t.Fatalf("Rows: %v", err)
	}
	rejected := map[int]bool{}
	for _, e := range b.Errors {
		rejected[e.Index] = true
	}
	var want []Row
	for i, e := range es {
		if rejected[i] {
			continue
		}
		want = append(want, Row{Op: e.Op, LSN: e.LSN, Producer: e.Producer, CommitTime: e.CommitTime.UTC(), Data: inputData(t, e.Data)})
	}
	for i := range rows {
		rows[i].Data = canonical(rows[i].Data).(map[string]any)
	}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Fatalf("rows differ from the input (-want +got):\n%s", diff)
	}
	if b.Stats.Rows != len(want) {
		t.Fatalf("Stats.Rows = %d, want %d", b.Stats.Rows, len(want))
	}
	return rows
}

func shred(t *testing.T, s *Shredder, es []cdc.Entry) *Block {
	t.Helper()
	b, err := s.Shred(es)
	if err != nil {
		t.Fatalf("Shred: %v", err)
	}
	return b
}

func newShredder(t *testing.T, opts Options) *Shredder {
	t.Helper()
	s, err := NewShredder(opts)
	if err != nil {
		t.Fatalf("NewShredder: %v", err)
	}
	return s
}

func TestInference(t *testing.T) {
	tests := []struct {
		name    string
		lines   []string
		schema  string
		rescued int
	}{
		{"scalars", []string{`{"i":1,"d":1.5,"b":true,"s":"x"}`, `{"i":-7,"d":2,"b":false,"s":"y"}`},
			"i:int64 d:double b:bool s:string", 0},
		{"int meets float becomes double", []string{`{"v":1}`, `{"v":2.5}`, `{"v":-3}`}, "v:double", 0},
		{"big int keeps int64 and rescues the float", []string{`{"v":9007199254740993}`, `{"v":2.5}`}, "v:int64", 1},
		{"float first, then ints", []string{`{"v":0.5}`, `{"v":7}`}, "v:double", 0},
		{"exponent is a double", []string{`{"v":1e3}`}, "v:double", 0},
		{"timestamps", []string{`{"at":"2026-11-25T10:00:00Z"}`, `{"at":"2026-11-25T12:00:00.123+02:00"}`, `{}`}, "at:timestamp", 0},
		{"one non-time string makes a string column", []string{`{"at":"2026-11-25T10:00:00Z"}`, `{"at":"soon"}`}, "at:string", 0},
		{"nested objects", []string{`{"a":{"b":{"c":1},"d":"x"}}`, `{"a":{"d":"y"}}`, `{"a":null}`, `{}`},
			"a:{b:{c:int64} d:string}", 0},
		{"lists", []string{`{"t":["a","b"]}`, `{"t":[]}`, `{"t":null}`, `{"t":["c",null]}`}, "t:[string]", 0},
		{"list of objects", []string{`{"l":[{"x":1},{"y":"a"},{}]}`, `{"l":[{"x":2,"y":"b"}]}`}, "l:[{x:int64 y:string}]", 0},
		{"list of lists", []string{`{"m":[[1,2],[],[3]]}`, `{"m":[[],null]}`}, "m:[[int64]]", 0},
		{"list whose first elements are untyped", []string{`{"l":[null,[],{"a":true}]}`}, "l:[{a:bool}]", 1},
		{"type conflict is rescued", []string{`{"v":1}`, `{"v":"one"}`, `{"v":{"x":1}}`, `{"v":[1]}`, `{"v":true}`}, "v:int64", 4},
		{"object meets scalar", []string{`{"o":{"a":1}}`, `{"o":5}`}, "o:{a:int64}", 1},
		{"only nulls and empties make no column", []string{`{"n":null,"e":{},"l":[]}`, `{"n":null,"l":[[]]}`}, "", 3},
		{"integer beyond int64 is rescued", []string{`{"v":1}`, `{"v":123456789012345678901234567890}`, `{"w":-99999999999999999999}`}, "v:int64", 2},
		{"number beyond float64 is rescued", []string{`{"v":1.5}`, `{"v":1e400}`}, "v:double", 1},
		{"huge int in a double column is rescued", []string{`{"v":1.5}`, `{"v":9007199254740993}`}, "v:double", 1},
		{"metadata names are rescued", []string{`{"_lsn":5,"_op":"x","_rescued":{"a":1},"ok":1}`}, "ok:int64", 3},
		{"names differing only in case", []string{`{"Name":"a","name":"b"}`}, "Name:string", 1},
		{"escaped keys and odd characters", []string{`{"a\/b":1,"c\u0041":"\u00e9\n","x~y":"z"}`, `{"a/b":"s","x~y":2}`},
			"a/b:int64 cA:string x~y:string", 2},
		{"empty and one row", []string{`{}`}, "", 0},
		{"unicode", []string{`{"s":"héllo wörld ✓ 𝄞"}`}, "s:string", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newShredder(t, Options{})
			es := entries(tt.lines...)
			b := shred(t, s, es)
			if len(b.Errors) != 0 {
				t.Fatalf("rows rejected: %v", b.Errors)
			}
			if got := schemaString(b.Schema); got != tt.schema {
				t.Errorf("schema %q, want %q", got, tt.schema)
			}
			if b.Stats.Rescued != tt.rescued {
				t.Errorf("Stats.Rescued = %d, want %d", b.Stats.Rescued, tt.rescued)
			}
			checkRoundTrip(t, es, b)
		})
	}
}

func TestEmptyBatch(t *testing.T) {
	s := newShredder(t, Options{Table: "t"})
	b := shred(t, s, nil)
	if len(b.Columns) != 5 || b.Stats.Rows != 0 {
		t.Fatalf("empty batch: %d columns, %d rows", len(b.Columns), b.Stats.Rows)
	}
	for _, c := range b.Columns {
		if c.NumLevels != 0 || c.NumValues() != 0 {
			t.Fatalf("column %v of an empty batch holds %d levels", c.Path, c.NumLevels)
		}
	}
	checkRoundTrip(t, nil, b)
}

func TestMetadataColumns(t *testing.T) {
	s := newShredder(t, Options{})
	es := entries(`{"a":1}`, `{"a":2}`)
	es[1].CommitTime = time.Time{}
	es[1].Op = cdc.Delete
	b := shred(t, s, es)
	var names []string
	for _, c := range b.Columns {
		names = append(names, strings.Join(c.Path, "."))
	}
	if diff := cmp.Diff([]string{"_op", "_lsn", "_producer", "_commit_ts", "a", "_rescued"}, names); diff != "" {
		t.Fatalf("columns (-want +got):\n%s", diff)
	}
	cd := b.Columns[3]
	if diff := cmp.Diff([]uint8{1, 0}, cd.DefLevels); diff != "" {
		t.Fatalf("_commit_ts def levels (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]int64{baseTime.UnixMicro()}, cd.Int64s); diff != "" {
		t.Fatalf("_commit_ts values (-want +got):\n%s", diff)
	}
	op := b.Columns[0]
	if got := string(op.Bytes); got != "INSERTDELETE" || op.DefLevels != nil || op.MaxDef != 0 {
		t.Fatalf("_op column: bytes %q, def levels %v", got, op.DefLevels)
	}
	checkRoundTrip(t, es, b)
}

// TestLevels checks definition and repetition levels against values
// worked out by hand.
func TestLevels(t *testing.T) {
	s := newShredder(t, Options{})
	b := shred(t, s, entries(
		`{"l":[{"x":1},{"x":null},{}],"o":{"p":{"q":true}}}`,
		`{"l":[],"o":{"p":null}}`,
		`{"l":null,"o":{}}`,
		`{}`,
	))
	byPath := map[string]parquet.ColumnData{}
	for _, c := range b.Columns {
		byPath[strings.Join(c.Path, ".")] = c
	}
	x := byPath["l.list.element.x"]
	// l: def 1 present, list group 2, element 3, x 4; rep 1 within l.
	if diff := cmp.Diff([]uint8{4, 3, 3, 1, 0, 0}, x.DefLevels); diff != "" {
		t.Errorf("x def levels (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]uint8{0, 1, 1, 0, 0, 0}, x.RepLevels); diff != "" {
		t.Errorf("x rep levels (-want +got):\n%s", diff)
	}
	if x.MaxDef != 4 || x.MaxRep != 1 || x.NumLevels != 6 || len(x.Int64s) != 1 {
		t.Errorf("x: max def %d max rep %d levels %d values %v", x.MaxDef, x.MaxRep, x.NumLevels, x.Int64s)
	}
	q := byPath["o.p.q"]
	if diff := cmp.Diff([]uint8{3, 1, 1, 0}, q.DefLevels); diff != "" {
		t.Errorf("q def levels (-want +got):\n%s", diff)
	}
	if q.RepLevels != nil || q.MaxRep != 0 {
		t.Errorf("q has repetition levels")
	}
}

func TestEvolutionAcrossBlocks(t *testing.T) {
	s := newShredder(t, Options{})
	b1 := shred(t, s, entries(`{"id":1,"v":2}`, `{"id":2,"v":3,"at":"2026-01-01T00:00:00Z"}`))
	if got := schemaString(b1.Schema); got != "id:int64 v:int64 at:timestamp" {
		t.Fatalf("block 1 schema %q", got)
	}
	// Established types stay: a fraction in v and a word in at are
	// rescued; a new column is added at the end.
	es := entries(`{"id":3,"v":2.5,"at":"later","tags":["x"]}`, `{"id":4}`)
	b2 := shred(t, s, es)
	if got := schemaString(b2.Schema); got != "id:int64 v:int64 at:timestamp tags:[string]" {
		t.Fatalf("block 2 schema %q", got)
	}
	if b2.Stats.Rescued != 2 || b2.Stats.NewColumns != 1 {
		t.Fatalf("block 2 stats %+v", b2.Stats)
	}
	checkRoundTrip(t, es, b2)
	// A steady block shreds in one pass.
	es3 := entries(`{"id":5,"v":1,"tags":[]}`)
	b3 := shred(t, s, es3)
	if b3.Stats.Passes != 1 || b3.Stats.NewColumns != 0 {
		t.Fatalf("block 3 stats %+v", b3.Stats)
	}
	checkRoundTrip(t, es3, b3)
	saved := s.Schema()
	if len(saved.Fields) != 4 || saved.Fields[3].Elem.Type != TypeString {
		t.Fatalf("Schema() = %+v", saved)
	}
}

func TestDeclaredSchema(t *testing.T) {
	file := `{"fields":[
		{"name":"id","type":"int64"},
		{"name":"price","type":"double"},
		{"name":"raw","type":"binary"},
		{"name":"extra","type":"json"},
		{"name":"when","type":"string"},
		{"name":"addr","type":"object","fields":[{"name":"zip","type":"string"}]},
		{"name":"tags","type":"list","element":{"type":"int64"}}]}`
	sc, err := ParseSchema([]byte(file))
	if err != nil {
		t.Fatal(err)
	}
	s := newShredder(t, Options{Schema: sc})
	es := entries(
		`{"id":1,"price":3,"raw":"aGVsbG8=","extra":{"any":[1,"x"]},"when":"2026-11-25T10:00:00Z","addr":{"zip":"123"},"tags":[1,2]}`,
		`{"id":2,"raw":"not base64!","extra":"text","addr":{"zip":12345},"tags":["a"],"new":true}`,
		`{"id":"3","price":1.25,"raw":"","extra":null}`,
	)
	b := shred(t, s, es)
	want := "id:int64 price:double raw:binary extra:json when:string addr:{zip:string} tags:[int64] new:bool"
	if got := schemaString(b.Schema); got != want {
		t.Fatalf("schema %q, want %q", got, want)
	}
	if b.Stats.Rescued != 4 {
		t.Fatalf("Stats.Rescued = %d, want 4", b.Stats.Rescued)
	}
	checkRoundTrip(t, es, b)

	strict := *sc
	strict.Strict = true
	s2 := newShredder(t, Options{Schema: &strict})
	es2 := entries(`{"id":1,"other":5,"addr":{"zip":"1","more":1}}`)
	b2 := shred(t, s2, es2)
	if got := schemaString(b2.Schema); got != "id:int64 price:double raw:binary extra:json when:string addr:{zip:string} tags:[int64]" {
		t.Fatalf("strict schema %q", got)
	}
	if b2.Stats.Rescued != 2 {
		t.Fatalf("strict Stats.Rescued = %d, want 2", b2.Stats.Rescued)
	}
	checkRoundTrip(t, es2, b2)

	// The schema file format round-trips.
	out, err := sc.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParseSchema(out)
	if err != nil {
		t.Fatalf("ParseSchema(MarshalJSON()) = %v\n%s", err, out)
	}
	if diff := cmp.Diff(sc, back); diff != "" {
		t.Fatalf("schema changed through its file format (-want +got):\n%s", diff)
	}
}

func deepSchema(n int) string {
	f := `{"name":"x","type":"int64"}`
	for range n {
		f = `{"name":"o","type":"object","fields":[` + f + `]}`
	}
	return `{"fields":[` + f + `]}`
}

func TestBadSchemas(t *testing.T) {
	tests := []struct{ file, want string }{
		{`{"fields":[{"name":"a","type":"int"}]}`, `type "int"`},
		{`{"fields":[{"name":"a","type":"int64"},{"name":"A","type":"string"}]}`, "declared twice"},
		{`{"fields":[{"name":"_lsn","type":"int64"}]}`, "reserved"},
		{`{"fields":[{"name":"o","type":"object"}]}`, "at least one field"},
		{`{"fields":[{"name":"l","type":"list"}]}`, "needs an element"},
		{`{"fields":[{"name":"","type":"bool"}]}`, "no name"},
		{`{"fields":[{"name":"a","type":"bool","colour":"red"}]}`, "unknown field"},
		{`{"fields":[]} {}`, "after the schema"},
		{`[`, "invalid schema"},
		{deepSchema(70), "deeper than 64"},
	}
	for _, tt := range tests {
		_, err := ParseSchema([]byte(tt.file))
		if err == nil || !errors.Is(err, ErrSchema) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseSchema(%s) = %v, want an ErrSchema mentioning %q", tt.file, err, tt.want)
		}
	}
}

func TestBadRows(t *testing.T) {
	deep := strings.Repeat(`{"a":`, 70) + "1" + strings.Repeat("}", 70)
	tests := []struct {
		name string
		line string
		err  error
		msg  string
	}{
		{"syntax", `{"a":1,}`, cdc.ErrSyntax, "byte 7"},
		{"truncated", `{"a":[1,2`, cdc.ErrSyntax, "end of input"},
		{"not an object", `[1,2]`, cdc.ErrNotObject, "byte 0"},
		{"trailing data", `{"a":1} x`, cdc.ErrSyntax, "after the object"},
		{"invalid UTF-8", "{\"a\":\"\xff\"}", cdc.ErrInvalidUTF8, "0xff"},
		{"invalid UTF-8 in a key", "{\"\xc3\x28\":1}", cdc.ErrInvalidUTF8, "byte 2"},
		{"too deep", deep, cdc.ErrTooDeep, "64 levels"},
		{"NaN", `{"a":NaN}`, cdc.ErrSyntax, "NaN"},
		{"Infinity", `{"a":-Infinity}`, cdc.ErrSyntax, "Infinity"},
		{"duplicate key", `{"a":1,"b":2,"a":3}`, ErrDuplicateKey, `"a"`},
		{"duplicate nested key", `{"o":{"x":1,"x":1}}`, ErrDuplicateKey, `"x"`},
		{"duplicate unknown key", `{"n":null,"n":null}`, ErrDuplicateKey, `"n"`},
		{"control byte", "{\"a\":\"x\ty\"}", cdc.ErrSyntax, "control byte"},
		{"bad escape", `{"a":"\q"}`, cdc.ErrSyntax, "escape"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newShredder(t, Options{})
			// Good rows around the bad one; the same keys, so that the bad
			// row's partial values have to be taken back out.
			es := entries(`{"a":0,"b":1,"o":{"x":1},"n":null}`, tt.line, `{"a":2,"o":{"x":2}}`)
			b := shred(t, s, es)
			if len(b.Errors) != 1 {
				t.Fatalf("errors %v, want one for row 1", b.Errors)
			}
			re := b.Errors[0]
			if re.Index != 1 || re.LSN != 101 || !errors.Is(re.Err, tt.err) || !strings.Contains(re.Error(), tt.msg) {
				t.Fatalf("error %q (index %d), want row 1 wrapping %v mentioning %q", re, re.Index, tt.err, tt.msg)
			}
			if !strings.HasPrefix(re.Error(), "row 1 (lsn 101): ") {
				t.Fatalf("error %q does not name the row", re)
			}
			if b.Stats.Rejected != 1 {
				t.Fatalf("Stats.Rejected = %d", b.Stats.Rejected)
			}
			checkRoundTrip(t, es, b)
		})
	}
}

func TestWrongTableAndOp(t *testing.T) {
	s := newShredder(t, Options{Table: "t"})
	es := entries(`{"a":1}`, `{"a":2}`, `{"a":3}`)
	es[1].Table = "other"
	es[2].Op = 0
	b := shred(t, s, es)
	if len(b.Errors) != 2 || !errors.Is(b.Errors[0], ErrWrongTable) || !errors.Is(b.Errors[1], ErrInvalidOp) {
		t.Fatalf("errors %v", b.Errors)
	}
	checkRoundTrip(t, es, b)
}

// TestSteadyStateAllocations shreds the same kind of batch again and
// again: after the first blocks, a block allocates nothing at all.
func TestSteadyStateAllocations(t *testing.T) {
	var lines []string
	for i := range 2000 {
		lines = append(lines, fmt.Sprintf(`{"id":%d,"name":"user-%d","score":%d.5,"ok":%v,"at":"2026-11-25T10:00:%02dZ","tags":["a","b%d"],"addr":{"city":"c%d","zip":null},"esc":"x\"y"}`,
			i, i%50, i, i%3 == 0, i%60, i%7, i%13))
	}
	es := entries(lines...)
	s := newShredder(t, Options{})
	for range 3 {
		shred(t, s, es)
	}
	allocs := testing.AllocsPerRun(5, func() {
		if _, err := s.Shred(es); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Fatalf("a steady-state block of %d rows allocates %v times", len(es), allocs)
	}
	checkRoundTrip(t, es, shred(t, s, es))

	// Batches of varying sizes settle too.
	cycle := func() {
		for _, n := range []int{2000, 300, 1500, 50} {
			if _, err := s.Shred(es[:n]); err != nil {
				t.Fatal(err)
			}
		}
	}
	cycle()
	cycle()
	if allocs := testing.AllocsPerRun(3, cycle); allocs != 0 {
		t.Fatalf("a cycle of blocks of varying sizes allocates %v times", allocs)
	}
}

func TestStringsAreCopied(t *testing.T) {
	s := newShredder(t, Options{})
	data := []byte(`{"s":"abc"}`)
	es := []cdc.Entry{{Op: cdc.Insert, Table: "t", Data: data}}
	b := shred(t, s, es)
	copy(data, bytes.Repeat([]byte{'x'}, len(data)))
	rows, err := Rows(b.Schema, b.Columns)
	if err != nil {
		t.Fatal(err)
	}
	if rows[0].Data["s"] != "abc" {
		t.Fatalf("block aliases the entry's bytes: %v", rows[0].Data)
	}
}

// TestPredictedKeys checks the shortcut for member names (the text of
// the child predicted next, then a quote) on names that are not written
// in JSON as they are: their raw text must still be scanned and rejected.
func TestPredictedKeys(t *testing.T) {
	sc := &Schema{Fields: []Field{{Name: `a"b`, Type: TypeInt64}, {Name: `c\d`, Type: TypeInt64},
		{Name: "e\x01", Type: TypeInt64}, {Name: "f\xff", Type: TypeInt64}, {Name: "g", Type: TypeInt64},
		{Name: "gh", Type: TypeInt64}, {Name: "o", Type: TypeObject, Fields: []Field{{Name: "x", Type: TypeInt64}, {Name: "xy", Type: TypeInt64}}}}}
	tests := []struct {
		name string
		line string
		err  error
		msg  string
	}{
		{"quote in a name", `{"a"b":1}`, cdc.ErrSyntax, "want ':'"},
		{"backslash in a name", `{"a\"b":1,"c\d":2}`, cdc.ErrSyntax, "invalid escape"},
		{"control byte in a name", "{\"a\\\"b\":1,\"c\\\\d\":2,\"e\x01\":3}", cdc.ErrSyntax, "control byte 0x01"},
		{"invalid UTF-8 in a name", "{\"a\\\"b\":1,\"c\\\\d\":2,\"e\\u0001\":3,\"f\xff\":4}", cdc.ErrInvalidUTF8, "0xff"},
		{"a name's prefix repeated", `{"o":{"x":1,"x":2}}`, ErrDuplicateKey, `"x"`},
		{"a longer name than predicted", `{"o":{"xyz":1,"xy":2,"xy":3}}`, ErrDuplicateKey, `"xy"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newShredder(t, Options{Schema: sc})
			es := entries(
				`{"a\"b":1,"c\\d":2,"e\u0001":3,"f\ufffd":4,"g":5,"gh":6,"o":{"x":7,"xy":8}}`,
				tt.line,
				`{"g":5,"gh":6,"o":{"xy":8,"x":7},"a\"b":1}`,
				`{"o":{"x":1,"xy":2},"g":3}`,
			)
			b := shred(t, s, es)
			if len(b.Errors) != 1 {
				t.Fatalf("errors %v, want one for row 1", b.Errors)
			}
			if re := b.Errors[0]; re.Index != 1 || !errors.Is(re.Err, tt.err) || !strings.Contains(re.Error(), tt.msg) {
				t.Fatalf("error %q (index %d), want row 1 wrapping %v mentioning %q", re, re.Index, tt.err, tt.msg)
			}
			checkRoundTrip(t, es, b)
		})
	}
}

// A block writer's first pass takes about the arena memory of its later
// ones: its columns, which no pass before sized, grow at once to the
// pass's rows after its first ones (Shredder.project), not by doublings
// whose copies the arena counts (twice the memory the next passes take).
func TestShredderFirstPassArena(t *testing.T) {
	es, _ := benchRows(100_000)
	bw, err := NewBlockWriter(BlockOptions{RowGroupBytes: 8 << 20})
	if err != nil {
		t.Fatal(err)
	}
	var first int
	for i := range arena.ShrinkRounds {
		info, err := bw.WriteBlock(context.Background(), io.Discard, es)
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			if info.RowGroups < 2 {
				t.Fatalf("%d row groups: the test needs several", info.RowGroups)
			}
			for _, a := range bw.s.arenas {
				first += a.Peak()
			}
		}
	}
	settled := 0
	for _, a := range bw.s.arenas {
		settled += a.Capacity()
	}
	if first > settled+settled/4 {
		t.Fatalf("the first block's passes took up to %d bytes of arena, where the arenas settled at %d", first, settled)
	}
}
