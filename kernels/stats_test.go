package kernels

import (
	"bytes"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// oracleMinMax finds the extremes by sorting the numbers among values: an
// oracle written differently from the kernels.
func oracleMinMax[T int32 | int64 | float32 | float64](values []T) (lo, hi T, ok bool) {
	var nums []T
	for _, v := range values {
		if v == v {
			nums = append(nums, v)
		}
	}
	if len(nums) == 0 {
		return 0, 0, false
	}
	slices.Sort(nums)
	return nums[0], nums[len(nums)-1], true
}

// sameFloat compares floats by bit pattern.
func sameFloat(a, b float64) bool { return math.Float64bits(a) == math.Float64bits(b) }

var statsLengths = []int{0, 1, 2, 31, 32, 33, 64, 100, 1000, 4099}

// floatSpecials are the values that make float statistics interesting.
var floatSpecials = []float64{math.NaN(), math.Copysign(0, -1), 0, math.Inf(1), math.Inf(-1),
	math.Float64frombits(0xfff8000000000001), math.MaxFloat64, -math.MaxFloat64, math.SmallestNonzeroFloat64}

func randomFloats(rng *rand.Rand, n int, special float64) []float64 {
	out := make([]float64, n)
	for i := range out {
		if rng.Float64() < special {
			out[i] = floatSpecials[rng.IntN(len(floatSpecials))]
		} else {
			out[i] = (rng.Float64() - 0.5) * math.Exp2(float64(rng.IntN(40)-20))
		}
	}
	return out
}

func TestMinMaxIntegers(t *testing.T) {
	forEachImpl(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(11, 12))
		for _, n := range statsLengths {
			for _, shape := range []string{"random", "ascending", "descending", "equal", "extremes"} {
				v64 := make([]int64, n)
				for i := range v64 {
					switch shape {
					case "random":
						v64[i] = int64(rng.Uint64())
					case "ascending":
						v64[i] = int64(i) - 50
					case "descending":
						v64[i] = int64(n-i) * 1e12
					case "equal":
						v64[i] = -7
					case "extremes":
						v64[i] = []int64{math.MinInt64, math.MaxInt64, 0, -1}[rng.IntN(4)]
					}
				}
				v32 := make([]int32, n)
				for i, v := range v64 {
					v32[i] = int32(v)
					if shape == "extremes" {
						v32[i] = int32(v >> 32)
					}
				}
				lo, hi, ok := MinMaxInt64(v64[:n:n])
				wlo, whi, wok := oracleMinMax(v64)
				if lo != wlo || hi != whi || ok != wok {
					t.Fatalf("MinMaxInt64 %s n=%d: (%d, %d, %v), want (%d, %d, %v)", shape, n, lo, hi, ok, wlo, whi, wok)
				}
				lo32, hi32, ok := MinMaxInt32(v32[:n:n])
				wlo32, whi32, wok := oracleMinMax(v32)
				if lo32 != wlo32 || hi32 != whi32 || ok != wok {
					t.Fatalf("MinMaxInt32 %s n=%d: (%d, %d, %v), want (%d, %d, %v)", shape, n, lo32, hi32, ok, wlo32, whi32, wok)
				}
			}
		}
	})
}

func TestMinMaxFloats(t *testing.T) {
	forEachImpl(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(13, 14))
		for _, n := range statsLengths {
			for _, special := range []float64{0, 0.05, 0.5, 1} {
				for _, allNaN := range []bool{false, true} {
					v := randomFloats(rng, n, special)
					if allNaN {
						for i := range v {
							v[i] = math.NaN()
						}
					}
					// Move an extreme to the end to exercise the tail.
					if n > 40 && rng.IntN(2) == 0 {
						v[n-1] = math.Inf(-1)
					}
					wlo, whi, wok := oracleMinMax(v)
					if wlo == 0 {
						wlo = math.Copysign(0, -1)
					}
					if whi == 0 {
						whi = 0
					}
					lo, hi, ok := MinMaxFloat64(v[:n:n])
					if ok != wok || (ok && (!sameFloat(lo, wlo) || !sameFloat(hi, whi))) {
						t.Fatalf("MinMaxFloat64 n=%d special=%v: (%v, %v, %v), want (%v, %v, %v)", n, special, lo, hi, ok, wlo, whi, wok)
					}
					v32 := make([]float32, n)
					for i, x := range v {
						v32[i] = float32(x)
					}
					wlo32, whi32, wok := oracleMinMax(v32)
					if wlo32 == 0 {
						wlo32 = float32(math.Copysign(0, -1))
					}
					if whi32 == 0 {
						whi32 = 0
					}
					lo32, hi32, ok := MinMaxFloat32(v32[:n:n])
					if ok != wok || (ok && (math.Float32bits(lo32) != math.Float32bits(wlo32) || math.Float32bits(hi32) != math.Float32bits(whi32))) {
						t.Fatalf("MinMaxFloat32 n=%d special=%v: (%v, %v, %v), want (%v, %v, %v)", n, special, lo32, hi32, ok, wlo32, whi32, wok)
					}
				}
			}
		}
	})
}

