package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"sync"
	"time"

	"github.com/evodb/writer/buffer"
	"github.com/evodb/writer/cdc"
)

// table is one open table: its writer, the buffer of entries acknowledged
// but not committed yet, and the write-ahead log records they came from.
type table struct {
	name string
	uri  string
	w    tableWriter
	s    *Server
	log  *slog.Logger

	// mu orders, per table, adding to the buffer and appending to the
	// log, so that the log replays into the same buffer state.
	mu      sync.Mutex
	buf     *buffer.CDC
	seeded  map[string]bool       // producers whose committed LSN the buffer knows
	ranges  map[string]*lsnRanges // per seeded producer: the LSNs accepted
	persist bool                  // write the ranges file before each commit
	recs    []int64               // log positions of records with entries not yet committed
	// bodies are the request bodies the buffered entries alias, in the
	// order they were added, handed back for reuse (putBody) once a flush
	// that drained their entries has committed them
	bodies    [][]byte
	lastErr   error // of the last flush
	lastFlush flushResult
	spare     []cdc.Entry // a drained batch's slice, given back to Drain
	// entries and their input bytes drained by a flush in progress
	flushingEntries int
	flushingBytes   int64

	flushMu sync.Mutex // one flush at a time
	kick    chan struct{}
	stop    chan struct{}
	done    chan struct{}
}

func newTable(s *Server, name, uri string, w tableWriter) (*table, error) {
	buf, err := buffer.New(buffer.Options{
		MaxEntries: s.cfg.FlushEntries,
		MaxBytes:   s.cfg.FlushInputBytes, // input bytes, as cdc.Entry.Size counts
		MaxAge:     s.cfg.FlushInterval,
		// The server refuses batches at HighWater before they reach the
		// buffer, and a batch must go in whole: no limit here.
		MemoryLimit:  math.MaxInt64 / 4,
		Backpressure: s.bp,
	})
	if err != nil {
		return nil, err
	}
	saved, err := readRangesFile(rangesPath(s.cfg.DataDir, name))
	if err != nil {
		return nil, fmt.Errorf("reading the accepted LSN ranges: %w", err)
	}
	t := &table{
		name: name, uri: uri, w: w, s: s,
		log:    s.log.With("table", name),
		buf:    buf,
		seeded: map[string]bool{},
		ranges: map[string]*lsnRanges{},
		kick:   make(chan struct{}, 1),
		stop:   make(chan struct{}),
		done:   make(chan struct{}),
	}
	// The ranges saved before the last commits hold the gaps the txn
	// versions would hide: they replace the committed LSN as floor.
	// The buffer still learns the committed LSN only: what was accepted
	// above it is in the log, and the replay buffers it again.
	for p, r := range saved {
		if lsn, ok := w.CommittedLSN(p); ok {
			buf.Committed(p, lsn)
			if lsn > r.high() {
				// Not written by this server before a commit; what the
				// table holds above the saved ranges counts as accepted.
				r.extend(r.high()+1, lsn)
			}
		}
		t.seeded[p] = true
		t.ranges[p] = r
	}
	t.persist = saved != nil
	return t, nil
}

// seedLocked tells the buffer the committed LSN of every producer of es it
// has not heard of, so that entries already in the table are duplicates.
// t.mu is held.
func (t *table) seedLocked(es []cdc.Entry) {
	last := ""
	for i := range es {
		p := es[i].Producer
		if p == last {
			continue
		}
		last = p
		if t.seeded[p] {
			continue
		}
		t.seeded[p] = true
		floor := int64(-1)
		if lsn, ok := t.w.CommittedLSN(p); ok {
			t.buf.Committed(p, lsn)
			floor = lsn
		}
		t.ranges[p] = newLSNRanges(floor)
	}
}

// rangesOf returns producer's accepted LSNs; t.mu is held and producer
// was seeded.
func (t *table) rangesOf(producer string) *lsnRanges { return t.ranges[producer] }

// addResult is what accepting a batch did.
type addResult struct {
	accepted, duplicates int
	acked                map[string]int64 // producer -> highest LSN accepted so far
	end                  int64            // log position to sync before acknowledging
	// kept: entries of the batch are in the buffer, so the table holds
	// body until they are committed; the caller must not reuse it
	kept bool
}

