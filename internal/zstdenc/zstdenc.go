// Package zstdenc is a zstd encoder (RFC 8878) whose memory follows its
// input: a fast single-pass match finder with a hash table sized to the
// input, Huffman-coded literals (huff0) and sequences coded with the
// predefined FSE distributions (or RLE where a block has one code).
//
// It writes one frame per EncodeAll call, with Frame_Content_Size set and
// no checksum, in blocks of at most 128 KiB. Inputs up to 8 MiB make
// Single_Segment frames (their window is their size); larger ones declare
// a window of 8 MiB and match no further back, the most RFC 8878
// (3.1.1.1.2) recommends, so that decoders with the usual memory limits
// (the reference one refuses windows above 128 MiB by default) read them.
// Decoding is left to any zstd decoder.
//
// An Encoder holds only what its largest input needed: the hash table
// (between 2^minTableBits and 2^maxTableBits entries, about one per two
// input bytes, of 2 bytes for inputs up to 64 KiB and 4 above), the
// literals and sequences of one block, and the Huffman scratch; the
// Huffman-coded literals are written straight into the output. It is
// not safe for concurrent use.
package zstdenc

import (
	"encoding/binary"
	"math/bits"
	"slices"

	"github.com/klauspost/compress/huff0"
)

const (
	magic        = 0xFD2FB528
	maxBlockSize = 128 << 10
	minTableBits = 8
	// maxTableBits bounds the hash table at 2^14 entries (32 KiB of
	// 16-bit positions, 64 KiB of 32-bit ones)
	maxTableBits = 14
	// minMatch is the shortest match searched for
	minMatch = 4
	// huffMin is the fewest literals worth a Huffman table
	huffMin = 32
	// maxWindow is the largest window a frame needs: larger inputs are
	// not Single_Segment frames and match no further back than this
	maxWindow = 8 << 20
)

// Encoder compresses byte slices into zstd frames. The zero value is
// ready to use.
type Encoder struct {
	// hash of 6 bytes → last position in the input, mod 2^32, or mod
	// 2^16 for inputs up to 64 KiB (each kept once grown)
	table     []uint32
	table16   []uint16
	repBefore [3]uint32   // e.rep before the block being encoded
	lits      []byte      // literals of the block being encoded
	seqs      []packedSeq // sequences of the block being encoded
	huff      huff0.Scratch
	rep       [3]uint32 // repeat offsets, as the decoder has them
	// code streams (literal length, match length, offset) of the block
	// and the tables built for them
	streams [3]codeStream
	tables  [3]fseTable
	spread  [1 << maxLog]uint8
}

// pos is the type of the hash table's positions.
type pos interface{ uint16 | uint32 }

// seq is one sequence: litLen literals, then matchLen bytes copied from
// the offset offVal stands for (offVal 1..3 name a repeat offset,
// larger ones are the offset plus 3).
type seq struct {
	litLen, matchLen, offVal uint32
}

// packedSeq is a seq in 8 bytes, as the encoder keeps a block's
// sequences: litLen in bits 0-16 (below the block size, 2^17), matchLen
// in bits 17-34 (at most the block size) and offVal from bit 35 (at most
// maxWindow+3, below 2^24).
type packedSeq uint64

func pack(s seq) packedSeq {
	return packedSeq(uint64(s.litLen) | uint64(s.matchLen)<<17 | uint64(s.offVal)<<35)
}

func (p packedSeq) unpack() seq {
	return seq{litLen: uint32(p) & (1<<17 - 1), matchLen: uint32(p>>17) & (1<<18 - 1), offVal: uint32(p >> 35)}
}

// MaxEncodedSize is an upper bound of the size of a frame of n bytes.
func MaxEncodedSize(n int) int {
	return 18 + n + 3*(n/maxBlockSize+1)
}

// EncodeAll appends to dst one zstd frame holding src and returns it.
func (e *Encoder) EncodeAll(dst, src []byte) []byte {
	dst = appendFrameHeader(dst, len(src))
	if len(src) == 0 {
		return appendBlockHeader(dst, true, blockRaw, 0)
	}
	e.rep = [3]uint32{1, 4, 8}
	// positions of inputs up to 64 KiB fit in 16 bits: half the table's
	// memory for the same entries
	b := tableBits(len(src))
	var t16 []uint16
	var t32 []uint32
	if len(src) <= 1<<16 {
		t16 = prepareTable(&e.table16, b)
	} else {
		t32 = prepareTable(&e.table, b)
	}
	for start := 0; start < len(src); start += maxBlockSize {
		end := min(start+maxBlockSize, len(src))
		last := end == len(src)
		if block := src[start:end]; allSame(block) {
			dst = appendBlockHeader(dst, last, blockRLE, len(block))
			dst = append(dst, block[0])
			continue
		}
		if t16 != nil {
			findSequences(e, t16, src, start, end)
		} else {
			findSequences(e, t32, src, start, end)
		}
		dst = e.appendBlock(dst, src[start:end], last)
	}
	return dst
}

