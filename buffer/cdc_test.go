package buffer

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/evodb/writer/cdc"
	"github.com/google/go-cmp/cmp"
)

// fakeClock is a Clock that tests move by hand.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 11, 26, 1, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// entry returns an insert from producer with the given LSN whose Size is
// size bytes, or the bare entry's size when size is not at least 2 above
// it (the smallest padding is "{}").
func entry(producer string, lsn int64, size int) cdc.Entry {
	e := cdc.Entry{Op: cdc.Insert, Table: "t", LSN: lsn, Producer: producer}
	if pad := size - e.Size(); pad >= 2 {
		e.Data = []byte("{" + strings.Repeat(" ", pad-2) + "}")
	}
	return e
}

func newCDC(t *testing.T, opts Options) *CDC {
	t.Helper()
	b, err := New(opts)
	if err != nil {
		t.Fatalf("New(%+v): %v", opts, err)
	}
	return b
}

func TestNewOptions(t *testing.T) {
	for _, tc := range []struct {
		name    string
		opts    Options
		wantErr string // substring; empty for success
	}{
		{"zero means defaults", Options{}, ""},
		{"negative MaxEntries", Options{MaxEntries: -1}, "MaxEntries -1"},
		{"negative MaxBytes", Options{MaxBytes: -1}, "MaxBytes -1"},
		{"negative MaxAge", Options{MaxAge: -time.Second}, "MaxAge -1s"},
		{"negative MemoryLimit", Options{MemoryLimit: -1}, "MemoryLimit -1"},
		{"MemoryLimit below MaxBytes", Options{MaxBytes: 100, MemoryLimit: 99}, "MemoryLimit 99 is below MaxBytes 100"},
		{"MemoryLimit below default MaxBytes", Options{MemoryLimit: 1000}, "MemoryLimit 1000 is below MaxBytes 10000000"},
		{"MemoryLimit equal to MaxBytes", Options{MaxBytes: 100, MemoryLimit: 100}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := New(tc.opts)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("New: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("New error = %v, want one containing %q", err, tc.wantErr)
			}
			if b != nil {
				t.Fatal("New returned a buffer with its error")
			}
		})
	}
}

func TestDefaults(t *testing.T) {
	b := newCDC(t, Options{})
	want := struct {
		MaxEntries int
		MaxBytes   int64
		MaxAge     time.Duration
		Limit      int64
	}{10_000, 10_000_000, 30 * time.Second, 40_000_000}
	got := want
	got.MaxEntries, got.MaxBytes, got.MaxAge, got.Limit = b.maxEntries, b.maxBytes, b.maxAge, b.limit
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("defaults (-want +got):\n%s", diff)
	}
	if _, ok := b.clock.(realClock); !ok {
		t.Fatalf("default clock is %T, want the system clock", b.clock)
	}
}

