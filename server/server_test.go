package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/evodb/writer/cdc"
	"github.com/google/go-cmp/cmp"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

const testToken = "s3cret-token"

// testServer is a server on a loopback port.
type testServer struct {
	t    *testing.T
	s    *Server
	url  string
	cfg  Config
	stop context.CancelFunc
	done chan error
}

// testConfig is a config for a test server in dir with an in-memory
// table root of its own.
// testRuns numbers the test configurations of this process.
var testRuns atomic.Int64

func testConfig(t *testing.T, dir string) Config {
	t.Helper()
	return Config{
		DataDir: dir,
		// The memory stores are process-wide: a run number keeps a test's
		// tables apart from its earlier runs under -count.
		TableRoot:     fmt.Sprintf("mem://%s-%d/tables", strings.NewReplacer("/", "_").Replace(t.Name()), testRuns.Add(1)),
		Token:         testToken,
		FlushInterval: time.Hour, // tests flush explicitly
		Logger:        slog.New(slog.NewTextHandler(io.Discard, nil)),
		openTable:     openFake,
	}
}

func startServer(t *testing.T, cfg Config) *testServer {
	t.Helper()
	s, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ts := &testServer{t: t, s: s, url: "http://" + ln.Addr().String(), cfg: cfg, stop: cancel, done: make(chan error, 1)}
	go func() { ts.done <- s.Serve(ctx, ln) }()
	t.Cleanup(func() { ts.close() })
	return ts
}

// close shuts the server down gracefully (once).
func (ts *testServer) close() error {
	if ts.stop == nil {
		return nil
	}
	ts.stop()
	ts.stop = nil
	return <-ts.done
}

type reply struct {
	Code   int
	Header http.Header
	Body   map[string]any
	Raw    string
}

// do sends a request with the test token unless headers set another
// Authorization (an empty one sends none).
func (ts *testServer) do(method, path string, body []byte, headers map[string]string) reply {
	ts.t.Helper()
	req, err := http.NewRequest(method, ts.url+path, bytes.NewReader(body))
	if err != nil {
		ts.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+testToken)
	for k, v := range headers {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		ts.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := reply{Code: resp.StatusCode, Header: resp.Header, Raw: string(raw)}
	json.Unmarshal(raw, &r.Body)
	return r
}

func (ts *testServer) send(table, producer string, body []byte, headers map[string]string) reply {
	ts.t.Helper()
	h := map[string]string{ProducerHeader: producer, "Content-Type": ContentTypeJSONLines}
	for k, v := range headers {
		h[k] = v
	}
	return ts.do("POST", "/v1/tables/"+table+"/cdc", body, h)
}

func (ts *testServer) flush(table string) reply {
	ts.t.Helper()
	r := ts.do("POST", "/v1/tables/"+table+"/flush", nil, nil)
	if r.Code != http.StatusOK {
		ts.t.Fatalf("flush %s: %d %s", table, r.Code, r.Raw)
	}
	return r
}

// jsonBatch is n envelope lines for LSNs from, from+1, ...
func jsonBatch(producer string, from int64, n int) []byte {
	var b []byte
	for i := range n {
		lsn := from + int64(i)
		b = fmt.Appendf(b, `{"op":"INSERT","data":{"id":%d,"p":%q},"lsn":%d}`+"\n", lsn, producer, lsn)
	}
	return b
}

func lsnOf(r reply) int64 {
	v, _ := r.Body["lsn"].(float64)
	return int64(v)
}

// committedLSNs returns, per producer, the LSNs committed to uri in order.
func committedLSNs(uri string) map[string][]int64 {
	out := map[string][]int64{}
	for _, e := range fakeRowsOf(uri).snapshot() {
		out[e.Producer] = append(out[e.Producer], e.LSN)
	}
	return out
}

func seq(from, to int64) []int64 {
	var s []int64
	for v := from; v <= to; v++ {
		s = append(s, v)
	}
	return s
}

func TestConcurrentProducersDuplicatesRetries(t *testing.T) {
	ts := startServer(t, testConfig(t, t.TempDir()))
	const producers, batches, size = 8, 12, 50
	var wg sync.WaitGroup
	for p := range producers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			name := fmt.Sprintf("db-%d", p)
			for b := range batches {
				from := int64(b*size + 1)
				body := jsonBatch(name, from, size)
				r := ts.send("events", name, body, nil)
				if r.Code != http.StatusOK || lsnOf(r) != from+size-1 {
					t.Errorf("%s batch %d: %d %s", name, b, r.Code, r.Raw)
					return
				}
				if b%3 == 0 {
					// A retry of an acknowledged batch: all duplicates.
					r = ts.send("events", name, body, nil)
					if r.Code != http.StatusOK || r.Body["duplicates"] != float64(size) || r.Body["accepted"] != float64(0) || lsnOf(r) != from+size-1 {
						t.Errorf("%s retry of batch %d: %d %s", name, b, r.Code, r.Raw)
						return
					}
				}
				if b%4 == 1 {
					// Overlapping: half old, half new.
					r = ts.send("events", name, jsonBatch(name, from+size/2, size), nil)
					if r.Code != http.StatusOK || r.Body["duplicates"] != float64(size/2) || r.Body["accepted"] != float64(size/2) {
						t.Errorf("%s overlap after batch %d: %d %s", name, b, r.Code, r.Raw)
						return
					}
				}
				if b%5 == 2 {
					ts.flush("events")
				}
			}
		}()
	}
	wg.Wait()
	ts.flush("events")
	got := committedLSNs(tableURI(ts.cfg.TableRoot, "events"))
	for p := range producers {
		name := fmt.Sprintf("db-%d", p)
		// The overlapping batches after batch b (b%4 == 1) accepted LSNs up
		// to from+size/2+size-1, which the next batch then duplicates in
		// part: the union is 1 .. batches*size.
		if diff := cmp.Diff(seq(1, batches*size), got[name]); diff != "" {
			t.Errorf("%s committed (-want +got):\n%s", name, diff)
		}
	}
	if len(got) != producers {
		t.Errorf("producers committed: %d, want %d", len(got), producers)
	}
}

