package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// rawMedians parses go test output the plainest way (name, then value/unit
// pairs) and returns the median of every (benchmark, unit), independently
// of benchfmt and of the report generator.
func rawMedians(t *testing.T, path string) map[[2]string]float64 {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	samples := map[[2]string][]float64{}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") {
			continue
		}
		name := strings.TrimPrefix(f[0], "Benchmark")
		name = name[:strings.LastIndexByte(name, '-')]
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				t.Fatalf("%s: %q: %v", path, line, err)
			}
			samples[[2]string{name, f[i+1]}] = append(samples[[2]string{name, f[i+1]}], v)
		}
	}
	med := map[[2]string]float64{}
	for k, xs := range samples {
		slices.Sort(xs)
		n := len(xs)
		if n%2 == 1 {
			med[k] = xs[n/2]
		} else {
			med[k] = (xs[n/2-1] + xs[n/2]) / 2
		}
	}
	return med
}

// rowCells returns the cells of the table row whose first cell is cas, in
// the table under the heading that starts with heading.
func rowCells(t *testing.T, report, heading, cas string) []string {
	t.Helper()
	_, after, ok := strings.Cut(report, "\n### "+heading)
	if !ok {
		t.Fatalf("report has no heading %q:\n%s", heading, report)
	}
	if i := strings.Index(after, "\n### "); i >= 0 {
		after = after[:i]
	}
	for _, line := range strings.Split(after, "\n") {
		cells := strings.Split(strings.Trim(line, "| "), " | ")
		if len(cells) > 1 && cells[0] == cas {
			return cells
		}
	}
	t.Fatalf("no row %q under %q:\n%s", cas, heading, after)
	return nil
}

