package parquet

import (
	"bytes"
	"hash/maphash"
)

// Dictionary builders for one column chunk. Each maps every value to its
// index in first-seen order, writing the indices to idx. A build gives up
// (returns false) when the dictionary would pass its byte limit, or when
// the first dictSample values are mostly distinct: such a column would not
// shrink, and building the rest of the dictionary would be wasted work.

const (
	dictSample = 4096
	// a column whose sample has more distinct values than this fraction
	// (in 1/16ths) is not dictionary-encoded
	dictSampleMax16 = 8
)

func sampleTooDistinct(i, distinct int) bool {
	return i == dictSample && distinct*16 > dictSample*dictSampleMax16
}

// dictFixed is an open-addressing hash table of 64-bit keys (the bit
// patterns of int32, int64, float and double values).
type dictFixed struct {
	slots []int32 // index+1 of the key in keys; 0 is empty
	keys  []uint64
	shift uint
}

func (d *dictFixed) reset(capacity int) {
	n := 64
	for n < 2*capacity {
		n <<= 1
	}
	if cap(d.slots) >= n {
		d.slots = d.slots[:n]
		clear(d.slots)
	} else {
		d.slots = make([]int32, n)
	}
	d.shift = uint(64 - log2(n))
	d.keys = d.keys[:0]
}

func log2(n int) int {
	k := 0
	for 1<<k < n {
		k++
	}
	return k
}

func (d *dictFixed) grow() {
	n := 2 * len(d.slots)
	d.slots = make([]int32, n)
	d.shift--
	mask := uint64(n - 1)
	for i, k := range d.keys {
		h := (k * 0x9E3779B97F4A7C15) >> d.shift
		for d.slots[h] != 0 {
			h = (h + 1) & mask
		}
		d.slots[h] = int32(i + 1)
	}
}

// buildFixed maps keys (value bit patterns) to indices in d; width is the
// PLAIN size of one value.
func buildFixed[T uint32 | uint64](d *dictFixed, keys []T, width, limit int, idx []uint32) bool {
	n := len(keys)
	d.reset(min(n, 1<<16))
	mask := uint64(len(d.slots) - 1)
	maxEntries := limit / width
	for i := range n {
		if sampleTooDistinct(i, len(d.keys)) {
			return false
		}
		k := uint64(keys[i])
		h := (k * 0x9E3779B97F4A7C15) >> d.shift
		for {
			s := d.slots[h]
			if s == 0 {
				if len(d.keys) >= maxEntries {
					return false
				}
				d.keys = append(d.keys, k)
				d.slots[h] = int32(len(d.keys))
				idx[i] = uint32(len(d.keys) - 1)
				if 2*len(d.keys) > len(d.slots) {
					d.grow()
					mask = uint64(len(d.slots) - 1)
				}
				break
			}
			if d.keys[s-1] == k {
				idx[i] = uint32(s - 1)
				break
			}
			h = (h + 1) & mask
		}
	}
	return true
}

// dictBytes is an open-addressing hash table of byte strings.
type dictBytes struct {
	slots   []int32 // index+1 of the entry; 0 is empty
	hashes  []uint64
	data    []byte
	offsets []int32 // entry i is data[offsets[i]:offsets[i+1]]
	seed    maphash.Seed
	shift   uint
}

func (d *dictBytes) reset(capacity int) {
	if d.seed == (maphash.Seed{}) {
		d.seed = maphash.MakeSeed()
	}
	n := 64
	for n < 2*capacity {
		n <<= 1
	}
	if cap(d.slots) >= n {
		d.slots = d.slots[:n]
		clear(d.slots)
	} else {
		d.slots = make([]int32, n)
	}
	d.shift = uint(64 - log2(n))
	d.hashes = d.hashes[:0]
	d.data = d.data[:0]
	d.offsets = append(d.offsets[:0], 0)
}

func (d *dictBytes) len() int { return len(d.offsets) - 1 }

func (d *dictBytes) grow() {
	n := 2 * len(d.slots)
	d.slots = make([]int32, n)
	d.shift--
	mask := uint64(n - 1)
	for i, hv := range d.hashes {
		h := (hv * 0x9E3779B97F4A7C15) >> d.shift
		for d.slots[h] != 0 {
			h = (h + 1) & mask
		}
		d.slots[h] = int32(i + 1)
	}
}

func (d *dictBytes) build(data []byte, offsets []int32, limit int, idx []uint32) bool {
	n := len(offsets) - 1
	d.reset(min(n, 1<<16))
	mask := uint64(len(d.slots) - 1)
	size := 0
	for i := range n {
		if sampleTooDistinct(i, d.len()) {
			return false
		}
		v := data[offsets[i]:offsets[i+1]]
		hv := maphash.Bytes(d.seed, v)
		h := (hv * 0x9E3779B97F4A7C15) >> d.shift
		for {
			s := d.slots[h]
			if s == 0 {
				size += 4 + len(v)
				if size > limit {
					return false
				}
				d.data = append(d.data, v...)
				d.offsets = append(d.offsets, int32(len(d.data)))
				d.hashes = append(d.hashes, hv)
				d.slots[h] = int32(d.len())
				idx[i] = uint32(d.len() - 1)
				if 2*d.len() > len(d.slots) {
					d.grow()
					mask = uint64(len(d.slots) - 1)
				}
				break
			}
			e := s - 1
			if d.hashes[e] == hv && bytes.Equal(d.data[d.offsets[e]:d.offsets[e+1]], v) {
				idx[i] = uint32(e)
				break
			}
			h = (h + 1) & mask
		}
	}
	return true
}
