package interop

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"github.com/google/go-cmp/cmp"
	pgo "github.com/parquet-go/parquet-go"

	"github.com/evodb/writer/cdc"
	"github.com/evodb/writer/engine"
	"github.com/evodb/writer/engine/parquet"
)

// evolvingEntries returns rows whose schema grows after the first half: a
// new field of an object (address.zip), of the objects of a list
// (items[].b), and new top-level columns (score, ts, tags).
func evolvingEntries(n int) []cdc.Entry {
	es := make([]cdc.Entry, n)
	for i := range n {
		var b strings.Builder
		fmt.Fprintf(&b, `{"id":%d`, i)
		late := i >= n/2
		switch {
		case i%10 == 3:
			b.WriteString(`,"address":null`)
		case late:
			fmt.Fprintf(&b, `,"address":{"city":"c%d","zip":"z%d"}`, i%5, i)
		default:
			fmt.Fprintf(&b, `,"address":{"city":"c%d"}`, i%5)
		}
		switch {
		case i%9 == 4:
			b.WriteString(`,"items":[]`)
		case late:
			fmt.Fprintf(&b, `,"items":[{"a":%d,"b":"x%d"},{"a":%d}]`, i, i, i+1)
		default:
			fmt.Fprintf(&b, `,"items":[{"a":%d},{"a":%d}]`, i, i+1)
		}
		if late {
			fmt.Fprintf(&b, `,"score":%d.25,"ts":"2026-01-02T03:04:%02dZ","tags":["t%d"]`, i, i%60, i%3)
		}
		b.WriteString("}")
		es[i] = cdc.Entry{Op: cdc.Insert, Table: "t", Data: []byte(b.String()), LSN: int64(i + 1), Producer: "p"}
	}
	return es
}

// TestEvolvedBlock reads with arrow-go and parquet-go a block whose new
// columns appear after its first row groups: the row groups written
// before carry chunks for them written after the later row groups.
func TestEvolvedBlock(t *testing.T) {
	es := evolvingEntries(2000)
	bw, err := engine.NewBlockWriter(engine.BlockOptions{RowGroupBytes: 8 << 10,
		Parquet: parquet.WriterOptions{Compression: parquet.Zstd}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := bw.WriteBlock(ctx, &bytes.Buffer{}, es[:len(es)/2]); err != nil { // the early schema
		t.Fatal(err)
	}
	var buf bytes.Buffer
	info, err := bw.WriteBlock(ctx, &buf, es)
	if err != nil {
		t.Fatal(err)
	}
	if info.RowGroups < 4 || info.Stats.Passes != 3 || len(info.Errors) > 0 {
		t.Fatalf("block: %d row groups, stats %+v, errors %v: want a schema change after several row groups", info.RowGroups, info.Stats, info.Errors)
	}
	data := buf.Bytes()
	ours, err := parquet.OpenFile(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	var want [][]parquet.ColumnData
	for g := range ours.NumRowGroups() {
		cols, err := ours.ReadRowGroup(g)
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, cols)
	}

	rdr, err := file.NewParquetReader(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("arrow-go NewParquetReader: %v", err)
	}
	defer rdr.Close()
	if rdr.NumRowGroups() != len(want) {
		t.Fatalf("arrow-go sees %d row groups, want %d", rdr.NumRowGroups(), len(want))
	}
	for g, cols := range want {
		compareArrowRowGroup(t, rdr.RowGroup(g), g, cols)
	}
	tbl, err := pqarrow.ReadTable(ctx, bytes.NewReader(data), nil, pqarrow.ArrowReadProperties{}, memory.DefaultAllocator)
	if err != nil {
		t.Fatalf("pqarrow.ReadTable: %v", err)
	}
	defer tbl.Release()
	if tbl.NumRows() != int64(len(es)) || int(tbl.NumCols()) != len(info.Schema.Children) {
		t.Fatalf("arrow-go table: %d rows, %d columns; want %d, %d", tbl.NumRows(), tbl.NumCols(), len(es), len(info.Schema.Children))
	}

	pf, err := pgo.OpenFile(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatalf("parquet-go OpenFile: %v", err)
	}
	for g, rg := range pf.RowGroups() {
		ccs := rg.ColumnChunks()
		if len(ccs) != len(want[g]) {
			t.Fatalf("parquet-go row group %d: %d column chunks, want %d", g, len(ccs), len(want[g]))
		}
		for j := range ccs {
			got := readParquetGoColumn(t, ccs[j], &want[g][j])
			if diff := cmp.Diff(want[g][j], got, cmpColumns); diff != "" {
				t.Fatalf("row group %d column %v differs (-ours +parquet-go):\n%s", g, want[g][j].Path, diff)
			}
		}
	}
}
