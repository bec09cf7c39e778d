//go:build !purego

#include "textflag.h"

// NEON kernels of the RLE/bit-packed hybrid, the validity bitmaps and
// byte-stream-split, written by hand (avo has no arm64 backend). NEON has no
// movemask: a byte mask (0xFF/0x00 per lane) becomes bits by and-ing each
// lane with its bit weight (1, 2, 4, ... 128) and adding neighbouring lanes
// pairwise three times (VADDP), which leaves byte k of the result holding
// the bits of lanes 8k..8k+7.

// Bit weight of each byte lane.
DATA bitWeights<>+0(SB)/8, $0x8040201008040201
DATA bitWeights<>+8(SB)/8, $0x8040201008040201
GLOBL bitWeights<>(SB), RODATA|NOPTR, $16

// VTBL indices spreading bytes 0-7 of a register over 64 lanes, 16 at a
// time: lane k takes byte k/8.
DATA spreadIdx<>+0(SB)/8, $0x0000000000000000
DATA spreadIdx<>+8(SB)/8, $0x0101010101010101
DATA spreadIdx<>+16(SB)/8, $0x0202020202020202
DATA spreadIdx<>+24(SB)/8, $0x0303030303030303
DATA spreadIdx<>+32(SB)/8, $0x0404040404040404
DATA spreadIdx<>+40(SB)/8, $0x0505050505050505
DATA spreadIdx<>+48(SB)/8, $0x0606060606060606
DATA spreadIdx<>+56(SB)/8, $0x0707070707070707
GLOBL spreadIdx<>(SB), RODATA|NOPTR, $64

// func equalMask8NEON(dst *uint64, src *uint8, words int) uint8
// Reads src[:64*words+1]; writes dst[:words].
TEXT ·equalMask8NEON(SB), NOSPLIT, $0-25
	MOVD dst+0(FP), R0
	MOVD src+8(FP), R1
	MOVD words+16(FP), R2
	MOVD $bitWeights<>(SB), R3
	VLD1 (R3), [V31.B16]
	VEOR V30.B16, V30.B16, V30.B16

eq8loop:
	ADD  $1, R1, R4
	VLD1.P 64(R1), [V0.B16, V1.B16, V2.B16, V3.B16]
	VLD1 (R4), [V4.B16, V5.B16, V6.B16, V7.B16]
	VORR V0.B16, V30.B16, V30.B16
	VORR V1.B16, V30.B16, V30.B16
	VORR V2.B16, V30.B16, V30.B16
	VORR V3.B16, V30.B16, V30.B16
	VCMEQ V4.B16, V0.B16, V4.B16
	VCMEQ V5.B16, V1.B16, V5.B16
	VCMEQ V6.B16, V2.B16, V6.B16
	VCMEQ V7.B16, V3.B16, V7.B16
	VAND V31.B16, V4.B16, V4.B16
	VAND V31.B16, V5.B16, V5.B16
	VAND V31.B16, V6.B16, V6.B16
	VAND V31.B16, V7.B16, V7.B16
	VADDP V5.B16, V4.B16, V4.B16
	VADDP V7.B16, V6.B16, V6.B16
	VADDP V6.B16, V4.B16, V4.B16
	VADDP V4.B16, V4.B16, V4.B16
	VMOV V4.D[0], R5
	MOVD.P R5, 8(R0)
	SUBS $1, R2, R2
	BNE  eq8loop

	VMOV V30.D[0], R5
	VMOV V30.D[1], R6
	ORR  R6, R5, R5
	ORR  R5>>32, R5, R5
	ORR  R5>>16, R5, R5
	ORR  R5>>8, R5, R5
	MOVB R5, ret+24(FP)
	RET

// func equalMask32NEON(dst *uint64, src *uint32, words int) uint32
// Reads src[:64*words+1]; writes dst[:words].
TEXT ·equalMask32NEON(SB), NOSPLIT, $0-28
	MOVD dst+0(FP), R0
	MOVD src+8(FP), R1
	MOVD words+16(FP), R2
	MOVD $bitWeights<>(SB), R3
	VLD1 (R3), [V31.B16]
	VEOR V30.B16, V30.B16, V30.B16

