//go:build !purego

#include "textflag.h"

// NEON kernels of dict.go: batch hashing of 32-bit keys, and the
// probe-and-insert loop of the 64-bit keys over 16-slot groups (the 32-bit
// keys over buckets of 8). NEON has no byte movemask;
// the compare result (0xff per matching byte) is narrowed with SHRN #4
// into a 64-bit word holding 4 bits per slot, and masking with
// 0x8888888888888888 leaves one bit per slot: slot j is bit 4j+3.
//
// Instructions the Go assembler lacks are encoded by hand (d, n, m are
// register numbers).

// MUL Vd.4S, Vn.4S, Vm.4S
#define MUL4S(d, n, m) WORD $(0x4EA09C00 | ((m)<<16) | ((n)<<5) | (d))
// SHRN Vd.8B, Vn.8H, #4
#define SHRN8B4(d, n) WORD $(0x0F0C8400 | ((n)<<5) | (d))

// func hashKeys32NEON(dst []uint32, keys []uint32, seed uint32)
// len(keys) is a multiple of 4 and len(dst) >= len(keys). It computes
// hash32 of dict.go four keys at a time.
TEXT ·hashKeys32NEON(SB), NOSPLIT, $0-52
	MOVD  dst_base+0(FP), R0
	MOVD  keys_base+24(FP), R1
	MOVD  keys_len+32(FP), R2
	MOVWU seed+48(FP), R3
	VDUP  R3, V4.S4
	MOVW  $0x7feb352d, R3
	VDUP  R3, V5.S4
	MOVW  $0x846ca68b, R3
	VDUP  R3, V6.S4
	CBZ   R2, hdone

hloop:
	VLD1.P 16(R1), [V0.S4]
	VEOR   V4.B16, V0.B16, V0.B16
	VUSHR  $16, V0.S4, V1.S4
	VEOR   V1.B16, V0.B16, V0.B16
	MUL4S(0, 0, 5)
	VUSHR  $15, V0.S4, V1.S4
	VEOR   V1.B16, V0.B16, V0.B16
	MUL4S(0, 0, 6)
	VUSHR  $16, V0.S4, V1.S4
	VEOR   V1.B16, V0.B16, V0.B16
	VST1.P [V0.S4], 16(R0)
	SUBS   $4, R2, R2
	BNE    hloop

hdone:
	RET

// func insert64NEON(ctrl []byte, slots []uint64, values []uint64, indexes []int32, keys []uint64, hashes []uint32, gmask16 uint32, count int) int
// The layout and probe sequence are those of insert64Ref: for each key,
// the index of the key found, or of the key inserted at the first empty
// slot met. The table and values[count:] must have room for every key;
// len(indexes) and len(hashes) >= len(keys). Returns the new count. Slots
// are two words: key, index.
// hashes holds hash64 of each key (computed in Go: NEON has no 64-bit
// multiply).
TEXT ·insert64NEON(SB), NOSPLIT, $0-168
	MOVD  ctrl_base+0(FP), R0
	MOVD  slots_base+24(FP), R1
	MOVD  values_base+48(FP), R2
	MOVD  indexes_base+72(FP), R3
	MOVD  keys_base+96(FP), R4
	MOVD  keys_len+104(FP), R6
	MOVD  hashes_base+120(FP), R5
	MOVWU gmask16+144(FP), R7
	MOVD  count+152(FP), R8
	MOVD  $0, R9
	VEOR  V7.B16, V7.B16, V7.B16
	MOVD  $0x8888888888888888, R20
	CBZ   R6, done64

key64:
	MOVD  (R4)(R9<<3), R10 // k
	MOVWU (R5)(R9<<2), R11 // h
	AND   $0x7f, R11, R12
	ORR   $0x80, R12, R12
	VDUP  R12, V0.B16
	LSRW  $3, R11, R13
	AND   R7, R13, R13
	MOVD  $0, R14

group64:
	ADD   R0, R13, R15
	VLD1  (R15), [V1.B16]
	VCMEQ V0.B16, V1.B16, V2.B16
	SHRN8B4(3, 2)
	FMOVD F3, R16
	AND   R20, R16, R16
	CBZ   R16, nomatch64

candidate64:
	RBIT  R16, R17
	CLZ   R17, R17
	LSR   $2, R17, R17
	ADD   R13, R17, R17
	ADD   R17<<4, R1, R21
	MOVD  (R21), R19
	CMP   R10, R19
	BEQ   found64
	SUB   $1, R16, R17
	AND   R17, R16, R16
	CBNZ  R16, candidate64

