//go:generate go run -C ../asmgen ./delta -out ../kernels/delta_amd64.s -stubs ../kernels/delta_amd64.go -pkg kernels

package kernels

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"sync"
	"unsafe"
)

// DELTA_BINARY_PACKED, Parquet's encoding for INT32 and INT64 columns.
//
// A stream is a header followed by blocks:
//
//	header: <block size> <miniblocks per block> <total value count> <first value>
//	block:  <min delta> <one bit-width byte per miniblock> <miniblock bodies>
//
// The first three header fields are ULEB128 varints, the first value and the
// min deltas are zigzag ULEB128 varints. Each block holds the differences
// between consecutive values, minus the block's smallest difference, packed
// per miniblock at the bit width of the miniblock's largest adjusted delta.
// Arithmetic wraps in two's complement at the width of the type: int32
// deltas are computed in 32 bits, int64 deltas in 64 bits.
//
// This package writes blocks of DeltaBlockLen (128) values in
// DeltaMiniblocks (4) miniblocks of 32 values, as most writers do. In the
// last block, miniblocks that hold no value get bit width 0 and no body, and
// a partly filled miniblock is padded with zero bits to 32 values. The
// decoder reads every stream the specification allows: any block size that
// is a multiple of 128 (up to MaxDeltaBlockLen), any miniblock count that
// leaves a multiple of 32 values per miniblock, arbitrary padding bits and
// arbitrary width bytes for miniblocks that hold no value.
//
// The integer work runs in the package's block kernels (see kernelSet):
// deltas, min delta, subtraction and bit widths for runs of whole blocks on
// the way in; the miniblock unpacking, min delta addition and prefix sum on
// the way out. Only the last, partial block is handled in portable code.

const (
	// DeltaBlockLen is the number of values per block the encoder writes.
	DeltaBlockLen = 128
	// DeltaMiniblocks is the number of miniblocks per block the encoder
	// writes: 4 miniblocks of MiniblockLen (32) values.
	DeltaMiniblocks = DeltaBlockLen / MiniblockLen
	// MaxDeltaBlockLen is the largest block size the decoder accepts. The
	// specification sets no limit; this one keeps the memory a crafted
	// header can claim in proportion to the input.
	MaxDeltaBlockLen = 1 << 16
)

// deltaChunkBlocks is how many 128-value blocks one kernel call covers.
const deltaChunkBlocks = 16

// ErrDeltaCorrupt reports a DELTA_BINARY_PACKED stream that breaks the
// format: a bad header, a truncated block, a bit width out of range. The
// errors returned by the decoders are *DeltaError values that wrap it, or
// wrap ErrWidth for a miniblock bit width too large for the type.
var ErrDeltaCorrupt = errors.New("kernels: corrupt DELTA_BINARY_PACKED stream")

// DeltaError describes a DELTA_BINARY_PACKED stream the decoder rejected and
// where. It wraps ErrDeltaCorrupt, or ErrWidth for an oversized bit width.
type DeltaError struct {
	Offset int    // byte offset in the stream of the field at fault
	Reason string // what was wrong
	Err    error  // ErrDeltaCorrupt or ErrWidth
}

func (e *DeltaError) Error() string {
	return fmt.Sprintf("%v: at byte %d: %s", e.Err, e.Offset, e.Reason)
}

func (e *DeltaError) Unwrap() error { return e.Err }

func deltaErrorf(off int, format string, args ...any) error {
	return &DeltaError{Offset: off, Reason: fmt.Sprintf(format, args...), Err: ErrDeltaCorrupt}
}

// deltaSigned and deltaUnsigned are the value types of the two delta
// codecs, int32 with uint32 and int64 with uint64: the core below is written
// once for both, and each instance takes the kernels of its width.
type deltaSigned interface{ ~int32 | ~int64 }
type deltaUnsigned interface{ ~uint32 | ~uint64 }

// deltaScratch holds the kernels' working memory. Scratches are pooled so
// that the Append and Decode functions allocate nothing in steady state.
type deltaScratch[S deltaSigned, U deltaUnsigned] struct {
	adj    [deltaChunkBlocks * DeltaBlockLen]U
	mins   [deltaChunkBlocks]S
	widths [deltaChunkBlocks * DeltaMiniblocks]uint8
	tail   [MiniblockLen]U
	wexp   []uint8 // decoder: widths expanded to 32-value miniblocks
}

