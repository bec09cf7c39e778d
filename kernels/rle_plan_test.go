package kernels

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// appendRLEPlain is the encoder's decision procedure without its fast
// paths: every stretch priced the three ways with runs counted on the
// bitmap. appendRLE must write the same bytes.
func appendRLEPlain[T rleValue](dst []byte, src []T, width uint) ([]byte, error) {
	start := len(dst)
	n := len(src)
	if n == 0 {
		return dst, nil
	}
	buf, or := equalMask(src)
	defer maskPool.Put(buf)
	if err := checkWidth(src, width, or); err != nil {
		return dst[:start], err
	}
	if width == 0 {
		return appendRLERun(dst, n, 0, 0), nil
	}
	e := *buf
	vb := int(width+7) / 8
	k := minRLERun(width)
	w := int(width)
	// Each run of at least k values is an RLE run. The values between two
	// such runs (a stretch, whose own runs are shorter than k and take a
	// one-byte header each) are written the cheapest of three ways: R,
	// one RLE run per run; B, the stretch's whole groups bit-packed and
	// the t values after them as R does; A, bit-packed with the last group
	// completed by the first values of the run that follows (or by zero
	// padding at the end of the stream), less the header bytes that run
	// then saves. R wins ties, then B. R is what
	// writing every run as an RLE run costs, and A only shortens the run
	// that follows, so the result is never larger than that.
	//
	// Everything bit-packed takes packed bytes. Each step below knows its
	// size before writing; once the total would pass packed, that is what
	// gets written, so the output never grows past its final size.
	packed := math.MaxInt
	if g := (n + 7) / 8; n <= maxRLERun {
		packed = uvarintLen(uint64(g)<<1|1) + g*w
	}
	lit := 0 // start of the stretch
	runs := runScanner{e: e, n: n, k: k, k1: uint(k - 1), bm: ^e[0]}
	for lit < n {
		s, end := runs.next()
		pad := 0
		if m := s - lit; m > 0 {
			t, g := m&7, m>>3
			// B without whole groups is R; A may be impossible.
			costB, costA := math.MaxInt, math.MaxInt
			if g > 0 {
				costB = uvarintLen(uint64(g)<<1|1) + g*w + runsIn(e, s-t, s)*(1+vb)
			}
			if t != 0 && (s == n || 8-t < end-s) {
				costA = uvarintLen(uint64(g+1)<<1|1) + (g+1)*w
				if s < n {
					// The shorter run may take a shorter header.
					costA += rleRunSize(end-s-(8-t), vb) - rleRunSize(end-s, vb)
				}
			}
			// Runs are counted only as far as R could still win.
			limit := min(costA, costB)
			if vb == 1 {
				limit >>= 1 // levels: skip the division
			} else {
				limit /= 1 + vb
			}
			costR := runsUpTo(e, lit, s, limit) * (1 + vb)
			step := min(costR, costB, costA)
			if s < n && step == costA && costA < costB && costA < costR {
				pad = 8 - t
			}
			if s < n {
				step += rleRunSize(end-s-pad, vb)
			}
			if len(dst)-start+step > packed {
				return appendLiteral(dst[:start], src, width, true), nil
			}
			switch {
			case costR <= costB && costR <= costA:
				dst = appendRuns(dst, src, e, lit, s, vb)
			case costB <= costA:
				dst = appendLiteral(dst, src[lit:s-t], width, false)
				dst = appendRuns(dst, src, e, s-t, s, vb)
			case s == n:
				dst = appendLiteral(dst, src[lit:], width, true)
			default:
				dst = appendLiteral(dst, src[lit:s+pad], width, false)
			}
		} else if len(dst)-start+maxRunSize > packed && len(dst)-start+rleRunSize(end-s, vb) > packed {
			// (A run of at most maxRLERun values takes at most maxRunSize
			// bytes.)
			return appendLiteral(dst[:start], src, width, true), nil
		}
		if c := end - s - pad; s == n {
			break
		} else if c < 64 && vb == 1 {
			dst = append(dst, byte(c<<1), byte(src[s]))
		} else {
			dst = appendRLERun(dst, c, uint32(src[s]), vb)
		}
		lit = end
	}
	return dst, nil
}

// TestRLEFastPathsMatchPlain compares appendRLE with appendRLEPlain on
// inputs built to reach its fast paths and their edges: runs around k,
// around 64 and 8192 values (where a run header grows a byte), single short
// runs between long ones, clusters of short runs.
func TestRLEFastPathsMatchPlain(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	lengths := []int{1, 2, 3, 5, 7, 8, 9, 15, 16, 17, 56, 57, 60, 63, 64, 65, 70, 71, 72, 100, 8185, 8191, 8192, 8193}
	trials := 400
	if testing.Short() {
		trials = 60
	}
	for _, width := range []uint{1, 2, 3, 4, 7, 8, 9, 17, 32} {
		for trial := range trials {
			var src []uint32
			n := 1 + rng.IntN(3000)
			if trial%10 == 0 {
				n += 20000
			}
			for len(src) < n {
				v := randBelow(rng, width)
				var l int
				switch rng.IntN(4) {
				case 0:
					l = lengths[rng.IntN(len(lengths))]
				case 1:
					l = 1 + rng.IntN(20)
				case 2:
					l = 1 + rng.IntN(200)
				default:
					l = 1 + rng.IntN(3)
				}
				if rng.IntN(8) == 0 && width > 1 {
					v = randBelow(rng, 1) // runs of 0 and 1, as levels
				}
				for j := 0; j < l; j++ {
					src = append(src, v)
				}
			}
			want, err := appendRLEPlain(nil, src, width)
			if err != nil {
				t.Fatal(err)
			}
			got, err := AppendRLE(nil, src, width)
			if err != nil {
				t.Fatal(err)
			}
			if diff := sliceDiff(want, got); diff != "" {
				t.Fatalf("width %d trial %d (%d values): AppendRLE differs from the plain procedure (-plain +got):\n%s", width, trial, len(src), diff)
			}
			if width <= 8 {
				levels := make([]uint8, len(src))
				for i, v := range src {
					levels[i] = uint8(v)
				}
				got, err := AppendRLELevels(nil, levels, width)
				if err != nil {
					t.Fatal(err)
				}
				if diff := sliceDiff(want, got); diff != "" {
					t.Fatalf("width %d trial %d (%d levels): AppendRLELevels differs from the plain procedure (-plain +got):\n%s", width, trial, len(src), diff)
				}
			}
		}
	}
}

