//go:build !purego

#include "textflag.h"

// NEON min/max kernels of stats.go. Each takes a non-empty multiple of 32
// values, reads v[:len(v)] and nothing else, keeps two pairs of vector
// accumulators over 64 bytes per iteration, then folds them and their
// lanes. Selection is by compare and bit-insert: the accumulator takes x
// where the compare holds. A float compare with NaN is false, so NaN never
// enters an accumulator (FMINNM would let a signalling NaN through).
//
// The Go assembler lacks these instructions; they are encoded by hand
// (d, n, m are register numbers: Vd, Vn, Vm).

// CMGT Vd.2D, Vn.2D, Vm.2D: Vd = Vn > Vm (signed)
#define CMGT2D(d, n, m) WORD $(0x4EE03400 | ((m)<<16) | ((n)<<5) | (d))
// FCMGT Vd.2D, Vn.2D, Vm.2D: Vd = Vn > Vm
#define FCMGT2D(d, n, m) WORD $(0x6EE0E400 | ((m)<<16) | ((n)<<5) | (d))
// FCMGT Vd.4S, Vn.4S, Vm.4S
#define FCMGT4S(d, n, m) WORD $(0x6EA0E400 | ((m)<<16) | ((n)<<5) | (d))
// SMIN / SMAX Vd.4S, Vn.4S, Vm.4S
#define SMIN4S(d, n, m) WORD $(0x4EA06C00 | ((m)<<16) | ((n)<<5) | (d))
#define SMAX4S(d, n, m) WORD $(0x4EA06400 | ((m)<<16) | ((n)<<5) | (d))
// BIT Vd.16B, Vn.16B, Vm.16B: Vd = Vd&^Vm | Vn&Vm
#define BIT(d, n, m) WORD $(0x6EA01C00 | ((m)<<16) | ((n)<<5) | (d))

// acc = min/max(acc, x), t a scratch register.
#define MINQ(acc, x, t) CMGT2D(t, acc, x); BIT(acc, x, t)
#define MAXQ(acc, x, t) CMGT2D(t, x, acc); BIT(acc, x, t)
#define MINFD(acc, x, t) FCMGT2D(t, acc, x); BIT(acc, x, t)
#define MAXFD(acc, x, t) FCMGT2D(t, x, acc); BIT(acc, x, t)
#define MINFS(acc, x, t) FCMGT4S(t, acc, x); BIT(acc, x, t)
#define MAXFS(acc, x, t) FCMGT4S(t, x, acc); BIT(acc, x, t)
#define MINW(acc, x, t) SMIN4S(acc, acc, x)
#define MAXW(acc, x, t) SMAX4S(acc, acc, x)

// The loop body: V0-V3 loaded, accumulators V4,V5 (min) and V6,V7 (max).
#define BODY(MIN, MAX) \
	MIN(4, 0, 16); MAX(6, 0, 17); MIN(5, 1, 18); MAX(7, 1, 19); \
	MIN(4, 2, 16); MAX(6, 2, 17); MIN(5, 3, 18); MAX(7, 3, 19)

// func minMaxInt64NEON(v []int64) (lo, hi int64)
TEXT ·minMaxInt64NEON(SB), NOSPLIT, $0-40
	MOVD v_base+0(FP), R0
	MOVD v_len+8(FP), R1
	VLD1R (R0), [V4.D2]
	VORR V4.B16, V4.B16, V5.B16
	VORR V4.B16, V4.B16, V6.B16
	VORR V4.B16, V4.B16, V7.B16
int64loop:
	VLD1.P 64(R0), [V0.D2, V1.D2, V2.D2, V3.D2]
	BODY(MINQ, MAXQ)
	SUBS $8, R1, R1
	BNE int64loop
	MINQ(4, 5, 16)
	MAXQ(6, 7, 17)
	VDUP V4.D[1], V0.D2
	VDUP V6.D[1], V1.D2
	MINQ(4, 0, 16)
	MAXQ(6, 1, 17)
	FMOVD F4, lo+24(FP)
	FMOVD F6, hi+32(FP)
	RET

// func minMaxFloat64NEON(v []float64) (lo, hi float64)
TEXT ·minMaxFloat64NEON(SB), NOSPLIT, $0-40
	MOVD v_base+0(FP), R0
	MOVD v_len+8(FP), R1
	MOVD $0x7ff0000000000000, R2
	VDUP R2, V4.D2
	MOVD $0xfff0000000000000, R2
	VDUP R2, V6.D2
	VORR V4.B16, V4.B16, V5.B16
	VORR V6.B16, V6.B16, V7.B16
float64loop:
	VLD1.P 64(R0), [V0.D2, V1.D2, V2.D2, V3.D2]
	BODY(MINFD, MAXFD)
	SUBS $8, R1, R1
	BNE float64loop
	MINFD(4, 5, 16)
	MAXFD(6, 7, 17)
	VDUP V4.D[1], V0.D2
	VDUP V6.D[1], V1.D2
	MINFD(4, 0, 16)
	MAXFD(6, 1, 17)
	FMOVD F4, lo+24(FP)
	FMOVD F6, hi+32(FP)
	RET

// func minMaxInt32NEON(v []int32) (lo, hi int32)
TEXT ·minMaxInt32NEON(SB), NOSPLIT, $0-32
	MOVD v_base+0(FP), R0
	MOVD v_len+8(FP), R1
	VLD1R (R0), [V4.S4]
	VORR V4.B16, V4.B16, V5.B16
	VORR V4.B16, V4.B16, V6.B16
	VORR V4.B16, V4.B16, V7.B16
int32loop:
	VLD1.P 64(R0), [V0.S4, V1.S4, V2.S4, V3.S4]
	BODY(MINW, MAXW)
	SUBS $16, R1, R1
	BNE int32loop
	MINW(4, 5, 16)
	MAXW(6, 7, 17)
	VDUP V4.D[1], V0.D2
	VDUP V6.D[1], V1.D2
	MINW(4, 0, 16)
	MAXW(6, 1, 17)
	VDUP V4.S[1], V0.S4
	VDUP V6.S[1], V1.S4
	MINW(4, 0, 16)
	MAXW(6, 1, 17)
	FMOVS F4, lo+24(FP)
	FMOVS F6, hi+28(FP)
	RET

// func minMaxFloat32NEON(v []float32) (lo, hi float32)
TEXT ·minMaxFloat32NEON(SB), NOSPLIT, $0-32
	MOVD v_base+0(FP), R0
	MOVD v_len+8(FP), R1
	MOVW $0x7f800000, R2
	VDUP R2, V4.S4
	MOVW $0xff800000, R2
	VDUP R2, V6.S4
	VORR V4.B16, V4.B16, V5.B16
	VORR V6.B16, V6.B16, V7.B16
float32loop:
	VLD1.P 64(R0), [V0.S4, V1.S4, V2.S4, V3.S4]
	BODY(MINFS, MAXFS)
	SUBS $16, R1, R1
	BNE float32loop
	MINFS(4, 5, 16)
	MAXFS(6, 7, 17)
	VDUP V4.D[1], V0.D2
	VDUP V6.D[1], V1.D2
	MINFS(4, 0, 16)
	MAXFS(6, 1, 17)
	VDUP V4.S[1], V0.S4
	VDUP V6.S[1], V1.S4
	MINFS(4, 0, 16)
	MAXFS(6, 1, 17)
	FMOVS F4, lo+24(FP)
	FMOVS F6, hi+28(FP)
	RET
