package kernels

//go:generate go run -C ../asmgen ./dictbytes -out ../kernels/dict_bytes_amd64.s -stubs ../kernels/dict_bytes_amd64.go -pkg kernels

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/bits"
	"unsafe"
)

// DictBytes builds the dictionary of a BYTE_ARRAY (or FIXED_LEN_BYTE_ARRAY)
// column. Values come and go in columnar form: one byte slab and offsets, the
// value i being slab[offsets[i]:offsets[i+1]]; no Go string or slice header is
// kept per value. The table is the Swiss-table layout of the fixed-width
// dictionaries (16-slot groups of control bytes, triangular probing, load at
// most 7/8). Each slot keeps the value's key words (see valueKey), which
// together with its length spell out a value of up to 24 bytes, and its
// length and index: such a value is found with one compare of four words,
// never touching the dictionary's slab; a longer one compares its middle
// bytes there. Growth rehashes the dictionary from its slab.
// The zero value is an empty dictionary ready for use.
type DictBytes struct {
	seed    [3]uint64
	gmask   uint32
	limit   int
	ctrl    []byte
	slots   []bytesKey // key words and meta = length | index<<32
	slab    []byte
	offsets []int32 // len(offsets) == Len()+1 once the table is in use
	keys    []bytesKey
	hashes  []uint32
	mem     *DictMemory // where ctrl and slots come from, if shared
}

// bytesKey holds the key words of a value (valueKey) and its meta word: its
// length in the low 32 bits and, in a table slot, its index in the high 32.
type bytesKey struct{ a, b, c, meta uint64 }

// Insert writes to indexes[i] the dictionary index of the value
// slab[offsets[i]:offsets[i+1]], adding the values not seen before to the
// dictionary. offsets must be non-decreasing, start at or after 0 and end at
// or before len(slab); indexes must hold len(offsets)-1 entries at least. On
// error nothing is inserted.
func (d *DictBytes) Insert(indexes []int32, slab []byte, offsets []int32) error {
	n := len(offsets) - 1
	if n <= 0 {
		return nil
	}
	if err := checkInsert("DictBytes", len(indexes), n); err != nil {
		return err
	}
	if err := checkOffsets("DictBytes.Insert", slab, offsets); err != nil {
		return err
	}
	if err := checkRoom("DictBytes", d.Len(), n); err != nil {
		return err
	}
	inBytes := int(offsets[n] - offsets[0])
	if inBytes > maxDictLen-len(d.slab) {
		return fmt.Errorf("%w: DictBytes holds %d bytes; %d more could exceed the %d an int32 offset reaches",
			ErrDictionary, len(d.slab), inBytes, maxDictLen)
	}
	if d.ctrl == nil {
		for i := range d.seed {
			d.seed[i] = newSeed()
		}
		d.keys = make([]bytesKey, dictBatch)
		d.hashes = make([]uint32, dictBatch)
		d.offsets = append(d.offsets[:0], 0)
	}
	for i := 0; i < n; {
		m := min(n-i, dictBatch)
		d.reserve(m)
		d.insertBatch(indexes[i:i+m], slab, offsets[i:i+m+1])
		i += m
	}
	return nil
}

// checkOffsets validates columnar byte-array input.
func checkOffsets(where string, slab []byte, offsets []int32) error {
	if len(offsets) == 0 {
		return nil
	}
	if offsets[0] < 0 {
		return fmt.Errorf("%w: %s offsets[0] is %d, want >= 0", ErrShortBuffer, where, offsets[0])
	}
	for i := 1; i < len(offsets); i++ {
		if offsets[i] < offsets[i-1] {
			return fmt.Errorf("%w: %s offsets[%d] = %d is below offsets[%d] = %d",
				ErrShortBuffer, where, i, offsets[i], i-1, offsets[i-1])
		}
	}
	if last := offsets[len(offsets)-1]; int(last) > len(slab) {
		return fmt.Errorf("%w: %s offsets end at %d, past the slab of %d bytes",
			ErrShortBuffer, where, last, len(slab))
	}
	return nil
}

func (d *DictBytes) reserve(extra int) {
	if d.ctrl != nil && d.Len()+extra <= d.limit {
		return
	}
	groups := tableGroups(d.Len() + extra)
	d.takeTable(groups * dictGroup)
	d.gmask = uint32(groups - 1)
	d.limit = groups * dictGroup / 8 * 7
	for i := range d.Len() {
		k, h := valueKey(d.slab, int(d.offsets[i]), int(d.offsets[i+1]), &d.seed)
		s := findEmpty(d.ctrl, d.gmask, h)
		d.ctrl[s] = ctrlOf(h)
		k.meta |= uint64(i) << 32
		d.slots[s] = k
	}
}

