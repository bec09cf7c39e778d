package engine

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/evodb/writer/cdc"
	"github.com/evodb/writer/engine/parquet"
)

// evolvingRows returns n rows whose schema grows along the batch: from
// row n/2 on a nested field of an object, a field of the objects of a
// list, a timestamp, a number column whose integers turn fractional, an
// object and a list that were empty before; from row 3n/4 a top-level
// boolean. Rows before n/2 have {} and [] at the keys of the later object
// and list (rescued: those keys have no column yet).
func evolvingRows(n int) []string {
	lines := make([]string, n)
	for i := range n {
		var b strings.Builder
		fmt.Fprintf(&b, `{"id":%d,"name":"n%d"`, i, i%7)
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
			fmt.Fprintf(&b, `,"ts":"2026-01-02T03:04:%02dZ","meta":{"k":%d},"tags":["t%d"]`, i%60, i, i%3)
			if i < 3*n/4 {
				fmt.Fprintf(&b, `,"score":%d`, i)
			} else {
				fmt.Fprintf(&b, `,"score":%d.5`, i)
			}
		} else {
			b.WriteString(`,"meta":{},"tags":[]`)
		}
		if i >= 3*n/4 {
			fmt.Fprintf(&b, `,"late":%t`, i%2 == 0)
		}
		b.WriteString("}")
		lines[i] = b.String()
	}
	return lines
}

