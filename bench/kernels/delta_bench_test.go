package kernels

import (
	"testing"

	evk "github.com/evodb/writer/kernels"
	"github.com/parquet-go/parquet-go/encoding/delta"
)

// Benchmarks of DELTA_BINARY_PACKED, ours (impl=evodb) against parquet-go's
// (impl=parquetgo) on the same values. Names follow
// BenchmarkKernel<Kernel>/<input>/impl=<evodb|parquetgo>; besides bytes/s
// each reports ns/value.

func reportPerValue(b *testing.B, n int) {
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/value")
}

func BenchmarkKernelDeltaEncodeInt64(b *testing.B) {
	var peer delta.BinaryPackedEncoding
	for _, in := range deltaInputs64(deltaBenchLen) {
		b.Run(in.name+"/impl=evodb", func(b *testing.B) {
			buf := evk.AppendDeltaInt64(nil, in.values)
			b.SetBytes(int64(8 * len(in.values)))
			b.ReportAllocs()
			for b.Loop() {
				buf = evk.AppendDeltaInt64(buf[:0], in.values)
			}
			reportPerValue(b, len(in.values))
		})
		b.Run(in.name+"/impl=parquetgo", func(b *testing.B) {
			buf, _ := peer.EncodeInt64(nil, in.values)
			b.SetBytes(int64(8 * len(in.values)))
			b.ReportAllocs()
			for b.Loop() {
				buf, _ = peer.EncodeInt64(buf[:0], in.values)
			}
			reportPerValue(b, len(in.values))
		})
	}
}

func BenchmarkKernelDeltaEncodeInt32(b *testing.B) {
	var peer delta.BinaryPackedEncoding
	for _, in := range deltaInputs32(deltaBenchLen) {
		b.Run(in.name+"/impl=evodb", func(b *testing.B) {
			buf := evk.AppendDeltaInt32(nil, in.values)
			b.SetBytes(int64(4 * len(in.values)))
			b.ReportAllocs()
			for b.Loop() {
				buf = evk.AppendDeltaInt32(buf[:0], in.values)
			}
			reportPerValue(b, len(in.values))
		})
		b.Run(in.name+"/impl=parquetgo", func(b *testing.B) {
			buf, _ := peer.EncodeInt32(nil, in.values)
			b.SetBytes(int64(4 * len(in.values)))
			b.ReportAllocs()
			for b.Loop() {
				buf, _ = peer.EncodeInt32(buf[:0], in.values)
			}
			reportPerValue(b, len(in.values))
		})
	}
}

func BenchmarkKernelDeltaDecodeInt64(b *testing.B) {
	var peer delta.BinaryPackedEncoding
	for _, in := range deltaInputs64(deltaBenchLen) {
		ours := evk.AppendDeltaInt64(nil, in.values)
		theirs, _ := peer.EncodeInt64(nil, in.values)
		b.Run(in.name+"/impl=evodb", func(b *testing.B) {
			vals := make([]int64, 0, len(in.values))
			b.SetBytes(int64(8 * len(in.values)))
			b.ReportAllocs()
			for b.Loop() {
				vals, _, _ = evk.DecodeDeltaInt64(vals[:0], ours)
			}
			reportPerValue(b, len(in.values))
		})
		b.Run(in.name+"/impl=parquetgo", func(b *testing.B) {
			vals := make([]int64, 0, len(in.values))
			b.SetBytes(int64(8 * len(in.values)))
			b.ReportAllocs()
			for b.Loop() {
				vals, _ = peer.DecodeInt64(vals[:0], theirs)
			}
			reportPerValue(b, len(in.values))
		})
	}
}

func BenchmarkKernelDeltaDecodeInt32(b *testing.B) {
	var peer delta.BinaryPackedEncoding
	for _, in := range deltaInputs32(deltaBenchLen) {
		ours := evk.AppendDeltaInt32(nil, in.values)
		theirs, _ := peer.EncodeInt32(nil, in.values)
		b.Run(in.name+"/impl=evodb", func(b *testing.B) {
			vals := make([]int32, 0, len(in.values))
			b.SetBytes(int64(4 * len(in.values)))
			b.ReportAllocs()
			for b.Loop() {
				vals, _, _ = evk.DecodeDeltaInt32(vals[:0], ours)
			}
			reportPerValue(b, len(in.values))
		})
		b.Run(in.name+"/impl=parquetgo", func(b *testing.B) {
			vals := make([]int32, 0, len(in.values))
			b.SetBytes(int64(4 * len(in.values)))
			b.ReportAllocs()
			for b.Loop() {
				vals, _ = peer.DecodeInt32(vals[:0], theirs)
			}
			reportPerValue(b, len(in.values))
		})
	}
}
