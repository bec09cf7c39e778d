// Command stats generates the AVX2 min/max kernels of kernels/stats.go:
// kernels/stats_amd64.s and its Go declarations, kernels/stats_amd64.go.
//
// Each kernel takes a non-empty multiple of 32 values and keeps four pairs
// of vector accumulators (min and max) over 128 bytes per iteration, then
// folds them. Integers use VPMINSD/VPMAXSD (32-bit) or VPCMPGTQ+VPBLENDVB
// (64-bit, AVX2 has no 64-bit signed min). Floats use VMINPD/VMAXPD with the
// accumulator as the second source: when the loaded value is NaN the
// instruction returns the second source, so NaN never enters an
// accumulator, which starts at +Inf (min) or -Inf (max).
package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

type kind struct {
	name  string // Int32, Int64, Float32, Float64
	gotyp string
	size  int
	float bool
}

func main() {
	ConstraintExpr("!purego")
	for _, k := range []kind{
		{"Int32", "int32", 4, false},
		{"Int64", "int64", 8, false},
		{"Float32", "float32", 4, true},
		{"Float64", "float64", 8, true},
	} {
		minMax(k)
	}
	Generate()
}

// op folds src into the accumulator acc (both vectors of the same width):
// acc = min(acc, src) or max(acc, src). tmp is a scratch register of the
// same width, used by the 64-bit integer forms.
func op(k kind, isMax bool, src, acc, tmp Op) {
	switch {
	case k.float && k.size == 8 && !isMax:
		VMINPD(acc, src, acc)
	case k.float && k.size == 8:
		VMAXPD(acc, src, acc)
	case k.float && !isMax:
		VMINPS(acc, src, acc)
	case k.float:
		VMAXPS(acc, src, acc)
	case k.size == 4 && !isMax:
		VPMINSD(src, acc, acc)
	case k.size == 4:
		VPMAXSD(src, acc, acc)
	case !isMax: // acc > src: take src
		VPCMPGTQ(src, acc, tmp)
		VPBLENDVB(tmp, src, acc, acc)
	default: // src > acc: take src
		VPCMPGTQ(acc, src, tmp)
		VPBLENDVB(tmp, src, acc, acc)
	}
}

func minMax(k kind) {
	name := fmt.Sprintf("minMax%sAVX2", k.name)
	TEXT(name, NOSPLIT, fmt.Sprintf("func(v []%s) (lo, hi %s)", k.gotyp, k.gotyp))
	Doc(fmt.Sprintf("%s returns the extremes of v; len(v) is a non-zero multiple of 32.", name),
		"It reads v[:len(v)] and nothing else.")
	ptr := Load(Param("v").Base(), GP64())
	n := Load(Param("v").Len(), GP64())

	var lo, hi [4]VecVirtual
	for i := range lo {
		lo[i], hi[i] = YMM(), YMM()
	}
	if k.float {
		Comment("Accumulators start at +Inf (min) and -Inf (max).")
		g := GP64()
		if k.size == 8 {
			MOVQ(U64(0x7ff0000000000000), g)
			MOVQ(g, lo[0].AsX())
			VPBROADCASTQ(lo[0].AsX(), lo[0])
			MOVQ(U64(0xfff0000000000000), g)
			MOVQ(g, hi[0].AsX())
			VPBROADCASTQ(hi[0].AsX(), hi[0])
		} else {
			MOVL(U32(0x7f800000), g.As32())
			MOVD(g.As32(), lo[0].AsX())
			VPBROADCASTD(lo[0].AsX(), lo[0])
			MOVL(U32(0xff800000), g.As32())
			MOVD(g.As32(), hi[0].AsX())
			VPBROADCASTD(hi[0].AsX(), hi[0])
		}
	} else {
		Comment("Accumulators start at v[0].")
		if k.size == 8 {
			VPBROADCASTQ(Mem{Base: ptr}, lo[0])
		} else {
			VPBROADCASTD(Mem{Base: ptr}, lo[0])
		}
		VMOVDQA(lo[0], hi[0])
	}
	for i := 1; i < 4; i++ {
		VMOVDQA(lo[0], lo[i])
		VMOVDQA(hi[0], hi[i])
	}

	perIter := 128 / k.size
	Label(name + "_loop")
	var x, tmp [4]VecVirtual
	for i := range x {
		x[i], tmp[i] = YMM(), YMM()
		VMOVDQU(Mem{Base: ptr, Disp: 32 * i}, x[i])
	}
	for i := range x {
		op(k, false, x[i], lo[i], tmp[i])
		op(k, true, x[i], hi[i], tmp[i])
	}
	ADDQ(U32(128), ptr)
	SUBQ(U32(perIter), n)
	JNZ(LabelRef(name + "_loop"))

	Comment("Fold the four accumulators, then the lanes.")
	t := YMM()
	for _, acc := range [][4]VecVirtual{lo, hi} {
		isMax := acc == hi
		op(k, isMax, acc[1], acc[0], t)
		op(k, isMax, acc[3], acc[2], t)
		op(k, isMax, acc[2], acc[0], t)
		h := XMM()
		VEXTRACTI128(U8(1), acc[0], h)
		op(k, isMax, h, acc[0].AsX(), t.AsX())
		VPSHUFD(U8(0x4e), acc[0].AsX(), h)
		op(k, isMax, h, acc[0].AsX(), t.AsX())
		if k.size == 4 {
			VPSHUFD(U8(0xb1), acc[0].AsX(), h)
			op(k, isMax, h, acc[0].AsX(), t.AsX())
		}
	}
	switch {
	case k.float:
		Store(lo[0].AsX(), ReturnIndex(0))
		Store(hi[0].AsX(), ReturnIndex(1))
	case k.size == 8:
		r := GP64()
		MOVQ(lo[0].AsX(), r)
		Store(r, ReturnIndex(0))
		MOVQ(hi[0].AsX(), r)
		Store(r, ReturnIndex(1))
	default:
		r := GP32()
		MOVD(lo[0].AsX(), r)
		Store(r, ReturnIndex(0))
		MOVD(hi[0].AsX(), r)
		Store(r, ReturnIndex(1))
	}
	VZEROUPPER()
	RET()
}