func TestBadRequests(t *testing.T) {
	ts := startServer(t, func() Config {
		c := testConfig(t, t.TempDir())
		c.MaxBodyBytes = 4096
		return c
	}())
	bomb := func() []byte {
		var b bytes.Buffer
		zw := gzip.NewWriter(&b)
		zw.Write(bytes.Repeat([]byte(" "), 1<<20))
		zw.Close()
		return b.Bytes()
	}()
	zbomb := func() []byte {
		enc, _ := zstd.NewWriter(nil)
		return enc.EncodeAll(bytes.Repeat([]byte("\n"), 1<<20), nil)
	}()
	good := jsonBatch("p", 1, 2)
	tests := []struct {
		name    string
		method  string
		path    string
		body    []byte
		headers map[string]string
		code    int
		want    string  // in the error message
		line    float64 // expected "line" field, 0: not checked
	}{
		{name: "malformed line", path: "/v1/tables/t/cdc", body: []byte("{\"op\":\"INSERT\",\"data\":{},\"lsn\":1}\n\n{\"op\":\"INSERT\",\"data\":{\"a\":},\"lsn\":2}\n"), code: 400, want: "line 3", line: 3},
		{name: "not an object", path: "/v1/tables/t/cdc", body: []byte("[1,2]\n"), code: 400, want: "line 1", line: 1},
		{name: "oversize", path: "/v1/tables/t/cdc", body: jsonBatch("p", 1, 200), code: 413, want: "larger than 4096"},
		{name: "gzip bomb", path: "/v1/tables/t/cdc", body: bomb, headers: map[string]string{"Content-Encoding": "gzip"}, code: 413, want: "decompressed body larger"},
		{name: "zstd bomb", path: "/v1/tables/t/cdc", body: zbomb, headers: map[string]string{"Content-Encoding": "zstd"}, code: 413, want: "decompressed body larger"},
		{name: "corrupt gzip", path: "/v1/tables/t/cdc", body: []byte("not gzip at all"), headers: map[string]string{"Content-Encoding": "gzip"}, code: 400, want: "gzip"},
		{name: "corrupt zstd", path: "/v1/tables/t/cdc", body: []byte("not zstd at all"), headers: map[string]string{"Content-Encoding": "zstd"}, code: 400, want: "zstd"},
		{name: "unknown encoding", path: "/v1/tables/t/cdc", body: good, headers: map[string]string{"Content-Encoding": "br"}, code: 415, want: "Content-Encoding"},
		{name: "unknown content type", path: "/v1/tables/t/cdc", body: good, headers: map[string]string{"Content-Type": "application/xml"}, code: 415, want: "Content-Type"},
		{name: "corrupt binary", path: "/v1/tables/t/cdc", body: []byte("EVB1garbage"), headers: map[string]string{"Content-Type": ContentTypeBinary}, code: 400, want: "binary batch"},
		{name: "bad token", path: "/v1/tables/t/cdc", body: good, headers: map[string]string{"Authorization": "Bearer wrong"}, code: 401, want: "token"},
		{name: "no token", path: "/v1/tables/t/cdc", body: good, headers: map[string]string{"Authorization": ""}, code: 401, want: "token"},
		{name: "basic auth", path: "/v1/tables/t/cdc", body: good, headers: map[string]string{"Authorization": "Basic " + testToken}, code: 401, want: "token"},
		{name: "metrics need the token", method: "GET", path: "/metrics", headers: map[string]string{"Authorization": ""}, code: 401, want: "token"},
		{name: "dot dot", path: "/v1/tables/../cdc", body: good, code: 400, want: "table name"},
		{name: "dot dot escaped", path: "/v1/tables/%2e%2e/cdc", body: good, code: 400, want: "table name"},
		{name: "traversal", path: "/v1/tables/..%2f..%2fetc/cdc", body: good, code: 400, want: "table name"},
		{name: "slash escaped", path: "/v1/tables/a%2Fb/cdc", body: good, code: 400, want: "table name"},
		{name: "empty name", path: "/v1/tables//cdc", body: good, code: 400, want: "empty table name"},
		{name: "dot dot get", method: "GET", path: "/v1/tables/..", code: 400, want: "table name"},
		{name: "other table in entry", path: "/v1/tables/t/cdc", body: []byte(`{"op":"INSERT","table":"u","data":{},"lsn":1}` + "\n"), code: 400, want: `names table "u"`, line: 1},
		{name: "other producer in entry", path: "/v1/tables/t/cdc", body: []byte(`{"op":"INSERT","producer":"q","data":{},"lsn":1}` + "\n"), code: 400, want: `names producer "q"`, line: 1},
		{name: "no producer", path: "/v1/tables/t/cdc", body: good, headers: map[string]string{ProducerHeader: ""}, code: 400, want: "no producer"},
		{name: "bad producer header", path: "/v1/tables/t/cdc", body: good, headers: map[string]string{ProducerHeader: "a\tb"}, code: 400, want: ProducerHeader},
		{name: "long producer header", path: "/v1/tables/t/cdc", body: good, headers: map[string]string{ProducerHeader: strings.Repeat("x", 300)}, code: 400, want: "at most 256"},
		{name: "LSNs not increasing", path: "/v1/tables/t/cdc", body: append(jsonBatch("p", 5, 1), jsonBatch("p", 5, 1)...), code: 400, want: "LSN 5", line: 2},
		{name: "empty body", path: "/v1/tables/t/cdc", body: nil, code: 400, want: "empty batch"},
		{name: "GET on cdc", method: "GET", path: "/v1/tables/t/cdc", code: 405, want: "POST"},
		{name: "unknown action", path: "/v1/tables/t/drop", code: 404, want: "no such endpoint"},
		{name: "unknown path", method: "GET", path: "/v2/x", code: 404, want: "no such endpoint"},
		{name: "unknown table", method: "GET", path: "/v1/tables/nothere", code: 404, want: "no table"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ts.t = t
			method := tc.method
			if method == "" {
				method = "POST"
			}
			h := map[string]string{ProducerHeader: "p", "Content-Type": ContentTypeJSONLines}
			for k, v := range tc.headers {
				h[k] = v
			}
			r := ts.do(method, tc.path, tc.body, h)
			if r.Code != tc.code {
				t.Fatalf("status %d, want %d: %s", r.Code, tc.code, r.Raw)
			}
			msg, _ := r.Body["error"].(string)
			if !strings.Contains(msg, tc.want) {
				t.Fatalf("error %q does not say %q", msg, tc.want)
			}
			if tc.line != 0 && r.Body["line"] != tc.line {
				t.Fatalf("line = %v, want %v (%s)", r.Body["line"], tc.line, r.Raw)
			}
			if tc.code == 401 && r.Header.Get("WWW-Authenticate") == "" {
				t.Fatal("401 without WWW-Authenticate")
			}
		})
	}
	ts.t = t
	// None of the refused batches reached a table: it was not even
	// created.
	if r := ts.do("GET", "/v1/tables/t", nil, nil); r.Code != http.StatusNotFound {
		t.Fatalf("table t after refused batches: %d %s", r.Code, r.Raw)
	}
	if got := committedLSNs(tableURI(ts.cfg.TableRoot, "t")); len(got) != 0 {
		t.Fatalf("refused batches committed: %v", got)
	}
}

