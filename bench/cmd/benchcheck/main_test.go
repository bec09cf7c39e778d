package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/evodb/writer/bench/internal/benchdata"
	"github.com/google/go-cmp/cmp"
)

func read(t *testing.T, name string) *benchdata.Set {
	t.Helper()
	s, err := benchdata.ReadFiles(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// The fixtures hold six repetitions of three benchmarks of ours and one of
// a peer, each value within ±3% of a fixed centre: noise.txt is a second
// draw of base.txt, slower.txt makes MinMaxInt64 30% slower, peer-slower.txt
// makes the peer 50% slower.
func TestCheck(t *testing.T) {
	tests := []struct {
		name      string
		fresh     string
		threshold float64
		want      []string // names of the regressions
	}{
		{"noise only passes", "noise.txt", 10, nil},
		{"a 30% slower kernel fails", "slower.txt", 10, []string{"KernelMinMaxInt64/rand/impl=evodb"}},
		{"a 30% slowdown under a 40% threshold passes", "slower.txt", 40, nil},
		{"a slower peer is not ours to check", "peer-slower.txt", 10, nil},
		{"the baseline against itself passes", "base.txt", 10, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out strings.Builder
			regs, err := check(&out, read(t, "base.txt"), read(t, tc.fresh), tc.threshold, 0.05)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, r := range regs {
				name, _, _ := strings.Cut(r, ":")
				names = append(names, name)
			}
			if diff := cmp.Diff(tc.want, names); diff != "" {
				t.Errorf("regressions (-want +got):\n%s\noutput:\n%s", diff, out.String())
			}
			if !strings.Contains(out.String(), "3 benchmark(s) compared") {
				t.Errorf("output does not say three benchmarks of ours were compared:\n%s", out.String())
			}
		})
	}
}

func TestCheckRejectsTooFewSamples(t *testing.T) {
	two := "BenchmarkKernelX/a/impl=evodb-2 100 10 ns/op\nBenchmarkKernelX/a/impl=evodb-2 100 11 ns/op\n"
	old, err := benchdata.Read(strings.NewReader(two), "old")
	if err != nil {
		t.Fatal(err)
	}
	cur, err := benchdata.Read(strings.NewReader(strings.ReplaceAll(two, " 1", " 9")), "new")
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	_, err = check(&out, old, cur, 10, 0.05)
	if err == nil || !strings.Contains(err.Error(), "KernelX/a/impl=evodb") || !strings.Contains(err.Error(), "-count") {
		t.Fatalf("check with 2+2 samples: err = %v, want an error naming the benchmark and -count", err)
	}
}

func TestCheckNothingInCommon(t *testing.T) {
	other, err := benchdata.Read(strings.NewReader("BenchmarkOther/impl=evodb-2 1 5 ns/op\n"), "other")
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	if _, err := check(&out, read(t, "base.txt"), other, 10, 0.05); err == nil {
		t.Fatal("check with no common benchmark succeeded, want an error")
	}
}

func TestMinP(t *testing.T) {
	for _, tc := range []struct {
		n1, n2 int
		want   float64
	}{{2, 2, 2.0 / 6}, {3, 3, 2.0 / 20}, {4, 4, 2.0 / 70}, {6, 6, 2.0 / 924}} {
		if got := minP(tc.n1, tc.n2); got-tc.want > 1e-12 || tc.want-got > 1e-12 {
			t.Errorf("minP(%d, %d) = %v, want %v", tc.n1, tc.n2, got, tc.want)
		}
	}
}
