package wal

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
)

type rec struct {
	Pos     int64
	Payload string
}

func replayAll(t *testing.T, l *Log) ([]rec, ReplayInfo) {
	t.Helper()
	var got []rec
	info, err := l.Replay(func(pos int64, p []byte) error {
		got = append(got, rec{pos, string(p)})
		return nil
	})
	if err != nil {
		t.Fatalf("Replay: %v", err)
	}
	return got, info
}

func mustOpen(t *testing.T, dir string, opts Options) *Log {
	t.Helper()
	l, err := Open(dir, opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return l
}

// appendSync appends payloads one by one, syncing each, and returns the
// records as Replay should report them.
func appendSync(t *testing.T, l *Log, payloads ...string) []rec {
	t.Helper()
	var out []rec
	for _, p := range payloads {
		end, err := l.Append([]byte(p))
		if err != nil {
			t.Fatalf("Append: %v", err)
		}
		if err := l.Sync(context.Background(), end); err != nil {
			t.Fatalf("Sync: %v", err)
		}
		out = append(out, rec{end - int64(recordHeaderBytes+len(p)), p})
	}
	return out
}

func segFiles(t *testing.T, dir string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "*.wal"))
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(m)
	for i := range m {
		m[i] = filepath.Base(m[i])
	}
	return m
}

func TestAppendReplayAcrossSegmentsAndRestarts(t *testing.T) {
	dir := t.TempDir()
	l := mustOpen(t, dir, Options{SegmentBytes: 64})
	var want []rec
	for i := range 20 {
		want = append(want, appendSync(t, l, fmt.Sprintf("record %02d %s", i, bytes.Repeat([]byte{'x'}, i)))...)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if n := len(segFiles(t, dir)); n < 5 {
		t.Fatalf("%d segments for 20 records over 64-byte segments, want several", n)
	}
	l = mustOpen(t, dir, Options{SegmentBytes: 64})
	got, info := replayAll(t, l)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("replay (-want +got):\n%s", diff)
	}
	if info.Torn != nil || info.Records != 20 {
		t.Fatalf("info = %+v", info)
	}
	// Positions keep growing after a restart.
	want = append(want, appendSync(t, l, "after restart")...)
	if want[len(want)-1].Pos != want[len(want)-2].Pos+int64(recordHeaderBytes+len(want[len(want)-2].Payload)) {
		t.Fatalf("position after restart %d does not follow %+v", want[len(want)-1].Pos, want[len(want)-2])
	}
	l.Close()
	l = mustOpen(t, dir, Options{SegmentBytes: 64})
	defer l.Close()
	got, _ = replayAll(t, l)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("replay (-want +got):\n%s", diff)
	}
}

func TestGroupCommitCountsFsyncs(t *testing.T) {
	const writers = 32
	dir := t.TempDir()
	var syncs atomic.Int64
	entered := make(chan struct{})
	release := make(chan struct{})
	opts := Options{syncFile: func(f *os.File) error {
		// The first record fsync blocks until every writer has appended,
		// so the second one must cover all the others.
		if syncs.Add(1) == 2 { // 1 was the first segment's creation
			close(entered)
			<-release
		}
		return f.Sync()
	}}
	l := mustOpen(t, dir, opts)
	defer l.Close()
	base := syncs.Load()

	var wg sync.WaitGroup
	errs := make(chan error, writers)
	first := make(chan struct{})
	for i := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if i > 0 {
				<-entered
			}
			end, err := l.Append(fmt.Appendf(nil, "writer %d", i))
			if err != nil {
				errs <- err
				return
			}
			if i == 0 {
				close(first)
			}
			errs <- l.Sync(context.Background(), end)
		}()
	}
	<-first
	<-entered
	for l.Stats().Appends < writers {
		// Wait (without sleeping) for the other writers' appends; each
		// is a lock and a copy, and the fsync they wait behind is held.
		runtime.Gosched()
	}
	close(release)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	st := l.Stats()
	if got := syncs.Load() - base; got != 2 || st.Syncs != 2 {
		t.Fatalf("%d writers took %d record fsyncs (stats %d), want 2", writers, got, st.Syncs)
	}
	if st.Appends != writers || st.Durable != st.End {
		t.Fatalf("stats %+v", st)
	}
	got, _ := replayAll(t, l)
	if len(got) != writers {
		t.Fatalf("replayed %d records, want %d", len(got), writers)
	}
}