func TestReportMatchesGoTestMedians(t *testing.T) {
	files := []string{"testdata/kernels.txt", "testdata/blockwriter.txt", "testdata/e2e.txt",
		"testdata/load.txt", "testdata/service.txt", "testdata/blocksize.txt"}
	secs, err := readSections(files)
	if err != nil {
		t.Fatal(err)
	}
	raw := map[[2]string]float64{}
	for _, f := range files {
		for k, v := range rawMedians(t, f) {
			raw[k] = v
		}
	}
	dir := t.TempDir()
	m := machine{CPU: "test CPU", Kernels: "avx2", Go: "go1.26", Date: "2026-01-01 00:00 UTC", Cores: 2, Flags: "-count 2 -bench 'A|B'"}
	var out strings.Builder
	if err := writeReport(&out, m, secs, &chartDir{dir: filepath.Join(dir, "charts"), rel: "charts"}); err != nil {
		t.Fatal(err)
	}
	report := out.String()

	// Each check: a row of the report, the benchmark whose median a column
	// must show, and (for peers) the speed-up column after it.
	type col struct {
		bench string
		unit  string
	}
	tests := []struct {
		heading, cas string
		ours         col
		peers        []col
		note         string // the peer column of a table without peers
	}{
		{"KernelUnpack32 (ns/value", "w=1", col{"KernelUnpack32/w=1/impl=evodb", "ns/value"}, []col{{"KernelUnpack32/w=1/impl=parquetgo", "ns/value"}}, ""},
		{"KernelUnpack32 (ns/value", "w=8", col{"KernelUnpack32/w=8/impl=evodb", "ns/value"}, []col{{"KernelUnpack32/w=8/impl=parquetgo", "ns/value"}}, ""},
		{"KernelMinMaxInt64 (ns/value", "n=1048576", col{"KernelMinMaxInt64/n=1048576/impl=evodb", "ns/value"}, []col{{"KernelMinMaxInt64/n=1048576/impl=parquetgo", "ns/value"}}, ""},
		{"WriteRowGroup (rows/s", "level=3", col{"WriteRowGroup/level=3/impl=ours", "rows/s"}, []col{{"WriteRowGroup/level=3/impl=parquet-go", "rows/s"}, {"WriteRowGroup/level=3/impl=arrow-go", "rows/s"}}, ""},
		{"JSONLinesToParquet (ns/row", "orders ours/zstd1", col{"JSONLinesToParquet/orders/ours/zstd1", "ns/row"}, []col{{"JSONLinesToParquet/orders/duckdb-2threads", "ns/row"}}, ""},
		{"JSONLinesToParquet (ns/row", "orders ours/zstd3", col{"JSONLinesToParquet/orders/ours/zstd3", "ns/row"}, []col{{"JSONLinesToParquet/orders/duckdb-2threads", "ns/row"}}, ""},
		{"JSONLinesToParquet (cpu-ns/row", "orders ours/zstd3", col{"JSONLinesToParquet/orders/ours/zstd3", "cpu-ns/row"}, []col{{"JSONLinesToParquet/orders/duckdb-2threads", "cpu-ns/row"}}, ""},
		{"Load (ns/row", "—", col{"Load/impl=evodb", "ns/row"}, []col{{"Load/impl=duckdb-2threads", "ns/row"}}, ""},
		{"Load (cpu-ns/row", "—", col{"Load/impl=evodb", "cpu-ns/row"}, []col{{"Load/impl=duckdb-2threads", "cpu-ns/row"}}, ""},
		{"Load (out-bytes", "—", col{"Load/impl=evodb", "out-bytes"}, []col{{"Load/impl=duckdb-2threads", "out-bytes"}}, ""},
		{"ServiceIngest (acked-entries/s", "format=json", col{"ServiceIngest/format=json", "acked-entries/s"}, nil, noPeer["ServiceIngest"]},
		{"ServiceIngest (acked-entries/s", "format=binary", col{"ServiceIngest/format=binary", "acked-entries/s"}, nil, noPeer["ServiceIngest"]},
		{"ServiceIngest (committed-entries/s", "format=json", col{"ServiceIngest/format=json", "committed-entries/s"}, nil, noPeer["ServiceIngest"]},
		{"ServiceIngest (p50-ack-ms", "format=json", col{"ServiceIngest/format=json", "p50-ack-ms"}, nil, noPeer["ServiceIngest"]},
		{"ServiceIngest (p99-ack-ms", "format=binary", col{"ServiceIngest/format=binary", "p99-ack-ms"}, nil, noPeer["ServiceIngest"]},
		{"ServiceIngest (cpu-ns/entry", "format=binary", col{"ServiceIngest/format=binary", "cpu-ns/entry"}, nil, noPeer["ServiceIngest"]},
		{"BlockSize (rows/s", "rows=1024", col{"BlockSize/rows=1024/impl=ours", "rows/s"}, []col{{"BlockSize/rows=1024/impl=parquet-go", "rows/s"}, {"BlockSize/rows=1024/impl=arrow-go", "rows/s"}}, ""},
		{"BlockSize (rows/s", "rows=262144", col{"BlockSize/rows=262144/impl=ours", "rows/s"}, []col{{"BlockSize/rows=262144/impl=parquet-go", "rows/s"}, {"BlockSize/rows=262144/impl=arrow-go", "rows/s"}}, ""},
		{"BlockSize (out-bytes", "rows=16384", col{"BlockSize/rows=16384/impl=ours", "out-bytes"}, []col{{"BlockSize/rows=16384/impl=parquet-go", "out-bytes"}, {"BlockSize/rows=16384/impl=arrow-go", "out-bytes"}}, ""},
	}
	for _, tc := range tests {
		cells := rowCells(t, report, tc.heading, tc.cas)
		want := 2 + 2*len(tc.peers)
		if len(tc.peers) == 0 {
			want++ // the peer column says why there is none
		}
		if len(cells) != want {
			t.Errorf("%s %s: %d cells %q, want %d", tc.heading, tc.cas, len(cells), cells, want)
			continue
		}
		if len(tc.peers) == 0 && (tc.note == "" || cells[2] != tc.note) {
			t.Errorf("%s %s: peer column %q, want %q", tc.heading, tc.cas, cells[2], tc.note)
		}
		ours, ok := raw[[2]string{tc.ours.bench, tc.ours.unit}]
		if !ok {
			t.Fatalf("fixture lacks %v", tc.ours)
		}
		if got, _, _ := strings.Cut(cells[1], " "); got != num(ours) {
			t.Errorf("%s %s: ours = %s, want the median %s", tc.heading, tc.cas, got, num(ours))
		}
		for i, p := range tc.peers {
			peer, ok := raw[[2]string{p.bench, p.unit}]
			if !ok {
				t.Fatalf("fixture lacks %v", p)
			}
			if got, _, _ := strings.Cut(cells[2+2*i], " "); got != num(peer) {
				t.Errorf("%s %s: %s = %s, want the median %s", tc.heading, tc.cas, p.bench, got, num(peer))
			}
			want := peer / ours
			if strings.HasSuffix(p.unit, "/s") {
				want = ours / peer
			}
			if got := cells[3+2*i]; got != fmt.Sprintf("%.2f×", want) {
				t.Errorf("%s %s: speed-up vs %s = %s, want %.2f×", tc.heading, tc.cas, p.bench, got, want)
			}
		}
	}
	for _, want := range []string{"| CPU | test CPU |", "| kernels | avx2 |", "| flags | -count 2 -bench 'A\\|B' |", "## kernels", "## blockwriter", "## e2e", "## load", "## service", "## blocksize"} {
		if !strings.Contains(report, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	// Every chart the report links to exists and is an SVG document.
	links := 0
	for _, line := range strings.Split(report, "\n") {
		_, link, ok := strings.Cut(line, "](charts/")
		if !ok {
			continue
		}
		links++
		b, err := os.ReadFile(filepath.Join(dir, "charts", strings.TrimSuffix(link, ")")))
		if err != nil {
			t.Error(err)
			continue
		}
		if !strings.Contains(string(b[:min(len(b), 512)]), "<svg") {
			t.Errorf("%s is not an SVG document", link)
		}
	}
	// Unpack32, MinMaxInt64, WriteRowGroup, JSONLinesToParquet, Load,
	// ServiceIngest, and BlockSize's rows/s and out-bytes.
	if links != 8 {
		t.Errorf("report links %d charts, want 8", links)
	}
	// The block size chart is a line chart over rows per block.
	svg, err := os.ReadFile(filepath.Join(dir, "charts", "blocksize-BlockSize-rows-per-s.svg"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"rows per block", "256Ki", "parquet-go", "arrow-go"} {
		if !strings.Contains(string(svg), want) {
			t.Errorf("blocksize-BlockSize-rows-per-s.svg lacks %q", want)
		}
	}
}

func TestNum(t *testing.T) {
	for _, tc := range []struct {
		in   float64
		want string
	}{{(0.04 + 0.05) / 2, "0.045"}, {11638000, "11638000"}, {(11638000.0 + 11348000.0) / 2, "11493000"}, {0.0655, "0.0655"}, {(201 + 205.0) / 2, "203"}} {
		if got := num(tc.in); got != tc.want {
			t.Errorf("num(%v) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
