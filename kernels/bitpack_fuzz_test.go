package kernels

import (
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// eachImpl runs f under every available implementation and restores the
// one in use.
func eachImpl(t *testing.T, f func(name string)) {
	t.Helper()
	prev := Implementation()
	defer func() {
		if err := Use(prev); err != nil {
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

// FuzzPackUnpack32 packs values read from the input with every
// implementation, compares the bytes with the reference, and unpacks them
// back.
func FuzzPackUnpack32(f *testing.F) {
	f.Add([]byte{}, uint8(1))
	f.Add([]byte("\xff\xff\xff\xff\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c"), uint8(7))
	f.Add(make([]byte, 4*131), uint8(31))
	f.Fuzz(func(t *testing.T, data []byte, w uint8) {
		width := uint(w % 33)
		src := make([]uint32, len(data)/4)
		masked := make([]uint32, len(src))
		for i := range src {
			src[i] = binary.LittleEndian.Uint32(data[4*i:])
			masked[i] = uint32(uint64(src[i]) & (1<<width - 1))
		}
		want := make([]byte, PackedLen(len(src), width))
		pack32Ref(want, src, width)
		eachImpl(t, func(name string) {
			got, err := Pack32(nil, src, width)
			if err != nil {
				t.Fatalf("%s: Pack32: %v", name, err)
			}
			if !slices.Equal(want, got) {
				t.Fatalf("%s: Pack32 width %d n %d (-reference +got):\n%s", name, width, len(src), cmp.Diff(want, got))
			}
			back := make([]uint32, len(src))
			if err := Unpack32(back, got[:len(got):len(got)], width); err != nil {
				t.Fatalf("%s: Unpack32: %v", name, err)
			}
			if !slices.Equal(masked, back) {
				t.Fatalf("%s: round trip width %d n %d (-want +got):\n%s", name, width, len(src), cmp.Diff(masked, back))
			}
		})
	})
}

// FuzzPackUnpack64 is FuzzPackUnpack32 for 64-bit values.
func FuzzPackUnpack64(f *testing.F) {
	f.Add([]byte{}, uint8(1))
	f.Add([]byte("\xff\xff\xff\xff\xff\xff\xff\xff\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10"), uint8(63))
	f.Add(make([]byte, 8*67), uint8(40))
	f.Fuzz(func(t *testing.T, data []byte, w uint8) {
		width := uint(w % 65)
		src := make([]uint64, len(data)/8)
		masked := make([]uint64, len(src))
		for i := range src {
			src[i] = binary.LittleEndian.Uint64(data[8*i:])
			if width < 64 {
				masked[i] = src[i] & (1<<width - 1)
			} else {
				masked[i] = src[i]
			}
		}
		want := make([]byte, PackedLen(len(src), width))
		pack64Ref(want, src, width)
		eachImpl(t, func(name string) {
			got, err := Pack64(nil, src, width)
			if err != nil {
				t.Fatalf("%s: Pack64: %v", name, err)
			}
			if !slices.Equal(want, got) {
				t.Fatalf("%s: Pack64 width %d n %d (-reference +got):\n%s", name, width, len(src), cmp.Diff(want, got))
			}
			back := make([]uint64, len(src))
			if err := Unpack64(back, got[:len(got):len(got)], width); err != nil {
				t.Fatalf("%s: Unpack64: %v", name, err)
			}
			if !slices.Equal(masked, back) {
				t.Fatalf("%s: round trip width %d n %d (-want +got):\n%s", name, width, len(src), cmp.Diff(masked, back))
			}
		})
	})
}

// FuzzUnpackArbitrary feeds arbitrary bytes, widths and lengths to the
// unpackers: they must return ErrWidth or ErrShortBuffer when the arguments
// are wrong, never panic, and otherwise agree with the reference.
func FuzzUnpackArbitrary(f *testing.F) {
	f.Add([]byte{0xff, 0x00, 0x12}, uint8(3), uint16(8))
	f.Add([]byte{1, 2, 3, 4, 5, 6, 7, 8, 9}, uint8(9), uint16(8))
	f.Add([]byte{}, uint8(0), uint16(100))
	f.Add([]byte{0xaa}, uint8(200), uint16(1))
	f.Fuzz(func(t *testing.T, data []byte, w uint8, count uint16) {
		src := data[:len(data):len(data)]
		n := int(count % 4096)
		width := uint(w)
		need := PackedLen(n, width)
		want32 := make([]uint32, n)
		want64 := make([]uint64, n)
		if width <= 32 && len(src) >= need {
			unpack32Ref(want32, src, width)
		}
		if width <= 64 && len(src) >= need {
			unpack64Ref(want64, src, width)
		}
		eachImpl(t, func(name string) {
			got32 := make([]uint32, n)
			err := Unpack32(got32, src, width)
			switch {
			case width > 32:
				if !errors.Is(err, ErrWidth) {
					t.Fatalf("%s: Unpack32 width %d: error %v, want ErrWidth", name, width, err)
				}
			case len(src) < need:
				if !errors.Is(err, ErrShortBuffer) {
					t.Fatalf("%s: Unpack32 %d values at width %d from %d bytes: error %v, want ErrShortBuffer", name, n, width, len(src), err)
				}
			case err != nil:
				t.Fatalf("%s: Unpack32: %v", name, err)
			case !slices.Equal(want32, got32):
				t.Fatalf("%s: Unpack32 width %d n %d (-reference +got):\n%s", name, width, n, cmp.Diff(want32, got32))
			}
			got64 := make([]uint64, n)
			err = Unpack64(got64, src, width)
			switch {
			case width > 64:
				if !errors.Is(err, ErrWidth) {
					t.Fatalf("%s: Unpack64 width %d: error %v, want ErrWidth", name, width, err)
				}
			case len(src) < need:
				if !errors.Is(err, ErrShortBuffer) {
					t.Fatalf("%s: Unpack64 %d values at width %d from %d bytes: error %v, want ErrShortBuffer", name, n, width, len(src), err)
				}
			case err != nil:
				t.Fatalf("%s: Unpack64: %v", name, err)
			case !slices.Equal(want64, got64):
				t.Fatalf("%s: Unpack64 width %d n %d (-reference +got):\n%s", name, width, n, cmp.Diff(want64, got64))
			}
		})
	})
}

// FuzzMiniblocks compares every implementation's miniblock kernels with the
// reference on width sequences taken from the input.
func FuzzMiniblocks(f *testing.F) {
	f.Add([]byte{1, 2, 3, 4}, uint64(1))
	f.Add([]byte{0, 32, 0, 64, 63, 31, 17}, uint64(2))
	f.Add([]byte{255, 254, 129, 5}, uint64(3))
	f.Fuzz(func(t *testing.T, data []byte, seed uint64) {
		if len(data) == 0 || len(data) > 64 {
			return
		}
		rng := rand.New(rand.NewPCG(seed, 0))
		w32 := make([]uint8, len(data))
		w64 := make([]uint8, len(data))
		total32, total64 := 0, 0
		for i, b := range data {
			w32[i], w64[i] = b%33, b%65
			total32 += int(w32[i]) * MiniblockLen / 8
			total64 += int(w64[i]) * MiniblockLen / 8
		}
		v32 := make([]uint32, MiniblockLen*len(data))
		v64 := make([]uint64, MiniblockLen*len(data))
		for i := range v32 {
			v32[i], v64[i] = rng.Uint32(), rng.Uint64()
		}
		want32 := make([]byte, total32)
		packMiniblocks32Ref(want32, v32, w32)
		want64 := make([]byte, total64)
		packMiniblocks64Ref(want64, v64, w64)
		back32 := make([]uint32, len(v32))
		unpackMiniblocks32Ref(back32, want32, w32)
		back64 := make([]uint64, len(v64))
		unpackMiniblocks64Ref(back64, want64, w64)
		eachImpl(t, func(name string) {
			got := make([]byte, total32)
			impl.packMiniblocks32(got, v32, w32)
			if !slices.Equal(want32, got) {
				t.Fatalf("%s: packMiniblocks32 %v (-reference +got):\n%s", name, w32, cmp.Diff(want32, got))
			}
			vals := make([]uint32, len(v32))
			impl.unpackMiniblocks32(vals, want32, w32)
			if !slices.Equal(back32, vals) {
				t.Fatalf("%s: unpackMiniblocks32 %v (-reference +got):\n%s", name, w32, cmp.Diff(back32, vals))
			}
			got = make([]byte, total64)
			impl.packMiniblocks64(got, v64, w64)
			if !slices.Equal(want64, got) {
				t.Fatalf("%s: packMiniblocks64 %v (-reference +got):\n%s", name, w64, cmp.Diff(want64, got))
			}
			vals64 := make([]uint64, len(v64))
			impl.unpackMiniblocks64(vals64, want64, w64)
			if !slices.Equal(back64, vals64) {
				t.Fatalf("%s: unpackMiniblocks64 %v (-reference +got):\n%s", name, w64, cmp.Diff(back64, vals64))
			}
		})
	})
}