func TestFlushPolicy(t *testing.T) {
	const size = 100 // bytes per entry
	type step struct {
		add     int           // entries to add, of size bytes each
		advance time.Duration // then move the clock
		want    Trigger       // triggers after the step
	}
	for _, tc := range []struct {
		name  string
		opts  Options
		steps []step
	}{
		{"empty buffer never flushes", Options{MaxEntries: 1, MaxBytes: 1, MaxAge: time.Second}, []step{
			{advance: time.Hour, want: 0},
		}},
		{"entries alone", Options{MaxEntries: 3}, []step{
			{add: 2, want: 0},
			{add: 1, want: TriggerEntries},
			{add: 1, want: TriggerEntries},
		}},
		{"bytes alone", Options{MaxBytes: 3*size - 1}, []step{
			{add: 2, want: 0},
			{add: 1, want: TriggerBytes},
		}},
		{"bytes exactly at the limit", Options{MaxBytes: 2 * size}, []step{
			{add: 1, want: 0},
			{add: 1, want: TriggerBytes},
		}},
		{"age alone", Options{MaxAge: 10 * time.Second}, []step{
			{add: 1, advance: 9 * time.Second, want: 0},
			{advance: time.Second - 1, want: 0},
			{advance: 1, want: TriggerAge},
		}},
		{"age counts from the oldest entry", Options{MaxAge: 10 * time.Second}, []step{
			{add: 1, advance: 6 * time.Second, want: 0},
			{add: 5, advance: 4 * time.Second, want: TriggerAge},
		}},
		{"entries and bytes together", Options{MaxEntries: 4, MaxBytes: 4 * size}, []step{
			{add: 3, want: 0},
			{add: 1, want: TriggerEntries | TriggerBytes},
		}},
		{"all three", Options{MaxEntries: 2, MaxBytes: 3 * size, MaxAge: time.Minute}, []step{
			{add: 2, want: TriggerEntries},
			{add: 1, advance: time.Minute, want: TriggerEntries | TriggerBytes | TriggerAge},
		}},
		{"defaults", Options{}, []step{
			{add: 9_999, advance: 29 * time.Second, want: 0},
			{add: 1, want: TriggerEntries},
			{advance: time.Second, want: TriggerEntries | TriggerAge},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clock := newFakeClock()
			tc.opts.Clock = clock
			b := newCDC(t, tc.opts)
			lsn := int64(0)
			for i, s := range tc.steps {
				for range s.add {
					lsn++
					e := entry("p", lsn, size)
					if err := b.Add(&e); err != nil {
						t.Fatalf("step %d: Add: %v", i, err)
					}
				}
				clock.Advance(s.advance)
				if got := b.Triggers(); got != s.want {
					t.Fatalf("step %d: Triggers() = %v, want %v", i, got, s.want)
				}
				if got := b.ShouldFlush(); got != (s.want != 0) {
					t.Fatalf("step %d: ShouldFlush() = %v, want %v", i, got, s.want != 0)
				}
			}
			// Drain resets every trigger.
			batch := b.Drain(nil)
			if int64(len(batch.Entries)) != lsn || batch.Bytes != lsn*size {
				t.Fatalf("Drain: %d entries, %d bytes; want %d, %d", len(batch.Entries), batch.Bytes, lsn, lsn*size)
			}
			if got := b.Triggers(); got != 0 {
				t.Fatalf("Triggers() after Drain = %v, want none", got)
			}
		})
	}
}

func TestNextDeadline(t *testing.T) {
	clock := newFakeClock()
	b := newCDC(t, Options{MaxAge: 5 * time.Second, Clock: clock})
	if _, ok := b.NextDeadline(); ok {
		t.Fatal("NextDeadline on an empty buffer reported a deadline")
	}
	start := clock.Now()
	e1, e2 := entry("p", 1, 64), entry("p", 2, 64)
	if err := b.Add(&e1); err != nil {
		t.Fatal(err)
	}
	clock.Advance(3 * time.Second)
	if err := b.Add(&e2); err != nil {
		t.Fatal(err)
	}
	d, ok := b.NextDeadline()
	if !ok || !d.Equal(start.Add(5*time.Second)) {
		t.Fatalf("NextDeadline() = %v, %v; want %v, true", d, ok, start.Add(5*time.Second))
	}
	clock.Advance(d.Sub(clock.Now()))
	if got := b.Triggers(); got != TriggerAge {
		t.Fatalf("Triggers() at the deadline = %v, want age", got)
	}
	batch := b.Drain(nil)
	if !batch.Oldest.Equal(start) || batch.Trigger != TriggerAge {
		t.Fatalf("batch Oldest, Trigger = %v, %v; want %v, age", batch.Oldest, batch.Trigger, start)
	}
	if _, ok := b.NextDeadline(); ok {
		t.Fatal("NextDeadline after Drain reported a deadline")
	}
}

// TestAgeWithSystemClock checks the default clock end to end: a timer set
// to NextDeadline fires when the age trigger holds.
func TestAgeWithSystemClock(t *testing.T) {
	b := newCDC(t, Options{MaxAge: time.Millisecond})
	e := entry("p", 1, 64)
	if err := b.Add(&e); err != nil {
		t.Fatal(err)
	}
	d, ok := b.NextDeadline()
	if !ok {
		t.Fatal("no deadline after Add")
	}
	<-time.After(time.Until(d))
	if got := b.Triggers(); got != TriggerAge {
		t.Fatalf("Triggers() after the deadline = %v, want age", got)
	}
}

