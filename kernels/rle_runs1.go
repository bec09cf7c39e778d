package kernels

import (
	"math"
	"math/bits"
	"slices"
)

// The encoder's fast loop for levels of width 1 (definition levels of a
// flat column: 0 and 1), as a kernel: kernelSet.runsRLE1, specified by
// runsRLE1Ref. At width 1 a run pays off as an RLE run from k = 16 values,
// so the nulls of a column whose nulls come in short runs are short runs
// between long ones, and a few nulls close together make a stretch of
// several short runs that the kernel prices itself.

// runs1Slack is the most bytes one step of runsRLE1 writes: a stretch of at
// most 16 short runs (240 values) bit-packed in 30 groups behind a one-byte
// header, up to 7 runs after them (B), and a run of fewer than 1<<13 values.
// The kernel writes at most out[:limit+runs1Slack].
const runs1Slack = 48

// runs1MaxShort is the most short runs of a stretch runsRLE1 prices; the
// fast loop of appendRLE stops at the same number.
const runs1MaxShort = 16

// runsRLE1Ref specifies kernelSet.runsRLE1, appendRLE's fast loop for
// levels of width 1 (values 0 and 1, k = 16). From st = (p, wi, bm), p <
// len(src) the start of a stretch and (wi, bm) the run scanner's word and
// its run ends at or after p, it takes steps as the fast loop and the
// general steps do: a long run (16 to 1<<13-1 values) right after the last
// is an RLE run; a stretch of 1 to runs1MaxShort short runs and the long run
// after it are priced the three ways (R, B, A, see appendRLE) and written
// the cheapest. It stops after a step that leaves len(dst) past limit
// (runsLimit), or before a step it does not take (runsGeneral): one with a
// run that ends at the last value, a run of 1<<13 values or more, or more
// than runs1MaxShort short runs in a row; then the state restarts at the
// start p of that step (wi = p/64, bm the run ends of that word from p on).
// The caller guarantees len(dst) <= limit <= cap(dst)-runs1Slack and that
// limit leaves room for one more step under the size of bit-packing
// everything (runs1Slack bytes), so no step needs that check. It writes at
// most out[:limit+runs1Slack], the bytes past the returned length as
// scratch.
func runsRLE1Ref(dst []byte, src []uint8, e []uint64, st runState, limit int) ([]byte, runState, int) {
	n := len(src)
	p, wi, bm := st.p, st.wi, st.bm
	for {
		lit, r := p, 0
		var q int
		for {
			for bm == 0 {
				wi++
				bm = ^e[wi]
			}
			q = wi*64 + bits.TrailingZeros64(bm)
			if q >= n-1 {
				return dst, restartAt(e, lit), runsGeneral
			}
			if q+1-p >= 16 {
				break
			}
			if r == runs1MaxShort {
				return dst, restartAt(e, lit), runsGeneral
			}
			r++
			p, bm = q+1, bm&(bm-1)
		}
		s, c := p, q+1-p
		if c >= 1<<13 {
			return dst, restartAt(e, lit), runsGeneral
		}
		if r > 0 {
			// The stretch [lit, s) of r short runs, priced as the general
			// steps price it. m <= 240 values: fewer than 64 groups, a
			// one-byte bit-packed header.
			m := s - lit
			t, g := m&7, m>>3
			costB, costA := math.MaxInt, math.MaxInt
			if g > 0 {
				costB = 1 + g + 2*runsIn(e, s-t, s)
			}
			if t != 0 {
				// 8-t < 16 <= c: the run after gives the padding.
				costA = 2 + g + rleRunSize(c-(8-t), 1) - rleRunSize(c, 1)
			}
			costR := 2 * r
			switch {
			case costR <= costB && costR <= costA:
				dst = appendRuns(dst, src, e, lit, s, 1)
			case costB <= costA:
				dst = appendGroups(dst, src[lit:s-t], 1)
				dst = appendRuns(dst, src, e, s-t, s, 1)
			default:
				dst = appendGroups(dst, src[lit:s+8-t], 1)
				c -= 8 - t
			}
		}
		dst = appendRLERun(dst, c, uint32(src[q]), 1)
		p, bm = q+1, bm&(bm-1)
		if len(dst) > limit {
			return dst, runState{p, wi, bm}, runsLimit
		}
	}
}

// restartAt is the run scanner's state at p: word p/64 and its run ends
// from p on.
func restartAt(e []uint64, p int) runState {
	wi := p / 64
	return runState{p, wi, ^e[wi] &^ (1<<(uint(p)%64) - 1)}
}

// appendRunsKernel1 is appendRLE's fast loop for levels of width 1 with
// kernelSet.runsRLE1: it calls the kernel with the spare capacity and the
// room under packed it needs, and returns when the kernel leaves a step
// to the caller or that room runs out, with the scanner's state there.
func appendRunsKernel1(dst []byte, src []uint8, e []uint64, runs *runScanner, start, packed int) []byte {
	st := runState{runs.p, runs.wi, runs.bm}
	for st.p < len(src) && len(dst)-start <= packed-runs1Slack {
		if cap(dst)-len(dst) < 4*runs1Slack {
			dst = slices.Grow(dst, 4*runs1Slack)
		}
		limit := cap(dst) - runs1Slack
		if packed-runs1Slack < limit-start {
			limit = start + packed - runs1Slack
		}
		var how int
		dst, st, how = impl.runsRLE1(dst, src, e, st, limit)
		if how != runsLimit {
			break
		}
	}
	runs.p, runs.wi, runs.bm = st.p, st.wi, st.bm
	return dst
}