eq32loop:
	// Four chunks of 16 values, each narrowed to a 16-byte mask in
	// V20-V23.
	ADD  $4, R1, R4
	VLD1.P 64(R1), [V0.S4, V1.S4, V2.S4, V3.S4]
	VLD1 (R4), [V4.S4, V5.S4, V6.S4, V7.S4]
	VORR V0.B16, V30.B16, V30.B16
	VORR V1.B16, V30.B16, V30.B16
	VORR V2.B16, V30.B16, V30.B16
	VORR V3.B16, V30.B16, V30.B16
	VCMEQ V4.S4, V0.S4, V4.S4
	VCMEQ V5.S4, V1.S4, V5.S4
	VCMEQ V6.S4, V2.S4, V6.S4
	VCMEQ V7.S4, V3.S4, V7.S4
	VUZP1 V5.H8, V4.H8, V4.H8
	VUZP1 V7.H8, V6.H8, V6.H8
	VUZP1 V6.B16, V4.B16, V20.B16

	ADD  $4, R1, R4
	VLD1.P 64(R1), [V0.S4, V1.S4, V2.S4, V3.S4]
	VLD1 (R4), [V4.S4, V5.S4, V6.S4, V7.S4]
	VORR V0.B16, V30.B16, V30.B16
	VORR V1.B16, V30.B16, V30.B16
	VORR V2.B16, V30.B16, V30.B16
	VORR V3.B16, V30.B16, V30.B16
	VCMEQ V4.S4, V0.S4, V4.S4
	VCMEQ V5.S4, V1.S4, V5.S4
	VCMEQ V6.S4, V2.S4, V6.S4
	VCMEQ V7.S4, V3.S4, V7.S4
	VUZP1 V5.H8, V4.H8, V4.H8
	VUZP1 V7.H8, V6.H8, V6.H8
	VUZP1 V6.B16, V4.B16, V21.B16

	ADD  $4, R1, R4
	VLD1.P 64(R1), [V0.S4, V1.S4, V2.S4, V3.S4]
	VLD1 (R4), [V4.S4, V5.S4, V6.S4, V7.S4]
	VORR V0.B16, V30.B16, V30.B16
	VORR V1.B16, V30.B16, V30.B16
	VORR V2.B16, V30.B16, V30.B16
	VORR V3.B16, V30.B16, V30.B16
	VCMEQ V4.S4, V0.S4, V4.S4
	VCMEQ V5.S4, V1.S4, V5.S4
	VCMEQ V6.S4, V2.S4, V6.S4
	VCMEQ V7.S4, V3.S4, V7.S4
	VUZP1 V5.H8, V4.H8, V4.H8
	VUZP1 V7.H8, V6.H8, V6.H8
	VUZP1 V6.B16, V4.B16, V22.B16

	ADD  $4, R1, R4
	VLD1.P 64(R1), [V0.S4, V1.S4, V2.S4, V3.S4]
	VLD1 (R4), [V4.S4, V5.S4, V6.S4, V7.S4]
	VORR V0.B16, V30.B16, V30.B16
	VORR V1.B16, V30.B16, V30.B16
	VORR V2.B16, V30.B16, V30.B16
	VORR V3.B16, V30.B16, V30.B16
	VCMEQ V4.S4, V0.S4, V4.S4
	VCMEQ V5.S4, V1.S4, V5.S4
	VCMEQ V6.S4, V2.S4, V6.S4
	VCMEQ V7.S4, V3.S4, V7.S4
	VUZP1 V5.H8, V4.H8, V4.H8
	VUZP1 V7.H8, V6.H8, V6.H8
	VUZP1 V6.B16, V4.B16, V23.B16

	VAND V31.B16, V20.B16, V20.B16
	VAND V31.B16, V21.B16, V21.B16
	VAND V31.B16, V22.B16, V22.B16
	VAND V31.B16, V23.B16, V23.B16
	VADDP V21.B16, V20.B16, V20.B16
	VADDP V23.B16, V22.B16, V22.B16
	VADDP V22.B16, V20.B16, V20.B16
	VADDP V20.B16, V20.B16, V20.B16
	VMOV V20.D[0], R5
	MOVD.P R5, 8(R0)
	SUBS $1, R2, R2
	BNE  eq32loop

	VMOV V30.D[0], R5
	VMOV V30.D[1], R6
	ORR  R6, R5, R5
	ORR  R5>>32, R5, R5
	MOVW R5, ret+24(FP)
	RET

// func levelsToBitmapNEON(dst *byte, src *uint8, blocks int, v uint8)
// Reads src[:64*blocks]; writes dst[:8*blocks].
TEXT ·levelsToBitmapNEON(SB), NOSPLIT, $0-25
	MOVD  dst+0(FP), R0
	MOVD  src+8(FP), R1
	MOVD  blocks+16(FP), R2
	MOVBU v+24(FP), R3
	VDUP  R3, V30.B16
	MOVD  $bitWeights<>(SB), R4
	VLD1  (R4), [V31.B16]

