package kernels

import (
	"encoding/binary"
	"errors"
	"math"
	"slices"
	"testing"
)

// fuzzValues turns fuzz bytes into values of the given width: four bytes a
// value, masked, with runs made likely by repeating the previous value when
// a byte says so.
func fuzzValues(data []byte, width uint) []uint32 {
	mask := uint32(uint64(1)<<width - 1)
	var out []uint32
	for len(data) >= 4 {
		v := binary.LittleEndian.Uint32(data)
		data = data[4:]
		if v&0x80000000 != 0 && len(out) > 0 {
			for range v & 0x1F {
				out = append(out, out[len(out)-1])
			}
			continue
		}
		out = append(out, v&mask)
	}
	return out
}

func FuzzRLERoundTrip(f *testing.F) {
	f.Add([]byte{1, 0, 0, 0, 0x9F, 0, 0, 0x80, 2, 0, 0, 0}, uint8(3))
	f.Add([]byte{0xFF, 0xFF, 0xFF, 0xFF, 0x85, 0, 0, 0x80}, uint8(32))
	f.Add(make([]byte, 64), uint8(1))
	f.Fuzz(func(t *testing.T, data []byte, w uint8) {
		width := uint(w % 33)
		src := fuzzValues(data, width)
		var want []byte
		eachImpl(t, func(name string) {
			out, err := AppendRLE(nil, src, width)
			if err != nil {
				t.Fatalf("%s: AppendRLE: %v", name, err)
			}
			if want == nil {
				want = out
			} else if !slices.Equal(want, out) {
				t.Fatalf("%s: AppendRLE differs from %s: %x vs %x", name, Available()[0], out, want)
			}
			back := make([]uint32, len(src))
			if _, err := DecodeRLE(back, out, width); err != nil {
				t.Fatalf("%s: DecodeRLE: %v", name, err)
			}
			if !slices.Equal(src, back) {
				t.Fatalf("%s: round trip: got %v, want %v", name, back, src)
			}
			if width <= 8 {
				levels := make([]uint8, len(src))
				for i, v := range src {
					levels[i] = uint8(v)
				}
				lout, err := AppendRLELevels(nil, levels, width)
				if err != nil || !slices.Equal(out, lout) {
					t.Fatalf("%s: AppendRLELevels = %x, %v; want %x", name, lout, err, out)
				}
				lback := make([]uint8, len(src))
				if _, err := DecodeRLELevels(lback, out, width); err != nil || !slices.Equal(levels, lback) {
					t.Fatalf("%s: DecodeRLELevels = %v, %v; want %v", name, lback, err, levels)
				}
			}
		})
	})
}

func FuzzRLEDecode(f *testing.F) {
	f.Add([]byte{0x03, 0x88, 0xC6, 0xFA}, uint8(3), uint16(8))
	f.Add([]byte{0xC8, 0x01, 0x05}, uint8(3), uint16(100))
	f.Add([]byte{0xFE, 0xFF, 0xFF, 0xFF, 0x0F, 0x01}, uint8(1), uint16(1000))
	f.Add([]byte{4, 0, 0, 0, 0x28, 0x01, 0, 0}, uint8(1), uint16(20))
	f.Fuzz(func(t *testing.T, src []byte, w uint8, n uint16) {
		width := uint(w % 34) // 33 must be refused
		var want []uint32
		var wantErr error
		eachImpl(t, func(name string) {
			dst := make([]uint32, n)
			used, err := DecodeRLE(dst, src, width)
			if err == nil && (used < 0 || used > len(src)) {
				t.Fatalf("%s: DecodeRLE used %d of %d bytes", name, used, len(src))
			}
			if err != nil && !errors.Is(err, ErrTruncated) && !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrWidth) {
				t.Fatalf("%s: DecodeRLE error of no kind: %v", name, err)
			}
			if want == nil && wantErr == nil {
				want, wantErr = slices.Clone(dst), err
			} else if (err == nil) != (wantErr == nil) || (err == nil && !slices.Equal(want, dst)) {
				t.Fatalf("%s: DecodeRLE = %v, %v; other implementation %v, %v", name, dst, err, want, wantErr)
			}
			if width <= 8 {
				levels := make([]uint8, n)
				_, lerr := DecodeRLELevels(levels, src, width)
				if (lerr == nil) != (err == nil) {
					t.Fatalf("%s: DecodeRLELevels error %v, DecodeRLE error %v", name, lerr, err)
				}
				for i := range levels {
					if err == nil && uint32(levels[i]) != dst[i] {
						t.Fatalf("%s: DecodeRLELevels value %d = %d, DecodeRLE %d", name, i, levels[i], dst[i])
					}
				}
				if width == 1 {
					bm := make([]byte, BitmapLen(int(n)))
					_, berr := DecodeRLEBitmap(bm, src, int(n))
					for i := range levels {
						if err == nil && berr == nil && bm[i/8]>>(i%8)&1 != levels[i] {
							t.Fatalf("%s: DecodeRLEBitmap bit %d differs from DecodeRLELevels", name, i)
						}
					}
					if err == nil && berr != nil {
						t.Fatalf("%s: DecodeRLEBitmap failed where DecodeRLELevels did not: %v", name, berr)
					}
				}
				_, _ = DecodeRLELevelsPrefixed(levels, src, width)
			}
			_, _ = DecodeRLEPrefixed(dst, src, width)
		})
	})
}

