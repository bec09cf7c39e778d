package buffer

import (
	"cmp"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/evodb/writer/cdc"
)

// Defaults for the zero fields of Options.
const (
	DefaultMaxEntries = 10_000
	DefaultMaxBytes   = 10_000_000
	DefaultMaxAge     = 30 * time.Second
	// DefaultMemoryLimitFactor times MaxBytes is the default MemoryLimit.
	DefaultMemoryLimitFactor = 4
)

// Clock tells the time. The CDC buffer reads it to measure the age of its
// oldest entry; tests inject a clock they move by hand.
type Clock interface {
	Now() time.Time
}

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

// Options configures a CDC buffer. Zero fields take the defaults.
type Options struct {
	// MaxEntries: a flush is due once this many entries are buffered.
	// Default 10,000.
	MaxEntries int
	// MaxBytes: a flush is due once this many bytes (cdc.Entry.Size) are
	// buffered. Default 10,000,000.
	MaxBytes int64
	// MaxAge: a flush is due once the oldest buffered entry was added this
	// long ago. Default 30 s.
	MaxAge time.Duration
	// MemoryLimit is the hard cap on buffered bytes: Add returns a
	// *MemoryLimitError rather than exceed it. It must be at least
	// MaxBytes. Default 4 × MaxBytes.
	MemoryLimit int64
	// Clock is the time source for MaxAge. Default: the system clock.
	Clock Clock
	// Backpressure, if set, is told of every byte added, drained, released
	// and requeued.
	Backpressure *Backpressure
}

// Trigger is the set of flush conditions that hold, as bits.
type Trigger uint8

// The flush triggers.
const (
	TriggerEntries Trigger = 1 << iota // MaxEntries reached
	TriggerBytes                       // MaxBytes reached
	TriggerAge                         // MaxAge reached
)

// String lists the triggers, e.g. "entries|age", or "none".
func (t Trigger) String() string {
	if t == 0 {
		return "none"
	}
	var parts []string
	for _, x := range []struct {
		t    Trigger
		name string
	}{{TriggerEntries, "entries"}, {TriggerBytes, "bytes"}, {TriggerAge, "age"}} {
		if t&x.t != 0 {
			parts = append(parts, x.name)
		}
	}
	if rest := t &^ (TriggerEntries | TriggerBytes | TriggerAge); rest != 0 {
		parts = append(parts, fmt.Sprintf("Trigger(%#x)", uint8(rest)))
	}
	return strings.Join(parts, "|")
}

// Errors reported by CDC.Add, to be tested with errors.Is.
var (
	// ErrDuplicate: the entry's LSN is not above its producer's last
	// accepted LSN. The entry was not buffered.
	ErrDuplicate = errors.New("buffer: duplicate entry")
	// ErrMemoryLimit: buffering the entry would exceed MemoryLimit. The
	// entry was not buffered; drain the buffer and add it again.
	ErrMemoryLimit = errors.New("buffer: memory limit reached")
	// ErrInvalidEntry: the entry cannot be buffered as it is.
	ErrInvalidEntry = errors.New("buffer: invalid entry")
)

// DuplicateError is returned by Add for an entry whose LSN is not above
// its producer's last accepted LSN.
type DuplicateError struct {
	Producer string
	LSN      int64 // the entry's LSN
	LastLSN  int64 // the producer's last accepted LSN
}

func (e *DuplicateError) Error() string {
	return fmt.Sprintf("buffer: duplicate entry from producer %q: LSN %d is not above the last accepted LSN %d", e.Producer, e.LSN, e.LastLSN)
}

// Is reports whether target is ErrDuplicate.
func (e *DuplicateError) Is(target error) bool { return target == ErrDuplicate }

// MemoryLimitError is returned by Add when buffering an entry would take
// the buffer past its MemoryLimit.
type MemoryLimitError struct {
	Producer  string
	LSN       int64
	EntrySize int64 // bytes the entry is accounted for
	Buffered  int64 // bytes already buffered
	Limit     int64 // MemoryLimit
}

func (e *MemoryLimitError) Error() string {
	if e.EntrySize > e.Limit {
		return fmt.Sprintf("buffer: entry LSN %d from producer %q needs %d bytes, more than the memory limit of %d", e.LSN, e.Producer, e.EntrySize, e.Limit)
	}
	return fmt.Sprintf("buffer: memory limit of %d bytes reached: %d buffered, entry LSN %d from producer %q needs %d more", e.Limit, e.Buffered, e.LSN, e.Producer, e.EntrySize)
}

// Is reports whether target is ErrMemoryLimit.
func (e *MemoryLimitError) Is(target error) bool { return target == ErrMemoryLimit }

// EntryError is returned by Add for an entry that cannot be buffered.
type EntryError struct {
	Producer string
	LSN      int64
	Reason   string
}

