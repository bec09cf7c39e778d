package kernels

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// oracleEncode is dictionary encoding written from its definition: indexes
// in order of first appearance.
func oracleEncode[K comparable](in []K) (indexes []int32, dict []K) {
	seen := map[K]int32{}
	indexes = make([]int32, len(in))
	for i, v := range in {
		j, ok := seen[v]
		if !ok {
			j = int32(len(dict))
			seen[v] = j
			dict = append(dict, v)
		}
		indexes[i] = j
	}
	return indexes, dict
}

// indexCanary is the value written after output buffers to catch overruns.
const indexCanary = -0x1234567

// insertChecked inserts in into dict through an index buffer followed by
// canaries, in chunks of the given sizes (cycled), and returns the indexes.
func insertChecked[V any](t *testing.T, insert func([]int32, []V) error, in []V, chunks []int) []int32 {
	t.Helper()
	out := make([]int32, 0, len(in))
	for i, c := 0, 0; i < len(in); c++ {
		n := min(chunks[c%len(chunks)], len(in)-i)
		buf := make([]int32, n+16)
		for j := range buf {
			buf[j] = indexCanary
		}
		if err := insert(buf[:n], in[i:i+n:i+n]); err != nil {
			t.Fatalf("Insert of values %d..%d: %v", i, i+n, err)
		}
		for j := n; j < len(buf); j++ {
			if buf[j] != indexCanary {
				t.Fatalf("Insert of %d values wrote index slot %d past its output", n, j)
			}
		}
		out = append(out, buf[:n]...)
		i += n
	}
	return out
}

func randomInt32s(rng *rand.Rand, n, distinct int) []int32 {
	pool := make([]int32, distinct)
	for i := range pool {
		pool[i] = int32(rng.Uint32())
	}
	out := make([]int32, n)
	for i := range out {
		out[i] = pool[rng.IntN(distinct)]
	}
	return out
}

func randomInt64s(rng *rand.Rand, n, distinct int) []int64 {
	pool := make([]int64, distinct)
	for i := range pool {
		pool[i] = int64(rng.Uint64())
	}
	out := make([]int64, n)
	for i := range out {
		out[i] = pool[rng.IntN(distinct)]
	}
	return out
}

var dictShapes = []struct {
	name        string
	n, distinct int
	chunks      []int
}{
	{"empty", 0, 1, []int{1}},
	{"one", 1, 1, []int{1}},
	{"batch-1", 255, 7, []int{255}},
	{"batch+1", 257, 257, []int{257}},
	{"all-equal", 3000, 1, []int{1000}},
	{"all-distinct", 5000, 1 << 30, []int{333, 1, 4096}},
	{"1e4-of-1e3", 10000, 1000, []int{10000}},
	{"growth-many-batches", 60000, 20000, []int{1, 7, 300, 2048, 129}},
}

func TestDictInt32RoundTrip(t *testing.T) {
	forEachImpl(t, func(t *testing.T) {
		for _, sh := range dictShapes {
			t.Run(sh.name, func(t *testing.T) {
				rng := rand.New(rand.NewPCG(3, uint64(sh.n)))
				in := randomInt32s(rng, sh.n, min(sh.distinct, max(sh.n, 1)))
				var d DictInt32
				got := insertChecked(t, d.Insert, in, sh.chunks)
				wantIdx, wantDict := oracleEncode(in)
				checkEncoding(t, wantIdx, got, wantDict, d.Values())
				for i, v := range in {
					if d.Values()[got[i]] != v {
						t.Fatalf("value %d: dictionary[%d] = %d, want %d", i, got[i], d.Values()[got[i]], v)
					}
				}
				plain := binary.LittleEndian.AppendUint32(nil, 0)[:0]
				for _, v := range d.Values() {
					plain = binary.LittleEndian.AppendUint32(plain, uint32(v))
				}
				if d.EncodedSize() != len(plain) || d.Len() != len(wantDict) {
					t.Fatalf("EncodedSize %d Len %d, want %d and %d", d.EncodedSize(), d.Len(), len(plain), len(wantDict))
				}
			})
		}
	})
}