func TestMinMaxSignedZeros(t *testing.T) {
	negZero := math.Copysign(0, -1)
	tests := []struct {
		name   string
		in     []float64
		lo, hi float64
	}{
		{"only +0", []float64{0, 0}, negZero, 0},
		{"only -0", []float64{negZero}, negZero, 0},
		{"+0 max", []float64{-1, 0, math.NaN()}, -1, 0},
		{"-0 max", []float64{-1, negZero}, -1, 0},
		{"+0 min", []float64{0, 3}, negZero, 3},
		{"zeros and NaN", []float64{math.NaN(), 0, negZero, math.NaN()}, negZero, 0},
	}
	forEachImpl(t, func(t *testing.T) {
		for _, tt := range tests {
			for _, reps := range []int{1, 40} {
				var in []float64
				for range reps {
					in = append(in, tt.in...)
				}
				lo, hi, ok := MinMaxFloat64(in)
				if !ok || !sameFloat(lo, tt.lo) || !sameFloat(hi, tt.hi) {
					t.Errorf("%s x%d: (%v, %v, %v), want (%v, %v, true) by bits", tt.name, reps, lo, hi, ok, tt.lo, tt.hi)
				}
			}
		}
	})
}

// bitmapOf builds a validity bitmap and returns it with the present values.
func bitmapOf[T any](rng *rand.Rand, all []T, nullRate float64) ([]byte, []T, []uint8) {
	bitmap := make([]byte, (len(all)+7)/8)
	levels := make([]uint8, len(all))
	var present []T
	for i, v := range all {
		if rng.Float64() >= nullRate {
			bitmap[i/8] |= 1 << (i % 8)
			levels[i] = 2
			present = append(present, v)
		} else {
			levels[i] = uint8(rng.IntN(2))
		}
	}
	// Bits past the rows must be ignored.
	if len(all)%8 != 0 {
		bitmap[len(bitmap)-1] |= 0xff << (len(all) % 8)
	}
	return bitmap, present, levels
}

func TestStatsNulls(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	for _, rows := range []int{0, 1, 9, 64, 1000} {
		for _, nullRate := range []float64{0, 0.3, 1} {
			all := randomFloats(rng, rows, 0.1)
			bitmap, present, levels := bitmapOf(rng, all, nullRate)
			wantNulls := rows - len(present)
			wlo, whi, wok := MinMaxFloat64(present)
			for _, nulls := range []Nulls{{Bitmap: bitmap, Rows: rows}, {Levels: levels, MaxLevel: 2}} {
				s, err := StatsFloat64(present, nulls)
				if err != nil {
					t.Fatalf("rows %d: %v", rows, err)
				}
				want := Stats[float64]{Min: wlo, Max: whi, HasMinMax: wok, NullCount: wantNulls}
				if diff := cmp.Diff(want, s, cmp.Comparer(sameFloat)); diff != "" {
					t.Fatalf("rows %d nullRate %v (-want +got):\n%s", rows, nullRate, diff)
				}
			}
			ints := make([]int64, rows)
			for i := range ints {
				ints[i] = rng.Int64N(1000) - 500
			}
			bitmap, p64, levels := bitmapOf(rng, ints, nullRate)
			lo, hi, ok := oracleMinMax(p64)
			for _, nulls := range []Nulls{{Bitmap: bitmap, Rows: rows}, {Levels: levels, MaxLevel: 2}} {
				s, err := StatsInt64(p64, nulls)
				if err != nil {
					t.Fatal(err)
				}
				want := Stats[int64]{Min: lo, Max: hi, HasMinMax: ok, NullCount: rows - len(p64)}
				if diff := cmp.Diff(want, s); diff != "" {
					t.Fatalf("int64 rows %d (-want +got):\n%s", rows, diff)
				}
				p32 := make([]int32, len(p64))
				for i, v := range p64 {
					p32[i] = int32(v)
				}
				s32, err := StatsInt32(p32, nulls)
				if err != nil || s32.NullCount != want.NullCount || s32.HasMinMax != ok || int64(s32.Min) != lo || int64(s32.Max) != hi {
					t.Fatalf("int32 rows %d: %+v, %v; want %+v", rows, s32, err, want)
				}
				f32 := make([]float32, len(p64))
				for i, v := range p64 {
					f32[i] = float32(v)
				}
				sf, err := StatsFloat32(f32, nulls)
				if err != nil || sf.NullCount != want.NullCount || sf.HasMinMax != ok || (ok && (int64(sf.Min) != lo || int64(sf.Max) != hi)) {
					t.Fatalf("float32 rows %d: %+v, %v; want %+v", rows, sf, err, want)
				}
			}
		}
	}
	// No Nulls: every value is present.
	s, err := StatsInt32([]int32{3, 1, 2}, Nulls{})
	if diff := cmp.Diff(Stats[int32]{Min: 1, Max: 3, HasMinMax: true}, s); err != nil || diff != "" {
		t.Fatalf("no nulls: %v (-want +got):\n%s", err, diff)
	}
}

