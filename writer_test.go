package writer_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/goleak"

	writer "github.com/evodb/writer"
	"github.com/evodb/writer/cdc"
	"github.com/evodb/writer/engine"
	"github.com/evodb/writer/manifest"
	"github.com/evodb/writer/upload"
	"github.com/evodb/writer/upload/uploadtest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	uploadtest.StopSharedGateway()
	if code == 0 {
		if err := goleak.Find(goleak.IgnoreTopFunction("net/http.(*persistConn).writeLoop"),
			goleak.IgnoreTopFunction("net/http.(*persistConn).readLoop"),
			goleak.IgnoreTopFunction("internal/poll.runtime_pollWait")); err != nil {
			fmt.Fprintln(os.Stderr, "goroutines left behind:", err)
			code = 1
		}
	}
	os.Exit(code)
}

var t0 = time.Date(2026, 11, 26, 3, 0, 0, 0, time.UTC)

// row is the data of generated row lsn of producer p, as the engine reads
// it back.
func rowData(p string, lsn int64) map[string]any {
	d := map[string]any{
		"id":     lsn,
		"name":   fmt.Sprintf("%s-row-%d", p, lsn),
		"amount": float64(lsn) + 0.25,
		"at":     t0.Add(time.Duration(lsn) * time.Millisecond).Format(time.RFC3339Nano),
		"tags":   []any{"t" + fmt.Sprint(lsn%3), "x"},
		"nested": map[string]any{"ok": lsn%2 == 0, "n": lsn * 10},
	}
	if lsn%5 == 0 {
		delete(d, "name") // a null
	}
	return d
}

// batch returns entries from..to (inclusive LSNs) of producer p.
func batch(t testing.TB, p string, from, to int64) []cdc.Entry {
	t.Helper()
	var es []cdc.Entry
	for lsn := from; lsn <= to; lsn++ {
		data, err := json.Marshal(rowData(p, lsn))
		if err != nil {
			t.Fatal(err)
		}
		op := cdc.Insert
		if lsn%7 == 0 {
			op = cdc.Update
		}
		es = append(es, cdc.Entry{Op: op, Table: "orders", Data: data, LSN: lsn, Producer: p, CommitTime: t0.Add(time.Duration(lsn) * time.Second)})
	}
	return es
}

// wantRows is what reading entries back must give.
func wantRows(entries []cdc.Entry) []engine.Row {
	var rows []engine.Row
	for _, e := range entries {
		rows = append(rows, engine.Row{Op: e.Op, LSN: e.LSN, Producer: e.Producer, CommitTime: e.CommitTime, Data: rowData(e.Producer, e.LSN)})
	}
	sortRows(rows)
	return rows
}

func sortRows(rows []engine.Row) {
	sort.Slice(rows, func(i, j int) bool {
		if rows[i].Producer != rows[j].Producer {
			return rows[i].Producer < rows[j].Producer
		}
		return rows[i].LSN < rows[j].LSN
	})
}

// readAll reads the rows of snapshot s (nil: latest), sorted.
func readAll(t testing.TB, w *writer.LakehouseWriter, s *manifest.Snapshot) []engine.Row {
	t.Helper()
	rows, err := w.ReadRows(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	sortRows(rows)
	return rows
}

func checkRows(t testing.TB, got, want []engine.Row) {
	t.Helper()
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("rows read back (-want +got):\n%s", diff)
	}
}

// s3Store opens a store on a new bucket of the shared versitygw server;
// client may carry a fault transport.
func s3Store(t testing.TB, opts upload.S3Options) *upload.S3 {
	t.Helper()
	gw := uploadtest.SharedGateway(t)
	ctx := context.Background()
	if opts.Bucket == "" {
		bucket, err := gw.NewBucket(ctx)
		if err != nil {
			t.Fatal(err)
		}
		opts.Bucket = bucket
	}
	opts.Endpoint, opts.Region, opts.UsePathStyle = gw.Endpoint, gw.Region, true
	opts.AccessKeyID, opts.SecretAccessKey = gw.AccessKey, gw.SecretKey
	s, err := upload.NewS3(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

type storeCase struct {
	name string
	new  func(t *testing.T) upload.Store
}

func stores() []storeCase {
	return []storeCase{
		{"memory", func(t *testing.T) upload.Store { return upload.NewMemory() }},
		{"local", func(t *testing.T) upload.Store {
			s, err := upload.NewLocal(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			return s
		}},
		{"versitygw", func(t *testing.T) upload.Store { return s3Store(t, upload.S3Options{}) }},
	}
}

func open(t testing.TB, opts writer.Options) *writer.LakehouseWriter {
	t.Helper()
	w, err := writer.Open(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close(context.Background()) })
	return w
}

func TestFlushRoundTrip(t *testing.T) {
	for _, sc := range stores() {
		t.Run(sc.name, func(t *testing.T) {
			ctx := context.Background()
			store := sc.new(t)
			w := open(t, writer.Options{Store: store, Table: "tables/orders"})
			var all []cdc.Entry
			for i, b := range [][]cdc.Entry{batch(t, "p1", 1, 100), batch(t, "p2", 1, 50), batch(t, "p1", 101, 130)} {
				res, err := w.Flush(ctx, b)
				if err != nil {
					t.Fatal(err)
				}
				all = append(all, b...)
				if res.Version != int64(i+1) || res.RowCount != int64(len(b)) || res.BlockPath == "" || res.Duplicates != 0 {
					t.Errorf("flush %d: %+v", i, res)
				}
				if res.Committed[b[0].Producer] != b[len(b)-1].LSN {
					t.Errorf("flush %d: committed %v", i, res.Committed)
				}
			}
			checkRows(t, readAll(t, w, nil), wantRows(all))

			// A second writer opening the table sees the same rows and
			// the committed LSNs.
			w2 := open(t, writer.Options{Store: store, Table: "tables/orders"})
			checkRows(t, readAll(t, w2, nil), wantRows(all))
			if lsn, ok := w2.CommittedLSN("p1"); !ok || lsn != 130 {
				t.Errorf("CommittedLSN(p1) = %d, %v", lsn, ok)
			}
			st := w.Stats()
			if st.Commits != 3 || st.BlocksWritten != 3 || st.RowsWritten != 180 || st.LastVersion != 3 || st.AvgBlockBytes <= 0 {
				t.Errorf("stats %+v", st)
			}
		})
	}
}
