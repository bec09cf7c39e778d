package kernels

import (
	"encoding/binary"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// useEach runs f once per implementation this CPU can run, with that
// implementation switched on, and restores the previous one afterwards.
func useEach(t testing.TB, f func(name string)) {
	t.Helper()
	saved := impl.name
	defer func() {
		if err := Use(saved); err != nil {
			t.Fatal(err)
		}
	}()
	for _, name := range Available() {
		if err := Use(name); err != nil {
			t.Fatal(err)
		}
		f(name)
	}
}

// withImpl runs f with the named implementation switched on.
func withImpl(t testing.TB, name string, f func()) {
	t.Helper()
	saved := impl.name
	if err := Use(name); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := Use(saved); err != nil {
			t.Fatal(err)
		}
	}()
	f()
}

// deltaInputs64 are the value shapes the round-trip tests cover, each
// generated at length n.
var deltaInputs64 = []struct {
	name string
	gen  func(rng *rand.Rand, n int) []int64
}{
	{"random", func(rng *rand.Rand, n int) []int64 {
		v := make([]int64, n)
		for i := range v {
			v[i] = int64(rng.Uint64())
		}
		return v
	}},
	{"random-w7", func(rng *rand.Rand, n int) []int64 {
		v := make([]int64, n)
		for i := range v {
			v[i] = int64(rng.Uint64() & 0x7f)
		}
		return v
	}},
	{"sorted", func(rng *rand.Rand, n int) []int64 {
		v := make([]int64, n)
		for i := range v {
			v[i] = rng.Int64N(1 << 40)
		}
		slices.Sort(v)
		return v
	}},
	{"lsn", func(rng *rand.Rand, n int) []int64 {
		v := make([]int64, n)
		x := int64(1) << 33
		for i := range v {
			x += 1 + rng.Int64N(3)
			v[i] = x
		}
		return v
	}},
	{"timestamps", func(rng *rand.Rand, n int) []int64 {
		v := make([]int64, n)
		x := int64(1_764_115_200_000_000)
		for i := range v {
			x += 1000 + rng.Int64N(200) - 100
			v[i] = x
		}
		return v
	}},
	{"constant", func(rng *rand.Rand, n int) []int64 {
		v := make([]int64, n)
		for i := range v {
			v[i] = -42
		}
		return v
	}},
	{"extremes", func(rng *rand.Rand, n int) []int64 {
		v := make([]int64, n)
		for i := range v {
			if i%2 == 0 {
				v[i] = math.MinInt64
			} else {
				v[i] = math.MaxInt64
			}
		}
		return v
	}},
	{"wrapping", func(rng *rand.Rand, n int) []int64 {
		// Values near both ends so that most deltas overflow.
		v := make([]int64, n)
		for i := range v {
			switch rng.IntN(4) {
			case 0:
				v[i] = math.MinInt64 + rng.Int64N(8)
			case 1:
				v[i] = math.MaxInt64 - rng.Int64N(8)
			case 2:
				v[i] = rng.Int64N(16) - 8
			default:
				v[i] = int64(rng.Uint64())
			}
		}
		return v
	}},
	{"descending", func(rng *rand.Rand, n int) []int64 {
		v := make([]int64, n)
		x := int64(math.MaxInt64)
		for i := range v {
			x -= rng.Int64N(1 << 20)
			v[i] = x
		}
		return v
	}},
}

var deltaLengths = []int{0, 1, 2, 3, 31, 32, 33, 64, 127, 128, 129, 130, 160, 161, 255, 256, 257,
	4*128 + 1, 4*128 + 77, 16*128 + 1, 17*128 + 1, 40*128 + 33}

// deltaLengthsFor trims the lengths under -short (race detector, qemu) to
// those that still cross every boundary: block, miniblock, kernel chunk.
func deltaLengthsFor(t *testing.T) []int {
	if !testing.Short() {
		return deltaLengths
	}
	return []int{0, 1, 2, 33, 128, 129, 161, 4*128 + 77, 17*128 + 1}
}

