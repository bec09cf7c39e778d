// Command bitpack generates the AVX2 bit-packing kernels of package kernels:
// kernels/bitpack_amd64.s and its Go declarations kernels/bitpack_amd64.go.
//
// Every kernel works on groups of eight values, which in Parquet's layout
// fill exactly width bytes. The unpack kernels load each group into the two
// 128-bit lanes of a YMM register (the bytes of values 0-3 in the low lane,
// those of values 4-7 in the high one, or pairs of 64-bit values per lane),
// gather each value's bytes into its own lane with VPSHUFB, shift them into
// place with per-lane variable shifts and mask them. The per-width shuffle
// and shift vectors are tables emitted below, so one loop body serves each
// class of widths: widths whose group fits a 16-byte window load it once
// for both lanes, whole-byte widths need the shuffle alone, and widths whose
// values can span one byte more than a lane take a second shuffle.
//
// The pack kernels merge neighbouring values in registers: pairs of 32-bit
// values into 64-bit lanes, pairs of those into 128-bit lanes, and the two
// lanes into the group's width bytes with one cross-lane permute and a
// shuffle; widths 1, 8, 16 and 24 have loops of their own. Widths above 32
// for 64-bit values are packed in general-purpose registers, unrolled per
// width.
//
// The Go side (kernels/bitpack_asm.go, kernels/bitpack_avx2_amd64.go)
// decides how many groups the assembly may process without reading or
// writing past the caller's slices.
package main

