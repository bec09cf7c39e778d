//go:build unix

package server

import (
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/evodb/writer/cdc"
)

// benchBody is a JSON lines batch of n CDC entries shaped like the
// service benchmark's (bench/service): five columns per row.
func benchBody(n int) []byte {
	var dst []byte
	for lsn := int64(1); lsn <= int64(n); lsn++ {
		dst = append(dst, `{"op":"INSERT","data":{"id":`...)
		dst = strconv.AppendInt(dst, lsn, 10)
		dst = append(dst, `,"user":"user-`...)
		dst = strconv.AppendInt(dst, lsn%9973, 10)
		dst = append(dst, `","type":"`...)
		dst = append(dst, [...]string{"click", "view", "purchase", "scroll"}[lsn%4]...)
		dst = append(dst, `","amount":`...)
		dst = strconv.AppendFloat(dst, float64(lsn%10000)/100, 'f', 2, 64)
		dst = append(dst, `,"ok":`...)
		dst = strconv.AppendBool(dst, lsn%7 != 0)
		dst = append(dst, `},"lsn":`...)
		dst = strconv.AppendInt(dst, lsn, 10)
		dst = append(dst, `,"commit_ts":`...)
		dst = strconv.AppendInt(dst, 1_764_000_000_000_000+lsn*1000, 10)
		dst = append(dst, "}\n"...)
	}
	return dst
}

// cpuTime is the CPU time the process has used.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU reports the CPU time per entry since start (cpu-ns/entry),
// which a machine busy with other work disturbs less than wall time.
func reportCPU(b *testing.B, start time.Duration, entries int) {
	b.ReportMetric(float64(cpuTime(b)-start)/float64(b.N*entries), "cpu-ns/entry")
}

// BenchmarkIngestDecode: what the ingest handler spends per batch of
// 1,000 entries on decoding and checking it. mode=checked is what the
// server does (every row validated, members unique, the batch checks);
// mode=framed decodes the envelopes only and leaves the rows unvalidated
// (cdc.JSONOptions.FrameData), which is what the decode would cost if the
// rows were first validated at the flush. The difference is the price of
// refusing a bad row with a 400 before its acknowledgement.
func BenchmarkIngestDecode(b *testing.B) {
	body := benchBody(1000)
	b.Run("mode=checked", func(b *testing.B) {
		var dst []cdc.Entry
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		start := cpuTime(b)
		for b.Loop() {
			var be *batchError
			if dst, be = decodeBatch(dst, formatJSONLines, body, "events", "p1"); be != nil {
				b.Fatal(be)
			}
		}
		reportCPU(b, start, 1000)
	})
	for _, m := range []struct {
		name string
		opts cdc.JSONOptions
	}{
		{"mode=validated-no-unique", cdc.JSONOptions{Table: "events", Producer: "p1"}},
		{"mode=framed", cdc.JSONOptions{Table: "events", Producer: "p1", FrameData: true}},
	} {
		b.Run(m.name, func(b *testing.B) {
			var dst []cdc.Entry
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			start := cpuTime(b)
			for b.Loop() {
				var errs []*cdc.LineError
				if dst, errs = cdc.DecodeJSONLines(dst[:0], body, &m.opts); len(errs) > 0 || len(dst) != 1000 {
					b.Fatal(errs)
				}
			}
			reportCPU(b, start, 1000)
		})
	}
}
