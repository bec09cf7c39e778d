package parquet

import (
	"encoding/binary"
	"math/bits"
	"math/rand/v2"
	"slices"
	"unsafe"

	"github.com/evodb/writer/kernels"
)

// Dictionary builders for one column chunk, on the kernels' hash tables.
// Each maps every value to its index in first-seen order, writing the
// indices to idx. A build gives up (returns false) when the dictionary
// would pass its byte limit, or when the first dictSample values are mostly
// distinct: such a column would not shrink, and building the rest of the
// dictionary would be wasted work. Values go in in batches of dictSample,
// and the limits are checked after each batch.

const (
	dictSample = 4096
	// a column whose sample has more distinct values than this fraction
	// (in 1/16ths) is not dictionary-encoded; with zstd the fraction is
	// higher, since compressed indices can beat compressed
	// values even when most of a sample's values are new (skewed ids,
	// prices: 20,000 prices in a chunk of 300,000 show 90% new values in
	// the sample, and their dictionary wins over zstd on the values);
	// unique ids, at 100%, are still left out early
	dictSampleMax16           = 8
	dictSampleMax16Compressed = 15
)

// sampleTooDistinct reports whether the first dictSample values have so
// many distinct ones that building the dictionary is not worth it; max16
// is the highest fraction allowed, in 1/16ths.
func sampleTooDistinct(seen, distinct, max16 int) bool {
	return seen == dictSample && distinct*16 > dictSample*max16
}

func asI32(v []uint32) []int32 {
	if len(v) == 0 {
		return nil
	}
	return unsafe.Slice((*int32)(unsafe.Pointer(&v[0])), len(v))
}

// dictFixed is a dictionary of 4- or 8-byte values, keyed by bit pattern
// (so that NaNs and zeros of either sign keep their bits).
type dictFixed struct {
	d32 kernels.DictInt32
	d64 kernels.DictInt64
	// width of the last build: 4 or 8
	width int
	// sorted: the dictionary's values in ascending order of their bit
	// patterns (s32 for width 4; s64 holds them widened for either),
	// written instead of the first-seen order (see sortValues)
	sorted bool
	s32    []uint32
	s64    []uint64
	// indices in sorted order (sortValues)
	order []uint32
	// direct: the last build counted the values in a bitmap of their
	// range (buildDirect), leaving them sorted in s64 (and s32)
	direct bool
	// Scratch that no build keeps past its return, shared by the builds
	// (a chunk makes one): the radix sort's second buffers, where it also
	// ranks the indices (sortValues); buildDirect's bitmap of the range
	// and the count of set bits before each of its words; the words of
	// buildShort (dictBytes.spare64 points here in a Writer). One buffer
	// each instead of one per use: the largest use, not their sum.
	spare64 []uint64
	spare32 []uint32
}

func (d *dictFixed) len() int {
	if d.direct {
		return len(d.s64)
	}
	if d.width == 4 {
		return d.d32.Len()
	}
	return d.d64.Len()
}

// appendValues appends the dictionary PLAIN-encoded.
func (d *dictFixed) appendValues(dst []byte) []byte {
	if d.sorted {
		if d.width == 4 {
			return appendPlainInt32(dst, asI32(d.s32))
		}
		return appendPlainInt64(dst, asI64(d.s64))
	}
	if d.width == 4 {
		return appendPlainInt32(dst, d.d32.Values())
	}
	return appendPlainInt64(dst, d.d64.Values())
}

// wordBytes is the memory of v as bytes, from length 0.
func wordBytes(v []uint64) []byte {
	if cap(v) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(v))), 8*cap(v))[:0]
}

// roomI32 is the memory of v as int32s, from length 0.
func roomI32(v []uint32) []int32 {
	if cap(v) == 0 {
		return nil
	}
	return unsafe.Slice((*int32)(unsafe.Pointer(unsafe.SliceData(v))), cap(v))[:0]
}

func asI64(v []uint64) []int64 {
	if len(v) == 0 {
		return nil
	}
	return unsafe.Slice((*int64)(unsafe.Pointer(&v[0])), len(v))
}