import (
	"encoding/binary"
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

func main() {
	ConstraintExpr("!purego")

	unpack32Table := genUnpack32Table()
	unpack64Table := genUnpack64Table()
	pack32Table := genPack32Table()
	packBytePerm = GLOBL("packBytePerm", RODATA|NOPTR)
	for i, d := range []uint32{0, 4, 1, 5, 2, 6, 3, 7} {
		DATA(4*i, U32(d))
	}
	pack24Consts = GLOBL("pack24Consts", RODATA|NOPTR)
	for lane := 0; lane < 2; lane++ { // per lane: the low 3 bytes of each dword, then zeros
		for k := 0; k < 16; k++ {
			idx := zeroIdx
			if k < 12 {
				idx = k/3*4 + k%3
			}
			DATA(16*lane+k, U8(idx))
		}
	}
	for i, d := range []uint32{0, 1, 2, 4, 5, 6, 7, 7} {
		DATA(32+4*i, U32(d))
	}

	genUnpack32(unpack32Table)
	genUnpack64(unpack64Table)
	genPack32(pack32Table)
	genPack64(pack32Table)
	genUnpackMiniblocks32(unpack32Table)
	genUnpackMiniblocks64(unpack64Table)
	genPackMiniblocks32(pack32Table)
	genPackMiniblocks64(pack32Table)

	Generate()
}

const zeroIdx = 0x80 // VPSHUFB index that yields a zero byte

// ---------------------------------------------------------------------------
// Tables

// unpack32 table: per width w (0..32) 128 bytes:
//
//	 0: shuffle of the first four covering bytes of each value (per lane)
//	32: right shift of each dword by the value's bit offset
//	64: shuffle of the fifth covering byte into the low byte of the dword
//	96: left shift of that byte by 32-offset (32, i.e. nothing, when the
//	    value fits in four bytes)
const unpack32Entry = 128

// minWide32 is the smallest width at which a value can span five bytes.
var minWide32 = 33

// u32Bcast reports whether all eight values of a group of width w lie in
// the group's first 16 bytes, so that one broadcast load feeds both lanes.
func u32Bcast(w int) bool { return w <= 14 || w == 16 }

// u32Exact reports whether the width is whole bytes, so that the shuffle
// alone places every value (no shift, no mask).
func u32Exact(w int) bool { return w%8 == 0 && w < 32 }

func genUnpack32Table() Mem {
	t := newTable(33 * unpack32Entry)
	for w := 0; w <= 32; w++ {
		base := w * unpack32Entry
		half := (4 * w) >> 3 // first byte of the high lane
		if u32Bcast(w) {
			half = 0
		}
		for i := 0; i < 8; i++ {
			lane := i / 4
			bit := i * w
			start := bit >> 3
			off := bit & 7
			if lane == 1 {
				start -= half
			}
			for b := 0; b < 4; b++ {
				idx := start + b
				if w == 0 || (u32Exact(w) && b >= w/8) {
					idx = zeroIdx
				} else if idx > 15 {
					panic(fmt.Sprintf("unpack32 width %d value %d byte %d outside lane", w, i, idx))
				}
				t.put(base+4*i+b, U8(idx))
			}
			t.put(base+32+4*i, U32(off))
			wide := w > 0 && off+w > 32
			if wide && w < minWide32 {
				minWide32 = w
			}
			for b := 0; b < 4; b++ {
				idx := zeroIdx
				if wide && b == 0 {
					idx = start + 4
					if idx > 15 {
						panic(fmt.Sprintf("unpack32 width %d value %d fifth byte outside lane", w, i))
					}
				}
				t.put(base+64+4*i+b, U8(idx))
			}
			shl := 32
			if wide {
				shl = 32 - off
			}
			t.put(base+96+4*i, U32(shl))
		}
	}
	return t.emit("unpack32Table")
}

// unpack64 table: per width w (0..64) 256 bytes, for the two YMM registers
// of a group (A: values 0-3, B: values 4-7), two values per 128-bit lane,
// each lane loaded from the first byte of its pair:
//
//	  0: A shuffle of eight bytes per qword   32: A right shifts
//	 64: B shuffle                            96: B right shifts
//	128: A shuffle of the ninth byte          160: A left shifts (64-offset)
//	192: B shuffle of the ninth byte          224: B left shifts
//
// Width 63 does not fit two values in a 16-byte lane; it has its own code.
const unpack64Entry = 256

var minWide64 = 65

func pairBase(p, w int) int { return (2 * p * w) >> 3 }

func genUnpack64Table() Mem {
	t := newTable(65 * unpack64Entry)
	for w := 0; w <= 64; w++ {
		if w == 63 {
			continue
		}
		base := w * unpack64Entry
		for i := 0; i < 8; i++ {
			reg := i / 4 // 0: A, 1: B
			slot := i % 4
			bit := i * w
			// Up to 32 bits, each register's four values come from one
			// 16-byte window broadcast to both lanes; above, each pair of
			// values has its own window.
			window := pairBase(i/2, w)
			if w <= 32 {
				window = (4 * reg * w) >> 3
			}
			start := bit>>3 - window
			off := bit & 7
			shuf := base + reg*64 + 8*slot
			for b := 0; b < 8; b++ {
				idx := start + b
				if w == 0 || (u64Exact(w) && b >= w/8) {
					idx = zeroIdx
				} else if idx > 15 {
					if w <= 32 && 8*b >= off+w { // bytes past the value
						idx = zeroIdx
					} else {
						panic(fmt.Sprintf("unpack64 width %d value %d byte %d outside lane", w, i, idx))
					}
				}
				t.put(shuf+b, U8(idx))
			}
			t.put(shuf+32, U64(uint64(off)))
			wide := w > 0 && off+w > 64
			if wide && w < minWide64 {
				minWide64 = w
			}
			shuf2 := base + 128 + reg*64 + 8*slot
			for b := 0; b < 8; b++ {
				idx := zeroIdx
				if wide && b == 0 {
					idx = start + 8
					if idx > 15 {
						panic(fmt.Sprintf("unpack64 width %d value %d ninth byte outside lane", w, i))
					}
				}
				t.put(shuf2+b, U8(idx))
			}
			shl := 64
			if wide {
				shl = 64 - off
			}
			t.put(shuf2+32, U64(uint64(shl)))
		}
	}
	return t.emit("unpack64Table")
}

// u64Exact reports whether the 64-bit values of width w are whole bytes
// placed by the shuffle alone (the widths of the broadcast scheme).
func u64Exact(w int) bool { return w%8 == 0 && w <= 32 }

// pack32 table: per width w (0..32) 256 bytes:
//
//	  0: mask of the even dwords (low w bits of each qword)
//	 32: mask of the odd dwords (bits 32..32+w of each qword)
//	 64: right shift of the odd values to bit w (32-w per qword)
//	 96: left shifts L, 128: left shifts M, 160: right shifts N1,
//	192: right shifts N2 (see packGroup)
//	224: shuffle placing the high lane's bytes after the low lane's
const pack32Entry = 256

// smallPack is the largest width whose four values, shifted by the high
// lane's bit offset, fit one 64-bit word.
const smallPack = 16

func genPack32Table() Mem {
	t := newTable(33 * pack32Entry)
	for w := 0; w <= 32; w++ {
		base := w * pack32Entry
		mask := uint64(1)<<w - 1
		r := (4 * w) & 7 // bit shift of the high lane's bits
		p := (4 * w) >> 3
		for q := 0; q < 4; q++ {
			t.put(base+8*q, U64(mask))
			t.put(base+32+8*q, U64(mask<<32))
			t.put(base+64+8*q, U64(uint64(32-w)))
		}
		if w <= smallPack {
			// Four values fit a 64-bit word: each lane's low word becomes
			// q0<<s0 | q1<<(2w+s0) with two shifts (see packGroup).
			for lane := 0; lane < 2; lane++ {
				s0 := lane * r
				o := base + 16*lane
				t.put(o+96, U64(uint64(s0)))
				t.put(o+96+8, U64(64))
				t.put(o+128, U64(uint64(2*w+s0)))
				t.put(o+128+8, U64(64))
			}
		}
		for lane := 0; lane < 2 && w > smallPack; lane++ {
			s0 := lane * r
			s1 := 2*w + s0
			cnt := func(c int, ok bool) uint64 {
				if !ok {
					return 64
				}
				return uint64(c)
			}
			o := base + 16*lane
			// L: q0 << s0 in the low qword, q1 << (s1-64) in the high one.
			t.put(o+96, U64(cnt(s0, true)))
			t.put(o+96+8, U64(cnt(s1-64, s1 >= 64)))
			// M (on swapped qwords): q1 << s1 in the low qword.
			t.put(o+128, U64(cnt(s1, s1 < 64)))
			t.put(o+128+8, U64(64))
			// N1 (on swapped qwords): q0 >> (64-s0) in the high qword.
			t.put(o+160, U64(64))
			t.put(o+160+8, U64(cnt(64-s0, s0 > 0)))
			// N2: q1 >> (64-s1) in the high qword.
			t.put(o+192, U64(64))
			t.put(o+192+8, U64(cnt(64-s1, s1 < 64)))
		}
		// The high lane's 4w+r bits move to byte p of the output.
		for k := 0; k < 16; k++ {
			lo, hi := zeroIdx, zeroIdx
			if k >= p {
				lo = k - p
			}
			if 16+k-p < 16 {
				hi = 16 + k - p
			}
			t.put(base+224+k, U8(lo))
			t.put(base+240+k, U8(hi))
		}
	}
	return t.emit("pack32Table")
}

// table collects the bytes of a constant table before emitting them in
// order (the assembler wants DATA entries by increasing offset).
type table []byte

func newTable(size int) *table {
	t := make(table, size)
	return &t
}

func (t *table) put(off int, c Constant) {
	switch v := c.(type) {
	case U8:
		(*t)[off] = byte(v)
	case U32:
		binary.LittleEndian.PutUint32((*t)[off:], uint32(v))
	case U64:
		binary.LittleEndian.PutUint64((*t)[off:], uint64(v))
	default:
		panic(fmt.Sprintf("table constant %T", c))
	}
}

func (t *table) emit(name string) Mem {
	m := GLOBL(name, RODATA|NOPTR)
	for off := 0; off < len(*t); off += 8 {
		DATA(off, U64(binary.LittleEndian.Uint64((*t)[off:])))
	}
	return m
}

// ---------------------------------------------------------------------------
// Helpers

func entryPtr(table Mem, w reg.GPVirtual, shift uint64) reg.GPVirtual {
	e := GP64()
	LEAQ(table, e)
	off := GP64()
	MOVQ(w, off)
	SHLQ(Imm(shift), off)
	ADDQ(off, e)
	return e
}

func zeroStores(dst reg.GPVirtual, bytes int) {
	z := YMM()
	VPXOR(z, z, z)
	for o := 0; o < bytes; o += 32 {
		VMOVDQU(z, Mem{Base: dst, Disp: o})
	}
}

// ---------------------------------------------------------------------------
// unpack32

// u32Mode is the loop body chosen for a class of widths.
type u32Mode struct {
	name  string
	bcast bool // both lanes from one broadcast 16-byte load
	exact bool // whole-byte widths: the shuffle alone places the values
	wide  bool // a value may span five bytes
}

// dispatch32 emits a branch on the width to one copy of body per mode and
// joins them after.
func dispatch32(prefix string, w reg.GPVirtual, body func(name string, m u32Mode)) {
	modes := []struct {
		m    u32Mode
		jump func()
	}{
		{u32Mode{name: "eb", bcast: true, exact: true}, func() {
			CMPQ(w, Imm(8))
			JE(LabelRef(prefix + "_eb"))
			CMPQ(w, Imm(16))
			JE(LabelRef(prefix + "_eb"))
		}},
		{u32Mode{name: "e", exact: true}, func() {
			CMPQ(w, Imm(24))
			JE(LabelRef(prefix + "_e"))
		}},
		{u32Mode{name: "b", bcast: true}, func() {
			CMPQ(w, Imm(14))
			JBE(LabelRef(prefix + "_b"))
		}},
		{u32Mode{name: "w", wide: true}, func() {
			CMPQ(w, Imm(uint64(minWide32)))
			JAE(LabelRef(prefix + "_w"))
		}},
	}
	for _, m := range modes {
		m.jump()
	}
	body(prefix+"_n", u32Mode{name: "n"})
	JMP(LabelRef(prefix + "_end"))
	for _, m := range modes {
		Label(prefix + "_" + m.m.name)
		body(prefix+"_"+m.m.name, m.m)
		JMP(LabelRef(prefix + "_end"))
	}
	Label(prefix + "_end")
}

type unpack32Consts struct {
	shuf, shr, shuf2, shl, mask reg.VecVirtual
}

func loadUnpack32Consts(table Mem, w reg.GPVirtual, m u32Mode) unpack32Consts {
	e := entryPtr(table, w, 7)
	c := unpack32Consts{shuf: YMM()}
	VMOVDQU(Mem{Base: e}, c.shuf)
	if m.exact {
		return c
	}
	c.shr, c.mask = YMM(), YMM()
	VMOVDQU(Mem{Base: e, Disp: 32}, c.shr)
	if m.wide {
		c.shuf2, c.shl = YMM(), YMM()
		VMOVDQU(Mem{Base: e, Disp: 64}, c.shuf2)
		VMOVDQU(Mem{Base: e, Disp: 96}, c.shl)
	}
	// mask = all ones >> (32-w)
	cnt := GP64()
	MOVQ(U32(32), cnt)
	SUBQ(w, cnt)
	x := XMM()
	MOVQ(cnt, x)
	VPCMPEQD(c.mask, c.mask, c.mask)
	VPSRLD(x, c.mask, c.mask)
	return c
}

// unpack32Group decodes the group whose low lane is at lo and high lane at
// hi (unused in broadcast modes) into dst.
func unpack32Group(c unpack32Consts, lo, hi, dst Mem, m u32Mode) {
	v := YMM()
	VBROADCASTI128(lo, v)
	if !m.bcast {
		VINSERTI128(Imm(1), hi, v, v)
	}
	r := YMM()
	VPSHUFB(c.shuf, v, r)
	if !m.exact {
		VPSRLVD(c.shr, r, r)
		if m.wide {
			t := YMM()
			VPSHUFB(c.shuf2, v, t)
			VPSLLVD(c.shl, t, t)
			VPOR(t, r, r)
		}
		VPAND(c.mask, r, r)
	}
	VMOVDQU(r, dst)
}

// unpack32Body decodes k groups (k constant) at src into dst without
// advancing them; w3 = 3*w.
func unpack32Body(c unpack32Consts, dst, src, hi, w, w3 reg.GPVirtual, k int, m u32Mode) {
	at := func(b reg.GPVirtual, g int) Mem {
		switch g {
		case 0:
			return Mem{Base: b}
		case 1:
			return Mem{Base: b, Index: w, Scale: 1}
		case 2:
			return Mem{Base: b, Index: w, Scale: 2}
		case 3:
			return Mem{Base: b, Index: w3, Scale: 1}
		}
		panic("group index")
	}
	for g := 0; g < k; g++ {
		h := Mem{}
		if !m.bcast {
			h = at(hi, g)
		}
		unpack32Group(c, at(src, g), h, Mem{Base: dst, Disp: 32 * g}, m)
	}
}

// unpack32Loop decodes n groups of width w from src into dst; it advances
// the registers it is given.
func unpack32Loop(name string, table Mem, dst, src, n, w reg.GPVirtual, m u32Mode) {
	c := loadUnpack32Consts(table, w, m)
	hi := GP64() // src + first byte of the high lane
	MOVQ(w, hi)
	SHRQ(Imm(1), hi)
	ADDQ(src, hi)
	w3 := GP64()
	LEAQ(Mem{Base: w, Index: w, Scale: 2}, w3)
	w4 := GP64()
	MOVQ(w, w4)
	SHLQ(Imm(2), w4)

	Label(name + "_loop4")
	CMPQ(n, Imm(4))
	JB(LabelRef(name + "_loop1"))
	unpack32Body(c, dst, src, hi, w, w3, 4, m)
	ADDQ(w4, src)
	ADDQ(w4, hi)
	ADDQ(Imm(128), dst)
	SUBQ(Imm(4), n)
	JMP(LabelRef(name + "_loop4"))

	Label(name + "_loop1")
	TESTQ(n, n)
	JZ(LabelRef(name + "_done"))
	unpack32Body(c, dst, src, hi, w, w3, 1, m)
	ADDQ(w, src)
	ADDQ(w, hi)
	ADDQ(Imm(32), dst)
	DECQ(n)
	JMP(LabelRef(name + "_loop1"))
	Label(name + "_done")
}

func genUnpack32(table Mem) {
	TEXT("unpack32Asm", NOSPLIT, "func(dst *uint32, src *byte, groups int, width uint)")
	Pragma("noescape")
	Doc("unpack32Asm decodes groups groups of eight values of the given width",
		"(1..32). For each group g it reads src[g*width : g*width+width/2+16].")
	dst := Load(Param("dst"), GP64()).(reg.GPVirtual)
	src := Load(Param("src"), GP64()).(reg.GPVirtual)
	n := Load(Param("groups"), GP64()).(reg.GPVirtual)
	w := Load(Param("width"), GP64()).(reg.GPVirtual)
	dispatch32("u32", w, func(name string, m u32Mode) {
		unpack32Loop(name, table, dst, src, n, w, m)
	})
	VZEROUPPER()
	RET()
}

// ---------------------------------------------------------------------------
// unpack64

// u64Mode is the loop body chosen for a class of 64-bit widths.
type u64Mode struct {
	name  string
	bcast bool // up to 32 bits: four values per broadcast window
	exact bool // 8, 16, 32: the shuffle alone places the values
	wide  bool // pairs: a value may span nine bytes
}

func dispatch64(prefix string, w reg.GPVirtual, body func(name string, m u64Mode), w63 func(name string)) {
	CMPQ(w, Imm(8))
	JE(LabelRef(prefix + "_e"))
	CMPQ(w, Imm(16))
	JE(LabelRef(prefix + "_e"))
	CMPQ(w, Imm(32))
	JE(LabelRef(prefix + "_e"))
	JB(LabelRef(prefix + "_b"))
	CMPQ(w, Imm(63))
	JE(LabelRef(prefix + "_63"))
	CMPQ(w, Imm(uint64(minWide64)))
	JAE(LabelRef(prefix + "_w"))
	body(prefix+"_n", u64Mode{name: "n"})
	JMP(LabelRef(prefix + "_end"))
	for _, m := range []u64Mode{
		{name: "e", bcast: true, exact: true},
		{name: "b", bcast: true},
		{name: "w", wide: true},
	} {
		Label(prefix + "_" + m.name)
		body(prefix+"_"+m.name, m)
		JMP(LabelRef(prefix + "_end"))
	}
	Label(prefix + "_63")
	w63(prefix + "_63")
	Label(prefix + "_end")
}

type unpack64Consts struct {
	shufA, shrA, shufB, shrB   reg.VecVirtual
	shuf2A, shlA, shuf2B, shlB reg.VecVirtual
	mask                       reg.VecVirtual
}

func loadUnpack64Consts(table Mem, w reg.GPVirtual, m u64Mode) unpack64Consts {
	e := entryPtr(table, w, 8)
	c := unpack64Consts{shufA: YMM(), shufB: YMM()}
	VMOVDQU(Mem{Base: e}, c.shufA)
	VMOVDQU(Mem{Base: e, Disp: 64}, c.shufB)
	if m.exact {
		return c
	}
	c.shrA, c.shrB, c.mask = YMM(), YMM(), YMM()
	VMOVDQU(Mem{Base: e, Disp: 32}, c.shrA)
	VMOVDQU(Mem{Base: e, Disp: 96}, c.shrB)
	if m.wide {
		c.shuf2A, c.shlA, c.shuf2B, c.shlB = YMM(), YMM(), YMM(), YMM()
		VMOVDQU(Mem{Base: e, Disp: 128}, c.shuf2A)
		VMOVDQU(Mem{Base: e, Disp: 160}, c.shlA)
		VMOVDQU(Mem{Base: e, Disp: 192}, c.shuf2B)
		VMOVDQU(Mem{Base: e, Disp: 224}, c.shlB)
	}
	cnt := GP64()
	MOVQ(U32(64), cnt)
	SUBQ(w, cnt)
	x := XMM()
	MOVQ(cnt, x)
	VPCMPEQQ(c.mask, c.mask, c.mask)
	VPSRLQ(x, c.mask, c.mask)
	return c
}

// unpack64Half decodes four values: the low lane's window at lo and the
// high lane's at hi (lo again in broadcast modes).
func unpack64Half(lo, hi Mem, shuf, shr, shuf2, shl, mask reg.VecVirtual, dst Mem, m u64Mode) {
	v := YMM()
	VBROADCASTI128(lo, v)
	if !m.bcast {
		VINSERTI128(Imm(1), hi, v, v)
	}
	r := YMM()
	VPSHUFB(shuf, v, r)
	if !m.exact {
		VPSRLVQ(shr, r, r)
		if m.wide {
			t := YMM()
			VPSHUFB(shuf2, v, t)
			VPSLLVQ(shl, t, t)
			VPOR(t, r, r)
		}
		VPAND(mask, r, r)
	}
	VMOVDQU(r, dst)
}

// unpack64Ptrs returns the pointers to the windows of a group at src: in
// broadcast modes src and src+(4w)>>3, else src plus each pair's first byte.
func unpack64Ptrs(src, w reg.GPVirtual, m u64Mode) (p1, p2, p3 reg.GPVirtual) {
	p2 = GP64()
	MOVQ(w, p2)
	SHRQ(Imm(1), p2) // (4w)>>3
	ADDQ(src, p2)
	if m.bcast {
		return nil, p2, nil
	}
	p1, p3 = GP64(), GP64()
	MOVQ(w, p1)
	SHRQ(Imm(2), p1) // (2w)>>3
	LEAQ(Mem{Base: w, Index: w, Scale: 2}, p3)
	SHRQ(Imm(2), p3) // (6w)>>3
	ADDQ(src, p1)
	ADDQ(src, p3)
	return p1, p2, p3
}

// unpack64Group decodes the group whose windows are given by at(pointer)
// into dst+d.
func unpack64Group(c unpack64Consts, at func(reg.GPVirtual) Mem, src, p1, p2, p3, dst reg.GPVirtual, d int, m u64Mode) {
	hiA, hiB := Mem{}, Mem{}
	if !m.bcast {
		hiA, hiB = at(p1), at(p3)
	}
	unpack64Half(at(src), hiA, c.shufA, c.shrA, c.shuf2A, c.shlA, c.mask, Mem{Base: dst, Disp: d}, m)
	unpack64Half(at(p2), hiB, c.shufB, c.shrB, c.shuf2B, c.shlB, c.mask, Mem{Base: dst, Disp: d + 32}, m)
}

// unpack64Loop decodes n groups of width w.
func unpack64Loop(name string, table Mem, dst, src, n, w reg.GPVirtual, m u64Mode) {
	c := loadUnpack64Consts(table, w, m)
	p1, p2, p3 := unpack64Ptrs(src, w, m)
	ptrs := []reg.GPVirtual{src, p2}
	if !m.bcast {
		ptrs = append(ptrs, p1, p3)
	}
	w2 := GP64()
	LEAQ(Mem{Base: w, Index: w, Scale: 1}, w2)
	base := func(b reg.GPVirtual) Mem { return Mem{Base: b} }
	next := func(b reg.GPVirtual) Mem { return Mem{Base: b, Index: w, Scale: 1} }

	Label(name + "_loop2")
	CMPQ(n, Imm(2))
	JB(LabelRef(name + "_loop1"))
	unpack64Group(c, base, src, p1, p2, p3, dst, 0, m)
	unpack64Group(c, next, src, p1, p2, p3, dst, 64, m)
	for _, r := range ptrs {
		ADDQ(w2, r)
	}
	ADDQ(Imm(128), dst)
	SUBQ(Imm(2), n)
	JMP(LabelRef(name + "_loop2"))

	Label(name + "_loop1")
	TESTQ(n, n)
	JZ(LabelRef(name + "_done"))
	unpack64Group(c, base, src, p1, p2, p3, dst, 0, m)
	for _, r := range ptrs {
		ADDQ(w, r)
	}
	ADDQ(Imm(64), dst)
	DECQ(n)
	JMP(LabelRef(name + "_loop1"))
	Label(name + "_done")
}

// unpack63Loop decodes n groups of width 63 in general-purpose registers:
// two values do not fit in a 16-byte lane at this width. Group g reads
// src[g*63 : g*63+64].
func unpack63Loop(name string, dst, src, n reg.GPVirtual) {
	mask := GP64()
	MOVQ(U64(1<<63-1), mask)
	Label(name + "_loop")
	TESTQ(n, n)
	JZ(LabelRef(name + "_done"))
	for i := 0; i < 8; i++ {
		bit := 63 * i
		s, o := bit>>3, bit&7
		lo := GP64()
		MOVQ(Mem{Base: src, Disp: s}, lo)
		if o != 0 {
			hi := GP64()
			MOVBQZX(Mem{Base: src, Disp: s + 8}, hi)
			SHRQ(Imm(uint64(o)), hi, lo)
		}
		ANDQ(mask, lo)
		MOVQ(lo, Mem{Base: dst, Disp: 8 * i})
	}
	ADDQ(Imm(63), src)
	ADDQ(Imm(64), dst)
	DECQ(n)
	JMP(LabelRef(name + "_loop"))
	Label(name + "_done")
}

func genUnpack64(table Mem) {
	TEXT("unpack64Asm", NOSPLIT, "func(dst *uint64, src *byte, groups int, width uint)")
	Pragma("noescape")
	Doc("unpack64Asm decodes groups groups of eight values of the given width",
		"(1..64). For each group g it reads src[g*width : g*width+unpack64Reach(width)].")
	dst := Load(Param("dst"), GP64()).(reg.GPVirtual)
	src := Load(Param("src"), GP64()).(reg.GPVirtual)
	n := Load(Param("groups"), GP64()).(reg.GPVirtual)
	w := Load(Param("width"), GP64()).(reg.GPVirtual)
	dispatch64("u64", w, func(name string, m u64Mode) {
		unpack64Loop(name, table, dst, src, n, w, m)
	}, func(name string) {
		unpack63Loop(name, dst, src, n)
	})
	VZEROUPPER()
	RET()
}

// ---------------------------------------------------------------------------
// pack32

// packGroup packs the eight 32-bit values of v (clobbered) with the table
// entry at e and stores 32 bytes at dst, the first width of which are the
// group's.
func packGroup(e reg.GPVirtual, zero, v reg.VecVirtual, dst Mem, small bool) {
	m := func(d int) Mem { return Mem{Base: e, Disp: d} }
	// Pairs: q = v0 | v1<<w in every qword.
	o := YMM()
	VPAND(m(32), v, o)
	VPAND(m(0), v, v)
	VPSRLVQ(m(64), o, o)
	VPOR(o, v, v)
	if small {
		// Quads in the low word of each lane: q0<<s0 | q1<<(2w+s0).
		sw := YMM()
		VPSHUFD(Imm(0x4e), v, sw)
		VPSLLVQ(m(96), v, v)
		VPSLLVQ(m(128), sw, sw)
		VPOR(sw, v, v)
		packLanes(m, zero, v, dst)
		return
	}
	// Quads: each 128-bit lane = q0<<s0 | q1<<s1 (s0 = 0 in the low lane,
	// the high lane's bit shift r in the high one).
	sw := YMM()
	VPSHUFD(Imm(0x4e), v, sw)
	l := YMM()
	VPSLLVQ(m(96), v, l)
	VPSRLVQ(m(192), v, v)
	mm := YMM()
	VPSLLVQ(m(128), sw, mm)
	VPSRLVQ(m(160), sw, sw)
	VPOR(l, v, v)
	VPOR(mm, sw, sw)
	VPOR(sw, v, v)
	packLanes(m, zero, v, dst)
}

// packLanes merges the two lanes of v, each holding four packed values
// (the high lane's shifted by its bit offset), and stores 32 bytes.
func packLanes(m func(int) Mem, zero, v reg.VecVirtual, dst Mem) {
	// The high lane's bytes move to byte 4w/8 of the output.
	h := YMM()
	VPERMQ(Imm(0xee), v, h)
	VPSHUFB(m(224), h, h)
	VPBLENDD(Imm(0xf0), zero, v, v)
	VPOR(h, v, v)
	VMOVDQU(v, dst)
}

// narrow64 loads eight 64-bit values at src and returns their low dwords in
// order in one YMM register.
func narrow64(src Mem) reg.VecVirtual {
	a, b := YMM(), YMM()
	VMOVDQU(src, a)
	VMOVDQU(src.Offset(32), b)
	VSHUFPS(Imm(0x88), b, a, a)
	VPERMQ(Imm(0xd8), a, a)
	return a
}

// pack32Loop packs n groups; source values are 32-bit, or 64-bit (narrowed
// first) when from64. The group at g writes dst[g*w : g*w+32].
func pack32Loop(name string, table Mem, dst, src, n, w reg.GPVirtual, from64 bool) {
	e := entryPtr(table, w, 8)
	zero := YMM()
	VPXOR(zero, zero, zero)
	load := func(d int) reg.VecVirtual {
		if from64 {
			return narrow64(Mem{Base: src, Disp: 2 * d})
		}
		v := YMM()
		VMOVDQU(Mem{Base: src, Disp: d}, v)
		return v
	}
	step := 32
	if from64 {
		step = 64
	}
	w2 := GP64()
	LEAQ(Mem{Base: w, Index: w, Scale: 1}, w2)
	packWholeBytes(name, dst, src, n, w, load, step)
	Label(name + "_loop2")
	CMPQ(w, Imm(smallPack))
	JA(LabelRef(name + "_big"))
	packGroupLoops(name+"_small", e, zero, dst, src, n, w, w2, load, step, true)
	JMP(LabelRef(name + "_done"))
	Label(name + "_big")
	packGroupLoops(name+"_big", e, zero, dst, src, n, w, w2, load, step, false)
	Label(name + "_done")
}

// packBytePerm reorders the dwords of two packs (VPACKUSDW, VPACKUSWB) of
// four registers back into value order.
var packBytePerm Mem

// pack24Consts holds the width-24 shuffle (32 bytes) and lane merge
// permutation (32 bytes).
var pack24Consts Mem

// packWholeBytes emits the special loops of widths 1, 8 and 16, which
// handle 4, 4 and 2 groups at a time and write exactly their bytes; the
// groups left over fall through to the general loop at name_loop2.
func packWholeBytes(name string, dst, src, n, w reg.GPVirtual, load func(d int) reg.VecVirtual, step int) {
	CMPQ(w, Imm(1))
	JE(LabelRef(name + "_w1"))
	CMPQ(w, Imm(8))
	JE(LabelRef(name + "_w8"))
	CMPQ(w, Imm(16))
	JE(LabelRef(name + "_w16"))
	CMPQ(w, Imm(24))
	JE(LabelRef(name + "_w24"))
	if step == 64 {
		CMPQ(w, Imm(32))
		JE(LabelRef(name + "_w32"))
	}
	JMP(LabelRef(name + "_loop2"))

	// Width 24: the low three bytes of each value, lanes merged; stores 32
	// bytes per group like the general loop.
	Label(name + "_w24")
	sh24, perm24 := YMM(), YMM()
	VMOVDQU(pack24Consts, sh24)
	VMOVDQU(pack24Consts.Offset(32), perm24)
	Label(name + "_w24loop")
	TESTQ(n, n)
	JZ(LabelRef(name + "_done"))
	v24 := load(0)
	VPSHUFB(sh24, v24, v24)
	VPERMD(v24, perm24, v24)
	VMOVDQU(v24, Mem{Base: dst})
	ADDQ(Imm(24), dst)
	ADDQ(Imm(uint64(step)), src)
	DECQ(n)
	JMP(LabelRef(name + "_w24loop"))

	if step == 64 {
		// Width 32 from 64-bit values: the low dwords.
		Label(name + "_w32")
		TESTQ(n, n)
		JZ(LabelRef(name + "_done"))
		v32 := load(0)
		VMOVDQU(v32, Mem{Base: dst})
		ADDQ(Imm(32), dst)
		ADDQ(Imm(64), src)
		DECQ(n)
		JMP(LabelRef(name + "_w32"))
	}

	// Width 1: the low bit of each value to the sign bit, VMOVMSKPS.
	Label(name + "_w1")
	CMPQ(n, Imm(4))
	JB(LabelRef(name + "_loop2"))
	var acc reg.GPVirtual
	for g := 0; g < 4; g++ {
		v := load(32 * g)
		VPSLLD(Imm(31), v, v)
		m := GP32()
		VMOVMSKPS(v, m)
		if g == 0 {
			acc = m.As64().(reg.GPVirtual)
			continue
		}
		SHLL(Imm(uint64(8*g)), m)
		ORL(m, acc.As32())
	}
	MOVL(acc.As32(), Mem{Base: dst})
	ADDQ(Imm(4), dst)
	ADDQ(U32(uint32(4*step)), src)
	SUBQ(Imm(4), n)
	JMP(LabelRef(name + "_w1"))

	// Width 8: mask to bytes, pack dwords to words to bytes, reorder.
	Label(name + "_w8")
	m8, perm := YMM(), YMM()
	VPCMPEQD(m8, m8, m8)
	VPSRLD(Imm(24), m8, m8)
	VMOVDQU(packBytePerm, perm)
	Label(name + "_w8loop")
	CMPQ(n, Imm(4))
	JB(LabelRef(name + "_loop2"))
	var vs []reg.VecVirtual
	for g := 0; g < 4; g++ {
		v := load(32 * g)
		VPAND(m8, v, v)
		vs = append(vs, v)
	}
	VPACKUSDW(vs[1], vs[0], vs[0])
	VPACKUSDW(vs[3], vs[2], vs[2])
	VPACKUSWB(vs[2], vs[0], vs[0])
	VPERMD(vs[0], perm, vs[0])
	VMOVDQU(vs[0], Mem{Base: dst})
	ADDQ(Imm(32), dst)
	ADDQ(U32(uint32(4*step)), src)
	SUBQ(Imm(4), n)
	JMP(LabelRef(name + "_w8loop"))

	// Width 16: mask to words, pack dwords to words, reorder qwords.
	Label(name + "_w16")
	m16 := YMM()
	VPCMPEQD(m16, m16, m16)
	VPSRLD(Imm(16), m16, m16)
	Label(name + "_w16loop")
	CMPQ(n, Imm(2))
	JB(LabelRef(name + "_loop2"))
	a, b := load(0), load(32)
	VPAND(m16, a, a)
	VPAND(m16, b, b)
	VPACKUSDW(b, a, a)
	VPERMQ(Imm(0xd8), a, a)
	VMOVDQU(a, Mem{Base: dst})
	ADDQ(Imm(32), dst)
	ADDQ(U32(uint32(2*step)), src)
	SUBQ(Imm(2), n)
	JMP(LabelRef(name + "_w16loop"))
}

// packGroupLoops packs n groups, two at a time then one.
func packGroupLoops(name string, e reg.GPVirtual, zero reg.VecVirtual, dst, src, n, w, w2 reg.GPVirtual, load func(int) reg.VecVirtual, step int, small bool) {
	Label(name + "_loop2")
	CMPQ(n, Imm(2))
	JB(LabelRef(name + "_loop1"))
	packGroup(e, zero, load(0), Mem{Base: dst}, small)
	packGroup(e, zero, load(32), Mem{Base: dst, Index: w, Scale: 1}, small)
	ADDQ(w2, dst)
	ADDQ(U32(uint32(2*step)), src)
	SUBQ(Imm(2), n)
	JMP(LabelRef(name + "_loop2"))
	Label(name + "_loop1")
	TESTQ(n, n)
	JZ(LabelRef(name + "_end"))
	packGroup(e, zero, load(0), Mem{Base: dst}, small)
	ADDQ(w, dst)
	ADDQ(Imm(uint64(step)), src)
	DECQ(n)
	JMP(LabelRef(name + "_loop1"))
	Label(name + "_end")
}

func genPack32(table Mem) {
	TEXT("pack32AVX2", NOSPLIT, "func(dst *byte, src *uint32, groups int, width uint)")
	Pragma("noescape")
	Doc("pack32AVX2 packs groups groups of eight values at the given width",
		"(1..32). Group g writes dst[g*width : g*width+32].")
	dst := Load(Param("dst"), GP64()).(reg.GPVirtual)
	src := Load(Param("src"), GP64()).(reg.GPVirtual)
	n := Load(Param("groups"), GP64()).(reg.GPVirtual)
	w := Load(Param("width"), GP64()).(reg.GPVirtual)
	pack32Loop("p32", table, dst, src, n, w, false)
	VZEROUPPER()
	RET()
}

// packWideGroup packs one group of eight 64-bit values at the constant
// width w (33..64) from src+srcOff to dst+dstOff in general-purpose
// registers, one 64-bit word of output at a time. It writes whole words:
// dst[0 : 8*ceil(w/8)] of the group, the bytes past w being zeros that the
// next group overwrites. wreg holds w (for BZHI).
func packWideGroup(w int, dst, src, wreg reg.GPVirtual, dstOff, srcOff int) {
	var acc reg.GPVirtual
	for i := 0; i < 8; i++ {
		p := i * w
		j, o := p>>6, p&63
		v := GP64()
		BZHIQ(wreg, Mem{Base: src, Disp: srcOff + 8*i}, v)
		if o == 0 {
			acc = v
		} else {
			t := GP64()
			MOVQ(v, t)
			SHLQ(Imm(uint64(o)), t)
			ORQ(t, acc)
		}
		if o+w >= 64 {
			MOVQ(acc, Mem{Base: dst, Disp: dstOff + 8*j})
			acc = nil
			if o+w > 64 {
				SHRQ(Imm(uint64(64-o)), v)
				acc = v
			}
		}
	}
	if acc != nil {
		MOVQ(acc, Mem{Base: dst, Disp: dstOff + 8*((8*w)>>6)})
	}
}

// widthSwitch branches on w to leaf(k) for every k in lo..hi with a binary
// search; each leaf must jump away at its end.
func widthSwitch(prefix string, w reg.GPVirtual, lo, hi int, leaf func(k int)) {
	if lo == hi {
		leaf(lo)
		return
	}
	mid := (lo + hi) / 2
	right := fmt.Sprintf("%s_gt%d", prefix, mid)
	CMPQ(w, Imm(uint64(mid)))
	JA(LabelRef(right))
	widthSwitch(prefix, w, lo, mid, leaf)
	Label(right)
	widthSwitch(prefix, w, mid+1, hi, leaf)
}

func genPack64(table Mem) {
	TEXT("pack64AVX2", NOSPLIT, "func(dst *byte, src *uint64, groups int, width uint)")
	Pragma("noescape")
	Doc("pack64AVX2 packs groups groups of eight values at the given width",
		"(1..64). Group g writes dst[g*width : g*width+32] for widths up to 32,",
		"and dst[g*width : g*width+8*ceil(width/8)] above.")
	dst := Load(Param("dst"), GP64()).(reg.GPVirtual)
	src := Load(Param("src"), GP64()).(reg.GPVirtual)
	n := Load(Param("groups"), GP64()).(reg.GPVirtual)
	w := Load(Param("width"), GP64()).(reg.GPVirtual)
	CMPQ(w, Imm(32))
	JA(LabelRef("p64_gpr"))
	pack32Loop("p64", table, dst, src, n, w, true)
	VZEROUPPER()
	RET()
	Label("p64_gpr")
	widthSwitch("p64w", w, 33, 64, func(k int) {
		loop := fmt.Sprintf("p64w%d_loop", k)
		Label(loop)
		TESTQ(n, n)
		JZ(LabelRef("p64w_done"))
		packWideGroup(k, dst, src, w, 0, 0)
		ADDQ(Imm(uint64(k)), dst)
		ADDQ(Imm(64), src)
		DECQ(n)
		JMP(LabelRef(loop))
	})
	Label("p64w_done")
	RET()
}

// ---------------------------------------------------------------------------
// Miniblocks: 32 values (four groups) each, at the width widths[i].

func genUnpackMiniblocks32(table Mem) {
	TEXT("unpackMiniblocks32Asm", NOSPLIT, "func(dst *uint32, src *byte, widths *uint8, n int)")
	Pragma("noescape")
	Doc("unpackMiniblocks32Asm decodes n miniblocks of 32 values, miniblock i at",
		"width widths[i] (0..32), packed one after the other from src. Miniblock i",
		"starting at byte o reads src[o : o+3*w+w/2+16] (nothing when w == 0).")
	dst := Load(Param("dst"), GP64()).(reg.GPVirtual)
	src := Load(Param("src"), GP64()).(reg.GPVirtual)
	ws := Load(Param("widths"), GP64()).(reg.GPVirtual)
	n := Load(Param("n"), GP64()).(reg.GPVirtual)
	Label("um32_loop")
	TESTQ(n, n)
	JZ(LabelRef("um32_done"))
	w := GP64()
	MOVBQZX(Mem{Base: ws}, w)
	TESTQ(w, w)
	JZ(LabelRef("um32_zero"))
	CMPQ(w, Imm(32))
	JE(LabelRef("um32_copy"))
	dispatch32("um32", w, func(name string, m u32Mode) {
		c := loadUnpack32Consts(table, w, m)
		hi := GP64()
		MOVQ(w, hi)
		SHRQ(Imm(1), hi)
		ADDQ(src, hi)
		w3 := GP64()
		LEAQ(Mem{Base: w, Index: w, Scale: 2}, w3)
		unpack32Body(c, dst, src, hi, w, w3, 4, m)
	})
	LEAQ(Mem{Base: src, Index: w, Scale: 4}, src)
	JMP(LabelRef("um32_next"))
	Label("um32_copy")
	copyBlock(dst, src, 128)
	ADDQ(Imm(128), src)
	JMP(LabelRef("um32_next"))
	Label("um32_zero")
	zeroStores(dst, 128)
	Label("um32_next")
	ADDQ(Imm(128), dst)
	INCQ(ws)
	DECQ(n)
	JMP(LabelRef("um32_loop"))
	Label("um32_done")
	VZEROUPPER()
	RET()
}

// copyBlock copies size bytes (a multiple of 32) from src to dst.
func copyBlock(dst, src reg.GPVirtual, size int) {
	for o := 0; o < size; o += 32 {
		v := YMM()
		VMOVDQU(Mem{Base: src, Disp: o}, v)
		VMOVDQU(v, Mem{Base: dst, Disp: o})
	}
}

func genUnpackMiniblocks64(table Mem) {
	TEXT("unpackMiniblocks64Asm", NOSPLIT, "func(dst *uint64, src *byte, widths *uint8, n int)")
	Pragma("noescape")
	Doc("unpackMiniblocks64Asm decodes n miniblocks of 32 values, miniblock i at",
		"width widths[i] (0..64). Miniblock i starting at byte o reads",
		"src[o : o+3*w+unpack64Reach(w)] (nothing when w == 0).")
	dst := Load(Param("dst"), GP64()).(reg.GPVirtual)
	src := Load(Param("src"), GP64()).(reg.GPVirtual)
	ws := Load(Param("widths"), GP64()).(reg.GPVirtual)
	n := Load(Param("n"), GP64()).(reg.GPVirtual)
	Label("um64_loop")
	TESTQ(n, n)
	JZ(LabelRef("um64_done"))
	w := GP64()
	MOVBQZX(Mem{Base: ws}, w)
	TESTQ(w, w)
	JZ(LabelRef("um64_zero"))
	CMPQ(w, Imm(64))
	JE(LabelRef("um64_copy"))
	dispatch64("um64", w, func(name string, m u64Mode) {
		c := loadUnpack64Consts(table, w, m)
		p1, p2, p3 := unpack64Ptrs(src, w, m)
		w3 := GP64()
		LEAQ(Mem{Base: w, Index: w, Scale: 2}, w3)
		for k := 0; k < 4; k++ {
			at := func(b reg.GPVirtual) Mem {
				switch k {
				case 0:
					return Mem{Base: b}
				case 1:
					return Mem{Base: b, Index: w, Scale: 1}
				case 2:
					return Mem{Base: b, Index: w, Scale: 2}
				}
				return Mem{Base: b, Index: w3, Scale: 1}
			}
			unpack64Group(c, at, src, p1, p2, p3, dst, 64*k, m)
		}
	}, func(name string) {
		cnt := GP64()
		MOVQ(U32(4), cnt)
		d, s := GP64(), GP64()
		MOVQ(dst, d)
		MOVQ(src, s)
		unpack63Loop(name, d, s, cnt)
	})
	LEAQ(Mem{Base: src, Index: w, Scale: 4}, src)
	JMP(LabelRef("um64_next"))
	Label("um64_copy")
	copyBlock(dst, src, 256)
	ADDQ(U32(256), src)
	JMP(LabelRef("um64_next"))
	Label("um64_zero")
	zeroStores(dst, 256)
	Label("um64_next")
	ADDQ(U32(256), dst)
	INCQ(ws)
	DECQ(n)
	JMP(LabelRef("um64_loop"))
	Label("um64_done")
	VZEROUPPER()
	RET()
}

func genPackMiniblocks32(table Mem) {
	TEXT("packMiniblocks32AVX2", NOSPLIT, "func(dst *byte, src *uint32, widths *uint8, n int)")
	Pragma("noescape")
	Doc("packMiniblocks32AVX2 packs n miniblocks of 32 values, miniblock i at",
		"width widths[i] (0..32), one after the other into dst. Miniblock i",
		"starting at byte o writes dst[o : o+3*w+32] (nothing when w == 0).")
	dst := Load(Param("dst"), GP64()).(reg.GPVirtual)
	src := Load(Param("src"), GP64()).(reg.GPVirtual)
	ws := Load(Param("widths"), GP64()).(reg.GPVirtual)
	n := Load(Param("n"), GP64()).(reg.GPVirtual)
	zero := YMM()
	VPXOR(zero, zero, zero)
	Label("pm32_loop")
	TESTQ(n, n)
	JZ(LabelRef("pm32_done"))
	w := GP64()
	MOVBQZX(Mem{Base: ws}, w)
	TESTQ(w, w)
	JZ(LabelRef("pm32_next"))
	miniPack(table, dst, src, w, zero, false)
	Label("pm32_next")
	ADDQ(Imm(128), src)
	INCQ(ws)
	DECQ(n)
	JMP(LabelRef("pm32_loop"))
	Label("pm32_done")
	VZEROUPPER()
	RET()
}

// miniPack packs the 32 values at src into dst and advances dst by 4*w.
func miniPack(table Mem, dst, src, w reg.GPVirtual, zero reg.VecVirtual, from64 bool) {
	name := "mp32"
	if from64 {
		name = "mp64"
	}
	CMPQ(w, Imm(smallPack))
	JA(LabelRef(name + "_big"))
	miniPackGroups(table, dst, src, w, zero, from64, true)
	JMP(LabelRef(name + "_end"))
	Label(name + "_big")
	miniPackGroups(table, dst, src, w, zero, from64, false)
	Label(name + "_end")
}

// miniPackGroups packs the four groups of a miniblock and advances dst.
func miniPackGroups(table Mem, dst, src, w reg.GPVirtual, zero reg.VecVirtual, from64, small bool) {
	e := entryPtr(table, w, 8)
	w3 := GP64()
	LEAQ(Mem{Base: w, Index: w, Scale: 2}, w3)
	outs := []Mem{
		{Base: dst}, {Base: dst, Index: w, Scale: 1}, {Base: dst, Index: w, Scale: 2}, {Base: dst, Index: w3, Scale: 1},
	}
	for k := 0; k < 4; k++ {
		var v reg.VecVirtual
		if from64 {
			v = narrow64(Mem{Base: src, Disp: 64 * k})
		} else {
			v = YMM()
			VMOVDQU(Mem{Base: src, Disp: 32 * k}, v)
		}
		packGroup(e, zero, v, outs[k], small)
	}
	LEAQ(Mem{Base: dst, Index: w, Scale: 4}, dst)
}

func genPackMiniblocks64(table Mem) {
	TEXT("packMiniblocks64AVX2", NOSPLIT, "func(dst *byte, src *uint64, widths *uint8, n int)")
	Pragma("noescape")
	Doc("packMiniblocks64AVX2 packs n miniblocks of 32 values, miniblock i at",
		"width widths[i] (0..64), one after the other into dst. Miniblock i",
		"starting at byte o writes dst[o : o+3*w+32] for widths up to 32 and",
		"dst[o : o+3*w+8*ceil(w/8)] above.")
	dst := Load(Param("dst"), GP64()).(reg.GPVirtual)
	src := Load(Param("src"), GP64()).(reg.GPVirtual)
	ws := Load(Param("widths"), GP64()).(reg.GPVirtual)
	n := Load(Param("n"), GP64()).(reg.GPVirtual)
	zero := YMM()
	VPXOR(zero, zero, zero)
	Label("pm64_loop")
	TESTQ(n, n)
	JZ(LabelRef("pm64_done"))
	w := GP64()
	MOVBQZX(Mem{Base: ws}, w)
	TESTQ(w, w)
	JZ(LabelRef("pm64_next"))
	CMPQ(w, Imm(32))
	JA(LabelRef("pm64_gpr"))
	miniPack(table, dst, src, w, zero, true)
	JMP(LabelRef("pm64_next"))
	Label("pm64_gpr")
	widthSwitch("pm64w", w, 33, 64, func(k int) {
		for g := 0; g < 4; g++ {
			packWideGroup(k, dst, src, w, g*k, 64*g)
		}
		ADDQ(U32(uint32(4*k)), dst)
		JMP(LabelRef("pm64_next"))
	})
	Label("pm64_next")
	ADDQ(U32(256), src)
	INCQ(ws)
	DECQ(n)
	JMP(LabelRef("pm64_loop"))
	Label("pm64_done")
	VZEROUPPER()
	RET()
}
