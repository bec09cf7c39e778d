package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/evodb/writer/cdc"
	"github.com/evodb/writer/manifest"
	"github.com/evodb/writer/upload"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// ackResponse is the answer to an accepted batch.
type ackResponse struct {
	Table      string `json:"table"`
	Accepted   int    `json:"accepted"`   // entries new to the table, now durable
	Duplicates int    `json:"duplicates"` // entries already acknowledged before, dropped
	// Acked maps each producer of the batch to its highest LSN that is
	// durable (in the log, fsynced, or committed): every LSN up to it
	// will be in the table exactly once.
	Acked map[string]int64 `json:"acked"`
	// LSN is Acked's value when the batch has one producer.
	LSN *int64 `json:"lsn,omitempty"`
}

// entryPool recycles the entry slices of decoded batches: the buffer
// keeps copies of the entries, not the slice.
var entryPool = sync.Pool{New: func() any { return new([]cdc.Entry) }}

// ingest handles POST /v1/tables/{table}/cdc.
func (s *Server) ingest(w http.ResponseWriter, r *http.Request, name string) {
	start := time.Now()
	if s.closing.Load() {
		writeError(w, http.StatusServiceUnavailable, "the server is shutting down; send the batch again later")
		return
	}
	f, err := parseContentType(r.Header.Get("Content-Type"))
	if err != nil {
		writeError(w, http.StatusUnsupportedMediaType, err.Error())
		return
	}
	producer := r.Header.Get(ProducerHeader)
	if msg := validProducer(producer); msg != "" {
		writeError(w, http.StatusBadRequest, ProducerHeader+": "+msg)
		return
	}
	body, code, err := s.readBody(w, r)
	if err != nil {
		writeError(w, code, err.Error())
		return
	}
	s.metrics.bodyBytes.Add(float64(len(body)))
	esp := entryPool.Get().(*[]cdc.Entry)
	kept := false // the table holds the body (its entries alias it)
	defer func() {
		clear(*esp)
		entryPool.Put(esp)
		if !kept {
			putBody(body)
		}
	}()
	es, be := decodeBatch((*esp)[:0], f, body, name, producer)
	*esp = es
	if be != nil {
		writeJSON(w, http.StatusBadRequest, be)
		return
	}
	if s.bp.ShouldPause() {
		for _, t := range s.openTables() {
			t.kickFlush()
		}
		s.metrics.throttled.Inc()
		secs := int(math.Ceil(s.cfg.FlushInterval.Seconds()))
		w.Header().Set("Retry-After", strconv.Itoa(max(secs, 1)))
		writeError(w, http.StatusTooManyRequests, "too many bytes waiting to be committed (above the high water mark); send the batch again after Retry-After seconds")
		return
	}
	t, err := s.table(r.Context(), name)
	if err != nil {
		s.log.Error("opening table", "table", name, "err", err)
		writeError(w, http.StatusServiceUnavailable, err.Error())
		return
	}
	head := appendRecordHeader(make([]byte, 0, 16+len(name)+len(producer)), f, name, producer)
	res, err := t.add(es, head, body)
	kept = res.kept
	var ge *lsnGapError
	if errors.As(err, &ge) {
		s.metrics.entries.WithLabelValues("conflict").Add(float64(len(es)))
		writeJSON(w, http.StatusConflict, ge)
		return
	}
	if err != nil {
		s.log.Error("accepting a batch", "table", name, "err", err)
		writeError(w, http.StatusServiceUnavailable, "write-ahead log: "+err.Error())
		return
	}
	if err := s.wal.Sync(r.Context(), res.end); err != nil {
		if r.Context().Err() == nil {
			s.log.Error("write-ahead log sync", "err", err)
		}
		writeError(w, http.StatusServiceUnavailable, "write-ahead log: "+err.Error()+" (the batch is not acknowledged; send it again)")
		return
	}
	s.metrics.entries.WithLabelValues("accepted").Add(float64(res.accepted))
	s.metrics.entries.WithLabelValues("duplicate").Add(float64(res.duplicates))
	s.metrics.ackSeconds.Observe(time.Since(start).Seconds())
	resp := ackResponse{Table: name, Accepted: res.accepted, Duplicates: res.duplicates, Acked: res.acked}
	if len(res.acked) == 1 {
		for _, v := range res.acked {
			resp.LSN = &v
		}
	}
	writeJSON(w, http.StatusOK, resp)
}

