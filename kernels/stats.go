package kernels

//go:generate go run -C ../asmgen ./stats -out ../kernels/stats_amd64.s -stubs ../kernels/stats_amd64.go -pkg kernels

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"math/bits"
)

// Column statistics: minimum, maximum and null count of a column chunk, as
// Parquet writes them in min_value, max_value and null_count.
//
// Values are passed dense: only the present (non-null) values, in order, as
// a Parquet page stores them. The nulls are described by a Nulls: a validity
// bitmap or definition levels. The order of comparison is Parquet's:
//
//   - integers compare as signed numbers;
//   - floats compare numerically and NaN takes no part; when every value is
//     NaN (or there is none) there is no minimum or maximum. -0.0 and +0.0 are
//     equal; a minimum of zero is reported as -0.0 and a maximum of zero as
//     +0.0, as the Parquet specification asks of writers, so that readers
//     filtering on either zero keep the chunk;
//   - byte strings compare as unsigned bytes, lexicographically (a prefix
//     sorts first).
//
// Distinct count: none of the Stats functions computes one. When a chunk was
// dictionary-encoded, the dictionary's Len is the exact number of distinct
// values (for floats: of distinct bit patterns, so each NaN payload and each
// zero counts apart) and costs nothing; a writer that has it stores it in
// Stats.DistinctCount and sets HasDistinctCount. Without a dictionary the
// field stays unset: Parquet makes it optional.

// ErrStats reports inconsistent arguments to a statistics function.
var ErrStats = errors.New("kernels: statistics")

// Nulls tells where a column chunk records its nulls. The zero value means
// "no nulls". Set at most one of Bitmap and Levels.
type Nulls struct {
	// Bitmap is a validity bitmap, least significant bit first: bit i set
	// means row i holds a value. It covers Rows rows and must hold at least
	// (Rows+7)/8 bytes; bits past Rows are ignored.
	Bitmap []byte
	Rows   int

	// Levels are definition levels, one per row or leaf slot: a value is
	// present where the level is MaxLevel and absent where it is lower.
	Levels   []uint8
	MaxLevel uint8
}

// Stats are the statistics of one column chunk. Min and Max are valid only
// when HasMinMax is set.
type Stats[T any] struct {
	Min, Max  T
	HasMinMax bool
	NullCount int

	// DistinctCount is filled by the caller, see the package's notes on
	// statistics; the Stats functions leave it unset.
	DistinctCount    int
	HasDistinctCount bool
}

// nullCount returns the number of nulls that nulls describes and checks that
// it leaves exactly present values.
func nullCount(where string, nulls Nulls, present int) (int, error) {
	switch {
	case nulls.Bitmap != nil && nulls.Levels != nil:
		return 0, fmt.Errorf("%w: %s given both a bitmap and levels", ErrStats, where)
	case nulls.Levels != nil:
		have, err := countLevels(nulls.Levels, nulls.MaxLevel)
		if err != nil {
			return 0, fmt.Errorf("%w: %s: %v", ErrStats, where, err)
		}
		if have != present {
			return 0, fmt.Errorf("%w: %s levels mark %d values present, have %d values",
				ErrStats, where, have, present)
		}
		return len(nulls.Levels) - have, nil
	case nulls.Bitmap != nil || nulls.Rows != 0:
		if nulls.Rows < 0 {
			return 0, fmt.Errorf("%w: %s bitmap rows %d, want >= 0", ErrStats, where, nulls.Rows)
		}
		if need := (nulls.Rows + 7) / 8; len(nulls.Bitmap) < need {
			return 0, fmt.Errorf("%w: %s bitmap of %d rows needs %d bytes, have %d",
				ErrShortBuffer, where, nulls.Rows, need, len(nulls.Bitmap))
		}
		have := countBits(nulls.Bitmap, nulls.Rows)
		if have != present {
			return 0, fmt.Errorf("%w: %s bitmap marks %d of %d rows present, have %d values",
				ErrStats, where, have, nulls.Rows, present)
		}
		return nulls.Rows - have, nil
	}
	return 0, nil
}