func (e *EntryError) Error() string {
	return fmt.Sprintf("buffer: entry LSN %d from producer %q: %s", e.LSN, e.Producer, e.Reason)
}

// Is reports whether target is ErrInvalidEntry.
func (e *EntryError) Is(target error) bool { return target == ErrInvalidEntry }

// Batch is what Drain hands over: the buffered entries, in the order they
// were added, and what a commit needs to know about them.
type Batch struct {
	Entries []cdc.Entry
	// HighestLSN maps each producer in Entries to its highest LSN there.
	HighestLSN map[string]int64
	Bytes      int64     // sum of the entries' Size
	Oldest     time.Time // when the first of Entries was added
	Trigger    Trigger   // the flush conditions that held at Drain

	upload *Upload
}

// Release tells the buffer's Backpressure that the batch's bytes are no
// longer held: call it when the batch is committed, or dropped after a
// failed upload. It does nothing without Backpressure, and only the first
// call of Release or CDC.Requeue counts.
func (b *Batch) Release() { b.upload.Done() }

// Stats is a snapshot of a CDC buffer's counters.
type Stats struct {
	Entries        int   // buffered now
	Bytes          int64 // buffered now
	Producers      int   // producers seen since New
	Accepted       int64 // entries accepted since New
	Duplicates     int64 // entries refused as duplicates
	Rejected       int64 // entries refused at the memory limit or as invalid
	Drains         int64 // non-empty batches drained
	DrainedEntries int64
	Requeued       int64 // batches put back with Requeue
}

// producerState is what the buffer remembers of one producer.
type producerState struct {
	name  string
	last  int64  // last accepted LSN, -1 before the first
	high  int64  // highest LSN buffered now, valid while epoch == buffer epoch+1
	epoch uint64 // the buffer epoch in which it was last added to touched
}

// CDC accumulates CDC entries until a flush is due. It is safe for
// concurrent use. Entries are kept as given: Add copies the Entry struct
// but not the bytes Data, Table and Producer point to, which the caller
// must not modify afterwards.
type CDC struct {
	maxEntries int
	maxBytes   int64
	maxAge     time.Duration
	limit      int64
	// limitAuto: the MemoryLimit was defaulted, so it follows MaxBytes.
	limitAuto bool
	clock     Clock
	bp        *Backpressure

	mu        sync.Mutex
	entries   []cdc.Entry
	bytes     int64
	oldest    time.Time
	producers map[string]*producerState
	last      *producerState   // producer of the previous Add: most Adds hit it
	touched   []*producerState // producers with entries in the buffer now
	epoch     uint64           // increases at every Drain
	stats     Stats
}

// New returns an empty CDC buffer, or an error naming the first option
// that is out of range.
func New(opts Options) (*CDC, error) {
	switch {
	case opts.MaxEntries < 0:
		return nil, fmt.Errorf("buffer: MaxEntries %d is negative", opts.MaxEntries)
	case opts.MaxBytes < 0:
		return nil, fmt.Errorf("buffer: MaxBytes %d is negative", opts.MaxBytes)
	case opts.MaxAge < 0:
		return nil, fmt.Errorf("buffer: MaxAge %v is negative", opts.MaxAge)
	case opts.MemoryLimit < 0:
		return nil, fmt.Errorf("buffer: MemoryLimit %d is negative", opts.MemoryLimit)
	}
	b := &CDC{
		maxEntries: cmp.Or(opts.MaxEntries, DefaultMaxEntries),
		maxBytes:   cmp.Or(opts.MaxBytes, DefaultMaxBytes),
		maxAge:     cmp.Or(opts.MaxAge, DefaultMaxAge),
		clock:      opts.Clock,
		bp:         opts.Backpressure,
		producers:  make(map[string]*producerState),
	}
	b.limit = cmp.Or(opts.MemoryLimit, DefaultMemoryLimitFactor*b.maxBytes)
	b.limitAuto = opts.MemoryLimit == 0
	if b.limit < b.maxBytes {
		return nil, fmt.Errorf("buffer: MemoryLimit %d is below MaxBytes %d", b.limit, b.maxBytes)
	}
	if b.clock == nil {
		b.clock = realClock{}
	}
	return b, nil
}

