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

func genEncode64() {
	TEXT("deltaEncode64AVX2", NOSPLIT, "func(dst []uint64, src []int64, mins []int64, widths []uint8)")
	Pragma("noescape")
	Doc("deltaEncode64AVX2 implements kernelSet.deltaEncode64 for len(mins) blocks.")
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

	// Pass 1: deltas into dst, four running minima.
	const vecs = blockLen / 4
	acc := []reg.VecVirtual{YMM(), YMM(), YMM(), YMM()}
	mask := YMM()
	for i := 0; i < vecs; i++ {
		a := acc[i%4]
		d := a
		if i >= 4 {
			d = YMM()
		}
		VMOVDQU(Mem{Base: src, Disp: 8 + 32*i}, d)
		VPSUBQ(Mem{Base: src, Disp: 32 * i}, d, d)
		VMOVDQU(d, Mem{Base: dst, Disp: 32 * i})
		if i >= 4 {
			VPCMPGTQ(d, a, mask)     // mask = a > d
			VBLENDVPD(mask, d, a, a) // a = mask ? d : a
		}
	}
	min64 := func(a, b reg.VecVirtual) { // a = min(a, b)
		VPCMPGTQ(b, a, mask)
		VBLENDVPD(mask, b, a, a)
	}
	min64(acc[0], acc[1])
	min64(acc[2], acc[3])
	min64(acc[0], acc[2])
	m := acc[0]
	t := YMM()
	VPERMQ(U8(0x4e), m, t) // swap the 128-bit halves
	min64(m, t)
	VPSHUFD(U8(0x4e), m, t) // swap the qwords of each half
	min64(m, t)
	VMOVQ(m.AsX(), Mem{Base: mins})

	// Pass 2: subtract the minimum, OR each miniblock, take its width.
	or := []reg.VecVirtual{YMM(), YMM()}
	x := GP64()
	w := GP64()
	for mb := 0; mb < miniblocks; mb++ {
		for j := 0; j < 8; j++ {
			off := 32 * (8*mb + j)
			v := YMM()
			VMOVDQU(Mem{Base: dst, Disp: off}, v)
			VPSUBQ(m, v, v)
			VMOVDQU(v, Mem{Base: dst, Disp: off})
			if j < 2 {
				VMOVDQA(v, or[j])
			} else {
				VPOR(v, or[j%2], or[j%2])
			}
		}
		VPOR(or[1], or[0], or[0])
		VPERMQ(U8(0x4e), or[0], t)
		VPOR(t, or[0], or[0])
		VPSHUFD(U8(0x4e), or[0], t)
		VPOR(t, or[0], or[0])
		VMOVQ(or[0].AsX(), x)
		bitLen(x, w, minusOne, true)
		MOVB(w.As8(), Mem{Base: widths, Disp: mb})
	}

	ADDQ(U32(8*blockLen), src)
	ADDQ(U32(8*blockLen), dst)
	ADDQ(U8(8), mins)
	ADDQ(U8(miniblocks), widths)
	DECQ(k)
	JNZ(LabelRef("block"))

	Label("done")
	VZEROUPPER()
	RET()
}

func genEncode32() {
	TEXT("deltaEncode32AVX2", NOSPLIT, "func(dst []uint32, src []int32, mins []int32, widths []uint8)")
	Pragma("noescape")
	Doc("deltaEncode32AVX2 implements kernelSet.deltaEncode32 for len(mins) blocks.")
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

	const vecs = blockLen / 8
	acc := []reg.VecVirtual{YMM(), YMM(), YMM(), YMM()}
	for i := 0; i < vecs; i++ {
		a := acc[i%4]
		d := a
		if i >= 4 {
			d = YMM()
		}
		VMOVDQU(Mem{Base: src, Disp: 4 + 32*i}, d)
		VPSUBD(Mem{Base: src, Disp: 32 * i}, d, d)
		VMOVDQU(d, Mem{Base: dst, Disp: 32 * i})
		if i >= 4 {
			VPMINSD(d, a, a)
		}
	}
	VPMINSD(acc[1], acc[0], acc[0])
	VPMINSD(acc[3], acc[2], acc[2])
	VPMINSD(acc[2], acc[0], acc[0])
	m := acc[0]
	t := YMM()
	VPERMQ(U8(0x4e), m, t)
	VPMINSD(t, m, m)
	VPSHUFD(U8(0x4e), m, t)
	VPMINSD(t, m, m)
	VPSHUFD(U8(0xb1), m, t) // swap the dwords of each qword
	VPMINSD(t, m, m)
	VMOVD(m.AsX(), Mem{Base: mins})

	or := []reg.VecVirtual{YMM(), YMM()}
	x := GP64()
	w := GP64()
	for mb := 0; mb < miniblocks; mb++ {
		for j := 0; j < 4; j++ {
			off := 32 * (4*mb + j)
			v := YMM()
			VMOVDQU(Mem{Base: dst, Disp: off}, v)
			VPSUBD(m, v, v)
			VMOVDQU(v, Mem{Base: dst, Disp: off})
			if j < 2 {
				VMOVDQA(v, or[j])
			} else {
				VPOR(v, or[j%2], or[j%2])
			}
		}
		VPOR(or[1], or[0], or[0])
		VPERMQ(U8(0x4e), or[0], t)
		VPOR(t, or[0], or[0])
		VPSHUFD(U8(0x4e), or[0], t)
		VPOR(t, or[0], or[0])
		VPSHUFD(U8(0xb1), or[0], t)
		VPOR(t, or[0], or[0])
		VMOVD(or[0].AsX(), x.As32())
		bitLen(x, w, minusOne, false)
		MOVB(w.As8(), Mem{Base: widths, Disp: mb})
	}

	ADDQ(U32(4*blockLen), src)
	ADDQ(U32(4*blockLen), dst)
	ADDQ(U8(4), mins)
	ADDQ(U8(miniblocks), widths)
	DECQ(k)
	JNZ(LabelRef("block"))

	Label("done")
	VZEROUPPER()
	RET()
}

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
