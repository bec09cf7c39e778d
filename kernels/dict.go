package kernels

//go:generate go run -C ../asmgen ./dict -out ../kernels/dict_amd64.s -stubs ../kernels/dict_amd64.go -pkg kernels

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
	"math/rand/v2"
	"unsafe"
)

// Dictionary encoding: each Dict type maps every distinct value it is given
// to a dense index, in order of first appearance, and keeps the distinct
// values (the dictionary page) in that order. Indexes therefore depend only
// on the input, never on the hash function, its seed or the implementation.
//
// The hash tables are built for batches, in the manner of Swiss tables. Keys
// are hashed a batch at a time into a scratch array (eight lanes at once on
// SIMD paths), then probed. DictInt32 compares whole keys, 8 at once, in
// buckets of one cache line (see table32). For the others, slots come in
// groups of 16; each slot has a
// control byte that is 0 when the slot is empty and 0x80|tag when it holds
// an entry, tag being 7 bits of the key's hash. One vector compare of the 16
// control bytes against the key's control byte finds the candidate slots of
// a group (VPCMPEQB + VPMOVMSKB on amd64; CMEQ, then SHRN narrowing the
// result to 4 bits per slot, on arm64; a SWAR word compare in the reference), and the same load shows the
// empty slots. A key is looked for in its home group, then in the groups
// reached by triangular steps (home+1, home+3, home+6, ...), which visit every
// group of a power-of-two table; the first group with an empty slot ends the
// search and, for a new key, receives it. There is no deletion, so the first
// empty slot met is the right place. The table never fills beyond 7/8: before
// a batch is probed, the table grows (doubling, rehashing the dictionary) so
// that the whole batch fits even if every key is new, and the kernels never
// have to grow it themselves.
//
// Each table draws a random seed at its first use, so keys crafted against
// one table or process do not collide in another; keys that share low or
// high bits, or that differ only in bits a weak hash would drop, are spread
// by the mixing (see the adversarial tests). Like every hash table, one whose
// seed is known to an attacker can be driven to long probe sequences.

// ErrDictionary reports a bad argument to a dictionary method.
var ErrDictionary = errors.New("kernels: dictionary")

const (
	dictGroup     = 16  // slots per group
	dictMinGroups = 32  // groups of a new table
	dictBatch     = 256 // keys hashed and probed per kernel call
	maxDictLen    = 1<<31 - 1
)

// newSeed draws a table seed.
func newSeed() uint64 { return rand.Uint64() | 1 }

// hash32 mixes a 32-bit key with a seed. It is a bijection of key^seed, so
// distinct keys never share a full hash; the low 7 bits become the tag and
// the bits above them choose the group.
func hash32(key, seed uint32) uint32 {
	x := key ^ seed
	x ^= x >> 16
	x *= 0x7feb352d
	x ^= x >> 15
	x *= 0x846ca68b
	x ^= x >> 16
	return x
}

// hash64 mixes a 64-bit key with a seed into 32 bits. Every step before the
// truncation is a bijection of the 64-bit key, and the final fold brings the
// high half into the bits the table uses.
func hash64(key, seed uint64) uint32 {
	x := key ^ seed
	x ^= x >> 32
	x *= 0xd6e8feb86659fd93
	x ^= x >> 32
	x *= 0xd6e8feb86659fd93
	x ^= x >> 32
	return uint32(x)
}

// hashKeys32Ref fills dst[i] with hash32(keys[i], seed).
func hashKeys32Ref(dst, keys []uint32, seed uint32) {
	dst = dst[:len(keys)]
	for i, k := range keys {
		dst[i] = hash32(k, seed)
	}
}

// hashKeys64Ref fills dst[i] with hash64(keys[i], seed).
func hashKeys64Ref(dst []uint32, keys []uint64, seed uint64) {
	dst = dst[:len(keys)]
	for i, k := range keys {
		dst[i] = hash64(k, seed)
	}
}

// ctrlOf is the control byte of a full slot whose key hashed to h.
func ctrlOf(h uint32) byte { return byte(h&0x7f) | 0x80 }

const (
	lsb8 = 0x0101010101010101
	msb8 = 0x8080808080808080
	low7 = 0x7f7f7f7f7f7f7f7f
)

