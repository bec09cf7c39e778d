package kernels

import (
	"bytes"
	"encoding/binary"
	"math"
	"testing"
)

// implsOf runs f once per implementation and restores the one in use.
func implsOf(t *testing.T, f func(name string)) {
	t.Helper()
	saved := Implementation()
	defer func() {
		if err := Use(saved); err != nil {
			t.Fatal(err)
		}
	}()
	for _, name := range Available() {
		if err := Use(name); err != nil {
			t.Fatal(err)
		}
		f(name)
	}
}

// fuzzKeys64 reads 64-bit keys from data. The first byte chooses how many
// low bits each key keeps (so that keys repeat), the rest are the keys.
func fuzzKeys64(data []byte) []uint64 {
	if len(data) == 0 {
		return nil
	}
	keep := uint(data[0]%64) + 1
	data = data[1:]
	keys := make([]uint64, 0, len(data)/2)
	for len(data) >= 2 {
		var buf [8]byte
		n := copy(buf[:], data[:min(len(data), 8)])
		k := binary.LittleEndian.Uint64(buf[:])
		if keep < 64 {
			k &= 1<<keep - 1
		}
		keys = append(keys, k)
		data = data[min(n, 2+int(data[0]%7)):]
	}
	// Long inputs exercise growth and several batches: repeat the keys.
	for len(keys) > 0 && len(keys) < 600 && keep > 8 {
		keys = append(keys, keys...)
	}
	return keys
}

func FuzzDictFixed(f *testing.F) {
	f.Add([]byte{63, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12})
	f.Add([]byte{3, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0})
	f.Add(bytes.Repeat([]byte{31, 0x80, 0, 0, 0, 0, 0, 0xf8, 0x7f}, 40))
	f.Fuzz(func(t *testing.T, data []byte) {
		keys := fuzzKeys64(data)
		k32 := make([]int32, len(keys))
		k64 := make([]int64, len(keys))
		kf := make([]float64, len(keys))
		for i, k := range keys {
			k32[i] = int32(k ^ k>>32)
			k64[i] = int64(k)
			kf[i] = math.Float64frombits(k)
		}
		want32, dict32 := oracleEncode(k32)
		want64, dict64 := oracleEncode(k64)
		wantF, dictF := oracleEncode(keys)
		implsOf(t, func(name string) {
			var d32 DictInt32
			var d64 DictInt64
			var df DictFloat64
			got := make([]int32, len(keys))
			if err := d32.Insert(got, k32); err != nil {
				t.Fatal(err)
			}
			checkEncoding(t, want32, got, dict32, d32.Values())
			if err := d64.Insert(got, k64); err != nil {
				t.Fatal(err)
			}
			checkEncoding(t, want64, got, dict64, d64.Values())
			if err := df.Insert(got, kf); err != nil {
				t.Fatal(err)
			}
			gotF := make([]uint64, df.Len())
			for i, v := range df.Values() {
				gotF[i] = math.Float64bits(v)
			}
			checkEncoding(t, wantF, got, dictF, gotF)
			for i, k := range keys {
				if math.Float64bits(df.Values()[got[i]]) != k {
					t.Fatalf("%s: value %d does not reconstruct", name, i)
				}
			}
		})
	})
}

func FuzzDictBytes(f *testing.F) {
	f.Add([]byte("a,b,,a,\xff,\xff\xff,b"), byte(','))
	f.Add([]byte("the quick brown fox jumps over the lazy dog the end"), byte(' '))
	f.Add([]byte{}, byte(0))
	f.Fuzz(func(t *testing.T, data []byte, sep byte) {
		parts := bytes.Split(data, []byte{sep})
		in := make([]string, len(parts))
		for i, p := range parts {
			in[i] = string(p)
		}
		slab, offsets := bytesInput(in)
		want, dict := oracleEncode(in)
		implsOf(t, func(string) { fuzzDictBytesOnce(t, in, slab, offsets, want, dict) })
	})
}

func fuzzDictBytesOnce(t *testing.T, in []string, slab []byte, offsets []int32, want []int32, dict []string) {
	t.Helper()
	{
		var d DictBytes
		got := make([]int32, len(in))
		// Insert in two calls to cover a dictionary that grows across them.
		half := len(in) / 2
		if err := d.Insert(got[:half], slab, offsets[:half+1]); err != nil {
			t.Fatal(err)
		}
		if err := d.Insert(got[half:], slab, offsets[half:]); err != nil {
			t.Fatal(err)
		}
		dslab, doffs := d.Values()
		gotDict := make([]string, d.Len())
		for i := range gotDict {
			gotDict[i] = string(dslab[doffs[i]:doffs[i+1]])
		}
		checkEncoding(t, want, got, dict, gotDict)
		if size := 4*len(dict) + len(dslab); d.EncodedSize() != size {
			t.Fatalf("EncodedSize %d, want %d", d.EncodedSize(), size)
		}
	}
}

