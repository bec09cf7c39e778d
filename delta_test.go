package writer

import (
	"encoding/binary"
	"math"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/evodb/writer/engine"
	"github.com/evodb/writer/engine/parquet"
	"github.com/evodb/writer/manifest"
)

func le64(v uint64) []byte { return binary.LittleEndian.AppendUint64(nil, v) }

func le64s(v int64) []byte { return le64(uint64(v)) }

func TestStatValue(t *testing.T) {
	ts := &parquet.Node{Type: parquet.Int64, Logical: parquet.TimestampMicros}
	i64 := &parquet.Node{Type: parquet.Int64}
	dbl := &parquet.Node{Type: parquet.Double}
	str := &parquet.Node{Type: parquet.ByteArray, Logical: parquet.String}
	js := &parquet.Node{Type: parquet.ByteArray, Logical: parquet.JSON}
	long := strings.Repeat("é", 40)
	tests := []struct {
		name  string
		n     *parquet.Node
		b     []byte
		isMax bool
		want  any // nil: left out
	}{
		{"timestamp exact", ts, le64(1_000_000), false, "1970-01-01T00:00:01.000Z"},
		{"timestamp min rounds down", ts, le64(1_000_999), false, "1970-01-01T00:00:01.000Z"},
		{"timestamp max rounds up", ts, le64(1_000_001), true, "1970-01-01T00:00:01.001Z"},
		{"negative timestamp min rounds down", ts, le64s(-1_500), false, "1969-12-31T23:59:59.998Z"},
		{"negative timestamp max rounds up", ts, le64s(-1_500), true, "1969-12-31T23:59:59.999Z"},
		{"long", i64, le64s(-42), false, "-42"},
		{"double", dbl, le64(math.Float64bits(2.5)), true, "2.5"},
		{"NaN", dbl, le64(math.Float64bits(math.NaN())), true, nil},
		{"short string", str, []byte("abc"), true, "abc"},
		{"long string min is cut", str, []byte(long), false, strings.Repeat("é", 32)},
		{"long string max left out", str, []byte(long), true, nil},
		{"json left out", js, []byte(`{"a":1}`), false, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v, ok := statValue(tc.n, tc.b, tc.isMax)
			if tc.want == nil {
				if ok {
					t.Errorf("got %v, want it left out", v)
				}
				return
			}
			if !ok {
				t.Fatalf("left out, want %v", tc.want)
			}
			if got := toString(v); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func toString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case interface{ String() string }:
		return x.String()
	}
	return ""
}

func TestMergeSchema(t *testing.T) {
	long, str := manifest.Type("long"), manifest.Type("string")
	st := func(fs ...manifest.StructField) manifest.StructType { return manifest.StructType{Fields: fs} }
	f := func(name string, t manifest.DataType) manifest.StructField {
		return manifest.StructField{Name: name, Type: t, Nullable: true}
	}
	nested := func(fs ...manifest.StructField) manifest.DataType {
		s := st(fs...)
		return manifest.DataType{Struct: &s}
	}
	tests := []struct {
		name         string
		table, block manifest.StructType
		want         manifest.StructType
		changed      bool
		err          string
	}{
		{"same", st(f("a", long)), st(f("a", long)), st(f("a", long)), false, ""},
		{"block lacks a column", st(f("a", long), f("b", str)), st(f("b", str)), st(f("a", long), f("b", str)), false, ""},
		{"new column at the end", st(f("a", long), f("z", str)), st(f("a", long), f("b", str), f("z", str)),
			st(f("a", long), f("z", str), f("b", str)), true, ""},
		{"new nested column", st(f("o", nested(f("x", long)))), st(f("o", nested(f("y", str), f("x", long)))),
			st(f("o", nested(f("x", long), f("y", str)))), true, ""},
		{"type clash", st(f("a", long)), st(f("a", str)), manifest.StructType{}, false, `column "a" is "long" in the table`},
		{"case clash", st(f("a", long)), st(f("A", long)), manifest.StructType{}, false, "differs only in case"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, changed, err := mergeSchema(tc.table, tc.block)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if changed != tc.changed {
				t.Errorf("changed %v, want %v", changed, tc.changed)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if changed {
				if err := manifest.CheckEvolution(tc.table, got); err != nil {
					t.Errorf("the merged schema is not a valid evolution: %v", err)
				}
			}
		})
	}
}

// TestSchemaRoundTrip: a declared schema goes to the Delta log and comes
// back as the same declared schema.
func TestSchemaRoundTrip(t *testing.T) {
	declared := &engine.Schema{Fields: []engine.Field{
		{Name: "b", Type: engine.TypeBool},
		{Name: "i", Type: engine.TypeInt64},
		{Name: "d", Type: engine.TypeDouble},
		{Name: "s", Type: engine.TypeString},
		{Name: "t", Type: engine.TypeTimestamp},
		{Name: "bin", Type: engine.TypeBinary},
		{Name: "j", Type: engine.TypeJSON},
		{Name: "o", Type: engine.TypeObject, Fields: []engine.Field{{Name: "x", Type: engine.TypeInt64}}},
		{Name: "l", Type: engine.TypeList, Elem: &engine.Field{Type: engine.TypeObject, Fields: []engine.Field{{Name: "y", Type: engine.TypeString}}}},
	}}
	st, err := initialSchema(declared)
	if err != nil {
		t.Fatal(err)
	}
	text, err := st.SchemaString()
	if err != nil {
		t.Fatal(err)
	}
	back, err := manifest.ParseSchema(text)
	if err != nil {
		t.Fatal(err)
	}
	got, err := declaredSchema(back, nil)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(declared, got); diff != "" {
		t.Errorf("(-declared +back):\n%s", diff)
	}
}
