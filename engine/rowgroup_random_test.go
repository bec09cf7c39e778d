package engine

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/evodb/writer/cdc"
)

// rgValue writes a random JSON value of one of the shapes a column
// can take (and some no column can), nesting up to depth.
func rgValue(r *rand.Rand, b *strings.Builder, depth int) {
	k := r.IntN(12)
	if depth <= 0 && k >= 8 {
		k = r.IntN(8)
	}
	switch k {
	case 0:
		fmt.Fprintf(b, "%d", r.IntN(2000)-1000)
	case 1:
		fmt.Fprintf(b, "%d.%d", r.IntN(100), r.IntN(100))
	case 2:
		fmt.Fprintf(b, `"s%d"`, r.IntN(50))
	case 3:
		fmt.Fprintf(b, `"2026-01-%02dT03:04:05Z"`, 1+r.IntN(28))
	case 4:
		fmt.Fprintf(b, "%t", r.IntN(2) == 0)
	case 5:
		b.WriteString("null")
	case 6:
		b.WriteString("{}")
	case 7:
		b.WriteString("[]")
	case 8, 9:
		b.WriteString("{")
		n := r.IntN(3)
		for i := range n {
			if i > 0 {
				b.WriteString(",")
			}
			fmt.Fprintf(b, `"k%d":`, i*3+r.IntN(3))
			rgValue(r, b, depth-1)
		}
		b.WriteString("}")
	default:
		b.WriteString("[")
		n := r.IntN(3)
		for i := range n {
			if i > 0 {
				b.WriteString(",")
			}
			rgValue(r, b, depth-1)
		}
		b.WriteString("]")
	}
}

// rgRows returns n rows over a small pool of keys whose values change
// shape along the batch; a few rows are invalid.
func rgRows(r *rand.Rand, n int, keys int) []string {
	lines := make([]string, n)
	for i := range n {
		var b strings.Builder
		fmt.Fprintf(&b, `{"id":%d`, i)
		for k := range keys {
			if r.IntN(3) == 0 {
				continue
			}
			fmt.Fprintf(&b, `,"c%d":`, k)
			rgValue(r, &b, 2)
		}
		switch r.IntN(40) {
		case 0:
			b.WriteString(`,"id":1`) // duplicate key
		case 1:
			b.WriteString(`,"x":`) // syntax
		}
		b.WriteString("}")
		lines[i] = b.String()
	}
	return lines
}

// TestRowGroupsRandom writes random batches whose columns appear and
// change shape along them, in row groups of random sizes, one writer
// after another and through a pipeline: every accepted row reads back as
// it was written (values that fit no column come back from _rescued).
func TestRowGroupsRandom(t *testing.T) {
	seeds := 40
	if testing.Short() {
		seeds = 8
	}
	for seed := range seeds {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			r := rand.New(rand.NewPCG(uint64(seed), 7))
			var batches [][]cdc.Entry
			for range 3 {
				batches = append(batches, entries(rgRows(r, 20+r.IntN(200), 2+r.IntN(5))...))
			}
			rg := 100 + r.IntN(2000)
			bw, err := NewBlockWriter(BlockOptions{RowGroupBytes: rg})
			if err != nil {
				t.Fatal(err)
			}
			one, err := NewBlockWriter(BlockOptions{})
			if err != nil {
				t.Fatal(err)
			}
			for k, es := range batches {
				info, rows, _ := writeRead(t, bw, es)
				t.Logf("batch %d: %d rows in %d row groups, stats %+v", k, info.Rows, info.RowGroups, info.Stats)
				compareRows(t, es, info.Errors, rows)
				// Types come from the whole batch, as with one row group.
				info1, rows1, _ := writeRead(t, one, es)
				compareRows(t, es, info1.Errors, rows1)
				if got, want := schemaString(info.Schema), schemaString(info1.Schema); got != want {
					t.Fatalf("batch %d: schema %s, with one row group %s", k, got, want)
				}
			}
			pw, err := NewBlockWriter(BlockOptions{RowGroupBytes: rg, Pipelined: true})
			if err != nil {
				t.Fatal(err)
			}
			p, err := pw.Pipeline(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			outs, infos := submitBatches(t, p, batches)
			for k := range batches {
				f, err := OpenBlock(bytes.NewReader(outs[k].Bytes()), int64(outs[k].Len()))
				if err != nil {
					t.Fatalf("block %d: %v", k, err)
				}
				rows, err := f.Rows(context.Background())
				if err != nil {
					t.Fatalf("block %d: %v", k, err)
				}
				compareRows(t, batches[k], infos[k].Errors, rows)
			}
		})
	}
}