l2bloop:
	VLD1.P 64(R1), [V0.B16, V1.B16, V2.B16, V3.B16]
	VCMEQ V30.B16, V0.B16, V0.B16
	VCMEQ V30.B16, V1.B16, V1.B16
	VCMEQ V30.B16, V2.B16, V2.B16
	VCMEQ V30.B16, V3.B16, V3.B16
	VAND V31.B16, V0.B16, V0.B16
	VAND V31.B16, V1.B16, V1.B16
	VAND V31.B16, V2.B16, V2.B16
	VAND V31.B16, V3.B16, V3.B16
	VADDP V1.B16, V0.B16, V0.B16
	VADDP V3.B16, V2.B16, V2.B16
	VADDP V2.B16, V0.B16, V0.B16
	VADDP V0.B16, V0.B16, V0.B16
	VMOV V0.D[0], R5
	MOVD.P R5, 8(R0)
	SUBS $1, R2, R2
	BNE  l2bloop
	RET

// func bitmapToLevelsNEON(dst *uint8, src *byte, blocks int, present, null uint8)
// Reads src[:8*blocks]; writes dst[:64*blocks].
TEXT ·bitmapToLevelsNEON(SB), NOSPLIT, $0-26
	MOVD  dst+0(FP), R0
	MOVD  src+8(FP), R1
	MOVD  blocks+16(FP), R2
	MOVBU present+24(FP), R3
	MOVBU null+25(FP), R4
	VDUP  R3, V29.B16
	VDUP  R4, V28.B16
	VEOR  V28.B16, V29.B16, V29.B16 // present ^ null
	MOVD  $bitWeights<>(SB), R5
	VLD1  (R5), [V31.B16]
	MOVD  $spreadIdx<>(SB), R5
	VLD1  (R5), [V24.B16, V25.B16, V26.B16, V27.B16]

b2lloop:
	MOVD.P 8(R1), R6
	VMOV  R6, V0.D[0]
	VTBL  V24.B16, [V0.B16], V1.B16
	VTBL  V25.B16, [V0.B16], V2.B16
	VTBL  V26.B16, [V0.B16], V3.B16
	VTBL  V27.B16, [V0.B16], V4.B16
	VAND  V31.B16, V1.B16, V1.B16
	VAND  V31.B16, V2.B16, V2.B16
	VAND  V31.B16, V3.B16, V3.B16
	VAND  V31.B16, V4.B16, V4.B16
	VCMEQ V31.B16, V1.B16, V1.B16
	VCMEQ V31.B16, V2.B16, V2.B16
	VCMEQ V31.B16, V3.B16, V3.B16
	VCMEQ V31.B16, V4.B16, V4.B16
	VAND  V29.B16, V1.B16, V1.B16
	VAND  V29.B16, V2.B16, V2.B16
	VAND  V29.B16, V3.B16, V3.B16
	VAND  V29.B16, V4.B16, V4.B16
	VEOR  V28.B16, V1.B16, V1.B16
	VEOR  V28.B16, V2.B16, V2.B16
	VEOR  V28.B16, V3.B16, V3.B16
	VEOR  V28.B16, V4.B16, V4.B16
	VST1.P [V1.B16, V2.B16, V3.B16, V4.B16], 64(R0)
	SUBS  $1, R2, R2
	BNE   b2lloop
	RET

// func splitBytes32NEON(dst *byte, src *uint32, blocks int, stride int)
// Splits 16*blocks values; reads src[:16*blocks], writes
// dst[s*stride : s*stride+16*blocks] for s = 0..3.
TEXT ·splitBytes32NEON(SB), NOSPLIT, $0-32
	MOVD dst+0(FP), R0
	MOVD src+8(FP), R1
	MOVD blocks+16(FP), R2
	MOVD stride+24(FP), R3
	ADD  R3, R0, R4
	ADD  R3, R4, R5
	ADD  R3, R5, R6

split32loop:
	VLD4.P 64(R1), [V0.B16, V1.B16, V2.B16, V3.B16]
	VST1.P [V0.B16], 16(R0)
	VST1.P [V1.B16], 16(R4)
	VST1.P [V2.B16], 16(R5)
	VST1.P [V3.B16], 16(R6)
	SUBS $1, R2, R2
	BNE  split32loop
	RET

// func joinBytes32NEON(dst *uint32, src *byte, blocks int, stride int)
// Joins 16*blocks values; reads src[s*stride : s*stride+16*blocks] for
// s = 0..3, writes dst[:16*blocks].
TEXT ·joinBytes32NEON(SB), NOSPLIT, $0-32
	MOVD dst+0(FP), R0
	MOVD src+8(FP), R1
	MOVD blocks+16(FP), R2
	MOVD stride+24(FP), R3
	ADD  R3, R1, R4
	ADD  R3, R4, R5
	ADD  R3, R5, R6