func to32(v []int64) []int32 {
	out := make([]int32, len(v))
	for i, x := range v {
		out[i] = int32(x)
	}
	return out
}

const canary = 0xA5

// encodeGuarded encodes with the implementation in use into a buffer that
// starts with a prefix and whose spare capacity is filled with a canary,
// and fails if the prefix or the canary was touched.
func encodeGuarded(t *testing.T, enc func([]byte) []byte, maxLen int, what string) []byte {
	t.Helper()
	prefix := []byte{1, 2, 3}
	buf := make([]byte, len(prefix), len(prefix)+maxLen+64)
	for i := range buf[:cap(buf)] {
		buf[:cap(buf)][i] = canary
	}
	copy(buf, prefix)
	out := enc(buf)
	if &out[0] != &buf[0] {
		t.Fatalf("%s: encoder reallocated a buffer of %d spare bytes", what, maxLen+64)
	}
	if diff := cmp.Diff(prefix, out[:len(prefix)]); diff != "" {
		t.Fatalf("%s: prefix overwritten (-want +got):\n%s", what, diff)
	}
	for i, b := range out[len(out):cap(out)] {
		if b != canary {
			t.Fatalf("%s: byte %d past the output of %d bytes overwritten", what, i, len(out))
		}
	}
	return out[len(prefix):]
}

func TestDeltaRoundTripInt64(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	for _, in := range deltaInputs64 {
		for _, n := range deltaLengthsFor(t) {
			src := in.gen(rng, n)
			src = src[:len(src):len(src)]
			var want []byte
			withImpl(t, "purego", func() { want = AppendDeltaInt64(nil, src) })
			useEach(t, func(name string) {
				what := in.name + "/" + name
				got := encodeGuarded(t, func(b []byte) []byte { return AppendDeltaInt64(b, src) }, maxDeltaLen64(n), what)
				if diff := cmp.Diff(want, got); diff != "" {
					t.Fatalf("%s n=%d: encoding differs from reference (-ref +got):\n%s", what, n, diff)
				}
				stream := slices.Clip(append([]byte(nil), got...))
				vals := decodeGuarded64(t, stream, what)
				if diff := cmp.Diff(src, vals); diff != "" {
					t.Fatalf("%s n=%d: round trip (-want +got):\n%s", what, n, diff)
				}
			})
		}
	}
}

func TestDeltaRoundTripInt32(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 17))
	for _, in := range deltaInputs64 {
		for _, n := range deltaLengthsFor(t) {
			src := to32(in.gen(rng, n))
			src = src[:len(src):len(src)]
			var want []byte
			withImpl(t, "purego", func() { want = AppendDeltaInt32(nil, src) })
			useEach(t, func(name string) {
				what := in.name + "/" + name
				got := encodeGuarded(t, func(b []byte) []byte { return AppendDeltaInt32(b, src) }, maxDeltaLen32(n), what)
				if diff := cmp.Diff(want, got); diff != "" {
					t.Fatalf("%s n=%d: encoding differs from reference (-ref +got):\n%s", what, n, diff)
				}
				for i, w := range deltaWidthsOf(t, got) {
					if w > 32 {
						t.Fatalf("%s n=%d: int32 miniblock %d has width %d", what, n, i, w)
					}
				}
				stream := slices.Clip(append([]byte(nil), got...))
				vals := decodeGuarded32(t, stream, what)
				if diff := cmp.Diff(src, vals); diff != "" {
					t.Fatalf("%s n=%d: round trip (-want +got):\n%s", what, n, diff)
				}
			})
		}
	}
}

