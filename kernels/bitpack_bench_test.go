package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// The miniblock kernels are internal (DELTA_BINARY_PACKED calls them once
// per block of 128 values), so they are measured here rather than in the
// bench module, one block per call as the delta coder uses them: with the
// rest of the buffer after the block, so that only the last block of the
// buffer goes through the wrappers' stack staging.

var miniblockBenchWidths = []uint8{1, 5, 13, 20, 27, 33, 47, 60}

func BenchmarkMiniblocks(b *testing.B) {
	const blocks = 32 // 4096 values
	for _, w := range miniblockBenchWidths {
		widths := make([]uint8, 4)
		for i := range widths {
			widths[i] = w
		}
		rng := rand.New(rand.NewPCG(uint64(w), 9))
		src64 := make([]uint64, 128*blocks)
		src32 := make([]uint32, 128*blocks)
		for i := range src64 {
			src64[i] = rng.Uint64() & (1<<w - 1)
			src32[i] = uint32(src64[i])
		}
		per := 4 * int(w) * MiniblockLen / 8
		packed := make([]byte, per*blocks)
		dst64 := make([]uint64, len(src64))
		dst32 := make([]uint32, len(src32))
		report := func(b *testing.B) {
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(src64)), "ns/value")
		}
		b.Run(fmt.Sprintf("pack64/w=%d", w), func(b *testing.B) {
			b.SetBytes(int64(8 * len(src64)))
			b.ReportAllocs()
			for b.Loop() {
				for k := range blocks {
					impl.packMiniblocks64(packed[k*per:], src64[128*k:128*(k+1)], widths)
				}
			}
			report(b)
		})
		b.Run(fmt.Sprintf("unpack64/w=%d", w), func(b *testing.B) {
			b.SetBytes(int64(8 * len(src64)))
			b.ReportAllocs()
			for b.Loop() {
				for k := range blocks {
					impl.unpackMiniblocks64(dst64[128*k:128*(k+1)], packed[k*per:], widths)
				}
			}
			report(b)
		})
		if w > 32 {
			continue
		}
		b.Run(fmt.Sprintf("pack32/w=%d", w), func(b *testing.B) {
			b.SetBytes(int64(4 * len(src32)))
			b.ReportAllocs()
			for b.Loop() {
				for k := range blocks {
					impl.packMiniblocks32(packed[k*per:], src32[128*k:128*(k+1)], widths)
				}
			}
			report(b)
		})
		b.Run(fmt.Sprintf("unpack32/w=%d", w), func(b *testing.B) {
			b.SetBytes(int64(4 * len(src32)))
			b.ReportAllocs()
			for b.Loop() {
				for k := range blocks {
					impl.unpackMiniblocks32(dst32[128*k:128*(k+1)], packed[k*per:], widths)
				}
			}
			report(b)
		})
	}
}