func appendFrameHeader(dst []byte, n int) []byte {
	dst = binary.LittleEndian.AppendUint32(dst, magic)
	// Frame_Header_Descriptor: Frame_Content_Size_Flag in bits 7-6,
	// Single_Segment_Flag in bit 5, no checksum, no dictionary.
	const single = 1 << 5
	if n > maxWindow {
		// Window_Descriptor: Exponent 13 (2^(10+13) = 8 MiB), Mantissa 0
		const window = (23 - 10) << 3
		if uint64(n) <= 1<<32-1 {
			dst = append(dst, 2<<6, window)
			return binary.LittleEndian.AppendUint32(dst, uint32(n))
		}
		dst = append(dst, 3<<6, window)
		return binary.LittleEndian.AppendUint64(dst, uint64(n))
	}
	switch {
	case n < 256:
		return append(dst, single, byte(n))
	case n < 65536+256:
		dst = append(dst, 1<<6|single)
		return binary.LittleEndian.AppendUint16(dst, uint16(n-256))
	case uint64(n) <= 1<<32-1:
		dst = append(dst, 2<<6|single)
		return binary.LittleEndian.AppendUint32(dst, uint32(n))
	}
	dst = append(dst, 3<<6|single)
	return binary.LittleEndian.AppendUint64(dst, uint64(n))
}

const (
	blockRaw        = 0
	blockRLE        = 1
	blockCompressed = 2
)

func appendBlockHeader(dst []byte, last bool, typ, size int) []byte {
	h := uint32(size)<<3 | uint32(typ)<<1
	if last {
		h |= 1
	}
	return append(dst, byte(h), byte(h>>8), byte(h>>16))
}

// tableBits is the log of the hash table's entries for n input bytes:
// about one entry per two input bytes, within its bounds.
func tableBits(n int) int {
	b := bits.Len(uint(n / 2)) // next power of two of n/2, roughly
	return min(max(b, minTableBits), maxTableBits)
}

// prepareTable returns the hash table of 2^b entries of positions mod
// 2^k (k the bits of T), cleared, in the capacity of *t.
func prepareTable[T pos](t *[]T, b int) []T {
	size := 1 << b
	if cap(*t) < size {
		*t = make([]T, size)
	}
	*t = (*t)[:size]
	clear(*t)
	return *t
}

// appendBlock writes the block of the sequences and literals
// findSequences found in block, or block raw if that is smaller.
func (e *Encoder) appendBlock(dst, block []byte, last bool) []byte {
	// the decoder's repeat offsets before the block (findSequences has
	// moved e.rep on)
	rep := e.repBefore
	hdr := len(dst)
	dst = appendBlockHeader(dst, last, blockCompressed, 0)
	body := len(dst)
	dst = e.appendLiterals(dst)
	dst = e.appendSequences(dst)
	size := len(dst) - body
	if size >= len(block) {
		// the decoder never sees these sequences: its repeat offsets
		// stay as they were
		e.rep = rep
		dst = appendBlockHeader(dst[:hdr], last, blockRaw, len(block))
		return append(dst, block...)
	}
	appendBlockHeader(dst[hdr:hdr], last, blockCompressed, size)
	return dst
}

func allSame(b []byte) bool {
	c := b[0]
	for _, x := range b[1:] {
		if x != c {
			return false
		}
	}
	return true
}

func load32(b []byte, i int) uint32 { return binary.LittleEndian.Uint32(b[i:]) }
func load64(b []byte, i int) uint64 { return binary.LittleEndian.Uint64(b[i:]) }

func hash6(v uint64, shift uint8) uint32 {
	const prime6 = 227718039650203
	return uint32(((v << 16) * prime6) >> shift)
}

