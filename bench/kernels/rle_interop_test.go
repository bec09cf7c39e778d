package kernels

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/evodb/writer/kernels"
	"github.com/google/go-cmp/cmp"
	"github.com/parquet-go/parquet-go/encoding/bytestreamsplit"
	"github.com/parquet-go/parquet-go/encoding/rle"
)

// interopShapes are the inputs both encoders exchange.
func interopShapes(rng *rand.Rand, n int, width uint) map[string][]uint32 {
	mask := uint32(uint64(1)<<width - 1)
	shapes := map[string][]uint32{}
	rnd := make([]uint32, n)
	runs := make([]uint32, 0, n)
	same := make([]uint32, n)
	broken := make([]uint32, n)
	v := rng.Uint32() & mask
	for i := range n {
		rnd[i] = rng.Uint32() & mask
		same[i] = v
		broken[i] = v
		if i%41 == 40 {
			broken[i] = rng.Uint32() & mask
		}
	}
	for len(runs) < n {
		r, l := rng.Uint32()&mask, 1+rng.IntN(30)
		for j := 0; j < l && len(runs) < n; j++ {
			runs = append(runs, r)
		}
	}
	shapes["random"], shapes["runs"], shapes["equal"], shapes["broken"] = rnd, runs, same, broken
	return shapes
}

var interopSizes = []int{1, 7, 8, 9, 63, 64, 65, 500, 4099}

// TestRLEInteropLevels: levels we encode decode with parquet-go, and
// levels parquet-go encodes decode with ours.
func TestRLEInteropLevels(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	for width := uint(1); width <= 8; width++ {
		for _, n := range interopSizes {
			for name, vals := range interopShapes(rng, n, width) {
				levels := make([]uint8, n)
				for i, v := range vals {
					levels[i] = uint8(v)
				}
				what := fmt.Sprintf("width=%d/n=%d/%s", width, n, name)
				enc := rle.Encoding{BitWidth: int(width)}

				ours, err := kernels.AppendRLELevels(nil, levels, width)
				if err != nil {
					t.Fatalf("%s: AppendRLELevels: %v", what, err)
				}
				got, err := enc.DecodeLevels(nil, ours)
				if err != nil {
					t.Fatalf("%s: parquet-go DecodeLevels of ours: %v", what, err)
				}
				// The last bit-packed group may carry padding values.
				if len(got) < n || len(got) > n+7 {
					t.Fatalf("%s: parquet-go decoded %d values of %d", what, len(got), n)
				}
				if diff := cmp.Diff(levels, got[:n]); diff != "" {
					t.Fatalf("%s: parquet-go decoding of ours (-want +got):\n%s", what, diff)
				}

				theirs, err := enc.EncodeLevels(nil, levels)
				if err != nil {
					t.Fatalf("%s: parquet-go EncodeLevels: %v", what, err)
				}
				back := make([]uint8, n)
				if _, err := kernels.DecodeRLELevels(back, theirs, width); err != nil {
					t.Fatalf("%s: DecodeRLELevels of parquet-go's: %v", what, err)
				}
				if diff := cmp.Diff(levels, back); diff != "" {
					t.Fatalf("%s: our decoding of parquet-go's (-want +got):\n%s", what, diff)
				}
			}
		}
	}
}

// TestRLEInteropInt32 is the same for values up to 32 bits wide, as
// dictionary indices are written.
func TestRLEInteropInt32(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 2))
	for width := uint(0); width <= 32; width++ {
		for _, n := range interopSizes {
			for name, vals := range interopShapes(rng, n, width) {
				what := fmt.Sprintf("width=%d/n=%d/%s", width, n, name)
				enc := rle.Encoding{BitWidth: int(width)}
				i32 := make([]int32, n)
				for i, v := range vals {
					i32[i] = int32(v)
				}

				ours, err := kernels.AppendRLE(nil, vals, width)
				if err != nil {
					t.Fatalf("%s: AppendRLE: %v", what, err)
				}
				got, err := enc.DecodeInt32(nil, ours)
				if err != nil {
					t.Fatalf("%s: parquet-go DecodeInt32 of ours: %v", what, err)
				}
				if len(got) < n {
					t.Fatalf("%s: parquet-go decoded %d values of %d", what, len(got), n)
				}
				if diff := cmp.Diff(i32, got[:n]); diff != "" {
					t.Fatalf("%s: parquet-go decoding of ours (-want +got):\n%s", what, diff)
				}

				theirs, err := enc.EncodeInt32(nil, i32)
				if err != nil {
					t.Fatalf("%s: parquet-go EncodeInt32: %v", what, err)
				}
				back := make([]uint32, n)
				if _, err := kernels.DecodeRLE(back, theirs, width); err != nil {
					t.Fatalf("%s: DecodeRLE of parquet-go's: %v", what, err)
				}
				if diff := cmp.Diff(vals, back); diff != "" {
					t.Fatalf("%s: our decoding of parquet-go's (-want +got):\n%s", what, diff)
				}
			}
		}
	}
}

