package server

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// An ack means the rows are durable: a batch below its producer's highest
// accepted LSN is acknowledged only when it was accepted before (a retry),
// and refused with 409 when it falls in a gap.
func TestOutOfOrderBatchesOverHTTP(t *testing.T) {
	ts := startServer(t, testConfig(t, t.TempDir()))
	steps := []struct {
		name           string
		from           int64
		n              int
		code           int
		accepted, dups int
		lsn            int64 // acked LSN (200) or the highest accepted (409)
		gapFrom, gapTo int64 // 409: the LSNs never accepted
	}{
		{"batch 2 first", 11, 10, 200, 10, 0, 20, 0, 0},
		{"batch 1 after batch 2", 1, 10, 409, 0, 0, 20, 1, 10},
		{"retry of batch 2", 11, 10, 200, 0, 10, 20, 0, 0},
		{"batch 3", 21, 10, 200, 10, 0, 30, 0, 0},
		{"partial overlap with the top", 25, 10, 200, 4, 6, 34, 0, 0},
		{"partial overlap with the gap", 5, 10, 409, 0, 0, 34, 5, 10},
		{"batch 5 skipping batch 4", 41, 5, 200, 5, 0, 45, 0, 0},
		{"batch 4 late", 35, 6, 409, 0, 0, 45, 35, 40},
		{"retry spanning two ranges and the gap", 30, 16, 409, 0, 0, 45, 35, 40},
		{"retry inside an older range", 12, 3, 200, 0, 3, 45, 0, 0},
	}
	for _, st := range steps {
		r := ts.send("events", "p", jsonBatch("p", st.from, st.n), nil)
		if r.Code != st.code {
			t.Fatalf("%s: %d %s, want %d", st.name, r.Code, r.Raw, st.code)
		}
		switch st.code {
		case 200:
			if r.Body["accepted"] != float64(st.accepted) || r.Body["duplicates"] != float64(st.dups) || lsnOf(r) != st.lsn {
				t.Errorf("%s: %s, want accepted %d, duplicates %d, lsn %d", st.name, r.Raw, st.accepted, st.dups, st.lsn)
			}
		case 409:
			want := map[string]any{
				"error": fmt.Sprintf("batch LSNs %d..%d of producer %q are below its highest accepted LSN %d and were never accepted; send batches in LSN order (nothing of this batch was accepted)",
					st.gapFrom, st.gapTo, "p", st.lsn),
				"producer": "p", "first": float64(st.gapFrom), "last": float64(st.gapTo), "acked": float64(st.lsn),
			}
			if diff := cmp.Diff(want, r.Body); diff != "" {
				t.Errorf("%s: 409 body (-want +got):\n%s", st.name, diff)
			}
		}
	}
	ts.flush("events")
	// What was acknowledged is committed, once; nothing refused is.
	want := slices.Concat(seq(11, 34), seq(41, 45))
	if diff := cmp.Diff(map[string][]int64{"p": want}, committedLSNs(tableURI(ts.cfg.TableRoot, "events"))); diff != "" {
		t.Fatalf("committed (-want +got):\n%s", diff)
	}
	// The gap survives the commit: batch 1 is still refused, not acked.
	if r := ts.send("events", "p", jsonBatch("p", 1, 10), nil); r.Code != http.StatusConflict {
		t.Fatalf("batch 1 after the commit: %d %s", r.Code, r.Raw)
	}
}

// Concurrent batches of one producer: every acknowledged LSN is committed
// exactly once, and every LSN committed was acknowledged.
func TestConcurrentBatchesOfOneProducer(t *testing.T) {
	ts := startServer(t, testConfig(t, t.TempDir()))
	const batches, size = 16, 25
	var (
		mu    sync.Mutex
		acked []int64
		wg    sync.WaitGroup
	)
	for round := range 2 { // the second round retries every batch
		for b := range batches {
			wg.Add(1)
			go func() {
				defer wg.Done()
				from := int64(b*size + 1)
				r := ts.send("events", "p", jsonBatch("p", from, size), nil)
				switch r.Code {
				case http.StatusOK:
					mu.Lock()
					if round == 0 || r.Body["accepted"] != float64(0) {
						acked = append(acked, seq(from, from+size-1)...)
					}
					mu.Unlock()
				case http.StatusConflict:
				default:
					t.Errorf("batch %d: %d %s", b, r.Code, r.Raw)
				}
			}()
		}
		wg.Wait()
	}
	ts.flush("events")
	slices.Sort(acked)
	if diff := cmp.Diff(acked, committedLSNs(tableURI(ts.cfg.TableRoot, "events"))["p"]); diff != "" {
		t.Fatalf("acknowledged vs committed (-acked +committed):\n%s", diff)
	}
}

