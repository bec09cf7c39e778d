// Package wal is the write-ahead log of the writer service: what a
// producer sent is appended here and fsynced before it is acknowledged, and
// read back at start-up to rebuild whatever had not reached a table yet.
//
// # Layout
//
// A log is a directory of segment files named after the position of their
// first record, "%020d.wal". A position is a byte count over the records of
// the whole log (headers excluded), so it only grows, across segments and
// restarts. Each segment starts with a 16-byte header (magic, start
// position) and holds whole records: a length, a CRC-32C of length and
// payload, and the payload. A segment is closed once it reaches
// Options.SegmentBytes; the next record goes to a new one. The file is
// fsynced after every write and the directory after a segment is created.
//
// # Group commit
//
// Append only copies a record into memory and returns its end position.
// Sync(ctx, end) returns once the log is durable up to end. The first caller
// that finds no write in progress writes everything appended so far with one
// write and one fsync; callers that arrive meanwhile wait, and the next
// writer covers them all. So N concurrent producers cost about two fsyncs,
// not N.
//
// # Recovery
//
// Open checks the last segment: a record cut short or whose checksum fails
// (a write the process did not finish) and everything after it are cut off
// and the file is truncated there. Nothing that was fsynced can be in that
// tail, since a record is acknowledged only after the write holding it was
// synced in full. A bad record in an earlier segment, which was complete
// when the next segment began, is reported as ErrCorrupt instead. Replay
// then hands every record to the caller in order.
//
// # Truncation
//
// Truncate(pos) deletes the segments whose records all end at or before
// pos: the caller passes the position up to which the records' contents
// are committed elsewhere.
package wal

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// DefaultSegmentBytes is the size at which a segment is closed by default.
const DefaultSegmentBytes = 64 << 20

// ErrClosed is returned by a Log after Close.
var ErrClosed = errors.New("wal: log is closed")

// Options configures a Log. The zero value is usable.
type Options struct {
	// SegmentBytes is the size past which a segment is closed and the next
	// write starts a new one. Default DefaultSegmentBytes.
	SegmentBytes int64

	// syncFile replaces (*os.File).Sync in tests.
	syncFile func(*os.File) error
}

// Stats counts what a Log did since Open.
type Stats struct {
	Appends         int64 // records appended
	Writes          int64 // write calls, each followed by an fsync
	Syncs           int64 // fsyncs of segment files
	BytesWritten    int64
	Segments        int   // segment files now
	SegmentsDeleted int64 // by Truncate
	Durable         int64 // position up to which the log is fsynced
	End             int64 // position after the last record appended
	TornBytes       int64 // bytes cut off the last segment by Open
}

type segment struct {
	start int64
	path  string
}

// Log is a write-ahead log in a directory. It is safe for concurrent use.
type Log struct {
	dir  string
	opts Options
	lock io.Closer

	mu      sync.Mutex
	segs    []segment // in order; the last is active
	f       *os.File  // the active segment, open for appending
	segSize int64     // record bytes in the active segment (written)
	buf     []byte    // records appended, not yet written
	spare   []byte
	end     int64 // position after the last record appended
	durable int64 // position up to which everything is written and synced
	busy    bool  // a goroutine owns the file (writing, rotating, closing)
	round   chan struct{}
	err     error // sticky: a failed write or sync
	closed  bool
	stats   Stats

	tornErr *TornError
	tornSeg string
}

// segmentName is the file name of the segment starting at start.
func segmentName(start int64) string { return fmt.Sprintf("%020d.wal", start) }

// Open opens the log in dir, creating the directory and a first segment if
// needed, and cuts a torn tail off the last segment. Only one Log may have
// dir open at a time (an advisory lock is taken where the OS has one).
func Open(dir string, opts Options) (*Log, error) {
	if opts.SegmentBytes <= 0 {
		opts.SegmentBytes = DefaultSegmentBytes
	}
	if opts.syncFile == nil {
		opts.syncFile = (*os.File).Sync
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("wal: %w", err)
	}
	lock, err := lockDir(dir)
	if err != nil {
		return nil, err
	}
	l := &Log{dir: dir, opts: opts, lock: lock, round: make(chan struct{})}
	if err := l.open(); err != nil {
		lock.Close()
		if l.f != nil {
			l.f.Close()
		}
		return nil, err
	}
	return l, nil
}