func TestDuplicatesAndOrder(t *testing.T) {
	type add struct {
		producer string
		lsn      int64
		dupOf    int64 // the last accepted LSN it duplicates; -1 if accepted
	}
	b := newCDC(t, Options{})
	b.Committed("restored", 50)
	b.Committed("restored", 10) // lower: no effect
	adds := []add{
		{"a", 1, -1},
		{"a", 1, 1},  // same LSN
		{"a", 3, -1}, // gaps are fine
		{"a", 2, 3},  // out of order
		{"b", 0, -1}, // first LSN of a producer may be 0
		{"b", 0, 0},
		{"a", 4, -1},
		{"restored", 50, 50},
		{"restored", 51, -1},
		{"b", 7, -1},
	}
	var wantEntries []cdc.Entry
	for _, a := range adds {
		e := entry(a.producer, a.lsn, 64)
		err := b.Add(&e)
		if a.dupOf < 0 {
			if err != nil {
				t.Fatalf("Add(%s, %d) = %v, want accepted", a.producer, a.lsn, err)
			}
			wantEntries = append(wantEntries, e)
			continue
		}
		var dup *DuplicateError
		if !errors.As(err, &dup) || !errors.Is(err, ErrDuplicate) {
			t.Fatalf("Add(%s, %d) = %v, want a *DuplicateError", a.producer, a.lsn, err)
		}
		if diff := cmp.Diff(&DuplicateError{Producer: a.producer, LSN: a.lsn, LastLSN: a.dupOf}, dup); diff != "" {
			t.Fatalf("Add(%s, %d) duplicate (-want +got):\n%s", a.producer, a.lsn, diff)
		}
	}
	batch := b.Drain(nil)
	if diff := cmp.Diff(wantEntries, batch.Entries); diff != "" {
		t.Fatalf("drained entries (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]int64{"a": 4, "b": 7, "restored": 51}, batch.HighestLSN); diff != "" {
		t.Fatalf("HighestLSN (-want +got):\n%s", diff)
	}
	// LSNs stay known across drains.
	e := entry("a", 4, 64)
	if err := b.Add(&e); !errors.Is(err, ErrDuplicate) {
		t.Fatalf("Add of an LSN drained before = %v, want ErrDuplicate", err)
	}
	e = entry("a", 5, 64)
	if err := b.Add(&e); err != nil {
		t.Fatalf("Add(a, 5): %v", err)
	}
	if diff := cmp.Diff(map[string]int64{"a": 5}, b.Drain(nil).HighestLSN); diff != "" {
		t.Fatalf("HighestLSN of the second batch (-want +got):\n%s", diff)
	}
	if lsn, ok := b.LastLSN("b"); !ok || lsn != 7 {
		t.Fatalf("LastLSN(b) = %d, %v; want 7, true", lsn, ok)
	}
	if _, ok := b.LastLSN("unknown"); ok {
		t.Fatal("LastLSN of an unknown producer reported one")
	}
	st := b.Stats()
	want := Stats{Producers: 3, Accepted: 7, Duplicates: 5, Drains: 2, DrainedEntries: 7}
	if diff := cmp.Diff(want, st); diff != "" {
		t.Fatalf("Stats (-want +got):\n%s", diff)
	}
}

func TestAddBatch(t *testing.T) {
	b := newCDC(t, Options{MaxBytes: 300, MemoryLimit: 300})
	es := []cdc.Entry{entry("a", 1, 100), entry("a", 1, 100), entry("b", 1, 100), entry("a", 2, 100), entry("a", 3, 100)}
	res, err := b.AddBatch(es)
	var mem *MemoryLimitError
	if !errors.As(err, &mem) {
		t.Fatalf("AddBatch error = %v, want a *MemoryLimitError", err)
	}
	if diff := cmp.Diff(AddResult{Accepted: 3, Duplicates: 1}, res); diff != "" {
		t.Fatalf("AddBatch result (-want +got):\n%s", diff)
	}
	b.Drain(nil)
	// The caller resumes with the entry that failed.
	res, err = b.AddBatch(es[res.Accepted+res.Duplicates:])
	if err != nil || res != (AddResult{Accepted: 1}) {
		t.Fatalf("AddBatch of the rest = %+v, %v; want 1 accepted", res, err)
	}
}

func TestInvalidEntries(t *testing.T) {
	b := newCDC(t, Options{})
	for _, tc := range []struct {
		name string
		e    cdc.Entry
		want string
	}{
		{"zero op", cdc.Entry{Producer: "p", LSN: 1}, `entry LSN 1 from producer "p": invalid operation Op(0)`},
		{"unknown op", cdc.Entry{Op: 9, Producer: "p", LSN: 1}, `invalid operation Op(9)`},
		{"negative LSN", cdc.Entry{Op: cdc.Delete, Producer: "p", LSN: -3}, `entry LSN -3 from producer "p": negative LSN`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := b.Add(&tc.e)
			if !errors.Is(err, ErrInvalidEntry) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Add = %v, want ErrInvalidEntry saying %q", err, tc.want)
			}
		})
	}
	if st := b.Stats(); st.Entries != 0 || st.Rejected != 3 {
		t.Fatalf("after invalid entries: %d buffered, %d rejected; want 0, 3", st.Entries, st.Rejected)
	}
}

