package engine

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/evodb/writer/arena"
	"github.com/evodb/writer/cdc"
	"github.com/evodb/writer/internal/jsontext"
)

// The shredder's fast paths for strings (tok.str's loop over plain
// bytes, the same loop written out in value, putText's word copy) are
// checked here against the general path: jsontext.ScanString,
// AppendUnescaped and a plain append.

// checkStr compares tok.str at b[i] (a quote) with jsontext.ScanString.
func checkStr(t *testing.T, b []byte, i int) {
	t.Helper()
	tk := tok{b: b, i: i}
	ks, ke, esc, err := tk.str()
	wantEnd, wantEsc, wantErr := jsontext.ScanString(b, i)
	if wantErr != nil || err != nil {
		if err == nil || wantErr == nil || err.Error() != wantErr.Error() {
			t.Fatalf("str(%q, %d): error %v, ScanString: %v", b, i, err, wantErr)
		}
		return
	}
	if ks != i+1 || ke != wantEnd || esc != wantEsc || tk.i != wantEnd+1 {
		t.Fatalf("str(%q, %d) = %d, %d, %v (position %d), ScanString: end %d, escaped %v", b, i, ks, ke, esc, tk.i, wantEnd, wantEsc)
	}
}

// TestStrAgainstScanString puts strings of plain bytes of every length
// around the eight-byte steps, followed by each kind of byte that stops
// the fast loop, at several offsets, and compares tok.str with
// ScanString.
func TestStrAgainstScanString(t *testing.T) {
	stops := []string{`"`, `\n"`, `\u00e9"`, `\q"`, "\x01\"", "\x7f\"", "é\"", "\xff\"", "\xc3\"", ""}
	n := 0
	for lead := range 9 {
		for length := range 26 {
			for _, stop := range stops {
				for _, after := range []string{"", `,"x":1}`, strings.Repeat(" ", 20)} {
					b := []byte(strings.Repeat("{", lead) + `"` + strings.Repeat("a", length) + stop + after)
					checkStr(t, b, lead)
					n++
				}
			}
		}
	}
	if n < 5000 {
		t.Fatalf("only %d cases", n)
	}
}

// FuzzStr compares tok.str with jsontext.ScanString on arbitrary bytes
// after a quote at an arbitrary offset.
func FuzzStr(f *testing.F) {
	for _, s := range []string{`abc"`, `abcdefghijklmnop"`, `abcdefgh\"x"`, "abcdefg\xe9\"", `a\u00e9"`, "abcdefghij\x01\""} {
		f.Add([]byte(s), uint8(0))
		f.Add([]byte(s), uint8(5))
	}
	f.Fuzz(func(t *testing.T, s []byte, lead uint8) {
		b := append(bytes.Repeat([]byte{' '}, int(lead%24)), '"')
		checkStr(t, append(b, s...), int(lead%24))
	})
}

// stringRow is the row {"s":"<content>","p":"<pad>"}; s starts at
// byte 5.
func stringRow(content []byte, pad int) []byte {
	row := []byte(`{"s":"`)
	row = append(row, content...)
	row = append(row, `","p":"`...)
	row = append(row, strings.Repeat("y", pad)...)
	return append(row, `"}`...)
}

// shredString shreds row with a shredder whose s and p are string
// columns, and returns s's value or the row's error.
func shredString(t *testing.T, s *Shredder, row []byte) ([]byte, error) {
	t.Helper()
	b, err := s.Shred([]cdc.Entry{{Op: cdc.Insert, Table: "t", Data: row}})
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Errors) > 0 {
		return nil, b.Errors[0].Err
	}
	for _, c := range b.Columns {
		if len(c.Path) == 1 && c.Path[0] == "s" {
			if len(c.Offsets) != 2 {
				t.Fatalf("row %q: column s has offsets %v", row, c.Offsets)
			}
			return c.Bytes[c.Offsets[0]:c.Offsets[1]], nil
		}
	}
	t.Fatalf("row %q: no column s", row)
	return nil, nil
}

