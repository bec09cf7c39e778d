package kernels

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
)

func TestRLEBitmap(t *testing.T) {
	forEachImpl(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(31, 32))
		for _, n := range []int{0, 1, 7, 8, 9, 100, 1000, 5000} {
			for _, density := range []float64{0, 0.05, 0.5, 0.97, 1} {
				name := fmt.Sprintf("n=%d/density=%g", n, density)
				bm := randomBitmap(rng, n, density)
				if n%8 != 0 {
					bm[n/8] |= 0xFF << (n % 8) // bits past n must be ignored
				}
				levels := make([]uint8, n)
				for i := range levels {
					levels[i] = bm[i/8] >> (i % 8) & 1
				}
				want, err := AppendRLELevels(nil, levels, 1)
				if err != nil {
					t.Fatal(err)
				}
				got, err := AppendRLEBitmap(nil, bm, n)
				if err != nil {
					t.Fatalf("%s: AppendRLEBitmap: %v", name, err)
				}
				if diff := sliceDiff(want, got); diff != "" {
					t.Fatalf("%s: AppendRLEBitmap differs from AppendRLELevels (-levels +bitmap):\n%s", name, diff)
				}
				back := make([]byte, BitmapLen(n)+8)
				for i := range back {
					back[i] = 0xA5
				}
				used, err := DecodeRLEBitmap(back[:BitmapLen(n)], got, n)
				if err != nil || used != len(got) {
					t.Fatalf("%s: DecodeRLEBitmap = %d, %v; want %d", name, used, err, len(got))
				}
				wantBm := make([]byte, BitmapLen(n))
				LevelsToBitmap(wantBm, levels, 1)
				if diff := sliceDiff(wantBm, back[:BitmapLen(n)]); diff != "" {
					t.Fatalf("%s: DecodeRLEBitmap (-want +got):\n%s", name, diff)
				}
				checkGuardBytes(t, name, back[BitmapLen(n):])

				pre, err := AppendRLEBitmapPrefixed([]byte{7}, bm, n)
				if err != nil {
					t.Fatal(err)
				}
				if diff := sliceDiff(append([]byte{7, byte(len(got)), byte(len(got) >> 8), byte(len(got) >> 16), 0}, got...), pre); diff != "" {
					t.Fatalf("%s: AppendRLEBitmapPrefixed (-want +got):\n%s", name, diff)
				}
				if used, err := DecodeRLEBitmapPrefixed(back, pre[1:], n); err != nil || used != len(pre)-1 {
					t.Fatalf("%s: DecodeRLEBitmapPrefixed = %d, %v", name, used, err)
				}
			}
		}
	})
	if _, err := AppendRLEBitmap(nil, []byte{1}, 9); !errors.Is(err, ErrShortBuffer) {
		t.Errorf("AppendRLEBitmap of 9 bits from 1 byte: %v", err)
	}
	if _, err := DecodeRLEBitmap(make([]byte, 1), []byte{0x12, 1}, 9); !errors.Is(err, ErrShortBuffer) {
		t.Errorf("DecodeRLEBitmap of 9 bits into 1 byte: %v", err)
	}
	if _, err := DecodeRLEBitmap(make([]byte, 2), []byte{0x03}, 9); !errors.Is(err, ErrTruncated) {
		t.Errorf("DecodeRLEBitmap of a cut run: %v", err)
	}
	if _, err := DecodeRLEBitmapPrefixed(make([]byte, 2), []byte{9, 0, 0, 0, 0x12}, 9); !errors.Is(err, ErrTruncated) {
		t.Errorf("DecodeRLEBitmapPrefixed with a long prefix: %v", err)
	}
}
