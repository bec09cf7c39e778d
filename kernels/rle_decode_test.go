package kernels

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"testing"
)

// levelGuard is the number of guard bytes checked after a decoded slice.
const levelGuard = 64

// checkDecodeLevels decodes the first n values of src with decodeLevels and
// with the reference decodeRLE, and fails unless both return the same byte
// count, the same error and, without one, the same values. The output of
// decodeLevels has len == cap == n and is followed by guard bytes that must
// stay untouched.
func checkDecodeLevels(t *testing.T, name string, src []byte, width uint, n int, anyTrue bool) {
	t.Helper()
	want := make([]uint8, n)
	wantUsed, wantErr := decodeRLE(want, src, width, anyTrue)

	buf := make([]uint8, n+levelGuard)
	for i := n; i < len(buf); i++ {
		buf[i] = 0xA5
	}
	got := buf[:n:n]
	used, err := decodeLevels(got, src, width, anyTrue)
	for i := n; i < len(buf); i++ {
		if buf[i] != 0xA5 {
			t.Fatalf("%s: decodeLevels wrote guard byte %d past %d values", name, i-n, n)
		}
	}
	if (err == nil) != (wantErr == nil) || (err != nil && err.Error() != wantErr.Error()) {
		t.Fatalf("%s: decodeLevels error %v, reference %v", name, err, wantErr)
	}
	if err != nil {
		return
	}
	if used != wantUsed {
		t.Fatalf("%s: decodeLevels used %d bytes, reference %d", name, used, wantUsed)
	}
	if diff := sliceDiff(want, got); diff != "" {
		t.Fatalf("%s: decodeLevels (-reference +got):\n%s", name, diff)
	}
}

// appendTestRun appends an RLE run of count values v, one value byte.
func appendTestRun(dst []byte, count int, v byte) []byte {
	dst = binary.AppendUvarint(dst, uint64(count)<<1)
	return append(dst, v)
}

// appendTestPacked appends a bit-packed run of the given groups of packed
// bytes, taken from rng.
func appendTestPacked(dst []byte, rng *rand.Rand, groups int, width uint) []byte {
	dst = binary.AppendUvarint(dst, uint64(groups)<<1|1)
	for range groups * int(width) {
		dst = append(dst, byte(rng.Uint32()))
	}
	return dst
}

// levelShapes returns levels of the given width in several run shapes.
func levelShapes(rng *rand.Rand, n int, width uint) map[string][]uint8 {
	top := uint8(1<<width - 1)
	shapes := map[string][]uint8{}
	equal := make([]uint8, n)
	alternating := make([]uint8, n)
	random := make([]uint8, n)
	for i := range n {
		equal[i] = top
		alternating[i] = uint8(i&1) * top
		random[i] = uint8(rng.UintN(uint(top) + 1))
	}
	shapes["equal"] = equal
	shapes["alternating"] = alternating
	shapes["random"] = random
	for _, maxRun := range []int{4, 40, 80, 300, 3000} {
		runs := make([]uint8, 0, n)
		for len(runs) < n {
			v := uint8(rng.UintN(uint(top) + 1))
			for range min(1+rng.IntN(maxRun), n-len(runs)) {
				runs = append(runs, v)
			}
		}
		shapes[fmt.Sprintf("runs-to-%d", maxRun)] = runs
	}
	return shapes
}

func TestDecodeLevelsShapes(t *testing.T) {
	sizes := []int{0, 1, 7, 8, 9, 31, 32, 33, 63, 64, 65, 255, 256, 257, 1000, 4097, 20000, 70000}
	forEachImpl(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(7, 8))
		for width := uint(1); width <= 8; width++ {
			for _, n := range sizes {
				if testing.Short() && n > 4097 && width > 1 {
					continue
				}
				for shape, levels := range levelShapes(rng, n, width) {
					enc, err := AppendRLELevels(nil, levels, width)
					if err != nil {
						t.Fatal(err)
					}
					name := fmt.Sprintf("width %d %s", width, shape)
					for _, m := range []int{n, max(n-1, 0), n / 2, n + 9} {
						checkDecodeLevels(t, name, enc, width, m, false)
					}
					got := make([]uint8, n)
					if _, err := DecodeRLELevels(got, enc, width); err != nil {
						t.Fatalf("%s n=%d: %v", name, n, err)
					}
					if diff := sliceDiff(levels, got); diff != "" {
						t.Fatalf("%s n=%d: DecodeRLELevels (-want +got):\n%s", name, n, diff)
					}
				}
			}
		}
	})
}