// TestSchemaChangeInLaterRowGroup writes blocks in small row groups whose
// columns appear after the first row groups: every row group of the file
// has a chunk for every column, the rows read back as written, and the
// types are inferred from the whole batch as with one row group.
func TestSchemaChangeInLaterRowGroup(t *testing.T) {
	const n = 400
	lines := evolvingRows(n)
	for _, tc := range []struct {
		name string
		opts BlockOptions
	}{
		{"zstd", BlockOptions{RowGroupBytes: 4000}},
		{"uncompressed pages v2", BlockOptions{RowGroupBytes: 9000, Uncompressed: true, Parquet: parquet.WriterOptions{DataPageV2: true}}},
		{"one row group", BlockOptions{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bw, err := NewBlockWriter(tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			es := entries(lines...)
			// A first block teaches the early rows' schema; in the second
			// the new keys come after the first row groups.
			info0, rows0, _ := writeRead(t, bw, es[:n/2])
			compareRows(t, es[:n/2], info0.Errors, rows0)
			info, rows, f := writeRead(t, bw, es)
			if tc.opts.RowGroupBytes > 0 && info.RowGroups < 4 {
				t.Fatalf("%d row groups, want several before the change", info.RowGroups)
			}
			compareRows(t, es, info.Errors, rows)
			got := schemaString(info.Schema)
			for _, want := range []string{"score:double", "ts:timestamp", "late:bool", "zip:string", "b:string", "k:int64"} {
				if !strings.Contains(got, want) {
					t.Errorf("schema %s lacks %s", got, want)
				}
			}
			if info.Stats.Rows != n || info.Stats.Passes != 3 || info.Stats.NewColumns == 0 {
				t.Errorf("stats %+v: want %d rows, 3 passes, new columns", info.Stats, n)
			}
			// Rows before n/2 rescue their {} and [] (no column then),
			// but for one row group: shredded again after the change.
			if tc.opts.RowGroupBytes > 0 && info.Stats.Rescued < n/2 {
				t.Errorf("%d values rescued, want the early rows' {} and []", info.Stats.Rescued)
			}
			leaves := leafNodes(f.Schema(), nil)
			for g := range f.NumRowGroups() {
				cols, err := f.Columns(g)
				if err != nil {
					t.Fatalf("row group %d: %v", g, err)
				}
				if len(cols) != len(leaves) {
					t.Fatalf("row group %d: %d columns, schema has %d leaves", g, len(cols), len(leaves))
				}
				// A new field of a group agrees with its old sibling on
				// where the group is: present or not, same repetitions.
				sameGroupLevels(t, g, col(t, cols, "address.city"), col(t, cols, "address.zip"), 1)
				sameGroupLevels(t, g, col(t, cols, "items.list.element.a"), col(t, cols, "items.list.element.b"), 3)
			}
			// The next block starts with the grown schema.
			info2, rows2, _ := writeRead(t, bw, es[n/4:n/2])
			if info2.Stats.Passes != 1 || info2.Stats.NewColumns != 0 {
				t.Errorf("second block stats %+v: want one pass, no new column", info2.Stats)
			}
			compareRows(t, es[n/4:n/2], info2.Errors, rows2)
		})
	}
}

// TestSchemaChangePipelined runs evolving batches through a Pipeline in
// small row groups, several blocks in flight.
func TestSchemaChangePipelined(t *testing.T) {
	bw, err := NewBlockWriter(BlockOptions{Pipelined: true, RowGroupBytes: 5000})
	if err != nil {
		t.Fatal(err)
	}
	p, err := bw.Pipeline(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	all := evolvingRows(600)
	batches := [][]cdc.Entry{entries(all[:200]...), entries(all[200:500]...), entries(all[500:]...), entries(all...)}
	outs, infos := submitBatches(t, p, batches)
	for k := range batches {
		f, err := OpenBlock(bytes.NewReader(outs[k].Bytes()), int64(outs[k].Len()))
		if err != nil {
			t.Fatalf("block %d: %v", k, err)
		}
		if f.NumRows() != infos[k].Rows || f.NumRowGroups() != infos[k].RowGroups || infos[k].Bytes != int64(outs[k].Len()) {
			t.Fatalf("block %d: file %d rows in %d row groups of %d bytes, info %+v", k, f.NumRows(), f.NumRowGroups(), outs[k].Len(), infos[k])
		}
		rows, err := f.Rows(context.Background())
		if err != nil {
			t.Fatalf("block %d: %v", k, err)
		}
		compareRows(t, batches[k], infos[k].Errors, rows)
	}
}

// submitBatches submits each batch to p as a block of its own, closes p and
// returns the blocks' bytes and infos, in batch order.
func submitBatches(t *testing.T, p *Pipeline, batches [][]cdc.Entry) ([]bytes.Buffer, []BlockInfo) {
	t.Helper()
	outs := make([]bytes.Buffer, len(batches))
	infos := make([]BlockInfo, len(batches))
	for k := range batches {
		if err := p.Submit(batches[k], &outs[k], func(info *BlockInfo, err error) {
			if err != nil {
				t.Errorf("block %d: %v", k, err)
				return
			}
			infos[k] = *info
			infos[k].Errors = append([]*RowError(nil), info.Errors...)
		}); err != nil {
			t.Fatalf("Submit %d: %v", k, err)
		}
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	return outs, infos
}

// TestRowGroupMemory checks that the default row groups follow the memory
// budget: a batch whose columns take several times the block's estimated
// size is cut into row groups of about equal size, no more of them than
// MinRowGroupOut allows.
func TestRowGroupMemory(t *testing.T) {
	lines := make([]string, 30000)
	for i := range lines {
		lines[i] = fmt.Sprintf(`{"id":%d,"name":"user %d","email":"u%d@example.com","score":%d.25}`, i, i%977, i*7919%100003, i%1000)
	}
	es := entries(lines...)
	bw, err := NewBlockWriter(BlockOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var info *BlockInfo
	for range 3 { // the ratios settle
		info, _, _ = writeRead(t, bw, es)
	}
	out := float64(info.Bytes)
	budget := max(out*DefaultRowGroupMemory, MinRowGroupMemory)
	// No more row groups than blocks of MinRowGroupOut bytes fit in the
	// block (by estimate): that can raise the budget.
	total := 0
	for i := range es {
		total += es[i].Size()
	}
	groups := max(math.Floor(float64(total)*bw.Estimates().OutPerIn/MinRowGroupOut), 1)
	budget = max(budget, bw.memPerIn*float64(total)/groups)
	if info.RowGroups < 2 {
		t.Fatalf("%d row group(s) for a block of %d bytes whose columns take about %.0f bytes", info.RowGroups, info.Bytes, bw.memPerIn*float64(len(lines)))
	}
	var buf bytes.Buffer
	if _, err := bw.WriteBlock(context.Background(), &buf, es); err != nil {
		t.Fatal(err)
	}
	pf, err := parquet.OpenFile(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	// Each row group's columns within the budget (with the estimates'
	// slack), the row groups about equal.
	row := 0
	for _, rg := range pf.RowGroups() {
		in := 0
		for i := row; i < row+int(rg.NumRows); i++ {
			in += es[i].Size()
		}
		row += int(rg.NumRows)
		if mem := bw.memPerIn * float64(in); mem > 1.25*budget {
			t.Errorf("row group of %d rows takes about %.0f bytes of columns, budget %.0f", rg.NumRows, mem, budget)
		}
	}
	rgs := pf.RowGroups()
	for _, rg := range rgs[:len(rgs)-1] {
		if d := rg.NumRows - rgs[0].NumRows; d > rgs[0].NumRows/5 || -d > rgs[0].NumRows/5 {
			t.Errorf("row groups of %d and %d rows: want about equal", rgs[0].NumRows, rg.NumRows)
		}
	}
}

func col(t *testing.T, cols []parquet.ColumnData, path string) *parquet.ColumnData {
	t.Helper()
	for i := range cols {
		if strings.Join(cols[i].Path, ".") == path {
			return &cols[i]
		}
	}
	t.Fatalf("no column %s", path)
	return nil
}

// sameGroupLevels checks that two leaves under a group of definition level def
// have the same repetition levels and agree on where the group is absent.
func sameGroupLevels(t *testing.T, g int, old, added *parquet.ColumnData, def uint8) {
	t.Helper()
	if old.NumLevels != added.NumLevels {
		t.Fatalf("row group %d: %v has %d levels, %v %d", g, old.Path, old.NumLevels, added.Path, added.NumLevels)
	}
	for k := range old.NumLevels {
		if old.MaxRep > 0 && old.RepLevels[k] != added.RepLevels[k] {
			t.Fatalf("row group %d entry %d: repetition %d in %v, %d in %v", g, k, old.RepLevels[k], old.Path, added.RepLevels[k], added.Path)
		}
		o, a := old.DefLevels[k], added.DefLevels[k]
		if (o < def || a < def) && o != a {
			t.Fatalf("row group %d entry %d: definition %d in %v, %d in %v: the group's presence differs", g, k, o, old.Path, a, added.Path)
		}
	}
}