// add buffers the entries of a decoded batch and appends the batch's
// record (head + body) to the write-ahead log. It does not wait for the
// log to be synced. A batch with entries in a gap between the LSNs its
// producer had accepted is refused whole with an *lsnGapError.
func (t *table) add(es []cdc.Entry, head, body []byte) (addResult, error) {
	var r addResult
	t.mu.Lock()
	defer t.mu.Unlock()
	t.seedLocked(es)
	if ge := checkGaps(es, t.rangesOf); ge != nil {
		return r, ge
	}
	res, err := t.buf.AddBatch(es)
	r.accepted, r.duplicates = res.Accepted, res.Duplicates
	recordAccepted(es[:res.Accepted+res.Duplicates], t.rangesOf)
	if r.accepted > 0 {
		t.bodies = append(t.bodies, body)
		r.kept = true
	}
	if err != nil {
		// Cannot happen for a validated batch (no memory limit); the
		// entries before the failure are in the buffer, so log them.
		r.end, _ = t.appendLocked(head, body)
		return r, fmt.Errorf("buffering entry %d: %w", res.Accepted+res.Duplicates+1, err)
	}
	if r.accepted > 0 {
		if r.end, err = t.appendLocked(head, body); err != nil {
			return r, err
		}
	} else {
		// Nothing new: the entries are durable once what was logged
		// before them is.
		r.end = t.s.wal.End()
	}
	r.acked = t.ackedLocked(es)
	if t.buf.ShouldFlush() {
		t.kickFlush()
	}
	return r, nil
}

func (t *table) appendLocked(head, body []byte) (int64, error) {
	end, err := t.s.wal.Append(head, body)
	if err != nil {
		return 0, err
	}
	t.recs = append(t.recs, end-int64(8+len(head)+len(body)))
	return end, nil
}

func (t *table) ackedLocked(es []cdc.Entry) map[string]int64 {
	acked := make(map[string]int64, 1)
	last := ""
	for i := range es {
		p := es[i].Producer
		if p == last {
			continue
		}
		last = p
		if lsn := t.ranges[p].high(); lsn >= 0 {
			acked[p] = lsn
		}
	}
	return acked
}

// replay adds the entries of a record read back from the log at pos.
func (t *table) replay(es []cdc.Entry, pos int64) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.seedLocked(es)
	res, err := t.buf.AddBatch(es)
	recordAccepted(es[:res.Accepted+res.Duplicates], t.rangesOf)
	if err != nil {
		return res.Accepted, err
	}
	if res.Accepted > 0 {
		t.recs = append(t.recs, pos)
	}
	return res.Accepted, nil
}

func (t *table) kickFlush() {
	select {
	case t.kick <- struct{}{}:
	default:
	}
}

// oldestRecord returns the log position of the oldest record holding
// entries not yet committed, and false when there is none.
func (t *table) oldestRecord() (int64, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.recs) == 0 {
		return 0, false
	}
	return t.recs[0], true
}

// flushFailed puts a batch whose flush failed back in the buffer (its
// entries stay in the log too) and records, counts and logs the failure.
func (t *table) flushFailed(batch *buffer.Batch, why string, err error) {
	t.mu.Lock()
	t.buf.Requeue(batch)
	t.flushingEntries, t.flushingBytes = 0, 0
	t.lastErr = err
	t.mu.Unlock()
	t.s.metrics.flushes.WithLabelValues("error").Inc()
	t.log.Error("flush failed; the entries stay buffered and logged", "entries", len(batch.Entries), "trigger", why, "err", err)
}

