package kernels

import (
	"errors"
	"fmt"
	"math"
	"math/bits"
	"math/rand/v2"
	"testing"
)

var bitmapSizes = []int{0, 1, 7, 8, 9, 31, 32, 33, 63, 64, 65, 127, 128, 129, 255, 256, 1000, 4103}

func randomBitmap(rng *rand.Rand, n int, density float64) []byte {
	b := make([]byte, BitmapLen(n))
	for i := range n {
		if rng.Float64() < density {
			b[i/8] |= 1 << (i % 8)
		}
	}
	return b
}

func TestBitmapLevels(t *testing.T) {
	forEachImpl(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(5, 6))
		for _, n := range bitmapSizes {
			for _, density := range []float64{0, 0.1, 0.5, 0.9, 1} {
				name := fmt.Sprintf("n=%d/density=%g", n, density)
				bm := randomBitmap(rng, n, density)
				// Simple loops are the oracle.
				wantSet := 0
				for i := range n {
					wantSet += int(bm[i/8] >> (i % 8) & 1)
				}
				if got, err := CountSet(bm, n); err != nil || got != wantSet {
					t.Fatalf("%s: CountSet = %d, %v; want %d", name, got, err, wantSet)
				}
				if got, err := NullCount(bm, n); err != nil || got != n-wantSet {
					t.Fatalf("%s: NullCount = %d, %v; want %d", name, got, err, n-wantSet)
				}
				for _, lv := range [][2]uint8{{1, 0}, {3, 2}, {0xFF, 0x7F}} {
					levels := make([]uint8, n+64)
					for i := range levels {
						levels[i] = 0xA5
					}
					if err := BitmapToLevels(levels[:n:n], bm, lv[0], lv[1]); err != nil {
						t.Fatalf("%s: BitmapToLevels: %v", name, err)
					}
					want := make([]uint8, n)
					for i := range want {
						want[i] = lv[1]
						if bm[i/8]>>(i%8)&1 == 1 {
							want[i] = lv[0]
						}
					}
					if diff := sliceDiff(want, levels[:n]); diff != "" {
						t.Fatalf("%s: BitmapToLevels %v (-want +got):\n%s", name, lv, diff)
					}
					checkGuardBytes(t, name, levels[n:])
					if got := NullCountLevels(levels[:n], lv[0]); got != n-wantSet {
						t.Fatalf("%s: NullCountLevels = %d, want %d", name, got, n-wantSet)
					}
					back := make([]byte, BitmapLen(n)+64)
					for i := range back {
						back[i] = 0xA5
					}
					set, err := LevelsToBitmap(back[:BitmapLen(n):BitmapLen(n)], levels[:n:n], lv[0])
					if err != nil || set != wantSet {
						t.Fatalf("%s: LevelsToBitmap = %d, %v; want %d", name, set, err, wantSet)
					}
					if diff := sliceDiff(bm, back[:BitmapLen(n)]); diff != "" {
						t.Fatalf("%s: LevelsToBitmap (-want +got):\n%s", name, diff)
					}
					checkGuardBytes(t, name, back[BitmapLen(n):])
				}
			}
		}
	})
}

func TestBitmapHelpersMixedLevels(t *testing.T) {
	// Levels of a nested column: only maxDef counts as present.
	levels := []uint8{0, 1, 2, 2, 1, 2, 0, 2, 2}
	bm := make([]byte, 2)
	set, err := LevelsToBitmap(bm, levels, 2)
	if err != nil || set != 5 {
		t.Fatalf("LevelsToBitmap = %d, %v; want 5", set, err)
	}
	if want := []byte{0b10101100, 0b1}; sliceDiff(want, bm) != "" {
		t.Fatalf("LevelsToBitmap = %08b, want %08b", bm, want)
	}
	if got := NullCountLevels(levels, 2); got != 4 {
		t.Fatalf("NullCountLevels = %d, want 4", got)
	}
	// High bits past n are ignored by the counts.
	if got, _ := CountSet([]byte{0xFF, 0xFF}, 9); got != 9 {
		t.Fatalf("CountSet of 9 bits of 0xFFFF = %d, want 9", got)
	}
}

