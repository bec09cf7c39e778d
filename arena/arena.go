// Package arena allocates the column buffers of a block from a few large
// chunks of memory that are reset, not freed, when the block is done, so
// that shredding block after block does no heap allocation once the chunks
// have grown to the size of a block.
//
// Every slice an Arena hands out starts on a 64-byte boundary (a cache line,
// and the widest load of the SIMD kernels) and holds only pointer-free
// values, so the garbage collector never scans the chunks. A slice is valid
// until the next Reset; after that its memory is handed out again.
//
// An Arena is not safe for concurrent use.
package arena

import (
	"unsafe"
)

// Align is the alignment, in bytes, of every slice an Arena returns.
const Align = 64

// DefaultChunkSize is the size of the first chunk of an Arena whose chunk
// size is not given, and the least it keeps. Small, so that an arena used
// for small blocks holds about what they need: a large round grows it
// geometrically (each new chunk a quarter of all the round used before),
// and Reset merges the chunks into one.
const DefaultChunkSize = 64 << 10

// ShrinkRounds is how many rounds in a row must use less than two thirds of
// an arena's chunk before Reset replaces it with a smaller one. Many, so that
// a short run of small rounds between large ones (a block cut into row
// groups that each are a round, then a short block of several small row
// groups) does not release memory that the next large round allocates
// again.
const ShrinkRounds = 16

// Elem is the set of element types an Arena can hold: fixed-size values
// without pointers.
type Elem interface {
	~bool | ~int8 | ~uint8 | ~int16 | ~uint16 | ~int32 | ~uint32 |
		~int64 | ~uint64 | ~float32 | ~float64
}

// Arena is a bump allocator over chunks of memory. The zero value is ready
// to use with DefaultChunkSize.
type Arena struct {
	chunks    [][]byte // each chunk starts on an Align boundary
	cur       int      // index of the chunk being filled
	off       int      // bytes used in chunks[cur]
	chunkSize int
	used      int               // bytes handed out since the last Reset, padding included
	peak      int               // the most bytes handed out in one round
	recent    [ShrinkRounds]int // bytes handed out in the last rounds
	rounds    int
}

// New returns an Arena whose first chunk holds chunkSize bytes (rounded up
// to a multiple of Align; DefaultChunkSize when chunkSize <= 0).
func New(chunkSize int) *Arena {
	return &Arena{chunkSize: chunkSize}
}

func (a *Arena) minChunk() int {
	if a.chunkSize <= 0 {
		return DefaultChunkSize
	}
	return roundUp(a.chunkSize)
}

func roundUp(n int) int { return (n + Align - 1) &^ (Align - 1) }

// Aligned is n rounded up to a multiple of Align: the arena memory a
// slice of n bytes takes.
func Aligned(n int) int { return roundUp(n) }

// newChunk allocates a chunk of at least n bytes that starts on an Align
// boundary.
func newChunk(n int) []byte {
	n = roundUp(n)
	raw := make([]byte, n+Align)
	skip := int(-uintptr(unsafe.Pointer(unsafe.SliceData(raw)))) & (Align - 1)
	return raw[skip : skip+n : skip+n]
}

// Bytes returns a slice of n bytes, zeroed, starting on an Align boundary,
// with len and cap n.
func (a *Arena) Bytes(n int) []byte { return a.bytes(n, n) }

// bytes returns n bytes as Bytes does, of which only the first zero are
// cleared.
func (a *Arena) bytes(n, zero int) []byte {
	if n < 0 {
		panic("arena: negative size")
	}
	if n == 0 {
		return []byte{}
	}
	size := roundUp(n)
	if a.cur >= len(a.chunks) || len(a.chunks[a.cur])-a.off < size {
		a.advance(size)
	}
	b := a.chunks[a.cur][a.off : a.off+n : a.off+n]
	a.off += size
	a.used += size
	clear(b[:zero])
	return b
}