func FuzzByteStreamSplit(f *testing.F) {
	f.Add(make([]byte, 256), uint8(0))
	f.Add([]byte{0, 0, 0x80, 0x3F, 0, 0, 0, 0x40}, uint8(1))
	f.Fuzz(func(t *testing.T, data []byte, cut uint8) {
		n64 := len(data) / 8
		f64 := make([]float64, n64)
		for i := range f64 {
			f64[i] = math.Float64frombits(binary.LittleEndian.Uint64(data[8*i:]))
		}
		n32 := len(data) / 4
		f32 := make([]float32, n32)
		for i := range f32 {
			f32[i] = math.Float32frombits(binary.LittleEndian.Uint32(data[4*i:]))
		}
		var want64, want32 []byte
		eachImpl(t, func(name string) {
			e64 := AppendByteStreamSplit64(nil, f64)
			e32 := AppendByteStreamSplit32(nil, f32)
			if want64 == nil {
				want64, want32 = e64, e32
			} else if !slices.Equal(want64, e64) || !slices.Equal(want32, e32) {
				t.Fatalf("%s: byte-stream-split differs between implementations", name)
			}
			b64 := make([]float64, n64)
			if err := DecodeByteStreamSplit64(b64, e64); err != nil || !slices.Equal(float64Bits(f64), float64Bits(b64)) {
				t.Fatalf("%s: float64 round trip: %v", name, err)
			}
			b32 := make([]float32, n32)
			if err := DecodeByteStreamSplit32(b32, e32); err != nil || !slices.Equal(float32Bits(f32), float32Bits(b32)) {
				t.Fatalf("%s: float32 round trip: %v", name, err)
			}
			// Arbitrary lengths: refused unless exact.
			short := data[:len(data)-min(int(cut), len(data))]
			if err := DecodeByteStreamSplit64(b64, short); (err == nil) != (len(short) == 8*n64) {
				t.Fatalf("%s: DecodeByteStreamSplit64 of %d bytes into %d values: %v", name, len(short), n64, err)
			}
		})
	})
}

func FuzzBitmapLevels(f *testing.F) {
	f.Add([]byte{0xAA, 0x55, 0xFF, 0x00}, uint16(30), uint8(1), uint8(0))
	f.Add(make([]byte, 40), uint16(300), uint8(3), uint8(2))
	f.Fuzz(func(t *testing.T, bm []byte, n uint16, present, null uint8) {
		levels := make([]uint8, n)
		err := BitmapToLevels(levels, bm, present, null)
		if (err == nil) != (len(bm) >= BitmapLen(int(n))) {
			t.Fatalf("BitmapToLevels of %d levels from %d bytes: %v", n, len(bm), err)
		}
		if err != nil {
			return
		}
		var want []uint8
		eachImpl(t, func(name string) {
			got := make([]uint8, n)
			if err := BitmapToLevels(got, bm, present, null); err != nil {
				t.Fatal(err)
			}
			if want == nil {
				want = got
			} else if !slices.Equal(want, got) {
				t.Fatalf("%s: BitmapToLevels differs between implementations", name)
			}
			for i, l := range got {
				bit := bm[i/8]>>(i%8)&1 == 1
				if (bit && l != present) || (!bit && l != null) {
					t.Fatalf("%s: level %d = %d for bit %v", name, i, l, bit)
				}
			}
			if present == null {
				return
			}
			back := make([]byte, BitmapLen(int(n)))
			set, err := LevelsToBitmap(back, got, present)
			if err != nil {
				t.Fatal(err)
			}
			wantSet, _ := CountSet(bm, int(n))
			if set != wantSet {
				t.Fatalf("%s: LevelsToBitmap counted %d, CountSet %d", name, set, wantSet)
			}
			if NullCountLevels(got, present) != int(n)-set {
				t.Fatalf("%s: NullCountLevels disagrees", name)
			}
			for i := range int(n) {
				if back[i/8]>>(i%8)&1 != bm[i/8]>>(i%8)&1 {
					t.Fatalf("%s: bit %d lost in the round trip", name, i)
				}
			}
		})
	})
}

