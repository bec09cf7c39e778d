// Command benchreport turns raw `go test -bench` outputs of the side-by-side
// benchmarks into a Markdown report with SVG charts:
//
//	benchreport [-o REPORT.md] [-charts dir] [-flags "..."] [-pin "..."] results/*.txt
//
// Each input file becomes a section (its name without .txt), each benchmark
// a table in its main unit (ns/value, ns/row, ns/entry, rows/s, entries/s,
// and the cpu-ns/* metrics where reported; ns/op otherwise). A row is one
// case: the median of our repetitions, each peer's median from the same
// run, and the speed-up (how many times faster ours is: above 1, ours is
// faster). Next to each median is its spread: the 95% confidence interval
// of the median as benchstat computes it, in percent. Numbers are the
// medians of the values exactly as `go test` printed them. With -o - the
// report goes to standard output and no charts are drawn.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/evodb/writer/bench/internal/benchdata"
	"github.com/evodb/writer/kernels"
	"golang.org/x/perf/benchmath"
)

func main() {
	out := flag.String("o", "REPORT.md", "report file (- for standard output, no charts)")
	charts := flag.String("charts", "charts", "directory for the SVG charts, relative to the report's")
	flags := flag.String("flags", "", "the go test flags used, recorded in the header")
	pin := flag.String("pin", "", "the CPU pinning used, recorded in the header")
	flag.Parse()
	if flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: benchreport [-o REPORT.md] [-charts dir] [-flags ...] [-pin ...] result.txt...")
		os.Exit(2)
	}
	secs, err := readSections(flag.Args())
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchreport:", err)
		os.Exit(1)
	}
	m := localMachine(secs)
	m.Flags, m.Pin = *flags, *pin
	if *out == "-" {
		if err := writeReport(os.Stdout, m, secs, nil); err != nil {
			fmt.Fprintln(os.Stderr, "benchreport:", err)
			os.Exit(1)
		}
		return
	}
	c := &chartDir{dir: filepath.Join(filepath.Dir(*out), *charts), rel: *charts}
	f, err := os.Create(*out)
	if err == nil {
		err = writeReport(f, m, secs, c)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchreport:", err)
		os.Exit(1)
	}
}

// machine is the report's header.
type machine struct {
	CPU, Kernels, Go, Date, Flags, Pin string
	Cores                              int
}

// localMachine describes this machine, preferring what the result files
// recorded (their cpu: and evodb-kernels: lines) to what is true now.
func localMachine(secs []section) machine {
	m := machine{Go: runtime.Version(), Cores: runtime.NumCPU(), Date: time.Now().UTC().Format("2006-01-02 15:04 MST")}
	m.CPU = cpuModel()
	for _, s := range secs {
		if v := s.set.Config["evodb-kernels"]; v != "" && m.Kernels == "" {
			m.Kernels = v
		}
		if v := s.set.Config["cpu"]; v != "" && m.CPU == "" {
			m.CPU = v
		}
	}
	if m.Kernels == "" {
		m.Kernels = kernels.Implementation() + " (at report time; the results do not record it)"
	}
	return m
}

