package writer_test

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	writer "github.com/evodb/writer"
	"github.com/evodb/writer/cdc"
	"github.com/evodb/writer/manifest"
	"github.com/evodb/writer/upload"
	"github.com/evodb/writer/upload/uploadtest"
)

// TestConcurrentWritersS3: writers with their own clients flush into one
// table at once; every commit is in the log exactly once, none is lost,
// and the table holds every row once.
func TestConcurrentWritersS3(t *testing.T) {
	const writers = 4
	commits := 50
	if testing.Short() {
		commits = 8
	}
	ctx := context.Background()
	first := s3Store(t, upload.S3Options{})
	bucket := first.Bucket()
	ws := make([]*writer.LakehouseWriter, writers)
	for i := range ws {
		store := first
		if i > 0 {
			store = s3Store(t, upload.S3Options{Bucket: bucket})
		}
		ws[i] = open(t, writer.Options{Store: store, Table: "tables/events"})
	}
	type done struct {
		version int64
		block   string
		rows    int64
	}
	results := make([][]done, writers)
	errs := make([]error, writers)
	var wg sync.WaitGroup
	for i, w := range ws {
		wg.Go(func() {
			p := fmt.Sprintf("w%d", i)
			for c := range int64(commits) {
				res, err := w.Flush(ctx, batch(t, p, c*5+1, c*5+5))
				if err != nil {
					errs[i] = err
					return
				}
				results[i] = append(results[i], done{res.Version, res.BlockPath, res.RowCount})
			}
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("writer %d: %v", i, err)
		}
	}
	// Every acknowledged commit has its own version, and the log holds at
	// that version exactly the block the writer reported.
	byVersion := map[int64]string{}
	var want []cdc.Entry
	for i, rs := range results {
		for _, r := range rs {
			if prev, dup := byVersion[r.version]; dup {
				t.Errorf("version %d acknowledged twice: %s and %s", r.version, prev, r.block)
			}
			byVersion[r.version] = r.block
		}
		want = append(want, batch(t, fmt.Sprintf("w%d", i), 1, int64(commits)*5)...)
	}
	snap, err := ws[0].Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	total := writers * commits
	// Version 0 creates the table; the first flushes may have written
	// schema-only rewrites but never an extra commit.
	if snap.Version() != int64(total) || snap.NumFiles() != total {
		t.Errorf("table at version %d with %d files, want %d and %d", snap.Version(), snap.NumFiles(), total, total)
	}
	store := ws[0].Store()
	for v := int64(1); v <= snap.Version(); v++ {
		data, _, err := store.Get(ctx, manifest.CommitFile(v))
		if err != nil {
			t.Fatal(err)
		}
		actions, err := manifest.DecodeActions(manifest.CommitFile(v), data)
		if err != nil {
			t.Fatal(err)
		}
		var adds []string
		for _, a := range actions {
			if a.Add != nil {
				k, err := a.Add.Key()
				if err != nil {
					t.Fatal(err)
				}
				adds = append(adds, k)
			}
		}
		if diff := cmp.Diff([]string{byVersion[v]}, adds); diff != "" {
			t.Errorf("version %d adds (-acknowledged +log):\n%s", v, diff)
		}
	}
	for i := range writers {
		if lsn, ok := snap.TxnVersion(fmt.Sprintf("w%d", i)); !ok || lsn != int64(commits)*5 {
			t.Errorf("writer %d: txn %d, %v", i, lsn, ok)
		}
	}
	checkRows(t, readAll(t, ws[0], snap), wantRows(want))
	var conflicts, retries int64
	for _, w := range ws {
		st := w.Stats()
		conflicts += st.CommitConflicts
		retries += st.Retries
	}
	t.Logf("%d commits by %d writers: %d lost races retried, %d blocks rewritten", total, writers, retries, conflicts)
}

// TestFaultsS3 injects faults at each step of a flush, with the store's
// own retries off so every failure reaches the writer. A failed Flush is
// replayed, as a caller must; afterwards the table is readable and holds
// every acknowledged row exactly once.
func TestFaultsS3(t *testing.T) {
	if testing.Short() {
		t.Skip("S3 fault test is not short")
	}
	small := func(from int64) []cdc.Entry { return batch(t, "p", from, from+19) }
	big := func(from int64) []cdc.Entry { return bigBatch(t, "p", from, 3000) }
	tests := []struct {
		name  string
		rules []uploadtest.Rule
		big   bool // blocks of several parts
	}{
		{"block put 503", []uploadtest.Rule{{Op: uploadtest.OpPutObject, Fault: uploadtest.Status503, Times: 1}}, false},
		{"block put lost response", []uploadtest.Rule{{Op: uploadtest.OpPutObject, Fault: uploadtest.LostResponse, Times: 1}}, false},
		{"commit put 500", []uploadtest.Rule{{Op: uploadtest.OpPutObject, Fault: uploadtest.Status500, Skip: 1, Times: 1}}, false},
		{"commit put 409", []uploadtest.Rule{{Op: uploadtest.OpPutObject, Fault: uploadtest.Conflict409, Skip: 1, Times: 1}}, false},
		{"commit put lost response", []uploadtest.Rule{{Op: uploadtest.OpPutObject, Fault: uploadtest.LostResponse, Skip: 1, Times: 2}}, false},
		{"commit lost and log reads reset", []uploadtest.Rule{
			{Op: uploadtest.OpPutObject, Fault: uploadtest.LostResponse, Skip: 1, Times: 1},
			{Op: uploadtest.OpGetObject, Fault: uploadtest.Reset, Times: 6},
			{Op: uploadtest.OpListObjects, Fault: uploadtest.Status500, Times: 3},
		}, false},
		{"commit put 412 and log list 500", []uploadtest.Rule{
			{Op: uploadtest.OpPutObject, Fault: uploadtest.Precondition412, Skip: 1, Times: 1},
			{Op: uploadtest.OpListObjects, Fault: uploadtest.Status500, Times: 2},
		}, false},
		{"create upload 503", []uploadtest.Rule{{Op: uploadtest.OpCreateUpload, Fault: uploadtest.Status503, Times: 1}}, true},
		{"upload part 500", []uploadtest.Rule{{Op: uploadtest.OpUploadPart, Part: 2, Fault: uploadtest.Status500, Times: 1}}, true},
		{"upload part reset", []uploadtest.Rule{{Op: uploadtest.OpUploadPart, Part: 1, Fault: uploadtest.Reset, Times: 1}}, true},
		{"complete 500", []uploadtest.Rule{{Op: uploadtest.OpComplete, Fault: uploadtest.Status500, Times: 1}}, true},
		{"complete lost response", []uploadtest.Rule{{Op: uploadtest.OpComplete, Fault: uploadtest.LostResponse, Times: 1}}, true},
		{"random mix", []uploadtest.Rule{
			{Op: uploadtest.OpPutObject, Fault: uploadtest.LostResponse, Rate: 0.15},
			{Op: uploadtest.OpPutObject, Fault: uploadtest.Status503, Rate: 0.1},
			{Op: uploadtest.OpGetObject, Fault: uploadtest.Reset, Rate: 0.1},
			{Op: uploadtest.OpListObjects, Fault: uploadtest.Status500, Rate: 0.1},
		}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			clean := s3Store(t, upload.S3Options{})
			// The table exists before the faults start.
			open(t, writer.Options{Store: clean, Table: "t"})
			tr := &uploadtest.Transport{Seed: 11}
			faulty := s3Store(t, upload.S3Options{Bucket: clean.Bucket(), HTTPClient: tr.Client(),
				Retry: upload.RetryPolicy{MaxAttempts: 1}, Multipart: upload.MultipartOptions{PartSize: upload.MinPartSize}})
			w := open(t, writer.Options{Store: faulty, Table: "t", PartSize: upload.MinPartSize,
				Manifest: manifest.Options{MaxAttempts: 4, Sleep: noSleep}, ResolveAttempts: 2})
			batches := 3
			if !tc.big {
				batches = 8
			}
			var acked []cdc.Entry
			failures := 0
			for i := range batches {
				var b []cdc.Entry
				if tc.big {
					b = big(int64(i)*3000 + 1)
				} else {
					b = small(int64(i)*20 + 1)
				}
				tr.SetRules(tc.rules...)
				var res writer.FlushResult
				var err error
				for attempt := 0; attempt < 20; attempt++ {
					if res, err = w.Flush(ctx, b); err == nil {
						break
					}
					failures++
					t.Logf("batch %d attempt %d: %v", i, attempt, err)
				}
				if err != nil {
					t.Fatalf("batch %d never went in: %v", i, err)
				}
				if res.Committed["p"] != b[len(b)-1].LSN {
					t.Errorf("batch %d: committed %v", i, res.Committed)
				}
				acked = append(acked, b...)
			}
			inj := tr.Injected()
			var n int
			for _, c := range inj {
				n += c
			}
			if n == 0 {
				t.Fatalf("no fault injected (%v); the test tested nothing", tr.Requests())
			}
			// A clean reader sees each acknowledged row once.
			r := open(t, writer.Options{Store: clean, Table: "t"})
			got := readAll(t, r, nil)
			if tc.big {
				if len(got) != len(acked) {
					t.Fatalf("%d rows, want %d", len(got), len(acked))
				}
				for i := range got {
					if got[i].LSN != acked[i].LSN {
						t.Fatalf("row %d has LSN %d, want %d", i, got[i].LSN, acked[i].LSN)
					}
				}
			} else {
				checkRows(t, got, wantRows(acked))
			}
			t.Logf("faults %v, failed flushes %d, writer stats %+v", inj, failures, w.Stats())
		})
	}
}

