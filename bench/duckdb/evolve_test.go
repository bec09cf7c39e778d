package duckdb

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/evodb/writer/cdc"
	"github.com/evodb/writer/engine"
)

// TestDuckDBReadsEvolvedBlock has DuckDB read a block whose new columns
// (a field of an object, a field of the objects of a list, top-level
// columns) appear after its first row groups, so the row groups before
// have chunks of nulls for them written at the end of the file.
func TestDuckDBReadsEvolvedBlock(t *testing.T) {
	need(t)
	const n = 3000
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
		if late {
			fmt.Fprintf(&b, `,"items":[{"a":%d,"b":"x%d"},{"a":%d}],"score":%d.25,"tags":["t%d"]`, i, i, i+1, i, i%3)
		} else if i%9 != 4 {
			fmt.Fprintf(&b, `,"items":[{"a":%d},{"a":%d}]`, i, i+1)
		}
		b.WriteString("}")
		es[i] = cdc.Entry{Op: cdc.Insert, Table: "t", Data: []byte(b.String()), LSN: int64(i + 1), Producer: "p",
			CommitTime: time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Millisecond)}
	}
	bw, err := engine.NewBlockWriter(engine.BlockOptions{RowGroupBytes: 16 << 10})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := bw.WriteBlock(ctx, &bytes.Buffer{}, es[:n/2]); err != nil { // the early schema
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "evolved.parquet")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	info, err := bw.WriteBlock(ctx, f, es)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if info.RowGroups < 4 || info.Stats.Passes != 3 || len(info.Errors) > 0 || info.Stats.Rescued != 0 {
		t.Fatalf("block: %d row groups, stats %+v, errors %v: want a schema change after several row groups", info.RowGroups, info.Stats, info.Errors)
	}
	rows := make([]map[string]any, n)
	for i := range es {
		rows[i] = inputRow(t, &es[i])
	}
	checkWithDuckDB(t, path, info.Schema, rows)
}
