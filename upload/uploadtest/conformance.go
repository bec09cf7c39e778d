package uploadtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"testing"

	"github.com/evodb/writer/upload"
	"github.com/google/go-cmp/cmp"
)

// Factory returns a new, empty store for one test.
type Factory func(t *testing.T) upload.Store

// SuiteOptions tune RunConformance.
type SuiteOptions struct {
	// Racers and Rounds size the put-if-absent race (0: skip it).
	Racers, Rounds int
}

// RunConformance checks that the stores newStore makes behave as the
// upload.Store contract says.
func RunConformance(t *testing.T, newStore Factory, opts SuiteOptions) {
	t.Run("PutGet", func(t *testing.T) { testPutGet(t, newStore(t)) })
	t.Run("GetRange", func(t *testing.T) { testGetRange(t, newStore(t)) })
	t.Run("NotFound", func(t *testing.T) { testNotFound(t, newStore(t)) })
	t.Run("List", func(t *testing.T) { testList(t, newStore(t)) })
	t.Run("Delete", func(t *testing.T) { testDelete(t, newStore(t)) })
	t.Run("IfAbsent", func(t *testing.T) { testIfAbsent(t, newStore(t)) })
	t.Run("IfMatch", func(t *testing.T) { testIfMatch(t, newStore(t)) })
	t.Run("InvalidKeys", func(t *testing.T) { testInvalidKeys(t, newStore(t)) })
	t.Run("Stream", func(t *testing.T) { testStream(t, newStore(t)) })
	if opts.Racers > 0 && opts.Rounds > 0 {
		t.Run("IfAbsentRace", func(t *testing.T) { testRace(t, newStore(t), opts.Racers, opts.Rounds) })
	}
}

// Pattern returns n deterministic pseudo-random bytes for seed.
func Pattern(seed uint64, n int) []byte {
	b := make([]byte, n)
	x := seed*0x9E3779B97F4A7C15 + 1
	for i := range b {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		b[i] = byte(x)
	}
	return b
}

func mustPut(t *testing.T, s upload.Store, key string, data []byte, opts upload.PutOptions) upload.ObjectInfo {
	t.Helper()
	info, err := s.Put(context.Background(), key, data, opts)
	if err != nil {
		t.Fatalf("Put(%q, %d bytes, %+v): %v", key, len(data), opts, err)
	}
	return info
}

func mustGet(t *testing.T, s upload.Store, key string) []byte {
	t.Helper()
	data, info, err := s.Get(context.Background(), key)
	if err != nil {
		t.Fatalf("Get(%q): %v", key, err)
	}
	if info.Size != int64(len(data)) || info.Key != key {
		t.Errorf("Get(%q) info = %+v for %d bytes", key, info, len(data))
	}
	return data
}

func testPutGet(t *testing.T, s upload.Store) {
	ctx := context.Background()
	tests := []struct {
		key  string
		data []byte
	}{
		{"empty", []byte{}},
		{"one", []byte{7}},
		{"dir/sub/text.json", []byte(`{"a":1}` + "\n")},
		{"binary", Pattern(1, 100_000)},
		{"name with spaces and ünïcode", []byte("x")},
	}
	for _, tc := range tests {
		info := mustPut(t, s, tc.key, tc.data, upload.PutOptions{})
		if info.Key != tc.key || info.Size != int64(len(tc.data)) || info.ETag == "" {
			t.Errorf("Put(%q) info = %+v", tc.key, info)
		}
		if got := mustGet(t, s, tc.key); !bytes.Equal(got, tc.data) {
			t.Errorf("Get(%q) = %d bytes, want the %d put", tc.key, len(got), len(tc.data))
		}
		head, err := s.Head(ctx, tc.key)
		if err != nil {
			t.Fatalf("Head(%q): %v", tc.key, err)
		}
		if head.Size != int64(len(tc.data)) || head.ETag != info.ETag || head.Key != tc.key {
			t.Errorf("Head(%q) = %+v, Put said %+v", tc.key, head, info)
		}
	}
	// Overwrite: the new bytes win and the ETag changes, even for the same bytes.
	first := mustPut(t, s, "over", []byte("v1"), upload.PutOptions{})
	second := mustPut(t, s, "over", []byte("version 2"), upload.PutOptions{})
	if got := mustGet(t, s, "over"); string(got) != "version 2" {
		t.Errorf("after overwrite Get = %q", got)
	}
	if first.ETag == second.ETag {
		t.Errorf("overwrite kept ETag %s", first.ETag)
	}
}

