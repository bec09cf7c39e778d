// Command delta generates the AVX2 kernels of DELTA_BINARY_PACKED's integer
// core in package kernels: kernels/delta_amd64.s and its Go declarations
// kernels/delta_amd64.go.
//
// Each kernel walks a run of whole 128-value blocks (four 32-value
// miniblocks) and is fully unrolled over one block:
//
//   - the encoders subtract each value from the next with two unaligned
//     loads (src[i+1] and src[i]), store the deltas and keep four running
//     minima (VPMINSD for 32-bit lanes; VPCMPGTQ and VBLENDVPD for 64-bit
//     ones, which AVX2 has no minimum for); a second pass subtracts the
//     block minimum, stores the result and ORs each miniblock together,
//     whose bit length (BSR) is the miniblock's width;
//   - the decoders add the block's min delta, form the prefix sum inside
//     each vector with lane shifts and one cross-lane permute, and add a
//     carry vector that grows by each vector's total, so the loop-carried
//     dependency is a single add per vector.
//
// The kernels read and write exactly the slices they are given (see the
// contract on kernelSet in kernels/dispatch.go).
package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

const (
	blockLen   = 128
	miniblocks = 4
)

func main() {
	ConstraintExpr("!purego")
	genEncode64()
	genEncode32()
	genDecode64()
	genDecode32()
	Generate()
}

// bitLen sets r to the bit length of x (0 for x == 0) with BSR, which
// leaves its destination undefined for a zero input: the CMOV covers that.
func bitLen(x, r, minusOne reg.GPVirtual, is64 bool) {
	// avo reads BSR's destination as an input (it may be left unchanged),
	// so define r first or it stays live from the function's entry.
	XORL(r.As32(), r.As32())
	if is64 {
		BSRQ(x, r)
		CMOVQEQ(minusOne, r)
		INCQ(r)
	} else {
		BSRL(x.As32(), r.As32())
		CMOVLEQ(minusOne.As32(), r.As32())
		INCL(r.As32())
	}
}

// encoder describes one of the two encoders: lanes per vector and the
// instructions that differ between 64- and 32-bit values.
type encoder struct {
	name  string
	size  int // bytes per value
	sub   func(a, b, dst Op)
	min   func(acc, x reg.VecVirtual)     // acc = min(acc, x)
	hmin  func(m reg.VecVirtual)          // every lane = min of all
	hor   func(or, t reg.VecVirtual)      // every lane = or of all
	store func(m reg.VecVirtual, dst Mem) // store lane 0
	width func(or reg.VecVirtual, x, w, minusOne reg.GPVirtual)
}

// min64 sets acc to the signed minimum of acc and x: AVX2 has no 64-bit
// minimum, so a compare selects.
func min64(acc, x reg.VecVirtual) {
	mask := YMM()
	VPCMPGTQ(x, acc, mask)       // mask = acc > x
	VBLENDVPD(mask, x, acc, acc) // acc = mask ? x : acc
}

var enc64 = encoder{
	name: "deltaEncode64AVX2",
	size: 8,
	sub:  func(a, b, dst Op) { VPSUBQ(a, b, dst) },
	min:  min64,
	hmin: func(m reg.VecVirtual) {
		t := YMM()
		VPERMQ(U8(0x4e), m, t) // swap the 128-bit halves
		min64(m, t)
		VPSHUFD(U8(0x4e), m, t) // swap the qwords of each half
		min64(m, t)
	},
	hor: func(or, t reg.VecVirtual) {
		VPERMQ(U8(0x4e), or, t)
		VPOR(t, or, or)
		VPSHUFD(U8(0x4e), or, t)
		VPOR(t, or, or)
	},
	store: func(m reg.VecVirtual, dst Mem) { VMOVQ(m.AsX(), dst) },
	width: func(or reg.VecVirtual, x, w, minusOne reg.GPVirtual) {
		VMOVQ(or.AsX(), x)
		bitLen(x, w, minusOne, true)
	},
}