// countBits counts the set bits among the first n bits of bitmap.
func countBits(bitmap []byte, n int) int {
	c := 0
	full := n / 8
	i := 0
	for ; i+8 <= full; i += 8 {
		c += bits.OnesCount64(uint64(bitmap[i]) | uint64(bitmap[i+1])<<8 | uint64(bitmap[i+2])<<16 |
			uint64(bitmap[i+3])<<24 | uint64(bitmap[i+4])<<32 | uint64(bitmap[i+5])<<40 |
			uint64(bitmap[i+6])<<48 | uint64(bitmap[i+7])<<56)
	}
	for ; i < full; i++ {
		c += bits.OnesCount8(bitmap[i])
	}
	if r := n % 8; r != 0 {
		c += bits.OnesCount8(bitmap[full] & (1<<r - 1))
	}
	return c
}

// countLevels counts the levels equal to maxLevel and rejects higher ones.
func countLevels(levels []uint8, maxLevel uint8) (int, error) {
	c := 0
	for i, l := range levels {
		if l == maxLevel {
			c++
		} else if l > maxLevel {
			return 0, fmt.Errorf("definition level %d at %d exceeds the maximum %d", l, i, maxLevel)
		}
	}
	return c, nil
}

// statsBlock is the granule of the min/max kernels: they are given a
// multiple of statsBlock values, the portable code does the rest.
const statsBlock = 32

// MinMaxInt32 returns the smallest and largest of values; ok is false when
// values is empty.
func MinMaxInt32(values []int32) (lo, hi int32, ok bool) {
	if len(values) == 0 {
		return 0, 0, false
	}
	lo, hi = values[0], values[0]
	n := len(values) &^ (statsBlock - 1)
	if n > 0 {
		lo, hi = impl.minMaxInt32(values[:n])
	}
	for _, v := range values[n:] {
		lo, hi = min(lo, v), max(hi, v)
	}
	return lo, hi, true
}

// MinMaxInt64 returns the smallest and largest of values; ok is false when
// values is empty.
func MinMaxInt64(values []int64) (lo, hi int64, ok bool) {
	if len(values) == 0 {
		return 0, 0, false
	}
	lo, hi = values[0], values[0]
	n := len(values) &^ (statsBlock - 1)
	if n > 0 {
		lo, hi = impl.minMaxInt64(values[:n])
	}
	for _, v := range values[n:] {
		lo, hi = min(lo, v), max(hi, v)
	}
	return lo, hi, true
}

// MinMaxFloat32 returns the smallest and largest of the values that are not
// NaN, a zero minimum as -0.0 and a zero maximum as +0.0; ok is false when
// no value is a number.
func MinMaxFloat32(values []float32) (lo, hi float32, ok bool) {
	lo, hi = float32(math.Inf(1)), float32(math.Inf(-1))
	n := len(values) &^ (statsBlock - 1)
	if n > 0 {
		lo, hi, ok = impl.minMaxFloat32(values[:n])
	}
	for _, v := range values[n:] {
		if v == v {
			ok = true
			if v < lo {
				lo = v
			}
			if v > hi {
				hi = v
			}
		}
	}
	if !ok {
		return 0, 0, false
	}
	if lo == 0 {
		lo = float32(math.Copysign(0, -1))
	}
	if hi == 0 {
		hi = 0
	}
	return lo, hi, true
}

// MinMaxFloat64 returns the smallest and largest of the values that are not
// NaN, a zero minimum as -0.0 and a zero maximum as +0.0; ok is false when
// no value is a number.
func MinMaxFloat64(values []float64) (lo, hi float64, ok bool) {
	lo, hi = math.Inf(1), math.Inf(-1)
	n := len(values) &^ (statsBlock - 1)
	if n > 0 {
		lo, hi, ok = impl.minMaxFloat64(values[:n])
	}
	for _, v := range values[n:] {
		if v == v {
			ok = true
			if v < lo {
				lo = v
			}
			if v > hi {
				hi = v
			}
		}
	}
	if !ok {
		return 0, 0, false
	}
	if lo == 0 {
		lo = math.Copysign(0, -1)
	}
	if hi == 0 {
		hi = 0
	}
	return lo, hi, true
}

// MinMaxBytes returns the smallest and largest of the values
// slab[offsets[i]:offsets[i+1]] in unsigned lexicographic order. The results
// alias slab. ok is false when there is no value.
func MinMaxBytes(slab []byte, offsets []int32) (lo, hi []byte, ok bool, err error) {
	if err := checkOffsets("MinMaxBytes", slab, offsets); err != nil {
		return nil, nil, false, err
	}
	if len(offsets) < 2 {
		return nil, nil, false, nil
	}
	lo = slab[offsets[0]:offsets[1]]
	hi = lo
	for i := 1; i < len(offsets)-1; i++ {
		v := slab[offsets[i]:offsets[i+1]]
		if bytes.Compare(v, lo) < 0 {
			lo = v
		} else if bytes.Compare(v, hi) > 0 {
			hi = v
		}
	}
	return lo, hi, true, nil
}