var (
	deltaPool64 = sync.Pool{New: func() any { return new(deltaScratch[int64, uint64]) }}
	deltaPool32 = sync.Pool{New: func() any { return new(deltaScratch[int32, uint32]) }}
)

// maxDeltaLen64 bounds the encoded size of n int64 values: the header, and
// per block a min delta, the width bytes and bodies at width 64.
func maxDeltaLen64(n int) int {
	blocks := (n + DeltaBlockLen - 1) / DeltaBlockLen
	return 4*binary.MaxVarintLen64 + blocks*(binary.MaxVarintLen64+DeltaMiniblocks+8*DeltaBlockLen)
}

func maxDeltaLen32(n int) int {
	blocks := (n + DeltaBlockLen - 1) / DeltaBlockLen
	return 4*binary.MaxVarintLen64 + blocks*(binary.MaxVarintLen32+DeltaMiniblocks+4*DeltaBlockLen)
}

// appendDeltaHeader appends the stream header for n values of which the
// first is first.
func appendDeltaHeader(dst []byte, n int, first int64) []byte {
	dst = binary.AppendUvarint(dst, DeltaBlockLen)
	dst = binary.AppendUvarint(dst, DeltaMiniblocks)
	dst = binary.AppendUvarint(dst, uint64(n))
	return binary.AppendVarint(dst, first)
}

// AppendDeltaInt64 appends src encoded as a DELTA_BINARY_PACKED stream to
// dst and returns the extended slice. An empty src gives a header of zero
// values. When dst has room for the largest possible encoding it is not
// reallocated, and the call allocates nothing.
func AppendDeltaInt64(dst []byte, src []int64) []byte {
	if len(src) < 2 {
		return appendDelta(dst, src, maxDeltaLen64(len(src)), nil, nil, nil, impl.deltaEncode64, impl.packMiniblocks64)
	}
	s := deltaPool64.Get().(*deltaScratch[int64, uint64])
	defer deltaPool64.Put(s)
	return appendDelta(dst, src, maxDeltaLen64(len(src)), s.adj[:], s.mins[:], s.widths[:], impl.deltaEncode64, impl.packMiniblocks64)
}

// AppendDeltaInt32 appends src encoded as a DELTA_BINARY_PACKED stream to
// dst and returns the extended slice. Deltas are computed in 32 bits with
// wrap-around, so no miniblock is wider than 32 bits. An empty src gives a
// header of zero values. When dst has room for the largest possible
// encoding it is not reallocated, and the call allocates nothing.
func AppendDeltaInt32(dst []byte, src []int32) []byte {
	if len(src) < 2 {
		return appendDelta(dst, src, maxDeltaLen32(len(src)), nil, nil, nil, impl.deltaEncode32, impl.packMiniblocks32)
	}
	s := deltaPool32.Get().(*deltaScratch[int32, uint32])
	defer deltaPool32.Put(s)
	return appendDelta(dst, src, maxDeltaLen32(len(src)), s.adj[:], s.mins[:], s.widths[:], impl.deltaEncode32, impl.packMiniblocks32)
}

// DeltaEncoder encodes DELTA_BINARY_PACKED streams of both widths, as
// AppendDeltaInt64 and AppendDeltaInt32 do, with working memory of its
// own that the two widths share (the functions take theirs from a pool
// that holds one per width and per P in use): a long-lived encoder, such
// as a Parquet writer's, holds one scratch of about 16 KiB instead. The
// zero value is ready for use; it is not safe for concurrent use.
type DeltaEncoder struct {
	s *deltaEncScratch
}

// deltaEncScratch is the encoder's working memory, typed for int64 and
// viewed as int32 by the narrower width (it holds no pointers).
type deltaEncScratch struct {
	adj    [deltaChunkBlocks * DeltaBlockLen]uint64
	mins   [deltaChunkBlocks]int64
	widths [deltaChunkBlocks * DeltaMiniblocks]uint8
}

func (e *DeltaEncoder) scratch() *deltaEncScratch {
	if e.s == nil {
		e.s = new(deltaEncScratch)
	}
	return e.s
}

// AppendInt64 is AppendDeltaInt64 with e's working memory.
func (e *DeltaEncoder) AppendInt64(dst []byte, src []int64) []byte {
	if len(src) < 2 {
		return appendDelta(dst, src, maxDeltaLen64(len(src)), nil, nil, nil, impl.deltaEncode64, impl.packMiniblocks64)
	}
	s := e.scratch()
	return appendDelta(dst, src, maxDeltaLen64(len(src)), s.adj[:], s.mins[:], s.widths[:], impl.deltaEncode64, impl.packMiniblocks64)
}