// sortValues puts the dictionary just built in ascending order of its
// values' bit patterns and renumbers idx (its indices) to match. The
// values, one per index, are the same; only their order changes. In
// first-seen order the dictionary page of a column of many distinct
// numbers (prices, scores: thousands of values in a row group) is close
// to random bytes; sorted, neighbouring values share their high bytes and
// the page compresses to a fraction, a gain repeated in every row group.
// A radix sort, a byte at a time from the lowest, skipping the bytes all
// values share: a few passes over the dictionary, no comparisons.
func (d *dictFixed) sortValues(idx []uint32) {
	if d.direct {
		return // built in order
	}
	n := d.len()
	d.sorted = false
	if n < 2 {
		return
	}
	d.s64, d.order = fit(d.s64, n), fit(d.order, n)
	keys, ord := d.s64, d.order
	if d.width == 4 {
		for i, v := range d.d32.Values() {
			keys[i], ord[i] = uint64(uint32(v)), uint32(i)
		}
	} else {
		for i, v := range d.d64.Values() {
			keys[i], ord[i] = uint64(v), uint32(i)
		}
	}
	d.spare64, d.spare32 = fit(d.spare64, n), fit(d.spare32, n)
	tk, to := d.spare64, d.spare32
	var counts [8][256]int32
	for _, k := range keys {
		for b := range d.width {
			counts[b][byte(k>>(8*b))]++
		}
	}
	for b := range d.width {
		c := &counts[b]
		shift := 8 * uint(b)
		if int(c[byte(keys[0]>>shift)]) == n {
			continue // every value has this byte: the order stands
		}
		var sum int32
		for i, v := range c {
			c[i], sum = sum, sum+v
		}
		for j, k := range keys {
			p := c[byte(k>>shift)]
			c[byte(k>>shift)]++
			tk[p], to[p] = k, ord[j]
		}
		keys, tk = tk, keys
		ord, to = to, ord
	}
	// The sorted values go back to s64 and order if the passes left them
	// in the spare buffers, which keep their role: the spare buffers are
	// sized by the largest scratch any build needs (a chunk's words, a
	// bitmap), s64 and order by the largest dictionary; swapping them would
	// move a small buffer to a big role and grow it again in every file.
	if &keys[0] != &d.s64[0] {
		copy(tk, keys)
		copy(to, ord)
		keys, tk = tk, keys
		ord, to = to, ord
	}
	// the spare order buffer ranks the indices
	rank := to
	for r, i := range ord {
		rank[i] = uint32(r)
	}
	if d.width == 4 {
		d.s32 = fit(d.s32, n)
		for r, k := range keys {
			d.s32[r] = uint32(k)
		}
	}
	for j, i := range idx {
		idx[j] = rank[i]
	}
	d.sorted = true
}

// buildFixed maps keys (value bit patterns) to indices in d.
func buildFixed[T uint32 | uint64](d *dictFixed, keys []T, width, limit, max16 int, idx []uint32) bool {
	d.width = width
	d.sorted, d.direct = false, false
	d.d32.Reset()
	d.d64.Reset()
	maxEntries := limit / width
	out := asI32(idx)
	for lo := 0; lo < len(keys); lo += dictSample {
		hi := min(lo+dictSample, len(keys))
		var err error
		switch k := any(keys[lo:hi]).(type) {
		case []uint32:
			err = d.d32.Insert(out[lo:hi], unsafe.Slice((*int32)(unsafe.Pointer(&k[0])), len(k)))
		case []uint64:
			err = d.d64.Insert(out[lo:hi], unsafe.Slice((*int64)(unsafe.Pointer(&k[0])), len(k)))
		}
		if err != nil || d.len() > maxEntries || sampleTooDistinct(hi, d.len(), max16) {
			return false
		}
	}
	return true
}

// dictBytes is a dictionary of byte strings.
type dictBytes struct {
	d kernels.DictBytes
	// short: the last build keyed values as words (buildShort), its
	// dictionary in w; slab and offsets spell out its values. w is the
	// Writer's dictFixed.d64 and words its dictFixed.spare64 (see
	// Writer.linkDicts): a chunk is of one type, so one table and one
	// scratch serve both, and their memory is held once.
	short   bool
	w       *kernels.DictInt64
	words   *[]uint64
	slab    []byte
	offsets []int32
	// small holds the words of a short build while they are few (see
	// wordTable); d.w takes over past wordTableMax of them
	small wordTable
	// slabMem and offMem, if set, are lent to d.d for the values of a
	// long build (see buildLong): the Writer's dictFixed.spare64 and
	// spare32, idle while a chunk of strings is written
	slabMem *[]uint64
	offMem  *[]uint32
	// shortSlabMem and shortOffMem, if set, are lent for slab and
	// offsets in a short build (see buildShort): the Writer's
	// dictFixed.s64 and order, idle while a chunk of strings is written
	// (spare64 holds the words then)
	shortSlabMem *[]uint64
	shortOffMem  *[]uint32
}