func (l *Log) open() error {
	names, err := os.ReadDir(l.dir)
	if err != nil {
		return fmt.Errorf("wal: %w", err)
	}
	for _, de := range names {
		name := de.Name()
		if !strings.HasSuffix(name, ".wal") || de.IsDir() {
			continue
		}
		start, err := strconv.ParseInt(strings.TrimSuffix(name, ".wal"), 10, 64)
		if err != nil || start < 0 || segmentName(start) != name {
			return fmt.Errorf("wal: %s: unexpected file name in the log directory", filepath.Join(l.dir, name))
		}
		l.segs = append(l.segs, segment{start: start, path: filepath.Join(l.dir, name)})
	}
	sort.Slice(l.segs, func(i, j int) bool { return l.segs[i].start < l.segs[j].start })

	// A last segment whose header is incomplete was being created when the
	// process stopped: it holds no record, so it goes.
	for len(l.segs) > 0 {
		last := l.segs[len(l.segs)-1]
		b, err := os.ReadFile(last.path)
		if err != nil {
			return fmt.Errorf("wal: %w", err)
		}
		if len(b) >= headerBytes {
			break
		}
		if err := os.Remove(last.path); err != nil {
			return fmt.Errorf("wal: %w", err)
		}
		if err := syncDir(l.dir); err != nil {
			return err
		}
		l.segs = l.segs[:len(l.segs)-1]
	}
	if len(l.segs) == 0 {
		return l.createSegment(0)
	}

	last := l.segs[len(l.segs)-1]
	b, err := os.ReadFile(last.path)
	if err != nil {
		return fmt.Errorf("wal: %w", err)
	}
	start, err := parseHeader(b)
	if err != nil {
		return fmt.Errorf("%w: %s: %v", ErrCorrupt, last.path, err)
	}
	if start != last.start {
		return fmt.Errorf("%w: %s: header says start %d", ErrCorrupt, last.path, start)
	}
	n, err := scanRecords(b[headerBytes:], nil)
	var torn *TornError
	if err != nil && !errors.As(err, &torn) {
		return err
	}
	f, err := os.OpenFile(last.path, os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("wal: %w", err)
	}
	l.f = f
	if torn != nil {
		if err := f.Truncate(headerBytes + n); err != nil {
			return fmt.Errorf("wal: cutting the torn tail of %s: %w", last.path, err)
		}
		if err := l.opts.syncFile(f); err != nil {
			return fmt.Errorf("wal: %s: %w", last.path, err)
		}
		l.tornErr, l.tornSeg = torn, last.path
		l.stats.TornBytes = int64(len(b)) - headerBytes - n
	}
	if _, err := f.Seek(headerBytes+n, io.SeekStart); err != nil {
		return fmt.Errorf("wal: %w", err)
	}
	l.segSize = n
	l.end = last.start + n
	l.durable = l.end
	return nil
}

// createSegment creates the segment starting at start, fsyncs it and the
// directory, and makes it the active one.
func (l *Log) createSegment(start int64) error {
	path := filepath.Join(l.dir, segmentName(start))
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fmt.Errorf("wal: %w", err)
	}
	if _, err := f.Write(appendHeader(nil, start)); err != nil {
		f.Close()
		return fmt.Errorf("wal: %s: %w", path, err)
	}
	if err := l.opts.syncFile(f); err != nil {
		f.Close()
		return fmt.Errorf("wal: %s: %w", path, err)
	}
	if err := syncDir(l.dir); err != nil {
		f.Close()
		return err
	}
	l.mu.Lock()
	old := l.f
	l.f = f
	l.segSize = 0
	l.segs = append(l.segs, segment{start: start, path: path})
	l.mu.Unlock()
	if old != nil {
		return old.Close()
	}
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("wal: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("wal: fsync of directory %s: %w", dir, err)
	}
	return nil
}

