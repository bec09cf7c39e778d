package server

import (
	"context"
	"crypto/subtle"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/evodb/writer/buffer"
	"github.com/evodb/writer/server/wal"
	"github.com/klauspost/compress/zstd"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Server is the writer service. Make one with New, run it with Serve or
// ListenAndServe, stop it with Shutdown (or by ending Serve's context).
type Server struct {
	cfg     Config
	log     *slog.Logger
	wal     *wal.Log
	bp      *buffer.Backpressure
	metrics *metrics
	http    *http.Server
	zstd    *zstd.Decoder

	mu      sync.Mutex
	tables  map[string]*tableSlot
	closing atomic.Bool

	truncMu   sync.Mutex
	replaying atomic.Bool // no truncation while the log is being read

	shutdownOnce sync.Once
	shutdownErr  error
	shutdownDone chan struct{}
}

// tableSlot is a table being opened (ready not closed yet) or open.
type tableSlot struct {
	ready chan struct{}
	t     *table
	err   error
}

// New opens the write-ahead log in cfg.DataDir, replays it into the
// buffers of the tables it names (opening them), and starts their flush
// loops. The server does not listen until Serve.
func New(ctx context.Context, cfg Config) (*Server, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if cfg.openTable == nil {
		cfg.openTable = openWriter(cfg)
	}
	s := &Server{
		cfg:          cfg,
		log:          cfg.Logger,
		tables:       map[string]*tableSlot{},
		shutdownDone: make(chan struct{}),
	}
	s.bp, err = buffer.NewBackpressure(buffer.BackpressureOptions{HighWaterMark: cfg.HighWater, LowWaterMark: cfg.LowWater})
	if err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	s.zstd, err = zstd.NewReader(nil, zstd.WithDecoderMaxMemory(uint64(cfg.MaxBodyBytes)), zstd.WithDecoderConcurrency(0))
	if err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	s.wal, err = wal.Open(filepath.Join(cfg.DataDir, "wal"), wal.Options{SegmentBytes: cfg.WALSegmentBytes})
	if err != nil {
		s.zstd.Close()
		return nil, fmt.Errorf("server: %w", err)
	}
	s.metrics = newMetrics(s)
	if err := s.replay(ctx); err != nil {
		s.closeTables(ctx)
		s.wal.Close()
		s.zstd.Close()
		return nil, err
	}
	s.http = &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	if cfg.TLSCert != "" {
		cert, err := tls.LoadX509KeyPair(cfg.TLSCert, cfg.TLSKey)
		if err != nil {
			s.closeTables(ctx)
			s.wal.Close()
			s.zstd.Close()
			return nil, fmt.Errorf("server: TLS: %w", err)
		}
		s.http.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	return s, nil
}

// replay reads the write-ahead log back into the tables' buffers and
// flushes them.
func (s *Server) replay(ctx context.Context) error {
	start := time.Now()
	entries := 0
	s.replaying.Store(true)
	info, err := s.wal.Replay(func(pos int64, payload []byte) error {
		f, name, producer, body, err := parseRecord(payload)
		if err != nil {
			return fmt.Errorf("record at %d: %w", pos, err)
		}
		t, err := s.table(ctx, name)
		if err != nil {
			return err
		}
		es, be := decodeLogged(f, body, name, producer)
		if be != nil {
			return fmt.Errorf("%w at %d: %s", errRecord, pos, be.Message)
		}
		n, err := t.replay(es, pos)
		if err != nil {
			return fmt.Errorf("record at %d: %w", pos, err)
		}
		entries += n
		s.metrics.replayEntries.Add(float64(n))
		if t.buf.ShouldFlush() || s.bp.ShouldPause() {
			if _, _, err := t.flush(ctx, "replay"); err != nil {
				return err
			}
		}
		return nil
	})
	s.replaying.Store(false)
	if err != nil {
		return fmt.Errorf("server: replaying the write-ahead log: %w", err)
	}
	if info.Torn != nil {
		s.log.Warn("cut the torn tail of the write-ahead log (a write the previous process did not finish; never acknowledged)",
			"segment", info.TornSegment, "bytes", info.TornBytes, "reason", info.Torn.Reason)
	}
	s.log.Info("write-ahead log replayed", "records", info.Records, "segments", info.Segments,
		"entries_buffered", entries, "took", time.Since(start))
	// Commit what was replayed now, so the log can be truncated.
	for _, t := range s.openTables() {
		if _, _, err := t.flush(ctx, "replay"); err != nil {
			return fmt.Errorf("server: flushing %s after replay: %w", t.name, err)
		}
	}
	s.truncateLog(ctx)
	return nil
}

// table returns the open table name, opening (and creating) it if needed.
func (s *Server) table(ctx context.Context, name string) (*table, error) {
	s.mu.Lock()
	slot, ok := s.tables[name]
	if !ok {
		slot = &tableSlot{ready: make(chan struct{})}
		s.tables[name] = slot
		s.mu.Unlock()
		uri := tableURI(s.cfg.TableRoot, name)
		w, err := s.cfg.openTable(ctx, name, uri)
		if err == nil {
			slot.t, err = newTable(s, name, uri, w)
			if err != nil {
				w.Close(ctx)
			}
		}
		if err != nil {
			slot.err = fmt.Errorf("opening table %s: %w", name, err)
			s.mu.Lock()
			delete(s.tables, name)
			s.mu.Unlock()
		} else {
			go slot.t.run()
		}
		close(slot.ready)
	} else {
		s.mu.Unlock()
	}
	select {
	case <-slot.ready:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return slot.t, slot.err
}

// openTables returns the tables open now, by name.
func (s *Server) openTables() []*table {
	s.mu.Lock()
	defer s.mu.Unlock()
	var ts []*table
	for _, slot := range s.tables {
		select {
		case <-slot.ready:
			if slot.t != nil {
				ts = append(ts, slot.t)
			}
		default:
		}
	}
	sort.Slice(ts, func(i, j int) bool { return ts[i].name < ts[j].name })
	return ts
}

// openTable returns the table if it is open, without opening it.
func (s *Server) openTable(name string) *table {
	s.mu.Lock()
	slot := s.tables[name]
	s.mu.Unlock()
	if slot == nil {
		return nil
	}
	<-slot.ready
	return slot.t
}

// truncateLog deletes the log segments whose records are all committed.
func (s *Server) truncateLog(ctx context.Context) {
	if s.replaying.Load() {
		return
	}
	s.truncMu.Lock()
	defer s.truncMu.Unlock()
	// Records appended after this read start at or after pos; records
	// before it belong to tables already in the map.
	pos := s.wal.End()
	s.mu.Lock()
	slots := make([]*tableSlot, 0, len(s.tables))
	for _, slot := range s.tables {
		slots = append(slots, slot)
	}
	s.mu.Unlock()
	for _, slot := range slots {
		<-slot.ready
		if slot.t == nil {
			continue
		}
		if p, ok := slot.t.oldestRecord(); ok && p < pos {
			pos = p
		}
	}
	n, err := s.wal.Truncate(ctx, pos)
	if err != nil {
		s.log.Error("truncating the write-ahead log", "err", err)
	}
	if n > 0 {
		s.metrics.walTruncated.Add(float64(n))
		s.log.Debug("write-ahead log truncated", "segments", n, "position", pos)
	}
}

// Handler returns the server's HTTP handler (what Serve serves).
func (s *Server) Handler() http.Handler { return s }

// Serve accepts connections on ln until ctx ends or Shutdown is called.
// When ctx ends it shuts down gracefully (see Shutdown), within
// Config.ShutdownTimeout. It returns nil after a clean shutdown.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	s.log.Info("serving", "addr", ln.Addr().String(), "tls", s.http.TLSConfig != nil,
		"tables", s.cfg.TableRoot, "auth", s.cfg.Token != "")
	errc := make(chan error, 1)
	go func() {
		if s.http.TLSConfig != nil {
			errc <- s.http.ServeTLS(ln, "", "")
		} else {
			errc <- s.http.Serve(ln)
		}
	}()
	select {
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
		defer cancel()
		err := s.Shutdown(sctx)
		<-errc
		return err
	case err := <-errc:
		if errors.Is(err, http.ErrServerClosed) {
			<-s.shutdownDone
			return s.shutdownErr
		}
		sctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
		defer cancel()
		return errors.Join(err, s.Shutdown(sctx))
	}
}

// ListenAndServe listens on Config.Addr and calls Serve.
func (s *Server) ListenAndServe(ctx context.Context) error {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("server: %w", err)
	}
	return s.Serve(ctx, ln)
}