// valueKey returns the key words of the value slab[o:e] and its hash. The
// words are the value's first 8 bytes (a), bytes 8 to 16 (b) and last 8 bytes
// (c), little-endian, where a value shorter than 16 bytes has b = c and one
// shorter than 8 bytes, zero-extended, is all three; with the length they
// determine a value of up to 24 bytes. The hash mixes the words, the length
// and, for a longer value, its bytes before the last 16, folded 16 at a time,
// with the seed by 64x64-bit multiplications folded to 64 bits.
func valueKey(slab []byte, o, e int, seed *[3]uint64) (bytesKey, uint32) {
	n := e - o
	var a, b, c uint64
	if n >= 8 {
		a = binary.LittleEndian.Uint64(slab[o : o+8])
		c = binary.LittleEndian.Uint64(slab[e-8 : e])
		b = c
		if n >= 16 {
			b = binary.LittleEndian.Uint64(slab[o+8 : o+16])
		}
	} else {
		for j := e - 1; j >= o; j-- {
			c = c<<8 | uint64(slab[j])
		}
		a, b = c, c
	}
	x := a ^ seed[2]
	if n > 24 {
		for p := o; e-p > 16; p += 16 {
			x = fold(binary.LittleEndian.Uint64(slab[p:p+8])^x^hashK1,
				binary.LittleEndian.Uint64(slab[p+8:p+16])^seed[1])
		}
	}
	return bytesKey{a: a, b: b, c: c, meta: uint64(n)}, mixKey(x, b, c, n, seed[0], seed[1], seed[2])
}

// mixKey is the hash of valueKey from the first word (already mixed with
// the bytes a long value has beyond its key words), the other two and the
// length.
func mixKey(x, b, c uint64, n int, s0, s1, s2 uint64) uint32 {
	h := fold(x^s0, b^s1) ^ c
	return uint32(fold(h^s2, uint64(n)^hashK2))
}

// load64 reads the little-endian word at byte i of the memory at p, which
// the caller has checked to hold it.
func load64(p unsafe.Pointer, i int) uint64 {
	return binary.LittleEndian.Uint64((*[8]byte)(unsafe.Add(p, i))[:])
}

func (d *DictBytes) insertBatch(indexes []int32, slab []byte, offsets []int32) {
	keys := d.keys[:len(indexes)]
	hashes := d.hashes[:len(indexes)]
	offsets = offsets[:len(indexes)+1]
	if impl.hashBytes(keys, hashes, slab, offsets, &d.seed) {
		// Values the kernel leaves: empty, longer than 24 bytes, or
		// ending in the slab's first 8 bytes.
		for i := range keys {
			if o, e := int(offsets[i]), int(offsets[i+1]); !shortValue(o, e) {
				keys[i], hashes[i] = valueKey(slab, o, e, &d.seed)
			}
		}
	}
	for i := 0; i < len(keys); {
		// The common case, a value of up to 24 bytes already in the
		// dictionary, is settled in the probe kernel.
		done, s := impl.probeBytes(d.ctrl, d.slots, d.gmask, keys[i:], hashes[i:], indexes[i:])
		i += done
		if i == len(keys) {
			break
		}
		if s < 0 {
			d.probeOne(&indexes[i], keys[i], hashes[i], slab, int(offsets[i]), int(offsets[i+1]))
		} else {
			d.add(&indexes[i], s, keys[i], hashes[i], slab[offsets[i]:offsets[i+1]])
		}
		i++
	}
}

