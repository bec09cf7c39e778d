package e2e

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/evodb/writer/bench/gen"
	"github.com/evodb/writer/cdc"
	"github.com/evodb/writer/engine"
)

func TestTmpPeakTyped(t *testing.T) {
	mem, _ := strconv.Atoi(os.Getenv("TMPMEM"))
	gb, _ := strconv.Atoi(os.Getenv("TMPGB"))
	rows, _ := strconv.Atoi(os.Getenv("TMPROWS"))
	orders := loadTyped(t).orders[:rows]
	runtime.GC()
	base := heapAlloc()
	w := newOrderWriterBytes(t, mem, gb)
	var out counter
	var sb strings.Builder
	for range 20 {
		var n int64
		h := heapDuring(base, func() {
			out.n = 0
			if err := w.Stream(&out); err != nil {
				t.Fatal(err)
			}
			if err := w.Append(orders); err != nil {
				t.Fatal(err)
			}
			if _, err := w.WriteBlock(context.Background(), nil); err != nil {
				t.Fatal(err)
			}
			n = out.n
		})
		fmt.Fprintf(&sb, "%.2f ", float64(h)/float64(n))
	}
	t.Log(sb.String())
}

func TestTmpPeakJSON(t *testing.T) {
	rows, _ := strconv.Atoi(os.Getenv("TMPROWS"))
	lines := gen.New(gen.Config{Seed: 2026, Tables: []string{"users"}}).JSONLines(nil, rows)
	es, errs := cdc.DecodeJSONLines(nil, lines, &cdc.JSONOptions{Table: "users"})
	if len(errs) > 0 {
		t.Fatal(errs[0])
	}
	runtime.GC()
	base := heapAlloc()
	bw, err := engine.NewBlockWriter(engine.BlockOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var sb strings.Builder
	for range 24 {
		var info *engine.BlockInfo
		h := heapDuring(base, func() { info, err = bw.WriteBlock(context.Background(), io.Discard, es) })
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&sb, "%.2f/%d ", float64(h)/float64(info.Bytes), info.RowGroups)
	}
	t.Log(sb.String())
}