// TestDecodeLevelsStreams decodes streams made by hand: RLE runs of every
// length around the decoder's store sizes, bit-packed runs between them,
// values that do not fit, and every cut of the stream.
func TestDecodeLevelsStreams(t *testing.T) {
	lengths := []int{1, 2, 8, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 128, 129, 255, 256, 257, 300, 4096, 16384, 16385, 40000}
	forEachImpl(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(9, 10))
		for width := uint(1); width <= 8; width++ {
			var src []byte
			total := 0
			for k, l := range lengths {
				src = appendTestRun(src, l, byte(k)&byte(1<<width-1))
				total += l
				if k%3 == 0 {
					g := 1 + rng.IntN(20)
					src = appendTestPacked(src, rng, g, width)
					total += 8 * g
				}
			}
			name := fmt.Sprintf("width %d", width)
			for _, n := range []int{total, total - 1, total - 300, total + 1} {
				checkDecodeLevels(t, name, src, width, n, false)
				checkDecodeLevels(t, name+" any-true", src, width, n, true)
			}
			// Every cut of the first runs, and a value too wide in each.
			head := src[:min(len(src), 80)]
			for cut := range len(head) {
				checkDecodeLevels(t, name+" cut", head[:cut], width, total, false)
			}
			if width < 8 {
				for k := range lengths {
					bad := appendTestRun(nil, 3, 0)
					bad = appendTestRun(bad, lengths[k], byte(1)<<width)
					checkDecodeLevels(t, name+" too wide", bad, width, 3+lengths[k], false)
					checkDecodeLevels(t, name+" too wide any-true", bad, width, 3+lengths[k], true)
				}
			}
		}
		// Headers of one to five bytes, and one too long.
		for _, h := range [][]byte{{0x04}, {0x80, 0x01}, {0x80, 0x80, 0x01}, {0x80, 0x80, 0x80, 0x01}, {0x80, 0x80, 0x80, 0x80, 0x01}, {0x80, 0x80, 0x80, 0x80, 0x10}, {0x81}, {0x81, 0x80}} {
			src := append(append([]byte(nil), h...), 1, 0xFF, 0xFF)
			checkDecodeLevels(t, "header", src, 1, 5, false)
			checkDecodeLevels(t, "header", src, 1, 300, false)
		}
	})
}

// FuzzDecodeLevels checks decodeLevels against the reference decodeRLE on
// arbitrary bytes, at every width, with and without the boolean reading.
func FuzzDecodeLevels(f *testing.F) {
	f.Add([]byte{0x03, 0x88, 0xC6, 0xFA}, uint8(3), uint16(8), false)
	f.Add([]byte{0xC8, 0x01, 0x05, 0x03, 0x11}, uint8(3), uint16(110), false)
	f.Add([]byte{0x80, 0x02, 0x01, 0x40, 0x00, 0x80, 0x04, 0xFF}, uint8(1), uint16(1000), true)
	f.Add([]byte{0x40, 0x02, 0x02, 0x05}, uint8(2), uint16(33), false)
	f.Fuzz(func(t *testing.T, src []byte, w uint8, n uint16, anyTrue bool) {
		width := uint(w % 9)
		checkDecodeLevels(t, "fuzz", src, width, int(n), anyTrue)
	})
}

// TestFillLevelsGuarded fills slices of every length from 0 to 600 and some
// longer ones, at every offset within 32 bytes, with each implementation,
// and checks every byte of the slice and 64 guard bytes on either side.
func TestFillLevelsGuarded(t *testing.T) {
	rows := levelRows()
	lengths := []int{4096, 16383, 16384, 16385, 40000}
	for n := range 601 {
		lengths = append(lengths, n)
	}
	forEachImpl(t, func(t *testing.T) {
		for _, n := range lengths {
			for off := range 32 {
				if n > 600 && off > 1 {
					break
				}
				buf := make([]byte, 64+off+n+64)
				for i := range buf {
					buf[i] = 0xA5
				}
				v := byte(n + off)
				d := buf[64+off : 64+off+n : 64+off+n]
				if n > levelRowLen {
					fillLevels(d, v, &rows[v])
				} else if f := impl.fillBytes; f != nil {
					if done := f(d, v); done != 0 && done != n {
						t.Fatalf("fillBytes of %d bytes did %d", n, done)
					}
				}
				for i, b := range buf {
					want := byte(0xA5)
					if i >= 64+off && i < 64+off+n && (n > levelRowLen || impl.fillBytes != nil && n >= 64) {
						want = v
					}
					if b != want {
						t.Fatalf("n=%d off=%d: byte %d is %#x, want %#x", n, off, i-64-off, b, want)
					}
				}
			}
		}
	})
}

// TestSpread1 checks spread1 on every byte against a loop over its bits.
func TestSpread1(t *testing.T) {
	for b := range 256 {
		var want uint64
		for i := range 8 {
			want |= uint64(b>>i&1) << (8 * i)
		}
		if got := spread1(byte(b)); got != want {
			t.Fatalf("spread1(%#02x) = %#016x, want %#016x", b, got, want)
		}
	}
}