func (d *dictBytes) len() int {
	if d.short {
		return len(d.offsets) - 1
	}
	return d.d.Len()
}

// size is the PLAIN size of the dictionary.
func (d *dictBytes) size() int {
	if d.short {
		return 4*(len(d.offsets)-1) + len(d.slab)
	}
	return d.d.EncodedSize()
}

// values returns the dictionary's values, in order, as a slab and
// offsets (len() + 1 of them).
func (d *dictBytes) values() ([]byte, []int32) {
	if d.short {
		return d.slab, d.offsets
	}
	return d.d.Values()
}

func (d *dictBytes) appendValues(dst []byte) []byte {
	slab, offsets := d.values()
	return appendPlainBytes(dst, slab, offsets, 0, d.len())
}

// shortMax is the longest value buildShort takes: a word.
const shortMax = 8

// buildShort builds the dictionary of a column whose values are all of at
// most 8 bytes, none of them zero (codes, statuses, short names), on the
// integer hash table, each value read as a little-endian word: without a
// zero byte, the word tells the value and its length apart (its highest
// nonzero byte is its last), and a word is hashed and compared at a
// fraction of the cost of a string. The dictionary, indices and decision
// are those of the string build: values in first-seen order, the same
// checks after each batch. It reports whether it took the column
// (applied) and, if so, whether the dictionary is kept (ok).
func (d *dictBytes) buildShort(data []byte, offsets []int32, limit, max16 int, idx []uint32) (ok, applied bool) {
	n := len(offsets) - 1
	// The writer checked the offsets (validateColumn); offsets that do not
	// rise, or leave data, go to the string build, which reports them.
	if n < 1 || offsets[0] < 0 || int(offsets[n]) > len(data) {
		return false, false
	}
	// Every value is checked first; the words are then loaded again a
	// batch at a time, into scratch of a batch rather than of the chunk.
	if !shortWords(data, offsets, nil) {
		return false, false
	}
	if d.words == nil {
		d.words = new([]uint64) // not linked to a Writer's
	}
	*d.words = fit(*d.words, min(n, dictSample))
	d.short = true
	if d.w == nil {
		d.w = new(kernels.DictInt64) // not linked to a Writer's
	}
	d.w.Reset()
	d.small.reset()
	if d.shortSlabMem != nil {
		// the values go to the lent scratch, grown for the next build
		// when this one outgrows it
		d.slab, d.offsets = wordBytes(*d.shortSlabMem), roomI32(*d.shortOffMem)
		defer func() {
			if cap(d.slab) > 8*cap(*d.shortSlabMem) {
				*d.shortSlabMem = make([]uint64, (cap(d.slab)+7)/8)
			}
			if cap(d.offsets) > cap(*d.shortOffMem) {
				*d.shortOffMem = make([]uint32, cap(d.offsets))
			}
		}()
	}
	d.slab, d.offsets = d.slab[:0], append(d.offsets[:0], 0)
	out := asI32(idx)
	// the words go to d.small while it takes them, then to d.w
	inSmall := true
	for lo := 0; lo < n; lo += dictSample {
		hi := min(lo+dictSample, n)
		words := asI64((*d.words)[:hi-lo])
		shortWords(data, offsets[lo:hi+1], words)
		if inSmall {
			before := len(d.small.values)
			var took bool
			if hi-lo > 1 && sameWords(words) {
				if took = d.small.insert(out[lo:lo+1], words[:1]); took {
					fillIdx(out[lo+1:hi], out[lo])
				}
			} else {
				took = d.small.insert(out[lo:hi], words)
			}
			if took {
				for _, x := range d.small.values[before:] {
					d.appendWord(x)
				}
				if d.size() > limit || sampleTooDistinct(hi, d.len(), max16) {
					return false, true
				}
				continue
			}
			// d.w takes the dictionary so far, in order (so with the
			// same indices), and the batch again
			d.small.values = d.small.values[:before]
			inSmall = false
			if before > 0 {
				scratch := slices.Grow(d.small.scratch[:0], before)[:before]
				d.small.scratch = scratch
				if err := d.w.Insert(scratch, d.small.values); err != nil {
					return false, true
				}
			}
		}
		before := d.w.Len()
		if hi-lo > 1 && sameWords(words) {
			if err := d.w.Insert(out[lo:lo+1], words[:1]); err != nil {
				return false, true
			}
			fillIdx(out[lo+1:hi], out[lo])
		} else if err := d.w.Insert(out[lo:hi], words); err != nil {
			return false, true
		}
		for _, x := range d.w.Values()[before:] {
			d.appendWord(x)
		}
		if d.size() > limit || sampleTooDistinct(hi, d.len(), max16) {
			return false, true
		}
	}
	return true, true
}

