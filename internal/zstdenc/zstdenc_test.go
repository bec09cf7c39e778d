package zstdenc

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/klauspost/compress/zstd"
)

// decode reads frame with the klauspost decoder, an independent
// implementation of the format.
func decode(t testing.TB, frame []byte) []byte {
	t.Helper()
	dec, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(1))
	if err != nil {
		t.Fatal(err)
	}
	defer dec.Close()
	out, err := dec.DecodeAll(frame, nil)
	if err != nil {
		t.Fatalf("decoding %d bytes of frame: %v", len(frame), err)
	}
	return out
}

func roundTrip(t *testing.T, e *Encoder, src []byte) []byte {
	t.Helper()
	frame := e.EncodeAll(nil, src)
	if len(frame) > MaxEncodedSize(len(src)) {
		t.Errorf("frame of %d bytes for %d input bytes, above MaxEncodedSize %d", len(frame), len(src), MaxEncodedSize(len(src)))
	}
	got := decode(t, frame)
	if !bytes.Equal(got, src) {
		t.Fatalf("round trip of %d bytes: %s", len(src), firstDiff(got, src))
	}
	return frame
}

func firstDiff(got, want []byte) string {
	for i := range min(len(got), len(want)) {
		if got[i] != want[i] {
			return fmt.Sprintf("first difference at byte %d (got %#x, want %#x); lengths %d and %d", i, got[i], want[i], len(got), len(want))
		}
	}
	return fmt.Sprintf("lengths %d and %d", len(got), len(want))
}

func randomBytes(r *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func text(r *rand.Rand, n int) []byte {
	words := strings.Fields("the quick brown fox jumps over a lazy dog while zstd frames carry parquet pages of cdc rows into delta lake tables")
	var b []byte
	for len(b) < n {
		b = append(b, words[r.IntN(len(words))]...)
		b = append(b, ' ')
	}
	return b[:n]
}

// columnLike resembles Parquet page bodies: little-endian integers
// growing slowly, a few distinct strings with length prefixes, and runs.
func columnLike(r *rand.Rand, n int) []byte {
	var b []byte
	v := int64(1_000_000)
	names := []string{"pending", "paid", "shipped", "delivered", "cancelled"}
	for len(b) < n {
		switch r.IntN(3) {
		case 0:
			v += int64(r.IntN(16))
			b = binary.LittleEndian.AppendUint64(b, uint64(v))
		case 1:
			s := names[r.IntN(len(names))]
			b = binary.LittleEndian.AppendUint32(b, uint32(len(s)))
			b = append(b, s...)
		default:
			b = append(b, bytes.Repeat([]byte{byte(r.IntN(4))}, r.IntN(40))...)
		}
	}
	return b[:n]
}

func TestRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	const blk = maxBlockSize
	tests := []struct {
		name string
		src  []byte
	}{
		{"empty", nil},
		{"one byte", []byte{7}},
		{"two bytes", []byte{7, 8}},
		{"all same 100", bytes.Repeat([]byte{'a'}, 100)},
		{"all same 300k", bytes.Repeat([]byte{0}, 300_000)},
		{"random 1k", randomBytes(r, 1000)},
		{"random 200k", randomBytes(r, 200_000)},
		{"text 5k", text(r, 5000)},
		{"text 1M", text(r, 1<<20)}, // skipped with -short
		{"column 70k", columnLike(r, 70_000)},
		{"column 600k", columnLike(r, 600_000)},
		{"block -1", columnLike(r, blk-1)},
		{"block", columnLike(r, blk)},
		{"block +1", columnLike(r, blk+1)},
		{"two blocks", text(r, 2*blk)},
		{"two blocks +7", text(r, 2*blk+7)},
		{"same then random", append(bytes.Repeat([]byte{9}, blk), randomBytes(r, 1000)...)},
		{"random then same", append(randomBytes(r, blk), bytes.Repeat([]byte{9}, blk+3)...)},
		{"short literals 31", text(r, 31)},
		{"short literals 33", append(randomBytes(r, 20), text(r, 13)...)},
		{"frame size 255", text(r, 255)},
		{"frame size 256", text(r, 256)},
		{"frame size 65791", text(r, 65536+255)},
		{"frame size 65792", text(r, 65536+256)},
	}
	var e Encoder
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if testing.Short() && len(tc.src) > 3*blk {
				t.Skip("large input: skipped with -short")
			}
			roundTrip(t, &e, tc.src)
			// a fresh encoder writes the same frame as a used one
			var fresh Encoder
			if diff := cmp.Diff(fresh.EncodeAll(nil, tc.src), e.EncodeAll(nil, tc.src)); diff != "" {
				t.Errorf("a used encoder writes another frame than a fresh one (-fresh +used):\n%s", diff)
			}
			// the same frame whether the literals are Huffman-coded in
			// dst's room or outgrow it; dst's spare bytes are garbage
			roomy := bytes.Repeat([]byte{0xA5}, MaxEncodedSize(len(tc.src)))
			if diff := cmp.Diff(e.EncodeAll(nil, tc.src), e.EncodeAll(roomy[:0], tc.src)); diff != "" {
				t.Errorf("the frame written into a roomy dst differs (-nil dst +roomy dst):\n%s", diff)
			}
		})
	}
}