func FuzzStats(f *testing.F) {
	f.Add(bytes.Repeat([]byte{0, 0, 0, 0, 0, 0, 0xf8, 0x7f, 1, 0, 0, 0, 0, 0, 0, 0x80}, 5))
	f.Add([]byte{1, 2, 3})
	f.Add(bytes.Repeat([]byte{0xff}, 300))
	f.Fuzz(func(t *testing.T, data []byte) {
		n := len(data) / 8
		f64 := make([]float64, n)
		i64 := make([]int64, n)
		f32 := make([]float32, len(data)/4)
		i32 := make([]int32, len(data)/4)
		for i := range n {
			u := binary.LittleEndian.Uint64(data[8*i:])
			f64[i], i64[i] = math.Float64frombits(u), int64(u)
		}
		for i := range f32 {
			u := binary.LittleEndian.Uint32(data[4*i:])
			f32[i], i32[i] = math.Float32frombits(u), int32(u)
		}
		implsOf(t, func(name string) {
			lo, hi, ok := MinMaxInt64(i64)
			wlo, whi, wok := oracleMinMax(i64)
			if lo != wlo || hi != whi || ok != wok {
				t.Fatalf("%s: MinMaxInt64 (%d, %d, %v), want (%d, %d, %v)", name, lo, hi, ok, wlo, whi, wok)
			}
			lo32, hi32, ok := MinMaxInt32(i32)
			wlo32, whi32, wok := oracleMinMax(i32)
			if lo32 != wlo32 || hi32 != whi32 || ok != wok {
				t.Fatalf("%s: MinMaxInt32 (%d, %d, %v), want (%d, %d, %v)", name, lo32, hi32, ok, wlo32, whi32, wok)
			}
			flo, fhi, ok := MinMaxFloat64(f64)
			wflo, wfhi, wok := oracleMinMax(f64)
			if wflo == 0 {
				wflo = math.Copysign(0, -1)
			}
			if wfhi == 0 {
				wfhi = 0
			}
			if ok != wok || ok && (!sameFloat(flo, wflo) || !sameFloat(fhi, wfhi)) {
				t.Fatalf("%s: MinMaxFloat64 (%v, %v, %v), want (%v, %v, %v)", name, flo, fhi, ok, wflo, wfhi, wok)
			}
			slo, shi, ok := MinMaxFloat32(f32)
			wslo, wshi, wok := oracleMinMax(f32)
			if wslo == 0 {
				wslo = float32(math.Copysign(0, -1))
			}
			if wshi == 0 {
				wshi = 0
			}
			if ok != wok || ok && (math.Float32bits(slo) != math.Float32bits(wslo) || math.Float32bits(shi) != math.Float32bits(wshi)) {
				t.Fatalf("%s: MinMaxFloat32 (%v, %v, %v), want (%v, %v, %v)", name, slo, shi, ok, wslo, wshi, wok)
			}
		})
		// Byte strings: the data split at zero bytes, against a scan.
		parts := bytes.Split(data, []byte{0})
		slab, offsets := bytes.Join(parts, nil), []int32{0}
		for _, p := range parts {
			offsets = append(offsets, offsets[len(offsets)-1]+int32(len(p)))
		}
		lo, hi, ok, err := MinMaxBytes(slab, offsets)
		if err != nil || !ok {
			t.Fatalf("MinMaxBytes: %v, %v", ok, err)
		}
		for _, p := range parts {
			if bytes.Compare(p, lo) < 0 || bytes.Compare(p, hi) > 0 {
				t.Fatalf("%q lies outside [%q, %q]", p, lo, hi)
			}
		}
		if !bytes.Equal(lo, slices0(parts, -1)) || !bytes.Equal(hi, slices0(parts, 1)) {
			t.Fatalf("MinMaxBytes (%q, %q) is not the extreme of the parts", lo, hi)
		}
	})
}

// slices0 returns the least (dir < 0) or greatest part.
func slices0(parts [][]byte, dir int) []byte {
	best := parts[0]
	for _, p := range parts[1:] {
		if bytes.Compare(p, best)*dir > 0 {
			best = p
		}
	}
	return best
}