// flush drains the buffer and commits what it held. On failure the entries
// go back into the buffer, in front, and stay in the log.
func (t *table) flush(ctx context.Context, why string) (flushResult, int, error) {
	t.flushMu.Lock()
	defer t.flushMu.Unlock()
	t.mu.Lock()
	if t.buf.Len() == 0 {
		t.mu.Unlock()
		return flushResult{}, 0, nil
	}
	if t.spare == nil {
		// The first flush (or one after a failure): give the buffer room
		// for as many entries as it held, so that it does not grow its
		// storage by copying while this flush runs.
		n := t.buf.Len()
		t.spare = make([]cdc.Entry, 0, n+n/4)
	}
	batch := t.buf.Drain(t.spare)
	t.spare = nil
	t.flushingEntries, t.flushingBytes = len(batch.Entries), batch.Bytes
	nrecs, nbodies := len(t.recs), len(t.bodies)
	// The ranges as of this drain cover what the commit will hold.
	var snap rangesFile
	save := t.persist
	if len(t.ranges) > 0 {
		var gaps bool
		snap, gaps = snapshotRanges(t.ranges)
		save = save || gaps
	}
	t.mu.Unlock()

	if save {
		if err := writeRangesFile(rangesPath(t.s.cfg.DataDir, t.name), snap); err != nil {
			err = fmt.Errorf("saving the accepted LSN ranges before the commit: %w", err)
			t.flushFailed(&batch, why, err)
			return flushResult{}, 0, err
		}
		t.mu.Lock()
		t.persist = true
		t.mu.Unlock()
	}

	start := time.Now()
	res, err := t.w.Flush(ctx, batch.Entries)
	elapsed := time.Since(start)
	t.s.metrics.flushSeconds.Observe(elapsed.Seconds())
	if err != nil {
		t.flushFailed(&batch, why, err)
		return res, 0, err
	}
	batch.Release()
	n := len(batch.Entries)
	clear(batch.Entries) // drop the references to the request bodies
	t.mu.Lock()
	t.spare = batch.Entries[:0]
	t.flushingEntries, t.flushingBytes = 0, 0
	t.recs = append(t.recs[:0], t.recs[nrecs:]...)
	// The drained entries were all the buffer held, so they were the
	// only ones to alias the bodies added before the drain; they are
	// cleared above and the writer keeps no reference to them.
	for _, b := range t.bodies[:nbodies] {
		putBody(b)
	}
	rest := copy(t.bodies, t.bodies[nbodies:])
	clear(t.bodies[rest:])
	t.bodies = t.bodies[:rest]
	t.lastErr = nil
	t.lastFlush = res
	t.mu.Unlock()
	t.s.metrics.flushes.WithLabelValues("ok").Inc()
	t.s.metrics.flushedRows.Add(float64(res.Rows))
	t.s.metrics.version.WithLabelValues(t.name).Set(float64(res.Version))
	if len(res.Rejected) > 0 {
		t.s.metrics.rejectedRows.Add(float64(len(res.Rejected)))
		t.log.Warn("rows refused by the writer", "count", len(res.Rejected), "first", res.Rejected[0])
	}
	t.log.Info("flushed", "entries", n, "rows", res.Rows, "bytes", res.Bytes,
		"block", res.BlockPath, "version", res.Version, "duplicates", res.Duplicates,
		"trigger", why, "took", elapsed)
	t.s.truncateLog(ctx)
	return res, n, nil
}

// run flushes on the buffer's triggers and every FlushInterval until
// stop is closed, then flushes what is left.
func (t *table) run() {
	defer close(t.done)
	tick := time.NewTicker(t.s.cfg.FlushInterval)
	defer tick.Stop()
	backoff := time.Duration(0)
	var retry <-chan time.Time
	for {
		why := ""
		select {
		case <-t.stop:
			return
		case <-t.kick:
			why = "size"
		case <-tick.C:
			why = "interval"
		case <-retry:
			why = "retry"
		}
		if retry != nil && why != "retry" {
			continue // a failed flush waits for its backoff
		}
		retry = nil
		if _, _, err := t.flush(context.Background(), why); err != nil {
			backoff = min(max(2*backoff, 100*time.Millisecond), 10*time.Second)
			retry = time.After(backoff)
			continue
		}
		backoff = 0
	}
}

// close stops the flush loop and flushes what is buffered.
func (t *table) close(ctx context.Context) error {
	close(t.stop)
	<-t.done
	_, _, err := t.flush(ctx, "shutdown")
	cerr := t.w.Close(ctx)
	return errors.Join(err, cerr)
}
