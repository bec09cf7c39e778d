package kernels

import (
	"bytes"
	"fmt"
	"hash/maphash"
	"math/bits"
)

// DictBytes builds the dictionary of a BYTE_ARRAY (or FIXED_LEN_BYTE_ARRAY)
// column. Values come and go in columnar form: one byte slab and offsets, the
// value i being slab[offsets[i]:offsets[i+1]]; no Go string or slice header is
// kept per value. The table is the Swiss-table layout of the fixed-width
// dictionaries; each slot keeps 32 bits of the value's 64-bit seeded hash
// (which also give the group and the tag, so growth rehashes nothing) and the
// value's index, and the bytes are compared only when those 32 bits match.
// The zero value is an empty dictionary ready for use.
type DictBytes struct {
	seed    maphash.Seed
	gmask   uint32
	limit   int
	ctrl    []byte
	slots   []uint64 // low 32 bits: hash; high 32 bits: index
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
		d.seed = maphash.MakeSeed()
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
	d.slots = make([]uint64, groups*dictGroup)
	d.gmask = uint32(groups - 1)
	d.limit = groups * dictGroup / 8 * 7
	for s, c := range oldCtrl {
		if c != 0 {
			h := uint32(oldSlots[s])
			t := findEmpty(d.ctrl, d.gmask, h)
			d.ctrl[t] = c
			d.slots[t] = oldSlots[s]
		}
	}
}

func (d *DictBytes) insertBatch(indexes []int32, slab []byte, offsets []int32) {
	hashes := d.hashes[:len(indexes)]
	for i := range hashes {
		hashes[i] = uint32(maphash.Bytes(d.seed, slab[offsets[i]:offsets[i+1]]))
	}
	ctrl, slots, gmask := d.ctrl, d.slots, d.gmask
	for i, h := range hashes {
		v := slab[offsets[i]:offsets[i+1]]
		c := ctrlOf(h)
		g := (h >> 7) & gmask
	probe:
		for step := uint32(1); ; step++ {
			base := int(g) * dictGroup
			match, empty := groupMatch(ctrl[base:base+dictGroup], c)
			for ; match != 0; match &= match - 1 {
				s := slots[base+bits.TrailingZeros32(match)]
				if uint32(s) == h {
					j := s >> 32
					if bytes.Equal(d.slab[d.offsets[j]:d.offsets[j+1]], v) {
						indexes[i] = int32(j)
						break probe
					}
				}
			}
			if empty != 0 {
				n := d.Len()
				s := base + bits.TrailingZeros32(empty)
				ctrl[s] = c
				slots[s] = uint64(h) | uint64(n)<<32
				d.slab = append(d.slab, v...)
				d.offsets = append(d.offsets, int32(len(d.slab)))
				indexes[i] = int32(n)
				break
			}
			g = (g + step) & gmask
		}
	}
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