func TestGroupCommitUnderLoad(t *testing.T) {
	// Many concurrent writers, no hook: every record comes back, and
	// there are fewer fsyncs than records whenever writers overlapped.
	dir := t.TempDir()
	l := mustOpen(t, dir, Options{SegmentBytes: 4096})
	const writers, each = 16, 50
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				end, err := l.Append([]byte("part "), fmt.Appendf(nil, "%d/%d", w, i))
				if err == nil {
					err = l.Sync(context.Background(), end)
				}
				if err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	st := l.Stats()
	t.Logf("%d records, %d fsyncs, %d segments", st.Appends, st.Syncs, st.Segments)
	if st.Syncs > st.Appends {
		t.Fatalf("%d fsyncs for %d records", st.Syncs, st.Appends)
	}
	l.Close()
	l = mustOpen(t, dir, Options{SegmentBytes: 4096})
	defer l.Close()
	got, _ := replayAll(t, l)
	seen := map[string]bool{}
	for _, r := range got {
		seen[r.Payload] = true
	}
	for p := range seen {
		if !strings.HasPrefix(p, "part ") {
			t.Fatalf("record %q lost its first part", p)
		}
	}
	if len(seen) != writers*each || len(got) != writers*each {
		t.Fatalf("replayed %d records (%d distinct), want %d", len(got), len(seen), writers*each)
	}
}

func TestTornTail(t *testing.T) {
	payloads := []string{"one", "two", "three", "four"}
	recBytes := func(i int) int { return recordHeaderBytes + len(payloads[i]) }
	full := 0
	for i := range payloads {
		full += recBytes(i)
	}
	lastStart := full - recBytes(3)
	tests := []struct {
		name   string
		damage func(b []byte) []byte // the last segment's bytes after its header
		keep   int                   // records that survive
		torn   bool
	}{
		{"intact", func(b []byte) []byte { return b }, 4, false},
		{"cut in the last payload", func(b []byte) []byte { return b[:len(b)-2] }, 3, true},
		{"cut in the last header", func(b []byte) []byte { return b[:lastStart+5] }, 3, true},
		{"flipped payload byte", func(b []byte) []byte { b[len(b)-1] ^= 1; return b }, 3, true},
		{"flipped length byte", func(b []byte) []byte { b[lastStart] ^= 0x10; return b }, 3, true},
		{"flipped checksum", func(b []byte) []byte { b[lastStart+4] ^= 1; return b }, 3, true},
		{"zeros after", func(b []byte) []byte { return append(b, make([]byte, 100)...) }, 4, true},
		{"garbage after", func(b []byte) []byte { return append(b, 0xff, 0xff, 0xff, 0x7f, 1, 2, 3, 4, 5) }, 4, true},
		{"huge length after", func(b []byte) []byte { return append(b, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0) }, 4, true},
		{"damage in the second record", func(b []byte) []byte { b[recBytes(0)+recordHeaderBytes] ^= 1; return b }, 1, true},
		{"everything cut", func(b []byte) []byte { return b[:3] }, 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			l := mustOpen(t, dir, Options{})
			want := appendSync(t, l, payloads...)
			l.Close()
			path := filepath.Join(dir, segmentName(0))
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			body := tc.damage(append([]byte(nil), b[headerBytes:]...))
			if err := os.WriteFile(path, append(b[:headerBytes:headerBytes], body...), 0o644); err != nil {
				t.Fatal(err)
			}

			l = mustOpen(t, dir, Options{})
			got, info := replayAll(t, l)
			if diff := cmp.Diff(want[:tc.keep], got, cmpEmpty); diff != "" {
				t.Fatalf("replay (-want +got):\n%s", diff)
			}
			if (info.Torn != nil) != tc.torn {
				t.Fatalf("torn = %v, want %v", info.Torn, tc.torn)
			}
			kept := 0
			for _, r := range want[:tc.keep] {
				kept += recordHeaderBytes + len(r.Payload)
			}
			if info.TornBytes != int64(len(body)-kept) {
				t.Fatalf("TornBytes = %d, want %d", info.TornBytes, len(body)-kept)
			}
			// The log goes on from the cut: a new record follows the
			// survivors and everything replays after another restart.
			more := appendSync(t, l, "after the cut")
			if more[0].Pos != int64(kept) {
				t.Fatalf("next record at %d, want %d", more[0].Pos, kept)
			}
			l.Close()
			l = mustOpen(t, dir, Options{})
			defer l.Close()
			got, info = replayAll(t, l)
			if diff := cmp.Diff(append(want[:tc.keep:tc.keep], more...), got); diff != "" {
				t.Fatalf("replay after append (-want +got):\n%s", diff)
			}
			if info.Torn != nil {
				t.Fatalf("second open found a torn tail: %v", info.Torn)
			}
		})
	}
}

