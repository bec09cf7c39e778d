package engine

import (
	"testing"
	"time"

	"github.com/evodb/writer/cdc"
)

// shredBenchRow has a bool and a time column of each kind of field the
// shredder reads: plain, optional (the zero value is null) and pointer.
type shredBenchRow struct {
	OK    bool       `parquet:"ok"`
	Opt   bool       `parquet:"opt,optional"`
	P     *bool      `parquet:"p"`
	At    time.Time  `parquet:"at"`
	AtOpt time.Time  `parquet:"at_opt,optional"`
	AtP   *time.Time `parquet:"at_p"`
	N     int64      `parquet:"n"`
}

// BenchmarkTypedShred measures TypedWriter.AppendBatch alone (the rows shredded
// into columns, then dropped with Reset, nothing encoded) on rows of bool
// and time columns.
func BenchmarkTypedShred(b *testing.B) {
	rows := make([]shredBenchRow, 8192)
	yes := true
	for i := range rows {
		at := time.UnixMicro(1_764_000_000_000_000 + int64(i)*1000)
		rows[i] = shredBenchRow{OK: i%3 == 0, Opt: i%5 != 0, At: at, N: int64(i)}
		if i%4 != 0 {
			rows[i].P, rows[i].AtP = &yes, &at
		}
		if i%7 != 0 {
			rows[i].AtOpt = at
		}
	}
	w, err := NewTypedWriter[shredBenchRow](TypedOptions{RowGroupRows: len(rows)})
	if err != nil {
		b.Fatal(err)
	}
	meta := Meta{Op: cdc.Insert, LSN: 1, Producer: "p", CommitTime: time.Unix(1, 0)}
	b.ReportAllocs()
	for b.Loop() {
		if err := w.AppendBatch(meta, rows); err != nil {
			b.Fatal(err)
		}
		w.Reset()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(rows)), "ns/row")
}
