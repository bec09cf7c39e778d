package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/evodb/writer/kernels"
	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/encoding"
)

// minMaxSizes: 8 Ki values (64 KiB, in L2 as a page being written is) and
// 1 Mi values (8 MiB, beyond this machine's L2).
var minMaxSizes = []int{8 << 10, 1 << 20}

// BenchmarkKernelMinMaxInt64 finds the min and max of random int64s. The
// parquetgo case is a parquet-go page's Bounds over the same slice.
func BenchmarkKernelMinMaxInt64(b *testing.B) {
	for _, n := range minMaxSizes {
		rng := rand.New(rand.NewPCG(7, uint64(n)))
		v := make([]int64, n)
		for i := range v {
			v[i] = int64(rng.Uint64())
		}
		name := fmt.Sprintf("n=%d", n)
		var sink int64
		b.Run(name+"/impl=evodb", func(b *testing.B) {
			b.SetBytes(int64(8 * n))
			b.ReportAllocs()
			for b.Loop() {
				lo, hi, _ := kernels.MinMaxInt64(v)
				sink += lo ^ hi
			}
			reportPerValue(b, n)
		})
		b.Run(name+"/impl=parquetgo", func(b *testing.B) {
			page := parquet.Int64Type.NewPage(0, n, encoding.Int64Values(v))
			b.SetBytes(int64(8 * n))
			b.ReportAllocs()
			for b.Loop() {
				lo, hi, _ := page.Bounds()
				sink += lo.Int64() ^ hi.Int64()
			}
			reportPerValue(b, n)
		})
		lo, hi, _ := kernels.MinMaxInt64(v)
		plo, phi, _ := parquet.Int64Type.NewPage(0, n, encoding.Int64Values(v)).Bounds()
		if lo != plo.Int64() || hi != phi.Int64() {
			b.Fatalf("min/max (%d, %d), parquet-go (%d, %d)", lo, hi, plo.Int64(), phi.Int64())
		}
	}
}

// BenchmarkKernelMinMaxFloat64 finds the min and max of random float64s
// with 1% NaN.
func BenchmarkKernelMinMaxFloat64(b *testing.B) {
	for _, n := range minMaxSizes {
		rng := rand.New(rand.NewPCG(8, uint64(n)))
		v := make([]float64, n)
		for i := range v {
			v[i] = rng.NormFloat64() * 1e6
			if rng.IntN(100) == 0 {
				v[i] = math.NaN()
			}
		}
		name := fmt.Sprintf("n=%d", n)
		var sink float64
		b.Run(name+"/impl=evodb", func(b *testing.B) {
			b.SetBytes(int64(8 * n))
			b.ReportAllocs()
			for b.Loop() {
				lo, hi, _ := kernels.MinMaxFloat64(v)
				sink += lo + hi
			}
			reportPerValue(b, n)
		})
		b.Run(name+"/impl=parquetgo", func(b *testing.B) {
			page := parquet.DoubleType.NewPage(0, n, encoding.DoubleValues(v))
			b.SetBytes(int64(8 * n))
			b.ReportAllocs()
			for b.Loop() {
				lo, hi, _ := page.Bounds()
				sink += lo.Double() + hi.Double()
			}
			reportPerValue(b, n)
		})
		lo, hi, _ := kernels.MinMaxFloat64(v)
		plo, phi, _ := parquet.DoubleType.NewPage(0, n, encoding.DoubleValues(v)).Bounds()
		if lo != plo.Double() || hi != phi.Double() {
			b.Fatalf("min/max (%v, %v), parquet-go (%v, %v)", lo, hi, plo.Double(), phi.Double())
		}
	}
}
