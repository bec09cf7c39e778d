// Command rle generates the AVX2 kernels of package kernels that serve the
// RLE/bit-packed hybrid, the validity bitmaps and byte-stream-split:
// kernels/rle_amd64.s and its Go declarations kernels/rle_amd64.go.
//
//   - equalMask8AVX2 and equalMask32AVX2 compare every value with the next
//     one (VPCMPEQB of a load with the unaligned memory operand one value
//     on, two words an iteration; VPCMPEQD of two overlapping loads) and
//     gather the results into 64-bit words with VPMOVMSKB/VMOVMSKPS; they
//     also or all values together so that the encoder can check the bit
//     width.
//   - levelsToBitmapAVX2 compares 32 levels with a broadcast byte and keeps
//     the VPMOVMSKB mask; bitmapToLevelsAVX2 spreads 32 bits over 32 bytes
//     with VPSHUFB, tests each byte's bit and blends two broadcast levels.
//   - runsRLE8BMI writes runs of one-byte values (widths 2..8) as RLE runs
//     for the encoder's fast loop (see runsRLE8Ref in kernels): a loop over
//     the run ends (clear bits of the equality bitmap, TZCNT and BLSR) that
//     writes each run's header and value with two stores and tells short
//     runs from long ones with an SBB mask, not a branch.
//   - runsRLE1BMI is the same loop for levels of width 1 (see runsRLE1Ref
//     in kernels), which also prices the stretches of short runs between
//     long ones itself: each short run is written as an RLE run when it is
//     met and the stretch rewritten when bit-packing it is cheaper (the
//     costs with SBB masks, the groups packed with one multiply each).
//   - splitBytes{32,64}AVX2 and joinBytes{32,64}AVX2 transpose 32 values
//     at a time between values and byte streams with an in-lane VPSHUFB and
//     VPUNPCK{L,H}{BW,WD,DQ,QDQ} stages; the low 128-bit lanes carry values
//     0-15 and the high lanes values 16-31 of each block, so each stream's
//     32 bytes leave in one store.
//
// The Go side (kernels/rle_avx2_amd64.go) hands these functions only whole
// blocks whose reads and writes stay inside the caller's slices.
package main