// FuzzShredString shreds a string value (followed by more or fewer bytes
// of the row, so that the word copy applies or not) into a string column
// and compares what the column holds, or the row's error, with what
// ScanString and AppendUnescaped make of the string.
func FuzzShredString(f *testing.F) {
	for _, s := range []string{"abc", "abcdefghijklmnop", "abcdefghijklmnopqrstuvwxyz0123", `ab\"c`, "é", `\ud800`, "a\x01", "abcdefgh\xff", `\`} {
		f.Add([]byte(s), uint8(0))
		f.Add([]byte(s), uint8(17))
	}
	s, err := NewShredder(Options{Table: "t", Schema: &Schema{Fields: []Field{{Name: "s", Type: TypeString}, {Name: "p", Type: TypeString}}}})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, content []byte, pad uint8) {
		row := stringRow(content, int(pad%24))
		end, _, scanErr := jsontext.ScanString(row, 5)
		if scanErr == nil && end != 6+len(content) {
			return // the string ends elsewhere: not the case tested
		}
		got, err := shredString(t, s, row)
		if scanErr != nil {
			if err == nil || err.Error() != scanErr.Error() {
				t.Fatalf("row %q: error %v, ScanString: %v", row, err, scanErr)
			}
			return
		}
		if err != nil {
			t.Fatalf("row %q: rejected: %v", row, err)
		}
		if want := jsontext.AppendUnescaped(nil, content); !bytes.Equal(got, want) {
			t.Fatalf("row %q: column holds %q, want %q", row, got, want)
		}
	})
}

// TestPutText compares putText with putBytes for values of every length
// up to 40 bytes, at offsets that leave more or fewer than 16 bytes of
// the text, into columns whose room runs out at every point.
func TestPutText(t *testing.T) {
	text := []byte(strings.Repeat("0123456789abcdefghijklmnopqrstuvwxyz", 2))
	for room := range 40 {
		a := arena.New(0)
		fast := &column{typ: TypeString, maxDef: 1, markRow: -1}
		ref := &column{typ: TypeString, maxDef: 1, markRow: -1}
		fast.reset(a, 0)
		ref.reset(a, 0)
		fast.data = arena.MakeAppend[byte](a, 0, room)
		row := 0
		for ks := 0; ks < len(text); ks += 5 {
			for n := 0; n <= 40 && ks+n <= len(text); n++ {
				fast.putText(a, row, 0, text, ks, ks+n)
				ref.putBytes(a, row, 0, text[ks:ks+n])
				row++
			}
		}
		if diff := cmp.Diff(ref.data, fast.data); diff != "" {
			t.Fatalf("room %d: data (-putBytes +putText):\n%s", room, diff)
		}
		if diff := cmp.Diff(ref.offs, fast.offs); diff != "" {
			t.Fatalf("room %d: offsets (-putBytes +putText):\n%s", room, diff)
		}
		if diff := cmp.Diff(ref.defs, fast.defs); diff != "" || ref.levels != fast.levels {
			t.Fatalf("room %d: levels (-putBytes +putText):\n%s", room, diff)
		}
	}
}

// TestRollbackEveryByte rejects a row cut short at every byte (and with
// every byte changed to one that breaks it), between two good rows, and
// compares the block with the one the good rows make alone: a rejected
// row leaves nothing in any column, whether repeated (taken back to its
// mark) or not (one level taken back when the row added it).
func TestRollbackEveryByte(t *testing.T) {
	schemaRow := `{"id":1,"s":"abcdefghijklmnopqrst","f":1.5,"ok":true,"ts":"2026-01-01T00:00:00Z",` +
		`"o":{"a":"x","g":{"lat":1.25,"lon":-2}},"l":["p","q"],"items":[{"sku":"k1","n":2},{"sku":"k2","n":3}],"j":null}`
	good := []string{
		`{"id":2,"s":"short","f":2,"ok":false,"ts":"2026-01-02T00:00:00.5Z","o":{"a":"y"},"l":[],"items":[{"sku":"k3"}]}`,
		`{"id":3,"o":null,"l":["r"],"items":[{"sku":"k4","n":4},{"n":5}],"s":"x"}`,
	}
	shred := func(rows ...string) *Block {
		t.Helper()
		s, err := NewShredder(Options{Table: "t"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Shred([]cdc.Entry{{Op: cdc.Insert, Table: "t", Data: []byte(schemaRow)}}); err != nil {
			t.Fatal(err)
		}
		es := make([]cdc.Entry, len(rows))
		for i, r := range rows {
			es[i] = cdc.Entry{Op: cdc.Insert, Table: "t", Data: []byte(r), LSN: int64(len(r))}
		}
		b, err := s.Shred(es)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	want := shred(good...)
	if want.Stats.Rows != 2 {
		t.Fatalf("good rows: %+v", want.Errors)
	}
	var bad []string
	for k := 1; k < len(schemaRow); k++ {
		bad = append(bad, schemaRow[:k], schemaRow[:k]+"\x01"+schemaRow[k:], schemaRow[:k]+`,"id":7`+schemaRow[k:])
	}
	rejected := 0
	for _, b := range bad {
		got := shred(good[0], b, good[1])
		if got.Stats.Rows == 3 {
			continue // the change left a valid row
		}
		rejected++
		if got.Stats.Rows != 2 || got.Stats.Rejected != 1 {
			t.Fatalf("row %q: %d rows, %d rejected", b, got.Stats.Rows, got.Stats.Rejected)
		}
		if diff := cmp.Diff(want.Columns, got.Columns); diff != "" {
			t.Fatalf("row %q rejected, the block differs from the good rows' (-want +got):\n%s", b, diff)
		}
	}
	if rejected < 2*len(schemaRow) {
		t.Fatalf("only %d of %d rows rejected: the test checks too little", rejected, len(bad))
	}
}
