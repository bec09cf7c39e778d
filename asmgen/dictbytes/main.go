// Command dictbytes generates the amd64 kernels of DictBytes
// (kernels/dict_bytes.go): kernels/dict_bytes_amd64.s and its Go
// declarations, kernels/dict_bytes_amd64.go.
//
// hashBytesAMD64 is hashBytesGo in scalar code: per value, three 8-byte
// loads at positions chosen with CMOV, one SHRX that drops the bytes before
// a value shorter than 8, and the two 64x64-bit multiplications of mixKey.
// Go's compiler keeps too few of that loop's values in registers; written
// out, a value takes about a third of the instructions.
//
// probeBytesAVX2 is probeBytesGo: it broadcasts the key's control byte,
// compares the 16 control bytes of a group with one VPCMPEQB, takes the
// candidate slots from VPMOVMSKB and compares each one's four key words
// with the key's; the same control bytes' VPMOVMSKB (high bit set = full)
// gives the empty slots. It returns to Go at a missing key (with the
// group's first empty slot) or a key longer than 24 bytes.
package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

func main() {
	ConstraintExpr("!purego")
	hashBytes()
	probeBytes()
	Generate()
}

// hashK2 is the constant of kernels/dict_bytes.go that mixKey mixes the
// length with.
const hashK2 = 0xd6e8feb86659fd93

func hashBytes() {
	const name = "hashBytesAMD64"
	TEXT(name, NOSPLIT, "func(keys []uint64, hashes []uint32, slab []byte, offsets []int32, s0, s1, s2 uint64) bool")
	Doc(name+" is hashBytesGo over len(keys)/4 values: it writes the four",
		"words of value i's key to keys[4i:4i+4] and its hash to hashes[i] for",
		"each value shortValue takes, and reports whether it left any other.",
		"len(hashes) >= len(keys)/4, len(offsets) > len(keys)/4, and the",
		"offsets lie in slab and do not decrease.")

	n := Load(Param("keys").Len(), GP64())
	SHRQ(U8(2), n)
	ret, err := ReturnIndex(0).Resolve()
	if err != nil {
		panic(err)
	}
	MOVB(U8(0), ret.Addr)
	TESTQ(n, n)
	JZ(LabelRef(name + "_done"))
	keysP := Load(Param("keys").Base(), GP64())
	hashP := Load(Param("hashes").Base(), GP64())
	slabP := Load(Param("slab").Base(), GP64())
	offP := Load(Param("offsets").Base(), GP64())
	s0, err := Param("s0").Resolve()
	if err != nil {
		panic(err)
	}
	s1, err := Param("s1").Resolve()
	if err != nil {
		panic(err)
	}
	s2, err := Param("s2").Resolve()
	if err != nil {
		panic(err)
	}

	Label(name + "_value")
	o, e, ln, sh, t := GP64(), GP64(), GP64(), GP64(), GP64()
	MOVLQSX(Mem{Base: offP}, o)
	MOVLQSX(Mem{Base: offP, Disp: 4}, e)
	MOVQ(e, ln)
	SUBQ(o, ln)
	Comment("shortValue: e >= 8 and 1 <= length <= 24.")
	CMPQ(e, U8(8))
	JL(LabelRef(name + "_left"))
	LEAQ(Mem{Base: ln, Disp: -1}, t)
	CMPQ(t, U8(23))
	JA(LabelRef(name + "_left"))

	Comment("sh = 64 - 8*min(length, 8); e = e-8, where the last word starts.")
	MOVQ(ln, sh)
	MOVL(U32(8), t.As32())
	CMPQ(sh, t)
	CMOVQGT(t, sh)
	SHLQ(U8(3), sh)
	NEGQ(sh)
	ADDQ(U8(64), sh)
	SUBQ(U8(8), e)

	a, b, c := GP64(), GP64(), GP64()
	Comment("c = the last word; a from min(o, e), b from min(o+8, e).")
	MOVQ(Mem{Base: slabP, Index: e, Scale: 1}, c)
	SHRXQ(sh, c, c)
	CMPQ(o, e)
	CMOVQGT(e, o)
	MOVQ(Mem{Base: slabP, Index: o, Scale: 1}, a)
	SHRXQ(sh, a, a)
	MOVLQSX(Mem{Base: offP}, o)
	ADDQ(U8(8), o)
	CMPQ(o, e)
	CMOVQGT(e, o)
	MOVQ(Mem{Base: slabP, Index: o, Scale: 1}, b)
	SHRXQ(sh, b, b)
	MOVQ(a, Mem{Base: keysP})
	MOVQ(b, Mem{Base: keysP, Disp: 8})
	MOVQ(c, Mem{Base: keysP, Disp: 16})
	MOVQ(ln, Mem{Base: keysP, Disp: 24})

	Comment("mixKey: h = fold(a^s2^s0, b^s1) ^ c; hash = fold(h^s2, length^hashK2).")
	MOVQ(a, RAX)
	XORQ(s2.Addr, RAX)
	XORQ(s0.Addr, RAX)
	XORQ(s1.Addr, b)
	MULQ(b)
	XORQ(RDX, RAX)
	XORQ(c, RAX)
	XORQ(s2.Addr, RAX)
	MOVQ(U64(hashK2), t)
	XORQ(t, ln)
	MULQ(ln)
	XORQ(RDX, RAX)
	MOVL(EAX, Mem{Base: hashP})

	Label(name + "_next")
	ADDQ(U8(32), keysP)
	ADDQ(U8(4), hashP)
	ADDQ(U8(4), offP)
	DECQ(n)
	JNZ(LabelRef(name + "_value"))

	Label(name + "_done")
	RET()

	Label(name + "_left")
	MOVB(U8(1), ret.Addr)
	JMP(LabelRef(name + "_next"))
}

