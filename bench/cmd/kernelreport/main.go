// Command kernelreport summarises kernel benchmarks run side by side with
// their peers. It reads `go test -bench` output (a file named on the command
// line, or standard input), keeps the sub-benchmarks named
//
//	BenchmarkKernel<Name>/<case>/impl=<implementation>
//
// that report an ns/value metric, takes the median over repetitions, and
// prints one row per kernel and case: our time (impl=evodb), each peer's,
// and the ratio peer/ours (above 1: we are faster).
package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
)

const ours = "evodb"

// key names one measured row.
type key struct{ kernel, cas string }

// report holds the samples of every (kernel, case, implementation), with
// kernels, cases and peers in the order they first appear.
type report struct {
	samples map[key]map[string][]float64
	rows    []key
	peers   []string
}

func main() {
	in := io.Reader(os.Stdin)
	switch len(os.Args) {
	case 1:
	case 2:
		f, err := os.Open(os.Args[1])
		if err != nil {
			fmt.Fprintln(os.Stderr, "kernelreport:", err)
			os.Exit(1)
		}
		defer f.Close()
		in = f
	default:
		fmt.Fprintln(os.Stderr, "usage: kernelreport [bench-output-file]")
		os.Exit(2)
	}
	r, err := parse(in)
	if err != nil {
		fmt.Fprintln(os.Stderr, "kernelreport:", err)
		os.Exit(1)
	}
	if len(r.rows) == 0 {
		fmt.Fprintln(os.Stderr, "kernelreport: no BenchmarkKernel*/.../impl=* results with an ns/value metric")
		os.Exit(1)
	}
	if err := r.print(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "kernelreport:", err)
		os.Exit(1)
	}
}

// parse reads benchmark output and collects the ns/value samples.
func parse(in io.Reader) (*report, error) {
	r := &report{samples: map[key]map[string][]float64{}}
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		k, impl, v, ok := parseLine(sc.Text())
		if !ok {
			continue
		}
		byImpl, seen := r.samples[k]
		if !seen {
			byImpl = map[string][]float64{}
			r.samples[k] = byImpl
			r.rows = append(r.rows, k)
		}
		byImpl[impl] = append(byImpl[impl], v)
		if impl != ours && !slices.Contains(r.peers, impl) {
			r.peers = append(r.peers, impl)
		}
	}
	return r, sc.Err()
}

// parseLine extracts kernel, case, implementation and ns/value from one
// result line such as
//
//	BenchmarkKernelUnpack32/w=3/impl=evodb-2  1000  200 ns/op  0.05 ns/value
func parseLine(line string) (k key, impl string, v float64, ok bool) {
	fields := strings.Fields(line)
	if len(fields) < 4 || !strings.HasPrefix(fields[0], "BenchmarkKernel") {
		return key{}, "", 0, false
	}
	name := strings.TrimPrefix(fields[0], "BenchmarkKernel")
	// Drop the -GOMAXPROCS suffix.
	if i := strings.LastIndexByte(name, '-'); i > 0 {
		if _, err := strconv.Atoi(name[i+1:]); err == nil {
			name = name[:i]
		}
	}
	parts := strings.Split(name, "/")
	if len(parts) < 3 || !strings.HasPrefix(parts[len(parts)-1], "impl=") {
		return key{}, "", 0, false
	}
	impl = strings.TrimPrefix(parts[len(parts)-1], "impl=")
	k = key{kernel: parts[0], cas: strings.Join(parts[1:len(parts)-1], "/")}
	for i := 2; i+1 < len(fields); i++ {
		if fields[i+1] == "ns/value" {
			f, err := strconv.ParseFloat(fields[i], 64)
			if err != nil {
				return key{}, "", 0, false
			}
			return k, impl, f, true
		}
	}
	return key{}, "", 0, false
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// print writes the table, rows grouped by kernel in order of appearance.
func (r *report) print(out io.Writer) error {
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	header := []string{"kernel", "case", "ours ns/value"}
	for _, p := range r.peers {
		header = append(header, p+" ns/value", p+"/ours")
	}
	fmt.Fprintln(tw, strings.Join(header, "\t")+"\t")
	var kernels []string
	for _, k := range r.rows {
		if !slices.Contains(kernels, k.kernel) {
			kernels = append(kernels, k.kernel)
		}
	}
	for _, kern := range kernels {
		for _, k := range r.rows {
			if k.kernel != kern {
				continue
			}
			byImpl := r.samples[k]
			cells := []string{k.kernel, k.cas, "-"}
			o, haveOurs := byImpl[ours]
			var om float64
			if haveOurs {
				om = median(o)
				cells[2] = fmt.Sprintf("%.4f", om)
			}
			for _, p := range r.peers {
				s, ok := byImpl[p]
				if !ok {
					cells = append(cells, "-", "-")
					continue
				}
				pm := median(s)
				ratio := "-"
				if haveOurs && om > 0 {
					ratio = fmt.Sprintf("%.2fx", pm/om)
				}
				cells = append(cells, fmt.Sprintf("%.4f", pm), ratio)
			}
			fmt.Fprintln(tw, strings.Join(cells, "\t")+"\t")
		}
	}
	return tw.Flush()
}