// ReplayInfo says what Replay read.
type ReplayInfo struct {
	Records  int
	Bytes    int64 // payload bytes
	Segments int
	// Torn describes the tail Open cut off the last segment, nil if none.
	Torn        *TornError
	TornSegment string
	TornBytes   int64
}

// Replay calls fn with the position and payload of every record in the
// log, in order. The payload is not reused by the Log: fn may keep it.
// An error from fn stops the replay and is returned. Replay reads the
// segment files as they are: call it before appending.
func (l *Log) Replay(fn func(pos int64, payload []byte) error) (ReplayInfo, error) {
	l.mu.Lock()
	segs := append([]segment(nil), l.segs...)
	end := l.durable
	info := ReplayInfo{Torn: l.tornErr, TornSegment: l.tornSeg, TornBytes: l.stats.TornBytes}
	l.mu.Unlock()
	for i, s := range segs {
		b, err := os.ReadFile(s.path)
		if err != nil {
			return info, fmt.Errorf("wal: %w", err)
		}
		start, err := parseHeader(b)
		if err != nil {
			return info, fmt.Errorf("%w: %s: %v", ErrCorrupt, s.path, err)
		}
		if start != s.start {
			return info, fmt.Errorf("%w: %s: header says start %d", ErrCorrupt, s.path, start)
		}
		segEnd := end
		if i+1 < len(segs) {
			segEnd = segs[i+1].start
		}
		limit := segEnd - s.start
		if limit < 0 || limit > int64(len(b)-headerBytes) {
			return info, fmt.Errorf("%w: %s: holds %d record bytes, the next segment starts after %d", ErrCorrupt, s.path, len(b)-headerBytes, limit)
		}
		n, err := scanRecords(b[headerBytes:headerBytes+limit], func(off int64, payload []byte) error {
			info.Records++
			info.Bytes += int64(len(payload))
			return fn(s.start+off, payload)
		})
		if err != nil {
			var torn *TornError
			if errors.As(err, &torn) {
				return info, fmt.Errorf("%w: %s: %v", ErrCorrupt, s.path, err)
			}
			return info, err
		}
		if n != limit {
			return info, fmt.Errorf("%w: %s: records end at %d, want %d", ErrCorrupt, s.path, n, limit)
		}
		info.Segments++
	}
	return info, nil
}

// Append adds one record whose payload is the concatenation of parts (1
// to MaxRecordBytes bytes in all) and returns the position after it. The
// record is durable once Sync(ctx, end) has returned nil.
func (l *Log) Append(parts ...[]byte) (end int64, err error) {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	if n == 0 || n > MaxRecordBytes {
		return 0, fmt.Errorf("wal: record of %d bytes (must be 1 to %d)", n, MaxRecordBytes)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return 0, ErrClosed
	}
	if l.err != nil {
		return 0, l.err
	}
	l.buf = appendRecord(l.buf, parts...)
	l.end += int64(recordHeaderBytes + n)
	l.stats.Appends++
	return l.end, nil
}

// End returns the position after the last record appended.
func (l *Log) End() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.end
}

// Sync returns once everything appended up to position end is written and
// fsynced, writing it itself if no other goroutine is. If ctx ends first it
// returns ctx's error (the write, once started, still goes on).
func (l *Log) Sync(ctx context.Context, end int64) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	for {
		if l.durable >= end {
			return nil
		}
		if l.err != nil {
			return l.err
		}
		if !l.busy {
			l.busy = true
			l.writeRound()
			continue
		}
		round := l.round
		l.mu.Unlock()
		select {
		case <-round:
		case <-ctx.Done():
			l.mu.Lock()
			return ctx.Err()
		}
		l.mu.Lock()
	}
}