func probeBytes() {
	const name = "probeBytesAVX2"
	TEXT(name, NOSPLIT, "func(ctrl []byte, slots []uint64, gmask16 uint32, keys []uint64, hashes []uint32, indexes []int32) (done int, slot int)")
	Doc(name+" is probeBytesGo over the table (ctrl, slots as four words a",
		"slot) and len(keys)/4 keys of four words; gmask16 is (groups-1)*16.",
		"A missing key's slot is the first empty one of its last group.",
		"len(hashes) and len(indexes) are len(keys)/4 at least.")

	n := Load(Param("keys").Len(), GP64())
	SHRQ(U8(2), n)
	keysP := Load(Param("keys").Base(), GP64())
	hashP := Load(Param("hashes").Base(), GP64())
	idxP := Load(Param("indexes").Base(), GP64())
	ctrlP := Load(Param("ctrl").Base(), GP64())
	slotsP := Load(Param("slots").Base(), GP64())
	gmask := Load(Param("gmask16"), GP32())
	i := GP64()
	XORQ(i, i)

	Label(name + "_key")
	CMPQ(i, n)
	JAE(LabelRef(name + "_all"))
	h, base, step, m, t, u := GP64(), GP64(), GP64(), GP64(), GP64(), GP64()
	xc := XMM()
	CMPQ(Mem{Base: keysP, Disp: 24}, U8(24))
	JA(LabelRef(name + "_long"))
	MOVL(Mem{Base: hashP}, h.As32())
	Comment("Control byte 0x80|h&0x7f, broadcast; base = group*16 = (h>>3)&gmask16.")
	MOVL(h.As32(), t.As32())
	ANDL(U32(0x7f), t.As32())
	ORL(U32(0x80), t.As32())
	MOVD(t.As32(), xc)
	VPBROADCASTB(xc, xc)
	SHRL(U8(3), h.As32())
	ANDL(gmask, h.As32())
	MOVL(h.As32(), base.As32())
	XORL(step.As32(), step.As32())

	Label(name + "_group")
	x, eq := XMM(), XMM()
	VMOVDQU(Mem{Base: ctrlP, Index: base, Scale: 1}, x)
	VPCMPEQB(xc, x, eq)
	VPMOVMSKB(eq, m.As32())
	TESTL(m.As32(), m.As32())
	JZ(LabelRef(name + "_nomatch"))

	Label(name + "_candidate")
	Comment("Slot base+j, 32 bytes a slot: its key words against the key's.")
	TZCNTL(m.As32(), t.As32())
	ADDL(base.As32(), t.As32())
	SHLQ(U8(5), t)
	MOVQ(Mem{Base: slotsP, Index: t, Scale: 1}, u)
	XORQ(Mem{Base: keysP}, u)
	MOVQ(Mem{Base: slotsP, Index: t, Scale: 1, Disp: 8}, h)
	XORQ(Mem{Base: keysP, Disp: 8}, h)
	ORQ(h, u)
	MOVQ(Mem{Base: slotsP, Index: t, Scale: 1, Disp: 16}, h)
	XORQ(Mem{Base: keysP, Disp: 16}, h)
	ORQ(h, u)
	MOVL(Mem{Base: slotsP, Index: t, Scale: 1, Disp: 24}, h.As32())
	XORL(Mem{Base: keysP, Disp: 24}, h.As32())
	ORQ(h, u)
	JNZ(LabelRef(name + "_mismatch"))
	Comment("Found: the slot's index is the high half of its meta word.")
	MOVL(Mem{Base: slotsP, Index: t, Scale: 1, Disp: 28}, t.As32())
	MOVL(t.As32(), Mem{Base: idxP})
	ADDQ(U8(32), keysP)
	ADDQ(U8(4), hashP)
	ADDQ(U8(4), idxP)
	INCQ(i)
	JMP(LabelRef(name + "_key"))

	Label(name + "_mismatch")
	BLSRL(m.As32(), m.As32())
	JNZ(LabelRef(name + "_candidate"))

	Label(name + "_nomatch")
	VPMOVMSKB(x, m.As32())
	XORL(U32(0xffff), m.As32())
	JNZ(LabelRef(name + "_empty"))
	Comment("Group full: on to the next group of the triangular sequence.")
	ADDL(U8(16), step.As32())
	ADDL(step.As32(), base.As32())
	ANDL(gmask, base.As32())
	JMP(LabelRef(name + "_group"))

	Label(name + "_empty")
	Comment("Missing: return the key's position and the group's first empty slot.")
	TZCNTL(m.As32(), m.As32())
	ADDL(base.As32(), m.As32())
	Store(i, ReturnIndex(0))
	Store(m, ReturnIndex(1))
	VZEROUPPER()
	RET()

	Label(name + "_long")
	Store(i, ReturnIndex(0))
	MOVQ(I64(-1), t)
	Store(t, ReturnIndex(1))
	VZEROUPPER()
	RET()

	Label(name + "_all")
	Store(n, ReturnIndex(0))
	XORQ(t, t)
	Store(t, ReturnIndex(1))
	VZEROUPPER()
	RET()
}