// matchWord returns the high bit of every byte of w equal to c, exactly (no
// false positives from borrows).
func matchWord(w uint64, c byte) uint64 {
	x := w ^ (lsb8 * uint64(c))
	return ^(((x & low7) + low7) | x) & msb8
}

// groupMatch returns a 16-bit mask of the slots of the group at ctrl[0:16]
// whose control byte is c, and a mask of its empty slots; bit j is slot j.
func groupMatch(ctrl []byte, c byte) (match, empty uint32) {
	w0 := binary.LittleEndian.Uint64(ctrl[0:8])
	w1 := binary.LittleEndian.Uint64(ctrl[8:16])
	match = squeeze(matchWord(w0, c)) | squeeze(matchWord(w1, c))<<8
	empty = squeeze(^w0&msb8) | squeeze(^w1&msb8)<<8
	return match, empty
}

// squeeze gathers the high bit of each byte of m (all other bits zero) into
// the low 8 bits of the result, byte j to bit j.
func squeeze(m uint64) uint32 {
	return uint32(((m >> 7) * 0x0102040810204080) >> 56)
}

// table32 is the hash table behind DictInt32. Its keys are no wider than a
// control byte plus a tag would be worth, so it has no control bytes: slots
// come in buckets of 8, each one cache line of 16 words, the 8 keys first and
// then their 8 dictionary indexes plus one (0: empty). A bucket fills from
// its first slot, so its full slots are a prefix. A key is looked for in its
// home bucket, (hash>>7)&bmask, then in the buckets reached by triangular
// steps; one vector compare of the 8 keys finds it, and the first bucket with
// an empty slot ends the search and, for a new key, receives it. The table
// never fills beyond 1/2: at 1e4 keys it is 256 KiB, yet a hit almost always
// is in the home bucket, one cache line prefetched 8 keys ahead, and the
// probe takes no mispredicted branch (at 3/4 a bucket overflows often enough
// to cost about 25% more time).
type table32 struct {
	seed   uint32
	bmask  uint32 // buckets - 1
	limit  int    // entries allowed before growth
	slots  []uint32
	values []uint32 // the dictionary, in order of first appearance
	hashes []uint32 // scratch: the hashes of one batch and 8 words of slack
}

const bucket32 = 8 // slots per table32 bucket

// table64 is the hash table behind DictInt64 and DictFloat64. slots[2s] holds
// the key of slot s and slots[2s+1] its dictionary index.
type table64 struct {
	seed   uint64
	gmask  uint32
	limit  int
	ctrl   []byte
	slots  []uint64
	values []uint64
	hashes []uint32
	mem    *DictMemory // where ctrl and slots come from, if shared
}

// tableGroups returns the number of groups (a power of two, at least
// dictMinGroups) that holds n entries at a load of at most 7/8.
func tableGroups(n int) int {
	g := dictMinGroups
	for g*dictGroup/8*7 < n {
		g *= 2
	}
	return g
}

// reserve makes room for extra more entries without growth inside a batch:
// afterwards len(values)+extra <= limit <= cap(values).
func (t *table32) reserve(extra int) {
	if t.slots == nil {
		t.seed = uint32(newSeed())
		t.hashes = make([]uint32, dictBatch+8)
	}
	need := len(t.values) + extra
	if t.slots != nil && need <= t.limit {
		return
	}
	buckets := 2 * dictMinGroups
	for buckets*bucket32/2 < need {
		buckets *= 2
	}
	t.slots = make([]uint32, 2*bucket32*buckets)
	t.bmask = uint32(buckets - 1)
	t.limit = buckets * bucket32 / 2
	if cap(t.values) < t.limit {
		grown := make([]uint32, len(t.values), t.limit)
		copy(grown, t.values)
		t.values = grown
	}
	for i, k := range t.values {
		b := (hash32(k, t.seed) >> 7) & t.bmask
		for step := uint32(1); ; step++ {
			bk := t.slots[2*bucket32*b : 2*bucket32*(b+1)]
			if j := bucketFill(bk); j < bucket32 {
				bk[j] = k
				bk[bucket32+j] = uint32(i) + 1
				break
			}
			b = (b + step) & t.bmask
		}
	}
}

