package kernels

import (
	"math/rand/v2"
	"strconv"
	"testing"
)

// BenchmarkRLELevels encodes definition levels whose nulls come close
// together (stretches of short runs between long runs of present values),
// per implementation: the stretches the fast loops price.
func BenchmarkRLELevels(b *testing.B) {
	rng := rand.New(rand.NewPCG(3, 4))
	const n = 1 << 16
	for _, width := range []uint{1, 2, 3} {
		top := uint8(1<<width - 1)
		src := make([]uint8, n)
		for i := 0; i < n; {
			// A long run of present values, then a cluster of short runs.
			run := 20 + rng.IntN(200)
			for j := i; j < min(i+run, n); j++ {
				src[j] = top
			}
			i += run
			for c := rng.IntN(12); c > 0 && i < n; c-- {
				v := uint8(rng.IntN(int(top) + 1))
				for k := rng.IntN(3) + 1; k > 0 && i < n; k-- {
					src[i] = v
					i++
				}
			}
		}
		var dst []byte
		for _, name := range Available() {
			withImpl(b, name, func() {
				b.Run("width="+strconv.Itoa(int(width))+"/impl="+name, func(b *testing.B) {
					b.SetBytes(n)
					for b.Loop() {
						var err error
						if dst, err = AppendRLELevels(dst[:0], src, width); err != nil {
							b.Fatal(err)
						}
					}
				})
			})
		}
	}
}