// findSequences splits src[start:end] into sequences (e.seqs) and
// literals (e.lits); matches may reach back anywhere in src before
// their position, as the frame's window is its whole content.
func findSequences[T pos](e *Encoder, table []T, src []byte, start, end int) {
	e.repBefore = e.rep
	e.lits = e.lits[:0]
	e.seqs = e.seqs[:0]
	shift := uint8(64 - bits.Len(uint(len(table))-1))
	anchor := start
	// positions from which 8 bytes can be read inside the block
	limit := end - 8
	ip := start
	lastOff := int(e.rep[0])
	for ip < limit {
		cv := load64(src, ip)
		h := hash6(cv, shift)
		// positions are kept modulo 2^k (k the bits of T): the distance
		// back is right for inputs of any size, as long as it is below
		// 2^k; a candidate further back is some other position before
		// ip, which the comparison below checks as any other
		cand := ip - int(T(ip)-table[h])
		table[h] = T(ip)
		// the last offset one byte ahead, and the table's candidate: where
		// both match, the longer one if it reaches as far and the literals
		// it saves (about 8 bits each) outweigh its offset's bits, else
		// the last offset
		r := ip + 1 - lastOff
		repOK := lastOff > 0 && r >= 0 && load32(src, r) == uint32(cv>>8)
		candOK := cand < ip && ip-cand <= maxWindow && load32(src, cand) == uint32(cv)
		if repOK || candOK {
			var mp, mc, n int
			if repOK {
				mp, mc, n = extend(src, ip+1, r, anchor, end)
			}
			if candOK {
				if p, c, k := extend(src, ip, cand, anchor, end); !repOK || p+k >= mp+n && (k-n)*8 > bits.Len(uint(p-c)) {
					mp, mc, n = p, c, k
				}
			}
			e.record(src, anchor, mp, mc, n)
			ip = mp + n
			anchor = ip
			lastOff = int(e.rep[0])
			insert(table, src, ip, limit, shift)
			continue
		}
		ip += 1 + (ip-anchor)>>6
	}
	e.lits = append(e.lits, src[anchor:end]...)
}

// insert puts positions just before ip into the table, where the next
// matches of repetitive data start.
func insert[T pos](table []T, src []byte, ip, limit int, shift uint8) {
	if ip-2 < limit && ip >= 2 {
		table[hash6(load64(src, ip-2), shift)] = T(ip - 2)
	}
}

// extend extends the match of src[ip:] with src[cand:] (of at least
// minMatch bytes) back to anchor and forward to end, and returns its
// start, the start of its source and its length.
func extend(src []byte, ip, cand, anchor, end int) (int, int, int) {
	for ip > anchor && cand > 0 && src[ip-1] == src[cand-1] {
		ip--
		cand--
	}
	n := minMatch
	for ip+n+8 <= end {
		if d := load64(src, ip+n) ^ load64(src, cand+n); d != 0 {
			return ip, cand, n + bits.TrailingZeros64(d)>>3
		}
		n += 8
	}
	for ip+n < end && src[ip+n] == src[cand+n] {
		n++
	}
	return ip, cand, n
}

// record appends the sequence of the literals src[anchor:ip] and the
// match of n bytes at ip with src[cand:].
func (e *Encoder) record(src []byte, anchor, ip, cand, n int) {
	e.lits = append(e.lits, src[anchor:ip]...)
	e.seqs = append(e.seqs, pack(seq{
		litLen:   uint32(ip - anchor),
		matchLen: uint32(n),
		offVal:   e.offValue(uint32(ip-cand), uint32(ip-anchor)),
	}))
}

// offValue is the Offset_Value that encodes offset off after litLen
// literals, and updates the repeat offsets as the decoder will
// (RFC 8878, 3.1.2.5).
func (e *Encoder) offValue(off, litLen uint32) uint32 {
	r := &e.rep
	if litLen != 0 {
		switch off {
		case r[0]:
			return 1
		case r[1]:
			r[0], r[1] = r[1], r[0]
			return 2
		case r[2]:
			r[0], r[1], r[2] = r[2], r[0], r[1]
			return 3
		}
	} else {
		// with no literals the codes shift by one: 1 is the second
		// repeat offset, 2 the third, 3 the first minus one
		switch off {
		case r[1]:
			r[0], r[1] = r[1], r[0]
			return 1
		case r[2]:
			r[0], r[1], r[2] = r[2], r[0], r[1]
			return 2
		case r[0] - 1:
			r[0], r[1], r[2] = off, r[0], r[1]
			return 3
		}
	}
	r[0], r[1], r[2] = off, r[0], r[1]
	return off + 3
}