func TestBitmapErrors(t *testing.T) {
	if _, err := CountSet([]byte{0}, 9); !errors.Is(err, ErrShortBuffer) {
		t.Errorf("CountSet 9 bits of 1 byte: %v", err)
	}
	if _, err := CountSet(nil, -1); !errors.Is(err, ErrShortBuffer) {
		t.Errorf("CountSet -1 bits: %v", err)
	}
	if err := BitmapToLevels(make([]uint8, 17), make([]byte, 2), 1, 0); !errors.Is(err, ErrShortBuffer) {
		t.Errorf("BitmapToLevels 17 levels from 2 bytes: %v", err)
	}
	if _, err := LevelsToBitmap(make([]byte, 1), make([]uint8, 9), 1); !errors.Is(err, ErrShortBuffer) {
		t.Errorf("LevelsToBitmap 9 levels into 1 byte: %v", err)
	}
}

func TestEqualMask(t *testing.T) {
	forEachImpl(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(7, 8))
		for _, n := range []int{0, 1, 63, 64, 65, 127, 128, 129, 200, 640, 641, 1000} {
			for _, span := range []uint32{1, 2, 3, 1 << 31} {
				src := make([]uint32, n+1)
				for i := range src {
					src[i] = uint32(rng.Uint64()) % span
					if span == 1<<31 && rng.IntN(4) == 0 && i > 0 {
						src[i] = src[i-1] ^ 1<<uint(rng.IntN(32)) // differs in one bit
					}
				}
				src = src[:n:n]
				src8 := make([]uint8, n)
				for i, v := range src {
					src8[i] = uint8(v)
				}
				words := (n + 63) / 64
				want := make([]uint64, words)
				want8 := make([]uint64, words)
				var wantOr uint32
				var wantOr8 uint8
				for i := range n {
					wantOr |= src[i]
					wantOr8 |= src8[i]
					if i+1 < n && src[i] == src[i+1] {
						want[i/64] |= 1 << (i % 64)
					}
					if i+1 < n && src8[i] == src8[i+1] {
						want8[i/64] |= 1 << (i % 64)
					}
				}
				got := make([]uint64, words+1)
				got[words] = 0xA5A5A5A5A5A5A5A5
				if or := equalMask32(got[:words:words], src); or != wantOr {
					t.Fatalf("n=%d span=%d: equalMask32 or = %#x, want %#x", n, span, or, wantOr)
				}
				if diff := sliceDiff(want, got[:words]); diff != "" {
					t.Fatalf("n=%d span=%d: equalMask32 (-want +got):\n%s", n, span, diff)
				}
				if got[words] != 0xA5A5A5A5A5A5A5A5 {
					t.Fatalf("n=%d: equalMask32 wrote past its output", n)
				}
				if or := equalMask8(got[:words:words], src8); or != wantOr8 {
					t.Fatalf("n=%d span=%d: equalMask8 or = %#x, want %#x", n, span, or, wantOr8)
				}
				if diff := sliceDiff(want8, got[:words]); diff != "" {
					t.Fatalf("n=%d span=%d: equalMask8 (-want +got):\n%s", n, span, diff)
				}
				if got[words] != 0xA5A5A5A5A5A5A5A5 {
					t.Fatalf("n=%d: equalMask8 wrote past its output", n)
				}
			}
		}
	})
}

func TestAllOnesFrom(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for range 2000 {
		lo, hi := rng.Uint64(), rng.Uint64()
		if rng.IntN(2) == 0 {
			lo |= rng.Uint64() | rng.Uint64()
			hi |= rng.Uint64() | rng.Uint64()
		}
		for k := uint(1); k <= 64; k++ {
			var want uint64
			for b := range uint(64) {
				all := true
				for j := b; j < b+k; j++ {
					bit := lo >> j & 1
					if j >= 64 {
						bit = hi >> (j - 64) & 1
					}
					all = all && bit == 1
				}
				if all {
					want |= 1 << b
				}
			}
			if got := allOnesFrom(lo, hi, k); got != want {
				t.Fatalf("allOnesFrom(%#x, %#x, %d) = %#x, want %#x", lo, hi, k, got, want)
			}
		}
		if hasFFByte(lo) != (bits.OnesCount64(lo) >= 8 && func() bool {
			for b := 0; b < 64; b += 8 {
				if byte(lo>>b) == 0xFF {
					return true
				}
			}
			return false
		}()) {
			t.Fatalf("hasFFByte(%#x) wrong", lo)
		}
	}
}

