package kernels

import (
	"math/rand/v2"
	"strconv"
)

// deltaInput is one benchmark and interop input: the same values go to our
// encoder and to parquet-go's.
type deltaInput[T int32 | int64] struct {
	name   string
	values []T
}

// deltaBenchLen is the number of values per benchmark input: 64 blocks.
const deltaBenchLen = 8192

// deltaInputs64 returns the int64 inputs: random values of a few bit widths,
// sorted timestamps in microseconds with jitter, and LSN-like sequences
// that grow by 1 to 3.
func deltaInputs64(n int) []deltaInput[int64] {
	rng := rand.New(rand.NewPCG(2026, 11))
	var ins []deltaInput[int64]
	for _, w := range []uint{4, 12, 24, 48} {
		v := make([]int64, n)
		for i := range v {
			v[i] = int64(rng.Uint64() >> (64 - w))
		}
		ins = append(ins, deltaInput[int64]{name: "random-w" + strconv.Itoa(int(w)), values: v})
	}
	ts := make([]int64, n)
	t := int64(1_764_115_200_000_000) // 2025-11-26 00:00:00 UTC in µs
	for i := range ts {
		t += 250 + rng.Int64N(500)
		ts[i] = t + rng.Int64N(40) - 20 // jitter: not strictly sorted
	}
	ins = append(ins, deltaInput[int64]{name: "timestamps", values: ts})
	lsn := make([]int64, n)
	l := int64(90_000_000_000)
	for i := range lsn {
		l += 1 + rng.Int64N(3)
		lsn[i] = l
	}
	ins = append(ins, deltaInput[int64]{name: "lsn", values: lsn})
	return ins
}

// deltaInputs32 returns the int32 inputs: random values of a few bit
// widths, sorted timestamps in seconds with jitter, and LSN-like sequences.
func deltaInputs32(n int) []deltaInput[int32] {
	rng := rand.New(rand.NewPCG(2026, 12))
	var ins []deltaInput[int32]
	for _, w := range []uint{4, 12, 24} {
		v := make([]int32, n)
		for i := range v {
			v[i] = int32(rng.Uint32() >> (32 - w))
		}
		ins = append(ins, deltaInput[int32]{name: "random-w" + strconv.Itoa(int(w)), values: v})
	}
	ts := make([]int32, n)
	t := int32(1_764_115_200)
	for i := range ts {
		t += rng.Int32N(3)
		ts[i] = t + rng.Int32N(4) - 2
	}
	ins = append(ins, deltaInput[int32]{name: "timestamps", values: ts})
	lsn := make([]int32, n)
	l := int32(1 << 20)
	for i := range lsn {
		l += 1 + rng.Int32N(3)
		lsn[i] = l
	}
	ins = append(ins, deltaInput[int32]{name: "lsn", values: lsn})
	return ins
}