// deltaWidthsOf walks a stream of 128/4 blocks and returns its bit widths.
func deltaWidthsOf(t *testing.T, stream []byte) []uint8 {
	t.Helper()
	h, err := parseDeltaHeader(stream)
	if err != nil {
		t.Fatal(err)
	}
	var widths []uint8
	off := h.n
	for left := int(h.total) - 1; left > 0; left -= h.blockLen {
		_, k := binary.Varint(stream[off:])
		off += k
		w := stream[off : off+h.miniblocks]
		widths = append(widths, w...)
		off += h.miniblocks + miniblocksLen(w[:(min(left, h.blockLen)+31)/32])
	}
	return widths
}

// decodeGuarded64 decodes after a prefix of existing values into a buffer
// whose spare capacity holds a canary, and checks both survive.
func decodeGuarded64(t *testing.T, stream []byte, what string) []int64 {
	t.Helper()
	h, err := parseDeltaHeader(stream)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	const c = int64(-0x5a5a5a5a5a5a5a5b)
	prefix := []int64{9, 8}
	buf := make([]int64, len(prefix), len(prefix)+int(h.total)+40)
	for i := range buf[:cap(buf)] {
		buf[:cap(buf)][i] = c
	}
	copy(buf, prefix)
	out, n, err := DecodeDeltaInt64(buf, stream)
	if err != nil {
		t.Fatalf("%s: decode: %v", what, err)
	}
	if n != len(stream) {
		t.Fatalf("%s: decode consumed %d bytes of a %d-byte stream", what, n, len(stream))
	}
	if diff := cmp.Diff(prefix, out[:len(prefix)]); diff != "" {
		t.Fatalf("%s: values before the output overwritten (-want +got):\n%s", what, diff)
	}
	for i, v := range out[len(out):cap(out)] {
		if v != c {
			t.Fatalf("%s: value %d past the output overwritten", what, i)
		}
	}
	return out[len(prefix):]
}

func decodeGuarded32(t *testing.T, stream []byte, what string) []int32 {
	t.Helper()
	h, err := parseDeltaHeader(stream)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	const c = int32(-0x5a5a5a5b)
	prefix := []int32{9, 8}
	buf := make([]int32, len(prefix), len(prefix)+int(h.total)+40)
	for i := range buf[:cap(buf)] {
		buf[:cap(buf)][i] = c
	}
	copy(buf, prefix)
	out, n, err := DecodeDeltaInt32(buf, stream)
	if err != nil {
		t.Fatalf("%s: decode: %v", what, err)
	}
	if n != len(stream) {
		t.Fatalf("%s: decode consumed %d bytes of a %d-byte stream", what, n, len(stream))
	}
	if diff := cmp.Diff(prefix, out[:len(prefix)]); diff != "" {
		t.Fatalf("%s: values before the output overwritten (-want +got):\n%s", what, diff)
	}
	for i, v := range out[len(out):cap(out)] {
		if v != c {
			t.Fatalf("%s: value %d past the output overwritten", what, i)
		}
	}
	return out[len(prefix):]
}