// TestAppends checks that EncodeAll appends to dst and leaves its
// prefix alone.
func TestAppends(t *testing.T) {
	var e Encoder
	src := text(rand.New(rand.NewPCG(3, 4)), 10_000)
	prefix := []byte("prefix")
	out := e.EncodeAll(append([]byte(nil), prefix...), src)
	if !bytes.HasPrefix(out, prefix) {
		t.Fatalf("prefix lost: %q", out[:len(prefix)])
	}
	if got := decode(t, out[len(prefix):]); !bytes.Equal(got, src) {
		t.Fatal(firstDiff(got, src))
	}
}

// TestCompresses checks that compressible inputs shrink, and that
// incompressible ones grow by no more than the frame's overhead.
func TestCompresses(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	var e Encoder
	tests := []struct {
		name     string
		src      []byte
		maxRatio float64 // largest acceptable compressed/original
	}{
		{"text", text(r, 100_000), 0.5},
		{"column", columnLike(r, 100_000), 0.6},
		{"zeros", make([]byte, 100_000), 0.001},
		{"random", randomBytes(r, 100_000), 1.001},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			frame := roundTrip(t, &e, tc.src)
			if ratio := float64(len(frame)) / float64(len(tc.src)); ratio > tc.maxRatio {
				t.Errorf("compressed to %d of %d bytes (%.3f), want at most %.3f", len(frame), len(tc.src), ratio, tc.maxRatio)
			}
		})
	}
}

// TestRepeatOffsets drives the repeat offset rules of the format through
// every case: a match at each of the three repeat offsets, and at the
// first one minus one, after literals and right after another match.
func TestRepeatOffsets(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	// Units of 16 random bytes; the input is a sequence of units copied
	// from a few fixed distances back, with or without fresh bytes in
	// between, so that matches come at offsets the repeat history holds.
	for round := range 20 {
		var src []byte
		src = append(src, randomBytes(r, 256)...)
		dists := []int{16, 48, 112, 47, 111, 200}
		for range 400 {
			if r.IntN(2) == 0 {
				src = append(src, randomBytes(r, 1+r.IntN(3))...)
			}
			d := dists[r.IntN(len(dists))]
			from := len(src) - d
			n := 6 + r.IntN(12)
			for i := range n {
				src = append(src, src[from+i])
			}
		}
		t.Run(strconv.Itoa(round), func(t *testing.T) {
			var e Encoder
			roundTrip(t, &e, src)
		})
	}
}

// TestOffValue checks the bookkeeping of the repeat offsets against the
// rules as written, case by case.
func TestOffValue(t *testing.T) {
	tests := []struct {
		name    string
		rep     [3]uint32
		off, ll uint32
		want    uint32
		wantRep [3]uint32
	}{
		{"first, literals", [3]uint32{1, 4, 8}, 1, 5, 1, [3]uint32{1, 4, 8}},
		{"second, literals", [3]uint32{1, 4, 8}, 4, 5, 2, [3]uint32{4, 1, 8}},
		{"third, literals", [3]uint32{1, 4, 8}, 8, 5, 3, [3]uint32{8, 1, 4}},
		{"new, literals", [3]uint32{1, 4, 8}, 20, 5, 23, [3]uint32{20, 1, 4}},
		{"first, no literals", [3]uint32{10, 4, 8}, 10, 0, 13, [3]uint32{10, 10, 4}},
		{"second, no literals", [3]uint32{10, 4, 8}, 4, 0, 1, [3]uint32{4, 10, 8}},
		{"third, no literals", [3]uint32{10, 4, 8}, 8, 0, 2, [3]uint32{8, 10, 4}},
		{"first minus one, no literals", [3]uint32{10, 4, 8}, 9, 0, 3, [3]uint32{9, 10, 4}},
		{"new, no literals", [3]uint32{10, 4, 8}, 30, 0, 33, [3]uint32{30, 10, 4}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := Encoder{rep: tc.rep}
			if got := e.offValue(tc.off, tc.ll); got != tc.want {
				t.Errorf("offset value %d, want %d", got, tc.want)
			}
			if e.rep != tc.wantRep {
				t.Errorf("repeat offsets %v, want %v", e.rep, tc.wantRep)
			}
		})
	}
}

// TestCodes checks the code of every length against the baselines.
func TestCodes(t *testing.T) {
	for v := uint32(0); v < 1<<17; v++ {
		c := llCode(v)
		if v < llBase[c] || v-llBase[c] >= 1<<llBits[c] {
			t.Fatalf("literal length %d: code %d (baseline %d, %d bits)", v, c, llBase[c], llBits[c])
		}
	}
	for v := uint32(3); v < 1<<17+3; v++ {
		c := mlCode(v)
		if v < mlBase[c] || v-mlBase[c] >= 1<<mlBits[c] {
			t.Fatalf("match length %d: code %d (baseline %d, %d bits)", v, c, mlBase[c], mlBits[c])
		}
	}
}