func testGetRange(t *testing.T, s upload.Store) {
	ctx := context.Background()
	data := Pattern(2, 1000)
	mustPut(t, s, "r", data, upload.PutOptions{})
	mustPut(t, s, "zero", nil, upload.PutOptions{})
	tests := []struct {
		key    string
		off, n int64
		want   []byte
	}{
		{"r", 0, 1000, data},
		{"r", 0, 1, data[:1]},
		{"r", 10, 20, data[10:30]},
		{"r", 999, 1, data[999:]},
		{"r", 990, 100, data[990:]},
		{"r", 1000, 10, []byte{}},
		{"r", 5000, 10, []byte{}},
		{"r", 10, 0, []byte{}},
		{"zero", 0, 10, []byte{}},
		// Lengths whose end offset overflows int64 read to the end.
		{"r", 4, math.MaxInt64, data[4:]},
		{"r", 0, math.MaxInt64, data},
		{"r", 999, math.MaxInt64 - 998, data[999:]},
		{"r", 1000, math.MaxInt64, []byte{}},
	}
	for _, tc := range tests {
		got, err := s.GetRange(ctx, tc.key, tc.off, tc.n)
		if err != nil {
			t.Errorf("GetRange(%q, %d, %d): %v", tc.key, tc.off, tc.n, err)
			continue
		}
		if !bytes.Equal(got, tc.want) {
			t.Errorf("GetRange(%q, %d, %d) = %d bytes, want %d", tc.key, tc.off, tc.n, len(got), len(tc.want))
		}
	}
	for _, bad := range [][2]int64{{-1, 10}, {0, -1}} {
		if _, err := s.GetRange(ctx, "r", bad[0], bad[1]); err == nil {
			t.Errorf("GetRange(r, %d, %d) accepted a negative argument", bad[0], bad[1])
		}
	}
}

func testNotFound(t *testing.T, s upload.Store) {
	ctx := context.Background()
	mustPut(t, s, "dir/present", []byte("x"), upload.PutOptions{})
	for _, key := range []string{"missing", "dir/missing", "dir", "dir/present/below"} {
		if _, _, err := s.Get(ctx, key); !errors.Is(err, upload.ErrNotFound) {
			t.Errorf("Get(%q) error = %v, want ErrNotFound", key, err)
		}
		if _, err := s.GetRange(ctx, key, 0, 10); !errors.Is(err, upload.ErrNotFound) {
			t.Errorf("GetRange(%q) error = %v, want ErrNotFound", key, err)
		}
		if _, err := s.Head(ctx, key); !errors.Is(err, upload.ErrNotFound) {
			t.Errorf("Head(%q) error = %v, want ErrNotFound", key, err)
		}
		if err := s.Delete(ctx, key); err != nil {
			t.Errorf("Delete(%q) of a missing key: %v", key, err)
		}
	}
	if got := mustGet(t, s, "dir/present"); string(got) != "x" {
		t.Errorf("Deletes of missing keys changed dir/present to %q", got)
	}
}

func keysOf(infos []upload.ObjectInfo) []string {
	keys := []string{}
	for _, i := range infos {
		keys = append(keys, i.Key)
	}
	return keys
}

func testList(t *testing.T, s upload.Store) {
	ctx := context.Background()
	all := []string{"a/1", "a/2", "a/b/3", "ab", "b/1", "_delta_log/00000000000000000000.json", "_delta_log/00000000000000000001.json"}
	for i, k := range all {
		mustPut(t, s, k, Pattern(uint64(i), i+1), upload.PutOptions{})
	}
	tests := []struct {
		prefix string
		want   []string
	}{
		{"", []string{"_delta_log/00000000000000000000.json", "_delta_log/00000000000000000001.json", "a/1", "a/2", "a/b/3", "ab", "b/1"}},
		{"a/", []string{"a/1", "a/2", "a/b/3"}},
		{"a", []string{"a/1", "a/2", "a/b/3", "ab"}},
		{"a/b", []string{"a/b/3"}},
		{"_delta_log/0000", []string{"_delta_log/00000000000000000000.json", "_delta_log/00000000000000000001.json"}},
		{"c", []string{}},
		{"c/d/", []string{}},
	}
	for _, tc := range tests {
		infos, err := s.List(ctx, tc.prefix)
		if err != nil {
			t.Fatalf("List(%q): %v", tc.prefix, err)
		}
		if diff := cmp.Diff(tc.want, keysOf(infos)); diff != "" {
			t.Errorf("List(%q) keys (-want +got):\n%s", tc.prefix, diff)
		}
		for _, info := range infos {
			for i, k := range all {
				if k == info.Key && info.Size != int64(i+1) {
					t.Errorf("List(%q): %s has size %d, want %d", tc.prefix, k, info.Size, i+1)
				}
			}
		}
	}
	if _, err := s.List(ctx, "/abs"); err == nil {
		t.Errorf("List(/abs) accepted an absolute prefix")
	}
}

