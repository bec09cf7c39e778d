package kernels

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// runShapes generates inputs of n values below 1<<width in the shapes the
// encoder must handle.
var runShapes = []struct {
	name string
	gen  func(rng *rand.Rand, n int, width uint) []uint32
}{
	{"all-equal", func(rng *rand.Rand, n int, width uint) []uint32 {
		v := randBelow(rng, width)
		return fillWith(n, func(int) uint32 { return v })
	}},
	{"alternating", func(rng *rand.Rand, n int, width uint) []uint32 {
		a, b := randBelow(rng, width), randBelow(rng, width)
		return fillWith(n, func(i int) uint32 {
			if i%2 == 0 {
				return a
			}
			return b
		})
	}},
	{"long-runs-broken-by-one", func(rng *rand.Rand, n int, width uint) []uint32 {
		a, b := randBelow(rng, width), randBelow(rng, width)
		return fillWith(n, func(i int) uint32 {
			if i%50 == 37 {
				return b
			}
			return a
		})
	}},
	{"random", func(rng *rand.Rand, n int, width uint) []uint32 {
		return fillWith(n, func(int) uint32 { return randBelow(rng, width) })
	}},
	{"runs-of-7", runsOf(7)},
	{"runs-of-8", runsOf(8)},
	{"runs-of-9", runsOf(9)},
	{"random-run-lengths", func(rng *rand.Rand, n int, width uint) []uint32 {
		out := make([]uint32, 0, n)
		for len(out) < n {
			v, l := randBelow(rng, width), 1+rng.IntN(40)
			for j := 0; j < l && len(out) < n; j++ {
				out = append(out, v)
			}
		}
		return out
	}},
	{"max-values", func(rng *rand.Rand, n int, width uint) []uint32 {
		top := uint32(uint64(1)<<width - 1)
		return fillWith(n, func(i int) uint32 {
			if rng.IntN(3) == 0 {
				return top - uint32(i%2)&top
			}
			return top
		})
	}},
}

func runsOf(l int) func(rng *rand.Rand, n int, width uint) []uint32 {
	return func(rng *rand.Rand, n int, width uint) []uint32 {
		var v uint32
		return fillWith(n, func(i int) uint32 {
			if i%l == 0 {
				v = randBelow(rng, width)
			}
			return v
		})
	}
}

func fillWith(n int, f func(int) uint32) []uint32 {
	out := make([]uint32, n)
	for i := range out {
		out[i] = f(i)
	}
	return out
}

func randBelow(rng *rand.Rand, width uint) uint32 {
	return uint32(rng.Uint64() & (uint64(1)<<width - 1))
}

var rleSizes = []int{0, 1, 2, 3, 7, 8, 9, 15, 16, 17, 24, 63, 64, 65, 127, 200, 1000, 4097, 9000}

// naiveDecodeRLE reads runs straight from the specification, bit by bit.
func naiveDecodeRLE(src []byte, width uint, n int) ([]uint32, error) {
	var out []uint32
	i := 0
	for len(out) < n {
		var h uint64
		for s := 0; ; s += 7 {
			if i >= len(src) {
				return nil, fmt.Errorf("header cut at %d", i)
			}
			b := src[i]
			i++
			h |= uint64(b&0x7F) << s
			if b < 0x80 {
				break
			}
		}
		if h&1 == 0 {
			var v uint32
			for b := 0; b < int(width+7)/8; b++ {
				v |= uint32(src[i]) << (8 * b)
				i++
			}
			for range h >> 1 {
				out = append(out, v)
			}
			continue
		}
		values := int(h>>1) * 8
		for k := range values {
			var v uint32
			for b := range int(width) {
				pos := k*int(width) + b
				if src[i+pos/8]>>(pos%8)&1 == 1 {
					v |= 1 << b
				}
			}
			out = append(out, v)
		}
		i += int(h>>1) * int(width)
	}
	return out[:n], nil
}

// bitPackedSize is the size of src written as one bit-packed run.
func bitPackedSize(n int, width uint) int {
	if n == 0 {
		return 0
	}
	g := (n + 7) / 8
	return uvarintLen(uint64(g)<<1|1) + g*int(width)
}

