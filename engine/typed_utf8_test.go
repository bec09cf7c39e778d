package engine

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/evodb/writer/cdc"
)

type utf8Item struct {
	Name string   `parquet:"name"`
	Tags []string `parquet:"tags,list"`
	Note *string  `parquet:"note,optional"`
}

// TestTypedInvalidUTF8 checks that a batch with a string that is not
// valid UTF-8 is refused whole, naming its row and field, and that the
// rows appended before it are kept.
func TestTypedInvalidUTF8(t *testing.T) {
	bad := "x\xff"
	ok := "fine"
	cases := []struct {
		name      string
		meta      Meta
		rows      []utf8Item
		wantField string
		wantRow   string
	}{
		{"top-level", Meta{Op: cdc.Insert, Producer: "p"}, []utf8Item{{Name: "a"}, {Name: "b"}, {Name: bad}}, "field name", "row 2"},
		{"in a list", Meta{Op: cdc.Insert, Producer: "p"}, []utf8Item{{Name: "a", Tags: []string{"t", "u"}}, {Name: "b", Tags: []string{"v", bad}}}, "field tags.list.element", "row 1"},
		{"optional after nulls", Meta{Op: cdc.Insert, Producer: "p"}, []utf8Item{{Name: "a"}, {Name: "b", Note: &ok}, {Name: "c"}, {Name: "d", Note: &bad}}, "field note", "row 3"},
		{"producer", Meta{Op: cdc.Insert, Producer: "p\xfe"}, []utf8Item{{Name: "a"}}, "field _producer", "row 0"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w, err := NewTypedWriter[utf8Item](TypedOptions{})
			if err != nil {
				t.Fatal(err)
			}
			good := []utf8Item{{Name: "kept", Tags: []string{"k"}}}
			if err := w.AppendBatch(Meta{Op: cdc.Insert, LSN: 1, Producer: "p"}, good); err != nil {
				t.Fatal(err)
			}
			err = w.AppendBatch(tc.meta, tc.rows)
			if !errors.Is(err, ErrTypedString) || !strings.Contains(err.Error(), tc.wantField) || !strings.Contains(err.Error(), tc.wantRow+":") {
				t.Fatalf("AppendBatch: %v, want ErrTypedString naming %q and %q", err, tc.wantRow, tc.wantField)
			}
			if w.Rows() != 1 {
				t.Fatalf("%d rows after the refused batch, want 1", w.Rows())
			}
			var buf bytes.Buffer
			if _, err := w.WriteBlock(context.Background(), &buf); err != nil {
				t.Fatal(err)
			}
			got, _ := readTypedBlock(t, buf.Bytes())
			want := []Row{{Op: cdc.Insert, LSN: 1, Producer: "p", Data: map[string]any{"name": "kept", "tags": []any{"k"}}}}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("(-want +got):\n%s", diff)
			}
		})
	}
}