// bucketFill returns the number of full slots of a table32 bucket.
func bucketFill(bk []uint32) int {
	j := 0
	for j < bucket32 && bk[bucket32+j] != 0 {
		j++
	}
	return j
}

func (t *table64) reserve(extra int) {
	if t.ctrl == nil {
		t.seed = newSeed()
		t.hashes = make([]uint32, dictBatch)
	}
	need := len(t.values) + extra
	if t.ctrl != nil && need <= t.limit {
		return
	}
	groups := tableGroups(need)
	var words []uint64
	t.ctrl, words = t.mem.take(groups*dictGroup, 2*groups*dictGroup)
	t.slots = words
	t.gmask = uint32(groups - 1)
	t.limit = groups * dictGroup / 8 * 7
	if cap(t.values) < t.limit {
		grown := make([]uint64, len(t.values), t.limit)
		copy(grown, t.values)
		t.values = grown
	}
	for i, k := range t.values {
		h := hash64(k, t.seed)
		s := findEmpty(t.ctrl, t.gmask, h)
		t.ctrl[s] = ctrlOf(h)
		t.slots[2*s] = k
		t.slots[2*s+1] = uint64(i)
	}
}

// findEmpty returns the first empty slot on h's probe sequence.
func findEmpty(ctrl []byte, gmask, h uint32) int {
	g := (h >> 7) & gmask
	for step := uint32(1); ; step++ {
		base := int(g) * dictGroup
		_, empty := groupMatch(ctrl[base:base+dictGroup], 0x80)
		if empty != 0 {
			return base + bits.TrailingZeros32(empty)
		}
		g = (g + step) & gmask
	}
}

// insert32Ref is the reference probe-and-insert kernel. For each key it
// writes the key's dictionary index to indexes[i], appending new keys to
// t.values, whose capacity the caller has made sufficient, as the table's
// room. hashes[i] is hash32(keys[i], t.seed).
func insert32Ref(t *table32, indexes []int32, keys, hashes []uint32) {
	slots, bmask := t.slots, t.bmask
	indexes = indexes[:len(keys)]
	hashes = hashes[:len(keys)]
	for i, k := range keys {
		b := (hashes[i] >> 7) & bmask
		for step := uint32(1); ; step++ {
			bk := slots[2*bucket32*b : 2*bucket32*(b+1)]
			j := 0
			for ; j < bucket32 && bk[bucket32+j] != 0; j++ {
				if bk[j] == k {
					break
				}
			}
			if j < bucket32 && bk[bucket32+j] != 0 {
				indexes[i] = int32(bk[bucket32+j] - 1)
				break
			}
			if j < bucket32 {
				n := len(t.values)
				bk[j] = k
				bk[bucket32+j] = uint32(n) + 1
				t.values = append(t.values, k)
				indexes[i] = int32(n)
				break
			}
			b = (b + step) & bmask
		}
	}
}

// insert64Ref is insert32Ref for 64-bit keys.
func insert64Ref(t *table64, indexes []int32, keys []uint64, hashes []uint32) {
	ctrl, slots, gmask := t.ctrl, t.slots, t.gmask
	indexes = indexes[:len(keys)]
	hashes = hashes[:len(keys)]
	for i, k := range keys {
		h := hashes[i]
		c := ctrlOf(h)
		g := (h >> 7) & gmask
	probe:
		for step := uint32(1); ; step++ {
			base := int(g) * dictGroup
			match, empty := groupMatch(ctrl[base:base+dictGroup], c)
			for ; match != 0; match &= match - 1 {
				s := base + bits.TrailingZeros32(match)
				if slots[2*s] == k {
					indexes[i] = int32(slots[2*s+1])
					break probe
				}
			}
			if empty != 0 {
				n := len(t.values)
				s := base + bits.TrailingZeros32(empty)
				ctrl[s] = c
				slots[2*s] = k
				slots[2*s+1] = uint64(n)
				t.values = append(t.values, k)
				indexes[i] = int32(n)
				break
			}
			g = (g + step) & gmask
		}
	}
}

// insert feeds keys to the table one batch at a time.
func (t *table32) insert(indexes []int32, keys []uint32) {
	for len(keys) > 0 {
		n := min(len(keys), dictBatch)
		t.reserve(n)
		impl.insert32(t, indexes[:n], keys[:n])
		indexes, keys = indexes[n:], keys[n:]
	}
}

