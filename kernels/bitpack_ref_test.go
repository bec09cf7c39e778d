package kernels

import (
	"math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// naivePack packs bit by bit: the layout written straight from the Parquet
// specification, used as the oracle for the reference packers.
func naivePack(src []uint64, width uint) []byte {
	out := make([]byte, PackedLen(len(src), width))
	for i, v := range src {
		for b := uint(0); b < width; b++ {
			if v>>b&1 == 1 {
				pos := uint(i)*width + b
				out[pos/8] |= 1 << (pos % 8)
			}
		}
	}
	return out
}

func TestReferenceMatchesNaiveLayout(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for width := uint(0); width <= 64; width++ {
		for _, n := range []int{0, 1, 7, 8, 9, 31, 64, 67} {
			src64 := make([]uint64, n)
			for i := range src64 {
				src64[i] = rng.Uint64()
				if width < 64 {
					src64[i] &= 1<<width - 1
				}
			}
			want := naivePack(src64, width)
			got := make([]byte, PackedLen(n, width))
			pack64Ref(got, src64, width)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("pack64Ref width %d n %d (-naive +ref):\n%s", width, n, diff)
			}
			back := make([]uint64, n)
			unpack64Ref(back, got, width)
			if width > 0 {
				if diff := cmp.Diff(src64, back); diff != "" {
					t.Fatalf("unpack64Ref width %d n %d (-want +got):\n%s", width, n, diff)
				}
			}
			if width > 32 {
				continue
			}
			src32 := make([]uint32, n)
			for i, v := range src64 {
				src32[i] = uint32(v)
			}
			got32 := make([]byte, PackedLen(n, width))
			pack32Ref(got32, src32, width)
			if diff := cmp.Diff(want, got32); diff != "" {
				t.Fatalf("pack32Ref width %d n %d (-naive +ref):\n%s", width, n, diff)
			}
			back32 := make([]uint32, n)
			unpack32Ref(back32, got32, width)
			if width > 0 {
				if diff := cmp.Diff(src32, back32); diff != "" {
					t.Fatalf("unpack32Ref width %d n %d (-want +got):\n%s", width, n, diff)
				}
			}
		}
	}
}
