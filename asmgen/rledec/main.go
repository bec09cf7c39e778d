// Command rledec generates the AVX2 kernel of the level decoder of package
// kernels: kernels/rle_decode_amd64.s and its Go declaration
// kernels/rle_decode_amd64.go.
//
//   - fillBytesAVX2 writes n copies of one byte, n >= 64, with 32-byte
//     stores of the broadcast byte (VPBROADCASTB): two an iteration (four
//     measured slower and less steady on AMD EPYC), then one, and a last
//     store that ends exactly at byte n, so that nothing past dst[n-1] is
//     written. It serves long RLE runs, which the
//     portable code writes by copying, a load for every store.
package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
)

func main() {
	ConstraintExpr("!purego")
	genFillBytes()
	Generate()
}

func genFillBytes() {
	TEXT("fillBytesAVX2", NOSPLIT, "func(dst *byte, n int, v uint8)")
	Doc("fillBytesAVX2 sets dst[:n] to v; n >= 64. It writes nothing past dst[n-1].")
	Pragma("noescape")
	dst := Load(Param("dst"), GP64())
	n := Load(Param("n"), GP64())
	v := Load(Param("v"), GP32())
	vx := XMM()
	VMOVD(v, vx)
	y := YMM()
	VPBROADCASTB(vx, y)

	// end is the address of the last 32 bytes to write.
	end := GP64()
	LEAQ(Mem{Base: dst, Index: n, Scale: 1, Disp: -32}, end)
	// Two stores an iteration while 64 bytes remain.
	lim := GP64()
	LEAQ(Mem{Base: dst, Index: n, Scale: 1, Disp: -64}, lim)
	CMPQ(dst, lim)
	JA(LabelRef("fill32"))
	Label("fill64")
	VMOVDQU(y, Mem{Base: dst})
	VMOVDQU(y, Mem{Base: dst, Disp: 32})
	ADDQ(Imm(64), dst)
	CMPQ(dst, lim)
	JBE(LabelRef("fill64"))
	// One store at a time while 32 bytes remain past dst.
	Label("fill32")
	CMPQ(dst, end)
	JAE(LabelRef("last"))
	VMOVDQU(y, Mem{Base: dst})
	ADDQ(Imm(32), dst)
	JMP(LabelRef("fill32"))
	// The last 32 bytes, overlapping bytes already written.
	Label("last")
	VMOVDQU(y, Mem{Base: end})
	VZEROUPPER()
	RET()
}