func TestEncodingsAndFormats(t *testing.T) {
	ts := startServer(t, testConfig(t, t.TempDir()))
	gz := func(b []byte) []byte {
		var out bytes.Buffer
		zw := gzip.NewWriter(&out)
		zw.Write(b)
		zw.Close()
		return out.Bytes()
	}
	enc, _ := zstd.NewWriter(nil)
	zs := func(b []byte) []byte { return enc.EncodeAll(b, nil) }
	binary := func(producer string, from int64, n int) []byte {
		es, errs := cdc.DecodeJSONLines(nil, jsonBatch(producer, from, n), &cdc.JSONOptions{Producer: producer, Table: "enc"})
		if len(errs) > 0 {
			t.Fatal(errs[0])
		}
		b, err := cdc.AppendBinaryBatch(nil, es)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	tests := []struct {
		name     string
		body     []byte
		ct, ce   string
		from     int64
		producer string // header
	}{
		{"plain json", jsonBatch("p", 1, 10), ContentTypeJSONLines, "", 1, "p"},
		{"gzip json", gz(jsonBatch("p", 11, 10)), "application/jsonl", "gzip", 11, "p"},
		{"zstd json", zs(jsonBatch("p", 21, 10)), "", "zstd", 21, "p"},
		{"binary", binary("p", 31, 10), ContentTypeBinary, "", 31, "p"},
		{"zstd binary", zs(binary("p", 41, 10)), ContentTypeBinary, "zstd", 41, "p"},
		{"gzip binary, producer in entries", gz(binary("p", 51, 10)), ContentTypeBinary, "gzip", 51, ""},
	}
	for _, tc := range tests {
		r := ts.send("enc", tc.producer, tc.body, map[string]string{"Content-Type": tc.ct, "Content-Encoding": tc.ce})
		if r.Code != http.StatusOK || lsnOf(r) != tc.from+9 || r.Body["accepted"] != float64(10) {
			t.Fatalf("%s: %d %s", tc.name, r.Code, r.Raw)
		}
	}
	ts.flush("enc")
	got := committedLSNs(tableURI(ts.cfg.TableRoot, "enc"))
	if diff := cmp.Diff(map[string][]int64{"p": seq(1, 60)}, got); diff != "" {
		t.Fatalf("committed (-want +got):\n%s", diff)
	}
}

// crash stops ts without flushing anything: the HTTP server closes, the
// flush loops stop, the log is closed as a killed process would leave it.
func (ts *testServer) crash() {
	s := ts.s
	s.closing.Store(true)
	s.http.Close()
	for _, t := range s.openTables() {
		close(t.stop)
		<-t.done
	}
	s.wal.Close()
	s.shutdownOnce.Do(func() { close(s.shutdownDone) })
	ts.stop()
	ts.stop = nil
	<-ts.done
}

func TestReplayAfterCrash(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig(t, dir)
	cfg.WALSegmentBytes = 2048
	ts := startServer(t, cfg)
	for b := range 10 {
		r := ts.send("orders", "shop", jsonBatch("shop", int64(b*20+1), 20), nil)
		if r.Code != 200 {
			t.Fatalf("%d %s", r.Code, r.Raw)
		}
		if b == 3 {
			ts.flush("orders") // 1..80 committed, 81..200 only logged
		}
	}
	ts.crash()
	uri := tableURI(cfg.TableRoot, "orders")
	if got := committedLSNs(uri)["shop"]; len(got) != 80 {
		t.Fatalf("%d committed before the crash, want 80", len(got))
	}

	ts2 := startServer(t, cfg) // replays and commits the logged entries
	if diff := cmp.Diff(seq(1, 200), committedLSNs(uri)["shop"]); diff != "" {
		t.Fatalf("after replay (-want +got):\n%s", diff)
	}
	// Everything is committed: the log holds one (empty) segment.
	if st := ts2.s.wal.Stats(); st.Segments != 1 {
		t.Fatalf("%d log segments after replay and commit", st.Segments)
	}
	// A retry of an old batch is a duplicate; the producer goes on.
	r := ts2.send("orders", "shop", jsonBatch("shop", 181, 20), nil)
	if r.Code != 200 || r.Body["duplicates"] != float64(20) || lsnOf(r) != 200 {
		t.Fatalf("retry after restart: %d %s", r.Code, r.Raw)
	}
	r = ts2.send("orders", "shop", jsonBatch("shop", 201, 5), nil)
	if r.Code != 200 || lsnOf(r) != 205 {
		t.Fatalf("%d %s", r.Code, r.Raw)
	}
	if err := ts2.close(); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(seq(1, 205), committedLSNs(uri)["shop"]); diff != "" {
		t.Fatalf("after shutdown (-want +got):\n%s", diff)
	}
}

func TestLogTruncatedAfterCommit(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig(t, dir)
	cfg.WALSegmentBytes = 1024
	ts := startServer(t, cfg)
	for b := range 20 {
		if r := ts.send("a", "p", jsonBatch("p", int64(b*10+1), 10), nil); r.Code != 200 {
			t.Fatalf("%d %s", r.Code, r.Raw)
		}
		if r := ts.send("b", "q", jsonBatch("q", int64(b*10+1), 10), nil); r.Code != 200 {
			t.Fatalf("%d %s", r.Code, r.Raw)
		}
	}
	segs := func() int {
		m, _ := filepath.Glob(filepath.Join(dir, "wal", "*.wal"))
		return len(m)
	}
	before := segs()
	if before < 5 {
		t.Fatalf("%d segments before any flush, want many", before)
	}
	// Table a committed, b not: b's records keep the segments.
	ts.flush("a")
	if n := segs(); n != before {
		t.Fatalf("segments %d → %d although table b committed nothing", before, n)
	}
	ts.flush("b")
	if n := segs(); n != 1 {
		t.Fatalf("%d segments after both tables committed, want 1", n)
	}
	r := ts.do("GET", "/metrics", nil, nil)
	if !strings.Contains(r.Raw, "evodb_wal_segments_deleted_total") || !strings.Contains(r.Raw, "evodb_wal_fsyncs_total") {
		t.Fatalf("metrics lack the log counters:\n%s", r.Raw)
	}
}

func TestBackpressureAndFlushFailure(t *testing.T) {
	cfg := testConfig(t, t.TempDir())
	cfg.HighWater = 8 << 10
	cfg.LowWater = 4 << 10
	ts := startServer(t, cfg)
	uri := tableURI(cfg.TableRoot, "bp")
	rows := fakeRowsOf(uri)
	rows.fail.Store(1000)
	var lsn int64 = 1
	throttled := false
	for range 200 {
		r := ts.send("bp", "p", jsonBatch("p", lsn, 20), nil)
		if r.Code == http.StatusTooManyRequests {
			if r.Header.Get("Retry-After") == "" {
				t.Fatal("429 without Retry-After")
			}
			throttled = true
			break
		}
		if r.Code != 200 {
			t.Fatalf("%d %s", r.Code, r.Raw)
		}
		lsn += 20
	}
	if !throttled {
		t.Fatal("never throttled above the high water mark")
	}
	// The flush fails: 500, the entries stay buffered.
	r := ts.do("POST", "/v1/tables/bp/flush", nil, nil)
	if r.Code != 500 || !strings.Contains(r.Raw, "injected") {
		t.Fatalf("failing flush: %d %s", r.Code, r.Raw)
	}
	info := ts.do("GET", "/v1/tables/bp", nil, nil)
	if buf, _ := info.Body["buffered"].(map[string]any); buf["entries"] != float64(lsn-1) || !strings.Contains(info.Raw, "injected") {
		t.Fatalf("table info after a failed flush: %s", info.Raw)
	}
	rows.fail.Store(0)
	ts.flush("bp")
	if r := ts.send("bp", "p", jsonBatch("p", lsn, 20), nil); r.Code != 200 {
		t.Fatalf("after the flush: %d %s", r.Code, r.Raw)
	}
	ts.flush("bp")
	if diff := cmp.Diff(seq(1, lsn+19), committedLSNs(uri)["p"]); diff != "" {
		t.Fatalf("committed (-want +got):\n%s", diff)
	}
}

func TestTableInfoHealthMetrics(t *testing.T) {
	ts := startServer(t, testConfig(t, t.TempDir()))
	ts.send("info", "p", jsonBatch("p", 1, 7), nil)
	ts.send("info", "q", jsonBatch("q", 100, 3), nil)
	ts.flush("info")
	ts.send("info", "p", jsonBatch("p", 8, 2), nil)
	r := ts.do("GET", "/v1/tables/info", nil, nil)
	if r.Code != 200 {
		t.Fatalf("%d %s", r.Code, r.Raw)
	}
	var info tableInfo
	if err := json.Unmarshal([]byte(r.Raw), &info); err != nil {
		t.Fatal(err)
	}
	if info.Version != 1 || info.NumFiles != 1 || info.Rows != 10 || len(info.Files) != 1 || !info.Open ||
		info.Buffered == nil || info.Buffered.Entries != 2 ||
		!cmp.Equal(info.Producers, map[string]int64{"p": 7, "q": 102}) {
		t.Fatalf("table info: %s", r.Raw)
	}
	h := ts.do("GET", "/healthz", nil, map[string]string{"Authorization": ""})
	if h.Code != 200 || h.Body["status"] != "ok" {
		t.Fatalf("healthz: %d %s", h.Code, h.Raw)
	}
	m := ts.do("GET", "/metrics", nil, nil)
	for _, want := range []string{`evodb_ingest_entries_total{result="accepted"} 12`, `evodb_http_requests_total{code="200",route="cdc"} 3`, "evodb_ingest_ack_seconds_bucket", `evodb_table_version{table="info"} 1`} {
		if !strings.Contains(m.Raw, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	c := ts.do("POST", "/v1/tables/info/compact", nil, nil)
	if c.Code != http.StatusOK || fakeRowsOf(tableURI(ts.cfg.TableRoot, "info")).compactions.Load() != 1 {
		t.Fatalf("compact: %d %s", c.Code, c.Raw)
	}
	if c := ts.do("POST", "/v1/tables/nothere/compact", nil, nil); c.Code != http.StatusNotFound {
		t.Fatalf("compact of a missing table: %d %s", c.Code, c.Raw)
	}
}

func TestShutdownFlushesBuffered(t *testing.T) {
	cfg := testConfig(t, t.TempDir())
	ts := startServer(t, cfg)
	for i := range 5 {
		ts.send("sd", "p", jsonBatch("p", int64(i*10+1), 10), nil)
	}
	if err := ts.close(); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(seq(1, 50), committedLSNs(tableURI(cfg.TableRoot, "sd"))["p"]); diff != "" {
		t.Fatalf("committed at shutdown (-want +got):\n%s", diff)
	}
	m, _ := filepath.Glob(filepath.Join(cfg.DataDir, "wal", "*.wal"))
	if len(m) != 1 {
		t.Fatalf("log segments after a clean shutdown: %v", m)
	}
	b, _ := os.ReadFile(m[0])
	if len(b) != 16 {
		t.Fatalf("the last segment holds %d bytes after a clean shutdown, want only its header", len(b))
	}
}

func TestTokenFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "token")
	os.WriteFile(path, []byte("  from-file\n"), 0o600)
	cfg := testConfig(t, filepath.Join(dir, "data"))
	cfg.Token, cfg.TokenFile = "", path
	ts := startServer(t, cfg)
	if r := ts.send("tf", "p", jsonBatch("p", 1, 1), nil); r.Code != 401 {
		t.Fatalf("the old token: %d", r.Code)
	}
	if r := ts.send("tf", "p", jsonBatch("p", 1, 1), map[string]string{"Authorization": "Bearer from-file"}); r.Code != 200 {
		t.Fatalf("the file's token: %d %s", r.Code, r.Raw)
	}
}

func TestConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"no data dir", Config{}, "DataDir"},
		{"both tokens", Config{DataDir: "x", Token: "a", TokenFile: "b"}, "not both"},
		{"missing token file", Config{DataDir: "x", TokenFile: "/nonexistent/token"}, "token file"},
		{"low above high", Config{DataDir: "x", HighWater: 10, LowWater: 20}, "LowWater"},
		{"half TLS", Config{DataDir: "x", TLSCert: "c"}, "TLSKey"},
		{"root not a URI", Config{DataDir: "x", TableRoot: "/var/tables"}, "not a URI"},
		{"negative", Config{DataDir: "x", MaxBodyBytes: -1}, "negative"},
	}
	for _, tc := range tests {
		_, err := New(context.Background(), tc.cfg)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want one naming %q", tc.name, err, tc.want)
		}
	}
}

