package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/evodb/writer/bench/internal/cputime"
	"github.com/evodb/writer/kernels"
	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/hashprobe"
)

// int32Column is n values drawn from distinct random keys.
func int32Column(n, distinct int, seed uint64) []int32 {
	rng := rand.New(rand.NewPCG(seed, 1))
	pool := make([]int32, distinct)
	for i := range pool {
		pool[i] = int32(rng.Uint32())
	}
	out := make([]int32, n)
	for i := range out {
		out[i] = pool[rng.IntN(distinct)]
	}
	return out
}

// BenchmarkKernelDictInt32 encodes a column of 1e5 values with 1e4 distinct
// ones: dictionary plus the index of every value, from an empty dictionary
// that keeps its memory between rounds (Reset), as a writer does per chunk.
// parquet-go's RLE_DICTIONARY path inserts through its hashprobe table and
// appends the new values, which the parquetgo case does the same way; the
// parquetgo-values case goes through its public Dictionary.Insert.
func BenchmarkKernelDictInt32(b *testing.B) {
	const n, distinct = 100000, 10000
	in := int32Column(n, distinct, 1)
	indexes := make([]int32, n)
	name := fmt.Sprintf("distinct=%d", distinct)
	b.Run(name+"/impl=evodb", func(b *testing.B) {
		var d kernels.DictInt32
		b.SetBytes(4 * n)
		b.ReportAllocs()
		cpu0 := cputime.Used()
		for b.Loop() {
			d.Reset()
			if err := d.Insert(indexes, in); err != nil {
				b.Fatal(err)
			}
		}
		reportPerValue(b, n)
		reportCPUPerValue(b, cputime.Used()-cpu0, n)
		if d.Len() != len(distinctOf(in)) {
			b.Fatalf("dictionary of %d values, want %d", d.Len(), len(distinctOf(in)))
		}
	})
	b.Run(name+"/impl=parquetgo", func(b *testing.B) {
		table := hashprobe.NewInt32Table(0, 0.9)
		var dict []int32
		b.SetBytes(4 * n)
		b.ReportAllocs()
		cpu0 := cputime.Used()
		for b.Loop() {
			table.Reset()
			dict = dict[:0]
			const chunk = 4096
			for i := 0; i < n; i += chunk {
				j := min(i+chunk, n)
				if table.Probe(in[i:j:j], indexes[i:j:j]) > 0 {
					for k, index := range indexes[i:j] {
						if int(index) == len(dict) {
							dict = append(dict, in[i+k])
						}
					}
				}
			}
		}
		reportPerValue(b, n)
		reportCPUPerValue(b, cputime.Used()-cpu0, n)
		if len(dict) != len(distinctOf(in)) {
			b.Fatalf("dictionary of %d values, want %d", len(dict), len(distinctOf(in)))
		}
	})
	b.Run(name+"/impl=parquetgo-values", func(b *testing.B) {
		values := make([]parquet.Value, n)
		for i, v := range in {
			values[i] = parquet.Int32Value(v)
		}
		dict := parquet.Int32Type.NewDictionary(0, 0, parquet.Int32Type.NewValues(nil, nil))
		b.SetBytes(4 * n)
		b.ReportAllocs()
		cpu0 := cputime.Used()
		for b.Loop() {
			dict.Reset()
			dict.Insert(indexes, values)
		}
		reportPerValue(b, n)
		reportCPUPerValue(b, cputime.Used()-cpu0, n)
	})
}

func distinctOf(in []int32) map[int32]bool {
	m := map[int32]bool{}
	for _, v := range in {
		m[v] = true
	}
	return m
}