// AppendInt32 is AppendDeltaInt32 with e's working memory.
func (e *DeltaEncoder) AppendInt32(dst []byte, src []int32) []byte {
	if len(src) < 2 {
		return appendDelta(dst, src, maxDeltaLen32(len(src)), nil, nil, nil, impl.deltaEncode32, impl.packMiniblocks32)
	}
	s := e.scratch()
	adj := unsafe.Slice((*uint32)(unsafe.Pointer(&s.adj[0])), deltaChunkBlocks*DeltaBlockLen)
	mins := unsafe.Slice((*int32)(unsafe.Pointer(&s.mins[0])), deltaChunkBlocks)
	return appendDelta(dst, src, maxDeltaLen32(len(src)), adj, mins, s.widths[:], impl.deltaEncode32, impl.packMiniblocks32)
}

// appendDelta is the encoder of both widths: maxLen bounds the encoding of
// src; adj, mins and widths are working memory for deltaChunkBlocks
// blocks (needed only for two values or more), and encode and pack are
// the width's deltaEncode and packMiniblocks kernels.
func appendDelta[S deltaSigned, U deltaUnsigned](dst []byte, src []S, maxLen int, sAdj []U, sMins []S, sWidths []uint8,
	encode func(dst []U, src []S, mins []S, widths []uint8), pack func(dst []byte, src []U, widths []uint8)) []byte {
	dst = reserve(dst, maxLen)
	var first S
	if len(src) > 0 {
		first = src[0]
	}
	dst = appendDeltaHeader(dst, len(src), int64(first))
	if len(src) < 2 {
		return dst
	}

	// pos is the index of the first value of the next block; src[pos-1] is
	// the value its first delta is taken from.
	pos := 1
	for len(src)-pos >= DeltaBlockLen {
		k := min((len(src)-pos)/DeltaBlockLen, deltaChunkBlocks)
		n := k * DeltaBlockLen
		adj, mins, widths := sAdj[:n], sMins[:k], sWidths[:k*DeltaMiniblocks]
		encode(adj, src[pos-1:pos+n], mins, widths)
		// The chunk's blocks are laid out now that their mins and widths
		// are known, so each block's packing may use the bytes up to the
		// chunk's end as scratch: the blocks after it overwrite them.
		end := len(dst)
		for b := range k {
			end += varintLen(int64(mins[b])) + DeltaMiniblocks + miniblocksLen(widths[b*DeltaMiniblocks:(b+1)*DeltaMiniblocks])
		}
		out := dst[:end]
		o := len(dst)
		for b := range k {
			w := widths[b*DeltaMiniblocks : (b+1)*DeltaMiniblocks]
			o += binary.PutVarint(out[o:], int64(mins[b]))
			o += copy(out[o:o+DeltaMiniblocks], w)
			pack(out[o:], adj[b*DeltaBlockLen:(b+1)*DeltaBlockLen], w)
			o += miniblocksLen(w)
		}
		dst = out
		pos += n
	}
	if pos < len(src) {
		dst = appendDeltaTail(dst, src[pos-1:], sAdj, sWidths, pack)
	}
	return dst
}

// appendDeltaTail appends the last block, of len(src)-1 < 128 deltas taken
// over src, with arithmetic that wraps at the width of S.
func appendDeltaTail[S deltaSigned, U deltaUnsigned](dst []byte, src []S, sAdj []U, sWidths []uint8, pack func(dst []byte, src []U, widths []uint8)) []byte {
	n := len(src) - 1
	adj := sAdj[:DeltaBlockLen]
	minDelta := src[1] - src[0]
	for i := range n {
		d := src[i+1] - src[i]
		adj[i] = U(d)
		minDelta = min(minDelta, d)
	}
	used := (n + MiniblockLen - 1) / MiniblockLen
	clear(adj[n : used*MiniblockLen])
	w := sWidths[:DeltaMiniblocks]
	clear(w)
	for m := range used {
		var or U
		for i := m * MiniblockLen; i < min(n, (m+1)*MiniblockLen); i++ {
			adj[i] -= U(minDelta)
			or |= adj[i]
		}
		w[m] = uint8(bits.Len64(uint64(or)))
	}
	dst = binary.AppendVarint(dst, int64(minDelta))
	dst = append(dst, w...)
	body := miniblocksLen(w[:used])
	o := len(dst)
	dst = dst[:o+body]
	pack(dst[o:], adj[:used*MiniblockLen], w[:used])
	return dst
}