// fuzzNullLevels reads width-1 levels from data, a byte a run, the runs
// alternating 1 and 0: a byte below 0x40 is a short run of 1..16 values,
// below 0x80 a run of 56..87 (around the two-byte headers and the A
// steps), 0xFF a run of 8190..8193 (around the kernel's longest run) when
// the next byte says so, else a run of 16..142. At most 1<<17 values.
func fuzzNullLevels(data []byte) []uint8 {
	var out []uint8
	v := uint8(1)
	for i := 0; i < len(data) && len(out) < 1<<17; i++ {
		b := data[i]
		var l int
		switch {
		case b < 0x40:
			l = 1 + int(b&0x0F)
		case b < 0x80:
			l = 56 + int(b&0x1F)
		case b == 0xFF && i+1 < len(data) && data[i+1]&0x80 != 0:
			l = 8190 + int(data[i+1]&3)
			i++
		default:
			l = 16 + int(b&0x7F)
		}
		for range l {
			out = append(out, v)
		}
		v ^= 1
	}
	return out
}

// FuzzRunsRLE1 checks runsRLE1 against runsRLE1Ref from a run start and
// with a limit the fuzzer picks, with guard bytes past what it may write,
// and that every implementation encodes the levels as the plain decision
// procedure does.
func FuzzRunsRLE1(f *testing.F) {
	f.Add([]byte{0x90, 0x03, 0xA0, 0x02, 0x05, 0x01, 0xC0, 0x07, 0x48, 0x0E, 0x85}, uint16(0), uint16(30), uint8(3))
	f.Add([]byte{0x80, 0x01, 0x02, 0x01, 0x03, 0x01, 0x02, 0x88, 0x06, 0x44, 0x07, 0x40, 0xFF, 0x81, 0x05, 0x90}, uint16(1), uint16(4), uint8(0))
	f.Add([]byte{0x40, 0x0F, 0x0F, 0x0F, 0x0F, 0x0F, 0x0F, 0x0F, 0x0F, 0x0F, 0x0F, 0x0F, 0x0F, 0x0F, 0x0F, 0x0F, 0x0F, 0x0F, 0x0F, 0xC0}, uint16(2), uint16(200), uint8(9))
	f.Fuzz(func(t *testing.T, data []byte, from, room uint16, pre uint8) {
		levels := fuzzNullLevels(data)
		if len(levels) == 0 {
			return
		}
		want, err := appendRLEPlain(nil, levels, 1)
		if err != nil {
			t.Fatalf("plain: %v", err)
		}
		buf, _ := equalMask(levels)
		defer maskPool.Put(buf)
		e := *buf
		starts := runStarts(levels)
		p := starts[int(from)%len(starts)]
		prefix := int(pre % 16)
		limit := prefix + int(room)%(2*len(levels)+64)
		spare := limit - prefix + runs1Slack
		eachImpl(t, func(name string) {
			got, err := AppendRLELevels(nil, levels, 1)
			if err != nil || !slices.Equal(got, want) {
				t.Fatalf("%s: %d levels: AppendRLELevels = %x, %v; plain procedure %x", name, len(levels), got, err, want)
			}
			if impl.runsRLE1 == nil {
				return
			}
			run := func(f func([]byte, []uint8, []uint64, runState, int) ([]byte, runState, int)) ([]byte, runState, int) {
				mem := make([]byte, prefix+spare+16)
				for i := range mem {
					mem[i] = 0xA5
				}
				out, st, how := f(mem[:prefix:prefix+spare], levels, e, restartAt(e, p), limit)
				for i := limit + runs1Slack; i < len(mem); i++ {
					if mem[i] != 0xA5 {
						t.Fatalf("%s: from %d, limit %d: wrote byte %d, past limit+%d", name, p, limit, i, runs1Slack)
					}
				}
				return slices.Clone(out), st, how
			}
			wantOut, wantSt, wantHow := run(runsRLE1Ref)
			gotOut, gotSt, gotHow := run(impl.runsRLE1)
			if !slices.Equal(gotOut, wantOut) || gotSt != wantSt || gotHow != wantHow {
				t.Fatalf("%s: from %d, limit %d: wrote %x, state %+v, how %d; runsRLE1Ref %x, %+v, %d", name, p, limit, gotOut, gotSt, gotHow, wantOut, wantSt, wantHow)
			}
		})
	})
}