func (t *table64) insert(indexes []int32, keys []uint64) {
	for len(keys) > 0 {
		n := min(len(keys), dictBatch)
		t.reserve(n)
		impl.insert64(t, indexes[:n], keys[:n])
		indexes, keys = indexes[n:], keys[n:]
	}
}

// insert32Go and insert64Go are the reference kernels: hash the batch, then
// probe it.
func insert32Go(t *table32, indexes []int32, keys []uint32) {
	h := t.hashes[:len(keys)]
	hashKeys32Ref(h, keys, t.seed)
	insert32Ref(t, indexes, keys, h)
}

func insert64Go(t *table64, indexes []int32, keys []uint64) {
	h := t.hashes[:len(keys)]
	hashKeys64Ref(h, keys, t.seed)
	insert64Ref(t, indexes, keys, h)
}

func (t *table32) reset() {
	clear(t.slots)
	t.values = t.values[:0]
}

func (t *table64) reset() {
	if t.mem != nil && t.ctrl != nil {
		// the memory may hold another table's entries, or have been
		// replaced by a larger one: take it again, cleared, at this size
		t.ctrl, t.slots = t.mem.take(len(t.ctrl), len(t.slots))
	}
	clear(t.ctrl)
	t.values = t.values[:0]
}

// DictMemory is hash table memory that dictionaries built one at a time
// can share (DictInt64.ShareMemory, DictBytes.ShareMemory): it holds the
// largest table any of them needed, not one table each. A dictionary
// sharing it must be Reset before each build, since another one's build
// overwrites its table; its values (Values, Len) are its own and stay. The
// zero value is empty and ready for use.
type DictMemory struct {
	ctrl  []byte
	words []uint64
}

// take returns nctrl control bytes, cleared, and nwords words (not
// cleared: the control bytes say which hold entries), from m if it has
// them, else new; a nil m gives new memory.
func (m *DictMemory) take(nctrl, nwords int) ([]byte, []uint64) {
	if m == nil {
		return make([]byte, nctrl), make([]uint64, nwords)
	}
	if cap(m.ctrl) < nctrl {
		m.ctrl = make([]byte, nctrl)
	}
	if cap(m.words) < nwords {
		m.words = make([]uint64, nwords)
	}
	ctrl := m.ctrl[:nctrl]
	clear(ctrl)
	return ctrl, m.words[:nwords]
}

// Bytes is the memory m holds.
func (m *DictMemory) Bytes() int { return cap(m.ctrl) + 8*cap(m.words) }

// Spare returns the memory of m's table slots as an empty byte slice with
// their capacity (nil if m holds none), for the caller to use while no
// dictionary that shares m is built: its bytes are the slots, which the
// next build overwrites (and which a dictionary never reads without its
// control bytes, cleared by its Reset), and a build after that
// overwrites them. A dictionary's values (Values, Len) are not in it.
func (m *DictMemory) Spare() []byte {
	if cap(m.words) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(m.words))), 8*cap(m.words))[:0]
}

func checkInsert(kind string, indexes, have int) error {
	if indexes < have {
		return fmt.Errorf("%w: %s.Insert of %d values needs as many indexes, have %d",
			ErrDictionary, kind, have, indexes)
	}
	return nil
}

func checkRoom(kind string, dictLen, n int) error {
	if n > maxDictLen-dictLen {
		return fmt.Errorf("%w: %s holds %d values; %d more could exceed the %d an int32 index reaches",
			ErrDictionary, kind, dictLen, n, maxDictLen)
	}
	return nil
}

// DictInt32 builds the dictionary of an INT32 column. The zero value is an
// empty dictionary ready for use.
type DictInt32 struct{ t table32 }

// Insert writes to indexes[i] the dictionary index of values[i], adding the
// values not seen before to the dictionary. indexes must be at least as long
// as values; on error nothing is inserted.
func (d *DictInt32) Insert(indexes []int32, values []int32) error {
	if err := checkInsert("DictInt32", len(indexes), len(values)); err != nil {
		return err
	}
	if err := checkRoom("DictInt32", len(d.t.values), len(values)); err != nil {
		return err
	}
	d.t.insert(indexes, unsafe.Slice((*uint32)(unsafe.Pointer(unsafe.SliceData(values))), len(values)))
	return nil
}