// Shutdown stops the server gracefully: it stops accepting connections,
// waits for the requests in progress (their batches are logged and
// acknowledged), flushes and commits what every table has buffered, and
// closes the log and the tables. What could not be committed before ctx
// ended stays in the log and is replayed at the next start. Later calls
// return the first call's result.
func (s *Server) Shutdown(ctx context.Context) error {
	s.shutdownOnce.Do(func() {
		defer close(s.shutdownDone)
		s.closing.Store(true)
		s.log.Info("shutting down: finishing requests, flushing buffered entries")
		err := s.http.Shutdown(ctx)
		err = errors.Join(err, s.closeTables(ctx))
		s.truncateLog(ctx)
		err = errors.Join(err, s.wal.Close())
		s.zstd.Close()
		s.shutdownErr = err
		if err != nil {
			s.log.Error("shutdown", "err", err)
		} else {
			s.log.Info("shut down cleanly")
		}
	})
	<-s.shutdownDone
	return s.shutdownErr
}

// closeTables flushes and closes every table. A table whose flush fails
// keeps its entries in the log.
func (s *Server) closeTables(ctx context.Context) error {
	var errs []error
	for _, t := range s.openTables() {
		if err := t.close(ctx); err != nil {
			errs = append(errs, fmt.Errorf("table %s: %w", t.name, err))
		}
	}
	return errors.Join(errs...)
}