// readBody reads the request body, decompressed, within MaxBodyBytes. On
// error it returns the status code to answer with.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request) ([]byte, int, error) {
	limit := s.cfg.MaxBodyBytes
	tooLarge := fmt.Errorf("request body larger than %d bytes", limit)
	if r.ContentLength > limit {
		return nil, http.StatusRequestEntityTooLarge, tooLarge
	}
	raw := http.MaxBytesReader(w, r.Body, limit)
	readErr := func(what string, err error) (int, error) {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return http.StatusRequestEntityTooLarge, tooLarge
		}
		return http.StatusBadRequest, fmt.Errorf("reading the %s: %v", what, err)
	}
	enc := strings.ToLower(strings.TrimSpace(r.Header.Get("Content-Encoding")))
	switch enc {
	case "", "identity":
		b, err := readAll(raw, r.ContentLength)
		if err != nil {
			code, err := readErr("body", err)
			return nil, code, err
		}
		return b, 0, nil
	case "gzip", "x-gzip":
		zr, err := gzip.NewReader(raw)
		if err != nil {
			code, err := readErr("gzip body", err)
			return nil, code, err
		}
		b, err := readAll(io.LimitReader(zr, limit+1), -1)
		if err != nil {
			code, err := readErr("gzip body", err)
			return nil, code, err
		}
		if int64(len(b)) > limit {
			return nil, http.StatusRequestEntityTooLarge, fmt.Errorf("decompressed body larger than %d bytes", limit)
		}
		return b, 0, nil
	case "zstd":
		comp, err := readAll(raw, r.ContentLength)
		if err != nil {
			code, err := readErr("zstd body", err)
			return nil, code, err
		}
		b, err := s.zstd.DecodeAll(comp, nil)
		if errors.Is(err, zstd.ErrDecoderSizeExceeded) || errors.Is(err, zstd.ErrWindowSizeExceeded) || int64(len(b)) > limit {
			return nil, http.StatusRequestEntityTooLarge, fmt.Errorf("decompressed body larger than %d bytes", limit)
		}
		if err != nil {
			return nil, http.StatusBadRequest, fmt.Errorf("reading the zstd body: %v", err)
		}
		return b, 0, nil
	}
	return nil, http.StatusUnsupportedMediaType, fmt.Errorf("Content-Encoding %q: send the body plain, gzip or zstd", enc)
}

// readAll reads r to the end; n, if not negative, is the expected size.
// A body of known size is read into a buffer from the pool (bodies.go).
func readAll(r io.Reader, n int64) ([]byte, error) {
	if n >= 0 {
		b := getBody(int(n))
		if _, err := io.ReadFull(r, b); err != nil {
			putBody(b)
			return nil, err
		}
		var one [1]byte
		if k, err := r.Read(one[:]); k > 0 || (err != nil && err != io.EOF) {
			if err == nil {
				err = errors.New("body longer than its Content-Length")
			}
			putBody(b)
			return nil, err
		}
		return b, nil
	}
	return io.ReadAll(r)
}

// tableInfo is the answer to GET /v1/tables/{table}.
type tableInfo struct {
	Table     string           `json:"table"`
	URI       string           `json:"uri"`
	Version   int64            `json:"version"`
	Timestamp time.Time        `json:"timestamp"`
	NumFiles  int              `json:"num_files"`
	Rows      int64            `json:"rows"`
	Bytes     int64            `json:"bytes"`
	Files     []fileInfo       `json:"files"`
	Schema    json.RawMessage  `json:"schema,omitempty"`
	Producers map[string]int64 `json:"producers"` // txn: highest committed LSN per producer
	Open      bool             `json:"open"`      // the server has the table open
	Buffered  *bufferedInfo    `json:"buffered,omitempty"`
	Writer    any              `json:"writer_stats,omitempty"`
	LastError string           `json:"last_flush_error,omitempty"`
}

type fileInfo struct {
	Path             string `json:"path"`
	Size             int64  `json:"size"`
	Rows             int64  `json:"rows"`
	ModificationTime int64  `json:"modification_time"` // Unix milliseconds
}

// bufferedInfo counts what a table accepted and has not committed yet:
// Entries (and their Bytes) are in its buffer or in a flush still in
// progress (Flushing of them), so a reader never sees accepted entries
// vanish while a flush runs.
type bufferedInfo struct {
	Entries    int   `json:"entries"`
	Flushing   int   `json:"flushing"`
	Bytes      int64 `json:"bytes"`
	LogRecords int   `json:"log_records"`
}