// BenchmarkKernelDictProbe looks up 1e5 keys, all present, in a table of
// 1e4 keys.
func BenchmarkKernelDictProbe(b *testing.B) {
	const n, distinct = 100000, 10000
	keys := int32Column(distinct, distinct, 2)
	probes := make([]int32, n)
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range probes {
		probes[i] = keys[rng.IntN(distinct)]
	}
	indexes := make([]int32, n)
	name := fmt.Sprintf("keys=%d", distinct)
	b.Run(name+"/impl=evodb", func(b *testing.B) {
		var d kernels.DictInt32
		if err := d.Insert(make([]int32, distinct), keys); err != nil {
			b.Fatal(err)
		}
		before := d.Len()
		b.SetBytes(4 * n)
		b.ReportAllocs()
		cpu0 := cputime.Used()
		for b.Loop() {
			if err := d.Insert(indexes, probes); err != nil {
				b.Fatal(err)
			}
		}
		reportPerValue(b, n)
		reportCPUPerValue(b, cputime.Used()-cpu0, n)
		if d.Len() != before {
			b.Fatal("probing added keys")
		}
	})
	b.Run(name+"/impl=parquetgo", func(b *testing.B) {
		table := hashprobe.NewInt32Table(distinct, 0.9)
		table.Probe(keys, make([]int32, distinct))
		b.SetBytes(4 * n)
		b.ReportAllocs()
		cpu0 := cputime.Used()
		for b.Loop() {
			if table.Probe(probes, indexes) != 0 {
				b.Fatal("probing added keys")
			}
		}
		reportPerValue(b, n)
		reportCPUPerValue(b, cputime.Used()-cpu0, n)
	})
	b.Run(name+"/impl=gomap", func(b *testing.B) {
		m := make(map[int32]int32, distinct)
		for i, k := range keys {
			if _, ok := m[k]; !ok {
				m[k] = int32(i)
			}
		}
		b.SetBytes(4 * n)
		b.ReportAllocs()
		cpu0 := cputime.Used()
		for b.Loop() {
			for i, k := range probes {
				indexes[i] = m[k]
			}
		}
		reportPerValue(b, n)
		reportCPUPerValue(b, cputime.Used()-cpu0, n)
	})
}

// BenchmarkKernelDictString encodes 1e5 strings of 4 to 24 bytes drawn
// from 1e4 distinct ones.
func BenchmarkKernelDictString(b *testing.B) {
	const n, distinct = 100000, 10000
	rng := rand.New(rand.NewPCG(5, 6))
	pool := make([]string, distinct)
	for i := range pool {
		buf := make([]byte, 4+rng.IntN(21))
		for j := range buf {
			buf[j] = byte('a' + rng.IntN(26))
		}
		pool[i] = string(buf)
	}
	var slab []byte
	offsets := []int32{0}
	values := make([]parquet.Value, n)
	for i := range n {
		s := pool[rng.IntN(distinct)]
		slab = append(slab, s...)
		offsets = append(offsets, int32(len(slab)))
		values[i] = parquet.ByteArrayValue([]byte(s))
	}
	indexes := make([]int32, n)
	name := fmt.Sprintf("distinct=%d", distinct)
	b.Run(name+"/impl=evodb", func(b *testing.B) {
		var d kernels.DictBytes
		b.SetBytes(int64(len(slab)))
		b.ReportAllocs()
		cpu0 := cputime.Used()
		for b.Loop() {
			d.Reset()
			if err := d.Insert(indexes, slab, offsets); err != nil {
				b.Fatal(err)
			}
		}
		reportPerValue(b, n)
		reportCPUPerValue(b, cputime.Used()-cpu0, n)
	})
	b.Run(name+"/impl=parquetgo", func(b *testing.B) {
		dict := parquet.ByteArrayType.NewDictionary(0, 0, parquet.ByteArrayType.NewValues(nil, nil))
		b.SetBytes(int64(len(slab)))
		b.ReportAllocs()
		cpu0 := cputime.Used()
		for b.Loop() {
			dict.Reset()
			dict.Insert(indexes, values)
		}
		reportPerValue(b, n)
		reportCPUPerValue(b, cputime.Used()-cpu0, n)
	})
	b.Run(name+"/impl=gomap", func(b *testing.B) {
		m := make(map[string]int32)
		b.SetBytes(int64(len(slab)))
		b.ReportAllocs()
		cpu0 := cputime.Used()
		for b.Loop() {
			clear(m)
			for i := range n {
				s := slab[offsets[i]:offsets[i+1]]
				j, ok := m[string(s)]
				if !ok {
					j = int32(len(m))
					m[string(s)] = j
				}
				indexes[i] = j
			}
		}
		reportPerValue(b, n)
		reportCPUPerValue(b, cputime.Used()-cpu0, n)
	})
}

// reportCPUPerValue reports the CPU time of the whole process per value,
// which, unlike ns/value, does not grow when other programs take the
// machine's cores (it does count GC work).
func reportCPUPerValue(b *testing.B, cpu time.Duration, n int) {
	if cpu > 0 {
		b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N*n), "cpu-ns/value")
	}
}
