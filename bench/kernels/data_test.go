package kernels

import "math/rand/v2"

// benchN is the number of values of every benchmark input: about one data
// page of levels.
const benchN = 64 * 1024

// levelsNullRuns returns n definition levels of an optional column: mostly
// 1 (present) with about 10% 0s (nulls) in runs of 1 to 16.
func levelsNullRuns(rng *rand.Rand, n int) []uint8 {
	out := make([]uint8, n)
	for i := range out {
		out[i] = 1
	}
	nulls := n / 10
	for nulls > 0 {
		l := min(1+rng.IntN(16), nulls)
		at := rng.IntN(n - l + 1)
		for j := at; j < at+l; j++ {
			if out[j] == 1 {
				out[j] = 0
				nulls--
			}
		}
	}
	return out
}

// levelsRandom returns n levels, each 0 or 1 at random.
func levelsRandom(rng *rand.Rand, n int) []uint8 {
	out := make([]uint8, n)
	for i := range out {
		out[i] = uint8(rng.IntN(2))
	}
	return out
}

// levelsNested returns n definition levels of a column nested three
// optional groups and a list deep (width 3): mostly the maximum 7, with
// runs of lower levels.
func levelsNested(rng *rand.Rand, n int) []uint8 {
	out := make([]uint8, 0, n)
	for len(out) < n {
		v := uint8(7)
		if rng.IntN(3) == 0 {
			v = uint8(rng.IntN(7))
		}
		l := 1 + rng.IntN(24)
		for j := 0; j < l && len(out) < n; j++ {
			out = append(out, v)
		}
	}
	return out
}

// levelsAll returns n levels equal to v: a column without nulls (v = 1)
// or all null (v = 0).
func levelsAll(n int, v uint8) []uint8 {
	out := make([]uint8, n)
	for i := range out {
		out[i] = v
	}
	return out
}

type levelCase struct {
	name  string
	width uint
	data  []uint8
}

func levelCases() []levelCase {
	rng := rand.New(rand.NewPCG(1, 2))
	return []levelCase{
		{"nullruns10pct/width=1", 1, levelsNullRuns(rng, benchN)},
		{"random01/width=1", 1, levelsRandom(rng, benchN)},
		{"nested/width=3", 3, levelsNested(rng, benchN)},
		{"nonulls/width=1", 1, levelsAll(benchN, 1)},
	}
}
