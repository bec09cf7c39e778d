package parquet

import (
	"bytes"
	"strings"
	"testing"
)

func mapSchema(key Repetition, kvChildren int) *Node {
	kv := &Node{Name: "key_value", Repetition: Repeated, Children: []*Node{
		{Name: "key", Repetition: key, Type: ByteArray, Logical: String},
		{Name: "value", Repetition: Optional, Type: Int64},
	}[:kvChildren]}
	return &Node{Name: "m", Children: []*Node{
		{Name: "attrs", Repetition: Optional, Logical: Map, Children: []*Node{kv}},
	}}
}

// TestMapRoundTrip writes a MAP group (null map, empty map, two entries)
// and reads back the same levels, values and logical type.
func TestMapRoundTrip(t *testing.T) {
	cols, err := LeafColumns(mapSchema(Required, 2))
	if err != nil {
		t.Fatal(err)
	}
	k, v := &cols[0], &cols[1]
	if k.MaxDef != 2 || k.MaxRep != 1 || v.MaxDef != 3 {
		t.Fatalf("levels: key def %d rep %d, value def %d", k.MaxDef, k.MaxRep, v.MaxDef)
	}
	// rows: null; {}; {"a": 1, "b": null}
	k.NumLevels, k.DefLevels, k.RepLevels = 4, []uint8{0, 1, 2, 2}, []uint8{0, 0, 0, 1}
	k.Bytes, k.Offsets = []byte("ab"), []int32{0, 1, 2}
	v.NumLevels, v.DefLevels, v.RepLevels = 4, []uint8{0, 1, 3, 2}, []uint8{0, 0, 0, 1}
	v.Int64s = []int64{1}
	var buf bytes.Buffer
	w, err := NewWriter(&buf, mapSchema(Required, 2), WriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.WriteRowGroup(cols); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	f, err := OpenFile(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	if got := f.Schema().Children[0].Logical; got != Map {
		t.Errorf("read back logical type %d, want Map", got)
	}
	back, err := f.ReadRowGroup(0)
	if err != nil {
		t.Fatal(err)
	}
	if string(back[0].Bytes) != "ab" || !bytes.Equal(back[0].DefLevels, k.DefLevels) || !bytes.Equal(back[1].DefLevels, v.DefLevels) ||
		!bytes.Equal(back[1].RepLevels, v.RepLevels) || len(back[1].Int64s) != 1 || back[1].Int64s[0] != 1 {
		t.Errorf("read back %+v %+v", back[0], back[1])
	}
}

func TestMapSchemaErrors(t *testing.T) {
	for name, s := range map[string]*Node{
		"optional key": mapSchema(Optional, 2),
		"no value":     mapSchema(Required, 1),
	} {
		if _, err := LeafColumns(s); err == nil || !strings.Contains(err.Error(), "Map group") {
			t.Errorf("%s: %v, want a Map group error", name, err)
		}
	}
}