// specStream builds a DELTA_BINARY_PACKED stream straight from the text of
// the specification, bit by bit, for any block layout: it is the oracle the
// encoder's bytes are checked against and the source of streams in layouts
// this package does not write. With junk set, the width bytes of unused
// miniblocks and the padding bits are filled with arbitrary values, as
// readers must accept. typeBits (32 or 64) sets the wrap-around width.
func specStream(values []int64, blockLen, miniblocks, typeBits int, junk *rand.Rand) []byte {
	wrap := func(x int64) int64 {
		if typeBits == 32 {
			return int64(int32(x))
		}
		return x
	}
	perMini := blockLen / miniblocks
	var out []byte
	out = binary.AppendUvarint(out, uint64(blockLen))
	out = binary.AppendUvarint(out, uint64(miniblocks))
	out = binary.AppendUvarint(out, uint64(len(values)))
	var first int64
	if len(values) > 0 {
		first = values[0]
	}
	out = binary.AppendVarint(out, first)
	for start := 1; start < len(values); start += blockLen {
		end := min(start+blockLen, len(values))
		deltas := make([]int64, end-start)
		for i := range deltas {
			deltas[i] = wrap(values[start+i] - values[start+i-1])
		}
		minDelta := slices.Min(deltas)
		adj := make([]uint64, len(deltas))
		for i, d := range deltas {
			adj[i] = uint64(wrap(d - minDelta))
			if typeBits == 32 {
				adj[i] &= math.MaxUint32
			}
		}
		out = binary.AppendVarint(out, minDelta)
		used := (len(adj) + perMini - 1) / perMini
		widths := make([]uint, miniblocks)
		for m := range miniblocks {
			if m >= used {
				if junk != nil {
					widths[m] = uint(junk.IntN(256))
				}
				continue
			}
			var hi uint64
			for _, a := range adj[m*perMini : min(len(adj), (m+1)*perMini)] {
				hi = max(hi, a)
			}
			for hi>>widths[m] != 0 {
				widths[m]++
			}
		}
		for _, w := range widths {
			out = append(out, byte(w))
		}
		for m := range used {
			mini := make([]uint64, perMini)
			n := copy(mini, adj[m*perMini:])
			if junk != nil && widths[m] > 0 {
				for i := n; i < perMini; i++ {
					mini[i] = junk.Uint64() & (^uint64(0) >> (64 - widths[m]))
				}
			}
			out = append(out, naivePack(mini, widths[m])...)
		}
	}
	return out
}

func TestDeltaEncoderMatchesSpecOracle(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 5))
	for _, in := range deltaInputs64 {
		for _, n := range []int{0, 1, 2, 33, 129, 300, 16*128 + 1, 17*128 + 40} {
			if testing.Short() && n > 300 {
				continue
			}
			src := in.gen(rng, n)
			useEach(t, func(name string) {
				if diff := cmp.Diff(specStream(src, 128, 4, 64, nil), AppendDeltaInt64(nil, src)); diff != "" {
					t.Fatalf("%s/%s n=%d int64 (-spec +ours):\n%s", in.name, name, n, diff)
				}
				s32 := to32(src)
				if diff := cmp.Diff(specStream(src32As64(s32), 128, 4, 32, nil), AppendDeltaInt32(nil, s32)); diff != "" {
					t.Fatalf("%s/%s n=%d int32 (-spec +ours):\n%s", in.name, name, n, diff)
				}
			})
		}
	}
}

func src32As64(v []int32) []int64 {
	out := make([]int64, len(v))
	for i, x := range v {
		out[i] = int64(x)
	}
	return out
}

func TestDeltaDecodeOtherLayouts(t *testing.T) {
	rng := rand.New(rand.NewPCG(19, 23))
	layouts := []struct{ blockLen, miniblocks int }{
		{128, 4}, {128, 1}, {128, 2}, {256, 8}, {256, 4}, {256, 1}, {512, 16}, {384, 3}, {1024, 8},
	}
	for _, l := range layouts {
		for _, in := range deltaInputs64 {
			for _, n := range []int{1, 2, 40, 129, 200, 257, 700, 2500} {
				if testing.Short() && n > 257 {
					continue
				}
				src := in.gen(rng, n)
				s64 := specStream(src, l.blockLen, l.miniblocks, 64, rng)
				s32 := specStream(src32As64(to32(src)), l.blockLen, l.miniblocks, 32, rng)
				useEach(t, func(name string) {
					what := in.name + "/" + name
					if diff := cmp.Diff(src, decodeGuarded64(t, slices.Clip(s64), what)); diff != "" {
						t.Fatalf("%s layout %d/%d n=%d int64 (-want +got):\n%s", what, l.blockLen, l.miniblocks, n, diff)
					}
					if diff := cmp.Diff(to32(src), decodeGuarded32(t, slices.Clip(s32), what)); diff != "" {
						t.Fatalf("%s layout %d/%d n=%d int32 (-want +got):\n%s", what, l.blockLen, l.miniblocks, n, diff)
					}
				})
			}
		}
	}
}