// Add buffers a copy of *e. It returns a *DuplicateError when e's LSN is
// not above its producer's last accepted LSN, a *MemoryLimitError when
// buffering e would exceed MemoryLimit, and an *EntryError for an invalid
// operation or a negative LSN; in those cases nothing is buffered.
func (b *CDC) Add(e *cdc.Entry) error {
	if e == nil {
		return &EntryError{Reason: "nil entry"}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	err := b.add(e)
	if err == ErrDuplicate {
		// add leaves the entry's producer in b.last.
		return &DuplicateError{Producer: b.last.name, LSN: e.LSN, LastLSN: b.last.last}
	}
	return err
}

// AddResult counts what AddBatch did.
type AddResult struct {
	Accepted   int
	Duplicates int
}

// AddBatch adds es in order under one lock. Duplicates are counted, not
// returned as errors. It stops at the first other error: then
// Accepted+Duplicates is the index of the entry that failed, and the
// entries from there on were not buffered.
func (b *CDC) AddBatch(es []cdc.Entry) (AddResult, error) {
	var r AddResult
	b.mu.Lock()
	defer b.mu.Unlock()
	b.reserve(len(es))
	for i := range es {
		switch err := b.add(&es[i]); {
		case err == nil:
			r.Accepted++
		case err == ErrDuplicate:
			r.Duplicates++
		default:
			return r, err
		}
	}
	return r, nil
}

// reserve makes room for n more entries. The storage grows by doubling,
// not by append's steps of a quarter for large slices: a buffer fills up
// to a flush's worth of entries (hundreds of thousands in a service), so
// every step copies many megabytes of entries, with write barriers while
// the garbage collector runs; doubling copies each entry about once. It
// grows no further than a quarter past MaxEntries while the entries fit:
// the buffer fills a little past MaxEntries before the flush it triggers
// drains it (a batch goes in whole, and more arrive meanwhile), and
// doubling there would allocate twice a flush's worth.
func (b *CDC) reserve(n int) {
	need := len(b.entries) + n
	if need <= cap(b.entries) {
		return
	}
	c := max(2*cap(b.entries), need, 256)
	if limit := b.maxEntries + b.maxEntries/4; need <= limit {
		c = min(c, limit)
	}
	grown := make([]cdc.Entry, len(b.entries), c)
	copy(grown, b.entries)
	b.entries = grown
}

// add buffers *e, or returns why not: ErrDuplicate itself for a
// duplicate, so that AddBatch, which only counts them, allocates nothing.
func (b *CDC) add(e *cdc.Entry) error {
	if !e.Op.Valid() {
		b.stats.Rejected++
		return &EntryError{Producer: e.Producer, LSN: e.LSN, Reason: fmt.Sprintf("invalid operation %v", e.Op)}
	}
	if e.LSN < 0 {
		b.stats.Rejected++
		return &EntryError{Producer: e.Producer, LSN: e.LSN, Reason: "negative LSN"}
	}
	ps := b.last
	if ps == nil || ps.name != e.Producer {
		ps = b.producers[e.Producer]
		if ps == nil {
			ps = &producerState{name: strings.Clone(e.Producer), last: -1}
			b.producers[ps.name] = ps
		}
		b.last = ps
	}
	if e.LSN <= ps.last {
		b.stats.Duplicates++
		return ErrDuplicate
	}
	size := int64(e.Size())
	if b.bytes+size > b.limit {
		b.stats.Rejected++
		return &MemoryLimitError{Producer: ps.name, LSN: e.LSN, EntrySize: size, Buffered: b.bytes, Limit: b.limit}
	}
	if len(b.entries) == 0 {
		b.oldest = b.clock.Now()
	}
	b.entries = append(b.entries, *e)
	b.bytes += size
	ps.last = e.LSN
	ps.high = e.LSN
	if ps.epoch != b.epoch+1 {
		ps.epoch = b.epoch + 1
		b.touched = append(b.touched, ps)
	}
	b.stats.Accepted++
	if b.bp != nil {
		b.bp.total.Add(size)
		b.bp.evaluate()
	}
	return nil
}

// Committed raises producer's last accepted LSN to lsn, so that entries
// up to lsn are refused as duplicates. A writer calls it at start-up with
// the versions its table has committed. A lower lsn changes nothing.
func (b *CDC) Committed(producer string, lsn int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	ps := b.producers[producer]
	if ps == nil {
		ps = &producerState{name: strings.Clone(producer), last: -1}
		b.producers[ps.name] = ps
	}
	ps.last = max(ps.last, lsn)
}

// LastLSN returns producer's last accepted LSN, and false if the buffer
// has seen no entry of it.
func (b *CDC) LastLSN(producer string) (int64, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	ps := b.producers[producer]
	if ps == nil || ps.last < 0 {
		return 0, false
	}
	return ps.last, true
}

// SetMaxBytes changes the byte trigger (Options.MaxBytes) of a buffer in
// use; a flush loop that learns how many entry bytes make a good batch
// adjusts it between flushes. A MemoryLimit left to its default follows
// (DefaultMemoryLimitFactor × n); an explicit MemoryLimit stays, and n
// above it is an error, as is n ≤ 0. Entries buffered stay buffered.
func (b *CDC) SetMaxBytes(n int64) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch {
	case n <= 0:
		return fmt.Errorf("buffer: SetMaxBytes: %d is not positive", n)
	case b.limitAuto:
		b.limit = DefaultMemoryLimitFactor * n
	case n > b.limit:
		return fmt.Errorf("buffer: SetMaxBytes: %d is above the MemoryLimit %d", n, b.limit)
	}
	b.maxBytes = n
	return nil
}