func TestStatsBytes(t *testing.T) {
	tests := []struct {
		name   string
		in     []string
		lo, hi string
	}{
		{"prefixes", []string{"abc", "ab", "abcd", "a"}, "a", "abcd"},
		{"0xff sorts last", []string{"\xff", "z", "\xfe\xff", "\xff\x00"}, "z", "\xff\x00"},
		{"empty string is least", []string{"b", "", "a"}, "", "b"},
		{"single", []string{"only"}, "only", "only"},
		{"nul bytes", []string{"\x00\x00", "\x00", "\x01"}, "\x00", "\x01"},
	}
	for _, tt := range tests {
		slab, offsets := bytesInput(tt.in)
		s, err := StatsBytes(slab, offsets, Nulls{Bitmap: []byte{0xff, 0x00}, Rows: len(tt.in) + 2})
		if err == nil {
			t.Fatalf("%s: a bitmap with two more rows than values was accepted", tt.name)
		}
		bitmap := []byte{byte(1<<len(tt.in) - 1)}
		s, err = StatsBytes(slab, offsets, Nulls{Bitmap: bitmap, Rows: len(tt.in) + 2})
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if string(s.Min) != tt.lo || string(s.Max) != tt.hi || !s.HasMinMax || s.NullCount != 2 {
			t.Errorf("%s: min %q max %q has %v nulls %d, want %q %q true 2", tt.name, s.Min, s.Max, s.HasMinMax, s.NullCount, tt.lo, tt.hi)
		}
	}
	// Random strings against a sort.
	rng := rand.New(rand.NewPCG(17, 18))
	for _, n := range []int{0, 1, 50, 2000} {
		in := make([]string, n)
		for i := range in {
			b := make([]byte, rng.IntN(6))
			for j := range b {
				b[j] = []byte{0, 1, 0x7f, 0x80, 0xfe, 0xff}[rng.IntN(6)]
			}
			in[i] = string(b)
		}
		slab, offsets := bytesInput(in)
		s, err := StatsBytes(slab, offsets, Nulls{})
		if err != nil {
			t.Fatal(err)
		}
		sorted := slices.Clone(in)
		slices.SortFunc(sorted, func(a, b string) int { return bytes.Compare([]byte(a), []byte(b)) })
		if n == 0 {
			if s.HasMinMax {
				t.Fatal("min/max of no strings")
			}
			continue
		}
		if string(s.Min) != sorted[0] || string(s.Max) != sorted[n-1] {
			t.Fatalf("n %d: min %q max %q, want %q %q", n, s.Min, s.Max, sorted[0], sorted[n-1])
		}
	}
}

func TestStatsErrors(t *testing.T) {
	_, e1 := StatsInt64([]int64{1, 2}, Nulls{Bitmap: []byte{1}, Rows: 3})
	_, e2 := StatsInt64([]int64{1}, Nulls{Bitmap: []byte{1}, Rows: 9})
	_, e3 := StatsInt32([]int32{1}, Nulls{Levels: []uint8{1, 3}, MaxLevel: 1})
	_, e4 := StatsFloat64(nil, Nulls{Levels: []uint8{0}, Bitmap: []byte{0}, Rows: 1})
	_, e5 := StatsBytes([]byte("ab"), []int32{0, 3}, Nulls{})
	_, e6 := StatsFloat32([]float32{1}, Nulls{Rows: -1})
	for i, err := range []error{e1, e2, e3, e4, e5, e6} {
		if err == nil {
			t.Errorf("case %d: no error", i+1)
		} else if !errors.Is(err, ErrStats) && !errors.Is(err, ErrShortBuffer) {
			t.Errorf("case %d: %v is neither ErrStats nor ErrShortBuffer", i+1, err)
		}
	}
}