// Known vectors, worked out by hand from the specification's examples with
// the block size raised to 128.
func TestDeltaKnownVectors(t *testing.T) {
	tests := []struct {
		name   string
		values []int64
		stream []byte
	}{
		{"empty", nil, []byte{0x80, 0x01, 0x04, 0x00, 0x00}},
		{"single", []int64{-3}, []byte{0x80, 0x01, 0x04, 0x01, 0x05}},
		{
			// deltas 1,1,1,1: min delta 1 (zigzag 2), all widths 0, no body
			"example1", []int64{1, 2, 3, 4, 5},
			[]byte{0x80, 0x01, 0x04, 0x05, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00},
		},
		{
			// deltas -2,-2,-2,1,1,1,1: min -2 (zigzag 3), adjusted
			// 0,0,0,3,3,3,3 at width 2, padded to 32 values (8 bytes)
			"example2", []int64{7, 5, 3, 1, 2, 3, 4, 5},
			[]byte{0x80, 0x01, 0x04, 0x08, 0x0e, 0x03, 0x02, 0x00, 0x00, 0x00,
				0xc0, 0x3f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00},
		},
		{
			// 35 values 0..33, 100: deltas 1 (33 times) and 67; min 1
			// (zigzag 2); miniblock 0 all 0 (width 0); miniblock 1 holds
			// 0 and 66 at width 7 (66<<7 = 0x2100), padded to 32 values:
			// 28 bytes.
			"two-miniblocks", append(seq(0, 33), 100),
			append([]byte{0x80, 0x01, 0x04, 0x23, 0x00, 0x02, 0x00, 0x07, 0x00, 0x00, 0x00, 0x21},
				make([]byte, 26)...),
		},
	}
	for _, tt := range tests {
		useEach(t, func(name string) {
			if diff := cmp.Diff(tt.stream, AppendDeltaInt64(nil, tt.values)); diff != "" {
				t.Errorf("%s/%s: int64 encoding (-want +got):\n%s", tt.name, name, diff)
			}
			if diff := cmp.Diff(tt.stream, AppendDeltaInt32(nil, to32(tt.values))); diff != "" {
				t.Errorf("%s/%s: int32 encoding (-want +got):\n%s", tt.name, name, diff)
			}
			got, n, err := DecodeDeltaInt64(nil, tt.stream)
			if err != nil || n != len(tt.stream) {
				t.Fatalf("%s/%s: decode int64: n=%d err=%v", tt.name, name, n, err)
			}
			if diff := cmp.Diff(tt.values, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("%s/%s: decode int64 (-want +got):\n%s", tt.name, name, diff)
			}
			got32, n, err := DecodeDeltaInt32(nil, tt.stream)
			if err != nil || n != len(tt.stream) {
				t.Fatalf("%s/%s: decode int32: n=%d err=%v", tt.name, name, n, err)
			}
			if diff := cmp.Diff(to32(tt.values), got32, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("%s/%s: decode int32 (-want +got):\n%s", tt.name, name, diff)
			}
		})
	}
}

func seq(from, to int64) []int64 {
	var v []int64
	for x := from; x <= to; x++ {
		v = append(v, x)
	}
	return v
}

func TestDeltaDecodeStopsAtStreamEnd(t *testing.T) {
	src := seq(-500, 500)
	stream := AppendDeltaInt64(nil, src)
	page := append(slices.Clone(stream), 0xde, 0xad, 0xbe, 0xef)
	useEach(t, func(name string) {
		got, n, err := DecodeDeltaInt64(nil, page)
		if err != nil {
			t.Fatal(err)
		}
		if n != len(stream) {
			t.Errorf("%s: consumed %d bytes, stream is %d", name, n, len(stream))
		}
		if diff := cmp.Diff(src, got); diff != "" {
			t.Errorf("%s: (-want +got):\n%s", name, diff)
		}
	})
}