func testDelete(t *testing.T, s upload.Store) {
	ctx := context.Background()
	mustPut(t, s, "d/1", []byte("one"), upload.PutOptions{})
	mustPut(t, s, "d/2", []byte("two"), upload.PutOptions{})
	if err := s.Delete(ctx, "d/1"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if _, err := s.Head(ctx, "d/1"); !errors.Is(err, upload.ErrNotFound) {
		t.Errorf("Head after Delete: %v, want ErrNotFound", err)
	}
	infos, err := s.List(ctx, "d/")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"d/2"}, keysOf(infos)); diff != "" {
		t.Errorf("List after Delete (-want +got):\n%s", diff)
	}
	// A deleted key can be created again with IfAbsent.
	mustPut(t, s, "d/1", []byte("again"), upload.PutOptions{IfAbsent: true})
	if got := mustGet(t, s, "d/1"); string(got) != "again" {
		t.Errorf("recreated d/1 = %q", got)
	}
}

func testIfAbsent(t *testing.T, s upload.Store) {
	ctx := context.Background()
	mustPut(t, s, "log/0", []byte("first"), upload.PutOptions{IfAbsent: true})
	_, err := s.Put(ctx, "log/0", []byte("second"), upload.PutOptions{IfAbsent: true})
	if !errors.Is(err, upload.ErrPreconditionFailed) {
		t.Fatalf("second IfAbsent put: %v, want ErrPreconditionFailed", err)
	}
	if got := mustGet(t, s, "log/0"); string(got) != "first" {
		t.Errorf("after a failed IfAbsent put Get = %q, want first", got)
	}
	if _, err := s.Put(ctx, "log/1", nil, upload.PutOptions{IfAbsent: true, IfMatch: `"x"`}); err == nil {
		t.Errorf("IfAbsent and IfMatch together were accepted")
	}
}

func testIfMatch(t *testing.T, s upload.Store) {
	ctx := context.Background()
	v1 := mustPut(t, s, "cas", []byte("v1"), upload.PutOptions{})
	v2 := mustPut(t, s, "cas", []byte("v2"), upload.PutOptions{IfMatch: v1.ETag})
	if v2.ETag == "" || v2.ETag == v1.ETag {
		t.Errorf("ETag after compare-and-swap = %q, before %q", v2.ETag, v1.ETag)
	}
	_, err := s.Put(ctx, "cas", []byte("v3"), upload.PutOptions{IfMatch: v1.ETag})
	if !errors.Is(err, upload.ErrPreconditionFailed) {
		t.Errorf("put with a stale ETag: %v, want ErrPreconditionFailed", err)
	}
	if got := mustGet(t, s, "cas"); string(got) != "v2" {
		t.Errorf("after a failed IfMatch put Get = %q, want v2", got)
	}
	head, err := s.Head(ctx, "cas")
	if err != nil {
		t.Fatal(err)
	}
	if head.ETag != v2.ETag {
		t.Errorf("Head ETag %s, the put returned %s", head.ETag, v2.ETag)
	}
	_, err = s.Put(ctx, "nothing-here", []byte("x"), upload.PutOptions{IfMatch: v1.ETag})
	if !errors.Is(err, upload.ErrNotFound) {
		t.Errorf("IfMatch put to a missing key: %v, want ErrNotFound", err)
	}
	if _, err := s.Head(ctx, "nothing-here"); !errors.Is(err, upload.ErrNotFound) {
		t.Errorf("a failed IfMatch put created the key: %v", err)
	}
}