// advance moves to a chunk with room for size bytes: the next existing one
// that is big enough, or a new one.
func (a *Arena) advance(size int) {
	for a.cur+1 < len(a.chunks) {
		a.cur++
		a.off = 0
		if len(a.chunks[a.cur]) >= size {
			return
		}
	}
	// Grow geometrically in the total, so that a round needs few chunks
	// (three or four each time it doubles), and by a quarter of it, so
	// that the last leaves little of its room unused: a round that
	// reserved its slices' room (Reserve) and passes it by a little takes
	// a quarter more, not twice the memory.
	n := max(a.minChunk(), a.used/4)
	a.chunks = append(a.chunks, newChunk(max(n, size)))
	a.cur = len(a.chunks) - 1
	a.off = 0
}

// Reset makes all memory handed out so far available again. Slices
// returned before Reset must not be used after it.
//
// Sizing: when the last round needed more than one chunk, the chunks are
// replaced by one chunk with a sixteenth more room than that round used
// (callers that size their slices from the last round, as the shredders'
// columns do, keep their own margin inside it), or by the one of them
// that has about that room (from a thirty-second less to an eighth more:
// a chunk the round reserved, see Reserve), so that the next rounds of about
// the same size allocate nothing; and when the last ShrinkRounds rounds
// all used less than two thirds of the chunk (with their sixteenth of
// room), it is replaced by one of that size, so that one big round does
// not pin its memory forever, nor does the first round of slices that
// grew by copying (which leaves about twice their size used).
func (a *Arena) Reset() { a.reset(a.used + a.used/16) }

// ResetFor is Reset for a caller that knows the bytes its slices take in
// the next round, next (each slice rounded up to Align, and the room the
// caller wants for slices that grow): when the last round needed more than
// one chunk, the one chunk that replaces them holds about next bytes, not
// a sixteenth more than the last round used, which counts the copies of
// slices that grew (a caller's first round, before it could size them).
func (a *Arena) ResetFor(next int) { a.reset(next) }

// reset is Reset, the chunks of a round that needed several merged into
// one of merged bytes.
func (a *Arena) reset(merged int) {
	a.peak = max(a.peak, a.used)
	a.recent[a.rounds%len(a.recent)] = a.used
	a.rounds++
	switch {
	case len(a.chunks) > 1 && a.cur > 0:
		// The one chunk is one of the round's if one has about that room
		// (a chunk the round reserved for its slices, see Reserve), else
		// a new one.
		n := max(merged, len(a.chunks[0]))
		var one []byte
		for _, c := range a.chunks {
			if len(c) >= n-n/32 && len(c) <= n+n/8 && (one == nil || len(c) < len(one)) {
				one = c
			}
		}
		if one == nil {
			one = newChunk(n)
		}
		clear(a.chunks)
		a.chunks = a.chunks[:1]
		a.chunks[0] = one
	case len(a.chunks) == 1 && a.rounds >= len(a.recent):
		most := 0
		for _, u := range a.recent {
			most = max(most, u)
		}
		if want := max(most+most/16, a.minChunk()); len(a.chunks[0]) > want+want/2 {
			a.chunks[0] = newChunk(want)
		}
	}
	a.cur, a.off, a.used = 0, 0, 0
}

// Used is the number of bytes handed out since the last Reset, alignment
// padding included.
func (a *Arena) Used() int { return a.used }

// Peak is the most bytes handed out between two Resets so far.
func (a *Arena) Peak() int { return max(a.peak, a.used) }

// Capacity is the number of bytes the arena holds in its chunks.
func (a *Arena) Capacity() int {
	n := 0
	for _, c := range a.chunks {
		n += len(c)
	}
	return n
}

// Make returns a slice of n zero values of T, with capacity capacity (at
// least n), starting on an Align boundary.
func Make[T Elem](a *Arena, n, capacity int) []T { return makeSlice[T](a, n, capacity, true) }

// MakeAppend is Make for a slice that is only ever appended to: its n
// elements are zero, but the capacity beyond them is not cleared and holds
// whatever the arena's memory held before (bytes handed out before the
// last Reset), which appending overwrites before it can be read. It saves
// clearing the room of a slice sized for a whole block.
func MakeAppend[T Elem](a *Arena, n, capacity int) []T {
	return makeSlice[T](a, n, capacity, false)
}

