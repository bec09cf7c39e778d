package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/evodb/writer/kernels"
	"github.com/parquet-go/bitpack"
)

// benchValues is the number of values every bit-packing benchmark handles
// per operation.
const benchValues = 4096

var (
	widths32 = []uint{1, 2, 3, 4, 5, 7, 8, 11, 12, 16, 17, 20, 24, 25, 26, 28, 31, 32}
	widths64 = []uint{1, 3, 8, 13, 17, 24, 31, 32, 33, 40, 47, 48, 56, 61, 63, 64}
)

// values32 returns benchValues random values below 1<<width.
func values32(width uint) []uint32 {
	rng := rand.New(rand.NewPCG(uint64(width), 32))
	v := make([]uint32, benchValues)
	for i := range v {
		v[i] = uint32(rng.Uint64() & (1<<width - 1))
	}
	return v
}

func values64(width uint) []uint64 {
	rng := rand.New(rand.NewPCG(uint64(width), 64))
	mask := ^uint64(0) >> (64 - width)
	v := make([]uint64, benchValues)
	for i := range v {
		v[i] = rng.Uint64() & mask
	}
	return v
}

// perValue reports the mean time per value of the loop that just ran.
func perValue(b *testing.B, values int) {
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(values), "ns/value")
}

func BenchmarkKernelUnpack32(b *testing.B) {
	for _, w := range widths32 {
		src := values32(w)
		packed, err := kernels.Pack32(nil, src, w)
		if err != nil {
			b.Fatal(err)
		}
		// parquet-go's unpacker reads up to PaddingInt32 bytes past the data.
		padded := append(packed[:len(packed):len(packed)], make([]byte, bitpack.PaddingInt32)...)
		dst := make([]uint32, benchValues)
		b.Run(fmt.Sprintf("w=%d/impl=evodb", w), func(b *testing.B) {
			b.SetBytes(4 * benchValues)
			b.ReportAllocs()
			for b.Loop() {
				if err := kernels.Unpack32(dst, packed, w); err != nil {
					b.Fatal(err)
				}
			}
			perValue(b, benchValues)
		})
		b.Run(fmt.Sprintf("w=%d/impl=parquetgo", w), func(b *testing.B) {
			b.SetBytes(4 * benchValues)
			b.ReportAllocs()
			for b.Loop() {
				bitpack.Unpack(dst, padded, w)
			}
			perValue(b, benchValues)
		})
	}
}

func BenchmarkKernelUnpack64(b *testing.B) {
	for _, w := range widths64 {
		src := values64(w)
		packed, err := kernels.Pack64(nil, src, w)
		if err != nil {
			b.Fatal(err)
		}
		padded := append(packed[:len(packed):len(packed)], make([]byte, bitpack.PaddingInt64)...)
		dst := make([]uint64, benchValues)
		b.Run(fmt.Sprintf("w=%d/impl=evodb", w), func(b *testing.B) {
			b.SetBytes(8 * benchValues)
			b.ReportAllocs()
			for b.Loop() {
				if err := kernels.Unpack64(dst, packed, w); err != nil {
					b.Fatal(err)
				}
			}
			perValue(b, benchValues)
		})
		b.Run(fmt.Sprintf("w=%d/impl=parquetgo", w), func(b *testing.B) {
			b.SetBytes(8 * benchValues)
			b.ReportAllocs()
			for b.Loop() {
				bitpack.Unpack(dst, padded, w)
			}
			perValue(b, benchValues)
		})
	}
}

func BenchmarkKernelPack32(b *testing.B) {
	for _, w := range widths32 {
		src := values32(w)
		dst := make([]byte, 0, kernels.PackedLen(benchValues, w))
		peer := make([]byte, kernels.PackedLen(benchValues, w))
		b.Run(fmt.Sprintf("w=%d/impl=evodb", w), func(b *testing.B) {
			b.SetBytes(4 * benchValues)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := kernels.Pack32(dst, src, w); err != nil {
					b.Fatal(err)
				}
			}
			perValue(b, benchValues)
		})
		b.Run(fmt.Sprintf("w=%d/impl=parquetgo", w), func(b *testing.B) {
			b.SetBytes(4 * benchValues)
			b.ReportAllocs()
			for b.Loop() {
				bitpack.Pack(peer, src, w)
			}
			perValue(b, benchValues)
		})
	}
}

func BenchmarkKernelPack64(b *testing.B) {
	for _, w := range widths64 {
		src := values64(w)
		dst := make([]byte, 0, kernels.PackedLen(benchValues, w))
		peer := make([]byte, kernels.PackedLen(benchValues, w))
		b.Run(fmt.Sprintf("w=%d/impl=evodb", w), func(b *testing.B) {
			b.SetBytes(8 * benchValues)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := kernels.Pack64(dst, src, w); err != nil {
					b.Fatal(err)
				}
			}
			perValue(b, benchValues)
		})
		b.Run(fmt.Sprintf("w=%d/impl=parquetgo", w), func(b *testing.B) {
			b.SetBytes(8 * benchValues)
			b.ReportAllocs()
			for b.Loop() {
				bitpack.Pack(peer, src, w)
			}
			perValue(b, benchValues)
		})
	}
}

// TestPeerAgrees checks that the peer reads and writes the same layout as
// ours, so the benchmarks compare like with like.
func TestPeerAgrees(t *testing.T) {
	for _, w := range widths32 {
		src := values32(w)
		ours, err := kernels.Pack32(nil, src, w)
		if err != nil {
			t.Fatal(err)
		}
		theirs := make([]byte, len(ours)+bitpack.PaddingInt32)
		bitpack.Pack(theirs, src, w)
		if string(theirs[:len(ours)]) != string(ours) {
			t.Fatalf("width %d: parquet-go packs differently", w)
		}
	}
	for _, w := range widths64 {
		src := values64(w)
		ours, err := kernels.Pack64(nil, src, w)
		if err != nil {
			t.Fatal(err)
		}
		theirs := make([]byte, len(ours)+bitpack.PaddingInt64)
		bitpack.Pack(theirs, src, w)
		if string(theirs[:len(ours)]) != string(ours) {
			t.Fatalf("width %d: parquet-go packs differently", w)
		}
	}
}
