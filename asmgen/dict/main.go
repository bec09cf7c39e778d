// Command dict generates the AVX2 probe-and-insert kernels of
// kernels/dict.go: kernels/dict_amd64.s and its Go declarations,
// kernels/dict_amd64.go.
//
// A kernel takes one batch of keys for a table that has room for all of
// them. The 32-bit kernel first hashes the batch, eight keys per VPMULLD
// pair, into probe words (the byte offset of each key's home bucket) in the
// hashes scratch array; then, per key, it prefetches the bucket of the key 8
// ahead, compares the bucket's 8 keys with the broadcast key in one
// VPCMPEQD and takes the first match's index with VMOVMSKPS and TZCNT. No
// match, or a match on an empty slot, goes to the slow path, which inserts
// the key into the bucket's first empty slot or moves on to the next bucket.
// The 64-bit kernel (AVX2 has no 64-bit multiply, so it hashes each key with
// two IMULQ as it probes it) works on 16-slot groups of control bytes: it
// broadcasts the key's control byte, compares the group's 16 with one
// VPCMPEQB, turns the result into a bit mask with VPMOVMSKB and checks the
// candidate slots' keys; the same control bytes' VPMOVMSKB (high bit set =
// full) gives the empty slots. The layouts and probe sequences are those of
// the references in kernels/dict.go.
package main

