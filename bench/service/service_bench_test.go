package service

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/evodb/writer/bench/internal/cputime"
	"github.com/evodb/writer/cdc"
	"github.com/evodb/writer/server"
)

const (
	producers = 8
	batchSize = 1000
)

// appendJSONBatch appends batch k of producer p as JSON lines: LSNs
// k*batchSize+1 .. (k+1)*batchSize, rows of five columns.
func appendJSONBatch(dst []byte, k int) []byte {
	base := int64(k * batchSize)
	for i := range batchSize {
		lsn := base + int64(i) + 1
		dst = append(dst, `{"op":"INSERT","data":{"id":`...)
		dst = strconv.AppendInt(dst, lsn, 10)
		dst = append(dst, `,"user":"user-`...)
		dst = strconv.AppendInt(dst, lsn%9973, 10)
		dst = append(dst, `","type":"`...)
		dst = append(dst, [...]string{"click", "view", "purchase", "scroll"}[lsn%4]...)
		dst = append(dst, `","amount":`...)
		dst = appendCents(dst, lsn%10000)
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

// appendCents appends c/100 with two decimals, as
// strconv.AppendFloat(dst, float64(c)/100, 'f', 2, 64) does for c >= 0,
// without the general float formatting.
func appendCents(dst []byte, c int64) []byte {
	dst = strconv.AppendInt(dst, c/100, 10)
	return append(dst, '.', byte('0'+c/10%10), byte('0'+c%10))
}

// appendEntries appends the entries of batch k of producer name, the same
// rows as appendJSONBatch, with their JSON built into *rows.
func appendEntries(dst []cdc.Entry, rows *[]byte, name string, k int) []cdc.Entry {
	base := int64(k * batchSize)
	*rows = (*rows)[:0]
	var offs [batchSize + 1]int
	for i := range batchSize {
		lsn := base + int64(i) + 1
		r := *rows
		r = append(r, `{"id":`...)
		r = strconv.AppendInt(r, lsn, 10)
		r = append(r, `,"user":"user-`...)
		r = strconv.AppendInt(r, lsn%9973, 10)
		r = append(r, `","type":"`...)
		r = append(r, [...]string{"click", "view", "purchase", "scroll"}[lsn%4]...)
		r = append(r, `","amount":`...)
		r = appendCents(r, lsn%10000)
		r = append(r, `,"ok":`...)
		r = strconv.AppendBool(r, lsn%7 != 0)
		r = append(r, '}')
		*rows = r
		offs[i+1] = len(r)
	}
	for i := range batchSize {
		lsn := base + int64(i) + 1
		dst = append(dst, cdc.Entry{
			Op: cdc.Insert, Table: "events", Producer: name, LSN: lsn,
			Data:       (*rows)[offs[i]:offs[i+1]],
			CommitTime: time.UnixMicro(1_764_000_000_000_000 + lsn*1000),
		})
	}
	return dst
}

// startServer runs a server with fsync on and a local table root in dir.
func startServer(b *testing.B, dir string) (url string, stop func()) {
	b.Helper()
	s, err := server.New(context.Background(), server.Config{
		DataDir: dir,
		Logger:  slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		b.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	return "http://" + ln.Addr().String(), func() {
		cancel()
		if err := <-done; err != nil {
			b.Error(err)
		}
	}
}

// BenchmarkServiceIngest: one op is one batch of 1,000 entries,
// acknowledged. Producers take batch numbers in turn.
func BenchmarkServiceIngest(b *testing.B) {
	for _, format := range []string{"json", "binary"} {
		b.Run("format="+format, func(b *testing.B) {
			url, stop := startServer(b, filepath.Join(b.TempDir(), "data"))
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: producers}}
			var next atomic.Int64
			var mu sync.Mutex
			var lat []time.Duration
			var throttled atomic.Int64
			b.ReportAllocs()
			b.ResetTimer()
			start, cpu0 := time.Now(), cputime.Used()
			var wg sync.WaitGroup
			for p := range producers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					name := fmt.Sprintf("producer-%d", p)
					var body []byte
					var es []cdc.Entry
					var rows []byte
					var mine []time.Duration
					for k := 0; ; k++ {
						if next.Add(1) > int64(b.N) {
							break
						}
						ct := server.ContentTypeJSONLines
						if format == "binary" {
							es = appendEntries(es[:0], &rows, name, k)
							body, _ = cdc.AppendBinaryBatch(body[:0], es)
							ct = server.ContentTypeBinary
						} else {
							body = appendJSONBatch(body[:0], k)
						}
						t0 := time.Now()
						for {
							req, _ := http.NewRequest("POST", url+"/v1/tables/events/cdc", bytes.NewReader(body))
							req.Header.Set("Content-Type", ct)
							req.Header.Set(server.ProducerHeader, name)
							resp, err := client.Do(req)
							if err != nil {
								b.Error(err)
								return
							}
							io.Copy(io.Discard, resp.Body)
							resp.Body.Close()
							if resp.StatusCode == http.StatusOK {
								break
							}
							if resp.StatusCode != http.StatusTooManyRequests {
								b.Errorf("status %d", resp.StatusCode)
								return
							}
							// Above the high water mark: the load generator
							// backs off briefly (the ack latency counts it).
							throttled.Add(1)
							time.Sleep(5 * time.Millisecond)
						}
						mine = append(mine, time.Since(t0))
					}
					mu.Lock()
					lat = append(lat, mine...)
					mu.Unlock()
				}()
			}
			wg.Wait()
			acked := time.Since(start)
			// Commit what is buffered, to report the committed rate too.
			resp, err := client.Post(url+"/v1/tables/events/flush", "", nil)
			if err == nil {
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
			committed := time.Since(start)
			cpu := cputime.Used() - cpu0
			b.StopTimer()
			stop()
			client.CloseIdleConnections()
			slices.Sort(lat)
			entries := float64(b.N) * batchSize
			b.ReportMetric(entries/acked.Seconds(), "acked-entries/s")
			b.ReportMetric(entries/committed.Seconds(), "committed-entries/s")
			if len(lat) > 0 {
				b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ack-ms")
				b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ack-ms")
			}
			b.ReportMetric(float64(throttled.Load())/float64(b.N), "429/op")
			// CPU time of the whole process (load generator included) per
			// entry committed: what other programs' load does not inflate.
			b.ReportMetric(float64(cpu.Nanoseconds())/entries, "cpu-ns/entry")
			b.ReportMetric(0, "ns/op")
		})
	}
}