// cpuModel reads the CPU model from /proc/cpuinfo ("" when unknown).
func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		switch strings.TrimSpace(k) {
		case "model name", "Model", "cpu model":
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// section is one input file.
type section struct {
	name, path string
	set        *benchdata.Set
}

func readSections(paths []string) ([]section, error) {
	var secs []section
	for _, p := range paths {
		set, err := benchdata.ReadFiles(p)
		if err != nil {
			return nil, err
		}
		if len(set.Order) == 0 {
			return nil, fmt.Errorf("%s: no benchmark results", p)
		}
		secs = append(secs, section{name: strings.TrimSuffix(filepath.Base(p), ".txt"), path: p, set: set})
	}
	return secs, nil
}

// cell is the summary of one series.
type cell struct {
	Median float64
	Spread string // "±3%", "∞" when too few samples for a confidence interval
	N      int
}

func summarize(xs []float64) *cell {
	if len(xs) == 0 {
		return nil
	}
	s := benchmath.NewSample(slices.Clone(xs), &benchmath.DefaultThresholds)
	sum := benchmath.AssumeNothing.Summary(s, 0.95)
	spread := sum.PctRangeString()
	if spread != "∞" && spread != "?" {
		spread = "±" + spread
	}
	return &cell{Median: benchdata.Median(xs), Spread: spread, N: len(xs)}
}

// row is one case of one table.
type row struct {
	Case  string
	Ours  *cell
	Peers map[string]*cell
}

// table is one benchmark in one unit.
type table struct {
	Base, Unit string
	Peers      []string
	Rows       []row
	// Impls is every implementation label in order (for the charts).
	Impls []string
	// Series is the median of every (case, implementation label).
	Series map[[2]string]float64
	Cases  []string
	// Primary is the benchmark's first table (its main unit).
	Primary bool
}

// primaryUnits are the per-item units a table is made in, in order of
// preference; CPU time (cpu-ns/...) metrics and the secondaryUnits get
// their own tables beside.
var primaryUnits = []string{"ns/value", "ns/row", "ns/entry", "rows/s", "acked-entries/s", "entries/s"}

// secondaryUnits get a table of their own after the primary one, where a
// benchmark reports them: the service's commit rate and ack latencies,
// and the bytes written.
var secondaryUnits = []string{"committed-entries/s", "p50-ack-ms", "p99-ack-ms", "out-bytes"}

// noPeer says, in the peer column of a table without one, why nothing is
// beside ours (keyed by benchmark base name; other tables say "none
// measured").
var noPeer = map[string]string{
	"ServiceIngest": "none: no peer runs this service (target: 1 M acked entries/s)",
}

func tablesOf(set *benchdata.Set) []table {
	// Group benchmark names by base name, in order.
	var bases []string
	byBase := map[string][]string{}
	for _, name := range set.Names() {
		base, _, _ := benchdata.Split(strings.TrimPrefix(name, "Benchmark"))
		if _, seen := byBase[base]; !seen {
			bases = append(bases, base)
		}
		byBase[base] = append(byBase[base], name)
	}
	var tables []table
	for _, base := range bases {
		names := byBase[base]
		present := map[string]bool{}
		for _, n := range names {
			for _, u := range set.Units(n) {
				present[u] = true
			}
		}
		var units []string
		for _, u := range primaryUnits {
			if present[u] {
				units = append(units, u)
				break
			}
		}
		if len(units) == 0 {
			units = []string{"ns/op"}
		}
		for _, n := range names {
			for _, u := range set.Units(n) {
				if strings.HasPrefix(u, "cpu-ns/") && !slices.Contains(units, u) {
					units = append(units, u)
				}
			}
		}
		for _, u := range secondaryUnits {
			if present[u] {
				units = append(units, u)
			}
		}
		for i, u := range units {
			if t := makeTable(set, base, u, names); len(t.Rows) > 0 {
				t.Primary = i == 0
				tables = append(tables, t)
			}
		}
	}
	return tables
}

func makeTable(set *benchdata.Set, base, unit string, names []string) table {
	t := table{Base: base, Unit: unit, Series: map[[2]string]float64{}}
	type implVals struct {
		impl string
		vals []float64
	}
	var cases []string
	byCase := map[string][]implVals{}
	for _, n := range names {
		vals := set.Values[benchdata.Key{Name: n, Unit: unit}]
		if len(vals) == 0 {
			continue
		}
		_, cas, impl := benchdata.Split(strings.TrimPrefix(n, "Benchmark"))
		if _, seen := byCase[cas]; !seen {
			cases = append(cases, cas)
		}
		byCase[cas] = append(byCase[cas], implVals{impl, vals})
		if !slices.Contains(t.Impls, impl) {
			t.Impls = append(t.Impls, impl)
		}
		if !benchdata.IsOurs(impl) && !slices.Contains(t.Peers, impl) {
			t.Peers = append(t.Peers, impl)
		}
		t.Series[[2]string{cas, impl}] = benchdata.Median(vals)
	}
	t.Cases = cases
	for _, cas := range cases {
		peers := map[string]*cell{}
		var ours []implVals
		for _, iv := range byCase[cas] {
			if benchdata.IsOurs(iv.impl) {
				ours = append(ours, iv)
			} else {
				peers[iv.impl] = summarize(iv.vals)
			}
		}
		if len(ours) == 0 {
			t.Rows = append(t.Rows, row{Case: cas, Peers: peers})
			continue
		}
		for _, o := range ours {
			name := cas
			if o.impl != "" && o.impl != "ours" && o.impl != "evodb" {
				name = strings.TrimPrefix(cas+" "+o.impl, " ")
			}
			if name == "" {
				name = "—"
			}
			t.Rows = append(t.Rows, row{Case: name, Ours: summarize(o.vals), Peers: peers})
		}
	}
	return t
}

// speedup is how many times faster ours is than the peer (above 1: ours
// is faster), whichever way the unit points.
func speedup(unit string, ours, peer float64) (float64, bool) {
	if ours <= 0 || peer <= 0 {
		return 0, false
	}
	if benchdata.HigherIsBetter(unit) {
		return ours / peer, true
	}
	return peer / ours, true
}

// num formats a median: at most 7 significant digits, never an exponent,
// so that a median of values go test printed reads as those values do.
func num(v float64) string {
	r, err := strconv.ParseFloat(strconv.FormatFloat(v, 'g', 7, 64), 64)
	if err != nil {
		r = v
	}
	return strconv.FormatFloat(r, 'f', -1, 64)
}

func (c *cell) String() string {
	if c == nil {
		return "—"
	}
	return fmt.Sprintf("%s %s", num(c.Median), c.Spread)
}

func direction(unit string) string {
	if benchdata.HigherIsBetter(unit) {
		return "higher is better"
	}
	return "lower is better"
}

// writeReport writes the Markdown report; charts (nil: none) receives the
// SVG charts the report links to.
func writeReport(w io.Writer, m machine, secs []section, charts *chartDir) error {
	bw := bufio.NewWriter(w)
	p := func(format string, args ...any) { fmt.Fprintf(bw, format, args...) }
	p("# evodb writer: benchmark report\n\n")
	p("Generated by bench/cmd/benchreport (run by `make bench`, or `make bench-report`) from the raw `go test -bench` outputs listed below.\n\n")
	p("| | |\n|---|---|\n")
	p("| CPU | %s |\n| cores | %d |\n| kernels | %s |\n| Go | %s |\n| date | %s |\n", mdCell(m.CPU), m.Cores, mdCell(m.Kernels), mdCell(m.Go), mdCell(m.Date))
	p("| flags | %s |\n| pinning | %s |\n", mdCell(m.Flags), mdCell(m.Pin))
	var inputs []string
	for _, s := range secs {
		inputs = append(inputs, "`"+s.path+"`")
	}
	p("| raw results | %s |\n\n", strings.Join(inputs, ", "))
	p("Each cell is the median of the repetitions and, after it, the spread: the 95%% confidence interval of the median in percent, as benchstat computes it (∞: too few repetitions for one). ")
	p("Peers are measured in the same run as ours. \"× vs P\" is how many times faster ours is than P (above 1: ours is faster), from the two medians (for a size such as out-bytes: how many times smaller). A table without a peer says so in its peer column. See bench/README.md for the methodology.\n")
	for _, s := range secs {
		p("\n## %s\n", s.name)
		for _, t := range tablesOf(s.set) {
			p("\n### %s (%s, %s)\n\n", t.Base, t.Unit, direction(t.Unit))
			if _, numeric := numericCases(t.Cases); charts != nil && (t.Primary || numeric) && !strings.HasPrefix(t.Unit, "cpu-") {
				file, err := charts.draw(s.name, t)
				if err != nil {
					return err
				}
				if file != "" {
					p("![%s %s](%s)\n\n", t.Base, t.Unit, file)
				}
			}
			hdr := []string{"case", "ours"}
			for _, peer := range t.Peers {
				hdr = append(hdr, peer, "× vs "+peer)
			}
			if len(t.Peers) == 0 {
				hdr = append(hdr, "peer")
			}
			p("| %s |\n|%s\n", strings.Join(hdr, " | "), strings.Repeat("---|", len(hdr)))
			for _, r := range t.Rows {
				cells := []string{r.Case, r.Ours.String()}
				for _, peer := range t.Peers {
					pc := r.Peers[peer]
					cells = append(cells, pc.String())
					ratio := "—"
					if r.Ours != nil && pc != nil {
						if x, ok := speedup(t.Unit, r.Ours.Median, pc.Median); ok {
							ratio = fmt.Sprintf("%.2f×", x)
						}
					}
					cells = append(cells, ratio)
				}
				if len(t.Peers) == 0 {
					note, ok := noPeer[t.Base]
					if !ok {
						note = "none measured"
					}
					cells = append(cells, note)
				}
				p("| %s |\n", strings.Join(cells, " | "))
			}
		}
	}
	return bw.Flush()
}

// mdCell makes s safe inside a Markdown table cell.
func mdCell(s string) string {
	return strings.ReplaceAll(orDash(s), "|", `\|`)
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}