// After a crash the ranges are rebuilt from the log: a batch in a gap of
// what was logged is still refused.
func TestGapAfterReplay(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig(t, dir)
	ts := startServer(t, cfg)
	if r := ts.send("events", "p", jsonBatch("p", 11, 10), nil); r.Code != 200 {
		t.Fatalf("%d %s", r.Code, r.Raw)
	}
	ts.crash()
	ts2 := startServer(t, cfg)
	if r := ts2.send("events", "p", jsonBatch("p", 1, 10), nil); r.Code != http.StatusConflict {
		t.Fatalf("batch 1 after the restart: %d %s", r.Code, r.Raw)
	}
	if r := ts2.send("events", "p", jsonBatch("p", 11, 10), nil); r.Code != 200 || r.Body["duplicates"] != float64(10) {
		t.Fatalf("retry of batch 2 after the restart: %d %s", r.Code, r.Raw)
	}
	if err := ts2.close(); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string][]int64{"p": seq(11, 20)}, committedLSNs(tableURI(cfg.TableRoot, "events"))); diff != "" {
		t.Fatalf("committed (-want +got):\n%s", diff)
	}
}

// A gap below a committed version survives restarts: the ranges saved
// before the commit, not the txn version, are the floor at the next start.
func TestGapSurvivesCommitAndRestart(t *testing.T) {
	for _, how := range []string{"shutdown", "crash"} {
		t.Run(how, func(t *testing.T) {
			dir := t.TempDir()
			cfg := testConfig(t, dir)
			ts := startServer(t, cfg)
			for _, from := range []int64{11, 31} { // batches 2 and 4
				if r := ts.send("events", "p", jsonBatch("p", from, 10), nil); r.Code != 200 {
					t.Fatalf("%d %s", r.Code, r.Raw)
				}
			}
			ts.flush("events") // commits txn version 40 for p
			// Another producer without gaps is saved too.
			if r := ts.send("events", "q", jsonBatch("q", 0, 5), nil); r.Code != 200 {
				t.Fatalf("%d %s", r.Code, r.Raw)
			}
			if how == "crash" {
				ts.crash()
			} else if err := ts.close(); err != nil {
				t.Fatal(err)
			}
			for restart := range 2 {
				ts2 := startServer(t, cfg)
				for _, c := range []struct {
					producer string
					from     int64
					n        int
					code     int
				}{
					{"p", 1, 10, http.StatusConflict},
					{"p", 21, 10, http.StatusConflict},
					{"p", 15, 10, http.StatusConflict},
					{"p", 11, 10, 200},
					{"p", 31, 10, 200},
					{"q", 0, 5, 200},
				} {
					r := ts2.send("events", c.producer, jsonBatch(c.producer, c.from, c.n), nil)
					if r.Code != c.code || (c.code == 200 && r.Body["accepted"] != float64(0)) {
						t.Fatalf("restart %d: %s %d..%d: %d %s, want %d", restart, c.producer, c.from, c.from+int64(c.n)-1, r.Code, r.Raw, c.code)
					}
				}
				if err := ts2.close(); err != nil {
					t.Fatal(err)
				}
			}
			want := map[string][]int64{"p": slices.Concat(seq(11, 20), seq(31, 40)), "q": seq(0, 4)}
			if diff := cmp.Diff(want, committedLSNs(tableURI(cfg.TableRoot, "events"))); diff != "" {
				t.Fatalf("committed (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRangesFileErrors(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct{ name, content, want string }{
		{"not JSON", "{", "unexpected end of JSON input"},
		{"ranges out of order", `{"producers":{"p":{"floor":5,"ranges":[[10,20],[15,30]]}}}`, `producer "p": range 15..30 does not follow 20`},
		{"range touching the floor", `{"producers":{"p":{"floor":5,"ranges":[[6,9]]}}}`, `producer "p": range 6..9 does not follow 5`},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := rangesPath(dir, "t")
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(c.content), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := readRangesFile(path)
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), path) {
				t.Fatalf("readRangesFile: %v, want an error naming %s and saying %q", err, path, c.want)
			}
		})
	}
}
