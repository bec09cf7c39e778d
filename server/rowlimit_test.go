package server

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/evodb/writer/cdc"
	"github.com/evodb/writer/engine"
	"github.com/google/go-cmp/cmp"
)

// TestRowLargerThanTheWriterTakes: a binary batch may carry rows of any
// size, but the writer refuses a row above engine.DefaultMaxRowBytes when
// it flushes. Such a row must be refused with the batch (400 naming the
// entry), never acknowledged and then dropped at the flush while its LSN
// counts as committed.
func TestRowLargerThanTheWriterTakes(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig(t, dir)
	cfg.openTable = nil
	cfg.TableRoot = "file://" + filepath.ToSlash(filepath.Join(dir, "tables"))
	ts := startServer(t, cfg)
	row := func(id, pad int) []byte {
		return fmt.Appendf(nil, `{"id":%d,"p":"p","pad":%q}`, id, strings.Repeat("x", pad))
	}
	overhead := len(row(0, 0))
	batch := func(from int64, sizes ...int) []byte {
		var es []cdc.Entry
		for i, size := range sizes {
			lsn := from + int64(i)
			es = append(es, cdc.Entry{Op: cdc.Insert, Table: "big", Producer: "p", LSN: lsn, Data: row(int(lsn), size-overhead)})
		}
		b, err := cdc.AppendBinaryBatch(nil, es)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	bin := map[string]string{"Content-Type": ContentTypeBinary}
	limit := engine.DefaultMaxRowBytes
	for _, tc := range []struct {
		name  string
		from  int64
		sizes []int
		code  int
		want  string
	}{
		{"a row one byte too large", 1, []int{100, limit + 1}, 400, "entry 2"},
		{"rows at the limit", 1, []int{100, limit}, 200, ""},
		{"a row far too large", 3, []int{100, 3 * limit}, 400, "entry 2"},
	} {
		r := ts.send("big", "p", batch(tc.from, tc.sizes...), bin)
		if r.Code != tc.code || !strings.Contains(r.Raw, tc.want) {
			t.Fatalf("%s: %d %s; want %d naming %q", tc.name, r.Code, r.Raw, tc.code, tc.want)
		}
		if tc.code == 400 && !strings.Contains(r.Raw, fmt.Sprint(limit)) {
			t.Fatalf("%s: %s does not name the limit %d", tc.name, r.Raw, limit)
		}
	}
	if f := ts.flush("big"); f.Body["rows"] != float64(2) || f.Body["rejected"] != float64(0) {
		t.Fatalf("flush: %s", f.Raw)
	}
	got, err := readTableLSNs(context.Background(), tableURI(cfg.TableRoot, "big"))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string][]int64{"p": {1, 2}}, got); diff != "" {
		t.Fatalf("committed LSNs (-want +got):\n%s", diff)
	}
}
