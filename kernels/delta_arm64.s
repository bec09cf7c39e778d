//go:build !purego

#include "textflag.h"

// NEON kernels of DELTA_BINARY_PACKED's integer core; see kernelSet in
// dispatch.go for the contract. Each call walks len(mins) whole blocks of
// 128 values in four 32-value miniblocks.
//
// The Go assembler lacks the signed compares and minima, so they are
// encoded by hand (register numbers: d destination, n and m sources):
//
//	CMGT Vd.2D, Vn.2D, Vm.2D   0x4ee03400 | m<<16 | n<<5 | d   (d = n > m)
//	SMIN Vd.4S, Vn.4S, Vm.4S   0x4ea06c00 | m<<16 | n<<5 | d
//	SMINV Sd, Vn.4S            0x4eb1a800 | n<<5 | d
#define CMGT2D(d, n, m) WORD $(0x4ee03400 | (m<<16) | (n<<5) | d)
#define SMIN4S(d, n, m) WORD $(0x4ea06c00 | (m<<16) | (n<<5) | d)
#define SMINV4S(d, n) WORD $(0x4eb1a800 | (n<<5) | d)

// MIN2D sets Vacc to the signed minimum of Vacc and Vx, with Vmask as
// scratch: the mask of lanes where acc > x selects x's bits.
#define MIN2D(acc, x, mask, vacc, vx, vmask) \
	CMGT2D(mask, acc, x); \
	VBIT vmask.B16, vx.B16, vacc.B16

// func deltaEncode64NEON(dst []uint64, src []int64, mins []int64, widths []uint8)
TEXT ·deltaEncode64NEON(SB), NOSPLIT, $0-96
	MOVD dst_base+0(FP), R0
	MOVD src_base+24(FP), R1
	MOVD mins_base+48(FP), R2
	MOVD mins_len+56(FP), R4
	MOVD widths_base+72(FP), R3
	CBZ  R4, done64

block64:
	// Pass 1: deltas src[i+1]-src[i] into dst, four running minima
	// V8..V11, eight values per step.
	MOVD R1, R5
	ADD  $8, R1, R6
	MOVD R0, R7
	VLD1.P 64(R5), [V0.D2, V1.D2, V2.D2, V3.D2]
	VLD1.P 64(R6), [V4.D2, V5.D2, V6.D2, V7.D2]
	VSUB   V0.D2, V4.D2, V8.D2
	VSUB   V1.D2, V5.D2, V9.D2
	VSUB   V2.D2, V6.D2, V10.D2
	VSUB   V3.D2, V7.D2, V11.D2
	VST1.P [V8.D2, V9.D2, V10.D2, V11.D2], 64(R7)
	MOVD   $15, R8

deltas64:
	VLD1.P 64(R5), [V0.D2, V1.D2, V2.D2, V3.D2]
	VLD1.P 64(R6), [V4.D2, V5.D2, V6.D2, V7.D2]
	VSUB   V0.D2, V4.D2, V4.D2
	VSUB   V1.D2, V5.D2, V5.D2
	VSUB   V2.D2, V6.D2, V6.D2
	VSUB   V3.D2, V7.D2, V7.D2
	VST1.P [V4.D2, V5.D2, V6.D2, V7.D2], 64(R7)
	MIN2D(8, 4, 16, V8, V4, V16)
	MIN2D(9, 5, 17, V9, V5, V17)
	MIN2D(10, 6, 18, V10, V6, V18)
	MIN2D(11, 7, 19, V11, V7, V19)
	SUB    $1, R8
	CBNZ   R8, deltas64

	MIN2D(8, 9, 16, V8, V9, V16)
	MIN2D(10, 11, 17, V10, V11, V17)
	MIN2D(8, 10, 16, V8, V10, V16)
	VEXT   $8, V8.B16, V8.B16, V9.B16
	MIN2D(8, 9, 16, V8, V9, V16)
	VMOV   V8.D[0], R9
	MOVD   R9, (R2)
	VDUP   V8.D[0], V12.D2

	// Pass 2: subtract the minimum, OR each miniblock (16 vectors) into
	// V20, its width is 64 - clz.
	MOVD R0, R7
	MOVD R0, R10
	MOVD $4, R11

mini64:
	MOVD $4, R8
	VEOR V20.B16, V20.B16, V20.B16

sub64:
	VLD1.P 64(R7), [V0.D2, V1.D2, V2.D2, V3.D2]
	VSUB   V12.D2, V0.D2, V0.D2
	VSUB   V12.D2, V1.D2, V1.D2
	VSUB   V12.D2, V2.D2, V2.D2
	VSUB   V12.D2, V3.D2, V3.D2
	VST1.P [V0.D2, V1.D2, V2.D2, V3.D2], 64(R10)
	VORR   V0.B16, V1.B16, V0.B16
	VORR   V2.B16, V3.B16, V2.B16
	VORR   V0.B16, V20.B16, V20.B16
	VORR   V2.B16, V20.B16, V20.B16
	SUB    $1, R8
	CBNZ   R8, sub64

	VMOV V20.D[0], R12
	VMOV V20.D[1], R13
	ORR  R13, R12, R12
	CLZ  R12, R12
	MOVD $64, R13
	SUB  R12, R13, R12
	MOVB R12, (R3)
	ADD  $1, R3
	SUB  $1, R11
	CBNZ R11, mini64

	ADD  $1024, R1
	ADD  $1024, R0
	ADD  $8, R2
	SUB  $1, R4
	CBNZ R4, block64