func TestDictInt64RoundTrip(t *testing.T) {
	forEachImpl(t, func(t *testing.T) {
		for _, sh := range dictShapes {
			t.Run(sh.name, func(t *testing.T) {
				rng := rand.New(rand.NewPCG(4, uint64(sh.n)))
				in := randomInt64s(rng, sh.n, min(sh.distinct, max(sh.n, 1)))
				var d DictInt64
				got := insertChecked(t, d.Insert, in, sh.chunks)
				wantIdx, wantDict := oracleEncode(in)
				checkEncoding(t, wantIdx, got, wantDict, d.Values())
				if d.EncodedSize() != 8*len(wantDict) {
					t.Fatalf("EncodedSize %d, want %d", d.EncodedSize(), 8*len(wantDict))
				}
			})
		}
	})
}

// checkEncoding compares indexes and dictionaries, treating nil and empty
// as equal.
func checkEncoding[K comparable](t *testing.T, wantIdx, gotIdx []int32, wantDict, gotDict []K) {
	t.Helper()
	if len(wantIdx) != len(gotIdx) || (len(wantIdx) > 0 && !cmp.Equal(wantIdx, gotIdx)) {
		t.Fatalf("indexes (-want +got):\n%s", cmp.Diff(wantIdx, gotIdx))
	}
	if len(wantDict) != len(gotDict) || (len(wantDict) > 0 && !cmp.Equal(wantDict, gotDict)) {
		t.Fatalf("dictionary (-want +got):\n%s", cmp.Diff(wantDict, gotDict))
	}
}

func TestDictFloat64BitPatterns(t *testing.T) {
	forEachImpl(t, func(t *testing.T) {
		nan1 := math.Float64frombits(0x7ff8000000000001)
		nan2 := math.Float64frombits(0x7ff8000000000002)
		negNaN := math.Float64frombits(0xfff8000000000000)
		negZero := math.Copysign(0, -1)
		base := []float64{0, negZero, nan1, nan2, negNaN, math.Inf(1), math.Inf(-1), 1.5, 0, negZero, nan2, nan1, 1.5}
		rng := rand.New(rand.NewPCG(5, 6))
		var in []float64
		for range 40 {
			in = append(in, base[rng.IntN(len(base))])
		}
		in = append(in, base...)
		var d DictFloat64
		got := insertChecked(t, d.Insert, in, []int{5, 300})
		bitsIn := make([]uint64, len(in))
		for i, v := range in {
			bitsIn[i] = math.Float64bits(v)
		}
		wantIdx, wantDict := oracleEncode(bitsIn)
		gotDict := make([]uint64, d.Len())
		for i, v := range d.Values() {
			gotDict[i] = math.Float64bits(v)
		}
		checkEncoding(t, wantIdx, got, wantDict, gotDict)
		if d.Len() != 8 {
			t.Fatalf("Len %d, want the 8 distinct bit patterns", d.Len())
		}
	})
}

// bytesInput turns values into a slab and offsets.
func bytesInput(values []string) ([]byte, []int32) {
	var slab []byte
	offsets := []int32{0}
	for _, v := range values {
		slab = append(slab, v...)
		offsets = append(offsets, int32(len(slab)))
	}
	return slab, offsets
}

func TestDictBytesRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	pool := []string{"", "a", "ab", "abc", "\xff", "\xff\xff", "\x00", "b", "ba"}
	for len(pool) < 3000 {
		b := make([]byte, rng.IntN(40))
		for i := range b {
			b[i] = byte(rng.UintN(256))
		}
		pool = append(pool, string(b))
	}
	forEachImpl(t, func(t *testing.T) { dictBytesRoundTrip(t, rng, pool) })
}

func dictBytesRoundTrip(t *testing.T, rng *rand.Rand, pool []string) {
	for _, n := range []int{0, 1, 100, 256, 257, 20000} {
		in := make([]string, n)
		for i := range in {
			in[i] = pool[rng.IntN(len(pool))]
		}
		slab, offsets := bytesInput(in)
		var d DictBytes
		got := make([]int32, 0, n)
		for i := 0; i < n; {
			m := min(n-i, 1+rng.IntN(700))
			idx := make([]int32, m+4)
			idx[m] = indexCanary
			if err := d.Insert(idx[:m], slab, offsets[i:i+m+1]); err != nil {
				t.Fatal(err)
			}
			if idx[m] != indexCanary {
				t.Fatal("Insert wrote past its indexes")
			}
			got = append(got, idx[:m]...)
			i += m
		}
		wantIdx, wantDict := oracleEncode(in)
		dslab, doffs := d.Values()
		gotDict := make([]string, d.Len())
		size := 0
		for i := range gotDict {
			gotDict[i] = string(dslab[doffs[i]:doffs[i+1]])
			size += 4 + len(gotDict[i])
		}
		checkEncoding(t, wantIdx, got, wantDict, gotDict)
		if d.EncodedSize() != size {
			t.Fatalf("n %d: EncodedSize %d, want %d", n, d.EncodedSize(), size)
		}
	}
}

