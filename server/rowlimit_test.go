package server

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/evodb/writer/cdc"
	"github.com/evodb/writer/engine"
	"github.com/evodb/writer/server/wal"
	"github.com/google/go-cmp/cmp"
)

// TestRowsTheWriterRefuses: rows the cdc decoders let through but the
// writer refuses when it flushes (a binary row above
// engine.DefaultMaxRowBytes, an object naming a member twice) must be
// refused with their batch (400 naming the entry or line), never
// acknowledged and then dropped at the flush while their LSN counts as
// committed.
func TestRowsTheWriterRefuses(t *testing.T) {
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
	dupBinary := func(lsn int64, data string) []byte {
		b, err := cdc.AppendBinaryBatch(nil, []cdc.Entry{
			{Op: cdc.Insert, Table: "big", Producer: "p", LSN: lsn, Data: row(int(lsn), 1)},
			{Op: cdc.Insert, Table: "big", Producer: "p", LSN: lsn + 1, Data: []byte(data)},
		})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	for _, tc := range []struct {
		name    string
		body    []byte
		headers map[string]string
		want    string
	}{
		{"JSON lines, top level", []byte(`{"op":"INSERT","lsn":3,"data":{"id":3,"p":"p"}}` + "\n" + `{"op":"INSERT","lsn":4,"data":{"id":4,"p":"p","id":5}}` + "\n"), nil, `line 2 (byte 48): duplicate key at byte 46: \"id\"`},
		{"JSON lines, nested and escaped", []byte(`{"op":"INSERT","lsn":3,"data":{"id":3,"p":"p","o":{"x":1,"\u0078":2}}}` + "\n"), nil, `line 1 (byte 0): duplicate key`},
		{"binary", dupBinary(3, `{"id":4,"p":"p","p":"q"}`), bin, "entry 1 (LSN 4): row: duplicate key"},
	} {
		r := ts.send("big", "p", tc.body, tc.headers)
		if r.Code != 400 || !strings.Contains(r.Raw, tc.want) {
			t.Fatalf("%s: %d %s; want 400 naming %q", tc.name, r.Code, r.Raw, tc.want)
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

// TestLoggedRowsReplay: a log record accepted before the row checks
// existed still decodes at replay (the writer rejects its bad row at the
// flush, as it did then); a new batch with it is refused.
func TestLoggedRowsReplay(t *testing.T) {
	body := []byte(`{"op":"INSERT","lsn":1,"data":{"id":1,"id":2}}` + "\n" + `{"op":"INSERT","lsn":2,"data":{"id":2}}` + "\n")
	if _, be := decodeBatch(nil, formatJSONLines, body, "t", "p"); be == nil || be.Line != 1 {
		t.Fatalf("decodeBatch: %v; want line 1 refused", be)
	}
	es, be := decodeLogged(formatJSONLines, body, "t", "p")
	if be != nil {
		t.Fatalf("decodeLogged: %v", be)
	}
	var lsns []int64
	for _, e := range es {
		lsns = append(lsns, e.LSN)
	}
	if diff := cmp.Diff([]int64{1, 2}, lsns); diff != "" {
		t.Fatalf("decodeLogged LSNs (-want +got):\n%s", diff)
	}
}

// TestMaxBodyFitsTheLog: a body must fit in one write-ahead log record.
// A larger MaxBodyBytes would let a batch be buffered, fail its log
// append, and then be acknowledged as a duplicate when resent, without
// ever being in the log.
func TestMaxBodyFitsTheLog(t *testing.T) {
	for _, tc := range []struct {
		max  int64
		want string // "" when accepted
	}{
		{wal.MaxRecordBytes, "MaxBodyBytes"},
		{wal.MaxRecordBytes - maxRecordHeaderBytes + 1, "MaxBodyBytes"},
		{wal.MaxRecordBytes - maxRecordHeaderBytes, ""},
	} {
		_, err := Config{DataDir: t.TempDir(), MaxBodyBytes: tc.max}.withDefaults()
		if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("MaxBodyBytes %d: %v; want an error naming %q: %v", tc.max, err, tc.want, tc.want != "")
		}
	}
	// The largest header a record can have fits maxRecordHeaderBytes.
	head := appendRecordHeader(nil, formatBinary, strings.Repeat("t", 128), strings.Repeat("\U0010FFFF", 64))
	if len(head)+8 > maxRecordHeaderBytes {
		t.Fatalf("a record header of %d bytes (plus 8 of framing) exceeds maxRecordHeaderBytes %d", len(head), maxRecordHeaderBytes)
	}
}
