package parquet

import (
	"encoding/binary"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestBuildShort checks that the word-keyed build of short strings makes
// the same decision, indices and dictionary as the string build, and
// leaves the columns it must not take (a zero byte, a value over 8 bytes)
// to the string build.
func TestBuildShort(t *testing.T) {
	type result struct {
		OK      bool
		Idx     []uint32
		Page    []byte
		Slab    []byte
		Offsets []int32
		Size    int
	}
	r := rand.New(rand.NewPCG(9, 4))
	cases := []struct {
		name     string
		n        int
		distinct int
		minLen   int
		maxLen   int
		alphabet string
		limit    int
		max16    int
		short    bool // whether buildShort must take it
	}{
		{"codes", 20000, 12, 1, 8, "ABCDEFGHIJKLMNOPQRSTUVWXYZ", 1 << 20, 8, true},
		{"with empty", 9000, 30, 0, 8, "xyz\xff\x80", 1 << 20, 15, true},
		{"eight bytes", 12000, 3000, 8, 8, "0123456789", 1 << 20, 15, true},
		{"few values", 13, 5, 0, 3, "ab", 1 << 20, 8, true},
		{"too distinct", 30000, 30000, 6, 8, "abcdefghijklmnopqrstuvwxyz", 1 << 20, 8, true},
		{"over the limit", 30000, 5000, 4, 8, "abcdefghij", 1 << 12, 15, true},
		{"zero byte", 5000, 40, 1, 6, "ab\x00", 1 << 20, 15, false},
		{"nine bytes", 5000, 40, 2, 9, "abc", 1 << 20, 15, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			pool := make([]string, tc.distinct)
			for i := range pool {
				b := make([]byte, tc.minLen+r.IntN(tc.maxLen-tc.minLen+1))
				for j := range b {
					b[j] = tc.alphabet[r.IntN(len(tc.alphabet))]
				}
				pool[i] = string(b)
			}
			if !tc.short && tc.maxLen > shortMax {
				pool[len(pool)-1] = "123456789" // surely one long value, late
			}
			var data []byte
			offsets := []int32{0}
			for i := range tc.n {
				v := pool[min(r.IntN(tc.distinct), r.IntN(tc.distinct))]
				if i == tc.n-1 {
					v = pool[len(pool)-1]
				}
				data = append(data, v...)
				offsets = append(offsets, int32(len(data)))
			}
			data = data[:len(data):len(data)] // the last value ends the slab
			var short, long dictBytes
			var got, want result
			got.Idx = make([]uint32, tc.n)
			want.Idx = make([]uint32, tc.n)
			var applied bool
			got.OK, applied = short.buildShort(data, offsets, tc.limit, tc.max16, got.Idx)
			if applied != tc.short {
				t.Fatalf("buildShort took the column: %v, want %v", applied, tc.short)
			}
			got.OK = short.build(data, offsets, tc.limit, tc.max16, got.Idx)
			want.OK = long.buildLong(data, offsets, tc.limit, tc.max16, want.Idx)
			for _, x := range []struct {
				d   *dictBytes
				res *result
			}{{&short, &got}, {&long, &want}} {
				if !x.res.OK {
					x.res.Idx = nil // not kept: indices do not matter
					continue
				}
				x.res.Page = x.d.appendValues(nil)
				x.res.Slab, x.res.Offsets = x.d.values()
				x.res.Size = x.d.size()
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("(-string build +word build)\n%s", diff)
			}
			if want.OK && tc.short && short.len() != long.len() {
				t.Fatalf("len %d, want %d", short.len(), long.len())
			}
		})
	}
}

// TestBuildShortLeavesBadOffsets checks that offsets that fall, start
// below zero or end past the data are left to the string build (which
// reports them) instead of being read.
func TestBuildShortLeavesBadOffsets(t *testing.T) {
	data := []byte("abcdefgh")
	for _, offsets := range [][]int32{
		{0, 3, 2, 8},
		{-1, 2},
		{0, 4, 9},
		{0},
	} {
		var d dictBytes
		idx := make([]uint32, len(offsets))
		if _, applied := d.buildShort(data, offsets, 1<<20, 15, idx); applied {
			t.Errorf("offsets %v: buildShort took them", offsets)
		}
	}
}