// bigBatch returns n entries whose rows carry 6 KiB of random hex text
// (about 3 KiB once zstd has entropy-coded it), enough for blocks of
// several 5 MiB parts.
func bigBatch(t testing.TB, p string, from int64, n int) []cdc.Entry {
	t.Helper()
	es := make([]cdc.Entry, 0, n)
	for i := range int64(n) {
		lsn := from + i
		pad := uploadtest.Pattern(uint64(lsn), 3072)
		data := fmt.Appendf(nil, `{"id":%d,"pad":"%x"}`, lsn, pad)
		es = append(es, cdc.Entry{Op: cdc.Insert, Table: "big", Data: data, LSN: lsn, Producer: p})
	}
	sort.Slice(es, func(i, j int) bool { return es[i].LSN < es[j].LSN })
	return es
}

// TestExactlyOnceLostCommitS3: the block is uploaded, then the commit's
// answer is lost (the commit landed) or every commit put fails (it never
// did), and the log cannot be read back, so Flush cannot tell and fails
// with ErrCommitUnknown, as a crash between upload and commit would leave
// it. Replaying the batch, by the same writer or by a new one (the process
// restarted), leaves each row in the table once.
func TestExactlyOnceLostCommitS3(t *testing.T) {
	tests := []struct {
		name   string
		commit uploadtest.Rule
		landed bool
	}{
		{"answer lost", uploadtest.Rule{Op: uploadtest.OpPutObject, Fault: uploadtest.LostResponse, Skip: 1, Times: 1}, true},
		{"never written", uploadtest.Rule{Op: uploadtest.OpPutObject, Fault: uploadtest.Status500, Skip: 1}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			clean := s3Store(t, upload.S3Options{})
			open(t, writer.Options{Store: clean, Table: "t"})
			tr := &uploadtest.Transport{Seed: 5}
			faulty := s3Store(t, upload.S3Options{Bucket: clean.Bucket(), HTTPClient: tr.Client(), Retry: upload.RetryPolicy{MaxAttempts: 1}})
			w := open(t, writer.Options{Store: faulty, Table: "t", Manifest: manifest.Options{MaxAttempts: 2, Sleep: noSleep}, ResolveAttempts: 1})
			b := batch(t, "p", 1, 30)
			tr.SetRules(tc.commit,
				uploadtest.Rule{Op: uploadtest.OpGetObject, Fault: uploadtest.Reset},
				uploadtest.Rule{Op: uploadtest.OpListObjects, Fault: uploadtest.Status500},
			)
			_, err := w.Flush(ctx, b)
			if !errors.Is(err, manifest.ErrCommitUnknown) {
				t.Fatalf("flush: %v, want ErrCommitUnknown", err)
			}
			if inj := tr.Injected(); inj[tc.commit.Fault] == 0 {
				t.Fatalf("faults %v: the commit put was not hit", inj)
			}
			tr.SetRules()
			objs, err := clean.List(ctx, "t/data/")
			if err != nil {
				t.Fatal(err)
			}
			if len(objs) != 1 {
				t.Fatalf("%d blocks in the store, want the one uploaded before the commit", len(objs))
			}
			// The same writer replays the batch, then a new one does.
			res, err := w.Flush(ctx, b)
			if err != nil || res.Duplicate != tc.landed || res.Committed["p"] != 30 {
				t.Fatalf("replay: %+v, %v", res, err)
			}
			w2 := open(t, writer.Options{Store: clean, Table: "t"})
			if res, err := w2.Flush(ctx, b); err != nil || !res.Duplicate {
				t.Fatalf("replay by a new writer: %+v, %v", res, err)
			}
			checkRows(t, readAll(t, w2, nil), wantRows(b))
			if st := w.Stats(); st.Unknown != 1 {
				t.Errorf("stats %+v", st)
			}
		})
	}
}