// makeSlice is Make (clearAll) or MakeAppend (only the first n cleared).
func makeSlice[T Elem](a *Arena, n, capacity int, clearAll bool) []T {
	capacity = max(capacity, n)
	if capacity == 0 {
		return []T{}
	}
	var zero T
	size := int(unsafe.Sizeof(zero))
	cleared := n * size
	if clearAll {
		cleared = capacity * size
	}
	b := a.bytes(capacity*size, cleared)
	return unsafe.Slice((*T)(unsafe.Pointer(unsafe.SliceData(b))), capacity)[:n]
}

// Grow returns s with room for at least extra more elements: s itself when
// it has the room, otherwise a copy in new arena memory with about twice the
// capacity. The old memory is not reused before the next Reset.
func Grow[T Elem](a *Arena, s []T, extra int) []T {
	if cap(s)-len(s) >= extra {
		return s
	}
	return growTo(a, s, max(2*cap(s), len(s)+extra, Align/int(unsafe.Sizeof(s[:1][0]))))
}

// GrowTo returns s with room for capacity elements: s itself when it has
// the room, otherwise s grown to exactly that capacity (in place when it
// is the arena's last allocation and the chunk has the room, else copied
// into new arena memory, the old not reused before the next Reset). Grow
// suits a slice appended to a little at a time; GrowTo a caller that
// knows how many elements are coming, so that one copy replaces the
// doublings, and the memory they would leave behind.
func GrowTo[T Elem](a *Arena, s []T, capacity int) []T {
	if cap(s) >= capacity {
		return s
	}
	return growTo(a, s, capacity)
}

// growTo grows s to capacity c, above its own; the new room is zeroed.
func growTo[T Elem](a *Arena, s []T, c int) []T {
	size := int(unsafe.Sizeof(s[:1][0]))
	if cap(s) > 0 && a.extend(uintptr(unsafe.Pointer(unsafe.SliceData(s))), cap(s)*size, c*size) {
		return unsafe.Slice(unsafe.SliceData(s), c)[:len(s)]
	}
	t := Make[T](a, len(s), c)
	copy(t, s)
	return t
}

// Reserve makes room for n bytes in the chunk being filled: if it has
// less, the next chunk that has the room is filled from then on, or else a
// chunk of n bytes is added. Slices taking n bytes in all (each rounded up
// to Align) then come from one chunk, where a chunk added for each of
// them would be as large as a quarter of the round so far (see advance)
// and leave room unused. (Reset keeps a chunk that has about the room it
// would give the next round: a sixteenth more than the round used.)
func (a *Arena) Reserve(n int) {
	n = roundUp(max(n, 0))
	if n == 0 || a.cur < len(a.chunks) && len(a.chunks[a.cur])-a.off >= n {
		return
	}
	for a.cur+1 < len(a.chunks) {
		a.cur++
		a.off = 0
		if len(a.chunks[a.cur]) >= n {
			return
		}
	}
	a.chunks = append(a.chunks, newChunk(max(n, a.minChunk())))
	a.cur = len(a.chunks) - 1
	a.off = 0
}

// extend grows in place the allocation that starts at p and holds oldSize
// bytes to newSize bytes, when it is the last allocation of the current
// chunk and the chunk has room. The new bytes are zeroed.
func (a *Arena) extend(p uintptr, oldSize, newSize int) bool {
	if a.cur >= len(a.chunks) {
		return false
	}
	chunk := a.chunks[a.cur]
	base := uintptr(unsafe.Pointer(unsafe.SliceData(chunk)))
	if p < base || p >= base+uintptr(len(chunk)) {
		return false
	}
	start := int(p - base)
	if start+roundUp(oldSize) != a.off || start+roundUp(newSize) > len(chunk) {
		return false
	}
	clear(chunk[start+oldSize : start+newSize])
	grown := roundUp(newSize) - roundUp(oldSize)
	a.off += grown
	a.used += grown
	return true
}

// Append appends v to s, growing s in the arena when it is full.
func Append[T Elem](a *Arena, s []T, v ...T) []T {
	if cap(s)-len(s) < len(v) {
		s = Grow(a, s, len(v))
	}
	return append(s, v...)
}