// varintLen is the length of v as a zigzag ULEB128 varint.
func varintLen(v int64) int {
	return (bits.Len64(uint64(v<<1^v>>63)|1) + 6) / 7
}

// miniblocksLen is the body length of 32-value miniblocks of these widths.
func miniblocksLen(widths []uint8) int {
	n := 0
	for _, w := range widths {
		n += int(w)
	}
	return n * MiniblockLen / 8
}

// reserve makes room for n more bytes after len(dst) without changing its
// length.
func reserve(dst []byte, n int) []byte {
	if cap(dst)-len(dst) >= n {
		return dst
	}
	next := make([]byte, len(dst), len(dst)+max(n, cap(dst)))
	copy(next, dst)
	return next
}

// deltaHeader is a parsed stream header.
type deltaHeader struct {
	blockLen   int    // values per block, a multiple of 128
	miniblocks int    // miniblocks per block
	perMini    int    // values per miniblock, a multiple of 32
	total      uint64 // values in the stream
	first      int64  // the first value
	firstOff   int    // offset of the first value
	n          int    // bytes the header occupies
}

// readUvarint reads a ULEB128 varint at src[off:].
func readUvarint(src []byte, off int, what string) (uint64, int, error) {
	v, n := binary.Uvarint(src[off:])
	if n == 0 {
		return 0, 0, deltaErrorf(off, "%s: varint truncated at end of input", what)
	}
	if n < 0 {
		return 0, 0, deltaErrorf(off, "%s: varint overflows 64 bits", what)
	}
	return v, n, nil
}

// readVarint reads a zigzag ULEB128 varint at src[off:].
func readVarint(src []byte, off int, what string) (int64, int, error) {
	v, n, err := readUvarint(src, off, what)
	return int64(v>>1) ^ -int64(v&1), n, err
}

func parseDeltaHeader(src []byte) (h deltaHeader, err error) {
	off := 0
	bl, n, err := readUvarint(src, off, "block size")
	if err != nil {
		return h, err
	}
	if bl == 0 || bl%DeltaBlockLen != 0 || bl > MaxDeltaBlockLen {
		return h, deltaErrorf(off, "block size %d is not a multiple of %d in %d..%d",
			bl, DeltaBlockLen, DeltaBlockLen, MaxDeltaBlockLen)
	}
	off += n
	mb, n, err := readUvarint(src, off, "miniblock count")
	if err != nil {
		return h, err
	}
	if mb == 0 || mb > bl || bl%mb != 0 || (bl/mb)%MiniblockLen != 0 {
		return h, deltaErrorf(off, "%d miniblocks per block of %d values: want a divisor leaving a multiple of %d values per miniblock",
			mb, bl, MiniblockLen)
	}
	off += n
	totalOff := off
	total, n, err := readUvarint(src, off, "total value count")
	if err != nil {
		return h, err
	}
	off += n
	firstOff := off
	first, n, err := readVarint(src, off, "first value")
	if err != nil {
		return h, err
	}
	off += n
	h = deltaHeader{
		blockLen:   int(bl),
		miniblocks: int(mb),
		perMini:    int(bl / mb),
		total:      total,
		first:      first,
		firstOff:   firstOff,
		n:          off,
	}
	// Every block costs at least a one-byte min delta and its width bytes,
	// and holds at most blockLen values: a count beyond that is a lie, and
	// nothing is allocated for it.
	if total > math.MaxInt/8 {
		return h, deltaErrorf(totalOff, "total value count %d is beyond this platform's slices", total)
	}
	if total > 1 {
		rest := uint64(len(src) - off)
		blocks := (total-1)/bl + min(1, (total-1)%bl)
		if blocks > rest || blocks*(1+mb) > rest {
			return h, deltaErrorf(totalOff, "total value count %d needs %d blocks of at least %d bytes; %d bytes remain",
				total, blocks, 1+mb, rest)
		}
	}
	return h, nil
}

// checkWidths validates the bit widths of the miniblocks of a block that
// hold values and returns the length of their bodies.
func checkWidths(widths []byte, off, perMini int, maxWidth uint8) (int, error) {
	n := 0
	for i, w := range widths {
		if w > maxWidth {
			return 0, &DeltaError{Offset: off + i,
				Reason: fmt.Sprintf("miniblock %d bit width %d exceeds %d", i, w, maxWidth), Err: ErrWidth}
		}
		n += int(w) * perMini / 8
	}
	return n, nil
}