func TestDecodeBatchLineNumbers(t *testing.T) {
	body := []byte("\n" + `{"op":"INSERT","data":{},"lsn":1,"producer":"a"}` + "\n  \n" + `{"op":"INSERT","data":{},"lsn":2,"producer":"b"}` + "\n")
	_, be := decodeBatch(nil, formatJSONLines, body, "t", "a")
	if be == nil || be.Line != 4 || be.Entry != 2 || be.Offset != bytes.Index(body, []byte(`{"op":"INSERT","data":{},"lsn":2`)) {
		t.Fatalf("batch error %+v", be)
	}
	// Records round-trip.
	head := appendRecordHeader(nil, formatBinary, "tbl", "prod")
	f, table, producer, rest, err := parseRecord(append(head, "body"...))
	if err != nil || f != formatBinary || table != "tbl" || producer != "prod" || string(rest) != "body" {
		t.Fatalf("parseRecord = %v %q %q %q %v", f, table, producer, rest, err)
	}
	for _, bad := range [][]byte{nil, {2, 1}, {1, 9}, {1, 1, 50, 'x'}} {
		if _, _, _, _, err := parseRecord(bad); err == nil {
			t.Errorf("parseRecord(%v) accepted", bad)
		}
	}
}

// TestInfoCountsFlushInProgress: while a flush runs, the table info still
// counts its entries as buffered (flushing), not as gone; after it they
// are committed.
func TestInfoCountsFlushInProgress(t *testing.T) {
	cfg := testConfig(t, t.TempDir())
	ts := startServer(t, cfg)
	if r := ts.send("fl", "p", jsonBatch("p", 1, 30), nil); r.Code != 200 {
		t.Fatalf("%d %s", r.Code, r.Raw)
	}
	rows := fakeRowsOf(tableURI(cfg.TableRoot, "fl"))
	rows.entered, rows.release = make(chan struct{}), make(chan struct{})
	rows.hold.Store(true)
	done := make(chan int)
	go func() {
		req, _ := http.NewRequest("POST", ts.url+"/v1/tables/fl/flush", nil)
		req.Header.Set("Authorization", "Bearer "+testToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			done <- 0
			return
		}
		resp.Body.Close()
		done <- resp.StatusCode
	}()
	<-rows.entered
	rows.hold.Store(false)
	info := ts.do("GET", "/v1/tables/fl", nil, nil)
	buf, _ := info.Body["buffered"].(map[string]any)
	if buf["entries"] != float64(30) || buf["flushing"] != float64(30) {
		t.Errorf("info during the flush: %s, want 30 entries, all flushing", info.Raw)
	}
	close(rows.release)
	if code := <-done; code != http.StatusOK {
		t.Fatalf("flush: %d", code)
	}
	info = ts.do("GET", "/v1/tables/fl", nil, nil)
	buf, _ = info.Body["buffered"].(map[string]any)
	if buf["entries"] != float64(0) || buf["flushing"] != float64(0) || info.Body["rows"] != float64(30) {
		t.Errorf("info after the flush: %s, want nothing buffered and 30 rows", info.Raw)
	}
}