// MaxBytes returns the byte trigger.
func (b *CDC) MaxBytes() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.maxBytes
}

// ShouldFlush reports whether a flush is due: whether Triggers is not
// empty.
func (b *CDC) ShouldFlush() bool { return b.Triggers() != 0 }

// Triggers returns the flush conditions that hold now.
func (b *CDC) Triggers() Trigger {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.triggers()
}

func (b *CDC) triggers() Trigger {
	var t Trigger
	if len(b.entries) == 0 {
		return 0
	}
	if len(b.entries) >= b.maxEntries {
		t |= TriggerEntries
	}
	if b.bytes >= b.maxBytes {
		t |= TriggerBytes
	}
	if b.clock.Now().Sub(b.oldest) >= b.maxAge {
		t |= TriggerAge
	}
	return t
}

// NextDeadline returns when the age limit fires for the entries buffered
// now, and false when the buffer is empty. A flush loop sets its timer to
// it after each Add or Drain instead of polling.
func (b *CDC) NextDeadline() (time.Time, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.entries) == 0 {
		return time.Time{}, false
	}
	return b.oldest.Add(b.maxAge), true
}

// Len returns the number of entries buffered.
func (b *CDC) Len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.entries)
}

// Bytes returns the bytes buffered.
func (b *CDC) Bytes() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.bytes
}

// Drain empties the buffer and returns its entries. The returned
// Batch.Entries is the buffer's own slice, handed over; dst, if it has
// capacity, becomes the buffer's storage for the next entries (pass the
// Entries of a batch that is done with to recycle it). Drain clears
// dst[:len(dst)], so that the buffer holds no reference to what they
// held; the elements past len(dst) are taken to be zero, as those of a
// fresh slice, of a cleared one resliced to [:0], or of a batch's Entries
// (the buffer never writes past the entries it holds), and are not
// cleared again: a buffer of a flush's worth of entries is tens of
// megabytes. With Backpressure, the batch's bytes count as uploading
// until Release or Requeue.
func (b *CDC) Drain(dst []cdc.Entry) Batch {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.entries) == 0 {
		return Batch{}
	}
	batch := Batch{
		Entries:    b.entries,
		HighestLSN: make(map[string]int64, len(b.touched)),
		Bytes:      b.bytes,
		Oldest:     b.oldest,
		Trigger:    b.triggers(),
	}
	for _, ps := range b.touched {
		batch.HighestLSN[ps.name] = ps.high
	}
	if b.bp != nil {
		// The buffer counted every byte it holds as buffered, so this
		// fails only if the caller released them from the Backpressure
		// behind its back; the batch then simply is not tracked.
		if u, err := b.bp.BeginUpload(b.bytes); err == nil {
			batch.upload = u
		}
	}
	b.stats.Drains++
	b.stats.DrainedEntries += int64(len(b.entries))
	clear(dst)
	b.entries = dst[:0]
	b.bytes = 0
	b.oldest = time.Time{}
	b.touched = b.touched[:0]
	b.epoch++
	return batch
}

// Requeue puts a drained batch whose upload failed back in front of the
// buffered entries, so that nothing accepted is lost. Its entries keep
// their LSNs, the age limit counts from the batch's Oldest, and with
// Backpressure its bytes count as buffered again. The memory limit is not
// applied: the bytes were already held. A batch must be requeued at most
// once and not after Release; later calls do nothing.
func (b *CDC) Requeue(batch *Batch) {
	if batch == nil || len(batch.Entries) == 0 {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if u := batch.upload; u != nil {
		if !u.ended.CompareAndSwap(false, true) {
			return
		}
		u.b.inFlight.Add(-u.n)
		u.b.evaluate()
	}
	merged := make([]cdc.Entry, 0, len(batch.Entries)+len(b.entries))
	merged = append(append(merged, batch.Entries...), b.entries...)
	b.entries = merged
	b.bytes += batch.Bytes
	if b.oldest.IsZero() || batch.Oldest.Before(b.oldest) {
		b.oldest = batch.Oldest
	}
	for name, high := range batch.HighestLSN {
		ps := b.producers[name]
		if ps == nil {
			continue
		}
		if ps.epoch != b.epoch+1 {
			ps.epoch = b.epoch + 1
			ps.high = high
			b.touched = append(b.touched, ps)
		} else {
			ps.high = max(ps.high, high)
		}
	}
	b.stats.Requeued++
	batch.Entries = nil
}

// Stats returns a snapshot of the counters.
func (b *CDC) Stats() Stats {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.stats
	s.Entries = len(b.entries)
	s.Bytes = b.bytes
	s.Producers = len(b.producers)
	return s
}