// writeRound writes and syncs what is buffered. It is called with l.mu
// held and l.busy set, and returns the same way with busy cleared.
func (l *Log) writeRound() {
	buf, target := l.buf, l.end
	l.buf = l.spare[:0]
	rotate := l.segSize >= l.opts.SegmentBytes && len(buf) > 0
	start := l.end - int64(len(buf))
	l.mu.Unlock()

	var err error
	if rotate {
		err = l.createSegment(start)
	}
	if err == nil && len(buf) > 0 {
		_, err = l.f.Write(buf)
		if err != nil {
			err = fmt.Errorf("wal: write: %w", err)
		} else if err = l.opts.syncFile(l.f); err != nil {
			err = fmt.Errorf("wal: fsync: %w", err)
		}
	}

	l.mu.Lock()
	if cap(buf) <= 4*int(l.opts.SegmentBytes) {
		l.spare = buf[:0]
	}
	if err != nil {
		l.err = err
	} else if len(buf) > 0 {
		l.durable = target
		l.segSize += int64(len(buf))
		l.stats.Writes++
		l.stats.Syncs++
		l.stats.BytesWritten += int64(len(buf))
	}
	l.busy = false
	close(l.round)
	l.round = make(chan struct{})
}

// acquire waits until no goroutine owns the file and takes it.
func (l *Log) acquire(ctx context.Context) error {
	for l.busy {
		round := l.round
		l.mu.Unlock()
		select {
		case <-round:
		case <-ctx.Done():
			l.mu.Lock()
			return ctx.Err()
		}
		l.mu.Lock()
	}
	l.busy = true
	return nil
}

func (l *Log) release() {
	l.busy = false
	close(l.round)
	l.round = make(chan struct{})
}

// Truncate deletes the segments whose records all end at or before pos.
// When pos covers every record appended and the active segment holds any,
// a new segment is started first so that the old one can go too. It returns
// how many segment files it deleted.
func (l *Log) Truncate(ctx context.Context, pos int64) (int, error) {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return 0, ErrClosed
	}
	if l.err != nil {
		err := l.err
		l.mu.Unlock()
		return 0, err
	}
	if pos >= l.end && l.segSize > 0 {
		if err := l.acquire(ctx); err != nil {
			l.mu.Unlock()
			return 0, err
		}
		// Re-check: records may have been appended while waiting.
		if pos >= l.end && l.segSize > 0 && len(l.buf) == 0 {
			start := l.end
			l.mu.Unlock()
			err := l.createSegment(start)
			l.mu.Lock()
			if err != nil {
				l.err = err
				l.release()
				l.mu.Unlock()
				return 0, err
			}
		}
		l.release()
	}
	var gone []segment
	for len(l.segs) > 1 && l.segs[1].start <= pos {
		gone = append(gone, l.segs[0])
		l.segs = l.segs[1:]
	}
	l.mu.Unlock()
	for i, s := range gone {
		if err := os.Remove(s.path); err != nil && !errors.Is(err, os.ErrNotExist) {
			// Put back what was not deleted so that a later call retries.
			l.mu.Lock()
			l.segs = append(append([]segment(nil), gone[i:]...), l.segs...)
			l.stats.SegmentsDeleted += int64(i)
			l.mu.Unlock()
			return i, fmt.Errorf("wal: %w", err)
		}
	}
	if len(gone) > 0 {
		if err := syncDir(l.dir); err != nil {
			return len(gone), err
		}
	}
	l.mu.Lock()
	l.stats.SegmentsDeleted += int64(len(gone))
	l.mu.Unlock()
	return len(gone), nil
}

// Err returns the error that stopped the log (a failed write, fsync or
// segment creation), or nil. Once set, Append and Sync return it.
func (l *Log) Err() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.err
}

// Stats returns the log's counters.
func (l *Log) Stats() Stats {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.stats
	s.Segments = len(l.segs)
	s.Durable = l.durable
	s.End = l.end
	return s
}

// Close writes and syncs whatever was appended and not yet synced, then
// closes the files. Later calls return ErrClosed.
func (l *Log) Close() error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return ErrClosed
	}
	var err error
	if l.err == nil && l.durable < l.end {
		l.mu.Unlock()
		err = l.Sync(context.Background(), l.End())
		l.mu.Lock()
	}
	// Wait for a round in progress (another goroutine's Sync).
	_ = l.acquire(context.Background())
	l.closed = true
	f := l.f
	l.f = nil
	l.release()
	l.mu.Unlock()
	if f != nil {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("wal: %w", cerr)
		}
	}
	if cerr := l.lock.Close(); err == nil && cerr != nil {
		err = cerr
	}
	return err
}