// ServeHTTP routes a request:
//
//	GET  /healthz                     (no token needed)
//	GET  /metrics
//	POST /v1/tables/{table}/cdc
//	GET  /v1/tables/{table}
//	POST /v1/tables/{table}/flush
//	POST /v1/tables/{table}/compact
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rw := &statusWriter{ResponseWriter: w}
	route := s.route(rw, r)
	s.metrics.requests.WithLabelValues(route, strconv.Itoa(rw.code())).Inc()
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) code() int {
	if w.status == 0 {
		return http.StatusOK
	}
	return w.status
}

func (s *Server) route(w http.ResponseWriter, r *http.Request) string {
	path := r.URL.EscapedPath()
	if path == "/healthz" {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			methodNotAllowed(w, "GET")
			return "healthz"
		}
		s.healthz(w)
		return "healthz"
	}
	if !s.authorized(r) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="evodb"`)
		writeError(w, http.StatusUnauthorized, "missing or wrong bearer token (Authorization: Bearer <token>)")
		return "unauthorized"
	}
	if path == "/metrics" {
		promhttp.HandlerFor(s.metrics.reg, promhttp.HandlerOpts{}).ServeHTTP(w, r)
		return "metrics"
	}
	rest, ok := strings.CutPrefix(path, "/v1/tables/")
	if !ok {
		writeError(w, http.StatusNotFound, fmt.Sprintf("no such endpoint %q (see /v1/tables/{table}/cdc)", path))
		return "notfound"
	}
	raw, action, _ := strings.Cut(rest, "/")
	name, err := unescapePath(raw)
	if err != nil {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("table name %q: %v", raw, err))
		return "badname"
	}
	if msg := validTableName(name); msg != "" {
		writeError(w, http.StatusBadRequest, msg)
		return "badname"
	}
	switch action {
	case "cdc":
		if r.Method != http.MethodPost {
			methodNotAllowed(w, "POST")
		} else {
			s.ingest(w, r, name)
		}
		return "cdc"
	case "":
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			methodNotAllowed(w, "GET")
		} else {
			s.describe(w, r, name)
		}
		return "table"
	case "flush":
		if r.Method != http.MethodPost {
			methodNotAllowed(w, "POST")
		} else {
			s.flushTable(w, r, name)
		}
		return "flush"
	case "compact":
		if r.Method != http.MethodPost {
			methodNotAllowed(w, "POST")
		} else {
			s.compactTable(w, r, name)
		}
		return "compact"
	}
	writeError(w, http.StatusNotFound, fmt.Sprintf("no such endpoint %q (tables have cdc, flush and compact)", path))
	return "notfound"
}

// unescapePath decodes %XX escapes of one path segment.
func unescapePath(s string) (string, error) {
	if !strings.Contains(s, "%") {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			b.WriteByte(s[i])
			continue
		}
		if i+2 >= len(s) {
			return "", errors.New("truncated % escape")
		}
		v, err := strconv.ParseUint(s[i+1:i+3], 16, 8)
		if err != nil {
			return "", fmt.Errorf("bad escape %q", s[i:i+3])
		}
		b.WriteByte(byte(v))
		i += 2
	}
	return b.String(), nil
}

func (s *Server) authorized(r *http.Request) bool {
	if s.cfg.Token == "" {
		return true
	}
	h := r.Header.Get("Authorization")
	tok, ok := strings.CutPrefix(h, "Bearer ")
	if !ok {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(tok), []byte(s.cfg.Token)) == 1
}

func (s *Server) healthz(w http.ResponseWriter) {
	if s.closing.Load() {
		writeError(w, http.StatusServiceUnavailable, "shutting down")
		return
	}
	if err := s.wal.Err(); err != nil {
		writeError(w, http.StatusServiceUnavailable, "the write-ahead log failed, no batch can be acknowledged until a restart: "+err.Error())
		return
	}
	st := s.wal.Stats()
	writeJSON(w, http.StatusOK, map[string]any{"status": "ok", "wal_durable": st.Durable, "tables": len(s.openTables())})
}

func methodNotAllowed(w http.ResponseWriter, allow string) {
	w.Header().Set("Allow", allow)
	writeError(w, http.StatusMethodNotAllowed, "method not allowed; use "+allow)
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		code, b = http.StatusInternalServerError, []byte(`{"error":"encoding the response failed"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	w.Write(append(b, '\n'))
}

func writeError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, map[string]string{"error": msg})
}