var cmpEmpty = cmp.Comparer(func(a, b []rec) bool { return len(a) == 0 && len(b) == 0 || cmp.Equal(a, b) })

func TestTornSegmentCreation(t *testing.T) {
	// A process that stopped while creating a segment leaves a file
	// shorter than a header: it is removed and the log goes on.
	dir := t.TempDir()
	l := mustOpen(t, dir, Options{})
	want := appendSync(t, l, "a", "b")
	l.Close()
	next := filepath.Join(dir, segmentName(want[1].Pos+int64(recordHeaderBytes+1)))
	if err := os.WriteFile(next, magic[:5], 0o644); err != nil {
		t.Fatal(err)
	}
	l = mustOpen(t, dir, Options{})
	defer l.Close()
	got, _ := replayAll(t, l)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("replay (-want +got):\n%s", diff)
	}
	if _, err := os.Stat(next); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("short segment still there: %v", err)
	}
	appendSync(t, l, "c")
}

func TestCorruptEarlierSegment(t *testing.T) {
	dir := t.TempDir()
	l := mustOpen(t, dir, Options{SegmentBytes: 1})
	appendSync(t, l, "first", "second", "third")
	l.Close()
	segs := segFiles(t, dir)
	if len(segs) < 2 {
		t.Fatalf("segments %v", segs)
	}
	path := filepath.Join(dir, segs[0])
	b, _ := os.ReadFile(path)
	b[len(b)-1] ^= 1
	os.WriteFile(path, b, 0o644)
	l = mustOpen(t, dir, Options{SegmentBytes: 1})
	defer l.Close()
	_, err := l.Replay(func(int64, []byte) error { return nil })
	if !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Replay = %v, want ErrCorrupt", err)
	}
}