nomatch64:
	VCMEQ V7.B16, V1.B16, V2.B16
	SHRN8B4(3, 2)
	FMOVD F3, R16
	AND   R20, R16, R16
	CBNZ  R16, insert64
	ADD   $16, R14, R14
	ADD   R14, R13, R13
	AND   R7, R13, R13
	B     group64

found64:
	MOVWU 8(R21), R19
	MOVW  R19, (R3)(R9<<2)
	B     next64

insert64:
	RBIT  R16, R17
	CLZ   R17, R17
	LSR   $2, R17, R17
	ADD   R13, R17, R17
	MOVB  R12, (R0)(R17)
	ADD   R17<<4, R1, R21
	MOVW  R8, (R3)(R9<<2)
	MOVD  R10, (R2)(R8<<3)
	MOVD  R10, (R21)
	MOVD  R8, 8(R21)
	ADD   $1, R8, R8

next64:
	ADD   $1, R9, R9
	CMP   R6, R9
	BLT   key64

done64:
	MOVD  R8, ret+160(FP)
	RET

// UZP1 Vd.8H, Vn.8H, Vm.8H
#define UZP18H(d, n, m) WORD $(0x4E401800 | ((m)<<16) | ((n)<<5) | (d))

// func insert32NEON(slots []uint32, values []uint32, indexes []int32, keys []uint32, hashes []uint32, bmask uint32, count int) int
// The layout and probe sequence are those of insert32Ref: buckets of 8 keys
// then 8 values (index+1, 0 for an empty slot), filled from the front. For
// each key, one bucket a step: the keys compared with VCMEQ, the occupied
// slots found with VCMTST, the 8 lane results narrowed (UZP1 to halfwords,
// SHRN #4 to bytes) into a 64-bit word with a byte per slot. The index of
// the key found, or of the key inserted at the first empty slot. The table
// and values[count:] must have room for every key; len(indexes) and
// len(hashes) >= len(keys). Returns the new count.
TEXT ·insert32NEON(SB), NOSPLIT, $0-144
	MOVD  slots_base+0(FP), R1
	MOVD  values_base+24(FP), R2
	MOVD  indexes_base+48(FP), R3
	MOVD  keys_base+72(FP), R4
	MOVD  keys_len+80(FP), R6
	MOVD  hashes_base+96(FP), R5
	MOVWU bmask+120(FP), R7
	MOVD  count+128(FP), R8
	MOVD  $0, R9
	VEOR  V7.B16, V7.B16, V7.B16
	CBZ   R6, done32

key32:
	MOVWU (R4)(R9<<2), R10 // k
	MOVWU (R5)(R9<<2), R11 // h
	VDUP  R10, V0.S4
	LSRW  $7, R11, R13
	AND   R7, R13, R13 // bucket
	MOVD  $0, R14      // step

bucket32:
	ADD    R13<<6, R1, R15
	VLD1   (R15), [V1.S4, V2.S4, V3.S4, V4.S4]
	VCMEQ  V0.S4, V1.S4, V5.S4
	VCMEQ  V0.S4, V2.S4, V6.S4
	VCMTST V3.S4, V3.S4, V16.S4
	VCMTST V4.S4, V4.S4, V17.S4
	VAND   V16.B16, V5.B16, V5.B16
	VAND   V17.B16, V6.B16, V6.B16
	UZP18H(18, 5, 6)
	SHRN8B4(19, 18)
	FMOVD  F19, R16
	CBNZ   R16, found32
	VCMEQ  V7.S4, V3.S4, V16.S4
	VCMEQ  V7.S4, V4.S4, V17.S4
	UZP18H(18, 16, 17)
	SHRN8B4(19, 18)
	FMOVD  F19, R16
	CBNZ   R16, insert32
	ADD    $1, R14, R14
	ADD    R14, R13, R13
	AND    R7, R13, R13
	B      bucket32

found32:
	RBIT  R16, R17
	CLZ   R17, R17
	LSR   $3, R17, R17
	ADD   R17<<2, R15, R21
	MOVWU 32(R21), R19
	SUB   $1, R19, R19
	MOVW  R19, (R3)(R9<<2)
	B     next32

insert32:
	RBIT R16, R17
	CLZ  R17, R17
	LSR  $3, R17, R17
	ADD  R17<<2, R15, R21
	MOVW R10, (R21)
	ADD  $1, R8, R19
	MOVW R19, 32(R21)
	MOVW R8, (R3)(R9<<2)
	MOVW R10, (R2)(R8<<2)
	MOVD R19, R8

next32:
	ADD $1, R9, R9
	CMP R6, R9
	BLT key32

done32:
	MOVD R8, ret+136(FP)
	RET
