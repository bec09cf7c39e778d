package cdc

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// TestUniqueKeys: with JSONOptions.UniqueKeys a row naming a member twice
// in any object (names compared unescaped) is refused, by both decoders,
// at the byte of the second name; without it the row passes.
func TestUniqueKeys(t *testing.T) {
	many := func(n int, dupAt int) string {
		var b strings.Builder
		b.WriteString("{")
		for i := range n {
			if i > 0 {
				b.WriteString(",")
			}
			k := i
			if i == dupAt {
				k = 3
			}
			fmt.Fprintf(&b, `"k%d":%d`, k, i)
		}
		b.WriteString("}")
		return b.String()
	}
	for _, tc := range []struct {
		name, row string
		refused   bool
	}{
		{"distinct", `{"a":1,"b":2}`, false},
		{"top level", `{"a":1,"b":2,"a":3}`, true},
		{"nested", `{"a":{"x":1,"x":2}}`, true},
		{"in an array", `{"a":[{"x":1},{"y":1,"y":2}]}`, true},
		{"escaped", `{"a":1,"\u0061":2}`, true},
		{"both escaped", `{"\u0062":1,"\u0062":2}`, true},
		{"same name in sibling objects", `{"a":{"x":1},"b":{"x":2},"c":[{"x":1},{"x":2}]}`, false},
		{"same name in parent and child", `{"x":{"x":{"x":1}}}`, false},
		{"after a closed child", `{"x":{"y":1,"z":2},"y":1,"z":2}`, false},
		{"empty name twice", `{"":1,"":2}`, true},
		{"large object", many(40, -1), false},
		{"large object, repeat at the end", many(40, 39), true},
		{"repeat just past the small size", many(smallObject+1, smallObject), true},
		{"repeat at the small size", many(smallObject, smallObject-1), true},
		{"names differing by case", `{"A":1,"a":2}`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want := tc.refused
			line := `{"op":"INSERT","lsn":1,"data":` + tc.row + "}\n"
			// Plain rows (the line is the row) and envelopes.
			for _, in := range []string{line, tc.row + "\n"} {
				_, errs := DecodeJSONLines(nil, []byte(in), &JSONOptions{Table: "t", UniqueKeys: true})
				if got := len(errs) > 0; got != want {
					t.Fatalf("DecodeJSONLines(%q) with UniqueKeys: %v; want refused %v", in, errs, want)
				}
				if want && !errors.Is(errs[0], ErrDuplicateKey) {
					t.Fatalf("DecodeJSONLines(%q): %v; want %v", in, errs[0], ErrDuplicateKey)
				}
				if _, errs := DecodeJSONLines(nil, []byte(in), &JSONOptions{Table: "t"}); len(errs) > 0 {
					t.Fatalf("DecodeJSONLines(%q) without UniqueKeys: %v", in, errs)
				}
			}
			es := []Entry{
				{Op: Insert, Table: "t", Producer: "p", LSN: 1, Data: []byte(`{"ok":{"ok":1}}`)},
				{Op: Insert, Table: "t", Producer: "p", LSN: 2, Data: []byte(tc.row)},
			}
			b, err := AppendBinaryBatch(nil, es)
			if err != nil {
				t.Fatal(err)
			}
			got, err := DecodeBinaryBatch(nil, b, &JSONOptions{UniqueKeys: true})
			if (err != nil) != want {
				t.Fatalf("DecodeBinaryBatch with UniqueKeys: %v; want refused %v", err, want)
			}
			if want && (!errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "entry 1 (LSN 2): row: duplicate key")) {
				t.Fatalf("DecodeBinaryBatch: %v; want a duplicate key of entry 1 (LSN 2)", err)
			}
			if !want && len(got) != 2 {
				t.Fatalf("DecodeBinaryBatch: %d entries", len(got))
			}
			if _, err := DecodeBinaryBatch(nil, b, nil); err != nil {
				t.Fatalf("DecodeBinaryBatch without UniqueKeys: %v", err)
			}
		})
	}
}
