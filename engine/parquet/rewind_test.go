package parquet

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// failingWriter fails every write.
type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

// TestRewind writes row groups, takes the file back to the end of its
// first one (after a failed write and after Close), finishes it with
// other row groups and reads back exactly the row groups kept and added.
func TestRewind(t *testing.T) {
	schema := flatSchema(&Node{Name: "v", Type: Int64})
	group := func(vals ...int64) []ColumnData {
		return []ColumnData{{Path: []string{"v"}, Leaf: schema.Children[0], NumLevels: len(vals), Int64s: vals}}
	}
	var buf bytes.Buffer
	w, err := NewWriter(&buf, schema, WriterOptions{Compression: Zstd, ZstdLevel: 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.WriteRowGroup(group(1, 2, 3)); err != nil {
		t.Fatal(err)
	}
	keep := buf.Len()
	if err := w.WriteRowGroup(group(4, 5)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if w.RowGroups() != 2 {
		t.Fatalf("%d row groups, want 2", w.RowGroups())
	}
	// Back to the first row group's end, then a write that fails.
	buf.Truncate(keep)
	if err := w.Rewind(failingWriter{}, 1, int64(keep)); err != nil {
		t.Fatal(err)
	}
	if err := w.WriteRowGroup(group(6)); err == nil {
		t.Fatal("a row group written to a failing writer succeeded")
	}
	// Back again, on buf, which holds the first row group.
	if err := w.Rewind(&buf, 1, int64(keep)); err != nil {
		t.Fatal(err)
	}
	if err := w.WriteRowGroup(group(7, 8)); err != nil {
		t.Fatal(err)
	}
	if err := w.WriteRowGroup(group(9)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	f, err := OpenFile(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	if f.NumRows() != 6 || f.NumRowGroups() != 3 {
		t.Fatalf("%d rows in %d row groups, want 6 in 3", f.NumRows(), f.NumRowGroups())
	}
	var got []int64
	for g := range f.NumRowGroups() {
		cols, err := f.ReadRowGroup(g)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, cols[0].Int64s...)
	}
	if diff := cmp.Diff([]int64{1, 2, 3, 7, 8, 9}, got); diff != "" {
		t.Fatalf("(-want +got):\n%s", diff)
	}

	// Bad calls name what is wrong and change nothing.
	for _, tc := range []struct {
		out    *bytes.Buffer
		groups int
		off    int64
		want   string
	}{
		{nil, 1, int64(keep), "nil io.Writer"},
		{&buf, 4, int64(keep), "4 row groups of 3"},
		{&buf, -1, 4, "-1 row groups of 3"},
		{&buf, 1, int64(keep) + 1, "row group 1 does not end at offset"},
		{&buf, 0, 0, "row group 0 does not end at offset 0"},
		{&buf, 0, 5, "row group 0 does not end at offset 5"},
	} {
		var err error
		if tc.out == nil {
			err = w.Rewind(nil, tc.groups, tc.off)
		} else {
			err = w.Rewind(tc.out, tc.groups, tc.off)
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Rewind(%d, %d): %v, want an error naming %q", tc.groups, tc.off, err, tc.want)
		}
	}
	if w.RowGroups() != 3 {
		t.Fatalf("%d row groups after refused rewinds, want 3", w.RowGroups())
	}
	// A file whose schema was extended cannot be rewound.
	wide := flatSchema(&Node{Name: "v", Type: Int64}, &Node{Name: "x", Type: Int64, Repetition: Optional})
	if err := w.Reset(&bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	if err := w.Extend(wide); err != nil {
		t.Fatal(err)
	}
	if err := w.Rewind(&buf, 0, 4); err == nil || !strings.Contains(err.Error(), "extended") {
		t.Fatalf("Rewind after Extend: %v", err)
	}
}