// TestRLEAllEqualMatchesPlain checks the all-equal path against the plain
// procedure around its threshold, at every width, and that a value too
// large for the width is reported as the plain procedure reports it.
func TestRLEAllEqualMatchesPlain(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	for width := uint(0); width <= 32; width++ {
		for _, n := range []int{1, 8, 63, 64, 65, 1000, 70000} {
			v := randBelow(rng, width)
			src := fillWith(n, func(int) uint32 { return v })
			want, err := appendRLEPlain(nil, src, width)
			if err != nil {
				t.Fatal(err)
			}
			got, err := AppendRLE(nil, src, width)
			if err != nil {
				t.Fatal(err)
			}
			if diff := sliceDiff(want, got); diff != "" {
				t.Fatalf("width %d, %d values of %d: AppendRLE differs from the plain procedure (-plain +got):\n%s", width, n, v, diff)
			}
			if width >= 32 {
				continue
			}
			bad := fillWith(n, func(int) uint32 { return 1 << width })
			_, wantErr := appendRLEPlain(nil, bad, width)
			_, gotErr := AppendRLE(nil, bad, width)
			if wantErr == nil || gotErr == nil || gotErr.Error() != wantErr.Error() {
				t.Fatalf("width %d, %d values of %d: error %v, want %v", width, n, 1<<width, gotErr, wantErr)
			}
		}
	}
}

// TestPack1x8 checks the width-1 packing against pack8x8 for every byte.
func TestPack1x8(t *testing.T) {
	for b := range 256 {
		var u uint64
		for i := range 8 {
			u |= uint64(b>>i&1) << (8 * i)
		}
		if got, want := pack1x8(u), byte(pack8x8(u, 1)); got != want || got != byte(b) {
			t.Fatalf("pack1x8(%#x) = %#x, pack8x8 %#x, want %#x", u, got, want, b)
		}
	}
}

// fuzzRuns reads runs from data, two bytes a run: the first gives the
// value (at widths above 1, half the runs take 0 or 1, as levels do), the
// second the length: 1..32, 56..87 (around the two-byte headers), 1..4,
// or 8180..8211 (around the three-byte headers). At most 1<<17 values.
func fuzzRuns(data []byte, width uint) []uint32 {
	mask := uint32(uint64(1)<<width - 1)
	var out []uint32
	for ; len(data) >= 2 && len(out) < 1<<17; data = data[2:] {
		a, b := data[0], data[1]
		v := uint32(a>>1) & mask
		if a&1 != 0 {
			v = uint32(a>>1) & 1 & mask
		}
		if width > 8 {
			v = (uint32(a) * 0x9E3779B1) & mask
		}
		var l int
		switch b >> 6 {
		case 0, 1:
			l = 1 + int(b&0x1F)
		case 2:
			l = 56 + int(b&0x1F)
		default:
			l = 1 + int(b&3)
			if b&0x20 != 0 {
				l = 8180 + int(b&0x1F)
			}
		}
		for range l {
			out = append(out, v)
		}
	}
	return out
}

// FuzzRLEMatchesPlain checks, on every implementation, that AppendRLE and
// AppendRLELevels write the bytes of the plain decision procedure for
// run-shaped inputs, appending to a prefix held in a slice without spare
// capacity.
func FuzzRLEMatchesPlain(f *testing.F) {
	f.Add([]byte{2, 5, 0, 3, 2, 80, 0, 2, 2, 70}, uint8(1), uint8(0))
	f.Add([]byte{14, 30, 3, 1, 5, 2, 14, 20, 1, 0, 3, 1, 14, 90}, uint8(3), uint8(2))
	f.Add([]byte{0, 0xE0, 1, 2, 0, 0x40, 1, 5, 0, 0xE5}, uint8(1), uint8(5))
	f.Add([]byte{7, 200, 9, 1, 7, 3, 200, 0x21}, uint8(17), uint8(1))
	f.Fuzz(func(t *testing.T, data []byte, w, pre uint8) {
		width := uint(w % 33)
		src := fuzzRuns(data, width)
		prefix := make([]byte, pre%8)
		want, err := appendRLEPlain(slices.Clone(prefix), src, width)
		if err != nil {
			t.Fatalf("plain: %v", err)
		}
		levels := make([]uint8, len(src))
		for i, v := range src {
			levels[i] = uint8(v)
		}
		eachImpl(t, func(name string) {
			got, err := AppendRLE(slices.Clone(prefix), src, width)
			if err != nil || !slices.Equal(got, want) {
				t.Fatalf("%s: width %d, %d values: AppendRLE = %x, %v; plain procedure %x", name, width, len(src), got, err, want)
			}
			if width <= 8 {
				got, err := AppendRLELevels(slices.Clone(prefix), levels, width)
				if err != nil || !slices.Equal(got, want) {
					t.Fatalf("%s: width %d, %d levels: AppendRLELevels = %x, %v; plain procedure %x", name, width, len(src), got, err, want)
				}
			}
		})
	})
}