func testInvalidKeys(t *testing.T, s upload.Store) {
	ctx := context.Background()
	for _, key := range []string{"", "/abs", "a//b", "a/../b", "..", "./a", "a/.", "a/", "back\\slash", "nul\x00", "dir/.upload-tmp-1"} {
		var ke *upload.KeyError
		if _, err := s.Put(ctx, key, []byte("x"), upload.PutOptions{}); !errors.As(err, &ke) {
			t.Errorf("Put(%q) error = %v, want a KeyError", key, err)
		}
		if _, _, err := s.Get(ctx, key); !errors.As(err, &ke) {
			t.Errorf("Get(%q) error = %v, want a KeyError", key, err)
		}
		if _, err := s.Head(ctx, key); !errors.As(err, &ke) {
			t.Errorf("Head(%q) error = %v, want a KeyError", key, err)
		}
		if err := s.Delete(ctx, key); !errors.As(err, &ke) {
			t.Errorf("Delete(%q) error = %v, want a KeyError", key, err)
		}
		if _, err := s.Create(ctx, key, upload.PutOptions{}); !errors.As(err, &ke) {
			t.Errorf("Create(%q) error = %v, want a KeyError", key, err)
		}
	}
	infos, err := s.List(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(infos) != 0 {
		t.Errorf("invalid keys left objects: %v", keysOf(infos))
	}
}

func testStream(t *testing.T, s upload.Store) {
	ctx := context.Background()
	data := Pattern(3, 300_000)
	w, err := s.Create(ctx, "stream/obj", upload.PutOptions{SizeHint: int64(len(data))})
	if err != nil {
		t.Fatal(err)
	}
	for off := 0; off < len(data); off += 7777 {
		if _, err := w.Write(data[off:min(off+7777, len(data))]); err != nil {
			t.Fatalf("Write at %d: %v", off, err)
		}
	}
	if _, err := s.Head(ctx, "stream/obj"); !errors.Is(err, upload.ErrNotFound) {
		t.Errorf("object visible before Close: %v", err)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if info := w.Info(); info.Size != int64(len(data)) || info.Key != "stream/obj" {
		t.Errorf("Info after Close = %+v", info)
	}
	if got := mustGet(t, s, "stream/obj"); !bytes.Equal(got, data) {
		t.Errorf("streamed object reads back as %d bytes, want %d equal", len(got), len(data))
	}
	if err := w.Close(); !errors.Is(err, upload.ErrClosed) {
		t.Errorf("second Close: %v, want ErrClosed", err)
	}

	// Abort leaves nothing.
	w, err = s.Create(ctx, "stream/aborted", upload.PutOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(data[:1000]); err != nil {
		t.Fatal(err)
	}
	if err := w.Abort(); err != nil {
		t.Fatalf("Abort: %v", err)
	}
	if _, err := w.Write(data[:10]); err == nil {
		t.Errorf("Write after Abort succeeded")
	}
	if _, err := s.Head(ctx, "stream/aborted"); !errors.Is(err, upload.ErrNotFound) {
		t.Errorf("aborted object visible: %v", err)
	}

	// A streamed IfAbsent write to an existing key fails at Close.
	w, err = s.Create(ctx, "stream/obj", upload.PutOptions{IfAbsent: true})
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("other"))
	if err := w.Close(); !errors.Is(err, upload.ErrPreconditionFailed) {
		t.Errorf("streamed IfAbsent over an existing key: %v, want ErrPreconditionFailed", err)
	}
	if got := mustGet(t, s, "stream/obj"); !bytes.Equal(got, data) {
		t.Errorf("failed IfAbsent stream changed the object")
	}
	infos, err := s.List(ctx, "stream/")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"stream/obj"}, keysOf(infos)); diff != "" {
		t.Errorf("List after streams (-want +got):\n%s", diff)
	}

	// A cancelled context fails the write and leaves nothing.
	cctx, cancel := context.WithCancel(ctx)
	w, err = s.Create(cctx, "stream/cancelled", upload.PutOptions{})
	if err != nil {
		t.Fatal(err)
	}
	w.Write(data[:100])
	cancel()
	if err := w.Close(); !errors.Is(err, context.Canceled) {
		t.Errorf("Close after cancel: %v, want context.Canceled", err)
	}
	if _, err := s.Head(ctx, "stream/cancelled"); !errors.Is(err, upload.ErrNotFound) {
		t.Errorf("cancelled object visible: %v", err)
	}
}

func testRace(t *testing.T, s upload.Store, racers, rounds int) {
	ctx := context.Background()
	for round := range rounds {
		key := fmt.Sprintf("_delta_log/%020d.json", round)
		errs := make([]error, racers)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for r := range racers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				_, errs[r] = s.Put(ctx, key, []byte(fmt.Sprintf("round %d racer %d", round, r)), upload.PutOptions{IfAbsent: true})
			}()
		}
		close(start)
		wg.Wait()
		winners := []int{}
		for r, err := range errs {
			switch {
			case err == nil:
				winners = append(winners, r)
			case !errors.Is(err, upload.ErrPreconditionFailed):
				t.Errorf("round %d racer %d: %v, want success or ErrPreconditionFailed", round, r, err)
			}
		}
		if len(winners) != 1 {
			t.Fatalf("round %d: winners %v, want exactly one", round, winners)
		}
		if got := mustGet(t, s, key); string(got) != fmt.Sprintf("round %d racer %d", round, winners[0]) {
			t.Errorf("round %d: object holds %q, the winner was racer %d", round, got, winners[0])
		}
	}
}