func TestTruncate(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	l := mustOpen(t, dir, Options{SegmentBytes: 30})
	recs := appendSync(t, l, "aaaaaaaaaaaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbbbbbbbbbbb", "ccccccccccccccccccccccccc", "ddd")
	if n := len(segFiles(t, dir)); n != 4 {
		t.Fatalf("%d segments, want one per record: %v", n, segFiles(t, dir))
	}
	endOf := func(r rec) int64 { return r.Pos + int64(recordHeaderBytes+len(r.Payload)) }

	// A position inside the second record frees the first segment only.
	n, err := l.Truncate(ctx, recs[1].Pos+3)
	if err != nil || n != 1 {
		t.Fatalf("Truncate = %d, %v; want 1", n, err)
	}
	got, _ := replayAll(t, l)
	if diff := cmp.Diff(recs[1:], got); diff != "" {
		t.Fatalf("after truncate (-want +got):\n%s", diff)
	}
	// Covering everything rotates the active segment away as well.
	n, err = l.Truncate(ctx, endOf(recs[3]))
	if err != nil || n != 3 {
		t.Fatalf("Truncate = %d, %v; want 3", n, err)
	}
	if segs := segFiles(t, dir); len(segs) != 1 || segs[0] != segmentName(endOf(recs[3])) {
		t.Fatalf("segments %v", segs)
	}
	got, _ = replayAll(t, l)
	if len(got) != 0 {
		t.Fatalf("replay after full truncate: %v", got)
	}
	more := appendSync(t, l, "e")
	l.Close()
	l = mustOpen(t, dir, Options{SegmentBytes: 30})
	defer l.Close()
	got, _ = replayAll(t, l)
	if diff := cmp.Diff(more, got); diff != "" {
		t.Fatalf("after restart (-want +got):\n%s", diff)
	}
	if more[0].Pos != endOf(recs[3]) {
		t.Fatalf("position %d after truncation, want %d", more[0].Pos, endOf(recs[3]))
	}
}

func TestSyncErrorIsSticky(t *testing.T) {
	dir := t.TempDir()
	fail := errors.New("disk on fire")
	var broken atomic.Bool
	l := mustOpen(t, dir, Options{syncFile: func(f *os.File) error {
		if broken.Load() {
			return fail
		}
		return f.Sync()
	}})
	appendSync(t, l, "ok")
	broken.Store(true)
	end, err := l.Append([]byte("lost"))
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Sync(context.Background(), end); !errors.Is(err, fail) {
		t.Fatalf("Sync = %v, want %v", err, fail)
	}
	if _, err := l.Append([]byte("more")); !errors.Is(err, fail) {
		t.Fatalf("Append after a failed sync = %v, want %v", err, fail)
	}
	if err := l.Err(); !errors.Is(err, fail) {
		t.Fatalf("Err = %v, want %v", err, fail)
	}
	l.Close()
}

func TestSyncHonoursContext(t *testing.T) {
	dir := t.TempDir()
	entered := make(chan struct{})
	release := make(chan struct{})
	var n atomic.Int64
	l := mustOpen(t, dir, Options{syncFile: func(f *os.File) error {
		if n.Add(1) == 2 {
			close(entered)
			<-release
		}
		return f.Sync()
	}})
	defer l.Close()
	end1, _ := l.Append([]byte("held"))
	done := make(chan error)
	go func() { done <- l.Sync(context.Background(), end1) }()
	<-entered
	end2, _ := l.Append([]byte("waiting"))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := l.Sync(ctx, end2); !errors.Is(err, context.Canceled) {
		t.Fatalf("Sync = %v, want context.Canceled", err)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if err := l.Sync(context.Background(), end2); err != nil {
		t.Fatal(err)
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	l := mustOpen(t, dir, Options{})
	if _, err := Open(dir, Options{}); err == nil {
		t.Fatal("second Open of the same directory succeeded")
	}
	l.Close()
	if _, err := l.Append([]byte("x")); !errors.Is(err, ErrClosed) {
		t.Fatalf("Append after Close = %v", err)
	}
	if _, err := l.Append(nil); err == nil {
		t.Fatal("empty record accepted")
	}
	os.WriteFile(filepath.Join(dir, "12.wal"), nil, 0o644)
	if _, err := Open(dir, Options{}); err == nil {
		t.Fatal("Open accepted a badly named segment")
	}
	os.Remove(filepath.Join(dir, "12.wal"))
	// A bad magic in the last segment (more than a header long) is not
	// a torn creation: it is reported.
	path := filepath.Join(dir, segmentName(0))
	b, _ := os.ReadFile(path)
	b = append(b, make([]byte, 20)...)
	b[0] = 'X'
	os.WriteFile(path, b, 0o644)
	if _, err := Open(dir, Options{}); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Open = %v, want ErrCorrupt", err)
	}
}