// appendLiterals writes the Literals_Section of e.lits (RFC 8878,
// 3.1.1.3.1): Huffman-coded where that is smaller, else raw or RLE.
func (e *Encoder) appendLiterals(dst []byte) []byte {
	lits := e.lits
	n := len(lits)
	if n >= huffMin {
		e.huff.Reuse = huff0.ReusePolicyNone
		single := n < 1024
		// huff0 writes into dst past the room of the header (whose size
		// n sets), so that no buffer of its own holds a copy of the
		// output: the header is written in front afterwards.
		hlen := 3
		switch {
		case single || n < 1024:
		case n < 16384:
			hlen = 4
		default:
			hlen = 5
		}
		if cap(dst)-len(dst) < hlen+huffMin {
			dst = slices.Grow(dst, hlen+huffMin)
		}
		at := len(dst) + hlen
		e.huff.Out = dst[at:at]
		var out []byte
		var err error
		if single {
			out, _, err = huff0.Compress1X(lits, &e.huff)
		} else {
			out, _, err = huff0.Compress4X(lits, &e.huff)
		}
		// the scratch must not keep dst (nor what huff0 grew from it)
		e.huff.Out, e.huff.OutData, e.huff.OutTable = nil, nil, nil
		switch err {
		case nil:
			c := len(out)
			// where huff0 outgrew dst's room, out is an array of its own,
			// which the header written into dst's tail leaves alone
			inPlace := c > 0 && at+c <= cap(dst) && &dst[:at+1][at] == &out[0]
			switch {
			case single:
				h := 2 | 0<<2 | uint32(n)<<4 | uint32(c)<<14
				dst = append(dst, byte(h), byte(h>>8), byte(h>>16))
			case n < 1024:
				h := 2 | 1<<2 | uint32(n)<<4 | uint32(c)<<14
				dst = append(dst, byte(h), byte(h>>8), byte(h>>16))
			case n < 16384:
				h := 2 | 2<<2 | uint32(n)<<4 | uint32(c)<<18
				dst = binary.LittleEndian.AppendUint32(dst, h)
			default:
				h := 2 | 3<<2 | uint64(n)<<4 | uint64(c)<<22
				dst = binary.LittleEndian.AppendUint32(dst, uint32(h))
				dst = append(dst, byte(h>>32))
			}
			if inPlace {
				return dst[:at+c]
			}
			return append(dst, out...)
		case huff0.ErrUseRLE:
			return append(appendLitHeader(dst, 1, n), lits[0])
		}
	}
	return append(appendLitHeader(dst, 0, n), lits...)
}

// appendLitHeader writes the header of raw (typ 0) or RLE (typ 1) literals.
func appendLitHeader(dst []byte, typ uint32, n int) []byte {
	switch {
	case n < 32:
		return append(dst, byte(typ|uint32(n)<<3))
	case n < 4096:
		h := typ | 1<<2 | uint32(n)<<4
		return append(dst, byte(h), byte(h>>8))
	}
	h := typ | 3<<2 | uint32(n)<<4
	return append(dst, byte(h), byte(h>>8), byte(h>>16))
}

// Symbol compression modes of the sequences section.
const (
	modePredefined = 0
	modeRLE        = 1
	modeFSE        = 2
)

// codeStream is what the encoder chose for one of the three code
// streams of a block.
type codeStream struct {
	mode  uint8
	table *fseTable
	count [maxSymbols]uint32
	norm  [maxSymbols]int16
	rle   uint8
	top   int // the highest code present
}

// choose picks the cheapest of RLE, the predefined table and a table
// of the block's own counts (written in the block), for n codes whose
// histogram is c.count.
func (c *codeStream) choose(n int, maxSym int, pre *fseTable, preNorm []int16, preLog, maxTableLog uint8, custom *fseTable, spread []uint8) {
	present, top := 0, 0
	for s, k := range c.count[:maxSym+1] {
		if k > 0 {
			present++
			top = s
		}
	}
	c.top = top
	if present == 1 && n > 1 {
		c.mode, c.rle = modeRLE, uint8(top)
		return
	}
	c.mode, c.table = modePredefined, pre
	preBits, ok := tableCost(preNorm, c.count[:top+1], preLog)
	if n < 16 && ok {
		return
	}
	log := uint8(max(bits.Len(uint(n))-2, 0))
	log = max(log, uint8(bits.Len(uint(present)))+1, 5)
	log = min(log, maxTableLog)
	normalize(c.norm[:top+1], c.count[:top+1], n, log)
	ownBits, _ := tableCost(c.norm[:top+1], c.count[:top+1], log)
	// the table description: about log bits per symbol up to the last
	ownBits += float64(4 + (top+1)*int(log))
	if !ok || ownBits < preBits {
		custom.build(c.norm[:top+1], log, spread)
		c.mode, c.table = modeFSE, custom
	}
}