func TestDeltaDecodeErrors(t *testing.T) {
	// 301 random values: 3 blocks, the last with 2 miniblocks in use.
	valid := AppendDeltaInt64(nil, deltaInputs64[0].gen(rand.New(rand.NewPCG(1, 1)), 301))
	h, err := parseDeltaHeader(valid)
	if err != nil {
		t.Fatal(err)
	}
	with := func(b []byte, i int, v byte) []byte {
		b = slices.Clone(b)
		b[i] = v
		return b
	}
	// A stream of 2 values whose only block carries a width of w.
	oneBlock := func(w byte) []byte {
		return []byte{0x80, 0x01, 0x04, 0x02, 0x00, 0x00, w, 0x00, 0x00, 0x00}
	}
	tests := []struct {
		name    string
		stream  []byte
		int32   bool
		wantErr error
		offset  int
	}{
		{"empty input", nil, false, ErrDeltaCorrupt, 0},
		{"block size not a multiple of 128", []byte{0x64, 0x04, 0x00, 0x00}, false, ErrDeltaCorrupt, 0},
		{"block size zero", []byte{0x00, 0x04, 0x00, 0x00}, false, ErrDeltaCorrupt, 0},
		{"block size too large", binary.AppendUvarint(nil, 2*MaxDeltaBlockLen), false, ErrDeltaCorrupt, 0},
		{"block size varint overflow", slices.Repeat([]byte{0xff}, 11), false, ErrDeltaCorrupt, 0},
		{"miniblock count not a divisor", []byte{0x80, 0x01, 0x03, 0x00, 0x00}, false, ErrDeltaCorrupt, 2},
		{"miniblocks of 16 values", []byte{0x80, 0x01, 0x08, 0x00, 0x00}, false, ErrDeltaCorrupt, 2},
		{"miniblock count zero", []byte{0x80, 0x01, 0x00, 0x00, 0x00}, false, ErrDeltaCorrupt, 2},
		{"truncated header", []byte{0x80, 0x01, 0x04}, false, ErrDeltaCorrupt, 3},
		{"truncated first value", []byte{0x80, 0x01, 0x04, 0x01, 0x80}, false, ErrDeltaCorrupt, 4},
		{"absurd value count", []byte{0x80, 0x01, 0x04, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00}, false, ErrDeltaCorrupt, 3},
		{"count beyond blocks present", valid[:h.n+5], false, ErrDeltaCorrupt, 3},
		{"truncated min delta", []byte{0x80, 0x01, 0x04, 0x02, 0x00, 0x80, 0x80, 0x80, 0x80, 0x80}, false, ErrDeltaCorrupt, 5},
		{"truncated widths", []byte{0x80, 0x01, 0x04, 0x02, 0x00, 0x80, 0x01, 0x00, 0x00, 0x00}, false, ErrDeltaCorrupt, 7},
		{"width 65 for int64", oneBlock(65), false, ErrWidth, 6},
		{"width 33 for int32", oneBlock(33), true, ErrWidth, 6},
		{"truncated miniblock", oneBlock(8)[:10], false, ErrDeltaCorrupt, 10},
		{"truncated last block", valid[:len(valid)-1], false, ErrDeltaCorrupt, lastBodyOffset(t, valid)},
		{"first value outside int32", []byte{0x80, 0x01, 0x04, 0x01, 0x80, 0x80, 0x80, 0x80, 0x10}, true, ErrDeltaCorrupt, 4},
		{"junk widths of unused miniblocks", append([]byte{0x80, 0x01, 0x04, 0x02, 0x00, 0x00, 8, 0xff, 0x41, 0x80}, make([]byte, 32)...), true, nil, 0},
		{"junk width of unused miniblock in last block", with(valid, len(valid)-miniblocksLen(lastUsedWidths(t, valid))-1, 0xff), false, nil, 0},
	}
	for _, tt := range tests {
		useEach(t, func(name string) {
			var err error
			if tt.int32 {
				var got []int32
				got, _, err = DecodeDeltaInt32([]int32{1}, tt.stream)
				if err != nil && len(got) != 1 {
					t.Errorf("%s/%s: dst changed on error: %v", tt.name, name, got)
				}
			} else {
				var got []int64
				got, _, err = DecodeDeltaInt64([]int64{1}, tt.stream)
				if err != nil && len(got) != 1 {
					t.Errorf("%s/%s: dst changed on error: %v", tt.name, name, got)
				}
			}
			if tt.wantErr == nil {
				if err != nil {
					t.Errorf("%s/%s: unexpected error %v", tt.name, name, err)
				}
				return
			}
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("%s/%s: error %v, want %v", tt.name, name, err, tt.wantErr)
			}
			var de *DeltaError
			if !errors.As(err, &de) {
				t.Fatalf("%s/%s: error %v is not a *DeltaError", tt.name, name, err)
			}
			if de.Offset != tt.offset {
				t.Errorf("%s/%s: error %q at offset %d, want %d", tt.name, name, err, de.Offset, tt.offset)
			}
		})
	}
}