// expandWidths returns the widths of the 32-value kernel miniblocks that
// make up miniblocks of perMini values with the given widths.
func expandWidths(buf *[]uint8, widths []byte, perMini int) []uint8 {
	if perMini == MiniblockLen {
		return widths
	}
	k := perMini / MiniblockLen
	out := (*buf)[:0]
	for _, w := range widths {
		for range k {
			out = append(out, w)
		}
	}
	*buf = out
	return out
}

// DecodeDeltaInt64 decodes the DELTA_BINARY_PACKED stream at the start of
// src, appends its values to dst and returns the extended slice and the
// number of bytes of src the stream occupied (a page may hold more after
// it). Arithmetic wraps in 64 bits. A malformed or truncated stream gives a
// *DeltaError and dst unchanged.
func DecodeDeltaInt64(dst []int64, src []byte) (values []int64, n int, err error) {
	h, err := parseDeltaHeader(src)
	if err != nil {
		return dst, 0, err
	}
	return decodeDelta(dst, src, h, 64, &deltaPool64, impl.unpackMiniblocks64, impl.deltaDecode64)
}

// DecodeDeltaInt32 decodes the DELTA_BINARY_PACKED stream at the start of
// src, appends its values to dst and returns the extended slice and the
// number of bytes of src the stream occupied. Arithmetic wraps in 32 bits:
// bit widths above 32 and a first value outside the int32 range are
// errors, while min deltas are taken modulo 2^32 (a writer that computed
// int32 deltas in 64 bits decodes to the same values). A malformed or
// truncated stream gives a *DeltaError and dst unchanged.
func DecodeDeltaInt32(dst []int32, src []byte) (values []int32, n int, err error) {
	h, err := parseDeltaHeader(src)
	if err != nil {
		return dst, 0, err
	}
	if h.first < math.MinInt32 || h.first > math.MaxInt32 {
		return dst, 0, deltaErrorf(h.firstOff, "first value %d outside the int32 range", h.first)
	}
	return decodeDelta(dst, src, h, 32, &deltaPool32, impl.unpackMiniblocks32, impl.deltaDecode32)
}

// decodeDelta is the decoder of both widths after the header h: maxWidth is
// the width of S in bits, pool holds deltaScratch[S, U], and unpack and
// decode are the width's unpackMiniblocks and deltaDecode kernels.
func decodeDelta[S deltaSigned, U deltaUnsigned](dst []S, src []byte, h deltaHeader, maxWidth uint8, pool *sync.Pool,
	unpack func(dst []U, src []byte, widths []uint8), decode func(vals []U, mins []S, prev S)) ([]S, int, error) {
	if h.total == 0 {
		return dst, h.n, nil
	}
	start := len(dst)
	grown := growValues(dst, int(h.total))
	out := grown[start:]
	out[0] = S(h.first)
	s := pool.Get().(*deltaScratch[S, U])
	defer pool.Put(s)
	n, err := decodeDeltaBlocks(out, src, h, s, maxWidth, unpack, decode)
	if err != nil {
		return dst, 0, err
	}
	return grown, n, nil
}