// Values returns the dictionary: value i has index i. The slice is the
// dictionary's own storage, valid until the next Insert or Reset.
func (d *DictInt32) Values() []int32 {
	return unsafe.Slice((*int32)(unsafe.Pointer(unsafe.SliceData(d.t.values))), len(d.t.values))
}

// Len is the number of distinct values in the dictionary.
func (d *DictInt32) Len() int { return len(d.t.values) }

// EncodedSize is the size in bytes of the dictionary as a PLAIN-encoded
// dictionary page body: 4 bytes per value.
func (d *DictInt32) EncodedSize() int { return 4 * len(d.t.values) }

// Reset empties the dictionary and keeps its memory for the next column
// chunk.
func (d *DictInt32) Reset() { d.t.reset() }

// DictInt64 builds the dictionary of an INT64 column. The zero value is an
// empty dictionary ready for use.
type DictInt64 struct{ t table64 }

// Insert writes to indexes[i] the dictionary index of values[i], adding the
// values not seen before to the dictionary. indexes must be at least as long
// as values; on error nothing is inserted.
func (d *DictInt64) Insert(indexes []int32, values []int64) error {
	if err := checkInsert("DictInt64", len(indexes), len(values)); err != nil {
		return err
	}
	if err := checkRoom("DictInt64", len(d.t.values), len(values)); err != nil {
		return err
	}
	d.t.insert(indexes, unsafe.Slice((*uint64)(unsafe.Pointer(unsafe.SliceData(values))), len(values)))
	return nil
}

// Values returns the dictionary: value i has index i. The slice is the
// dictionary's own storage, valid until the next Insert or Reset.
func (d *DictInt64) Values() []int64 {
	return unsafe.Slice((*int64)(unsafe.Pointer(unsafe.SliceData(d.t.values))), len(d.t.values))
}

// Len is the number of distinct values in the dictionary.
func (d *DictInt64) Len() int { return len(d.t.values) }

// EncodedSize is the size in bytes of the dictionary as a PLAIN-encoded
// dictionary page body: 8 bytes per value.
func (d *DictInt64) EncodedSize() int { return 8 * len(d.t.values) }

// Reset empties the dictionary and keeps its memory for the next column
// chunk.
func (d *DictInt64) Reset() { d.t.reset() }

// ShareMemory makes d take its hash table from m from its next Reset or
// growth on (see DictMemory); nil gives it memory of its own again.
func (d *DictInt64) ShareMemory(m *DictMemory) { d.t.mem = m }

// DictFloat64 builds the dictionary of a DOUBLE column. Values are told
// apart by their bit patterns: -0.0 and +0.0 are two entries, and so are NaNs
// with different payloads, so that decoding gives back exactly the bits that
// were encoded. The zero value is an empty dictionary ready for use.
type DictFloat64 struct{ t table64 }

// Insert writes to indexes[i] the dictionary index of values[i], adding the
// values not seen before to the dictionary. indexes must be at least as long
// as values; on error nothing is inserted.
func (d *DictFloat64) Insert(indexes []int32, values []float64) error {
	if err := checkInsert("DictFloat64", len(indexes), len(values)); err != nil {
		return err
	}
	if err := checkRoom("DictFloat64", len(d.t.values), len(values)); err != nil {
		return err
	}
	d.t.insert(indexes, unsafe.Slice((*uint64)(unsafe.Pointer(unsafe.SliceData(values))), len(values)))
	return nil
}

// Values returns the dictionary: value i has index i. The slice is the
// dictionary's own storage, valid until the next Insert or Reset.
func (d *DictFloat64) Values() []float64 {
	return unsafe.Slice((*float64)(unsafe.Pointer(unsafe.SliceData(d.t.values))), len(d.t.values))
}

// Len is the number of distinct bit patterns in the dictionary.
func (d *DictFloat64) Len() int { return len(d.t.values) }

// EncodedSize is the size in bytes of the dictionary as a PLAIN-encoded
// dictionary page body: 8 bytes per value.
func (d *DictFloat64) EncodedSize() int { return 8 * len(d.t.values) }

// Reset empties the dictionary and keeps its memory for the next column
// chunk.
func (d *DictFloat64) Reset() { d.t.reset() }