// lastBlock walks a 128/4 stream and returns the offset of the last
// block's width bytes and the widths of its miniblocks that hold values.
func lastBlock(t *testing.T, stream []byte) (int, []uint8) {
	t.Helper()
	h, err := parseDeltaHeader(stream)
	if err != nil {
		t.Fatal(err)
	}
	off, wOff := h.n, 0
	var used []uint8
	for left := int(h.total) - 1; left > 0; left -= h.blockLen {
		_, k := binary.Varint(stream[off:])
		off += k
		wOff = off
		used = stream[off : off+(min(left, h.blockLen)+31)/32]
		off += h.miniblocks + miniblocksLen(used)
	}
	return wOff, used
}

func lastBodyOffset(t *testing.T, stream []byte) int {
	off, _ := lastBlock(t, stream)
	return off + DeltaMiniblocks
}

func lastUsedWidths(t *testing.T, stream []byte) []uint8 {
	_, w := lastBlock(t, stream)
	return w
}

func TestDeltaKernelsMatchReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(29, 31))
	for _, in := range deltaInputs64 {
		for _, k := range []int{1, 2, 3, deltaChunkBlocks} {
			n := k * DeltaBlockLen
			src := slices.Clip(in.gen(rng, n+1))
			src32 := slices.Clip(to32(src))

			wantAdj := make([]uint64, n)
			wantMins := make([]int64, k)
			wantW := make([]uint8, 4*k)
			deltaEncode64Ref(wantAdj, src, wantMins, wantW)
			wantAdj32 := make([]uint32, n)
			wantMins32 := make([]int32, k)
			wantW32 := make([]uint8, 4*k)
			deltaEncode32Ref(wantAdj32, src32, wantMins32, wantW32)
			prev := int64(rng.Uint64())
			wantSum := slices.Clone(wantAdj)
			deltaDecode64Ref(wantSum, wantMins, prev)
			wantSum32 := slices.Clone(wantAdj32)
			deltaDecode32Ref(wantSum32, wantMins32, int32(prev))

			useEach(t, func(name string) {
				what := in.name + "/" + name
				adj, mins, w := guarded[uint64](n), guarded[int64](k), guarded[uint8](4*k)
				impl.deltaEncode64(adj.s, src, mins.s, w.s)
				adj.check(t, what+" encode64 dst")
				mins.check(t, what+" encode64 mins")
				w.check(t, what+" encode64 widths")
				if diff := cmp.Diff(wantAdj, adj.s); diff != "" {
					t.Fatalf("%s k=%d encode64 adjusted (-ref +got):\n%s", what, k, diff)
				}
				if diff := cmp.Diff(wantMins, mins.s); diff != "" {
					t.Fatalf("%s k=%d encode64 mins (-ref +got):\n%s", what, k, diff)
				}
				if diff := cmp.Diff(wantW, w.s); diff != "" {
					t.Fatalf("%s k=%d encode64 widths (-ref +got):\n%s", what, k, diff)
				}
				adj32, mins32, w32 := guarded[uint32](n), guarded[int32](k), guarded[uint8](4*k)
				impl.deltaEncode32(adj32.s, src32, mins32.s, w32.s)
				adj32.check(t, what+" encode32 dst")
				mins32.check(t, what+" encode32 mins")
				w32.check(t, what+" encode32 widths")
				if diff := cmp.Diff(wantAdj32, adj32.s); diff != "" {
					t.Fatalf("%s k=%d encode32 adjusted (-ref +got):\n%s", what, k, diff)
				}
				if diff := cmp.Diff(wantMins32, mins32.s); diff != "" {
					t.Fatalf("%s k=%d encode32 mins (-ref +got):\n%s", what, k, diff)
				}
				if diff := cmp.Diff(wantW32, w32.s); diff != "" {
					t.Fatalf("%s k=%d encode32 widths (-ref +got):\n%s", what, k, diff)
				}

				sum := guarded[uint64](n)
				copy(sum.s, wantAdj)
				impl.deltaDecode64(sum.s, slices.Clip(wantMins), prev)
				sum.check(t, what+" decode64")
				if diff := cmp.Diff(wantSum, sum.s); diff != "" {
					t.Fatalf("%s k=%d decode64 (-ref +got):\n%s", what, k, diff)
				}
				sum32 := guarded[uint32](n)
				copy(sum32.s, wantAdj32)
				impl.deltaDecode32(sum32.s, slices.Clip(wantMins32), int32(prev))
				sum32.check(t, what+" decode32")
				if diff := cmp.Diff(wantSum32, sum32.s); diff != "" {
					t.Fatalf("%s k=%d decode32 (-ref +got):\n%s", what, k, diff)
				}
			})
		}
	}
}

