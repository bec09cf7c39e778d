package kernels

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/evodb/writer/bench/internal/cputime"
	"github.com/evodb/writer/kernels"
	"github.com/parquet-go/parquet-go/encoding/bytestreamsplit"
	"github.com/parquet-go/parquet-go/encoding/rle"
)

func BenchmarkKernelRLEEncodeLevels(b *testing.B) {
	for _, c := range levelCases() {
		b.Run(c.name+"/impl=evodb", func(b *testing.B) {
			dst, _ := kernels.AppendRLELevels(nil, c.data, c.width)
			b.SetBytes(int64(len(c.data)))
			b.ReportAllocs()
			cpu0 := cputime.Used()
			for b.Loop() {
				var err error
				if dst, err = kernels.AppendRLELevels(dst[:0], c.data, c.width); err != nil {
					b.Fatal(err)
				}
			}
			reportCPUPerValue(b, cputime.Used()-cpu0, len(c.data))
			reportPerValue(b, len(c.data))
			b.ReportMetric(float64(len(dst)), "bytes")
		})
		b.Run(c.name+"/impl=parquetgo", func(b *testing.B) {
			enc := rle.Encoding{BitWidth: int(c.width)}
			dst, _ := enc.EncodeLevels(nil, c.data)
			b.SetBytes(int64(len(c.data)))
			b.ReportAllocs()
			cpu0 := cputime.Used()
			for b.Loop() {
				var err error
				if dst, err = enc.EncodeLevels(dst, c.data); err != nil {
					b.Fatal(err)
				}
			}
			reportCPUPerValue(b, cputime.Used()-cpu0, len(c.data))
			reportPerValue(b, len(c.data))
			b.ReportMetric(float64(len(dst)), "bytes")
		})
	}
}

func BenchmarkKernelRLEDecodeLevels(b *testing.B) {
	for _, c := range levelCases() {
		// Both decode the same bytes: our encoding of the case.
		src, err := kernels.AppendRLELevels(nil, c.data, c.width)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(c.name+"/impl=evodb", func(b *testing.B) {
			dst := make([]uint8, len(c.data))
			b.SetBytes(int64(len(c.data)))
			b.ReportAllocs()
			cpu0 := cputime.Used()
			for b.Loop() {
				if _, err := kernels.DecodeRLELevels(dst, src, c.width); err != nil {
					b.Fatal(err)
				}
			}
			reportCPUPerValue(b, cputime.Used()-cpu0, len(c.data))
			reportPerValue(b, len(c.data))
		})
		b.Run(c.name+"/impl=parquetgo", func(b *testing.B) {
			enc := rle.Encoding{BitWidth: int(c.width)}
			dst := make([]uint8, len(c.data)+8)
			b.SetBytes(int64(len(c.data)))
			b.ReportAllocs()
			cpu0 := cputime.Used()
			for b.Loop() {
				var err error
				if dst, err = enc.DecodeLevels(dst, src); err != nil {
					b.Fatal(err)
				}
			}
			reportCPUPerValue(b, cputime.Used()-cpu0, len(c.data))
			reportPerValue(b, len(c.data))
		})
	}
}

func floatData(n int) []float64 {
	rng := rand.New(rand.NewPCG(3, 4))
	out := make([]float64, n)
	x := 100.0
	for i := range out {
		x += rng.NormFloat64()
		out[i] = math.Round(x*100) / 100
	}
	return out
}

func BenchmarkKernelByteStreamSplit64(b *testing.B) {
	src := floatData(benchN)
	enc := kernels.AppendByteStreamSplit64(nil, src)
	b.Run("encode/impl=evodb", func(b *testing.B) {
		dst := make([]byte, 0, 8*len(src))
		b.SetBytes(int64(8 * len(src)))
		b.ReportAllocs()
		for b.Loop() {
			dst = kernels.AppendByteStreamSplit64(dst[:0], src)
		}
		reportPerValue(b, len(src))
	})
	b.Run("encode/impl=parquetgo", func(b *testing.B) {
		var e bytestreamsplit.Encoding
		dst := make([]byte, 0, 8*len(src))
		b.SetBytes(int64(8 * len(src)))
		b.ReportAllocs()
		for b.Loop() {
			dst, _ = e.EncodeDouble(dst, src)
		}
		reportPerValue(b, len(src))
	})
	b.Run("decode/impl=evodb", func(b *testing.B) {
		dst := make([]float64, len(src))
		b.SetBytes(int64(8 * len(src)))
		b.ReportAllocs()
		for b.Loop() {
			if err := kernels.DecodeByteStreamSplit64(dst, enc); err != nil {
				b.Fatal(err)
			}
		}
		reportPerValue(b, len(src))
	})
	b.Run("decode/impl=parquetgo", func(b *testing.B) {
		var e bytestreamsplit.Encoding
		dst := make([]float64, len(src))
		b.SetBytes(int64(8 * len(src)))
		b.ReportAllocs()
		for b.Loop() {
			var err error
			if dst, err = e.DecodeDouble(dst, enc); err != nil {
				b.Fatal(err)
			}
		}
		reportPerValue(b, len(src))
	})
}

// BenchmarkKernelBitmapToLevels has no parquet-go side: parquet-go exposes
// no bitmap to levels conversion. The plain Go loop is the baseline.
func BenchmarkKernelBitmapToLevels(b *testing.B) {
	rng := rand.New(rand.NewPCG(5, 6))
	levels := levelsNullRuns(rng, benchN)
	bitmap := make([]byte, kernels.BitmapLen(len(levels)))
	if _, err := kernels.LevelsToBitmap(bitmap, levels, 1); err != nil {
		b.Fatal(err)
	}
	dst := make([]uint8, len(levels))
	b.Run("bitmap-to-levels/impl=evodb", func(b *testing.B) {
		b.SetBytes(int64(len(dst)))
		b.ReportAllocs()
		for b.Loop() {
			if err := kernels.BitmapToLevels(dst, bitmap, 1, 0); err != nil {
				b.Fatal(err)
			}
		}
		reportPerValue(b, len(dst))
	})
	b.Run("bitmap-to-levels/impl=goloop", func(b *testing.B) {
		b.SetBytes(int64(len(dst)))
		b.ReportAllocs()
		for b.Loop() {
			for i := range dst {
				dst[i] = bitmap[i>>3] >> (i & 7) & 1
			}
		}
		reportPerValue(b, len(dst))
	})
	b.Run("levels-to-bitmap/impl=evodb", func(b *testing.B) {
		b.SetBytes(int64(len(dst)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := kernels.LevelsToBitmap(bitmap, levels, 1); err != nil {
				b.Fatal(err)
			}
		}
		reportPerValue(b, len(dst))
	})
}
