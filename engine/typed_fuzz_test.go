package engine

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/evodb/writer/cdc"
)

// FuzzTypedStrings appends rows of arbitrary strings, in a plain, a
// pointer and an optional field, to a TypedWriter: a batch with invalid
// UTF-8 is refused with ErrTypedString, any other reads back the same.
func FuzzTypedStrings(f *testing.F) {
	f.Add("abc", "", uint8(3))
	f.Add("", "sixteen bytes!!!", uint8(1))
	f.Add("x\xff", "ok", uint8(7))
	f.Add("héllo wörld, a longer string than sixteen bytes", "é", uint8(40))
	f.Fuzz(func(t *testing.T, a, b string, n uint8) {
		w, err := NewTypedWriter[shortStrRow](TypedOptions{})
		if err != nil {
			t.Fatal(err)
		}
		rows := make([]shortStrRow, int(n%64)+1)
		want := make([]Row, len(rows))
		for i := range rows {
			s, o := a, b
			if i%2 == 1 {
				s, o = b, a
			}
			rows[i] = shortStrRow{S: s, Opt: o}
			data := map[string]any{"s": s}
			if o != "" {
				data["opt"] = o
			}
			if i%3 != 2 {
				rows[i].P = &rows[i].S
				data["p"] = s
			}
			want[i] = Row{Op: cdc.Delete, LSN: 7, Producer: "f", Data: data}
		}
		err = w.AppendBatch(Meta{Op: cdc.Delete, LSN: 7, Producer: "f"}, rows)
		if !utf8.ValidString(a) || !utf8.ValidString(b) {
			if !errors.Is(err, ErrTypedString) {
				t.Fatalf("AppendBatch with invalid UTF-8: %v, want ErrTypedString", err)
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if _, err := w.WriteBlock(context.Background(), &buf); err != nil {
			t.Fatal(err)
		}
		got, _ := readTypedBlock(t, buf.Bytes())
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("(-want +got):\n%s", diff)
		}
	})
}
