package server

import (
	"bytes"
	"fmt"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestBodiesReusedOnlyWhenFree: request bodies are reused once free, and
// a body whose entries are buffered is not free until a flush has
// committed them, even when that flush fails first. Between the batches
// whose rows are checked, bodies that must be free at once (refused
// batches, batches of duplicates only) are sent, of the same size and
// with other bytes: a body reused too early would change the rows the
// flush commits.
func TestBodiesReusedOnlyWhenFree(t *testing.T) {
	cfg := testConfig(t, t.TempDir())
	ts := startServer(t, cfg)
	rows := fakeRowsOf(tableURI(cfg.TableRoot, "b"))
	batch := func(from int64, tag string) []byte {
		var b []byte
		for lsn := from; lsn < from+50; lsn++ {
			b = fmt.Appendf(b, `{"op":"INSERT","data":{"id":%d,"tag":%q},"lsn":%d}`+"\n", lsn, tag, lsn)
		}
		return b
	}
	// wantData[lsn] is the row committed for lsn.
	wantData := map[int64]string{}
	accept := func(from int64, tag string) {
		t.Helper()
		body := batch(from, tag)
		if r := ts.send("b", "p", body, nil); r.Code != http.StatusOK {
			t.Fatalf("batch from %d: %d %s", from, r.Code, r.Raw)
		}
		for lsn := from; lsn < from+50; lsn++ {
			wantData[lsn] = fmt.Sprintf(`{"id":%d,"tag":%q}`, lsn, tag)
		}
	}
	free := func(from int64) {
		t.Helper()
		junk := bytes.Repeat([]byte("z"), len(batch(from, "aaaa")))
		for range 20 {
			if r := ts.send("b", "p", junk, nil); r.Code != http.StatusBadRequest {
				t.Fatalf("junk body: %d %s", r.Code, r.Raw)
			}
			// The same LSNs, already accepted: duplicates only.
			if r := ts.send("b", "p", batch(from, "zzzz"), nil); r.Code != http.StatusOK || r.Body["duplicates"] != float64(50) {
				t.Fatalf("duplicates: %d %s", r.Code, r.Raw)
			}
		}
	}
	accept(1, "aaaa")
	free(1)
	accept(51, "bbbb")
	free(51)
	rows.fail.Store(1)
	if r := ts.do("POST", "/v1/tables/b/flush", nil, nil); r.Code != http.StatusInternalServerError {
		t.Fatalf("failing flush: %d %s", r.Code, r.Raw)
	}
	free(1)
	accept(101, "cccc")
	free(101)
	ts.flush("b")
	// After the commit the bodies are free: the next batches may reuse
	// them.
	accept(151, "dddd")
	free(151)
	ts.flush("b")
	got := map[int64]string{}
	for _, e := range rows.snapshot() {
		got[e.LSN] = string(e.Data)
	}
	if diff := cmp.Diff(wantData, got); diff != "" {
		t.Fatalf("committed rows (-want +got):\n%s", diff)
	}
}