done64:
	RET

// func deltaEncode32NEON(dst []uint32, src []int32, mins []int32, widths []uint8)
TEXT ·deltaEncode32NEON(SB), NOSPLIT, $0-96
	MOVD dst_base+0(FP), R0
	MOVD src_base+24(FP), R1
	MOVD mins_base+48(FP), R2
	MOVD mins_len+56(FP), R4
	MOVD widths_base+72(FP), R3
	CBZ  R4, done32

block32:
	MOVD R1, R5
	ADD  $4, R1, R6
	MOVD R0, R7
	VLD1.P 64(R5), [V0.S4, V1.S4, V2.S4, V3.S4]
	VLD1.P 64(R6), [V4.S4, V5.S4, V6.S4, V7.S4]
	VSUB   V0.S4, V4.S4, V8.S4
	VSUB   V1.S4, V5.S4, V9.S4
	VSUB   V2.S4, V6.S4, V10.S4
	VSUB   V3.S4, V7.S4, V11.S4
	VST1.P [V8.S4, V9.S4, V10.S4, V11.S4], 64(R7)
	MOVD   $7, R8

deltas32:
	VLD1.P 64(R5), [V0.S4, V1.S4, V2.S4, V3.S4]
	VLD1.P 64(R6), [V4.S4, V5.S4, V6.S4, V7.S4]
	VSUB   V0.S4, V4.S4, V4.S4
	VSUB   V1.S4, V5.S4, V5.S4
	VSUB   V2.S4, V6.S4, V6.S4
	VSUB   V3.S4, V7.S4, V7.S4
	VST1.P [V4.S4, V5.S4, V6.S4, V7.S4], 64(R7)
	SMIN4S(8, 8, 4)
	SMIN4S(9, 9, 5)
	SMIN4S(10, 10, 6)
	SMIN4S(11, 11, 7)
	SUB    $1, R8
	CBNZ   R8, deltas32

	SMIN4S(8, 8, 9)
	SMIN4S(10, 10, 11)
	SMIN4S(8, 8, 10)
	SMINV4S(8, 8)
	VMOV V8.S[0], R9
	MOVW R9, (R2)
	VDUP V8.S[0], V12.S4

	// Pass 2: miniblocks of 8 vectors; width 32 - clz of the OR.
	MOVD R0, R7
	MOVD R0, R10
	MOVD $4, R11

mini32:
	VLD1.P 64(R7), [V0.S4, V1.S4, V2.S4, V3.S4]
	VLD1.P 64(R7), [V4.S4, V5.S4, V6.S4, V7.S4]
	VSUB   V12.S4, V0.S4, V0.S4
	VSUB   V12.S4, V1.S4, V1.S4
	VSUB   V12.S4, V2.S4, V2.S4
	VSUB   V12.S4, V3.S4, V3.S4
	VSUB   V12.S4, V4.S4, V4.S4
	VSUB   V12.S4, V5.S4, V5.S4
	VSUB   V12.S4, V6.S4, V6.S4
	VSUB   V12.S4, V7.S4, V7.S4
	VST1.P [V0.S4, V1.S4, V2.S4, V3.S4], 64(R10)
	VST1.P [V4.S4, V5.S4, V6.S4, V7.S4], 64(R10)
	VORR   V0.B16, V1.B16, V0.B16
	VORR   V2.B16, V3.B16, V2.B16
	VORR   V4.B16, V5.B16, V4.B16
	VORR   V6.B16, V7.B16, V6.B16
	VORR   V0.B16, V2.B16, V0.B16
	VORR   V4.B16, V6.B16, V4.B16
	VORR   V0.B16, V4.B16, V0.B16
	VMOV   V0.D[0], R12
	VMOV   V0.D[1], R13
	ORR    R13, R12, R12
	ORR    R12>>32, R12, R12
	CLZW   R12, R12
	MOVD   $32, R13
	SUB    R12, R13, R12
	MOVB   R12, (R3)
	ADD    $1, R3
	SUB    $1, R11
	CBNZ   R11, mini32

	ADD  $512, R1
	ADD  $512, R0
	ADD  $4, R2
	SUB  $1, R4
	CBNZ R4, block32

done32:
	RET

// func deltaDecode64NEON(vals []uint64, mins []int64, prev int64)
TEXT ·deltaDecode64NEON(SB), NOSPLIT, $0-56
	MOVD vals_base+0(FP), R0
	MOVD mins_base+24(FP), R1
	MOVD mins_len+32(FP), R2
	MOVD prev+48(FP), R3
	VDUP R3, V30.D2                  // carry: the running sum
	VEOR V31.B16, V31.B16, V31.B16   // zero
	CBZ  R2, ddone64