var enc32 = encoder{
	name: "deltaEncode32AVX2",
	size: 4,
	sub:  func(a, b, dst Op) { VPSUBD(a, b, dst) },
	min:  func(acc, x reg.VecVirtual) { VPMINSD(x, acc, acc) },
	hmin: func(m reg.VecVirtual) {
		t := YMM()
		VPERMQ(U8(0x4e), m, t)
		VPMINSD(t, m, m)
		VPSHUFD(U8(0x4e), m, t)
		VPMINSD(t, m, m)
		VPSHUFD(U8(0xb1), m, t) // swap the dwords of each qword
		VPMINSD(t, m, m)
	},
	hor: func(or, t reg.VecVirtual) {
		VPERMQ(U8(0x4e), or, t)
		VPOR(t, or, or)
		VPSHUFD(U8(0x4e), or, t)
		VPOR(t, or, or)
		VPSHUFD(U8(0xb1), or, t)
		VPOR(t, or, or)
	},
	store: func(m reg.VecVirtual, dst Mem) { VMOVD(m.AsX(), dst) },
	width: func(or reg.VecVirtual, x, w, minusOne reg.GPVirtual) {
		VMOVD(or.AsX(), x.As32())
		bitLen(x, w, minusOne, false)
	},
}

func genEncode64() { genEncode(enc64, "func(dst []uint64, src []int64, mins []int64, widths []uint8)") }
func genEncode32() { genEncode(enc32, "func(dst []uint32, src []int32, mins []int32, widths []uint8)") }

// genEncode emits an encoder loop of one block per iteration.
// (Interleaving two blocks, so that one block's reductions overlap the
// other's work, doubled the code without a gain measurable here.)
func genEncode(e encoder, sig string) {
	TEXT(e.name, NOSPLIT, sig)
	Pragma("noescape")
	Doc(e.name + " implements kernelSet." + e.name[:len("deltaEncodeNN")] + " for len(mins) blocks.")
	dst := Load(Param("dst").Base(), GP64())
	src := Load(Param("src").Base(), GP64())
	mins := Load(Param("mins").Base(), GP64())
	widths := Load(Param("widths").Base(), GP64())
	k := Load(Param("mins").Len(), GP64())
	minusOne := GP64()
	MOVQ(I32(-1), minusOne)

	TESTQ(k, k)
	JZ(LabelRef("done"))
	Label("block")
	encodeBlocks(e, 1, dst, src, mins, widths, minusOne)
	ADDQ(U32(e.size*blockLen), src)
	ADDQ(U32(e.size*blockLen), dst)
	ADDQ(U8(e.size), mins)
	ADDQ(U8(miniblocks), widths)
	DECQ(k)
	JNZ(LabelRef("block"))

	Label("done")
	VZEROUPPER()
	RET()
}

// encodeBlocks emits the work of nb consecutive blocks, their instructions
// interleaved.
func encodeBlocks(e encoder, nb int, dst, src, mins, widths reg.Register, minusOne reg.GPVirtual) {
	lanes := 32 / e.size
	vecs := blockLen / lanes
	bb := e.size * blockLen // bytes per block

	// Pass 1: deltas src[i+1]-src[i] into dst, four running minima per
	// block.
	acc := make([][]reg.VecVirtual, nb)
	for b := range acc {
		acc[b] = []reg.VecVirtual{YMM(), YMM(), YMM(), YMM()}
	}
	for i := 0; i < vecs; i++ {
		for b := 0; b < nb; b++ {
			a := acc[b][i%4]
			d := a
			if i >= 4 {
				d = YMM()
			}
			VMOVDQU(Mem{Base: src, Disp: b*bb + e.size + 32*i}, d)
			e.sub(Mem{Base: src, Disp: b*bb + 32*i}, d, d)
			VMOVDQU(d, Mem{Base: dst, Disp: b*bb + 32*i})
			if i >= 4 {
				e.min(a, d)
			}
		}
	}
	m := make([]reg.VecVirtual, nb)
	for b := 0; b < nb; b++ {
		e.min(acc[b][0], acc[b][1])
		e.min(acc[b][2], acc[b][3])
	}
	for b := 0; b < nb; b++ {
		e.min(acc[b][0], acc[b][2])
		m[b] = acc[b][0]
	}
	for b := 0; b < nb; b++ {
		e.hmin(m[b])
		e.store(m[b], Mem{Base: mins, Disp: b * e.size})
	}

	// Pass 2: subtract the minimum, OR each miniblock, take its width.
	per := MiniblockVecs(lanes)
	for mb := 0; mb < miniblocks; mb++ {
		for b := 0; b < nb; b++ {
			or := []reg.VecVirtual{YMM(), YMM()}
			for j := 0; j < per; j++ {
				off := b*bb + 32*(per*mb+j)
				v := YMM()
				VMOVDQU(Mem{Base: dst, Disp: off}, v)
				e.sub(m[b], v, v)
				VMOVDQU(v, Mem{Base: dst, Disp: off})
				if j < 2 {
					VMOVDQA(v, or[j])
				} else {
					VPOR(v, or[j%2], or[j%2])
				}
			}
			VPOR(or[1], or[0], or[0])
			e.hor(or[0], YMM())
			x, w := GP64(), GP64()
			e.width(or[0], x, w, minusOne)
			MOVB(w.As8(), Mem{Base: widths, Disp: b*miniblocks + mb})
		}
	}
}