// FuzzBuildShort: wherever the word build takes a column, it agrees with
// the string build on the decision, the indices and the dictionary.
func FuzzBuildShort(f *testing.F) {
	f.Add([]byte("INSERTUPDATEDELETEINSERT"), []byte{6, 6, 6, 6})
	f.Add([]byte("a\x00bcd\xffe"), []byte{1, 2, 3, 1})
	f.Add([]byte("xyzxyzxyzw"), []byte{0, 3, 3, 3, 1, 0})
	f.Fuzz(func(t *testing.T, data []byte, lens []byte) {
		offsets := []int32{0}
		for _, l := range lens {
			next := int(offsets[len(offsets)-1]) + int(l%10)
			if next > len(data) {
				break
			}
			offsets = append(offsets, int32(next))
		}
		n := len(offsets) - 1
		for _, limit := range []int{1 << 20, 40} {
			var short, long dictBytes
			gotIdx, wantIdx := make([]uint32, n), make([]uint32, n)
			ok, applied := short.buildShort(data, offsets, limit, 8, gotIdx)
			if !applied {
				continue
			}
			want := long.buildLong(data, offsets, limit, 8, wantIdx)
			if ok != want {
				t.Fatalf("limit %d: word build kept the dictionary: %v, string build: %v", limit, ok, want)
			}
			if !ok {
				continue
			}
			if diff := cmp.Diff(wantIdx, gotIdx); diff != "" {
				t.Fatalf("limit %d: indices (-string +word)\n%s", limit, diff)
			}
			if diff := cmp.Diff(long.appendValues(nil), short.appendValues(nil)); diff != "" {
				t.Fatalf("limit %d: dictionary page (-string +word)\n%s", limit, diff)
			}
		}
	})
}

// TestWordTable checks the short build where its word table hands over to
// the batch kernel: a dictionary that grows past wordTableMax, words
// crafted (with the seed known) to share their home slot past
// wordTableProbes, and batches of one value: the decision, the indices
// and the dictionary are the string build's.
func TestWordTable(t *testing.T) {
	// words whose hashes under seed share their top 24 bits: one home
	// slot in any table of up to 2^24 slots
	const seed = 0x5eed
	inv := uint64(wordTableMix)
	for range 6 {
		inv *= 2 - wordTableMix*inv
	}
	var colliding []string
	for y := uint64(1); len(colliding) < 3*wordTableProbes; y++ {
		w := (0xabcdef<<40|y)*inv ^ seed
		if (w-ones8)&^w&high8 != 0 {
			continue // a zero byte: not a short value
		}
		var b [8]byte
		binary.LittleEndian.PutUint64(b[:], w)
		colliding = append(colliding, string(b[:]))
	}
	// grow, putting such words back, gives up as insert does
	var tb wordTable
	tb.reset()
	tb.seed = seed
	for _, c := range colliding[:wordTableProbes+2] {
		tb.values = append(tb.values, int64(binary.LittleEndian.Uint64([]byte(c))))
	}
	if tb.grow() {
		t.Error("grow put back words sharing one home slot past wordTableProbes")
	}
	r := rand.New(rand.NewPCG(3, 7))
	cases := []struct {
		name   string
		values func(i int) string
		n      int
		seeded bool
	}{
		{"past wordTableMax", func(i int) string {
			// a first batch of few values (the sample), then new ones
			if i < dictSample {
				return "x" + strconv.Itoa(r.IntN(10))
			}
			return strconv.Itoa(i)
		}, 2*wordTableMax + dictSample/2, false},
		{"colliding words", func(i int) string { return colliding[(i*7)%len(colliding)] }, 3 * dictSample, true},
		{"colliding late", func(i int) string {
			if i < 2*dictSample {
				return "v" + strconv.Itoa(i%50)
			}
			return colliding[i%len(colliding)]
		}, 4 * dictSample, true},
		{"one value a batch", func(i int) string { return "b" + strconv.Itoa(i/dictSample) }, 5*dictSample + 3, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var data []byte
			offsets := []int32{0}
			for i := range tc.n {
				data = append(data, tc.values(i)...)
				offsets = append(offsets, int32(len(data)))
			}
			var short, long dictBytes
			if tc.seeded {
				short.small.reset()
				short.small.seed = seed
			}
			gotIdx, wantIdx := make([]uint32, tc.n), make([]uint32, tc.n)
			ok, applied := short.buildShort(data, offsets, 1<<20, 15, gotIdx)
			if !applied {
				t.Fatal("buildShort did not take the column")
			}
			want := long.buildLong(data, offsets, 1<<20, 15, wantIdx)
			if ok != want || !ok {
				t.Fatalf("word build kept the dictionary: %v, string build: %v (both should)", ok, want)
			}
			if diff := cmp.Diff(wantIdx, gotIdx); diff != "" {
				t.Fatalf("indices (-string +word)\n%s", diff)
			}
			if diff := cmp.Diff(long.appendValues(nil), short.appendValues(nil)); diff != "" {
				t.Fatalf("dictionary page (-string +word)\n%s", diff)
			}
			if short.len() != long.len() || short.size() != long.size() {
				t.Fatalf("len, size %d, %d; want %d, %d", short.len(), short.size(), long.len(), long.size())
			}
		})
	}
}