// TestRedeliveryConcurrent: three writers receive the same stream of one
// producer (a redelivery to several processes) in batches of different
// cuts and flush them at once. The table holds every row once.
func TestRedeliveryConcurrent(t *testing.T) {
	for _, sc := range stores() {
		t.Run(sc.name, func(t *testing.T) {
			ctx := context.Background()
			store := sc.new(t)
			const last = 300
			var wg sync.WaitGroup
			errs := make([]error, 3)
			for i := range 3 {
				w := open(t, writer.Options{Store: store, Table: "t"})
				wg.Go(func() {
					size := int64(10 + 7*i) // each writer cuts the stream differently
					for from := int64(1); from <= last; from += size {
						if _, err := w.Flush(ctx, batch(t, "p", from, min(from+size-1, last))); err != nil {
							errs[i] = err
							return
						}
					}
				})
			}
			wg.Wait()
			for i, err := range errs {
				if err != nil {
					t.Fatalf("writer %d: %v", i, err)
				}
			}
			r := open(t, writer.Options{Store: store, Table: "t"})
			checkRows(t, readAll(t, r, nil), wantRows(batch(t, "p", 1, last)))
		})
	}
}

// TestPartSizeS3: Options.PartSize sets the parts of a block's multipart
// upload, whatever the store's own multipart options.
func TestPartSizeS3(t *testing.T) {
	if testing.Short() {
		t.Skip("writes a block of several parts")
	}
	ctx := context.Background()
	tr := &uploadtest.Transport{Seed: 1}
	store := s3Store(t, upload.S3Options{HTTPClient: tr.Client()}) // default parts: 8 MiB
	w := open(t, writer.Options{Store: store, PartSize: upload.MinPartSize, UploadConcurrency: 2})
	res, err := w.Flush(ctx, bigBatch(t, "p", 1, 4000))
	if err != nil {
		t.Fatal(err)
	}
	want := int((res.Bytes + upload.MinPartSize - 1) / upload.MinPartSize)
	if got := tr.Requests()[uploadtest.OpUploadPart]; got != want || want < 3 {
		t.Errorf("%d parts for a block of %d bytes, want %d of 5 MiB", got, res.Bytes, want)
	}
}