func TestByteStreamSplit(t *testing.T) {
	forEachImpl(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(11, 12))
		for _, n := range []int{0, 1, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100, 1000} {
			f32 := make([]float32, n)
			f64 := make([]float64, n)
			for i := range n {
				f32[i] = math.Float32frombits(rng.Uint32())
				f64[i] = math.Float64frombits(rng.Uint64())
			}
			want32 := make([]byte, 4*n)
			want64 := make([]byte, 8*n)
			for i := range n {
				for s := range 4 {
					want32[s*n+i] = byte(math.Float32bits(f32[i]) >> (8 * s))
				}
				for s := range 8 {
					want64[s*n+i] = byte(math.Float64bits(f64[i]) >> (8 * s))
				}
			}
			buf := make([]byte, 2+8*n+64)
			for i := range buf {
				buf[i] = 0xA5
			}
			got := AppendByteStreamSplit32(buf[:2:2+4*n], f32)
			if diff := sliceDiff(want32, got[2:]); diff != "" {
				t.Fatalf("n=%d: AppendByteStreamSplit32 (-want +got):\n%s", n, diff)
			}
			checkGuardBytes(t, "split32", buf[2+4*n:])
			got = AppendByteStreamSplit64(buf[:2:2+8*n], f64)
			if diff := sliceDiff(want64, got[2:]); diff != "" {
				t.Fatalf("n=%d: AppendByteStreamSplit64 (-want +got):\n%s", n, diff)
			}
			checkGuardBytes(t, "split64", buf[2+8*n:])

			back32 := make([]float32, n+4)
			for i := range back32 {
				back32[i] = math.Float32frombits(0xA5A5A5A5)
			}
			if err := DecodeByteStreamSplit32(back32[:n:n], want32[:4*n:4*n]); err != nil {
				t.Fatal(err)
			}
			if diff := sliceDiff(float32Bits(f32), float32Bits(back32[:n])); diff != "" {
				t.Fatalf("n=%d: DecodeByteStreamSplit32 (-want +got):\n%s", n, diff)
			}
			for _, v := range back32[n:] {
				if math.Float32bits(v) != 0xA5A5A5A5 {
					t.Fatalf("n=%d: DecodeByteStreamSplit32 wrote past its output", n)
				}
			}
			back64 := make([]float64, n+4)
			for i := range back64 {
				back64[i] = math.Float64frombits(0xA5A5A5A5A5A5A5A5)
			}
			if err := DecodeByteStreamSplit64(back64[:n:n], want64[:8*n:8*n]); err != nil {
				t.Fatal(err)
			}
			if diff := sliceDiff(float64Bits(f64), float64Bits(back64[:n])); diff != "" {
				t.Fatalf("n=%d: DecodeByteStreamSplit64 (-want +got):\n%s", n, diff)
			}
			for _, v := range back64[n:] {
				if math.Float64bits(v) != 0xA5A5A5A5A5A5A5A5 {
					t.Fatalf("n=%d: DecodeByteStreamSplit64 wrote past its output", n)
				}
			}
		}
	})
}

func TestByteStreamSplitErrors(t *testing.T) {
	if err := DecodeByteStreamSplit32(make([]float32, 2), make([]byte, 7)); !errors.Is(err, ErrCorrupt) {
		t.Errorf("DecodeByteStreamSplit32 of 7 bytes into 2 values: %v", err)
	}
	if err := DecodeByteStreamSplit64(make([]float64, 2), make([]byte, 17)); !errors.Is(err, ErrCorrupt) {
		t.Errorf("DecodeByteStreamSplit64 of 17 bytes into 2 values: %v", err)
	}
	// The specification's example: 1.0f and 2.0f.
	got := AppendByteStreamSplit32(nil, []float32{1, 2})
	if want := []byte{0x00, 0x00, 0x00, 0x00, 0x80, 0x00, 0x3F, 0x40}; sliceDiff(want, got) != "" {
		t.Errorf("AppendByteStreamSplit32(1, 2) = %x, want %x", got, want)
	}
}