func TestMemoryLimit(t *testing.T) {
	b := newCDC(t, Options{MaxBytes: 100, MemoryLimit: 250})
	for lsn := int64(1); lsn <= 2; lsn++ {
		e := entry("p", lsn, 100)
		if err := b.Add(&e); err != nil {
			t.Fatalf("Add(%d): %v", lsn, err)
		}
	}
	e := entry("p", 3, 100)
	err := b.Add(&e)
	var mem *MemoryLimitError
	if !errors.As(err, &mem) || !errors.Is(err, ErrMemoryLimit) {
		t.Fatalf("Add past the memory limit = %v, want a *MemoryLimitError", err)
	}
	if diff := cmp.Diff(&MemoryLimitError{Producer: "p", LSN: 3, EntrySize: 100, Buffered: 200, Limit: 250}, mem); diff != "" {
		t.Fatalf("MemoryLimitError (-want +got):\n%s", diff)
	}
	if b.Len() != 2 || b.Bytes() != 200 {
		t.Fatalf("after the refused Add: %d entries, %d bytes; want 2, 200", b.Len(), b.Bytes())
	}
	// The refused LSN was not accepted: after a drain it goes in.
	b.Drain(nil)
	if err := b.Add(&e); err != nil {
		t.Fatalf("Add after Drain: %v", err)
	}
	// An entry larger than the whole limit can never go in.
	big := entry("p", 4, 251)
	err = b.Add(&big)
	if !errors.Is(err, ErrMemoryLimit) || !strings.Contains(err.Error(), "needs 251 bytes, more than the memory limit of 250") {
		t.Fatalf("Add of an entry larger than the limit = %v", err)
	}
	if st := b.Stats(); st.Rejected != 2 || st.Entries != 1 {
		t.Fatalf("Stats: %d rejected, %d buffered; want 2, 1", st.Rejected, st.Entries)
	}
}

func TestDrainRecyclesStorage(t *testing.T) {
	b := newCDC(t, Options{})
	if got := b.Drain(nil); got.Entries != nil || got.HighestLSN != nil {
		t.Fatalf("Drain of an empty buffer = %+v, want an empty Batch", got)
	}
	old := make([]cdc.Entry, 3, 16)
	old[0] = entry("stale", 1, 64)
	e := entry("p", 1, 64)
	if err := b.Add(&e); err != nil {
		t.Fatal(err)
	}
	first := b.Drain(old)
	e = entry("p", 2, 64)
	if err := b.Add(&e); err != nil {
		t.Fatal(err)
	}
	second := b.Drain(nil)
	if &second.Entries[0] != &old[:1][0] {
		t.Fatal("the slice passed to Drain was not reused for the next entries")
	}
	if old[1].Producer != "" || old[2].Producer != "" {
		t.Fatal("recycled storage still holds stale entries")
	}
	if first.Entries[0].LSN != 1 || second.Entries[0].LSN != 2 || len(second.Entries) != 1 {
		t.Fatalf("batches hold LSNs %d and %v", first.Entries[0].LSN, second.Entries)
	}
}

