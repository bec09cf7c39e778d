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
// dictionaries; each slot keeps 32 bits of the value's 64-bit seeded hash
// (which also give the group and the tag, so growth rehashes nothing), the
// value's length, index and offset in the dictionary's slab. The bytes are
// compared only when hash and length match, and then straight from the slab.
// The zero value is an empty dictionary ready for use.
type DictBytes struct {
	seed    [3]uint64
	gmask   uint32
	limit   int
	ctrl    []byte
	slots   []uint64 // per slot two words: hash | length<<32, index | offset<<32
	slab    []byte
	offsets []int32 // len(offsets) == Len()+1 once the table is in use
	hashes  []uint32
}

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
	oldCtrl, oldSlots := d.ctrl, d.slots
	d.ctrl = make([]byte, groups*dictGroup)
	d.slots = make([]uint64, 2*groups*dictGroup)
	d.gmask = uint32(groups - 1)
	d.limit = groups * dictGroup / 8 * 7
	for s, c := range oldCtrl {
		if c != 0 {
			h := uint32(oldSlots[2*s])
			t := findEmpty(d.ctrl, d.gmask, h)
			d.ctrl[t] = c
			d.slots[2*t] = oldSlots[2*s]
			d.slots[2*t+1] = oldSlots[2*s+1]
		}
	}
}

func (d *DictBytes) insertBatch(indexes []int32, slab []byte, offsets []int32) {
	hashes := d.hashes[:len(indexes)]
	offsets = offsets[:len(indexes)+1]
	for i := range hashes {
		hashes[i] = uint32(hashBytes(slab[offsets[i]:offsets[i+1]], &d.seed))
	}
	ctrl, slots, gmask := d.ctrl, d.slots, d.gmask
	for i, h := range hashes {
		v := slab[offsets[i]:offsets[i+1]]
		key := uint64(h) | uint64(len(v))<<32
		c := ctrlOf(h)
		bc := lsb8 * uint64(c)
		g := (h >> 7) & gmask
	probe:
		for step := uint32(1); ; step++ {
			base := int(g) * dictGroup
			// The group's two control words, each matched in SWAR: the
			// high bit of byte j marks slot j (of this word) as a match.
			for half := 0; half < dictGroup; half += 8 {
				w := binary.LittleEndian.Uint64(ctrl[base+half : base+half+8])
				x := w ^ bc
				for m := ^(((x & low7) + low7) | x) & msb8; m != 0; m &= m - 1 {
					s := 2 * (base + half + bits.TrailingZeros64(m)>>3)
					if slots[s] == key {
						at := slots[s+1]
						off := int(at >> 32)
						if bytes.Equal(d.slab[off:off+len(v)], v) {
							indexes[i] = int32(uint32(at))
							break probe
						}
					}
				}
			}
			for half := 0; half < dictGroup; half += 8 {
				w := binary.LittleEndian.Uint64(ctrl[base+half : base+half+8])
				if e := ^w & msb8; e != 0 {
					n := d.Len()
					s := base + half + bits.TrailingZeros64(e)>>3
					ctrl[s] = c
					slots[2*s] = key
					slots[2*s+1] = uint64(n) | uint64(len(d.slab))<<32
					d.slab = append(d.slab, v...)
					d.offsets = append(d.offsets, int32(len(d.slab)))
					indexes[i] = int32(n)
					break probe
				}
			}
			g = (g + step) & gmask
		}
	}
}

// Hash constants: odd, with well-mixed bits.
const (
	hashK1 = 0x9e3779b97f4a7c15
	hashK2 = 0xd6e8feb86659fd93
	hashK3 = 0xc2b2ae3d27d4eb4f
)

// fold multiplies a by b into 128 bits and folds the halves together.
func fold(a, b uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	return hi ^ lo
}

// hashBytes is the seeded hash of a byte string. Up to 16 bytes, it reads
// the string as two possibly overlapping words (the first and last 8, or 4,
// bytes; up to 3 bytes, three single bytes), so short strings cost two
// multiplications; longer ones fold 16 bytes per step first. The length
// enters the final step, so strings that read as the same words differ.
func hashBytes(p []byte, seed *[3]uint64) uint64 {
	n := len(p)
	acc := seed[0]
	var a, b uint64
	switch {
	case n > 16:
		// Fold 16 bytes per step, then read the last 16 bytes, which
		// may overlap what was folded.
		for q := p; len(q) > 16; q = q[16:] {
			acc = fold(binary.LittleEndian.Uint64(q)^acc^hashK1, binary.LittleEndian.Uint64(q[8:])^seed[1])
		}
		a = binary.LittleEndian.Uint64(p[n-16:])
		b = binary.LittleEndian.Uint64(p[n-8:])
	case n >= 8:
		a = binary.LittleEndian.Uint64(p)
		b = binary.LittleEndian.Uint64(p[n-8:])
	case n >= 4:
		a = uint64(binary.LittleEndian.Uint32(p))
		b = uint64(binary.LittleEndian.Uint32(p[n-4:]))
	case n > 0:
		a = uint64(p[0])<<16 | uint64(p[n>>1])<<8 | uint64(p[n-1])
	}
	h := fold(a^acc^hashK2, b^seed[1]^hashK3)
	return fold(h^uint64(n)^seed[2], hashK1)
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
