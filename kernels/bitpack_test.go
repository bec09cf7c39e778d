package kernels

import (
	"errors"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// forEachImpl runs f once per implementation this CPU can run, with that
// implementation switched on, and restores the one in use afterwards.
func forEachImpl(t *testing.T, f func(t *testing.T)) {
	t.Helper()
	prev := Implementation()
	t.Cleanup(func() {
		if err := Use(prev); err != nil {
			t.Errorf("restoring %s: %v", prev, err)
		}
	})
	for _, name := range Available() {
		if err := Use(name); err != nil {
			t.Fatal(err)
		}
		t.Run(name, f)
	}
}

// testLengths are the value counts every width is tried with: every count
// up to a few 128-value blocks plus a tail, and a few larger ones.
func testLengths() []int {
	top, extra := 300, []int{511, 1024, 4099}
	if testing.Short() {
		top, extra = 140, []int{1027}
	}
	var ns []int
	for n := 0; n <= top; n++ {
		ns = append(ns, n)
	}
	return append(ns, extra...)
}

const (
	canaryByte = 0xa5
	canary32   = 0xdeadbeef
	canary64   = 0xfeedfacecafebeef
	guardLen   = 64
)

func checkCanary[T comparable](t *testing.T, what string, tail []T, c T) {
	t.Helper()
	for i, v := range tail {
		if v != c {
			t.Fatalf("%s: wrote past its output: element %d after the end is %v", what, i, v)
		}
	}
}

// random32 returns n values with random bits above width too (Pack must
// ignore them) and the same values masked to width.
func random32(rng *rand.Rand, n int, width uint) (raw, masked []uint32) {
	raw = make([]uint32, n) // len == cap
	masked = make([]uint32, n)
	mask := uint32(uint64(1)<<width - 1)
	for i := range raw {
		raw[i] = rng.Uint32()
		if i%3 == 0 { // some values use all their width bits
			raw[i] |= mask
		}
		masked[i] = raw[i] & mask
	}
	return raw, masked
}

func random64(rng *rand.Rand, n int, width uint) (raw, masked []uint64) {
	raw = make([]uint64, n)
	masked = make([]uint64, n)
	mask := ^uint64(0)
	if width < 64 {
		mask = uint64(1)<<width - 1
	}
	for i := range raw {
		raw[i] = rng.Uint64()
		if i%3 == 0 {
			raw[i] |= mask
		}
		masked[i] = raw[i] & mask
	}
	return raw, masked
}

// packInto calls pack on a dst that already holds a 3-byte prefix and has
// room for the packed bytes plus a canary, and checks the prefix, the
// canary and that dst was extended in place.
func packInto(t *testing.T, what string, need int, pack func([]byte) ([]byte, error)) []byte {
	t.Helper()
	buf := make([]byte, 3+need+guardLen)
	for i := range buf {
		buf[i] = canaryByte
	}
	copy(buf, []byte{1, 2, 3})
	got, err := pack(buf[:3])
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if len(got) != 3+need || &got[0] != &buf[0] {
		t.Fatalf("%s: returned %d bytes (reallocated: %v), want %d in place", what, len(got), &got[0] != &buf[0], 3+need)
	}
	if !slices.Equal([]byte{1, 2, 3}, got[:3]) {
		diff := cmp.Diff([]byte{1, 2, 3}, got[:3])
		t.Fatalf("%s: changed the bytes already in dst (-want +got):\n%s", what, diff)
	}
	checkCanary(t, what, buf[3+need:], canaryByte)
	return got[3:]
}

func TestPackUnpack32(t *testing.T) {
	forEachImpl(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(32, 1))
		lengths := testLengths()
		guard := newGuard(t, PackedLen(slices.Max(lengths), 32))
		for width := uint(0); width <= 32; width++ {
			for _, n := range lengths {
				raw, masked := random32(rng, n, width)
				need := PackedLen(n, width)
				want := make([]byte, need)
				pack32Ref(want, raw, width)

				got := packInto(t, "Pack32", need, func(dst []byte) ([]byte, error) { return Pack32(dst, raw, width) })
				if !slices.Equal(want, got) {
					diff := cmp.Diff(want, got)
					t.Fatalf("Pack32 width %d n %d (-reference +got):\n%s", width, n, diff)
				}

				in := guard(need)
				copy(in, want)
				out := make([]uint32, n+guardLen)
				for i := range out {
					out[i] = canary32
				}
				if err := Unpack32(out[:n:n], in, width); err != nil {
					t.Fatalf("Unpack32 width %d n %d: %v", width, n, err)
				}
				if !slices.Equal(masked, out[:n]) {
					diff := cmp.Diff(masked, out[:n])
					t.Fatalf("Unpack32 width %d n %d (-want +got):\n%s", width, n, diff)
				}
				checkCanary(t, "Unpack32", out[n:], uint32(canary32))
			}
		}
	})
}

