// Command benchcheck compares a fresh benchmark run with a baseline and
// fails on a regression of ours:
//
//	benchcheck [-threshold 10] [-alpha 0.05] -old baseline/a.txt,... -new results/a.txt,...
//
// For every benchmark of this project (impl=evodb, impl=ours, or no
// implementation named: the peers' benchmarks are not checked) present in
// both runs, it compares the ns/op samples with benchstat's test (the
// Mann-Whitney U test of golang.org/x/perf/benchmath, alpha 0.05). A
// benchmark regresses when the difference is significant and the median
// grew by more than the threshold (in percent). benchcheck prints one line
// per benchmark, names the regressions and exits with status 1 when there
// is any; it exits with status 2 on bad input, including samples too small
// for the test ever to find a difference significant.
package main

import (
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/evodb/writer/bench/internal/benchdata"
	"golang.org/x/perf/benchmath"
)

func main() {
	threshold := flag.Float64("threshold", 10, "smallest slowdown, in percent, that counts as a regression")
	alpha := flag.Float64("alpha", 0.05, "significance level of the test")
	oldFiles := flag.String("old", "", "comma-separated baseline result files")
	newFiles := flag.String("new", "", "comma-separated fresh result files")
	flag.Parse()
	if *oldFiles == "" || *newFiles == "" || flag.NArg() != 0 {
		fmt.Fprintln(os.Stderr, "usage: benchcheck [-threshold 10] [-alpha 0.05] -old a.txt,... -new b.txt,...")
		os.Exit(2)
	}
	old, err := benchdata.ReadFiles(strings.Split(*oldFiles, ",")...)
	if err == nil {
		var cur *benchdata.Set
		cur, err = benchdata.ReadFiles(strings.Split(*newFiles, ",")...)
		if err == nil {
			var regs []string
			regs, err = check(os.Stdout, old, cur, *threshold, *alpha)
			if err == nil && len(regs) > 0 {
				fmt.Fprintf(os.Stderr, "benchcheck: %d regression(s) above %g%%:\n", len(regs), *threshold)
				for _, r := range regs {
					fmt.Fprintln(os.Stderr, "  "+r)
				}
				os.Exit(1)
			}
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchcheck:", err)
		os.Exit(2)
	}
}

// unit is what is compared: time per operation as go test prints it.
const unit = "ns/op"

// check compares every benchmark of ours present in both sets, prints a
// table to w and returns the regressions, each named with its change.
func check(w io.Writer, old, cur *benchdata.Set, threshold, alpha float64) ([]string, error) {
	thr := &benchmath.Thresholds{CompareAlpha: alpha}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "benchmark\tbaseline ns/op\tnew ns/op\tchange\tp\tverdict")
	var regs []string
	compared := 0
	var missing, unbased []string
	for _, name := range old.Names() {
		if !ours(name) {
			continue
		}
		ov := old.Values[benchdata.Key{Name: name, Unit: unit}]
		nv := cur.Values[benchdata.Key{Name: name, Unit: unit}]
		if len(ov) == 0 {
			continue
		}
		if len(nv) == 0 {
			missing = append(missing, name)
			continue
		}
		if p := minP(len(ov), len(nv)); p >= alpha {
			return nil, fmt.Errorf("%s: %d baseline and %d new samples: the test cannot reach p < %g with so few (smallest possible p = %.3f); run with a larger -count (6 or more on each side)", name, len(ov), len(nv), alpha, p)
		}
		compared++
		osm := benchmath.NewSample(slices.Clone(ov), thr)
		ns := benchmath.NewSample(slices.Clone(nv), thr)
		c := benchmath.AssumeNothing.Compare(osm, ns)
		om, nm := benchdata.Median(ov), benchdata.Median(nv)
		change := (nm/om - 1) * 100
		verdict := "~ (no significant difference)"
		switch {
		case c.P < alpha && change > threshold:
			verdict = "REGRESSION"
			regs = append(regs, fmt.Sprintf("%s: %+.1f%% (%.4g → %.4g ns/op, p=%.3f, n=%d+%d)", name, change, om, nm, c.P, len(ov), len(nv)))
		case c.P < alpha && change > 0:
			verdict = fmt.Sprintf("slower, within %g%%", threshold)
		case c.P < alpha:
			verdict = "faster"
		}
		fmt.Fprintf(tw, "%s\t%.4g\t%.4g\t%+.1f%%\t%.3f\t%s\n", name, om, nm, change, c.P, verdict)
	}
	if err := tw.Flush(); err != nil {
		return nil, err
	}
	for _, name := range cur.Names() {
		if ours(name) && len(old.Values[benchdata.Key{Name: name, Unit: unit}]) == 0 && len(cur.Values[benchdata.Key{Name: name, Unit: unit}]) > 0 {
			unbased = append(unbased, name)
		}
	}
	if len(missing) > 0 {
		fmt.Fprintf(w, "%d baseline benchmark(s) not in the new run (not checked): %s\n", len(missing), strings.Join(missing, ", "))
	}
	if len(unbased) > 0 {
		fmt.Fprintf(w, "%d new benchmark(s) without a baseline (not checked): %s\n", len(unbased), strings.Join(unbased, ", "))
	}
	if compared == 0 {
		return nil, fmt.Errorf("no benchmark of ours is in both the baseline and the new run")
	}
	fmt.Fprintf(w, "%d benchmark(s) compared, %d regression(s) above %g%% at alpha %g\n", compared, len(regs), threshold, alpha)
	return regs, nil
}

func ours(name string) bool {
	_, _, impl := benchdata.Split(strings.TrimPrefix(name, "Benchmark"))
	return benchdata.IsOurs(impl)
}

// minP is the smallest two-sided p-value the Mann-Whitney U test can give
// for samples of n1 and n2 values: 2 / C(n1+n2, n1).
func minP(n1, n2 int) float64 {
	c := 1.0
	for i := 1; i <= n1; i++ {
		c = c * float64(n2+i) / float64(i)
	}
	return math.Min(1, 2/c)
}