func TestDictReset(t *testing.T) {
	forEachImpl(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(9, 10))
		var d DictInt32
		var d64 DictInt64
		var ds DictBytes
		first := randomInt32s(rng, 20000, 5000)
		idx := make([]int32, len(first))
		if err := d.Insert(idx, first); err != nil {
			t.Fatal(err)
		}
		for round := range 3 {
			d.Reset()
			d64.Reset()
			ds.Reset()
			if d.Len() != 0 || d.EncodedSize() != 0 || ds.Len() != 0 {
				t.Fatalf("after Reset: Len %d EncodedSize %d", d.Len(), d.EncodedSize())
			}
			in := randomInt32s(rng, 20000, 4000+round)
			got := insertChecked(t, d.Insert, in, []int{1000})
			wantIdx, wantDict := oracleEncode(in)
			checkEncoding(t, wantIdx, got, wantDict, d.Values())

			in64 := randomInt64s(rng, 3000, 200)
			got64 := insertChecked(t, d64.Insert, in64, []int{3000})
			wantIdx, wantDict64 := oracleEncode(in64)
			checkEncoding(t, wantIdx, got64, wantDict64, d64.Values())

			slab, offsets := bytesInput([]string{"x", "y", "x", "", "y"})
			gotS := make([]int32, 5)
			if err := ds.Insert(gotS, slab, offsets); err != nil {
				t.Fatal(err)
			}
			checkEncoding(t, []int32{0, 1, 0, 2, 1}, gotS, []int{3}, []int{ds.Len()})
		}
		// Reusing the memory: a chunk no larger than the first needs no
		// allocation.
		in := randomInt32s(rng, 20000, 4000)
		allocs := testing.AllocsPerRun(3, func() {
			d.Reset()
			if err := d.Insert(idx, in); err != nil {
				t.Fatal(err)
			}
		})
		if allocs != 0 {
			t.Fatalf("Insert after Reset allocated %.0f times, want 0", allocs)
		}
	})
}

// inverseOdd returns the inverse of an odd number modulo 2^32.
func inverseOdd(a uint32) uint32 {
	x := a
	for range 5 {
		x *= 2 - a*x
	}
	return x
}

// unhash32 inverts hash32: it returns the key whose hash under seed is h.
func unhash32(h, seed uint32) uint32 {
	x := h
	x ^= x >> 16
	x *= inverseOdd(0x846ca68b)
	x ^= x>>15 ^ x>>30
	x *= inverseOdd(0x7feb352d)
	x ^= x >> 16
	return x ^ seed
}

func TestDictAdversarialKeys(t *testing.T) {
	n := 100000
	if testing.Short() {
		n = 20000
	}
	const seed = 0x9e3779b9
	for _, h := range []uint32{0, 1, 0xdeadbeef, 0xffffffff} {
		if got := hash32(unhash32(h, seed), seed); got != h {
			t.Fatalf("unhash32 is not the inverse of hash32: %#x -> %#x", h, got)
		}
	}
	cases := map[string][]int32{}
	// Keys equal in their low 16 bits.
	low := make([]int32, n)
	for i := range low {
		low[i] = int32(uint32(i)<<16 ^ uint32(i>>16)<<8)
	}
	cases["shared-low-bits"] = low
	// Keys that, under the seed the test sets, all share one tag and the
	// low 5 group bits: every key lands in the same home group of a new
	// table and every slot it meets matches its tag.
	tagged := make([]int32, n)
	for i := range tagged {
		tagged[i] = int32(unhash32(uint32(i)<<12|0x5a5, seed))
	}
	cases["same-tag-same-group"] = tagged
	forEachImpl(t, func(t *testing.T) {
		for name, in := range cases {
			t.Run(name, func(t *testing.T) {
				var d DictInt32
				d.t.reserve(0)
				d.t.seed = seed
				got := insertChecked(t, d.Insert, in, []int{4096})
				wantIdx, wantDict := oracleEncode(in)
				checkEncoding(t, wantIdx, got, wantDict, d.Values())
			})
		}
		// 64-bit keys that differ only in their high half, or whose halves
		// are equal: a hash that dropped or folded halves would collide.
		high := make([]int64, n)
		folded := make([]int64, n)
		for i := range high {
			high[i] = int64(i) << 32
			folded[i] = int64(i) * (1<<32 + 1)
		}
		for name, in := range map[string][]int64{"high-half-only": high, "equal-halves": folded} {
			t.Run(name, func(t *testing.T) {
				var d DictInt64
				got := insertChecked(t, d.Insert, in, []int{4096})
				wantIdx, wantDict := oracleEncode(in)
				checkEncoding(t, wantIdx, got, wantDict, d.Values())
			})
		}
	})
}

