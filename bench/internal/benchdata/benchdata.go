// Package benchdata reads `go test -bench` output (with
// golang.org/x/perf/benchfmt) and groups the measurements the way the
// side-by-side benchmarks of this module name them:
//
//	Benchmark<Name>/<case...>/impl=<implementation>[/<variant...>]
//
// The implementation component is impl=X or how=X, or one of the bare names
// ours, evodb, parquet-go, arrow-go, duckdb*. "ours" and "evodb" are this
// project; every other implementation is a peer. A benchmark without an
// implementation component measures ours alone. Values are kept exactly as
// `go test` printed them (original units such as ns/op, ns/value, rows/s).
package benchdata

import (
	"fmt"
	"os"
	"slices"
	"strings"

	"golang.org/x/perf/benchfmt"
)

// Key names one measured series: a benchmark (full name without the
// Benchmark prefix and the -GOMAXPROCS suffix, e.g.
// "KernelUnpack32/w=8/impl=evodb") in one unit.
type Key struct {
	Name string
	Unit string
}

// Set holds every series read, in order of first appearance, and the
// file-level configuration lines (goos, cpu, pkg, evodb-kernels, ...).
type Set struct {
	Values map[Key][]float64
	Order  []Key
	Config map[string]string
}

// ReadFiles parses each file and merges the results into one Set.
func ReadFiles(paths ...string) (*Set, error) {
	s := &Set{Values: map[Key][]float64{}, Config: map[string]string{}}
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			return nil, err
		}
		err = s.read(f, p)
		f.Close()
		if err != nil {
			return nil, err
		}
	}
	return s, nil
}

// Read parses benchmark output from r; name is used in error messages.
func Read(r interface{ Read([]byte) (int, error) }, name string) (*Set, error) {
	s := &Set{Values: map[Key][]float64{}, Config: map[string]string{}}
	if err := s.read(r, name); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *Set) read(r interface{ Read([]byte) (int, error) }, name string) error {
	br := benchfmt.NewReader(r, name)
	for br.Scan() {
		switch rec := br.Result().(type) {
		case *benchfmt.SyntaxError:
			return fmt.Errorf("%s:%d: %s", rec.FileName, rec.Line, rec.Msg)
		case *benchfmt.Result:
			for _, c := range rec.Config {
				if c.File {
					if _, seen := s.Config[c.Key]; !seen {
						s.Config[c.Key] = string(c.Value)
					}
				}
			}
			base, parts := rec.Name.Parts()
			full := string(base)
			for _, p := range parts {
				if strings.HasPrefix(string(p), "-") {
					continue // the -GOMAXPROCS suffix
				}
				full += string(p)
			}
			for _, v := range rec.Values {
				k := Key{Name: full, Unit: v.OrigUnit}
				if k.Unit == "" {
					k.Unit = v.Unit
				}
				val := v.OrigValue
				if v.OrigUnit == "" {
					val = v.Value
				}
				if _, seen := s.Values[k]; !seen {
					s.Order = append(s.Order, k)
				}
				s.Values[k] = append(s.Values[k], val)
			}
		}
	}
	return br.Err()
}

// Names returns the benchmark names in order of first appearance.
func (s *Set) Names() []string {
	var names []string
	for _, k := range s.Order {
		if !slices.Contains(names, k.Name) {
			names = append(names, k.Name)
		}
	}
	return names
}

// Units returns the units name was measured in, in order of appearance.
func (s *Set) Units(name string) []string {
	var units []string
	for _, k := range s.Order {
		if k.Name == name {
			units = append(units, k.Unit)
		}
	}
	return units
}

// Split cuts a benchmark name (as in Key) into its
// base name, the case (components before the implementation), and the
// implementation label (the implementation followed by any later
// components, e.g. "ours/zstd3"). impl is "" when no component names one.
func Split(name string) (base, cas, impl string) {
	parts := strings.Split(name, "/")
	base = parts[0]
	for i := 1; i < len(parts); i++ {
		if label, ok := implOf(parts[i]); ok {
			cas = strings.Join(parts[1:i], "/")
			impl = strings.Join(append([]string{label}, parts[i+1:]...), "/")
			return base, cas, impl
		}
	}
	return base, strings.Join(parts[1:], "/"), ""
}

func implOf(part string) (string, bool) {
	for _, prefix := range []string{"impl=", "how="} {
		if v, ok := strings.CutPrefix(part, prefix); ok {
			return v, true
		}
	}
	switch {
	case part == "ours", part == "evodb", part == "parquet-go", part == "arrow-go",
		strings.HasPrefix(part, "duckdb"):
		return part, true
	}
	return "", false
}

// IsOurs reports whether an implementation label (from Split) is this
// project's: "ours", "evodb", a variant of one of them, or "" (a benchmark
// that names no implementation measures ours alone).
func IsOurs(impl string) bool {
	first, _, _ := strings.Cut(impl, "/")
	return first == "" || first == "ours" || first == "evodb"
}

// Median returns the median of xs (the mean of the two middle values for an
// even count) without reordering xs.
func Median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// HigherIsBetter reports whether larger values of unit are better (a rate
// such as rows/s or MB/s) rather than worse (a time or a count per item).
func HigherIsBetter(unit string) bool {
	return strings.HasSuffix(unit, "/s")
}
