package kernels

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/bits"
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
	d.ctrl = make([]byte, groups*dictGroup)
	d.slots = make([]bytesKey, groups*dictGroup)
	d.gmask = uint32(groups - 1)
	d.limit = groups * dictGroup / 8 * 7
	for i := range d.Len() {
		k, h := d.valueKey(d.slab, int(d.offsets[i]), int(d.offsets[i+1]))
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
func (d *DictBytes) valueKey(slab []byte, o, e int) (bytesKey, uint32) {
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
	x := a ^ d.seed[2]
	if n > 24 {
		for p := o; e-p > 16; p += 16 {
			x = fold(binary.LittleEndian.Uint64(slab[p:p+8])^x^hashK1,
				binary.LittleEndian.Uint64(slab[p+8:p+16])^d.seed[1])
		}
	}
	return bytesKey{a: a, b: b, c: c, meta: uint64(n)}, mixKey(x, b, c, n, &d.seed)
}

// mixKey is the hash of valueKey from the first word (already mixed with
// the bytes a long value has beyond its key words), the other two and the
// length.
func mixKey(x, b, c uint64, n int, seed *[3]uint64) uint32 {
	h := fold(x^seed[0], b^seed[1]) ^ c
	return uint32(fold(h^seed[2], uint64(n)^hashK2))
}

func (d *DictBytes) insertBatch(indexes []int32, slab []byte, offsets []int32) {
	keys := d.keys[:len(indexes)]
	hashes := d.hashes[:len(indexes)]
	offsets = offsets[:len(indexes)+1]
	seed := &d.seed
	for i := range keys {
		o, e := int(offsets[i]), int(offsets[i+1])
		n := e - o
		if e < 8 || n > 24 {
			keys[i], hashes[i] = d.valueKey(slab, o, e)
			continue
		}
		// valueKey, inlined for values of up to 24 bytes, without a branch
		// on the length: the words are read from wherever keeps them in
		// the value or, for a short one, in the 8 bytes it ends, and the
		// bytes before the value shifted out.
		c := binary.LittleEndian.Uint64(slab[e-8:e]) >> uint(64-8*min(n, 8))
		ao, bo := o, o+8
		if n < 8 {
			ao = e - 8
		}
		if n < 16 {
			bo = e - 8
		}
		a := binary.LittleEndian.Uint64(slab[ao : ao+8])
		b := binary.LittleEndian.Uint64(slab[bo : bo+8])
		if n < 8 {
			a = c
		}
		if n < 16 {
			b = c
		}
		keys[i] = bytesKey{a: a, b: b, c: c, meta: uint64(n)}
		hashes[i] = mixKey(a^seed[2], b, c, n, seed)
	}
	ctrl, slots, gmask := d.ctrl, d.slots, d.gmask
	for i := range keys {
		k := keys[i]
		h := hashes[i]
		c := ctrlOf(h)
		bc := lsb8 * uint64(c)
		g := (h >> 7) & gmask
	probe:
		for step := uint32(1); ; step++ {
			base := int(g) * dictGroup
			// Both control words of the group matched in SWAR, their
			// masks interleaved: bit 8j is slot j, bit 8j+1 slot 8+j.
			w0 := binary.LittleEndian.Uint64(ctrl[base : base+8])
			w1 := binary.LittleEndian.Uint64(ctrl[base+8 : base+16])
			x0, x1 := w0^bc, w1^bc
			match := (^(((x0&low7)+low7)|x0)&msb8)>>7 | (^(((x1&low7)+low7)|x1)&msb8)>>6
			for ; match != 0; match &= match - 1 {
				t := bits.TrailingZeros64(match)
				sl := &slots[base+t>>3+(t&1)<<3]
				if (sl.a^k.a)|(sl.b^k.b)|(sl.c^k.c)|uint64(uint32(sl.meta^k.meta)) == 0 {
					at := int32(sl.meta >> 32)
					if k.meta <= 24 || d.middleEqual(at, slab, int(offsets[i]), int(k.meta)) {
						indexes[i] = at
						break probe
					}
				}
			}
			if empty := (^w0&msb8)>>7 | (^w1&msb8)>>6; empty != 0 {
				t := bits.TrailingZeros64(empty)
				s := base + t>>3 + (t&1)<<3
				n := d.Len()
				ctrl[s] = c
				k.meta |= uint64(n) << 32
				slots[s] = k
				d.slab = append(d.slab, slab[offsets[i]:offsets[i+1]]...)
				d.offsets = append(d.offsets, int32(len(d.slab)))
				indexes[i] = int32(n)
				break
			}
			g = (g + step) & gmask
		}
	}
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
	clear(d.ctrl)
	d.slab = d.slab[:0]
	if d.ctrl != nil {
		d.offsets = append(d.offsets[:0], 0)
	}
}