// shortWords reports whether the values data[offsets[i]:offsets[i+1]] are
// all of at most shortMax bytes, none of them zero, and if words is not
// nil sets words[i] to the little-endian word of value i (see
// buildShort). offsets are within data.
func shortWords(data []byte, offsets []int32, words []int64) bool {
	// values starting at or before last have a word to load there
	last := len(data) - 8
	base := unsafe.Pointer(unsafe.SliceData(data))
	o := int(offsets[0])
	for i, e32 := range offsets[1:] {
		e := int(e32)
		if uint(e-o) > shortMax {
			return false
		}
		var x uint64
		if o <= last {
			x = load64le(base, o)
		} else {
			for j := e - 1; j >= o; j-- {
				x = x<<8 | uint64(data[j])
			}
		}
		keep := ^uint64(0) >> (64 - 8*uint(e-o)) // the value's bytes
		x &= keep
		if y := x | ^keep; (y-ones8)&^y&high8 != 0 {
			return false // a zero byte in the value
		}
		if words != nil {
			words[i] = int64(x)
		}
		o = e
	}
	return true
}

// appendWord appends the value of word x (see buildShort) to the
// dictionary's slab and offsets.
func (d *dictBytes) appendWord(x int64) {
	d.slab = binary.LittleEndian.AppendUint64(d.slab, uint64(x))
	d.slab = d.slab[:len(d.slab)-8+(bits.Len64(uint64(x))+7)/8]
	d.offsets = append(d.offsets, int32(len(d.slab)))
}

// wordTable maps words to dictionary indices, in first-seen order, for
// dictionaries of at most wordTableMax entries: an open-addressing table
// of (word, index + 1) slots, probed linearly from the slot the word
// hashes to, kept at most half full. For a few values (ops, codes,
// currencies, statuses: a table of a few cache lines), a word costs one
// hash, a load and a compare that almost always hits, about half the time
// of the batch kernel, which is built for large dictionaries whose probes
// miss the cache (past a few hundred values, the kernel is the faster).
// Its hash is seeded at random per table, and a word that needs more than
// wordTableProbes steps (collisions crafted against the hash) makes insert
// give up, as a dictionary past wordTableMax does: the batch kernel takes
// over.
type wordTable struct {
	seed   uint64
	shift  uint8 // 64 - log2(len(slots))
	slots  []wordSlot
	values []int64 // the dictionary, in first-seen order
	// scratch for the indices of values when the batch kernel takes over
	scratch []int32
}

type wordSlot struct {
	key uint64
	idx uint32 // index + 1; 0: empty
}

const (
	wordTableMax    = 1 << 8
	wordTableMin    = 64 // slots of an empty table
	wordTableProbes = 64
	wordTableMix    = 0x9e3779b97f4a7c15
)

// reset empties the table, keeping its memory.
func (t *wordTable) reset() {
	if t.slots == nil {
		t.seed = rand.Uint64()
	}
	t.setSlots(wordTableMin)
	t.values = t.values[:0]
}

// setSlots makes the table n empty slots (a power of two).
func (t *wordTable) setSlots(n int) {
	if cap(t.slots) >= n {
		t.slots = t.slots[:n]
		clear(t.slots)
	} else {
		t.slots = make([]wordSlot, n)
	}
	t.shift = uint8(64 - bits.TrailingZeros(uint(n)))
}

// insert writes the index of each of words to out, adding the new ones to
// the dictionary. It returns false, having added some of words or none,
// when the dictionary would pass wordTableMax entries or a word takes
// too many probes.
func (t *wordTable) insert(out []int32, words []int64) bool {
	out = out[:len(words)]
	slots, seed, shift := t.slots, t.seed, t.shift&63
	mask := uint64(len(slots) - 1)
	for i, w := range words {
		h := (uint64(w) ^ seed) * wordTableMix >> shift
		for step := 0; ; step++ {
			s := &slots[h&mask]
			if s.idx == 0 {
				if len(t.values) == wordTableMax {
					return false
				}
				t.values = append(t.values, w)
				s.key, s.idx = uint64(w), uint32(len(t.values))
				out[i] = int32(len(t.values) - 1)
				if 2*len(t.values) > len(slots) {
					if !t.grow() {
						return false
					}
					slots, shift = t.slots, t.shift&63
					mask = uint64(len(slots) - 1)
				}
				break
			}
			if s.key == uint64(w) {
				out[i] = int32(s.idx - 1)
				break
			}
			if step == wordTableProbes {
				return false
			}
			h++
		}
	}
	return true
}