// decodeDeltaBlocks decodes the blocks of the stream into out, whose first
// value is already set, and returns the offset just past the stream. Min
// deltas are taken modulo the width of S.
func decodeDeltaBlocks[S deltaSigned, U deltaUnsigned](out []S, src []byte, h deltaHeader, s *deltaScratch[S, U], maxWidth uint8,
	unpack func(dst []U, src []byte, widths []uint8), decode func(vals []U, mins []S, prev S)) (int, error) {
	u := unsafe.Slice((*U)(unsafe.Pointer(&out[0])), len(out))
	off := h.n
	prev := S(h.first)
	pos := 1     // next value to fill
	flushed := 1 // values before this are final
	pending := 0 // whole 128-value units unpacked but not yet summed
	flush := func() {
		if pending == 0 {
			return
		}
		decode(u[flushed:flushed+pending*DeltaBlockLen], s.mins[:pending], prev)
		flushed += pending * DeltaBlockLen
		prev = out[flushed-1]
		pending = 0
	}
	for pos < len(out) {
		minDelta64, k, err := readVarint(src, off, "block min delta")
		if err != nil {
			return 0, err
		}
		minDelta := S(minDelta64)
		off += k
		if len(src)-off < h.miniblocks {
			return 0, deltaErrorf(off, "block needs %d bit-width bytes, %d remain", h.miniblocks, len(src)-off)
		}
		count := min(h.blockLen, len(out)-pos)
		used := (count + h.perMini - 1) / h.perMini
		widths := src[off : off+used]
		body, err := checkWidths(widths, off, h.perMini, maxWidth)
		if err != nil {
			return 0, err
		}
		off += h.miniblocks
		if len(src)-off < body {
			return 0, deltaErrorf(off, "block miniblocks need %d bytes, %d remain", body, len(src)-off)
		}
		kw := expandWidths(&s.wexp, widths, h.perMini)
		full := count / MiniblockLen
		unpack(u[pos:pos+full*MiniblockLen], src[off:], kw[:full])
		if part := count % MiniblockLen; part != 0 {
			o := miniblocksLen(kw[:full])
			unpack(s.tail[:], src[off+o:], kw[full:full+1])
			copy(u[pos+full*MiniblockLen:pos+count], s.tail[:part])
		}
		off += body

		// Sum whole 128-value units in the kernel, the rest here.
		units := count / DeltaBlockLen
		for range units {
			if pending == len(s.mins) {
				flush()
			}
			s.mins[pending] = minDelta
			pending++
		}
		pos += count
		if rest := count % DeltaBlockLen; rest != 0 {
			flush()
			acc := U(prev)
			for i := flushed; i < pos; i++ {
				acc += u[i] + U(minDelta)
				u[i] = acc
			}
			flushed = pos
			prev = S(acc)
		}
	}
	flush()
	return off, nil
}

// growValues extends dst by n values, reallocating only when the capacity
// is short.
func growValues[T any](dst []T, n int) []T {
	if cap(dst)-len(dst) >= n {
		return dst[:len(dst)+n]
	}
	next := make([]T, len(dst)+n, len(dst)+max(n, cap(dst)))
	copy(next, dst)
	return next
}

// deltaEncode64Ref is the reference of kernelSet.deltaEncode64.
func deltaEncode64Ref(dst []uint64, src []int64, mins []int64, widths []uint8) {
	for b := range mins {
		s := src[b*DeltaBlockLen : (b+1)*DeltaBlockLen+1]
		d := dst[b*DeltaBlockLen : (b+1)*DeltaBlockLen]
		m := s[1] - s[0]
		for i := range d {
			x := s[i+1] - s[i]
			d[i] = uint64(x)
			m = min(m, x)
		}
		mins[b] = m
		for j := range DeltaMiniblocks {
			var or uint64
			for i := j * MiniblockLen; i < (j+1)*MiniblockLen; i++ {
				d[i] -= uint64(m)
				or |= d[i]
			}
			widths[b*DeltaMiniblocks+j] = uint8(bits.Len64(or))
		}
	}
}

// deltaEncode32Ref is the reference of kernelSet.deltaEncode32.
func deltaEncode32Ref(dst []uint32, src []int32, mins []int32, widths []uint8) {
	for b := range mins {
		s := src[b*DeltaBlockLen : (b+1)*DeltaBlockLen+1]
		d := dst[b*DeltaBlockLen : (b+1)*DeltaBlockLen]
		m := s[1] - s[0]
		for i := range d {
			x := s[i+1] - s[i]
			d[i] = uint32(x)
			m = min(m, x)
		}
		mins[b] = m
		for j := range DeltaMiniblocks {
			var or uint32
			for i := j * MiniblockLen; i < (j+1)*MiniblockLen; i++ {
				d[i] -= uint32(m)
				or |= d[i]
			}
			widths[b*DeltaMiniblocks+j] = uint8(bits.Len32(or))
		}
	}
}

// deltaDecode64Ref is the reference of kernelSet.deltaDecode64.
func deltaDecode64Ref(vals []uint64, mins []int64, prev int64) {
	acc := uint64(prev)
	for b, m := range mins {
		v := vals[b*DeltaBlockLen : (b+1)*DeltaBlockLen]
		for i := range v {
			acc += v[i] + uint64(m)
			v[i] = acc
		}
	}
}

// deltaDecode32Ref is the reference of kernelSet.deltaDecode32.
func deltaDecode32Ref(vals []uint32, mins []int32, prev int32) {
	acc := uint32(prev)
	for b, m := range mins {
		v := vals[b*DeltaBlockLen : (b+1)*DeltaBlockLen]
		for i := range v {
			acc += v[i] + uint32(m)
			v[i] = acc
		}
	}
}