// probeBytesGo is the reference of kernelSet.probeBytes: it looks up
// keys[i] (with hash hashes[i]) in the table (ctrl, slots, gmask) for i
// from 0 on, writing the indexes of those found, until it meets a key that
// is missing or longer than 24 bytes. It returns the number of keys
// settled and, for a missing key, an empty slot of the last group it
// probed (the first in the order bit 8j = slot j, 8j+1 = slot 8+j; kernels
// may pick another empty slot of that group), or -1 for a long key, which
// probeOne looks up.
func probeBytesGo(ctrl []byte, slots []bytesKey, gmask uint32, keys []bytesKey, hashes []uint32, indexes []int32) (done, slot int) {
	hashes = hashes[:len(keys)]
	indexes = indexes[:len(keys)]
	for i := range keys {
		k := &keys[i]
		if k.meta > 24 {
			return i, -1
		}
		h := hashes[i]
		bc := lsb8 * uint64(ctrlOf(h))
		g := (h >> 7) & gmask
	probe:
		for step := uint32(1); ; step++ {
			base := int(g) * dictGroup
			// Both control words of the group matched in SWAR, their
			// masks interleaved: bit 8j is slot j, bit 8j+1 slot 8+j.
			cw := ctrl[base : base+dictGroup]
			w0 := binary.LittleEndian.Uint64(cw[:8])
			w1 := binary.LittleEndian.Uint64(cw[8:])
			x0, x1 := w0^bc, w1^bc
			match := (^(((x0&low7)+low7)|x0)&msb8)>>7 | (^(((x1&low7)+low7)|x1)&msb8)>>6
			for ; match != 0; match &= match - 1 {
				t := bits.TrailingZeros64(match)
				sl := &slots[base+t>>3+(t&1)<<3]
				if (sl.a^k.a)|(sl.b^k.b)|(sl.c^k.c)|uint64(uint32(sl.meta^k.meta)) == 0 {
					indexes[i] = int32(sl.meta >> 32)
					break probe
				}
			}
			if empty := (^w0&msb8)>>7 | (^w1&msb8)>>6; empty != 0 {
				t := bits.TrailingZeros64(empty)
				return i, base + t>>3 + (t&1)<<3
			}
			g = (g + step) & gmask
		}
	}
	return len(keys), 0
}

// probeOne looks up the value slab[o:e] with key k and hash h, adding it
// when missing, and writes its index to *index.
func (d *DictBytes) probeOne(index *int32, k bytesKey, h uint32, slab []byte, o, e int) {
	ctrl, slots, gmask := d.ctrl, d.slots, d.gmask
	bc := lsb8 * uint64(ctrlOf(h))
	g := (h >> 7) & gmask
	for step := uint32(1); ; step++ {
		base := int(g) * dictGroup
		w0 := binary.LittleEndian.Uint64(ctrl[base : base+8])
		w1 := binary.LittleEndian.Uint64(ctrl[base+8 : base+16])
		x0, x1 := w0^bc, w1^bc
		match := (^(((x0&low7)+low7)|x0)&msb8)>>7 | (^(((x1&low7)+low7)|x1)&msb8)>>6
		for ; match != 0; match &= match - 1 {
			t := bits.TrailingZeros64(match)
			sl := &slots[base+t>>3+(t&1)<<3]
			if (sl.a^k.a)|(sl.b^k.b)|(sl.c^k.c)|uint64(uint32(sl.meta^k.meta)) == 0 {
				at := int32(sl.meta >> 32)
				if k.meta <= 24 || d.middleEqual(at, slab, o, int(k.meta)) {
					*index = at
					return
				}
			}
		}
		if empty := (^w0&msb8)>>7 | (^w1&msb8)>>6; empty != 0 {
			t := bits.TrailingZeros64(empty)
			d.add(index, base+t>>3+(t&1)<<3, k, h, slab[o:e])
			return
		}
		g = (g + step) & gmask
	}
}

// add puts value v, with key k and hash h, in the empty slot s as the
// dictionary's next value and writes its index to *index.
func (d *DictBytes) add(index *int32, s int, k bytesKey, h uint32, v []byte) {
	n := d.Len()
	d.ctrl[s] = ctrlOf(h)
	k.meta |= uint64(n) << 32
	d.slots[s] = k
	d.slab = append(d.slab, v...)
	d.offsets = append(d.offsets, int32(len(d.slab)))
	*index = int32(n)
}

// shortValue reports whether the value slab[o:e] is one the hashBytes
// kernels take: 1 to 24 bytes, ending at byte 8 or later.
func shortValue(o, e int) bool { return e >= 8 && uint(e-o-1) < 24 }