// StatsInt32 computes the statistics of an INT32 column chunk whose present
// values are values and whose nulls nulls describes.
func StatsInt32(values []int32, nulls Nulls) (Stats[int32], error) {
	var s Stats[int32]
	var err error
	if s.NullCount, err = nullCount("StatsInt32", nulls, len(values)); err != nil {
		return Stats[int32]{}, err
	}
	s.Min, s.Max, s.HasMinMax = MinMaxInt32(values)
	return s, nil
}

// StatsInt64 computes the statistics of an INT64 column chunk whose present
// values are values and whose nulls nulls describes.
func StatsInt64(values []int64, nulls Nulls) (Stats[int64], error) {
	var s Stats[int64]
	var err error
	if s.NullCount, err = nullCount("StatsInt64", nulls, len(values)); err != nil {
		return Stats[int64]{}, err
	}
	s.Min, s.Max, s.HasMinMax = MinMaxInt64(values)
	return s, nil
}

// StatsFloat32 computes the statistics of a FLOAT column chunk whose present
// values are values and whose nulls nulls describes. NaN counts as a present
// value but takes no part in the minimum and maximum.
func StatsFloat32(values []float32, nulls Nulls) (Stats[float32], error) {
	var s Stats[float32]
	var err error
	if s.NullCount, err = nullCount("StatsFloat32", nulls, len(values)); err != nil {
		return Stats[float32]{}, err
	}
	s.Min, s.Max, s.HasMinMax = MinMaxFloat32(values)
	return s, nil
}

// StatsFloat64 computes the statistics of a DOUBLE column chunk whose present
// values are values and whose nulls nulls describes. NaN counts as a present
// value but takes no part in the minimum and maximum.
func StatsFloat64(values []float64, nulls Nulls) (Stats[float64], error) {
	var s Stats[float64]
	var err error
	if s.NullCount, err = nullCount("StatsFloat64", nulls, len(values)); err != nil {
		return Stats[float64]{}, err
	}
	s.Min, s.Max, s.HasMinMax = MinMaxFloat64(values)
	return s, nil
}

// StatsBytes computes the statistics of a BYTE_ARRAY column chunk whose
// present values are slab[offsets[i]:offsets[i+1]] and whose nulls nulls
// describes. Min and Max alias slab: copy them before reusing it.
func StatsBytes(slab []byte, offsets []int32, nulls Nulls) (Stats[[]byte], error) {
	var s Stats[[]byte]
	var err error
	lo, hi, ok, err := MinMaxBytes(slab, offsets)
	if err != nil {
		return Stats[[]byte]{}, fmt.Errorf("StatsBytes: %w", err)
	}
	present := max(len(offsets)-1, 0)
	if s.NullCount, err = nullCount("StatsBytes", nulls, present); err != nil {
		return Stats[[]byte]{}, err
	}
	s.Min, s.Max, s.HasMinMax = lo, hi, ok
	return s, nil
}

// The reference min/max kernels: len(v) > 0; the float kernels start from
// +Inf/-Inf and report whether any value was a number.

func minMaxInt32Ref(v []int32) (lo, hi int32) {
	lo, hi = v[0], v[0]
	for _, x := range v[1:] {
		lo, hi = min(lo, x), max(hi, x)
	}
	return lo, hi
}

func minMaxInt64Ref(v []int64) (lo, hi int64) {
	lo, hi = v[0], v[0]
	for _, x := range v[1:] {
		lo, hi = min(lo, x), max(hi, x)
	}
	return lo, hi
}

func minMaxFloat32Ref(v []float32) (lo, hi float32, ok bool) {
	lo, hi = float32(math.Inf(1)), float32(math.Inf(-1))
	for _, x := range v {
		if x == x {
			ok = true
			if x < lo {
				lo = x
			}
			if x > hi {
				hi = x
			}
		}
	}
	return lo, hi, ok
}

func minMaxFloat64Ref(v []float64) (lo, hi float64, ok bool) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, x := range v {
		if x == x {
			ok = true
			if x < lo {
				lo = x
			}
			if x > hi {
				hi = x
			}
		}
	}
	return lo, hi, ok
}