join32loop:
	VLD1.P 16(R1), [V0.B16]
	VLD1.P 16(R4), [V1.B16]
	VLD1.P 16(R5), [V2.B16]
	VLD1.P 16(R6), [V3.B16]
	VST4.P [V0.B16, V1.B16, V2.B16, V3.B16], 64(R0)
	SUBS $1, R2, R2
	BNE  join32loop
	RET

// func splitBytes64NEON(dst *byte, src *uint64, blocks int, stride int)
// Splits 16*blocks values; reads src[:16*blocks], writes
// dst[s*stride : s*stride+16*blocks] for s = 0..7. VLD4 leaves byte j and
// byte j+4 of value i in lanes 2i and 2i+1 of register j; VUZP1/VUZP2
// separate them.
TEXT ·splitBytes64NEON(SB), NOSPLIT, $0-32
	MOVD dst+0(FP), R0
	MOVD src+8(FP), R1
	MOVD blocks+16(FP), R2
	MOVD stride+24(FP), R3
	ADD  R3, R0, R4
	ADD  R3, R4, R5
	ADD  R3, R5, R6
	ADD  R3, R6, R7
	ADD  R3, R7, R8
	ADD  R3, R8, R9
	ADD  R3, R9, R10

split64loop:
	VLD4.P 64(R1), [V0.B16, V1.B16, V2.B16, V3.B16]
	VLD4.P 64(R1), [V4.B16, V5.B16, V6.B16, V7.B16]
	VUZP1 V4.B16, V0.B16, V16.B16
	VUZP2 V4.B16, V0.B16, V20.B16
	VUZP1 V5.B16, V1.B16, V17.B16
	VUZP2 V5.B16, V1.B16, V21.B16
	VUZP1 V6.B16, V2.B16, V18.B16
	VUZP2 V6.B16, V2.B16, V22.B16
	VUZP1 V7.B16, V3.B16, V19.B16
	VUZP2 V7.B16, V3.B16, V23.B16
	VST1.P [V16.B16], 16(R0)
	VST1.P [V17.B16], 16(R4)
	VST1.P [V18.B16], 16(R5)
	VST1.P [V19.B16], 16(R6)
	VST1.P [V20.B16], 16(R7)
	VST1.P [V21.B16], 16(R8)
	VST1.P [V22.B16], 16(R9)
	VST1.P [V23.B16], 16(R10)
	SUBS $1, R2, R2
	BNE  split64loop
	RET

// func joinBytes64NEON(dst *uint64, src *byte, blocks int, stride int)
// Joins 16*blocks values; reads src[s*stride : s*stride+16*blocks] for
// s = 0..7, writes dst[:16*blocks].
TEXT ·joinBytes64NEON(SB), NOSPLIT, $0-32
	MOVD dst+0(FP), R0
	MOVD src+8(FP), R1
	MOVD blocks+16(FP), R2
	MOVD stride+24(FP), R3
	ADD  R3, R1, R4
	ADD  R3, R4, R5
	ADD  R3, R5, R6
	ADD  R3, R6, R7
	ADD  R3, R7, R8
	ADD  R3, R8, R9
	ADD  R3, R9, R10

join64loop:
	VLD1.P 16(R1), [V16.B16]
	VLD1.P 16(R4), [V17.B16]
	VLD1.P 16(R5), [V18.B16]
	VLD1.P 16(R6), [V19.B16]
	VLD1.P 16(R7), [V20.B16]
	VLD1.P 16(R8), [V21.B16]
	VLD1.P 16(R9), [V22.B16]
	VLD1.P 16(R10), [V23.B16]
	VZIP1 V20.B16, V16.B16, V0.B16
	VZIP2 V20.B16, V16.B16, V4.B16
	VZIP1 V21.B16, V17.B16, V1.B16
	VZIP2 V21.B16, V17.B16, V5.B16
	VZIP1 V22.B16, V18.B16, V2.B16
	VZIP2 V22.B16, V18.B16, V6.B16
	VZIP1 V23.B16, V19.B16, V3.B16
	VZIP2 V23.B16, V19.B16, V7.B16
	VST4.P [V0.B16, V1.B16, V2.B16, V3.B16], 64(R0)
	VST4.P [V4.B16, V5.B16, V6.B16, V7.B16], 64(R0)
	SUBS $1, R2, R2
	BNE  join64loop
	RET
