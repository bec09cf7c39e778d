package kernels

import (
	"math/rand/v2"
	"testing"
)

// Benchmarks of the delta block kernels alone, per implementation, over one
// kernel chunk (deltaChunkBlocks blocks).
func BenchmarkDeltaKernels(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	const k = deltaChunkBlocks
	const n = k * DeltaBlockLen
	src := deltaInputs64[3].gen(rng, n+1)
	src32 := to32(src)
	adj := make([]uint64, n)
	adj32 := make([]uint32, n)
	mins := make([]int64, k)
	mins32 := make([]int32, k)
	widths := make([]uint8, 4*k)
	for _, name := range Available() {
		withImpl(b, name, func() {
			b.Run("encode64/impl="+name, func(b *testing.B) {
				b.SetBytes(8 * n)
				for b.Loop() {
					impl.deltaEncode64(adj, src, mins, widths)
				}
			})
			b.Run("encode32/impl="+name, func(b *testing.B) {
				b.SetBytes(4 * n)
				for b.Loop() {
					impl.deltaEncode32(adj32, src32, mins32, widths)
				}
			})
			b.Run("decode64/impl="+name, func(b *testing.B) {
				b.SetBytes(8 * n)
				for b.Loop() {
					impl.deltaDecode64(adj, mins, 5)
				}
			})
			b.Run("decode32/impl="+name, func(b *testing.B) {
				b.SetBytes(4 * n)
				for b.Loop() {
					impl.deltaDecode32(adj32, mins32, 5)
				}
			})
		})
	}
}
