// Package cli benchmarks the evodb-writer command line against DuckDB:
// `evodb-writer load` of a JSON lines file into a local table beside DuckDB
// converting the same file to Parquet (zstd) with 2 threads.
//
//	cd bench && go test ./cli -run '^$' -bench Load -benchtime 1x -count 6 | tee load.txt
//	benchstat -col /impl load.txt
//
// EVODB_BENCH_LOAD_ROWS sets the number of lines (default 3,000,000, the
// events table of bench/gen: CDC envelopes, about 300 bytes each); the file
// is written once into bench/results/ and reused. Our figure is the wall time of
// the whole process (start-up, table creation, every block fsynced and
// committed), with its CPU time (user + system) and peak resident memory;
// impl=evodb-1encoder is the same with --encoders 1. DuckDB's is the COPY
// statement alone, timed inside node with start-up excluded, which favours
// DuckDB.
package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/evodb/writer/bench/duckdb"
	"github.com/evodb/writer/bench/gen"
)

var (
	tmpDir string
	once   sync.Once
	bin    string
	data   string
	rows   int
	setupE error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if tmpDir != "" {
		os.RemoveAll(tmpDir)
	}
	os.Exit(code)
}

// setup builds the command and writes the data file, once per process.
func setup(b *testing.B) {
	b.Helper()
	once.Do(func() {
		rows = 3_000_000
		if s := os.Getenv("EVODB_BENCH_LOAD_ROWS"); s != "" {
			if rows, setupE = strconv.Atoi(s); setupE != nil {
				return
			}
		}
		if tmpDir, setupE = os.MkdirTemp("", "evodb-bench-cli-"); setupE != nil {
			return
		}
		bin = filepath.Join(tmpDir, "evodb-writer")
		out, err := exec.Command("go", "build", "-o", bin, "github.com/evodb/writer/cmd/evodb-writer").CombinedOutput()
		if err != nil {
			setupE = fmt.Errorf("go build: %v: %s", err, out)
			return
		}
		// The data file is kept in results/ (not committed) for the next
		// rounds of make bench-load, which run this binary once per round.
		if setupE = os.MkdirAll("../results", 0o755); setupE != nil {
			return
		}
		data, setupE = filepath.Abs(filepath.Join("../results", "load-events-"+strconv.Itoa(rows)+".jsonl"))
		if setupE != nil {
			return
		}
		if st, err := os.Stat(data); err == nil && st.Size() > 0 {
			return
		}
		tmp := data + ".tmp"
		if setupE = writeData(tmp, rows); setupE != nil {
			return
		}
		setupE = os.Rename(tmp, data)
	})
	if setupE != nil {
		b.Fatal(setupE)
	}
}

func writeData(path string, n int) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 4<<20)
	g := gen.New(gen.Config{Seed: 2026, Tables: []string{"events"}})
	var buf []byte
	for done := 0; done < n; {
		k := min(100_000, n-done)
		buf = g.JSONLines(buf[:0], k)
		if _, err := w.Write(buf); err != nil {
			f.Close()
			return err
		}
		done += k
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

type summary struct {
	Rows   int64 `json:"rows"`
	Blocks int64 `json:"blocks"`
	Bytes  int64 `json:"bytes"`
}

// BenchmarkLoad: the same JSON lines into Parquet with zstd, by the
// evodb-writer binary (into a Delta table) and by DuckDB with 2 threads
// (into one file).
func BenchmarkLoad(b *testing.B) {
	b.Run("impl=evodb", func(b *testing.B) { benchLoad(b) })
	// The same with the blocks of a commit encoded one after another
	// (--encoders 1: one pipeline shredding a block while the one before
	// is encoded), to show what encoding them at once brings.
	b.Run("impl=evodb-1encoder", func(b *testing.B) { benchLoad(b, "--encoders", "1") })
	b.Run("impl=duckdb-2threads", func(b *testing.B) {
		if err := duckdb.Available(); err != nil {
			b.Skip(err)
		}
		setup(b)
		st, err := os.Stat(data)
		if err != nil {
			b.Fatal(err)
		}
		b.SetBytes(st.Size())
		out := filepath.Join(tmpDir, "duckdb.parquet")
		stmt := fmt.Sprintf("COPY (SELECT * FROM read_json(%s, format='newline_delimited')) TO %s (FORMAT parquet, COMPRESSION zstd)",
			duckdb.Quote(data), duckdb.Quote(out))
		var ms, cpuMs float64
		for b.Loop() {
			res, err := duckdb.Run(context.Background(), 2, stmt)
			if err != nil {
				b.Fatal(err)
			}
			ms += res.Results[0].Ms
			cpuMs += res.Results[0].CPUMs
		}
		// The statement's own time, not the node process's: report it as
		// the benchmark's time per row.
		n := float64(b.N) * float64(rows)
		b.ReportMetric(ms*1e6/n, "ns/row")
		b.ReportMetric(cpuMs*1e6/n, "cpu-ns/row")
		if st, err := os.Stat(out); err == nil {
			b.ReportMetric(float64(st.Size()), "out-bytes")
		}
	})
}

// benchLoad times the evodb-writer binary loading the data file with the
// given extra flags.
func benchLoad(b *testing.B, flags ...string) {
	setup(b)
	st, err := os.Stat(data)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(st.Size())
	var cpu time.Duration
	var sum summary
	var peakRSS int64 // KiB
	for i := 0; b.Loop(); i++ {
		table := filepath.Join(tmpDir, "table-"+strconv.Itoa(i))
		args := append([]string{"load", "--table", table, "--json", "--progress", "never"}, flags...)
		cmd := exec.Command(bin, append(args, data)...)
		cmd.Stderr = os.Stderr
		out, err := cmd.Output()
		if err != nil {
			b.Fatalf("load: %v", err)
		}
		cpu += cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			peakRSS = max(peakRSS, int64(ru.Maxrss))
		}
		if err := json.Unmarshal(out, &sum); err != nil {
			b.Fatalf("load summary %q: %v", out, err)
		}
		if sum.Rows != int64(rows) {
			b.Fatalf("load wrote %d rows, want %d", sum.Rows, rows)
		}
		b.StopTimer()
		os.RemoveAll(table)
		b.StartTimer()
	}
	n := float64(b.N) * float64(rows)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/n, "ns/row")
	b.ReportMetric(float64(cpu.Nanoseconds())/n, "cpu-ns/row")
	b.ReportMetric(float64(sum.Bytes), "out-bytes")
	b.ReportMetric(float64(sum.Blocks), "blocks")
	if peakRSS > 0 {
		b.ReportMetric(float64(peakRSS)/1024, "peak-RSS-MiB")
	}
}
