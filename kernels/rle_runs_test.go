package kernels

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"unsafe"
)

// runShapedLevels returns n levels below 1<<width in runs whose lengths
// cluster where the run kernel decides: around k (short or long), around
// 64 (a one- or two-byte header) and, when long is set, around 1<<13 (too
// long for the kernel's header).
func runShapedLevels(rng *rand.Rand, n int, width uint, long bool) []uint8 {
	k := minRLERun(width)
	out := make([]uint8, 0, n)
	for len(out) < n {
		v := uint8(rng.IntN(1 << width))
		var l int
		switch rng.IntN(6) {
		case 0:
			l = max(1, k-2+rng.IntN(5))
		case 1:
			l = 60 + rng.IntN(10)
		case 2:
			l = 1 + rng.IntN(3)
		case 3:
			l = 1 + rng.IntN(200)
		case 4:
			if long {
				l = (1 << 13) - 2 + rng.IntN(5)
			} else {
				l = 1 + rng.IntN(30)
			}
		default:
			l = 1 + rng.IntN(k+1)
		}
		for range min(l, n-len(out)) {
			out = append(out, v)
		}
	}
	return out
}

// runStarts returns the indexes at which a run of src starts.
func runStarts(src []uint8) []int {
	starts := []int{0}
	for i := 1; i < len(src); i++ {
		if src[i] != src[i-1] {
			starts = append(starts, i)
		}
	}
	return starts
}

// TestRunsRLE8MatchesRef calls every implementation's runsRLE8 with the
// states and limits the encoder hands it, inputs that end right before an
// inaccessible page (on Linux) and guard bytes past limit+3, and compares
// what it writes, its new state and how it stopped with runsRLE8Ref's.
func TestRunsRLE8MatchesRef(t *testing.T) {
	const maxN = 20000
	srcGuard := newGuard(t, maxN)
	maskGuard := newGuard(t, 8*(maxN/64+2))
	rng := rand.New(rand.NewPCG(21, 22))
	trials := 300
	if testing.Short() {
		trials = 40
	}
	forEachImpl(t, func(t *testing.T) {
		if impl.runsRLE8 == nil {
			t.Skipf("%s has no runsRLE8 kernel", Implementation())
		}
		var hows [3]int
		defer func() {
			// Every way of stopping was tried.
			if hows[runsLimit] == 0 || hows[runsStretch] == 0 || hows[runsGeneral] == 0 {
				t.Errorf("stops tried (limit, stretch, general): %v", hows)
			}
		}()
		for trial := range trials {
			width := uint(2 + rng.IntN(7))
			n := 1 + rng.IntN(3000)
			if trial%8 == 0 {
				n = 1 + rng.IntN(maxN)
			}
			levels := runShapedLevels(rng, n, width, trial%8 == 0)
			src := srcGuard(n)
			copy(src, levels)
			buf, _ := equalMask(src)
			words := (n + 63) / 64
			eb := maskGuard(8 * (words + 1))
			e := unsafe.Slice((*uint64)(unsafe.Pointer(&eb[0])), words+1)
			copy(e, *buf)
			maskPool.Put(buf)
			k := minRLERun(width)
			starts := runStarts(levels)
			for range 4 {
				p := starts[rng.IntN(len(starts))]
				st := runState{p: p, wi: p / 64, bm: ^e[p/64] &^ (1<<(uint(p)%64) - 1)}
				if p%64 == 0 && p > 0 && rng.IntN(2) == 0 {
					// The scanner's state after the run end just before p.
					st = runState{p: p, wi: p/64 - 1, bm: 0}
				}
				prefix := rng.IntN(20)
				spare := 10 + rng.IntN(80)
				if rng.IntN(2) == 0 {
					spare = 10 + rng.IntN(3*n+100)
				}
				limit := prefix + rng.IntN(spare-9)
				what := fmt.Sprintf("width %d, %d values, from %d, prefix %d, limit %d, spare %d", width, n, p, prefix, limit, spare)

				run := func(f func([]byte, []uint8, []uint64, runState, int, int) ([]byte, runState, int)) ([]byte, runState, int) {
					mem := make([]byte, prefix+spare+16)
					for i := range mem {
						mem[i] = 0xA5
					}
					dst := mem[: prefix : prefix+spare]
					out, st, how := f(dst, src, e, st, k, limit)
					for i := limit + 3; i < len(mem); i++ {
						if i >= len(out) && mem[i] != 0xA5 {
							t.Fatalf("%s: %s wrote byte %d, past limit+3", what, Implementation(), i)
						}
					}
					return slices.Clone(out), st, how
				}
				want, wantSt, wantHow := run(runsRLE8Ref)
				got, gotSt, gotHow := run(impl.runsRLE8)
				hows[wantHow]++
				if !slices.Equal(got, want) || gotSt != wantSt || gotHow != wantHow {
					t.Fatalf("%s: %s wrote %x, state %+v, how %d; runsRLE8Ref %x, %+v, %d", what, Implementation(), got, gotSt, gotHow, want, wantSt, wantHow)
				}
			}
		}
	})
}

// TestRLEKernelLevelsMatchPlain encodes run-shaped levels of widths 2..8,
// through the run kernel where there is one, and compares with the plain
// decision procedure.
func TestRLEKernelLevelsMatchPlain(t *testing.T) {
	rng := rand.New(rand.NewPCG(23, 24))
	trials := 200
	if testing.Short() {
		trials = 30
	}
	forEachImpl(t, func(t *testing.T) {
		for trial := range trials {
			width := uint(2 + rng.IntN(7))
			n := 1 + rng.IntN(5000)
			if trial%10 == 0 {
				n += 30000
			}
			levels := runShapedLevels(rng, n, width, trial%10 == 0)
			want, err := appendRLEPlain(nil, levels, width)
			if err != nil {
				t.Fatal(err)
			}
			// Appended after a prefix, into a slice with no spare capacity.
			got, err := AppendRLELevels([]byte{7}, levels, width)
			if err != nil {
				t.Fatal(err)
			}
			if diff := sliceDiff(want, got[1:]); diff != "" || got[0] != 7 {
				t.Fatalf("width %d, %d levels: AppendRLELevels differs from the plain procedure (-plain +got):\n%s", width, n, diff)
			}
		}
	})
}