// hashBytesGo is the reference of kernelSet.hashBytes: for each value
// slab[offsets[i]:offsets[i+1]] that shortValue takes, it writes the key
// words and hash of valueKey to keys[i] and hashes[i]; it reports whether
// it left any other value. len(offsets) == len(keys)+1 <= len(hashes)+1,
// and the offsets were checked against the slab (checkOffsets).
func hashBytesGo(keys []bytesKey, hashes []uint32, slab []byte, offsets []int32, seed *[3]uint64) bool {
	hashes = hashes[:len(keys)]
	offsets = offsets[:len(keys)+1]
	s0, s1, s2 := seed[0], seed[1], seed[2]
	base := unsafe.Pointer(unsafe.SliceData(slab))
	left := false
	for i := range keys {
		o, e := int(offsets[i]), int(offsets[i+1])
		n := e - o
		if !shortValue(o, e) {
			left = true
			continue
		}
		// valueKey without a branch on the length (lengths vary from value
		// to value, and mispredicted branches cost more than the
		// arithmetic). 0 <= o <= e <= len(slab), and e >= 8: the words are
		// read from inside the value, a short one's from the 8 bytes it
		// ends, and for a value shorter than 8 bytes (all three words then
		// read those 8) the bytes before it shifted out.
		sh := uint(64 - 8*min(n, 8))
		c := load64(base, e-8) >> sh
		a := load64(base, min(o, e-8)) >> sh
		b := load64(base, min(o+8, e-8)) >> sh
		keys[i] = bytesKey{a: a, b: b, c: c, meta: uint64(n)}
		hashes[i] = mixKey(a^s2, b, c, n, s0, s1, s2)
	}
	return left
}

// middleEqual reports whether the bytes 16..n-8 of dictionary value at equal
// those of slab[o:o+n]; the first 16 and the last 8 have been compared.
func (d *DictBytes) middleEqual(at int32, slab []byte, o, n int) bool {
	p := int(d.offsets[at])
	return bytes.Equal(d.slab[p+16:p+n-8], slab[o+16:o+n-8])
}

// Hash constants: odd, with well-mixed bits.
const (
	hashK1 = 0x9e3779b97f4a7c15
	hashK2 = 0xd6e8feb86659fd93
)

// fold multiplies a by b into 128 bits and folds the halves together.
func fold(a, b uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	return hi ^ lo
}

// Values returns the dictionary in columnar form: value i is
// slab[offsets[i]:offsets[i+1]] and has index i. Both slices are the
// dictionary's own storage, valid until the next Insert or Reset.
func (d *DictBytes) Values() (slab []byte, offsets []int32) {
	if len(d.offsets) == 0 {
		return d.slab[:0], []int32{0}
	}
	return d.slab, d.offsets
}

// Len is the number of distinct values in the dictionary.
func (d *DictBytes) Len() int { return max(len(d.offsets)-1, 0) }

// EncodedSize is the size in bytes of the dictionary as a PLAIN-encoded
// dictionary page body: a 4-byte length before each value's bytes.
func (d *DictBytes) EncodedSize() int { return 4*d.Len() + len(d.slab) }

// Reset empties the dictionary and keeps its memory for the next column
// chunk.
func (d *DictBytes) Reset() {
	if d.mem != nil && d.ctrl != nil {
		// the memory may hold another table's entries, or have been
		// replaced by a larger one: take it again, cleared, at this size
		d.takeTable(len(d.slots))
	}
	clear(d.ctrl)
	d.slab = d.slab[:0]
	if d.ctrl != nil {
		d.offsets = append(d.offsets[:0], 0)
	}
}

// UseBuffers gives d the memory of slab and offsets, from length 0, for
// the values of the dictionary it builds from its next Reset on: it
// appends to them, and Values returns them (or, once a build outgrew
// them, the larger slices appending made). A caller that owns scratch
// memory idle while d's dictionary is built and read lends it so, instead
// of d keeping memory of its own; it must not write the memory while it
// reads d's values.
func (d *DictBytes) UseBuffers(slab []byte, offsets []int32) {
	d.slab, d.offsets = slab[:0], offsets[:0]
}

// ShareMemory makes d take its hash table from m from its next Reset or
// growth on (see DictMemory); nil gives it memory of its own again.
func (d *DictBytes) ShareMemory(m *DictMemory) { d.mem = m }

// takeTable points ctrl and slots at a table of n slots, its control bytes
// cleared (from d.mem, if shared).
func (d *DictBytes) takeTable(n int) {
	const words = int(unsafe.Sizeof(bytesKey{}) / 8)
	ctrl, w := d.mem.take(n, words*n)
	d.ctrl = ctrl
	d.slots = unsafe.Slice((*bytesKey)(unsafe.Pointer(unsafe.SliceData(w))), n)
}