import (
	. "github.com/mmcloughlin/avo/build"
	"github.com/mmcloughlin/avo/gotypes"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

func main() {
	ConstraintExpr("!purego")
	insert32()
	insert64()
	Generate()
}

func addr(c gotypes.Component) Mem {
	b, err := c.Resolve()
	if err != nil {
		panic(err)
	}
	return b.Addr
}

// The hash constants of kernels/dict.go.
const (
	h32a = 0x7feb352d
	h32b = 0x846ca68b
	h64  = 0xd6e8feb86659fd93
)

// insert64 generates the kernel of table64: 16-slot groups of control
// bytes, slots of two words (key, index).
func insert64() {
	const name = "insert64AVX2"
	TEXT(name, NOSPLIT, "func(ctrl []byte, slots []uint64, values []uint64, indexes []int32, keys []uint64, gmask16 uint32, seed uint64, count int) int")
	Doc(name+" probes keys into the table (ctrl, slots), writes each key's index",
		"to indexes, appends new keys to values[count:] and returns the new count.",
		"gmask16 is (groups-1)*16. The table and values must have room for every",
		"key; len(indexes) >= len(keys).",
		"",
		"It touches no element past those lengths.")

	n := Load(Param("keys").Len(), GP64())
	ret := addr(ReturnIndex(0))
	count := Load(Param("count"), GP64())
	Store(count, ReturnIndex(0))
	TESTQ(n, n)
	JZ(LabelRef(name + "_done"))

	keysP := Load(Param("keys").Base(), GP64())
	idxP := Load(Param("indexes").Base(), GP64())
	i := GP64()
	Comment("Point at the ends of the arrays and count i up from -n to 0.")
	LEAQ(Mem{Base: keysP, Index: n, Scale: 8}, keysP)
	LEAQ(Mem{Base: idxP, Index: n, Scale: 4}, idxP)
	MOVQ(n, i)
	NEGQ(i)

	ctrlP := Load(Param("ctrl").Base(), GP64())
	slotsP := Load(Param("slots").Base(), GP64())
	gmask := Load(Param("gmask16"), GP32())
	seed := Load(Param("seed"), GP64())

	Label(name + "_key")
	k, h, base, step, m, t := GP64(), GP64(), GP64(), GP64(), GP64(), GP64()
	xc := XMM()
	MOVQ(Mem{Base: keysP, Index: i, Scale: 8}, k)
	Comment("h = hash64(k, seed)")
	MOVQ(k, h)
	XORQ(seed, h)
	MOVQ(h, t)
	SHRQ(U8(32), t)
	XORQ(t, h)
	MOVQ(U64(h64), t)
	IMULQ(t, h)
	MOVQ(h, m)
	SHRQ(U8(32), m)
	XORQ(m, h)
	IMULQ(t, h)
	MOVQ(h, t)
	SHRQ(U8(32), t)
	XORL(t.As32(), h.As32())
	Comment("Control byte 0x80|h&0x7f, broadcast; base = group*16.")
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
	TZCNTL(m.As32(), t.As32())
	ADDL(base.As32(), t.As32())
	SHLQ(U8(4), t)
	CMPQ(Mem{Base: slotsP, Index: t, Scale: 1}, k)
	JNE(LabelRef(name + "_mismatch"))
	MOVL(Mem{Base: slotsP, Index: t, Scale: 1, Disp: 8}, t.As32())
	Comment("Found: the hot path runs straight on to the next key.")
	MOVL(t.As32(), Mem{Base: idxP, Index: i, Scale: 4})
	INCQ(i)
	JNZ(LabelRef(name + "_key"))
	JMP(LabelRef(name + "_done"))

	Label(name + "_mismatch")
	BLSRL(m.As32(), m.As32())
	JNZ(LabelRef(name + "_candidate"))

	Label(name + "_nomatch")
	VPMOVMSKB(x, m.As32())
	XORL(U32(0xffff), m.As32())
	JNZ(LabelRef(name + "_insert"))
	Comment("Group full: on to the next group of the triangular sequence.")
	ADDL(U8(16), step.As32())
	ADDL(step.As32(), base.As32())
	ANDL(gmask, base.As32())
	JMP(LabelRef(name + "_group"))

	Label(name + "_insert")
	Comment("New key: take the first empty slot of the group.")
	TZCNTL(m.As32(), m.As32())
	ADDL(base.As32(), m.As32())
	MOVD(xc, t.As32())
	MOVB(t.As8(), Mem{Base: ctrlP, Index: m, Scale: 1})
	MOVQ(ret, t)
	MOVL(t.As32(), Mem{Base: idxP, Index: i, Scale: 4})
	vals := Load(Param("values").Base(), GP64())
	MOVQ(k, Mem{Base: vals, Index: t, Scale: 8})
	SHLQ(U8(4), m)
	MOVQ(k, Mem{Base: slotsP, Index: m, Scale: 1})
	MOVQ(t, Mem{Base: slotsP, Index: m, Scale: 1, Disp: 8})
	INCQ(ret)
	INCQ(i)
	JNZ(LabelRef(name + "_key"))

	Label(name + "_done")
	VZEROUPPER()
	RET()
}

// hash32Batch fills hashes[-n:0] (relative to the end pointers) with the
// probe word of each key, from h = hash32 of the key: the byte offset of
// its home bucket, ((h>>7)&bmask)*64 = (h>>1)&bmask64; eight keys at a time,
// then one at a time.
func hash32Batch(name string, n, keysP, hashP, gmask Register) {
	Comment("Hash the batch: x = k^seed; x ^= x>>16; x *= A; x ^= x>>15; x *= B; x ^= x>>16.")
	i := GP64()
	MOVQ(n, i)
	NEGQ(i)
	seed := Load(Param("seed"), GP32())
	sv, av, bv := YMM(), YMM(), YMM()
	t := GP32()
	MOVD(seed, sv.AsX())
	VPBROADCASTD(sv.AsX(), sv)
	MOVL(U32(h32a), t)
	MOVD(t, av.AsX())
	VPBROADCASTD(av.AsX(), av)
	MOVL(U32(h32b), t)
	MOVD(t, bv.AsX())
	VPBROADCASTD(bv.AsX(), bv)
	gv := YMM()
	MOVD(gmask, gv.AsX())
	VPBROADCASTD(gv.AsX(), gv)

	Label(name + "_hash8")
	rest := GP64()
	MOVQ(i, rest)
	ADDQ(U8(8), rest)
	JG(LabelRef(name + "_hash1"))
	x, y := YMM(), YMM()
	VPXOR(Mem{Base: keysP, Index: i, Scale: 4}, sv, x)
	VPSRLD(U8(16), x, y)
	VPXOR(y, x, x)
	VPMULLD(av, x, x)
	VPSRLD(U8(15), x, y)
	VPXOR(y, x, x)
	VPMULLD(bv, x, x)
	VPSRLD(U8(16), x, y)
	VPXOR(y, x, x)
	Comment("Probe words: the home bucket's byte offset, (h>>1)&bmask64.")
	VPSRLD(U8(1), x, x)
	VPAND(gv, x, x)
	VMOVDQU(x, Mem{Base: hashP, Index: i, Scale: 4})
	ADDQ(U8(8), i)
	JMP(LabelRef(name + "_hash8"))

	Label(name + "_hash1")
	TESTQ(i, i)
	JZ(LabelRef(name + "_hashed"))
	h, u := GP32(), GP32()
	MOVL(Mem{Base: keysP, Index: i, Scale: 4}, h)
	XORL(seed, h)
	MOVL(h, u)
	SHRL(U8(16), u)
	XORL(u, h)
	IMUL3L(U32(h32a), h, h)
	MOVL(h, u)
	SHRL(U8(15), u)
	XORL(u, h)
	IMUL3L(U32(h32b), h, h)
	MOVL(h, u)
	SHRL(U8(16), u)
	XORL(u, h)
	SHRL(U8(1), h)
	ANDL(gmask, h)
	MOVL(h, Mem{Base: hashP, Index: i, Scale: 4})
	INCQ(i)
	JMP(LabelRef(name + "_hash1"))
	Label(name + "_hashed")
}

// insert32 generates the kernel of the bucketed table32: buckets of 64
// bytes, 8 keys then their 8 indexes plus one (0: empty), full slots a
// prefix of the bucket.
func insert32() {
	const name = "insert32AVX2"
	TEXT(name, NOSPLIT, "func(slots []uint32, values []uint32, indexes []int32, keys []uint32, hashes []uint32, bmask64 uint32, seed uint32, count int) int")
	Doc(name+" probes keys into the bucketed table slots, writes each key's",
		"index to indexes, appends new keys to values[count:] and returns the new",
		"count. bmask64 is (buckets-1)*64. The table and values must have room",
		"for every key; len(indexes) >= len(keys) and len(hashes) >= len(keys)+8:",
		"hashes is scratch for the batch's probe words, and the 8 words past them",
		"(stale probe words of an earlier batch, or zeros) only aim prefetches.",
		"It touches no element past those lengths.")
	n := Load(Param("keys").Len(), GP64())
	ret := addr(ReturnIndex(0))
	count := Load(Param("count"), GP64())
	Store(count, ReturnIndex(0))
	TESTQ(n, n)
	JZ(LabelRef(name + "_done"))

	keysP := Load(Param("keys").Base(), GP64())
	idxP := Load(Param("indexes").Base(), GP64())
	hashP := Load(Param("hashes").Base(), GP64())
	Comment("Point at the ends of the arrays and count i up from -n to 0.")
	LEAQ(Mem{Base: keysP, Index: n, Scale: 4}, keysP)
	LEAQ(Mem{Base: idxP, Index: n, Scale: 4}, idxP)
	LEAQ(Mem{Base: hashP, Index: n, Scale: 4}, hashP)
	hash32Batch(name, n, keysP, hashP, Load(Param("bmask64"), GP32()))
	i := GP64()
	MOVQ(n, i)
	NEGQ(i)
	slotsP := Load(Param("slots").Base(), GP64())
	bmask := Load(Param("bmask64"), GP32())
	zero := YMM()
	VPXOR(zero, zero, zero)

	Label(name + "_key")
	base, p, t := GP64(), GP64(), GP64()
	kv, eq := YMM(), YMM()
	Comment("Prefetch the bucket of the key 8 ahead.")
	MOVL(Mem{Base: hashP, Index: i, Scale: 4, Disp: 32}, t.As32())
	PREFETCHT0(Mem{Base: slotsP, Index: t, Scale: 1})
	MOVL(Mem{Base: hashP, Index: i, Scale: 4}, base.As32())
	LEAQ(Mem{Base: slotsP, Index: base, Scale: 1}, p)
	VPBROADCASTD(Mem{Base: keysP, Index: i, Scale: 4}, kv)
	VPCMPEQD(Mem{Base: p}, kv, eq)
	VMOVMSKPS(eq, t.As32())
	Comment("The first slot holding the key; none (TZCNT sets CF) or an empty",
		"one (a key of 0 meeting the bucket's free slots) is the slow path.")
	TZCNTL(t.As32(), t.As32())
	JCS(LabelRef(name + "_slow"))
	MOVL(Mem{Base: p, Index: t, Scale: 4, Disp: 32}, t.As32())
	SUBL(U8(1), t.As32())
	JCS(LabelRef(name + "_slow"))
	MOVL(t.As32(), Mem{Base: idxP, Index: i, Scale: 4})
	INCQ(i)
	JNZ(LabelRef(name + "_key"))
	JMP(LabelRef(name + "_done"))

	Label(name + "_slow")
	step, m, e := GP32(), GP32(), GP32()
	XORL(step, step)
	Label(name + "_bucket")
	Comment("Full slots holding the key, and empty slots.")
	VPCMPEQD(Mem{Base: p}, kv, eq)
	VMOVMSKPS(eq, m)
	VPCMPEQD(Mem{Base: p, Disp: 32}, zero, eq)
	VMOVMSKPS(eq, e)
	MOVL(e, t.As32())
	NOTL(t.As32())
	ANDL(t.As32(), m)
	JNZ(LabelRef(name + "_found"))
	TESTL(e, e)
	JNZ(LabelRef(name + "_insert"))
	Comment("Bucket full: on to the next bucket of the triangular sequence.")
	ADDL(U8(64), step)
	ADDL(step, base.As32())
	ANDL(bmask, base.As32())
	LEAQ(Mem{Base: slotsP, Index: base, Scale: 1}, p)
	JMP(LabelRef(name + "_bucket"))

	Label(name + "_found")
	TZCNTL(m, m)
	MOVL(Mem{Base: p, Index: m.As64(), Scale: 4, Disp: 32}, t.As32())
	DECL(t.As32())
	MOVL(t.As32(), Mem{Base: idxP, Index: i, Scale: 4})
	JMP(LabelRef(name + "_next"))

	Label(name + "_insert")
	Comment("New key: into the bucket's first empty slot, with the next index.")
	TZCNTL(e, e)
	k := GP32()
	MOVL(Mem{Base: keysP, Index: i, Scale: 4}, k)
	MOVL(k, Mem{Base: p, Index: e.As64(), Scale: 4})
	MOVQ(ret, t)
	MOVL(t.As32(), Mem{Base: idxP, Index: i, Scale: 4})
	vals := Load(Param("values").Base(), GP64())
	MOVL(k, Mem{Base: vals, Index: t, Scale: 4})
	INCQ(t)
	MOVQ(t, ret)
	MOVL(t.As32(), Mem{Base: p, Index: e.As64(), Scale: 4, Disp: 32})

	Label(name + "_next")
	INCQ(i)
	JNZ(LabelRef(name + "_key"))

	Label(name + "_done")
	VZEROUPPER()
	RET()
}
