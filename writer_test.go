package writer_test

import (
	"context"
	"fmt"
	"os"
	"testing"

	"go.uber.org/goleak"

	writer "github.com/evodb/writer"
	"github.com/evodb/writer/cdc"
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