func TestPackUnpack64(t *testing.T) {
	forEachImpl(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(64, 1))
		lengths := testLengths()
		guard := newGuard(t, PackedLen(slices.Max(lengths), 64))
		for width := uint(0); width <= 64; width++ {
			for _, n := range lengths {
				raw, masked := random64(rng, n, width)
				need := PackedLen(n, width)
				want := make([]byte, need)
				pack64Ref(want, raw, width)

				got := packInto(t, "Pack64", need, func(dst []byte) ([]byte, error) { return Pack64(dst, raw, width) })
				if !slices.Equal(want, got) {
					diff := cmp.Diff(want, got)
					t.Fatalf("Pack64 width %d n %d (-reference +got):\n%s", width, n, diff)
				}

				in := guard(need)
				copy(in, want)
				out := make([]uint64, n+guardLen)
				for i := range out {
					out[i] = canary64
				}
				if err := Unpack64(out[:n:n], in, width); err != nil {
					t.Fatalf("Unpack64 width %d n %d: %v", width, n, err)
				}
				if !slices.Equal(masked, out[:n]) {
					diff := cmp.Diff(masked, out[:n])
					t.Fatalf("Unpack64 width %d n %d (-want +got):\n%s", width, n, diff)
				}
				checkCanary(t, "Unpack64", out[n:], uint64(canary64))
			}
		}
	})
}

// TestPackGrows checks that Pack reallocates when dst lacks capacity and
// keeps what dst held.
func TestPackGrows(t *testing.T) {
	forEachImpl(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(7, 7))
		raw32, _ := random32(rng, 1000, 13)
		raw64, _ := random64(rng, 1000, 45)
		want32 := make([]byte, PackedLen(1000, 13))
		pack32Ref(want32, raw32, 13)
		want64 := make([]byte, PackedLen(1000, 45))
		pack64Ref(want64, raw64, 45)
		tests := []struct {
			name string
			pack func([]byte) ([]byte, error)
			want []byte
		}{
			{"Pack32", func(d []byte) ([]byte, error) { return Pack32(d, raw32, 13) }, want32},
			{"Pack64", func(d []byte) ([]byte, error) { return Pack64(d, raw64, 45) }, want64},
		}
		for _, tt := range tests {
			got, err := tt.pack([]byte{9, 8})
			if err != nil {
				t.Fatalf("%s: %v", tt.name, err)
			}
			if !slices.Equal(append([]byte{9, 8}, tt.want...), got) {
				diff := cmp.Diff(append([]byte{9, 8}, tt.want...), got)
				t.Fatalf("%s (-want +got):\n%s", tt.name, diff)
			}
		}
	})
}

func TestBitpackErrors(t *testing.T) {
	forEachImpl(t, func(t *testing.T) {
		tests := []struct {
			name string
			call func() error
			want error
		}{
			{"Pack32 width 33", func() error { _, err := Pack32(nil, []uint32{1}, 33); return err }, ErrWidth},
			{"Pack64 width 65", func() error { _, err := Pack64(nil, []uint64{1}, 65); return err }, ErrWidth},
			{"Unpack32 width 33", func() error { return Unpack32(make([]uint32, 8), make([]byte, 64), 33) }, ErrWidth},
			{"Unpack64 width 65", func() error { return Unpack64(make([]uint64, 8), make([]byte, 128), 65) }, ErrWidth},
			{"Unpack32 short", func() error { return Unpack32(make([]uint32, 10), make([]byte, 9), 8) }, ErrShortBuffer},
			{"Unpack32 empty src", func() error { return Unpack32(make([]uint32, 1), nil, 1) }, ErrShortBuffer},
			{"Unpack64 short", func() error { return Unpack64(make([]uint64, 128), make([]byte, 127*5), 40) }, ErrShortBuffer},
		}
		for _, tt := range tests {
			err := tt.call()
			if !errors.Is(err, tt.want) {
				t.Errorf("%s: error %v, want %v", tt.name, err, tt.want)
			}
		}
	})
}