// MiniblockVecs is the number of vectors of the given lane count that hold
// one 32-value miniblock.
func MiniblockVecs(lanes int) int { return 32 / lanes }

func genDecode64() {
	TEXT("deltaDecode64AVX2", NOSPLIT, "func(vals []uint64, mins []int64, prev int64)")
	Pragma("noescape")
	Doc("deltaDecode64AVX2 implements kernelSet.deltaDecode64 for len(mins) blocks.")
	vals := Load(Param("vals").Base(), GP64())
	mins := Load(Param("mins").Base(), GP64())
	k := Load(Param("mins").Len(), GP64())
	p := Load(Param("prev"), GP64())
	carry := YMM()
	VMOVQ(p, carry.AsX())
	VPBROADCASTQ(carry.AsX(), carry)
	zero := YMM()
	VPXOR(zero, zero, zero)

	TESTQ(k, k)
	JZ(LabelRef("done"))
	Label("block")
	minv := YMM()
	VPBROADCASTQ(Mem{Base: mins}, minv)
	for i := 0; i < blockLen/4; i++ {
		x, t, tot := YMM(), YMM(), YMM()
		VPADDQ(Mem{Base: vals, Disp: 32 * i}, minv, x)
		VPSLLDQ(U8(8), x, t) // [0, x0 | 0, x2]
		VPADDQ(t, x, x)      // [x0, x0+x1 | x2, x2+x3]
		VPERMQ(U8(0x50), x, t)
		VPBLENDD(U8(0x0f), zero, t, t) // [0, 0, x0+x1, x0+x1]
		VPADDQ(t, x, x)                // prefix sums of the vector
		VPERMQ(U8(0xff), x, tot)       // its total in every lane
		VPADDQ(carry, x, x)
		VMOVDQU(x, Mem{Base: vals, Disp: 32 * i})
		VPADDQ(tot, carry, carry)
	}
	ADDQ(U32(8*blockLen), vals)
	ADDQ(U8(8), mins)
	DECQ(k)
	JNZ(LabelRef("block"))

	Label("done")
	VZEROUPPER()
	RET()
}

func genDecode32() {
	TEXT("deltaDecode32AVX2", NOSPLIT, "func(vals []uint32, mins []int32, prev int32)")
	Pragma("noescape")
	Doc("deltaDecode32AVX2 implements kernelSet.deltaDecode32 for len(mins) blocks.")
	vals := Load(Param("vals").Base(), GP64())
	mins := Load(Param("mins").Base(), GP64())
	k := Load(Param("mins").Len(), GP64())
	p := Load(Param("prev"), GP32())
	carry := YMM()
	VMOVD(p, carry.AsX())
	VPBROADCASTD(carry.AsX(), carry)
	seven := YMM()
	c := GP32()
	MOVL(U32(7), c)
	VMOVD(c, seven.AsX())
	VPBROADCASTD(seven.AsX(), seven)

	TESTQ(k, k)
	JZ(LabelRef("done"))
	Label("block")
	minv := YMM()
	VPBROADCASTD(Mem{Base: mins}, minv)
	for i := 0; i < blockLen/8; i++ {
		x, t, tot := YMM(), YMM(), YMM()
		VPADDD(Mem{Base: vals, Disp: 32 * i}, minv, x)
		VPSLLDQ(U8(4), x, t)
		VPADDD(t, x, x)
		VPSLLDQ(U8(8), x, t)
		VPADDD(t, x, x)               // prefix sums within each 128-bit half
		VPSHUFD(U8(0xff), x, t)       // the low half's total in its four dwords
		VPERM2I128(U8(0x08), t, t, t) // moved to the high half, zero below
		VPADDD(t, x, x)               // prefix sums of the vector
		VPERMD(x, seven, tot)         // its total in every lane
		VPADDD(carry, x, x)
		VMOVDQU(x, Mem{Base: vals, Disp: 32 * i})
		VPADDD(tot, carry, carry)
	}
	ADDQ(U32(4*blockLen), vals)
	ADDQ(U8(4), mins)
	DECQ(k)
	JNZ(LabelRef("block"))

	Label("done")
	VZEROUPPER()
	RET()
}
