package kernels

import (
	"math/rand/v2"
	"slices"
	"testing"
	"unsafe"
)

// TestRunKernelsGuardedInputs hands every run, bitmap and byte-stream-split
// kernel inputs that end right before an inaccessible page (on Linux): a
// read past the end of an input faults. Results are checked against the
// reference implementation's.
func TestRunKernelsGuardedInputs(t *testing.T) {
	const maxN = 2100
	guard := newGuard(t, 8*maxN)
	sizes := []int{0, 1, 63, 64, 65, 128, 129, 255, 256, 257, 511, 512, 513, 1000, maxN}
	type result struct {
		mask8, mask32 []uint64
		or8           uint8
		or32          uint32
		bitmap        []byte
		levels        []uint8
		split32       []byte
		split64       []byte
		join32        []uint32
		join64        []uint64
		rle           []byte
	}
	results := map[string][]result{}
	forEachImpl(t, func(t *testing.T) {
		name := Implementation()
		for _, n := range sizes {
			var r result
			words := (n + 63) / 64

			// Every guarded slice ends at the same place: each is used
			// before the next is asked for. Contents depend on n only, so
			// every implementation sees the same.
			b := guard(n)
			r1 := rand.New(rand.NewPCG(uint64(n), 1))
			for i := range b {
				b[i] = uint8(r1.IntN(3) / 2)
			}
			levels := slices.Clone(b)
			r.mask8 = make([]uint64, words)
			r.or8 = equalMask8(r.mask8, b)
			r.bitmap = make([]byte, BitmapLen(n))
			if _, err := LevelsToBitmap(r.bitmap, b, 1); err != nil {
				t.Fatal(err)
			}
			r.rle, _ = AppendRLELevels(nil, b, 1)

			bm := guard(BitmapLen(n))
			copy(bm, r.bitmap)
			r.levels = make([]uint8, n)
			if err := BitmapToLevels(r.levels, bm, 1, 0); err != nil {
				t.Fatal(err)
			}
			enc := guard(len(r.rle))
			copy(enc, r.rle)
			back := make([]uint8, n)
			if _, err := DecodeRLELevels(back, enc, 1); err != nil || !slices.Equal(back, levels) {
				t.Fatalf("%s n=%d: DecodeRLELevels of guarded input: %v", name, n, err)
			}

			raw := guard(4 * n)
			r2 := rand.New(rand.NewPCG(uint64(n), 2))
			for i := range raw {
				raw[i] = byte(r2.IntN(2))
			}
			u32 := unsafe.Slice((*uint32)(unsafe.Pointer(unsafe.SliceData(raw))), n)
			r.mask32 = make([]uint64, words)
			r.or32 = equalMask32(r.mask32, u32)
			r.split32 = make([]byte, 4*n)
			splitBytes32(r.split32, u32)
			r.join32 = make([]uint32, n)
			joinBytes32(r.join32, raw)

			raw64 := guard(8 * n)
			for i := range raw64 {
				raw64[i] = byte(r2.Uint32())
			}
			u64 := unsafe.Slice((*uint64)(unsafe.Pointer(unsafe.SliceData(raw64))), n)
			r.split64 = make([]byte, 8*n)
			splitBytes64(r.split64, u64)
			r.join64 = make([]uint64, n)
			joinBytes64(r.join64, raw64)
			if n > 0 {
				r.split64 = append(r.split64, raw64...) // the input itself, to compare runs
			}
			results[name] = append(results[name], r)
		}
	})
	ref := results["purego"]
	for name, rs := range results {
		for i, r := range rs {
			want := ref[i]
			if !slices.Equal(r.mask8, want.mask8) || r.or8 != want.or8 ||
				!slices.Equal(r.mask32, want.mask32) || r.or32 != want.or32 ||
				!slices.Equal(r.bitmap, want.bitmap) || !slices.Equal(r.levels, want.levels) ||
				!slices.Equal(r.split32, want.split32) || !slices.Equal(r.split64, want.split64) ||
				!slices.Equal(r.join32, want.join32) || !slices.Equal(r.join64, want.join64) ||
				!slices.Equal(r.rle, want.rle) {
				t.Errorf("%s n=%d: results differ from purego", name, sizes[i])
			}
		}
	}
}