// grow doubles the slots and puts the dictionary back in; false if a word
// takes too many probes.
func (t *wordTable) grow() bool {
	t.setSlots(2 * len(t.slots))
	slots, mask := t.slots, uint64(len(t.slots)-1)
	for j, w := range t.values {
		h := (uint64(w) ^ t.seed) * wordTableMix >> (t.shift & 63)
		for step := 0; slots[h&mask].idx != 0; step++ {
			if step == wordTableProbes {
				return false
			}
			h++
		}
		slots[h&mask] = wordSlot{key: uint64(w), idx: uint32(j + 1)}
	}
	return true
}

func (d *dictBytes) build(data []byte, offsets []int32, limit, max16 int, idx []uint32) bool {
	if ok, applied := d.buildShort(data, offsets, limit, max16, idx); applied {
		return ok
	}
	return d.buildLong(data, offsets, limit, max16, idx)
}

// buildLong builds the dictionary on the string hash table.
func (d *dictBytes) buildLong(data []byte, offsets []int32, limit, max16 int, idx []uint32) bool {
	d.short = false
	if d.slabMem != nil {
		// The dictionary's values go to the lent scratch; a build that
		// outgrows it leaves larger scratch for the next one, so that
		// builds like it append in place.
		d.d.UseBuffers(wordBytes(*d.slabMem), roomI32(*d.offMem))
		defer func() {
			slab, offs := d.d.Values()
			if cap(slab) > 8*cap(*d.slabMem) {
				*d.slabMem = make([]uint64, (cap(slab)+7)/8)
			}
			if cap(offs) > cap(*d.offMem) {
				*d.offMem = make([]uint32, cap(offs))
			}
		}()
	}
	d.d.Reset()
	n := len(offsets) - 1
	out := asI32(idx)
	for lo := 0; lo < n; lo += dictSample {
		hi := min(lo+dictSample, n)
		if hi-lo > 1 && sameBytes(data, offsets[lo:hi+1]) {
			// one value throughout (a producer id, a constant column):
			// looked up once
			if err := d.d.Insert(out[lo:lo+1], data, offsets[lo:lo+2]); err != nil {
				return false
			}
			fillIdx(out[lo+1:hi], out[lo])
		} else if err := d.d.Insert(out[lo:hi], data, offsets[lo:hi+1]); err != nil {
			return false
		}
		if d.d.EncodedSize() > limit || sampleTooDistinct(hi, d.len(), max16) {
			return false
		}
	}
	return true
}

// directSpan and directSlack bound the range of integers that buildDirect
// takes: at most directSpan values of the range per value of the chunk,
// plus a slack of directSlackPer values per value of the chunk, at most
// directSlack. Its memory is a bit per value of the range and 4 bytes per
// 64 of them: at most 3 bytes per value of the chunk, plus 12 bytes per
// value or 192 KiB for the slack (ids up to a million in a row group of
// 16,384 values or more). The slack follows the chunk so that a small
// chunk's bitmap stays about its size: a fixed 192 KiB was three times a
// 64 KB block. A range beyond the bound goes to the hash table, which
// gives the same dictionary and indices.
const (
	directSpan     = 16
	directSlackPer = 64
	directSlack    = 1 << 20
)

// directMaxSpan is the widest range of integers buildDirect takes for a
// chunk of n values.
func directMaxSpan(n int) uint64 {
	return uint64(directSpan)*uint64(n) + min(uint64(directSlackPer)*uint64(n), directSlack)
}