// testRunsOnlySize is the size of src written as RLE runs only.
func testRunsOnlySize(src []uint32, width uint) int {
	size := 0
	for i := 0; i < len(src); {
		j := i + 1
		for j < len(src) && src[j] == src[i] {
			j++
		}
		size += uvarintLen(uint64(j-i)<<1) + int(width+7)/8
		i = j
	}
	return size
}

func TestRLERoundTrip(t *testing.T) {
	forEachImpl(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(3, 4))
		for width := uint(0); width <= 32; width++ {
			for _, shape := range runShapes {
				for _, n := range rleSizes {
					if testing.Short() && n > 1000 && width%4 != 1 {
						continue
					}
					src := shape.gen(rng, n, width)
					name := fmt.Sprintf("width=%d/%s/n=%d", width, shape.name, n)
					checkRLE(t, name, src, width)
				}
			}
		}
	})
}

// checkRLE encodes src every way and checks the outputs against each other,
// against both decoders and against the sizes of the simple encodings.
func checkRLE(t *testing.T, name string, src []uint32, width uint) []byte {
	t.Helper()
	out, err := AppendRLE(nil, src, width)
	if err != nil {
		t.Fatalf("%s: AppendRLE: %v", name, err)
	}
	back := make([]uint32, len(src))
	used, err := DecodeRLE(back, out, width)
	if err != nil {
		t.Fatalf("%s: DecodeRLE: %v", name, err)
	}
	if used != len(out) {
		t.Fatalf("%s: DecodeRLE used %d of %d bytes", name, used, len(out))
	}
	if diff := sliceDiff(src, back); diff != "" {
		t.Fatalf("%s: DecodeRLE (-want +got):\n%s", name, diff)
	}
	naive, err := naiveDecodeRLE(out, width, len(src))
	if err != nil {
		t.Fatalf("%s: naive decoder: %v", name, err)
	}
	if diff := sliceDiff(src, naive); len(src) > 0 && diff != "" {
		t.Fatalf("%s: naive decoder (-want +got):\n%s", name, diff)
	}
	if len(src) > 0 {
		// Width 0 is always one RLE run, which readers handle best.
		limit := testRunsOnlySize(src, width)
		if width > 0 {
			limit = min(limit, bitPackedSize(len(src), width))
		}
		if len(out) > limit {
			t.Fatalf("%s: %d bytes, more than the simplest encoding's %d", name, len(out), limit)
		}
	}
	// Appending into spare capacity: the prefix stays, nothing is written
	// past the capacity, the buffer is reused.
	limit := 3 + len(out) + 64
	buf := make([]byte, limit+64)
	for i := range buf {
		buf[i] = 0xA5
	}
	res, err := AppendRLE(buf[:3:limit], src, width)
	if err != nil {
		t.Fatalf("%s: AppendRLE into a buffer: %v", name, err)
	}
	if diff := sliceDiff(append([]byte{0xA5, 0xA5, 0xA5}, out...), res); diff != "" {
		t.Fatalf("%s: AppendRLE into a buffer (-want +got):\n%s", name, diff)
	}
	if &res[0] != &buf[0] {
		t.Fatalf("%s: AppendRLE reallocated a buffer with room", name)
	}
	checkGuardBytes(t, name, buf[limit:])
	if width <= 8 {
		levels := make([]uint8, len(src))
		for i, v := range src {
			levels[i] = uint8(v)
		}
		lout, err := AppendRLELevels(nil, levels, width)
		if err != nil {
			t.Fatalf("%s: AppendRLELevels: %v", name, err)
		}
		if diff := sliceDiff(out, lout); diff != "" {
			t.Fatalf("%s: AppendRLELevels differs from AppendRLE (-32 +8):\n%s", name, diff)
		}
		lback := make([]uint8, len(src)+1)
		lback[len(src)] = 0xA5
		if _, err := DecodeRLELevels(lback[:len(src)], out, width); err != nil {
			t.Fatalf("%s: DecodeRLELevels: %v", name, err)
		}
		if diff := sliceDiff(levels, lback[:len(src)]); diff != "" {
			t.Fatalf("%s: DecodeRLELevels (-want +got):\n%s", name, diff)
		}
		checkGuardBytes(t, name, lback[len(src):])
	}
	return out
}

