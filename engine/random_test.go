package engine

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/evodb/writer/cdc"
	"github.com/google/go-cmp/cmp"
)

// rfield is a column of a random schema.
type rfield struct {
	name     string
	typ      Type
	children []*rfield
	elem     *rfield
}

func randomSchema(r *rand.Rand, depth int) []*rfield {
	n := 1 + r.IntN(6)
	var fs []*rfield
	for i := range n {
		fs = append(fs, randomField(r, fmt.Sprintf("f%d_%d", depth, i), depth))
	}
	return fs
}

func randomField(r *rand.Rand, name string, depth int) *rfield {
	f := &rfield{name: name}
	k := r.IntN(9)
	if depth >= 3 && k >= 6 {
		k = r.IntN(6)
	}
	switch k {
	case 0:
		f.typ = TypeBool
	case 1:
		f.typ = TypeInt64
	case 2:
		f.typ = TypeDouble
	case 3:
		f.typ = TypeString
	case 4:
		f.typ = TypeTimestamp
	case 5:
		f.typ = TypeString
	case 6, 7:
		f.typ = TypeObject
		f.children = randomSchema(r, depth+1)
	case 8:
		f.typ = TypeList
		f.elem = randomField(r, "element", depth+1)
	}
	return f
}

// randomValue appends a JSON value of f's type; with small probability a
// value of another type (to be rescued), a null, or an odd corner.
func randomValue(r *rand.Rand, dst []byte, f *rfield) []byte {
	if r.IntN(10) == 0 {
		return append(dst, "null"...)
	}
	if r.IntN(40) == 0 {
		// a value of the wrong type
		switch r.IntN(4) {
		case 0:
			return append(dst, `"wrong"`...)
		case 1:
			return append(dst, `12345`...)
		case 2:
			return append(dst, `{"w":[1,{"x":null}]}`...)
		default:
			return append(dst, `[true]`...)
		}
	}
	switch f.typ {
	case TypeBool:
		return strconv.AppendBool(dst, r.IntN(2) == 0)
	case TypeInt64:
		switch r.IntN(20) {
		case 0:
			return append(dst, "-9223372036854775808"...)
		case 1:
			return append(dst, "9223372036854775807"...)
		}
		return strconv.AppendInt(dst, int64(r.Uint64()>>r.IntN(64)), 10)
	case TypeDouble:
		if r.IntN(10) == 0 {
			return strconv.AppendInt(dst, int64(r.IntN(1000)), 10) // ints in a double column
		}
		return strconv.AppendFloat(dst, r.NormFloat64()*1e6, 'g', -1, 64)
	case TypeString:
		dst = append(dst, '"')
		n := r.IntN(12)
		for range n {
			switch r.IntN(30) {
			case 0:
				dst = append(dst, `\"`...)
			case 1:
				dst = append(dst, `\u00e9`...)
			case 2:
				dst = append(dst, "ü"...)
			case 3:
				dst = append(dst, `\n`...)
			default:
				dst = append(dst, byte('a'+r.IntN(26)))
			}
		}
		return append(dst, '"')
	case TypeTimestamp:
		us := int64(r.Uint64()%(4e17)) - 1e17
		dst = append(dst, '"')
		dst = appendTimestamp(dst, us)
		return append(dst, '"')
	case TypeBinary:
		b := make([]byte, r.IntN(10))
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		return append(append(append(dst, '"'), base64.StdEncoding.EncodeToString(b)...), '"')
	case TypeObject:
		dst = append(dst, '{')
		first := true
		for _, c := range f.children {
			if r.IntN(8) == 0 {
				continue // missing key
			}
			if !first {
				dst = append(dst, ',')
			}
			first = false
			dst = strconv.AppendQuote(dst, c.name)
			dst = append(dst, ':')
			dst = randomValue(r, dst, c)
		}
		return append(dst, '}')
	case TypeList:
		dst = append(dst, '[')
		n := r.IntN(5)
		for i := range n {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = randomValue(r, dst, f.elem)
		}
		return append(dst, ']')
	}
	return append(dst, "null"...)
}

func randomRows(r *rand.Rand, fs []*rfield, n int) []string {
	root := &rfield{typ: TypeObject, children: fs}
	lines := make([]string, n)
	for i := range lines {
		v := randomValue(r, nil, root)
		for v[0] != '{' || bytes.HasPrefix(v, []byte(`{"w"`)) {
			v = randomValue(r, v[:0], root)
		}
		lines[i] = string(v)
	}
	return lines
}

// TestRandomRoundTrip shreds batches of rows of random schemas, several
// batches per shredder so the schema evolves, and reads every row back.
func TestRandomRoundTrip(t *testing.T) {
	seeds := 60
	if testing.Short() {
		seeds = 15
	}
	for seed := range seeds {
		r := rand.New(rand.NewPCG(uint64(seed), 7))
		fs := randomSchema(r, 0)
		s := newShredder(t, Options{})
		for batch := range 3 {
			if batch == 2 {
				// new columns appear later
				fs = append(fs, randomSchema(r, 1)...)
			}
			es := entries(randomRows(r, fs, r.IntN(200))...)
			b, err := s.Shred(es)
			if err != nil {
				t.Fatalf("seed %d batch %d: %v", seed, batch, err)
			}
			if len(b.Errors) != 0 {
				t.Fatalf("seed %d batch %d: rejected %v", seed, batch, b.Errors)
			}
			t.Run(fmt.Sprintf("seed%d/batch%d", seed, batch), func(t *testing.T) {
				checkRoundTrip(t, es, b)
			})
		}
	}
}

// TestMillionRows writes a million rows as one block, reads them back
// through the Parquet reader and compares a sample of them.
func TestMillionRows(t *testing.T) {
	if testing.Short() {
		t.Skip("a million rows: not with -short")
	}
	const n = 1_000_000
	var sb strings.Builder
	es := make([]cdc.Entry, n)
	for i := range es {
		sb.Reset()
		fmt.Fprintf(&sb, `{"id":%d,"name":"n%d","v":%d.25,"tags":["t%d"],"o":{"at":"2026-11-25T10:00:%02dZ"}}`, i, i%1000, i, i%5, i%60)
		es[i] = cdc.Entry{Op: cdc.Insert, Table: "t", Data: []byte(sb.String()), LSN: int64(i), Producer: "p"}
	}
	bw, err := NewBlockWriter(BlockOptions{RowGroupBytes: 16 << 20})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	info, err := bw.WriteBlock(context.Background(), &buf, es)
	if err != nil {
		t.Fatal(err)
	}
	if info.Rows != n || info.RowGroups < 2 {
		t.Fatalf("%d rows in %d row groups", info.Rows, info.RowGroups)
	}
	f, err := OpenBlock(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := f.Rows(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != n {
		t.Fatalf("%d rows back, want %d", len(rows), n)
	}
	for i := 0; i < n; i += 9973 {
		want := inputData(t, es[i].Data)
		got := canonical(rows[i].Data)
		if diff := cmp.Diff(want, got); diff != "" || rows[i].LSN != int64(i) {
			t.Fatalf("row %d (-want +got):\n%s", i, diff)
		}
	}
}