import (
	"encoding/binary"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

func main() {
	ConstraintExpr("!purego")

	genEqualMask8()
	genEqualMask32()
	bitSel := genBitSelect()
	genLevelsToBitmap()
	genBitmapToLevels(bitSel)
	genSplitBytes32()
	genSplitBytes64()
	genJoinBytes32()
	genJoinBytes64()
	genRunsRLE8()
	genRunsRLE1()

	Generate()
}

// constBytes emits a read-only table of the given bytes.
func constBytes(name string, b []byte) Mem {
	m := GLOBL(name, RODATA|NOPTR)
	for off := 0; off < len(b); off += 8 {
		DATA(off, U64(binary.LittleEndian.Uint64(b[off:])))
	}
	return m
}

// orReduce ors the bytes of acc together into the low byte of a
// general-purpose register (for 32-bit lanes: the dwords into the low dword).
func orReduce(acc reg.VecVirtual, dwords bool) reg.GPVirtual {
	x := XMM()
	VEXTRACTI128(Imm(1), acc, x)
	lo := acc.AsX()
	VPOR(x, lo, lo)
	shifts := []uint64{8, 4, 2, 1}
	if dwords {
		shifts = shifts[:2]
	}
	for _, s := range shifts {
		t := XMM()
		VPSRLDQ(Imm(s), lo, t)
		VPOR(t, lo, lo)
	}
	r := GP32()
	VMOVD(lo, r)
	return r
}

func genEqualMask8() {
	TEXT("equalMask8AVX2", NOSPLIT, "func(dst *uint64, src *uint8, words int) uint8")
	Doc("equalMask8AVX2 writes words equality words to dst: bit b of dst[j] is",
		"set when src[64j+b] == src[64j+b+1]. It reads src[:64*words+1] and",
		"returns the or of src[:64*words].")
	dst := Load(Param("dst"), GP64())
	src := Load(Param("src"), GP64())
	n := Load(Param("words"), GP64())
	// Two words an iteration, the values or-ed into two accumulators and
	// compared with the unaligned loads one value on as memory operands,
	// then the odd word.
	acc := [2]reg.VecVirtual{YMM(), YMM()}
	VPXOR(acc[0], acc[0], acc[0])
	VPXOR(acc[1], acc[1], acc[1])
	pairs := GP64()
	MOVQ(n, pairs)
	SHRQ(Imm(1), pairs)
	JZ(LabelRef("eq8one"))
	Label("eq8loop")
	for w := 0; w < 2; w++ {
		eq8Word(dst, src, 64*w, 8*w, acc)
	}
	ADDQ(Imm(128), src)
	ADDQ(Imm(16), dst)
	DECQ(pairs)
	JNZ(LabelRef("eq8loop"))
	Label("eq8one")
	TESTQ(U32(1), n)
	JZ(LabelRef("eq8done"))
	eq8Word(dst, src, 0, 0, acc)
	Label("eq8done")
	VPOR(acc[1], acc[0], acc[0])
	r := orReduce(acc[0], false)
	Store(r.As8(), ReturnIndex(0))
	VZEROUPPER()
	RET()
}

// eq8Word writes the equality word of the 65 values at src+off to
// dst+doff and ors its 64 values into acc.
func eq8Word(dst, src reg.Register, off, doff int, acc [2]reg.VecVirtual) {
	var m [2]reg.GPVirtual
	for h := 0; h < 2; h++ {
		a := YMM()
		VMOVDQU(Mem{Base: src, Disp: off + 32*h}, a)
		VPOR(a, acc[h], acc[h])
		VPCMPEQB(Mem{Base: src, Disp: off + 32*h + 1}, a, a)
		m[h] = GP32()
		VPMOVMSKB(a, m[h])
	}
	SHLQ(Imm(32), m[1].As64())
	ORQ(m[1].As64(), m[0].As64())
	MOVQ(m[0].As64(), Mem{Base: dst, Disp: doff})
}

func genEqualMask32() {
	TEXT("equalMask32AVX2", NOSPLIT, "func(dst *uint64, src *uint32, words int) uint32")
	Doc("equalMask32AVX2 writes words equality words to dst: bit b of dst[j] is",
		"set when src[64j+b] == src[64j+b+1]. It reads src[:64*words+1] and",
		"returns the or of src[:64*words].")
	dst := Load(Param("dst"), GP64())
	src := Load(Param("src"), GP64())
	n := Load(Param("words"), GP64())
	acc := YMM()
	VPXOR(acc, acc, acc)
	Label("eq32loop")
	word := GP64()
	XORQ(word, word)
	for k := 7; k >= 0; k-- {
		a, b := YMM(), YMM()
		VMOVDQU(Mem{Base: src, Disp: 32 * k}, a)
		VMOVDQU(Mem{Base: src, Disp: 32*k + 4}, b)
		VPOR(a, acc, acc)
		VPCMPEQD(b, a, b)
		m := GP32()
		VMOVMSKPS(b, m)
		SHLQ(Imm(8), word)
		ORQ(m.As64(), word)
	}
	MOVQ(word, Mem{Base: dst})
	ADDQ(U32(256), src)
	ADDQ(Imm(8), dst)
	DECQ(n)
	JNZ(LabelRef("eq32loop"))
	r := orReduce(acc, true)
	Store(r, ReturnIndex(0))
	VZEROUPPER()
	RET()
}

// genBitSelect emits the constants of bitmapToLevels: a VPSHUFB control
// that copies byte k/8 of a broadcast dword to byte k, and the bit each byte
// then tests.
func genBitSelect() [2]Mem {
	spread := make([]byte, 32)
	bit := make([]byte, 32)
	for k := range 32 {
		spread[k] = byte(k / 8)
		bit[k] = 1 << (k % 8)
	}
	return [2]Mem{constBytes("bitmapSpread", spread), constBytes("bitmapBit", bit)}
}

func genLevelsToBitmap() {
	TEXT("levelsToBitmapAVX2", NOSPLIT, "func(dst *byte, src *uint8, blocks int, v uint8)")
	Doc("levelsToBitmapAVX2 writes 8*blocks bitmap bytes to dst, bit i set when",
		"src[i] == v. It reads src[:64*blocks].")
	dst := Load(Param("dst"), GP64())
	src := Load(Param("src"), GP64())
	n := Load(Param("blocks"), GP64())
	v := Load(Param("v"), GP32())
	vx := XMM()
	VMOVD(v, vx)
	vy := YMM()
	VPBROADCASTB(vx, vy)
	Label("l2bloop")
	a, b := YMM(), YMM()
	VPCMPEQB(Mem{Base: src}, vy, a)
	VPCMPEQB(Mem{Base: src, Disp: 32}, vy, b)
	lo, hi := GP32(), GP32()
	VPMOVMSKB(a, lo)
	VPMOVMSKB(b, hi)
	SHLQ(Imm(32), hi.As64())
	ORQ(hi.As64(), lo.As64())
	MOVQ(lo.As64(), Mem{Base: dst})
	ADDQ(Imm(64), src)
	ADDQ(Imm(8), dst)
	DECQ(n)
	JNZ(LabelRef("l2bloop"))
	VZEROUPPER()
	RET()
}

func genBitmapToLevels(c [2]Mem) {
	TEXT("bitmapToLevelsAVX2", NOSPLIT, "func(dst *uint8, src *byte, blocks int, present, null uint8)")
	Doc("bitmapToLevelsAVX2 writes 64*blocks levels to dst: present where the",
		"bit of src is set, null where it is clear. It reads src[:8*blocks].")
	dst := Load(Param("dst"), GP64())
	src := Load(Param("src"), GP64())
	n := Load(Param("blocks"), GP64())
	p := Load(Param("present"), GP32())
	q := Load(Param("null"), GP32())
	py, qy := YMM(), YMM()
	px, qx := XMM(), XMM()
	VMOVD(p, px)
	VMOVD(q, qx)
	VPBROADCASTB(px, py)
	VPBROADCASTB(qx, qy)
	spread, bit := YMM(), YMM()
	VMOVDQU(c[0], spread)
	VMOVDQU(c[1], bit)
	Label("b2lloop")
	for h := range 2 {
		t := YMM()
		VPBROADCASTD(Mem{Base: src, Disp: 4 * h}, t)
		VPSHUFB(spread, t, t)
		VPAND(bit, t, t)
		VPCMPEQB(bit, t, t)
		VPBLENDVB(t, py, qy, t)
		VMOVDQU(t, Mem{Base: dst, Disp: 32 * h})
	}
	ADDQ(Imm(8), src)
	ADDQ(Imm(64), dst)
	DECQ(n)
	JNZ(LabelRef("b2lloop"))
	VZEROUPPER()
	RET()
}

// streams returns the addresses of the byte streams of a block: stream s
// at base + s*stride, for k streams. It uses index addressing with stride
// and 3*stride from base and from base+4*stride.
type streams struct {
	base, base4, stride, stride3 reg.Register
}

func newStreams(base, stride reg.Register, k int) streams {
	s := streams{base: base, stride: stride, stride3: GP64()}
	LEAQ(Mem{Base: stride, Index: stride, Scale: 2}, s.stride3)
	if k == 8 {
		s.base4 = GP64()
		LEAQ(Mem{Base: base, Index: stride, Scale: 4}, s.base4)
	}
	return s
}

func (s streams) at(i int) Mem {
	b := s.base
	if i >= 4 {
		b, i = s.base4, i-4
	}
	switch i {
	case 0:
		return Mem{Base: b}
	case 1:
		return Mem{Base: b, Index: s.stride, Scale: 1}
	case 2:
		return Mem{Base: b, Index: s.stride, Scale: 2}
	default:
		return Mem{Base: b, Index: s.stride3, Scale: 1}
	}
}

func (s streams) advance(n int) {
	ADDQ(U32(uint32(n)), s.base)
	if s.base4 != nil {
		ADDQ(U32(uint32(n)), s.base4)
	}
}

// unpack applies one interleaving stage: out[2i] and out[2i+1] are the low
// and high interleavings of in[a] and in[b] for each pair.
func unpack(lo, hi func(b, a, dst Op), in []reg.VecVirtual, pairs [][2]int) []reg.VecVirtual {
	out := make([]reg.VecVirtual, 0, 2*len(pairs))
	for _, p := range pairs {
		l, h := YMM(), YMM()
		lo(in[p[1]], in[p[0]], l)
		hi(in[p[1]], in[p[0]], h)
		out = append(out, l, h)
	}
	return out
}

func wrap(f func(...Op)) func(b, a, dst Op) { return func(b, a, dst Op) { f(b, a, dst) } }

func genSplitBytes32() {
	TEXT("splitBytes32AVX2", NOSPLIT, "func(dst *byte, src *uint32, blocks int, stride int)")
	Doc("splitBytes32AVX2 writes the four byte streams of 32*blocks values:",
		"byte s of src[i] goes to dst[s*stride+i]. It reads src[:32*blocks].")
	dst := Load(Param("dst"), GP64())
	src := Load(Param("src"), GP64())
	n := Load(Param("blocks"), GP64())
	stride := Load(Param("stride"), GP64())
	// In-lane 4x4 byte transpose: byte 4s+j takes byte 4j+s.
	ctl := make([]byte, 32)
	for k := range 32 {
		s, j := (k%16)/4, k%4
		ctl[k] = byte(4*j + s)
	}
	shuf := YMM()
	VMOVDQU(constBytes("split32Shuffle", ctl), shuf)
	st := newStreams(dst, stride, 4)
	Label("split32loop")
	r := make([]reg.VecVirtual, 4)
	for k := range 4 {
		r[k] = YMM()
		VBROADCASTI128(Mem{Base: src, Disp: 16 * k}, r[k])
		VINSERTI128(Imm(1), Mem{Base: src, Disp: 64 + 16*k}, r[k], r[k])
		VPSHUFB(shuf, r[k], r[k])
	}
	t := unpack(wrap(VPUNPCKLDQ), wrap(VPUNPCKHDQ), r, [][2]int{{0, 1}, {2, 3}})
	// t: 0 = streams 0,1 of rows 0,1; 1 = streams 2,3 of rows 0,1; 2, 3 the
	// same for rows 2,3.
	o := unpack(wrap(VPUNPCKLQDQ), wrap(VPUNPCKHQDQ), t, [][2]int{{0, 2}, {1, 3}})
	for s := range 4 {
		VMOVDQU(o[s], st.at(s))
	}
	ADDQ(U32(128), src)
	st.advance(32)
	DECQ(n)
	JNZ(LabelRef("split32loop"))
	VZEROUPPER()
	RET()
}

func genSplitBytes64() {
	TEXT("splitBytes64AVX2", NOSPLIT, "func(dst *byte, src *uint64, blocks int, stride int)")
	Doc("splitBytes64AVX2 writes the eight byte streams of 32*blocks values:",
		"byte s of src[i] goes to dst[s*stride+i]. It reads src[:32*blocks].")
	dst := Load(Param("dst"), GP64())
	src := Load(Param("src"), GP64())
	n := Load(Param("blocks"), GP64())
	stride := Load(Param("stride"), GP64())
	// In-lane 2x8 byte transpose: byte 2s+j takes byte 8j+s.
	ctl := make([]byte, 32)
	for k := range 32 {
		s, j := (k%16)/2, k%2
		ctl[k] = byte(8*j + s)
	}
	shuf := YMM()
	VMOVDQU(constBytes("split64Shuffle", ctl), shuf)
	st := newStreams(dst, stride, 8)
	Label("split64loop")
	r := make([]reg.VecVirtual, 8)
	for k := range 8 {
		r[k] = YMM()
		VBROADCASTI128(Mem{Base: src, Disp: 16 * k}, r[k])
		VINSERTI128(Imm(1), Mem{Base: src, Disp: 128 + 16*k}, r[k], r[k])
		VPSHUFB(shuf, r[k], r[k])
	}
	// Rows k hold the 16-bit words W_s(k), s = 0..7; transpose the 8x8
	// word matrix.
	t := unpack(wrap(VPUNPCKLWD), wrap(VPUNPCKHWD), r, [][2]int{{0, 1}, {2, 3}, {4, 5}, {6, 7}})
	// t[2p]: streams 0-3 of rows 2p,2p+1; t[2p+1]: streams 4-7.
	u := unpack(wrap(VPUNPCKLDQ), wrap(VPUNPCKHDQ), t, [][2]int{{0, 2}, {1, 3}, {4, 6}, {5, 7}})
	// u[0..3]: streams (0,1), (2,3), (4,5), (6,7) of rows 0-3; u[4..7]:
	// the same of rows 4-7.
	o := unpack(wrap(VPUNPCKLQDQ), wrap(VPUNPCKHQDQ), u, [][2]int{{0, 4}, {1, 5}, {2, 6}, {3, 7}})
	for s := range 8 {
		VMOVDQU(o[s], st.at(s))
	}
	ADDQ(U32(256), src)
	st.advance(32)
	DECQ(n)
	JNZ(LabelRef("split64loop"))
	VZEROUPPER()
	RET()
}

func genJoinBytes32() {
	TEXT("joinBytes32AVX2", NOSPLIT, "func(dst *uint32, src *byte, blocks int, stride int)")
	Doc("joinBytes32AVX2 rebuilds 32*blocks values from four byte streams:",
		"byte s of dst[i] comes from src[s*stride+i]. It reads",
		"src[s*stride : s*stride+32*blocks] for each stream s.")
	dst := Load(Param("dst"), GP64())
	src := Load(Param("src"), GP64())
	n := Load(Param("blocks"), GP64())
	stride := Load(Param("stride"), GP64())
	st := newStreams(src, stride, 4)
	Label("join32loop")
	in := make([]reg.VecVirtual, 4)
	for s := range 4 {
		in[s] = YMM()
		VMOVDQU(st.at(s), in[s])
	}
	a := unpack(wrap(VPUNPCKLBW), wrap(VPUNPCKHBW), in, [][2]int{{0, 1}, {2, 3}})
	// a[0]: values 0-7 (streams 0,1), a[1]: values 8-15, a[2], a[3]: the
	// same for streams 2,3.
	b := unpack(wrap(VPUNPCKLWD), wrap(VPUNPCKHWD), a, [][2]int{{0, 2}, {1, 3}})
	// b[j]: values 4j..4j+3 complete (and 16+4j.. in the high lane).
	for j := range 4 {
		VMOVDQU(b[j].AsX(), Mem{Base: dst, Disp: 16 * j})
		VEXTRACTI128(Imm(1), b[j], Mem{Base: dst, Disp: 64 + 16*j})
	}
	ADDQ(U32(128), dst)
	st.advance(32)
	DECQ(n)
	JNZ(LabelRef("join32loop"))
	VZEROUPPER()
	RET()
}

func genJoinBytes64() {
	TEXT("joinBytes64AVX2", NOSPLIT, "func(dst *uint64, src *byte, blocks int, stride int)")
	Doc("joinBytes64AVX2 rebuilds 32*blocks values from eight byte streams:",
		"byte s of dst[i] comes from src[s*stride+i]. It reads",
		"src[s*stride : s*stride+32*blocks] for each stream s.")
	dst := Load(Param("dst"), GP64())
	src := Load(Param("src"), GP64())
	n := Load(Param("blocks"), GP64())
	stride := Load(Param("stride"), GP64())
	st := newStreams(src, stride, 8)
	Label("join64loop")
	in := make([]reg.VecVirtual, 8)
	for s := range 8 {
		in[s] = YMM()
		VMOVDQU(st.at(s), in[s])
	}
	a := unpack(wrap(VPUNPCKLBW), wrap(VPUNPCKHBW), in, [][2]int{{0, 1}, {2, 3}, {4, 5}, {6, 7}})
	// a[2p]: values 0-7 with streams 2p,2p+1; a[2p+1]: values 8-15.
	b := unpack(wrap(VPUNPCKLWD), wrap(VPUNPCKHWD), a, [][2]int{{0, 2}, {1, 3}, {4, 6}, {5, 7}})
	// b[0..3]: values 0-3, 4-7, 8-11, 12-15 with streams 0-3; b[4..7]: the
	// same with streams 4-7.
	c := unpack(wrap(VPUNPCKLDQ), wrap(VPUNPCKHDQ), b, [][2]int{{0, 4}, {1, 5}, {2, 6}, {3, 7}})
	// c[j]: values 2j, 2j+1 complete (and 16+2j, 17+2j in the high lane).
	for j := range 8 {
		VMOVDQU(c[j].AsX(), Mem{Base: dst, Disp: 16 * j})
		VEXTRACTI128(Imm(1), c[j], Mem{Base: dst, Disp: 128 + 16*j})
	}
	ADDQ(U32(256), dst)
	st.advance(32)
	DECQ(n)
	JNZ(LabelRef("join64loop"))
	VZEROUPPER()
	RET()
}

// genRunsRLE8 generates runsRLE8BMI. The state st holds p, wi and bm: the
// start of the next run, the word of e being walked and its run ends at or
// after p. The loop keeps qp = p-1 (the end of the run before), ep =
// &e[wi] and wb = 64*wi. Short runs (c < k) are written and backed out of:
// pm holds the length of the run before when it was short, else 0.
func genRunsRLE8() {
	name := "runsRLE8BMI"
	TEXT(name, NOSPLIT, "func(out *byte, d int, src *uint8, last int, e *uint64, st *[3]uint64, k int, limit int) (int, int)")
	Pragma("noescape")
	Doc(name+" is runsRLE8Ref for one-byte values and last = len(src)-1: it",
		"writes RLE runs to out[d:] from the state st, returns the new d and",
		"how it stopped, and leaves the new state in st. It writes at most",
		"out[:limit+3], reads src[:last+1] and e up to the word of its last",
		"run end.")
	out := Load(Param("out"), GP64())
	d := Load(Param("d"), GP64())
	src := Load(Param("src"), GP64())
	e := Load(Param("e"), GP64())
	st := Load(Param("st"), GP64())
	lastArg, stArg := NewParamAddr("last", 24), NewParamAddr("st", 40)
	kArg, limitArg := NewParamAddr("k", 48), NewParamAddr("limit", 56)
	qp, ep, wb, bm := GP64(), GP64(), GP64(), GP64()
	MOVQ(Mem{Base: st}, qp)
	DECQ(qp)
	MOVQ(Mem{Base: st, Disp: 8}, wb)
	LEAQ(Mem{Base: e, Index: wb, Scale: 8}, ep)
	SHLQ(Imm(6), wb)
	MOVQ(Mem{Base: st, Disp: 16}, bm)
	pm := GP64()
	XORQ(pm, pm)
	q, c, t, two, v := GP64(), GP64(), GP64(), GP64(), GP64()
	pre := name + "_"

	Label(pre + "loop")
	TESTQ(bm, bm)
	JZ(LabelRef(pre + "next"))
	Label(pre + "found")
	// q = 64*wi + tz(bm); the run ending at the last value is left to
	// the general steps. c = q-qp.
	TZCNTQ(bm, q)
	ADDQ(wb, q)
	CMPQ(q, lastArg)
	JAE(LabelRef(pre + "general"))
	MOVQ(q, c)
	SUBQ(qp, c)
	// The header c<<1 as ULEB128, one byte below 64, else two (c < 1<<13
	// or the run is backed out of): 2c + (c>>6 + two)<<7, in a 2-byte
	// store; the value after it (the run's last value is its first).
	MOVBQZX(Mem{Base: src, Index: q, Scale: 1}, v)
	MOVQ(c, t)
	SHRQ(Imm(6), t)
	XORL(two.As32(), two.As32())
	CMPQ(c, Imm(64))
	SETCC(two.As8())
	ADDQ(two, t)
	SHLQ(Imm(7), t)
	LEAQ(Mem{Base: t, Index: c, Scale: 2}, t)
	MOVW(t.As16(), Mem{Base: out, Index: d, Scale: 1})
	LEAQ(Mem{Base: d, Index: two, Scale: 1, Disp: 1}, t)
	MOVB(v.As8(), Mem{Base: out, Index: t, Scale: 1})
	// s = -1 when the run is short. A short run after a short run and a
	// run too long for the header above stop the loop.
	s := v
	CMPQ(c, kArg)
	SBBQ(s, s)
	TESTQ(s, pm)
	JNZ(LabelRef(pre + "stretch"))
	CMPQ(c, U32(1<<13))
	JAE(LabelRef(pre + "general"))
	MOVQ(c, pm)
	ANDQ(s, pm)
	LEAQ(Mem{Base: d, Index: two, Scale: 1, Disp: 2}, d)
	MOVQ(q, qp)
	BLSRQ(bm, bm)
	CMPQ(d, limitArg)
	JLE(LabelRef(pre + "loop"))
	// At limit: a short run just written goes to the general steps.
	XORQ(two, two)
	TESTQ(pm, pm)
	JZ(LabelRef(pre + "done"))
	JMP(LabelRef(pre + "general"))

	Label(pre + "next")
	ADDQ(Imm(8), ep)
	ADDQ(Imm(64), wb)
	MOVQ(Mem{Base: ep}, bm)
	NOTQ(bm)
	TESTQ(bm, bm)
	JZ(LabelRef(pre + "next"))
	JMP(LabelRef(pre + "found"))

	// how (in two): 1 for a stretch to price, 2 for the general steps.
	// Back out of the short run before, two bytes, and restart the state
	// at its start.
	Label(pre + "stretch")
	MOVQ(U32(1), two)
	JMP(LabelRef(pre + "back"))
	Label(pre + "general")
	MOVQ(U32(2), two)
	Label(pre + "back")
	TESTQ(pm, pm)
	JZ(LabelRef(pre + "state"))
	SUBQ(pm, qp)
	SUBQ(Imm(2), d)
	Label(pre + "state")
	INCQ(qp)
	MOVQ(qp, wb)
	SHRQ(Imm(6), wb)
	MOVQ(Mem{Base: e, Index: wb, Scale: 8}, bm)
	NOTQ(bm)
	MOVQ(I32(-1), t)
	SHLXQ(qp, t, t)
	ANDQ(t, bm)
	SHLQ(Imm(6), wb)
	DECQ(qp)

	Label(pre + "done")
	INCQ(qp)
	SHRQ(Imm(6), wb)
	MOVQ(stArg, t)
	MOVQ(qp, Mem{Base: t})
	MOVQ(wb, Mem{Base: t, Disp: 8})
	MOVQ(bm, Mem{Base: t, Disp: 16})
	Store(d, ReturnIndex(0))
	Store(two, ReturnIndex(1))
	RET()
}

// genRunsRLE1 generates runsRLE1BMI, runsRLE1Ref in assembly. Registers:
// the state is p = qp+1 (qp: the end of the run before), bm the run ends of
// the word at ep = &e[wi], wb = 64*wi; lit is the start of the stretch and
// r its short runs so far, each written at once as a two-byte RLE run, so
// that the output at lit is at d-2r. The stretch path uses ep and wb as
// scratch and rebuilds them from qp.
func genRunsRLE1() {
	name := "runsRLE1BMI"
	TEXT(name, NOSPLIT, "func(out *byte, d int, src *uint8, last int, e *uint64, st *[3]uint64, limit int) (int, int)")
	Pragma("noescape")
	Doc(name+" is runsRLE1Ref with last = len(src)-1: it writes to out[d:]",
		"from the state st, returns the new d and how it stopped, and leaves",
		"the new state in st. It writes at most out[:limit+48], reads",
		"src[:last+1] and e up to the word of its last run end, and for a",
		"stretch it prices the 8 bytes of e from the byte that holds the bit",
		"where the stretch's whole groups end.")
	out, d, src, bm := reg.RAX, reg.RBX, reg.RCX, reg.RDX
	ep, wb, qp, r := reg.RSI, reg.RDI, reg.R8, reg.R9
	lit, q, c, v := reg.R10, reg.R11, reg.R12, reg.R13
	t, two := reg.R14, reg.R15
	eArg, stArg := NewParamAddr("e", 32), NewParamAddr("st", 40)
	lastArg, limitArg := NewParamAddr("last", 24), NewParamAddr("limit", 48)
	pre := name + "_"
	L := func(s string) LabelRef { return LabelRef(pre + s) }

	Load(Param("out"), out)
	Load(Param("d"), d)
	Load(Param("src"), src)
	MOVQ(stArg, t)
	MOVQ(Mem{Base: t}, lit)
	MOVQ(Mem{Base: t, Disp: 8}, wb)
	MOVQ(Mem{Base: t, Disp: 16}, bm)
	MOVQ(eArg, ep)
	LEAQ(Mem{Base: ep, Index: wb, Scale: 8}, ep)
	SHLQ(Imm(6), wb)
	LEAQ(Mem{Base: lit, Disp: -1}, qp)
	XORL(r.As32(), r.As32())

	Label(pre + "loop")
	TESTQ(bm, bm)
	JZ(L("next"))
	Label(pre + "found")
	// The run (qp, q]: c values of value v. A run that ends at the last
	// value is left to the caller.
	TZCNTQ(bm, q)
	ADDQ(wb, q)
	CMPQ(q, lastArg)
	JAE(L("stop"))
	MOVQ(q, c)
	SUBQ(qp, c)
	MOVBQZX(Mem{Base: src, Index: q, Scale: 1}, v)
	MOVQ(q, qp)
	BLSRQ(bm, bm)
	CMPQ(c, Imm(16))
	JB(L("short"))
	CMPQ(c, U32(1<<13))
	JAE(L("stop"))
	// A long run after a long run, or after one short run, which stays
	// an RLE run (R wins that stretch) unless A lets this run's header
	// shrink to one byte: only when 64 <= c < 72. Other stretches are
	// priced below.
	CMPQ(r, Imm(1))
	JA(L("stretch"))
	LEAQ(Mem{Base: c, Disp: -64}, t)
	CMPQ(t, Imm(8))
	SBBQ(t, t)
	TESTQ(r, t)
	JNZ(L("stretch"))
	// The header c<<1 as ULEB128 in one byte below 64, else two, 2c +
	// (c>>6 + two)<<7 in a 2-byte store, then the value.
	runHeader(c, t, two)
	MOVW(t.As16(), Mem{Base: out, Index: d, Scale: 1})
	LEAQ(Mem{Base: d, Index: two, Scale: 1, Disp: 1}, t)
	MOVB(v.As8(), Mem{Base: out, Index: t, Scale: 1})
	LEAQ(Mem{Base: d, Index: two, Scale: 1, Disp: 2}, d)
	LEAQ(Mem{Base: qp, Disp: 1}, lit)
	XORL(r.As32(), r.As32())
	CMPQ(d, limitArg)
	JLE(L("loop"))
	JMP(L("limit"))

	// A short run: written as an RLE run (2c, v) at once; a stretch of
	// more than 16 stops.
	Label(pre + "short")
	CMPQ(r, Imm(16))
	JAE(L("stop"))
	INCQ(r)
	SHLQ(Imm(8), v)
	LEAQ(Mem{Base: v, Index: c, Scale: 2}, t)
	MOVW(t.As16(), Mem{Base: out, Index: d, Scale: 1})
	ADDQ(Imm(2), d)
	JMP(L("loop"))

	Label(pre + "next")
	ADDQ(Imm(8), ep)
	ADDQ(Imm(64), wb)
	MOVQ(Mem{Base: ep}, bm)
	NOTQ(bm)
	TESTQ(bm, bm)
	JZ(L("next"))
	JMP(L("found"))

	// A stretch [lit, s) of r short runs before the long run (qp-c, qp].
	// m = s-lit <= 240 values, t8 = m&7, g = m>>3. Costs: R = 2r (what is
	// written); B = 1+g+2*tail when g > 0, tail the runs among the last
	// t8 values (their run ends: the clear bits of e from s-t8, t8 of
	// them); A = 2+g-1 when the run's header shrinks to one byte (64 <= c
	// < 72-t8), else 2+g, when t8 > 0. Absent costs are all ones.
	Label(pre + "stretch")
	s, m, t8, win, costB, costA, tmp := q, wb, two, t, ep, v, reg.R11
	LEAQ(Mem{Base: qp, Disp: 1}, s)
	SUBQ(c, s)
	MOVQ(s, m)
	SUBQ(lit, m)
	SUBQ(r, d)
	SUBQ(r, d)
	ADDQ(r, r)
	MOVQ(m, t8)
	ANDQ(Imm(7), t8)
	SHRQ(Imm(3), m)
	g := m
	// win: the run ends from a0 = s-t8 = lit+8g, t8 bits.
	SUBQ(t8, s)
	a0 := s
	MOVQ(a0, win)
	SHRQ(Imm(3), win)
	ADDQ(eArg, win)
	MOVQ(Mem{Base: win}, win)
	NOTQ(win)
	MOVQ(a0, costB)
	ANDQ(Imm(7), costB)
	SHRXQ(costB, win, win)
	BZHIQ(t8, win, win)
	POPCNTQ(win, costA)
	LEAQ(Mem{Base: g, Index: costA, Scale: 2, Disp: 1}, costB)
	CMPQ(g, Imm(1))
	SBBQ(costA, costA)
	ORQ(costA, costB)
	// costA (a0 is lit+8g: the B path finds it again after packing).
	MOVQ(U32(8), tmp)
	SUBQ(t8, tmp)
	LEAQ(Mem{Base: c, Disp: -64}, costA)
	CMPQ(costA, tmp)
	SBBQ(costA, costA)
	LEAQ(Mem{Base: g, Index: costA, Scale: 1, Disp: 2}, costA)
	CMPQ(t8, Imm(1))
	SBBQ(tmp, tmp)
	ORQ(tmp, costA)
	costR := r
	CMPQ(costR, costB)
	JA(L("notR"))
	CMPQ(costR, costA)
	JA(L("notR"))
	// R: the runs as written.
	ADDQ(costR, d)
	JMP(L("run"))

	Label(pre + "notR")
	CMPQ(costB, costA)
	JA(L("A"))
	// B: g groups from lit, then the runs among the last t8 values.
	LEAQ(Mem{Base: g, Index: g, Scale: 1, Disp: 1}, tmp)
	MOVB(tmp.As8(), Mem{Base: out, Index: d, Scale: 1})
	INCQ(d)
	packGroups(out, d, src, lit, g, r, tmp, pre+"packB")
	// lit = a0 now; win holds the run ends from a0.
	a := lit
	end := tmp
	TESTQ(win, win)
	JZ(L("run"))
	MOVQ(lit, costB)
	Label(pre + "tail")
	// The run [a, a0+j+1) for the run end j of win.
	TZCNTQ(win, end)
	LEAQ(Mem{Base: costB, Index: end, Scale: 1, Disp: 1}, end)
	MOVQ(end, r)
	SUBQ(a, r)
	ADDQ(r, r)
	MOVBQZX(Mem{Base: src, Index: a, Scale: 1}, costA)
	MOVB(r.As8(), Mem{Base: out, Index: d, Scale: 1})
	MOVB(costA.As8(), Mem{Base: out, Index: d, Scale: 1, Disp: 1})
	ADDQ(Imm(2), d)
	MOVQ(end, a)
	BLSRQ(win, win)
	JNZ(L("tail"))
	JMP(L("run"))

	Label(pre + "A")
	// A: g+1 groups from lit, the last completed by the first 8-t8 values
	// of the run, which loses them.
	LEAQ(Mem{Base: g, Index: g, Scale: 1, Disp: 3}, tmp)
	MOVB(tmp.As8(), Mem{Base: out, Index: d, Scale: 1})
	INCQ(d)
	INCQ(g)
	packGroups(out, d, src, lit, g, r, tmp, pre+"packA")
	SUBQ(Imm(8), c)
	ADDQ(t8, c)

	// The long run of c values ending at qp, after the stretch; then the
	// state back in the loop's registers.
	Label(pre + "run")
	runHeader(c, t, two)
	MOVBQZX(Mem{Base: src, Index: qp, Scale: 1}, v)
	MOVW(t.As16(), Mem{Base: out, Index: d, Scale: 1})
	LEAQ(Mem{Base: d, Index: two, Scale: 1, Disp: 1}, t)
	MOVB(v.As8(), Mem{Base: out, Index: t, Scale: 1})
	LEAQ(Mem{Base: d, Index: two, Scale: 1, Disp: 2}, d)
	LEAQ(Mem{Base: qp, Disp: 1}, lit)
	XORL(r.As32(), r.As32())
	MOVQ(qp, wb)
	ANDQ(I32(-64), wb)
	MOVQ(wb, ep)
	SHRQ(Imm(3), ep)
	ADDQ(eArg, ep)
	CMPQ(d, limitArg)
	JLE(L("loop"))

	// At limit: the state after the last step, how = runsLimit.
	Label(pre + "limit")
	XORL(two.As32(), two.As32())
	INCQ(qp)
	SHRQ(Imm(6), wb)
	JMP(L("state"))

	// A step left to the caller: back out of the short runs written and
	// restart at lit, how = runsGeneral.
	Label(pre + "stop")
	SUBQ(r, d)
	SUBQ(r, d)
	MOVQ(lit, qp)
	MOVQ(lit, wb)
	SHRQ(Imm(6), wb)
	MOVQ(eArg, t)
	MOVQ(Mem{Base: t, Index: wb, Scale: 8}, bm)
	NOTQ(bm)
	MOVQ(I32(-1), t)
	SHLXQ(lit, t, t)
	ANDQ(t, bm)
	MOVQ(U32(2), two)

	Label(pre + "state")
	MOVQ(stArg, t)
	MOVQ(qp, Mem{Base: t})
	MOVQ(wb, Mem{Base: t, Disp: 8})
	MOVQ(bm, Mem{Base: t, Disp: 16})
	Store(d, ReturnIndex(0))
	Store(two, ReturnIndex(1))
	RET()
}

// runHeader sets h to the ULEB128 run header c<<1 of a run of c < 1<<13
// values as a 16-bit word, 2c + (c>>6 + two)<<7, and two to 1 when it takes
// two bytes (c >= 64), else 0.
func runHeader(c, h, two reg.GPPhysical) {
	MOVQ(c, h)
	SHRQ(Imm(6), h)
	XORL(two.As32(), two.As32())
	CMPQ(c, Imm(64))
	SETCC(two.As8())
	ADDQ(two, h)
	SHLQ(Imm(7), h)
	LEAQ(Mem{Base: h, Index: c, Scale: 2}, h)
}

// packGroups writes g >= 1 bit-packed width-1 groups of the levels at
// src[lit:] to out[d:], one byte each: the eight 0/1 bytes times
// 0x0102040810204080 gather their bits in the top byte. It advances d and
// lit and clears g; k and x are scratch.
func packGroups(out, d, src, lit, g, k, x reg.GPPhysical, label string) {
	MOVQ(U64(0x0102040810204080), k)
	Label(label)
	MOVQ(Mem{Base: src, Index: lit, Scale: 1}, x)
	IMULQ(k, x)
	SHRQ(Imm(56), x)
	MOVB(x.As8(), Mem{Base: out, Index: d, Scale: 1})
	INCQ(d)
	ADDQ(Imm(8), lit)
	DECQ(g)
	JNZ(LabelRef(label))
}