// TestByteStreamSplitInterop: both sides write the same bytes and read
// each other's.
func TestByteStreamSplitInterop(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	var enc bytestreamsplit.Encoding
	for _, n := range []int{0, 1, 15, 16, 17, 100, 1000, 4099} {
		f32 := make([]float32, n)
		f64 := make([]float64, n)
		for i := range n {
			f32[i] = math.Float32frombits(rng.Uint32())
			f64[i] = rng.NormFloat64() * 1e6
		}
		ours32 := kernels.AppendByteStreamSplit32(nil, f32)
		theirs32, err := enc.EncodeFloat(nil, f32)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(theirs32, ours32); n > 0 && diff != "" {
			t.Fatalf("n=%d: float32 bytes differ (-parquet-go +ours):\n%s", n, diff)
		}
		ours64 := kernels.AppendByteStreamSplit64(nil, f64)
		theirs64, err := enc.EncodeDouble(nil, f64)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(theirs64, ours64); n > 0 && diff != "" {
			t.Fatalf("n=%d: float64 bytes differ (-parquet-go +ours):\n%s", n, diff)
		}
		got32, err := enc.DecodeFloat(nil, ours32)
		if err != nil {
			t.Fatal(err)
		}
		got64, err := enc.DecodeDouble(nil, ours64)
		if err != nil {
			t.Fatal(err)
		}
		back32 := make([]float32, n)
		back64 := make([]float64, n)
		if err := kernels.DecodeByteStreamSplit32(back32, theirs32); err != nil {
			t.Fatal(err)
		}
		if err := kernels.DecodeByteStreamSplit64(back64, theirs64); err != nil {
			t.Fatal(err)
		}
		for i := range n {
			if math.Float32bits(got32[i]) != math.Float32bits(f32[i]) || math.Float32bits(back32[i]) != math.Float32bits(f32[i]) {
				t.Fatalf("n=%d: float32 %d: parquet-go read %x, we read %x, want %x", n, i,
					math.Float32bits(got32[i]), math.Float32bits(back32[i]), math.Float32bits(f32[i]))
			}
			if got64[i] != f64[i] || back64[i] != f64[i] {
				t.Fatalf("n=%d: float64 %d: parquet-go read %v, we read %v, want %v", n, i, got64[i], back64[i], f64[i])
			}
		}
	}
}

// TestRLEBooleanInterop: booleans held as bitmaps, with the length prefix
// of RLE-encoded BOOLEAN pages. parquet-go takes whole bytes of booleans.
//
// We read what parquet-go's EncodeBoolean writes, including its RLE runs of
// value byte 0xFF. The other way round, parquet-go's DecodeBoolean copies
// an RLE run's value byte as eight booleans, so it misreads runs written
// as the specification says (value 0x01, any count); its level decoder
// reads them right, and is what checks our output here.
func TestRLEBooleanInterop(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	var enc rle.Encoding
	for _, bytes := range []int{1, 2, 7, 8, 9, 64, 500} {
		for _, density := range []float64{0, 0.02, 0.5, 0.98, 1} {
			what := fmt.Sprintf("bytes=%d/density=%g", bytes, density)
			bm := make([]byte, bytes)
			for i := range 8 * bytes {
				if rng.Float64() < density {
					bm[i/8] |= 1 << (i % 8)
				}
			}
			if density > 0 && density < 1 && bytes >= 8 {
				// Long runs too.
				for i := bytes / 4; i < bytes/2; i++ {
					bm[i] = 0xFF
				}
			}
			ours, err := kernels.AppendRLEBitmapPrefixed(nil, bm, 8*bytes)
			if err != nil {
				t.Fatalf("%s: AppendRLEBitmapPrefixed: %v", what, err)
			}
			if n := binary.LittleEndian.Uint32(ours); int(n) != len(ours)-4 {
				t.Fatalf("%s: length prefix %d, runs of %d bytes", what, n, len(ours)-4)
			}
			lv := rle.Encoding{BitWidth: 1}
			levels, err := lv.DecodeLevels(nil, ours[4:])
			if err != nil {
				t.Fatalf("%s: parquet-go DecodeLevels of ours: %v", what, err)
			}
			if len(levels) < 8*bytes {
				t.Fatalf("%s: parquet-go decoded %d levels of %d", what, len(levels), 8*bytes)
			}
			got := make([]byte, bytes)
			for i, l := range levels[:8*bytes] {
				got[i/8] |= l << (i % 8)
			}
			if diff := cmp.Diff(bm, got); diff != "" {
				t.Fatalf("%s: parquet-go decoding of ours (-want +got):\n%s", what, diff)
			}
			theirs, err := enc.EncodeBoolean(nil, bm)
			if err != nil {
				t.Fatalf("%s: parquet-go EncodeBoolean: %v", what, err)
			}
			back := make([]byte, bytes)
			if _, err := kernels.DecodeRLEBitmapPrefixed(back, theirs, 8*bytes); err != nil {
				t.Fatalf("%s: DecodeRLEBitmapPrefixed of parquet-go's: %v", what, err)
			}
			if diff := cmp.Diff(bm, back); diff != "" {
				t.Fatalf("%s: our decoding of parquet-go's (-want +got):\n%s", what, diff)
			}
		}
	}
}