func TestDictErrors(t *testing.T) {
	var d32 DictInt32
	var d64 DictInt64
	var df DictFloat64
	var ds DictBytes
	tests := []struct {
		name string
		err  error
	}{
		{"int32 short indexes", d32.Insert(make([]int32, 2), []int32{1, 2, 3})},
		{"int64 short indexes", d64.Insert(nil, []int64{1})},
		{"float64 short indexes", df.Insert(make([]int32, 1), []float64{1, 2})},
		{"bytes short indexes", ds.Insert(make([]int32, 1), []byte("ab"), []int32{0, 1, 2})},
		{"bytes decreasing offsets", ds.Insert(make([]int32, 2), []byte("ab"), []int32{0, 2, 1})},
		{"bytes negative offset", ds.Insert(make([]int32, 2), []byte("ab"), []int32{-1, 0, 1})},
		{"bytes offsets past slab", ds.Insert(make([]int32, 2), []byte("ab"), []int32{0, 1, 3})},
	}
	for _, tt := range tests {
		if tt.err == nil {
			t.Errorf("%s: no error", tt.name)
		}
		if !errors.Is(tt.err, ErrDictionary) && !errors.Is(tt.err, ErrShortBuffer) {
			t.Errorf("%s: error %v is neither ErrDictionary nor ErrShortBuffer", tt.name, tt.err)
		}
	}
	if d32.Len()+d64.Len()+df.Len()+ds.Len() != 0 {
		t.Fatal("a failed Insert added values")
	}
}

// TestDictBytesAdversarialValues feeds DictBytes values its key words alone
// do not tell apart, and values that read as the same words: runs of zero
// bytes of every length, values equal in their first 16 and last 8 bytes
// that differ in the middle, and values sharing a long prefix.
func TestDictBytesAdversarialValues(t *testing.T) {
	var in []string
	zeros := strings.Repeat("\x00", 64)
	for n := range 64 {
		in = append(in, zeros[:n])
	}
	head, tail := strings.Repeat("h", 16), strings.Repeat("t", 8)
	prefix := strings.Repeat("p", 300)
	for i := range 2000 {
		in = append(in, fmt.Sprintf("%s%08d%s", head, i, tail), fmt.Sprintf("%s%d", prefix, i))
	}
	forEachImpl(t, func(t *testing.T) {
		dictBytesAdversarial(t, slices.Clone(in))
	})
}

func dictBytesAdversarial(t *testing.T, in []string) {
	rng := rand.New(rand.NewPCG(11, 12))
	for range 3 {
		rng.Shuffle(len(in), func(i, j int) { in[i], in[j] = in[j], in[i] })
		all := append(append([]string(nil), in...), in...)
		slab, offsets := bytesInput(all)
		var d DictBytes
		got := make([]int32, len(all))
		if err := d.Insert(got, slab, offsets); err != nil {
			t.Fatal(err)
		}
		wantIdx, wantDict := oracleEncode(all)
		dslab, doffs := d.Values()
		gotDict := make([]string, d.Len())
		for i := range gotDict {
			gotDict[i] = string(dslab[doffs[i]:doffs[i+1]])
		}
		checkEncoding(t, wantIdx, got, wantDict, gotDict)
	}
}