// snapshot returns the latest snapshot of table name: through its writer
// if it is open, else read from the store without opening (or creating)
// the table. It returns manifest.ErrNoTable when the table does not exist.
func (s *Server) snapshot(ctx context.Context, name string) (*manifest.Snapshot, *table, error) {
	if t := s.openTable(name); t != nil {
		snap, err := t.w.Snapshot(ctx)
		return snap, t, err
	}
	uri := tableURI(s.cfg.TableRoot, name)
	if u, err := url.Parse(uri); err == nil && u.Scheme == "file" {
		if _, err := os.Stat(u.Path); errors.Is(err, os.ErrNotExist) {
			return nil, nil, manifest.ErrNoTable
		}
	}
	store, err := upload.Open(ctx, uri)
	if err != nil {
		return nil, nil, err
	}
	tbl, err := manifest.Open(store, "", manifest.Options{})
	if err != nil {
		return nil, nil, err
	}
	snap, err := tbl.Snapshot(ctx)
	return snap, nil, err
}

func (s *Server) snapshotError(w http.ResponseWriter, name string, err error) {
	if errors.Is(err, manifest.ErrNoTable) {
		writeError(w, http.StatusNotFound, fmt.Sprintf("no table %q under %s", name, s.cfg.TableRoot))
		return
	}
	s.log.Error("reading table", "table", name, "err", err)
	writeError(w, http.StatusInternalServerError, fmt.Sprintf("reading table %s: %v", name, err))
}

// describe handles GET /v1/tables/{table}.
func (s *Server) describe(w http.ResponseWriter, r *http.Request, name string) {
	snap, t, err := s.snapshot(r.Context(), name)
	if err != nil {
		s.snapshotError(w, name, err)
		return
	}
	info := tableInfo{
		Table: name, URI: tableURI(s.cfg.TableRoot, name), Version: snap.Version(), Timestamp: snap.Timestamp(),
		NumFiles: snap.NumFiles(), Files: []fileInfo{}, Producers: map[string]int64{},
	}
	for _, f := range snap.Files() {
		fi := fileInfo{Path: f.Path, Size: f.Size, ModificationTime: f.ModificationTime, Rows: -1}
		if st, err := f.ParseStats(); err == nil && st != nil {
			fi.Rows = st.NumRecords
			info.Rows += st.NumRecords
		}
		info.Bytes += f.Size
		info.Files = append(info.Files, fi)
	}
	if md := snap.Metadata(); json.Valid([]byte(md.SchemaString)) {
		info.Schema = json.RawMessage(md.SchemaString)
	}
	for app, txn := range snap.Txns() {
		info.Producers[app] = txn.Version
	}
	if t != nil {
		info.Open = true
		t.mu.Lock()
		info.Buffered = &bufferedInfo{Entries: t.buf.Len() + t.flushingEntries, Flushing: t.flushingEntries, Bytes: t.buf.Bytes() + t.flushingBytes, LogRecords: len(t.recs)}
		if t.lastErr != nil {
			info.LastError = t.lastErr.Error()
		}
		t.mu.Unlock()
		info.Writer = t.w.Stats()
	}
	writeJSON(w, http.StatusOK, info)
}

// flushTable handles POST /v1/tables/{table}/flush: it commits what the
// table has buffered now and answers when that is done.
func (s *Server) flushTable(w http.ResponseWriter, r *http.Request, name string) {
	t := s.openTable(name)
	if t == nil {
		snap, _, err := s.snapshot(r.Context(), name)
		if err != nil {
			s.snapshotError(w, name, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"table": name, "entries": 0, "version": snap.Version()})
		return
	}
	res, n, err := t.flush(r.Context(), "request")
	if err != nil {
		writeError(w, http.StatusInternalServerError, fmt.Sprintf("flush of %s failed (the entries stay buffered and logged): %v", name, err))
		return
	}
	if n == 0 {
		snap, err := t.w.Snapshot(r.Context())
		if err != nil {
			s.snapshotError(w, name, err)
			return
		}
		res.Version = snap.Version()
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"table": name, "entries": n, "rows": res.Rows, "bytes": res.Bytes, "block": res.BlockPath,
		"version": res.Version, "duplicates": res.Duplicates, "rejected": len(res.Rejected),
	})
}

// compactTable handles POST /v1/tables/{table}/compact.
func (s *Server) compactTable(w http.ResponseWriter, r *http.Request, name string) {
	t := s.openTable(name)
	if t == nil {
		if _, _, err := s.snapshot(r.Context(), name); err != nil {
			s.snapshotError(w, name, err)
			return
		}
		var err error
		if t, err = s.table(r.Context(), name); err != nil {
			writeError(w, http.StatusServiceUnavailable, err.Error())
			return
		}
	}
	res, err := t.w.Compact(r.Context())
	if err != nil {
		s.log.Error("compaction", "table", name, "err", err)
		writeError(w, http.StatusInternalServerError, fmt.Sprintf("compaction of %s failed: %v", name, err))
		return
	}
	s.log.Info("compacted", "table", name, "result", res)
	writeJSON(w, http.StatusOK, map[string]any{"table": name, "result": res})
}