func checkGuardBytes(t *testing.T, name string, guard []byte) {
	t.Helper()
	for i, b := range guard {
		if b != 0xA5 {
			t.Fatalf("%s: byte %d past the output overwritten: %#x", name, i, b)
		}
	}
}

func TestRLESpecExamples(t *testing.T) {
	rep := func(v uint32, n int) []uint32 { return fillWith(n, func(int) uint32 { return v }) }
	tests := []struct {
		name  string
		src   []uint32
		width uint
		want  []byte
	}{
		// The bit-packing example of the specification: 0..7 at width 3.
		{"spec-bit-packed-0-to-7", []uint32{0, 1, 2, 3, 4, 5, 6, 7}, 3, []byte{0x03, 0x88, 0xC6, 0xFA}},
		{"rle-100-fives", rep(5, 100), 3, []byte{0xC8, 0x01, 0x05}},
		{"width-0", rep(0, 5), 0, []byte{0x0A}},
		{"width-32-value-bytes", rep(0x01020304, 3), 32, []byte{0x06, 0x04, 0x03, 0x02, 0x01}},
		{"width-12-two-value-bytes", rep(0xABC, 9), 12, []byte{0x12, 0xBC, 0x0A}},
		// 0..7 then seventeen 7s: the 7 that ends the group stays in it and
		// the remaining sixteen become an RLE run.
		{"group-completed-from-run", append([]uint32{0, 1, 2, 3, 4, 5, 6}, rep(7, 17)...), 3,
			[]byte{0x03, 0x88, 0xC6, 0xFA, 0x20, 0x07}},
		// Nine distinct bytes: one group bit-packed, the ninth value as an
		// RLE run rather than a padded group.
		{"ninth-value-as-run", []uint32{1, 2, 3, 4, 5, 6, 7, 8, 9}, 8,
			[]byte{0x03, 1, 2, 3, 4, 5, 6, 7, 8, 0x02, 0x09}},
		// Four levels: one padded group.
		{"padded-group", []uint32{1, 0, 1, 0}, 2, []byte{0x03, 0x11, 0x00}},
		{"single-value", []uint32{1}, 1, []byte{0x02, 0x01}},
		// Width 1: a run of 16 ones costs 2 bytes either way, RLE wins ties.
		{"width-1-run-16", rep(1, 16), 1, []byte{0x20, 0x01}},
		// Width 1: 8 alternating levels then 24 ones: one group, one run.
		{"width-1-literal-then-run", append([]uint32{0, 1, 0, 1, 0, 1, 0, 1}, rep(1, 24)...), 1,
			[]byte{0x03, 0xAA, 0x30, 0x01}},
		// A lone value between two long runs: an RLE run of one (R) costs
		// two bytes, a group borrowing seven of the next run's values (A)
		// four.
		{"lone-value-between-runs", append(append(rep(5, 20), 2), rep(5, 20)...), 3,
			[]byte{0x28, 0x05, 0x02, 0x02, 0x28, 0x05}},
		// Nine distinct bytes before a run of five: the run is too short to
		// give seven values to the ninth value's group (A), so the whole
		// group is bit-packed and the ninth value is a run of one (B).
		{"whole-group-then-run-of-one", append([]uint32{1, 2, 3, 4, 5, 6, 7, 8, 9}, rep(10, 5)...), 8,
			[]byte{0x03, 1, 2, 3, 4, 5, 6, 7, 8, 0x02, 0x09, 0x0A, 0x0A}},
		// Two stretches, each completed from the run after it (A): the
		// second starts right after the first run.
		{"two-stretches-completed", append(append(append([]uint32{0, 1, 0, 1, 0, 1, 0}, rep(1, 20)...), 0, 1, 0, 1, 0, 1, 0), rep(1, 20)...), 1,
			[]byte{0x03, 0xAA, 0x26, 0x01, 0x03, 0xAA, 0x26, 0x01}},
		// Three 0s then 66 1s: borrowing five 1s to complete the 0s' group
		// leaves a run of 61, whose header takes one byte instead of two.
		{"borrow-saves-header-byte", append(rep(0, 3), rep(1, 66)...), 1,
			[]byte{0x03, 0xF8, 0x7A, 0x01}},
		// A run of 300 needs a two-byte header: 600 = 0xD8 0x04.
		{"two-byte-header", rep(2, 300), 2, []byte{0xD8, 0x04, 0x02}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := checkRLE(t, tt.name, tt.src, tt.width)
			if diff := sliceDiff(tt.want, got); diff != "" {
				t.Errorf("AppendRLE (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRLEPrefixed(t *testing.T) {
	src := []uint8{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}
	got, err := AppendRLELevelsPrefixed([]byte{9}, src, 1)
	if err != nil {
		t.Fatal(err)
	}
	want := []byte{9, 2, 0, 0, 0, 0x28, 0x01}
	if diff := sliceDiff(want, got); diff != "" {
		t.Fatalf("AppendRLELevelsPrefixed (-want +got):\n%s", diff)
	}
	back := make([]uint8, len(src))
	n, err := DecodeRLELevelsPrefixed(back, append(got[1:], 0xEE), 1)
	if err != nil || n != 6 {
		t.Fatalf("DecodeRLELevelsPrefixed = %d, %v; want 6, nil", n, err)
	}
	if diff := sliceDiff(src, back); diff != "" {
		t.Fatalf("DecodeRLELevelsPrefixed (-want +got):\n%s", diff)
	}
	src32 := []uint32{7, 7, 7, 1000, 2}
	got32, err := AppendRLEPrefixed(nil, src32, 10)
	if err != nil {
		t.Fatal(err)
	}
	back32 := make([]uint32, len(src32))
	if n, err := DecodeRLEPrefixed(back32, got32, 10); err != nil || n != len(got32) {
		t.Fatalf("DecodeRLEPrefixed = %d, %v; want %d, nil", n, err, len(got32))
	}
	if diff := sliceDiff(src32, back32); diff != "" {
		t.Fatalf("DecodeRLEPrefixed (-want +got):\n%s", diff)
	}
	if _, err := AppendRLEPrefixed(nil, []uint32{4}, 2); !errors.Is(err, ErrValueRange) {
		t.Fatalf("AppendRLEPrefixed of 4 at width 2: %v, want ErrValueRange", err)
	}
}

func TestRLEValueRange(t *testing.T) {
	tests := []struct {
		name  string
		src   []uint32
		width uint
	}{
		{"width-0-nonzero", []uint32{0, 0, 1}, 0},
		{"width-1-two", []uint32{1, 1, 0, 2}, 1},
		{"width-31-top-bit", append(make([]uint32, 500), 1<<31), 31},
		{"late-in-long-run", append(make([]uint32, 9000), 8), 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dst := []byte{1, 2}
			got, err := AppendRLE(dst, tt.src, tt.width)
			if !errors.Is(err, ErrValueRange) {
				t.Fatalf("AppendRLE: %v, want ErrValueRange", err)
			}
			if want := fmt.Sprintf("index %d ", len(tt.src)-1); !containsString(err.Error(), want) {
				t.Errorf("error %q does not name %q", err, want)
			}
			if diff := sliceDiff([]byte{1, 2}, got); diff != "" {
				t.Errorf("dst changed (-want +got):\n%s", diff)
			}
			if tt.width <= 8 {
				levels := make([]uint8, len(tt.src))
				for i, v := range tt.src {
					levels[i] = uint8(v)
				}
				if _, err := AppendRLELevels(nil, levels, tt.width); !errors.Is(err, ErrValueRange) {
					t.Fatalf("AppendRLELevels: %v, want ErrValueRange", err)
				}
			}
		})
	}
	if _, err := AppendRLE(nil, nil, 33); !errors.Is(err, ErrWidth) {
		t.Errorf("AppendRLE width 33: %v, want ErrWidth", err)
	}
	if _, err := AppendRLELevels(nil, nil, 9); !errors.Is(err, ErrWidth) {
		t.Errorf("AppendRLELevels width 9: %v, want ErrWidth", err)
	}
}

func containsString(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

func TestRLEDecodeErrors(t *testing.T) {
	tests := []struct {
		name  string
		src   []byte
		width uint
		n     int
		want  error
		where string
	}{
		{"empty", nil, 3, 1, ErrTruncated, "byte 0"},
		{"header-cut", []byte{0x80}, 3, 1, ErrTruncated, "byte 1"},
		{"header-too-long", []byte{0x80, 0x80, 0x80, 0x80, 0x10}, 3, 1, ErrCorrupt, "byte 4"},
		{"rle-value-missing", []byte{0x04}, 3, 2, ErrTruncated, "byte 0"},
		{"rle-value-short", []byte{0x04, 0x01}, 16, 2, ErrTruncated, "byte 0"},
		{"rle-value-too-wide", []byte{0x04, 0x09}, 3, 2, ErrCorrupt, "byte 0"},
		{"rle-value-too-wide-32", []byte{0x02, 0, 0, 0, 0x80}, 31, 1, ErrCorrupt, "byte 0"},
		{"bit-packed-short", []byte{0x03, 0x88, 0xC6}, 3, 8, ErrTruncated, "byte 0"},
		{"runs-end-early", []byte{0x04, 0x01, 0x03, 0x88, 0xC6, 0xFA}, 3, 11, ErrTruncated, "byte 6"},
		{"huge-run-then-nothing", []byte{0xFE, 0xFF, 0xFF, 0xFF, 0x0F, 0x01}, 1, 1 << 20, nil, ""},
		{"zero-count-runs-only", []byte{0x00, 0x00, 0x01, 0x00}, 1, 4, ErrTruncated, "byte 3"},
		{"width-out-of-range", []byte{0x02, 0x01}, 33, 1, ErrWidth, "33"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dst := make([]uint32, tt.n)
			_, err := DecodeRLE(dst, tt.src, tt.width)
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Fatalf("DecodeRLE: %v, want %v", err, tt.want)
			}
			if err != nil && !containsString(err.Error(), tt.where) {
				t.Errorf("error %q does not name %q", err, tt.where)
			}
			if tt.width <= 8 {
				levels := make([]uint8, tt.n)
				_, lerr := DecodeRLELevels(levels, tt.src, tt.width)
				if (lerr == nil) != (err == nil) || (err != nil && lerr.Error() != err.Error()) {
					t.Errorf("DecodeRLELevels: %v, DecodeRLE: %v", lerr, err)
				}
			}
		})
	}
	prefixed := []struct {
		name string
		src  []byte
	}{
		{"prefix-cut", []byte{1, 0, 0}},
		{"prefix-too-long", []byte{5, 0, 0, 0, 0x02, 0x01}},
	}
	for _, tt := range prefixed {
		if _, err := DecodeRLEPrefixed(make([]uint32, 1), tt.src, 1); !errors.Is(err, ErrTruncated) {
			t.Errorf("%s: DecodeRLEPrefixed: %v, want ErrTruncated", tt.name, err)
		}
		if _, err := DecodeRLELevelsPrefixed(make([]uint8, 1), tt.src, 1); !errors.Is(err, ErrTruncated) {
			t.Errorf("%s: DecodeRLELevelsPrefixed: %v, want ErrTruncated", tt.name, err)
		}
	}
}

// TestRLEDecodeLenient checks what readers must accept: a last bit-packed
// run without its padding bytes, and a last run longer than needed.
func TestRLEDecodeLenient(t *testing.T) {
	tests := []struct {
		name  string
		src   []byte
		width uint
		want  []uint32
		used  int
	}{
		{"padding-missing", []byte{0x03, 0x88}, 3, []uint32{0, 1}, 2},
		{"padding-present", []byte{0x03, 0x88, 0xC6, 0xFA, 0xFF}, 3, []uint32{0, 1, 2}, 4},
		{"long-rle-run", []byte{0x64, 0x05, 0xFF}, 3, []uint32{5, 5, 5}, 2},
		{"zero-count-runs", []byte{0x00, 0x01, 0x04, 0x02}, 2, []uint32{2, 2}, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := make([]uint32, len(tt.want))
			used, err := DecodeRLE(got, tt.src, tt.width)
			if err != nil || used != tt.used {
				t.Fatalf("DecodeRLE = %d, %v; want %d, nil", used, err, tt.used)
			}
			if diff := sliceDiff(tt.want, got); diff != "" {
				t.Errorf("DecodeRLE (-want +got):\n%s", diff)
			}
		})
	}
}

// sliceDiff is cmp.Diff, with a fast path for the equal slices most checks
// see.
func sliceDiff[T comparable](want, got []T) string {
	if slices.Equal(want, got) {
		return ""
	}
	return cmp.Diff(want, got)
}