dblock64:
	MOVD (R1), R4
	VDUP R4, V29.D2
	ADD  $8, R1
	MOVD R0, R5
	MOVD $16, R6

dloop64:
	VLD1.P 64(R5), [V0.D2, V1.D2, V2.D2, V3.D2]
	VADD   V29.D2, V0.D2, V0.D2
	VADD   V29.D2, V1.D2, V1.D2
	VADD   V29.D2, V2.D2, V2.D2
	VADD   V29.D2, V3.D2, V3.D2
	VEXT   $8, V0.B16, V31.B16, V16.B16  // [0, x0]
	VEXT   $8, V1.B16, V31.B16, V17.B16
	VEXT   $8, V2.B16, V31.B16, V18.B16
	VEXT   $8, V3.B16, V31.B16, V19.B16
	VADD   V16.D2, V0.D2, V0.D2          // [x0, x0+x1]
	VADD   V17.D2, V1.D2, V1.D2
	VADD   V18.D2, V2.D2, V2.D2
	VADD   V19.D2, V3.D2, V3.D2
	VDUP   V0.D[1], V20.D2               // vector totals
	VDUP   V1.D[1], V21.D2
	VDUP   V2.D[1], V22.D2
	VDUP   V3.D[1], V23.D2
	VADD   V30.D2, V0.D2, V0.D2
	VADD   V20.D2, V30.D2, V30.D2
	VADD   V30.D2, V1.D2, V1.D2
	VADD   V21.D2, V30.D2, V30.D2
	VADD   V30.D2, V2.D2, V2.D2
	VADD   V22.D2, V30.D2, V30.D2
	VADD   V30.D2, V3.D2, V3.D2
	VADD   V23.D2, V30.D2, V30.D2
	VST1.P [V0.D2, V1.D2, V2.D2, V3.D2], 64(R0)
	SUB    $1, R6
	CBNZ   R6, dloop64

	SUB  $1, R2
	CBNZ R2, dblock64

ddone64:
	RET

// func deltaDecode32NEON(vals []uint32, mins []int32, prev int32)
TEXT ·deltaDecode32NEON(SB), NOSPLIT, $0-52
	MOVD  vals_base+0(FP), R0
	MOVD  mins_base+24(FP), R1
	MOVD  mins_len+32(FP), R2
	MOVWU prev+48(FP), R3
	VDUP  R3, V30.S4
	VEOR  V31.B16, V31.B16, V31.B16
	CBZ   R2, ddone32

dblock32:
	MOVWU (R1), R4
	VDUP  R4, V29.S4
	ADD   $4, R1
	MOVD  R0, R5
	MOVD  $8, R6

dloop32:
	VLD1.P 64(R5), [V0.S4, V1.S4, V2.S4, V3.S4]
	VADD   V29.S4, V0.S4, V0.S4
	VADD   V29.S4, V1.S4, V1.S4
	VADD   V29.S4, V2.S4, V2.S4
	VADD   V29.S4, V3.S4, V3.S4
	VEXT   $12, V0.B16, V31.B16, V16.B16 // [0, x0, x1, x2]
	VEXT   $12, V1.B16, V31.B16, V17.B16
	VEXT   $12, V2.B16, V31.B16, V18.B16
	VEXT   $12, V3.B16, V31.B16, V19.B16
	VADD   V16.S4, V0.S4, V0.S4
	VADD   V17.S4, V1.S4, V1.S4
	VADD   V18.S4, V2.S4, V2.S4
	VADD   V19.S4, V3.S4, V3.S4
	VEXT   $8, V0.B16, V31.B16, V16.B16  // [0, 0, y0, y1]
	VEXT   $8, V1.B16, V31.B16, V17.B16
	VEXT   $8, V2.B16, V31.B16, V18.B16
	VEXT   $8, V3.B16, V31.B16, V19.B16
	VADD   V16.S4, V0.S4, V0.S4
	VADD   V17.S4, V1.S4, V1.S4
	VADD   V18.S4, V2.S4, V2.S4
	VADD   V19.S4, V3.S4, V3.S4
	VDUP   V0.S[3], V20.S4
	VDUP   V1.S[3], V21.S4
	VDUP   V2.S[3], V22.S4
	VDUP   V3.S[3], V23.S4
	VADD   V30.S4, V0.S4, V0.S4
	VADD   V20.S4, V30.S4, V30.S4
	VADD   V30.S4, V1.S4, V1.S4
	VADD   V21.S4, V30.S4, V30.S4
	VADD   V30.S4, V2.S4, V2.S4
	VADD   V22.S4, V30.S4, V30.S4
	VADD   V30.S4, V3.S4, V3.S4
	VADD   V23.S4, V30.S4, V30.S4
	VST1.P [V0.S4, V1.S4, V2.S4, V3.S4], 64(R0)
	SUB    $1, R6
	CBNZ   R6, dloop32

	SUB  $1, R2
	CBNZ R2, dblock32

ddone32:
	RET