func TestRequeue(t *testing.T) {
	clock := newFakeClock()
	b := newCDC(t, Options{MaxAge: 10 * time.Second, Clock: clock})
	add := func(producer string, lsn int64) cdc.Entry {
		t.Helper()
		e := entry(producer, lsn, 64)
		if err := b.Add(&e); err != nil {
			t.Fatalf("Add(%s, %d): %v", producer, lsn, err)
		}
		return e
	}
	start := clock.Now()
	a1, a2 := add("a", 1), add("a", 2)
	failed := b.Drain(nil)
	clock.Advance(8 * time.Second)
	a3, c1 := add("a", 3), add("c", 1)
	b.Requeue(&failed)
	b.Requeue(&failed) // a second call does nothing
	if got := b.Triggers(); got != 0 {
		t.Fatalf("Triggers() = %v, want none yet", got)
	}
	clock.Advance(2 * time.Second)
	if got := b.Triggers(); got != TriggerAge {
		t.Fatalf("Triggers() = %v, want age counted from the requeued batch", got)
	}
	batch := b.Drain(nil)
	if diff := cmp.Diff([]cdc.Entry{a1, a2, a3, c1}, batch.Entries); diff != "" {
		t.Fatalf("entries after Requeue (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]int64{"a": 3, "c": 1}, batch.HighestLSN); diff != "" {
		t.Fatalf("HighestLSN after Requeue (-want +got):\n%s", diff)
	}
	if batch.Bytes != 4*64 || !batch.Oldest.Equal(start) {
		t.Fatalf("batch Bytes, Oldest = %d, %v; want 256, %v", batch.Bytes, batch.Oldest, start)
	}
	if st := b.Stats(); st.Requeued != 1 {
		t.Fatalf("Requeued = %d, want 1", st.Requeued)
	}
}

// TestCDCConcurrent adds from many goroutines while another drains: every
// accepted entry comes out once, in its producer's order, and each batch's
// HighestLSN matches its entries.
func TestCDCConcurrent(t *testing.T) {
	producers, per := 8, 5_000
	if testing.Short() {
		per = 500
	}
	b := newCDC(t, Options{MaxEntries: 64})
	var wg sync.WaitGroup
	for p := range producers {
		wg.Go(func() {
			name := fmt.Sprint("p", p)
			for lsn := int64(1); lsn <= int64(per); lsn++ {
				e := entry(name, lsn, 64)
				if lsn%3 == 0 {
					d := entry(name, lsn-1, 64)
					if err := b.Add(&d); !errors.Is(err, ErrDuplicate) {
						t.Errorf("re-adding %s %d = %v, want ErrDuplicate", name, lsn-1, err)
					}
				}
				for {
					err := b.Add(&e)
					if err == nil {
						break
					}
					if !errors.Is(err, ErrMemoryLimit) {
						t.Errorf("Add(%s, %d): %v", name, lsn, err)
						return
					}
				}
			}
		})
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	next := map[string]int64{}
	check := func(batch Batch) {
		high := map[string]int64{}
		for _, e := range batch.Entries {
			if e.LSN != next[e.Producer]+1 {
				t.Fatalf("%s: LSN %d after %d", e.Producer, e.LSN, next[e.Producer])
			}
			next[e.Producer] = e.LSN
			high[e.Producer] = e.LSN
		}
		if len(batch.Entries) > 0 {
			if diff := cmp.Diff(high, batch.HighestLSN); diff != "" {
				t.Fatalf("HighestLSN (-entries +batch):\n%s", diff)
			}
		}
	}
	for running := true; running; {
		select {
		case <-done:
			running = false
		default:
		}
		check(b.Drain(nil))
	}
	check(b.Drain(nil))
	for p := range producers {
		if got := next[fmt.Sprint("p", p)]; got != int64(per) {
			t.Errorf("p%d: last LSN drained %d, want %d", p, got, per)
		}
	}
}

func TestTriggerString(t *testing.T) {
	for _, tc := range []struct {
		t    Trigger
		want string
	}{
		{0, "none"},
		{TriggerEntries, "entries"},
		{TriggerBytes | TriggerAge, "bytes|age"},
		{TriggerEntries | TriggerBytes | TriggerAge, "entries|bytes|age"},
		{TriggerAge | 0x40, "age|Trigger(0x40)"},
	} {
		if got := tc.t.String(); got != tc.want {
			t.Errorf("Trigger(%d).String() = %q, want %q", uint8(tc.t), got, tc.want)
		}
	}
}

func TestCDCNilArguments(t *testing.T) {
	b, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	var ee *EntryError
	if err := b.Add(nil); !errors.As(err, &ee) {
		t.Errorf("Add(nil) = %v, want an *EntryError", err)
	}
	b.Requeue(nil) // must not panic
	if st := b.Stats(); st.Entries != 0 {
		t.Errorf("nil arguments changed the buffer: %+v", st)
	}
}

func TestSetMaxBytes(t *testing.T) {
	for _, tc := range []struct {
		name      string
		opts      Options
		set       int64
		wantErr   string
		wantMax   int64
		wantLimit int64
	}{
		{name: "default limit follows", opts: Options{MaxBytes: 1000}, set: 5000, wantMax: 5000, wantLimit: DefaultMemoryLimitFactor * 5000},
		{name: "lower", opts: Options{MaxBytes: 1000}, set: 200, wantMax: 200, wantLimit: DefaultMemoryLimitFactor * 200},
		{name: "explicit limit stays", opts: Options{MaxBytes: 1000, MemoryLimit: 8000}, set: 6000, wantMax: 6000, wantLimit: 8000},
		{name: "above explicit limit", opts: Options{MaxBytes: 1000, MemoryLimit: 8000}, set: 9000, wantErr: "above the MemoryLimit 8000", wantMax: 1000, wantLimit: 8000},
		{name: "zero", opts: Options{MaxBytes: 1000}, set: 0, wantErr: "not positive", wantMax: 1000, wantLimit: DefaultMemoryLimitFactor * 1000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := New(tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			err = b.SetMaxBytes(tc.set)
			if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("SetMaxBytes(%d) = %v, want error %q", tc.set, err, tc.wantErr)
			}
			if b.MaxBytes() != tc.wantMax || b.limit != tc.wantLimit {
				t.Errorf("MaxBytes %d, limit %d; want %d, %d", b.MaxBytes(), b.limit, tc.wantMax, tc.wantLimit)
			}
		})
	}
	// The byte trigger moves with it.
	b, err := New(Options{MaxBytes: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	e := entry("p", 1, 500)
	if err := b.Add(&e); err != nil {
		t.Fatal(err)
	}
	if b.Triggers()&TriggerBytes != 0 {
		t.Fatal("byte trigger before SetMaxBytes")
	}
	if err := b.SetMaxBytes(b.Bytes()); err != nil {
		t.Fatal(err)
	}
	if b.Triggers()&TriggerBytes == 0 {
		t.Error("no byte trigger once MaxBytes is the bytes buffered")
	}
}

// TestAddBatchGrowth adds batches up to and past MaxEntries: the storage
// grows by doubling, stops a quarter past MaxEntries while the entries
// fit, grows on past it when they do not, and keeps every entry in order.
func TestAddBatchGrowth(t *testing.T) {
	const maxEntries = 5000
	b := newCDC(t, Options{MaxEntries: maxEntries, MaxBytes: 1 << 40})
	var caps []int
	lsn := int64(0)
	for range 7 {
		es := make([]cdc.Entry, 1000)
		for i := range es {
			lsn++
			es[i] = entry("p", lsn, 0)
		}
		if res, err := b.AddBatch(es); err != nil || res.Accepted != len(es) {
			t.Fatalf("AddBatch = %+v, %v", res, err)
		}
		b.mu.Lock()
		caps = append(caps, cap(b.entries))
		b.mu.Unlock()
	}
	want := []int{1000, 2000, 4000, 4000, 6250, 6250, 12500}
	if diff := cmp.Diff(want, caps); diff != "" {
		t.Fatalf("capacity after each batch (-want +got):\n%s", diff)
	}
	batch := b.Drain(nil)
	if len(batch.Entries) != int(lsn) {
		t.Fatalf("drained %d entries, want %d", len(batch.Entries), lsn)
	}
	for i, e := range batch.Entries {
		if e.LSN != int64(i+1) {
			t.Fatalf("entry %d has LSN %d", i, e.LSN)
		}
	}
}
