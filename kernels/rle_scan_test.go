package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestRunScanner checks the runs of k or more equal values the encoder's
// scanner finds against a plain loop, on inputs that mix words of many
// short runs (where the scanner searches ahead) with long runs that start
// and end at every offset around word boundaries.
func TestRunScanner(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, k := range []int{2, 3, 6, 8, 15, 16} {
		for trial := range 200 {
			n := 1 + rng.IntN(400)
			src := make([]uint8, n)
			for i := 0; i < n; {
				if rng.IntN(3) == 0 {
					// A long run of 1s, its length around k and 64.
					l := max(1, k-2+rng.IntN(4)+64*rng.IntN(2))
					for j := i; j < min(i+l, n); j++ {
						src[j] = 1
					}
					i += l
				} else {
					// Noise: runs of one or two values.
					l := 1 + rng.IntN(90)
					for j := i; j < min(i+l, n); j++ {
						src[j] = uint8(2 + rng.IntN(2))
					}
					i += l
				}
			}
			var want [][2]int
			for i := 0; i < n; {
				j := i + 1
				for j < n && src[j] == src[i] {
					j++
				}
				if j-i >= k {
					want = append(want, [2]int{i, j})
				}
				i = j
			}
			buf, _ := equalMask(src)
			e := *buf
			runs := runScanner{e: e, n: n, k: k, k1: uint(k - 1), bm: ^e[0]}
			var got [][2]int
			for {
				s, end := runs.next()
				if s >= n {
					break
				}
				got = append(got, [2]int{s, end})
			}
			maskPool.Put(buf)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("%s: runs (-want +got):\n%s", fmt.Sprintf("k=%d/trial=%d/n=%d", k, trial, n), diff)
			}
		}
	}
}

// TestRunsUpTo checks the capped run count against runsIn: exact up to the
// limit, above it past the limit.
func TestRunsUpTo(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for trial := range 2000 {
		n := 1 + rng.IntN(700)
		src := make([]uint8, n)
		for i := range src {
			if rng.IntN(4) == 0 {
				src[i] = uint8(rng.IntN(3))
			} else if i > 0 {
				src[i] = src[i-1]
			}
		}
		buf, _ := equalMask(src)
		e := *buf
		a := rng.IntN(n)
		b := a + 1 + rng.IntN(n-a)
		limit := rng.IntN(b - a + 2)
		want := runsIn(e, a, b)
		got := runsUpTo(e, a, b, limit)
		maskPool.Put(buf)
		if (want <= limit && got != want) || (want > limit && got <= limit) {
			t.Fatalf("trial %d: runsUpTo(%d, %d, limit %d) = %d, runsIn = %d", trial, a, b, limit, got, want)
		}
	}
}