// appendSequences writes the Sequences_Section of e.seqs (RFC 8878,
// 3.1.1.3.2).
func (e *Encoder) appendSequences(dst []byte) []byte {
	seqs := e.seqs
	n := len(seqs)
	switch {
	case n < 128:
		dst = append(dst, byte(n))
	case n < 0x7F00:
		dst = append(dst, byte(n>>8)+0x80, byte(n))
	default:
		dst = append(dst, 0xFF)
		dst = binary.LittleEndian.AppendUint16(dst, uint16(n-0x7F00))
	}
	if n == 0 {
		return dst
	}
	ll, ml, of := &e.streams[0], &e.streams[1], &e.streams[2]
	clear(ll.count[:])
	clear(ml.count[:])
	clear(of.count[:])
	maxOf := uint8(0)
	for _, p := range seqs {
		s := p.unpack()
		ll.count[llCode(s.litLen)]++
		ml.count[mlCode(s.matchLen)]++
		oc := ofCode(s.offVal)
		of.count[oc]++
		maxOf = max(maxOf, oc)
	}
	ll.choose(n, 35, &llPre, llDefault, llLog, 9, &e.tables[0], e.spread[:])
	ml.choose(n, 52, &mlPre, mlDefault, mlLog, 9, &e.tables[1], e.spread[:])
	of.choose(n, int(maxOf), &ofPre, ofDefault, ofLog, 8, &e.tables[2], e.spread[:])
	dst = append(dst, ll.mode<<6|of.mode<<4|ml.mode<<2)
	for _, c := range []*codeStream{ll, of, ml} {
		switch c.mode {
		case modeRLE:
			dst = append(dst, c.rle)
		case modeFSE:
			dst = appendNCount(dst, c.norm[:c.top+1], c.table.log)
		}
	}

	// The decoder reads the bit stream backwards: the last sequence is
	// written first, and the initial states last.
	w := bitWriter{dst: dst}
	last := seqs[n-1].unpack()
	llc, mlc, ofc := llCode(last.litLen), mlCode(last.matchLen), ofCode(last.offVal)
	var llState, mlState, ofState uint32
	if ll.mode != modeRLE {
		llState = uint32(ll.table.sym[llc].first)
	}
	if ml.mode != modeRLE {
		mlState = uint32(ml.table.sym[mlc].first)
	}
	if of.mode != modeRLE {
		ofState = uint32(of.table.sym[ofc].first)
	}
	w.extras(last, llc, mlc, ofc)
	for i := n - 2; i >= 0; i-- {
		s := seqs[i].unpack()
		llc, mlc, ofc := llCode(s.litLen), mlCode(s.matchLen), ofCode(s.offVal)
		// states: the decoder updates literal length, match length,
		// offset, in that order
		if of.mode != modeRLE {
			ofState = w.encode(of.table, ofc, ofState)
		}
		if ml.mode != modeRLE {
			mlState = w.encode(ml.table, mlc, mlState)
		}
		if ll.mode != modeRLE {
			llState = w.encode(ll.table, llc, llState)
		}
		w.flush()
		w.extras(s, llc, mlc, ofc)
	}
	// initial states: the decoder reads literal length, offset, match
	// length
	if ml.mode != modeRLE {
		w.add(mlState&(1<<ml.table.log-1), ml.table.log)
	}
	if of.mode != modeRLE {
		w.add(ofState&(1<<of.table.log-1), of.table.log)
	}
	if ll.mode != modeRLE {
		w.add(llState&(1<<ll.table.log-1), ll.table.log)
	}
	return w.close()
}

func ofCode(offVal uint32) uint8 { return uint8(bits.Len32(offVal) - 1) }

// bitWriter writes a bit stream that is read backwards, low bits first
// in each byte.
type bitWriter struct {
	dst []byte
	acc uint64
	n   uint
}

func (w *bitWriter) add(v uint32, n uint8) {
	w.acc |= uint64(v) << w.n
	w.n += uint(n)
}

// flush writes the whole bytes; afterwards fewer than 8 bits wait.
func (w *bitWriter) flush() {
	k := w.n >> 3
	w.dst = binary.LittleEndian.AppendUint64(w.dst, w.acc)
	w.dst = w.dst[:len(w.dst)-8+int(k)]
	w.acc >>= k * 8
	w.n &= 7
}

// extras writes the extra bits of a sequence: the decoder reads offset,
// match length, literal length, so they are written the other way round.
func (w *bitWriter) extras(s seq, llc, mlc, ofc uint8) {
	w.add(s.litLen-llBase[llc], llBits[llc])
	w.add(s.matchLen-mlBase[mlc], mlBits[mlc])
	w.flush()
	w.add(s.offVal-1<<ofc, ofc)
	w.flush()
}

// close ends the stream with its marker bit.
func (w *bitWriter) close() []byte {
	w.add(1, 1)
	w.flush()
	if w.n > 0 {
		w.dst = append(w.dst, byte(w.acc))
	}
	return w.dst
}
