package kernels

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"unsafe"
)

// nullShapedLevels returns n levels of width 1 shaped as definition levels
// with nulls: long runs of 1 (present) between null runs, single or close
// together, with lengths around where the width-1 steps decide: k = 16
// (short or long), 64 to 72 (where A can shrink a run's header), 8 (a
// group) and, when long is set, 1<<13 (too long for the kernel).
func nullShapedLevels(rng *rand.Rand, n int, long bool) []uint8 {
	out := make([]uint8, 0, n)
	put := func(v uint8, l int) {
		for range min(l, n-len(out)) {
			out = append(out, v)
		}
	}
	lengths := []int{1, 2, 7, 8, 9, 15, 16, 17, 56, 57, 63, 64, 65, 66, 70, 71, 72, 73}
	for len(out) < n {
		var l int
		switch rng.IntN(5) {
		case 0:
			l = lengths[rng.IntN(len(lengths))]
		case 1:
			l = 16 + rng.IntN(200)
		case 2:
			l = 1 + rng.IntN(16)
		case 3:
			if long {
				l = (1 << 13) - 3 + rng.IntN(6)
			} else {
				l = 60 + rng.IntN(16)
			}
		default:
			l = 64 + rng.IntN(64)
		}
		put(1, l)
		// One null run, or a cluster of short runs (nulls close together,
		// sometimes more than the kernel prices).
		runs := 1
		if rng.IntN(3) == 0 {
			runs = 2 + rng.IntN(20)
		}
		v := uint8(0)
		for i := 0; i < runs; i++ {
			put(v, 1+rng.IntN(15))
			v ^= 1
		}
	}
	return out
}

// TestRunsRLE1MatchesRef calls every implementation's runsRLE1 with the
// states and limits the encoder hands it, inputs that end right before an
// inaccessible page (on Linux) and guard bytes past limit+runs1Slack, and
// compares what it writes, its new state and how it stopped with
// runsRLE1Ref's.
func TestRunsRLE1MatchesRef(t *testing.T) {
	const maxN = 40000
	srcGuard := newGuard(t, maxN)
	maskGuard := newGuard(t, 8*(maxN/64+2))
	rng := rand.New(rand.NewPCG(31, 32))
	trials := 300
	if testing.Short() {
		trials = 40
	}
	forEachImpl(t, func(t *testing.T) {
		if impl.runsRLE1 == nil {
			t.Skipf("%s has no runsRLE1 kernel", Implementation())
		}
		var hows [3]int
		defer func() {
			// Both ways of stopping were tried.
			if hows[runsLimit] == 0 || hows[runsGeneral] == 0 {
				t.Errorf("stops tried: %d at limit, %d before a step left to the caller", hows[runsLimit], hows[runsGeneral])
			}
		}()
		for trial := range trials {
			n := 1 + rng.IntN(3000)
			if trial%8 == 0 {
				n = 1 + rng.IntN(maxN)
			}
			levels := nullShapedLevels(rng, n, trial%8 == 0)
			src := srcGuard(n)
			copy(src, levels)
			buf, _ := equalMask(src)
			words := (n + 63) / 64
			eb := maskGuard(8 * (words + 1))
			e := unsafe.Slice((*uint64)(unsafe.Pointer(&eb[0])), words+1)
			copy(e, *buf)
			maskPool.Put(buf)
			starts := runStarts(levels)
			for range 4 {
				p := starts[rng.IntN(len(starts))]
				st := restartAt(e, p)
				if p%64 == 0 && p > 0 && rng.IntN(2) == 0 {
					// The scanner's state after the run end just before p.
					st = runState{p: p, wi: p/64 - 1, bm: 0}
				}
				prefix := rng.IntN(20)
				spare := runs1Slack + 1 + rng.IntN(80)
				if rng.IntN(2) == 0 {
					spare = runs1Slack + 1 + rng.IntN(2*n+100)
				}
				limit := prefix + rng.IntN(spare-runs1Slack)
				what := fmt.Sprintf("%d values, from %d, prefix %d, limit %d, spare %d", n, p, prefix, limit, spare)

				run := func(f func([]byte, []uint8, []uint64, runState, int) ([]byte, runState, int)) ([]byte, runState, int) {
					mem := make([]byte, prefix+spare+16)
					for i := range mem {
						mem[i] = 0xA5
					}
					dst := mem[: prefix : prefix+spare]
					out, st, how := f(dst, src, e, st, limit)
					for i := limit + runs1Slack; i < len(mem); i++ {
						if i >= len(out) && mem[i] != 0xA5 {
							t.Fatalf("%s: %s wrote byte %d, past limit+%d", what, Implementation(), i, runs1Slack)
						}
					}
					return slices.Clone(out), st, how
				}
				want, wantSt, wantHow := run(runsRLE1Ref)
				got, gotSt, gotHow := run(impl.runsRLE1)
				hows[wantHow]++
				if !slices.Equal(got, want) || gotSt != wantSt || gotHow != wantHow {
					t.Fatalf("%s: %s wrote %x, state %+v, how %d; runsRLE1Ref %x, %+v, %d", what, Implementation(), got, gotSt, gotHow, want, wantSt, wantHow)
				}
			}
		}
	})
}

// TestRLEKernel1LevelsMatchPlain encodes null-shaped levels of width 1,
// through the width-1 kernel where there is one, and compares with the
// plain decision procedure, appended after a prefix to a slice without
// spare capacity and to one with little.
func TestRLEKernel1LevelsMatchPlain(t *testing.T) {
	rng := rand.New(rand.NewPCG(33, 34))
	trials := 200
	if testing.Short() {
		trials = 30
	}
	forEachImpl(t, func(t *testing.T) {
		for trial := range trials {
			n := 1 + rng.IntN(5000)
			if trial%10 == 0 {
				n += 30000
			}
			levels := nullShapedLevels(rng, n, trial%10 == 0)
			want, err := appendRLEPlain(nil, levels, 1)
			if err != nil {
				t.Fatal(err)
			}
			for _, spare := range []int{0, 100} {
				prefix := make([]byte, 1, 1+spare)
				prefix[0] = 7
				got, err := AppendRLELevels(prefix, levels, 1)
				if err != nil {
					t.Fatal(err)
				}
				if diff := sliceDiff(want, got[1:]); diff != "" || got[0] != 7 {
					t.Fatalf("%d levels, spare %d: AppendRLELevels differs from the plain procedure (-plain +got):\n%s", n, spare, diff)
				}
			}
		}
	})
}