// buildDirect builds the dictionary of integers v, whose least and
// greatest are lo and hi, without hashing when their range is small next
// to their number (ids, quantities, ages, codes): it marks each value in
// a bitmap of the range, laid out in the order of the values' bit
// patterns (non-negative values first, as sortValues orders them), and
// then writes each value's index as the number of marked values before
// it. The dictionary comes out sorted, as buildFixed and sortValues would
// leave it, with the same indices and the same decision (limit, max16:
// see buildFixed). It reports whether it took the values (applied) and,
// if so, whether the dictionary is kept (ok).
func buildDirect[T int32 | int64](d *dictFixed, v []T, lo, hi T, width, limit, max16 int, idx []uint32) (ok, applied bool) {
	n := len(v)
	span := uint64(int64(hi)) - uint64(int64(lo))
	if n == 0 || span >= directMaxSpan(n) {
		return false, false
	}
	d.width = width
	d.sorted, d.direct = false, false
	d.d32.Reset()
	d.d64.Reset()
	// position of x: x - base, plus adj for a negative x when the range
	// holds both signs (the negative values follow the others)
	base, adj := int64(lo), int64(0)
	if lo < 0 && hi >= 0 {
		base, adj = 0, int64(hi)+1-int64(lo)
	}
	words := int(span>>6) + 1
	d.spare64 = fit(d.spare64, words)
	clear(d.spare64)
	present := d.spare64
	sample := min(n, dictSample)
	distinct := 0
	for _, x := range v[:sample] {
		p := uint64(int64(x) - base + (int64(x)>>63)&adj)
		bit := uint64(1) << (p & 63)
		if present[p>>6]&bit == 0 {
			distinct++
			present[p>>6] |= bit
		}
	}
	if sampleTooDistinct(sample, distinct, max16) {
		return false, true
	}
	for _, x := range v[sample:] {
		p := uint64(int64(x) - base + (int64(x)>>63)&adj)
		present[p>>6] |= 1 << (p & 63)
	}
	d.spare32 = fit(d.spare32, words)
	before := d.spare32
	total := 0
	for i, w := range present {
		before[i] = uint32(total)
		total += bits.OnesCount64(w)
	}
	if total > limit/width {
		return false, true
	}
	keys := fit(d.s64, total)[:0]
	for i, w := range present {
		for ; w != 0; w &= w - 1 {
			p := int64(i<<6 + bits.TrailingZeros64(w))
			x := p + base
			if adj != 0 && p > int64(hi) {
				x = p - adj
			}
			if width == 4 {
				keys = append(keys, uint64(uint32(x)))
			} else {
				keys = append(keys, uint64(x))
			}
		}
	}
	d.s64 = keys
	if width == 4 {
		d.s32 = fit(d.s32, total)
		for r, k := range keys {
			d.s32[r] = uint32(k)
		}
	}
	idx = idx[:n]
	for i, x := range v {
		p := uint64(int64(x) - base + (int64(x)>>63)&adj)
		idx[i] = before[p>>6] + uint32(bits.OnesCount64(present[p>>6]&(1<<(p&63)-1)))
	}
	d.sorted, d.direct = true, true
	return true, true
}

// sameBytes reports whether the values data[offsets[i]:offsets[i+1]] are
// all equal (and within data): the offsets step by one length, and the
// bytes they span repeat with that period. A batch of one value repeated
// is then looked up once (see buildLong, buildShort), with the same
// dictionary and indices as a lookup of every value. It reads offsets
// until the first uneven step, and compares bytes only when there is none.
func sameBytes(data []byte, offsets []int32) bool {
	o0, next := int64(offsets[0]), int64(offsets[1])
	step := next - o0
	if o0 < 0 || step < 0 {
		return false
	}
	for _, o := range offsets[2:] {
		if int64(o)-next != step {
			return false
		}
		next = int64(o)
	}
	if next > int64(len(data)) {
		return false
	}
	span := data[o0:next]
	// period step: every value equals the one before it
	return string(span[step:]) == string(span[:int64(len(span))-step])
}

// sameWords reports whether the words are all equal to the first.
func sameWords(words []int64) bool {
	w0 := words[0]
	for _, w := range words[1:] {
		if w != w0 {
			return false
		}
	}
	return true
}

// fillIdx sets every index of idx to x.
func fillIdx(idx []int32, x int32) {
	for i := range idx {
		idx[i] = x
	}
}

// load64le reads the little-endian word at byte i of the memory at p,
// which the caller has checked to hold it.
func load64le(p unsafe.Pointer, i int) uint64 {
	return binary.LittleEndian.Uint64((*[8]byte)(unsafe.Add(p, i))[:])
}

// fit returns s with length n, reusing its memory if it holds n; else a
// new slice of n with an eighth of room. Unlike slices.Grow, which
// doubles a small slice, the dictionary builds' scratch then holds about
// what the largest chunk needed, not up to twice that. The elements are
// not cleared when s is reused.
func fit[T any](s []T, n int) []T {
	if cap(s) >= n {
		return s[:n]
	}
	return make([]T, n, n+n/8)
}