// guardedSlice is an output slice followed, in the same allocation, by
// canary elements that a kernel must not touch.
type guardedSlice[T uint8 | uint32 | uint64 | int32 | int64] struct {
	s    []T
	full []T
}

func guarded[T uint8 | uint32 | uint64 | int32 | int64](n int) guardedSlice[T] {
	full := make([]T, n+guardLen)
	for i := range full {
		full[i] = T(canary)
	}
	return guardedSlice[T]{s: full[:n:n], full: full}
}

func (g guardedSlice[T]) check(t *testing.T, what string) {
	t.Helper()
	for i, v := range g.full[len(g.s):] {
		if v != T(canary) {
			t.Fatalf("%s: element %d past the end overwritten", what, i)
		}
	}
}

func TestDeltaSteadyStateAllocatesNothing(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops items at random under the race detector")
	}
	rng := rand.New(rand.NewPCG(37, 41))
	src := deltaInputs64[3].gen(rng, 8192)
	src32 := to32(src)
	useEach(t, func(name string) {
		buf := AppendDeltaInt64(nil, src)
		vals := make([]int64, 0, len(src))
		buf32 := AppendDeltaInt32(nil, src32)
		vals32 := make([]int32, 0, len(src))
		checks := map[string]func(){
			"AppendDeltaInt64": func() { buf = AppendDeltaInt64(buf[:0], src) },
			"AppendDeltaInt32": func() { buf32 = AppendDeltaInt32(buf32[:0], src32) },
			"DecodeDeltaInt64": func() { vals, _, _ = DecodeDeltaInt64(vals[:0], buf) },
			"DecodeDeltaInt32": func() { vals32, _, _ = DecodeDeltaInt32(vals32[:0], buf32) },
		}
		for fn, f := range checks {
			if a := testing.AllocsPerRun(20, f); a != 0 {
				t.Errorf("%s/%s: %v allocations per call, want 0", fn, name, a)
			}
		}
	})
}