// TestMemoryFollowsInput checks that a small input needs a small table.
func TestMemoryFollowsInput(t *testing.T) {
	tests := []struct {
		n, want int
	}{
		{100, 1 << minTableBits},
		{5000, 4096},
		{1 << 16, 1 << maxTableBits},
		{100_000, 1 << maxTableBits},
	}
	for _, tc := range tests {
		var e Encoder
		e.EncodeAll(nil, text(rand.New(rand.NewPCG(1, 1)), tc.n))
		// inputs up to 64 KiB have 16-bit positions, larger ones 32-bit
		got, other := len(e.table16), len(e.table)
		if tc.n > 1<<16 {
			got, other = other, got
		}
		if got != tc.want || other != 0 {
			t.Errorf("%d input bytes: tables of %d and %d entries, want %d and none", tc.n, got, other, tc.want)
		}
	}
}

// TestNormalize checks that normalized counts sum to the table size and
// keep every present symbol.
func TestNormalize(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	tests := []struct {
		name  string
		count []uint32
		log   uint8
	}{
		{"two symbols", []uint32{1, 1000}, 5},
		{"many rare", append(make([]uint32, 30), 1, 1, 1, 1, 1, 1000000), 6},
		{"all rare", []uint32{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}, 6},
		{"flat", []uint32{5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5}, 9},
	}
	for i := range 20 {
		c := make([]uint32, 1+r.IntN(maxSymbols))
		for j := range c {
			if r.IntN(3) > 0 {
				c[j] = uint32(r.ExpFloat64() * 100)
			}
		}
		c[len(c)-1]++
		tests = append(tests, struct {
			name  string
			count []uint32
			log   uint8
		}{"random " + strconv.Itoa(i), c, 9})
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			total := 0
			for _, c := range tc.count {
				total += int(c)
			}
			norm := make([]int16, len(tc.count))
			normalize(norm, tc.count, total, tc.log)
			sum := 0
			for s, n := range norm {
				if (tc.count[s] > 0) != (n > 0) {
					t.Errorf("symbol %d: count %d, normalized %d", s, tc.count[s], n)
				}
				sum += int(n)
			}
			if sum != 1<<tc.log {
				t.Errorf("normalized counts sum to %d, want %d", sum, 1<<tc.log)
			}
		})
	}
}

// TestModes checks that the sequence code streams take each mode where
// it pays: a block's own table for varied codes, RLE for one code.
func TestModes(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	// 13 fresh bytes below 128 (starting with i mod 3, so
	// that no match runs on past the pattern, and ending in a counter, so
	// that no bytes before the pattern repeat), then the same 16 bytes above 128:
	// every sequence but the first has 13 literals and a 16-byte match
	// at the last offset
	pattern := randomBytes(r, 16)
	for i := range pattern {
		pattern[i] |= 0x80
	}
	var regular []byte
	for i := 0; len(regular) < 50_000; i++ {
		regular = append(regular, byte(i%3))
		for range 10 {
			regular = append(regular, byte(r.IntN(128)))
		}
		regular = append(regular, byte(i>>7), byte(i&127))
		regular = append(regular, pattern...)
	}
	tests := []struct {
		name string
		src  []byte
		want [3]uint8 // literal length, match length, offset
	}{
		{"column", columnLike(r, 100_000), [3]uint8{modeFSE, modeFSE, modeFSE}},
		{"regular", regular, [3]uint8{modeFSE, modeRLE, modeFSE}},
		{"few sequences", []byte("abcdefgh abcdefgh abcdefgh, ijklmnop ijklmnop ijklmnop"), [3]uint8{modePredefined, modePredefined, modePredefined}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var e Encoder
			roundTrip(t, &e, tc.src)
			got := [3]uint8{e.streams[0].mode, e.streams[1].mode, e.streams[2].mode}
			if got != tc.want {
				t.Errorf("modes %v, want %v", got, tc.want)
			}
		})
	}
}

// TestPackedSeq checks that a packed sequence keeps every field at the
// bounds a block and the window set.
func TestPackedSeq(t *testing.T) {
	tests := []seq{
		{0, minMatch, 1},
		{maxBlockSize - minMatch, minMatch, 3},
		{0, maxBlockSize, maxWindow + 3},
		{12345, 678, 91011},
		{maxBlockSize - 1, maxBlockSize, 1 << 23},
	}
	for _, s := range tests {
		if diff := cmp.Diff(s, pack(s).unpack(), cmp.AllowUnexported(seq{})); diff != "" {
			t.Errorf("sequence %+v (-want +got):\n%s", s, diff)
		}
	}
}