// randomWidths returns n miniblock widths in 0..max, favouring the edges.
func randomWidths(rng *rand.Rand, n int, max uint8) []uint8 {
	ws := make([]uint8, n)
	for i := range ws {
		switch rng.IntN(6) {
		case 0:
			ws[i] = 0
		case 1:
			ws[i] = max
		default:
			ws[i] = uint8(rng.IntN(int(max) + 1))
		}
	}
	return ws
}

func TestMiniblocks32(t *testing.T) {
	forEachImpl(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(3, 32))
		guard := newGuard(t, 16*32*4)
		trials := 3000
		if testing.Short() {
			trials = 300
		}
		for trial := 0; trial < trials; trial++ {
			nb := 1 + rng.IntN(16)
			widths := randomWidths(rng, nb, 32)
			if trial < 33 { // every width alone, as the last miniblock
				widths = []uint8{uint8(trial)}
			}
			raw := make([]uint32, MiniblockLen*len(widths))
			for i := range raw {
				raw[i] = rng.Uint32()
			}
			total := 0
			for _, w := range widths {
				total += int(w) * MiniblockLen / 8
			}
			want := make([]byte, total)
			packMiniblocks32Ref(want, raw, widths)
			wantValues := make([]uint32, len(raw))
			unpackMiniblocks32Ref(wantValues, want, widths)

			buf := make([]byte, total+guardLen)
			for i := range buf {
				buf[i] = canaryByte
			}
			impl.packMiniblocks32(buf[:total], raw, widths)
			if !slices.Equal(want, buf[:total]) {
				diff := cmp.Diff(want, buf[:total])
				t.Fatalf("packMiniblocks32 widths %v (-reference +got):\n%s", widths, diff)
			}
			checkCanary(t, "packMiniblocks32", buf[total:], canaryByte)

			in := guard(total)
			copy(in, want)
			out := make([]uint32, len(raw)+guardLen)
			for i := range out {
				out[i] = canary32
			}
			impl.unpackMiniblocks32(out[:len(raw)], in, widths)
			if !slices.Equal(wantValues, out[:len(raw)]) {
				diff := cmp.Diff(wantValues, out[:len(raw)])
				t.Fatalf("unpackMiniblocks32 widths %v (-reference +got):\n%s", widths, diff)
			}
			checkCanary(t, "unpackMiniblocks32", out[len(raw):], uint32(canary32))
		}
	})
}

func TestMiniblocks64(t *testing.T) {
	forEachImpl(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(3, 64))
		guard := newGuard(t, 16*32*8)
		trials := 3000
		if testing.Short() {
			trials = 300
		}
		for trial := 0; trial < trials; trial++ {
			nb := 1 + rng.IntN(16)
			widths := randomWidths(rng, nb, 64)
			if trial < 65 {
				widths = []uint8{uint8(trial)}
			}
			raw := make([]uint64, MiniblockLen*len(widths))
			for i := range raw {
				raw[i] = rng.Uint64()
			}
			total := 0
			for _, w := range widths {
				total += int(w) * MiniblockLen / 8
			}
			want := make([]byte, total)
			packMiniblocks64Ref(want, raw, widths)
			wantValues := make([]uint64, len(raw))
			unpackMiniblocks64Ref(wantValues, want, widths)

			buf := make([]byte, total+guardLen)
			for i := range buf {
				buf[i] = canaryByte
			}
			impl.packMiniblocks64(buf[:total], raw, widths)
			if !slices.Equal(want, buf[:total]) {
				diff := cmp.Diff(want, buf[:total])
				t.Fatalf("packMiniblocks64 widths %v (-reference +got):\n%s", widths, diff)
			}
			checkCanary(t, "packMiniblocks64", buf[total:], canaryByte)

			in := guard(total)
			copy(in, want)
			out := make([]uint64, len(raw)+guardLen)
			for i := range out {
				out[i] = canary64
			}
			impl.unpackMiniblocks64(out[:len(raw)], in, widths)
			if !slices.Equal(wantValues, out[:len(raw)]) {
				diff := cmp.Diff(wantValues, out[:len(raw)])
				t.Fatalf("unpackMiniblocks64 widths %v (-reference +got):\n%s", widths, diff)
			}
			checkCanary(t, "unpackMiniblocks64", out[len(raw):], uint64(canary64))
		}
	})
}
