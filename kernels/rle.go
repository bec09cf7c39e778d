package kernels

//go:generate go run -C ../asmgen ./rle -out ../kernels/rle_amd64.s -stubs ../kernels/rle_amd64.go -pkg kernels

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"slices"
	"sync"
	"unsafe"
)

// The RLE/bit-packed hybrid of Parquet (encoding RLE, used for repetition
// and definition levels, booleans and dictionary indices) is a sequence of
// runs, each introduced by a ULEB128 header:
//
//   - header = count<<1: an RLE run, count repetitions of one value stored
//     in ceil(width/8) bytes, little endian;
//   - header = groups<<1 | 1: a bit-packed run of groups*8 values, packed
//     as by Pack32 in groups*width bytes.
//
// Only the last run of a stream may hold more values than the stream has:
// the padding of its last group. Data page v1 levels and RLE booleans put
// the byte length of the runs in front of them as a 4-byte little-endian
// prefix (the Prefixed functions).
//
// The encoder writes every run of equal values long enough to pay off (k
// values, when its header and value take no more room than its packed
// bits) as an RLE run. The values between two such runs, a stretch, go
// the cheapest of three ways: one short RLE run per run; their whole
// groups bit-packed and the rest as short RLE runs; or all bit-packed,
// the last group completed with values taken from the start of the next
// RLE run (a bit-packed run followed by another run must cover whole
// groups of 8), counting the header bytes the shorter run saves. The
// third way never lengthens the next run, so the result
// is never larger than writing every run as an RLE run; when it is larger
// than bit-packing everything, that is written instead. The choices
// depend only on the values and the width, so every implementation
// writes the same bytes.

// ErrTruncated reports encoded input that ends before all the values asked
// of it.
var ErrTruncated = errors.New("kernels: encoded input truncated")

// ErrCorrupt reports encoded input that breaks the rules of its encoding.
var ErrCorrupt = errors.New("kernels: corrupt encoded input")

// ErrValueRange reports a value too large for the bit width it is encoded
// at.
var ErrValueRange = errors.New("kernels: value exceeds bit width")

// maxRunSize is the most bytes an RLE run of at most maxRLERun values
// takes: a 5-byte header and a 4-byte value.
const maxRunSize = 9

// maxRLERun is the largest count one run header of ours carries; longer runs
// are split. It keeps every header below 2^31, the limit readers assume.
const maxRLERun = 1 << 30

// AppendRLE appends the RLE/bit-packed hybrid encoding of src at the given
// bit width (0..32) to dst and returns the extended slice. Every value must
// be below 1<<width; otherwise dst is returned unchanged with an error
// wrapping ErrValueRange that names the first offending index. Like append,
// it may use the spare capacity of dst past the returned length as
// scratch space.
func AppendRLE(dst []byte, src []uint32, width uint) ([]byte, error) {
	if width > 32 {
		return dst, fmt.Errorf("%w: AppendRLE width %d, want 0..32", ErrWidth, width)
	}
	return appendRLE(dst, src, width)
}

// AppendRLELevels is AppendRLE for values held in bytes, as repetition and
// definition levels and booleans (width 1) are. width must be in 0..8.
func AppendRLELevels(dst []byte, src []uint8, width uint) ([]byte, error) {
	if width > 8 {
		return dst, fmt.Errorf("%w: AppendRLELevels width %d, want 0..8", ErrWidth, width)
	}
	return appendRLE(dst, src, width)
}

// AppendRLEPrefixed is AppendRLE with the 4-byte little-endian length of the
// encoded runs in front of them, as data page v1 levels and RLE booleans
// are written.
func AppendRLEPrefixed(dst []byte, src []uint32, width uint) ([]byte, error) {
	start := len(dst)
	dst = append(dst, 0, 0, 0, 0)
	out, err := AppendRLE(dst, src, width)
	if err != nil {
		return dst[:start], err
	}
	return putPrefix(out, start)
}

// AppendRLELevelsPrefixed is AppendRLELevels with the 4-byte length prefix.
func AppendRLELevelsPrefixed(dst []byte, src []uint8, width uint) ([]byte, error) {
	start := len(dst)
	dst = append(dst, 0, 0, 0, 0)
	out, err := AppendRLELevels(dst, src, width)
	if err != nil {
		return dst[:start], err
	}
	return putPrefix(out, start)
}

func putPrefix(out []byte, start int) ([]byte, error) {
	n := len(out) - start - 4
	if uint64(n) > 1<<32-1 {
		return out[:start], fmt.Errorf("%w: encoded runs of %d bytes do not fit a 4-byte length prefix", ErrValueRange, n)
	}
	binary.LittleEndian.PutUint32(out[start:], uint32(n))
	return out, nil
}

// rleValue is the set of value types the encoder and decoder work on.
type rleValue interface{ ~uint8 | ~uint32 }

// minRLERun is the shortest run that can be worth an RLE run at the given
// width (1..32): the run's bits when packed reach the size of its header
// and value.
func minRLERun(width uint) int {
	cost := 8 * (1 + (width+7)/8)
	k := int((cost + width - 1) / width)
	return max(k, 2)
}

// uvarintLen is the length of the ULEB128 encoding of x.
func uvarintLen(x uint64) int {
	if x < 1<<7 {
		return 1
	}
	return (bits.Len64(x) + 6) / 7
}

func appendRLE[T rleValue](dst []byte, src []T, width uint) ([]byte, error) {
	start := len(dst)
	n := len(src)
	if n == 0 {
		return dst, nil
	}
	if n >= minEqualCheck && allEqual(src) {
		// One long run, as the procedure below would write it: levels
		// of a column without nulls, or all null.
		if err := checkWidth(src[:1], width, src[0]); err != nil {
			return dst, err
		}
		return appendRLERun(dst, n, uint32(src[0]), int(width+7)/8), nil
	}
	buf, or := equalMask(src)
	defer maskPool.Put(buf)
	if err := checkWidth(src, width, or); err != nil {
		return dst[:start], err
	}
	if width == 0 {
		return appendRLERun(dst, n, 0, 0), nil
	}
	e := *buf
	vb := int(width+7) / 8
	k := minRLERun(width)
	w := int(width)
	// Each run of at least k values is an RLE run. The values between two
	// such runs (a stretch, whose own runs are shorter than k and take a
	// one-byte header each) are written the cheapest of three ways: R,
	// one RLE run per run; B, the stretch's whole groups bit-packed and
	// the t values after them as R does; A, bit-packed with the last group
	// completed by the first values of the run that follows (or by zero
	// padding at the end of the stream), less the header bytes that run
	// then saves. R wins ties, then B. R is what
	// writing every run as an RLE run costs, and A only shortens the run
	// that follows, so the result is never larger than that.
	//
	// Everything bit-packed takes packed bytes. Each step below knows its
	// size before writing; once the total would pass packed, that is what
	// gets written, so the output never grows past its final size.
	packed := math.MaxInt
	if g := (n + 7) / 8; n <= maxRLERun {
		packed = uvarintLen(uint64(g)<<1|1) + g*w
	}
	lit := 0 // start of the stretch
	runs := runScanner{e: e, n: n, k: k, k1: uint(k - 1), bm: ^e[0]}
	for lit < n {
		if vb == 1 {
			// The common shapes of levels, in a loop of their own: a long
			// run right after the last, or one short run and a long run,
			// written as the general steps below write them (R wins those
			// stretches but in the cases left to them). Each run header
			// and value go out as one 8-byte store into spare capacity.
			// Anything else, or too little room under packed, is left to
			// the general steps from the start of the stretch.
			if s8, ok := any(src).([]uint8); ok && impl.runsRLE8 != nil && w > 1 {
				dst = appendRunsKernel(dst, s8, e, &runs, start, packed, width)
				if lit = runs.p; lit >= n {
					break
				}
				goto general
			}
			if s8, ok := any(src).([]uint8); ok && impl.runsRLE1 != nil && w == 1 {
				// The steps the kernel takes; the loop below goes on from
				// where it stops (at the end of the room under packed, or
				// before a step it leaves to this loop and the general
				// steps).
				dst = appendRunsKernel1(dst, s8, e, &runs, start, packed)
			}
			p, wi, bm := runs.p, runs.wi, runs.bm
		fast:
			for p < n {
				// One bound for both the room under packed (a step
				// writes at most 5 bytes, the general steps check
				// exactly) and the spare capacity of the 8-byte stores.
				if cap(dst)-len(dst) < 64 {
					dst = slices.Grow(dst, 64)
				}
				limit := cap(dst) - 8
				if packed-6 < limit-start {
					limit = start + packed - 6
				}
				if len(dst) > limit {
					break
				}
				for p < n && len(dst) <= limit {
					for bm == 0 {
						wi++
						bm = ^e[wi]
					}
					q := wi*64 + bits.TrailingZeros64(bm)
					c := q + 1 - p
					if c >= k {
						if c >= 1<<13 {
							break fast
						}
						// The ULEB128 header c<<1 in one or two bytes, then
						// the value.
						two := uint64(b2i(c >= 64))
						x := uint64(c<<1)&0x7F | two<<7 | uint64(c>>6)<<8 | uint64(byte(src[p]))<<(8+8*two)
						at := len(dst)
						binary.LittleEndian.PutUint64(dst[at:at+8], x)
						dst = dst[:at+2+int(two)]
						p, bm = q+1, bm&(bm-1)
						continue
					}
					b2, w2 := bm&(bm-1), wi
					for b2 == 0 {
						w2++
						b2 = ^e[w2]
					}
					q2 := w2*64 + bits.TrailingZeros64(b2)
					c2 := q2 - q
					if c2 < k {
						// A stretch of several short runs (nulls close
						// together): priced as the general steps price a
						// stretch whose runs they counted, up to 16 runs.
						r, qe := 2, q2
						for {
							if qe >= n-1 || r > 16 {
								break fast
							}
							b2 &= b2 - 1
							for b2 == 0 {
								w2++
								b2 = ^e[w2]
							}
							q2 = w2*64 + bits.TrailingZeros64(b2)
							if q2-qe >= k {
								break
							}
							r, qe = r+1, q2
						}
						s, c2 := qe+1, q2-qe
						if c2 >= 1<<13 {
							break fast
						}
						m := s - p
						t, g := m&7, m>>3
						costB, costA := math.MaxInt, math.MaxInt
						if g > 0 {
							tail := b2i(t != 0)
							if t > 1 {
								tail = runsIn(e, s-t, s)
							}
							costB = uvarintLen(uint64(g)<<1|1) + g*w + tail*2
						}
						if t != 0 && 8-t < c2 {
							costA = uvarintLen(uint64(g+1)<<1|1) + (g+1)*w +
								rleRunSize(c2-(8-t), 1) - rleRunSize(c2, 1)
						}
						costR := 2 * r
						step, pad := min(costR, costB, costA), 0
						if step == costA && costA < costB && costA < costR {
							pad = 8 - t
						}
						if len(dst)-start+step+rleRunSize(c2-pad, 1) > packed {
							break fast
						}
						switch {
						case costR <= costB && costR <= costA:
							dst = appendRuns(dst, src, e, p, s, 1)
						case costB <= costA:
							dst = appendGroups(dst, src[p:s-t], width)
							dst = appendRuns(dst, src, e, s-t, s, 1)
						default:
							dst = appendGroups(dst, src[p:s+pad], width)
						}
						// The run of c2-pad < 1<<13 values, as above.
						c2 -= pad
						if cap(dst)-len(dst) < 8 {
							dst = slices.Grow(dst, 8)
						}
						two := uint64(b2i(c2 >= 64))
						x := uint64(c2<<1)&0x7F | two<<7 | uint64(c2>>6)<<8 | uint64(byte(src[s]))<<(8+8*two)
						at := len(dst)
						binary.LittleEndian.PutUint64(dst[at:at+8], x)
						dst = dst[:at+2+int(two)]
						p, wi, bm = q2+1, w2, b2&(b2-1)
						continue fast
					}
					two := uint64(b2i(c2 >= 64))
					// A stretch of one short run of c before a run of c2, which
					// R wins unless the A way lets a 2-byte header shrink.
					if c2 >= 1<<13 || two == 1 && w == 1 && c < 8 && c2+c < 72 {
						break fast
					}
					x := uint64(c<<1) | uint64(byte(src[p]))<<8 |
						(uint64(c2<<1)&0x7F|two<<7|uint64(c2>>6)<<8|uint64(byte(src[q+1]))<<(8+8*two))<<16
					at := len(dst)
					binary.LittleEndian.PutUint64(dst[at:at+8], x)
					dst = dst[:at+4+int(two)]
					p, wi, bm = q2+1, w2, b2&(b2-1)
				}
			}
			runs.p, runs.wi, runs.bm = p, wi, bm
			if lit = p; p >= n {
				break
			}
		}
	general:
		// runs.next, its first step by hand: the next run end in the
		// current word closes a long run that starts at lit.
		s, end := lit, 0
		if bm := runs.bm; bm != 0 && runs.wi*64+bits.TrailingZeros64(bm)+1-s >= k {
			end = runs.wi*64 + bits.TrailingZeros64(bm) + 1
			runs.p, runs.bm, runs.short = end, bm&(bm-1), 0
		} else {
			s, end = runs.scan()
		}
		pad := 0
		if s == lit {
			// A long run right after the last: the common case of levels.
			if c := end - s; c < 1<<13 && vb == 1 {
				if c < 64 {
					if len(dst)-start+2 > packed {
						return appendLiteral(dst[:start], src, width, true), nil
					}
					dst = append(dst, byte(c<<1), byte(src[s]))
				} else {
					if len(dst)-start+3 > packed {
						return appendLiteral(dst[:start], src, width, true), nil
					}
					// The two bytes of the ULEB128 header c<<1.
					dst = append(dst, byte(c<<1)|0x80, byte(c>>6), byte(src[s]))
				}
				lit = end
				continue
			}
		}
		if m, c := s-lit, end-s; runs.short == 1 && vb == 1 && s < n && c <= maxRLERun {
			// A stretch of one short run (m < k <= 16 values) before a run
			// of c. R costs two bytes; B two at least (R wins ties); A
			// 1+(g+1)*w, less one when the c-(8-m) values left to the run
			// take a shorter header, so A wins only at width 1 with m < 8
			// and such a header.
			hdr := uvarintLen(uint64(c) << 1)
			if hdr == 1 || w > 1 || m >= 8 || c <= 8-m || uvarintLen(uint64(c-8+m)<<1) == hdr {
				if len(dst)-start+3+hdr > packed {
					return appendLiteral(dst[:start], src, width, true), nil
				}
				switch hdr {
				case 1:
					dst = append(dst, byte(m<<1), byte(src[lit]), byte(c<<1), byte(src[s]))
				case 2:
					dst = append(dst, byte(m<<1), byte(src[lit]), byte(c<<1)|0x80, byte(c>>6), byte(src[s]))
				default:
					dst = append(dst, byte(m<<1), byte(src[lit]))
					dst = appendRLERun(dst, c, uint32(src[s]), 1)
				}
				lit = end
				continue
			}
		}
		if m := s - lit; m > 0 {
			t, g := m&7, m>>3
			short := runs.short // runs in the stretch, or -1
			// B without whole groups is R; A may be impossible.
			costB, costA := math.MaxInt, math.MaxInt
			if g > 0 {
				tail := b2i(t != 0) // runs among the last t values
				if short != 1 && t > 1 {
					tail = runsIn(e, s-t, s)
				}
				costB = uvarintLen(uint64(g)<<1|1) + g*w + tail*(1+vb)
			}
			if t != 0 && (s == n || 8-t < end-s) {
				costA = uvarintLen(uint64(g+1)<<1|1) + (g+1)*w
				if s < n {
					// The shorter run may take a shorter header.
					costA += rleRunSize(end-s-(8-t), vb) - rleRunSize(end-s, vb)
				}
			}
			costR := short * (1 + vb)
			if short < 0 {
				// Runs are counted only as far as R could still win.
				limit := min(costA, costB)
				if vb == 1 {
					limit >>= 1 // levels: skip the division
				} else {
					limit /= 1 + vb
				}
				costR = runsUpTo(e, lit, s, limit) * (1 + vb)
			}
			step := min(costR, costB, costA)
			if s < n && step == costA && costA < costB && costA < costR {
				pad = 8 - t
			}
			if s < n {
				step += rleRunSize(end-s-pad, vb)
			}
			if len(dst)-start+step > packed {
				return appendLiteral(dst[:start], src, width, true), nil
			}
			switch {
			case costR <= costB && costR <= costA:
				if short == 1 && vb == 1 {
					// One run, shorter than k <= 16.
					dst = append(dst, byte(m<<1), byte(src[lit]))
				} else {
					dst = appendRuns(dst, src, e, lit, s, vb)
				}
			case costB <= costA:
				dst = appendLiteral(dst, src[lit:s-t], width, false)
				dst = appendRuns(dst, src, e, s-t, s, vb)
			case s == n:
				dst = appendLiteral(dst, src[lit:], width, true)
			default:
				dst = appendLiteral(dst, src[lit:s+pad], width, false)
			}
		} else if len(dst)-start+maxRunSize > packed && len(dst)-start+rleRunSize(end-s, vb) > packed {
			// (A run of at most maxRLERun values takes at most maxRunSize
			// bytes.)
			return appendLiteral(dst[:start], src, width, true), nil
		}
		if c := end - s - pad; s == n {
			break
		} else if c < 64 && vb == 1 {
			dst = append(dst, byte(c<<1), byte(src[s]))
		} else {
			dst = appendRLERun(dst, c, uint32(src[s]), vb)
		}
		lit = end
	}
	return dst, nil
}

// minEqualCheck is the fewest values for which the encoder first checks
// whether all are equal. From 64 values on, all equal values are one RLE
// run for the general procedure too: no bit-packing is smaller.
const minEqualCheck = 64

// allEqual reports whether the values of src, at least one, are all equal:
// whether src[1:] and src[:len(src)-1] hold the same bytes, a comparison
// the runtime does many bytes at a time and ends at the first difference.
func allEqual[T rleValue](src []T) bool {
	size := int(unsafe.Sizeof(src[0]))
	b := unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(src))), len(src)*size)
	return bytes.Equal(b[size:], b[:len(b)-size])
}

// rleRunSize is the number of bytes appendRLERun writes for a run.
func rleRunSize(count, vb int) int {
	if uint(count-1) < maxRLERun {
		return uvarintLen(uint64(count)<<1) + vb
	}
	return rleRunSizeLong(count, vb)
}

// rleRunSizeLong is rleRunSize for runs that take more than one header.
func rleRunSizeLong(count, vb int) int {
	size := 0
	for count > 0 {
		c := min(count, maxRLERun)
		count -= c
		size += uvarintLen(uint64(c)<<1) + vb
	}
	return size
}

// runsIn counts the runs of equal values among values [a, b), from their
// equality bitmap e: one plus the unequal neighbours among them.
func runsIn(e []uint64, a, b int) int {
	if a >= b {
		return 0
	}
	// Equal neighbours: bits a..last-1 of e.
	last := b - 1
	wa, wb := a/64, last/64
	lo := e[wa] >> uint(a%64)
	if wa == wb {
		return b - a - bits.OnesCount64(lo&(1<<uint(last-a)-1))
	}
	eq := bits.OnesCount64(lo)
	for _, x := range e[wa+1 : wb] {
		eq += bits.OnesCount64(x)
	}
	eq += bits.OnesCount64(e[wb] & (1<<uint(last%64) - 1))
	return b - a - eq
}

// runsUpTo is runsIn(e, a, b) when that is at most limit, and otherwise
// some count above limit: it stops counting a word after passing it.
func runsUpTo(e []uint64, a, b, limit int) int {
	last := b - 1
	wa, wb := a/64, last/64
	if b-a <= limit || wb-wa < 2 {
		return runsIn(e, a, b)
	}
	// One plus the run ends (clear bits of e) among bits a..last-1.
	ends := 1 + bits.OnesCount64(^e[wa]>>uint(a%64))
	for _, x := range e[wa+1 : wb] {
		if ends > limit {
			return ends
		}
		ends += bits.OnesCount64(^x)
	}
	return ends + bits.OnesCount64(^e[wb]&(1<<uint(last%64)-1))
}

// checkWidth reports the first value of src at or above 1<<width when or,
// the bitwise or of all values, shows there is one.
func checkWidth[T rleValue](src []T, width uint, or T) error {
	if uint64(or)>>width == 0 {
		return nil
	}
	for i, v := range src {
		if uint64(v)>>width != 0 {
			return fmt.Errorf("%w: value %d at index %d does not fit in %d bits", ErrValueRange, v, i, width)
		}
	}
	return nil
}

// appendRuns writes src[a:b] as one RLE run per run of equal values, found
// in their equality bitmap e. b is len(src) or starts a run, and the runs
// are shorter than 64 values: each header takes one byte.
func appendRuns[T rleValue](dst []byte, src []T, e []uint64, a, b, vb int) []byte {
	for p := a; p < b; {
		end := runEnd(e, p, len(src)) + 1
		v := uint32(src[p])
		switch vb {
		case 1:
			dst = append(dst, byte(end-p)<<1, byte(v))
		default:
			dst = appendRLERun(dst, end-p, v, vb)
		}
		p = end
	}
	return dst
}

// appendRLERun writes count repetitions of v as RLE runs of vb-byte values.
func appendRLERun(dst []byte, count int, v uint32, vb int) []byte {
	if count < 64 && vb == 1 {
		return append(dst, byte(count<<1), byte(v))
	}
	for count > 0 {
		c := min(count, maxRLERun)
		count -= c
		dst = binary.AppendUvarint(dst, uint64(c)<<1)
		switch vb {
		case 0:
		case 1:
			dst = append(dst, byte(v))
		case 2:
			dst = append(dst, byte(v), byte(v>>8))
		case 3:
			dst = append(dst, byte(v), byte(v>>8), byte(v>>16))
		default:
			dst = append(dst, byte(v), byte(v>>8), byte(v>>16), byte(v>>24))
		}
	}
	return dst
}

// appendLiteral writes src as bit-packed runs. Unless last is set, len(src)
// must be a multiple of 8; if it is set, the last group is padded with
// zeros.
func appendLiteral[T rleValue](dst []byte, src []T, width uint, last bool) []byte {
	for len(src) > 0 {
		c := min(len(src), maxRLERun)
		groups := (c + 7) / 8
		if groups < 64 {
			dst = append(dst, byte(groups<<1|1))
		} else {
			dst = binary.AppendUvarint(dst, uint64(groups)<<1|1)
		}
		size := groups * int(width)
		switch s := any(src[:c]).(type) {
		case []uint8:
			dst = packLevels(dst, s, width, size)
		case []uint32:
			at := len(dst)
			dst, _ = Pack32(dst, s, width)
			dst = append(dst, make([]byte, size-(len(dst)-at))...)
		}
		src = src[c:]
	}
	return dst
}

// The ways runsRLE8 stops.
const (
	runsLimit   = iota // at limit
	runsStretch        // at a stretch it does not write
	runsGeneral        // at a step it leaves to the general steps
)

// runState is where the run scanner stands: the start p of the next run,
// the word wi of the equality bitmap that holds its end and the run ends bm
// of that word at or after p.
type runState struct {
	p, wi int
	bm    uint64
}

// runsRLE8Ref specifies kernelSet.runsRLE8, the inner loop of appendRLE's
// fast loop for levels of widths 2..8. From st = (p, wi, bm), p < len(src)
// the start of a stretch and (wi, bm) the run scanner's word and its run
// ends at or after p, it writes every run of src as an RLE run (a one-byte
// value) to dst, what the general steps write for a long run (k values or
// more) and for a stretch of one short run between long ones (at width 1
// the A way can win that stretch, which this loop does not test), until
// len(dst) passes limit (at least one run; limit leaves 10 bytes of spare
// capacity, of which it writes 3 at most). A short run is written and
// backed out of when the run after it is short too. It returns dst, the
// new state and how it stopped: at limit (runsLimit), at a stretch from p
// that the caller prices (runsStretch), or at a step for the general steps
// from p (runsGeneral: the run that ends the values, a run of 1<<13 values
// or more, or a short run written when limit is passed). After runsStretch
// and runsGeneral the state restarts at p: wi = p/64 and bm the run ends
// of that word from p on.
func runsRLE8Ref(dst []byte, src []uint8, e []uint64, st runState, k, limit int) ([]byte, runState, int) {
	n := len(src)
	p, wi, bm := st.p, st.wi, st.bm
	d := len(dst)
	out := dst[:cap(dst)]
	how := runsLimit
	pm := 0 // the length of the run before when it was short, else 0
	for {
		for bm == 0 {
			wi++
			bm = ^e[wi]
		}
		q := wi*64 + bits.TrailingZeros64(bm)
		if q >= n-1 {
			how = runsGeneral
			break
		}
		c := q + 1 - p
		two := b2i(c >= 64)
		out[d], out[d+1] = byte(c<<1)|byte(two<<7), byte(c>>6)
		out[d+1+two] = src[q]
		short := c < k
		if short && pm != 0 {
			how = runsStretch
			break
		}
		if c >= 1<<13 {
			how = runsGeneral
			break
		}
		pm = 0
		if short {
			pm = c
		}
		d += 2 + two
		p, bm = q+1, bm&(bm-1)
		if d > limit {
			if pm != 0 {
				how = runsGeneral
			}
			break
		}
	}
	if how != runsLimit {
		if pm != 0 {
			// Back out of the short run before, two bytes.
			p, d = p-pm, d-2
		}
		wi = p / 64
		bm = ^e[wi] &^ (1<<(uint(p)%64) - 1)
	}
	return dst[:d], runState{p, wi, bm}, how
}

// appendRunsKernel is appendRLE's fast loop for levels of widths 2..8 with
// kernelSet.runsRLE8: it calls the kernel, prices the stretches the kernel
// stops at as the general steps price a stretch whose runs they counted
// (up to 16 runs), and returns at the first step it leaves to the general
// steps, with the scanner's state there.
func appendRunsKernel(dst []byte, src []uint8, e []uint64, runs *runScanner, start, packed int, width uint) []byte {
	n, k, w := len(src), runs.k, int(width)
	st := runState{runs.p, runs.wi, runs.bm}
	defer func() { runs.p, runs.wi, runs.bm = st.p, st.wi, st.bm }()
	for st.p < n {
		// One bound for both the room under packed (a short run and a
		// long run take at most 5 bytes, the general steps check
		// exactly) and the spare capacity of the kernel's stores.
		if cap(dst)-len(dst) < 64 {
			dst = slices.Grow(dst, 64)
		}
		limit := cap(dst) - 10
		if packed-6 < limit-start {
			limit = start + packed - 6
		}
		if len(dst) > limit {
			return dst
		}
		var how int
		dst, st, how = impl.runsRLE8(dst, src, e, st, k, limit)
		switch how {
		case runsLimit:
			continue
		case runsGeneral:
			return dst
		}
		// A stretch of several short runs from p.
		p, wi, bm := st.p, st.wi, st.bm
		for bm == 0 {
			wi++
			bm = ^e[wi]
		}
		r, qe, b2, w2, q2 := 1, wi*64+bits.TrailingZeros64(bm), bm, wi, 0
		for {
			if qe >= n-1 || r > 16 {
				return dst
			}
			b2 &= b2 - 1
			for b2 == 0 {
				w2++
				b2 = ^e[w2]
			}
			q2 = w2*64 + bits.TrailingZeros64(b2)
			if q2-qe >= k {
				break
			}
			r, qe = r+1, q2
		}
		s, c2 := qe+1, q2-qe
		if c2 >= 1<<13 {
			return dst
		}
		m := s - p
		t, g := m&7, m>>3
		costB, costA := math.MaxInt, math.MaxInt
		if g > 0 {
			tail := b2i(t != 0)
			if t > 1 {
				tail = runsIn(e, s-t, s)
			}
			costB = uvarintLen(uint64(g)<<1|1) + g*w + tail*2
		}
		if t != 0 && 8-t < c2 {
			costA = uvarintLen(uint64(g+1)<<1|1) + (g+1)*w +
				rleRunSize(c2-(8-t), 1) - rleRunSize(c2, 1)
		}
		costR := 2 * r
		step, pad := min(costR, costB, costA), 0
		if step == costA && costA < costB && costA < costR {
			pad = 8 - t
		}
		if len(dst)-start+step+rleRunSize(c2-pad, 1) > packed {
			return dst
		}
		switch {
		case costR <= costB && costR <= costA:
			dst = appendRuns(dst, src, e, p, s, 1)
		case costB <= costA:
			dst = appendGroups(dst, src[p:s-t], width)
			dst = appendRuns(dst, src, e, s-t, s, 1)
		default:
			dst = appendGroups(dst, src[p:s+pad], width)
		}
		dst = appendRLERun(dst, c2-pad, uint32(src[s]), 1)
		st = runState{q2 + 1, w2, b2 & (b2 - 1)}
	}
	return dst
}

// appendGroups is appendLiteral for a stretch of whole groups, fewer than
// 64 (a one-byte header), not at the end of the stream: the short stretches
// of the fast loop. Levels are packed a group at a time with 8-byte loads
// and stores, the stores running into spare capacity.
func appendGroups[T rleValue](dst []byte, src []T, width uint) []byte {
	s, ok := any(src).([]uint8)
	g := len(src) / 8
	if !ok || g >= 64 {
		return appendLiteral(dst, src, width, false)
	}
	w := int(width)
	size := 1 + g*w
	if cap(dst)-len(dst) < size+8 {
		dst = slices.Grow(dst, size+8)
	}
	at := len(dst)
	out := dst[at : at+size+7]
	out[0] = byte(g<<1 | 1)
	o := 1
	if w == 1 {
		for i := 0; i+8 <= len(s); i += 8 {
			out[o] = pack1x8(binary.LittleEndian.Uint64(s[i : i+8]))
			o++
		}
	} else {
		for i := 0; i+8 <= len(s); i += 8 {
			x := pack8x8(binary.LittleEndian.Uint64(s[i:i+8]), width)
			binary.LittleEndian.PutUint64(out[o:o+8], x)
			o += w
		}
	}
	return dst[:at+size]
}

// packLevels appends the values of src, each below 1<<width (1..8), packed
// in size bytes: whole groups, the last one padded with zeros.
func packLevels(dst []byte, src []uint8, width uint, size int) []byte {
	at := len(dst)
	dst = grow(dst, size)
	// The capacity past the packed bytes is scratch: whole 8-byte stores
	// may run into it.
	out := dst[at:cap(dst)]
	full := len(src) &^ 7
	i, o := 0, 0
	if width == 1 && full >= 128 {
		// Values are 0 or 1: the bitmap of the ones is the packing.
		levelsToBitmap(out, src[:full], 1)
		i, o = full, full/8
	}
	if width == 1 {
		for ; i < full; i, o = i+8, o+1 {
			out[o] = pack1x8(binary.LittleEndian.Uint64(src[i:]))
		}
	}
	w := int(width)
	for ; i < full; i += 8 {
		x := pack8x8(binary.LittleEndian.Uint64(src[i:]), width)
		if len(out)-o >= 8 {
			// The bytes past w are rewritten by the next group.
			binary.LittleEndian.PutUint64(out[o:], x)
		} else {
			var b [8]byte
			binary.LittleEndian.PutUint64(b[:], x)
			copy(out[o:o+w], b[:w])
		}
		o += w
	}
	if full < len(src) {
		var g [8]byte
		copy(g[:], src[full:])
		x := pack8x8(binary.LittleEndian.Uint64(g[:]), width)
		if len(out)-o >= 8 {
			binary.LittleEndian.PutUint64(out[o:], x)
		} else {
			var b [8]byte
			binary.LittleEndian.PutUint64(b[:], x)
			copy(out[o:o+w], b[:w])
		}
	}
	return dst
}

// pack8x8 packs the eight bytes of u (byte i = value i, below 1<<width) into
// the low 8*width bits of the result, value i at bits [i*width, (i+1)*width).
func pack8x8(u uint64, width uint) uint64 {
	const m8, m16 = 0x00FF00FF00FF00FF, 0x0000FFFF0000FFFF
	t := u&m8 | (u>>8&m8)<<width
	t = t&m16 | (t>>16&m16)<<(2*width)
	return t&0xFFFFFFFF | (t>>32)<<(4*width)
}

// pack1x8 is pack8x8 at width 1: the multiply moves bit 8i of u to bit
// 56+i, and no two of its partial products share a bit.
func pack1x8(u uint64) byte {
	return byte(u * 0x0102040810204080 >> 56)
}

// unpack8x8 is the inverse of pack8x8.
func unpack8x8(x uint64, width uint) uint64 {
	m4 := uint64(1)<<(4*width) - 1
	t := x&m4 | (x>>(4*width)&m4)<<32
	m2 := (uint64(1)<<(2*width) - 1) * 0x0000000100000001
	t = t&m2 | (t>>(2*width)&m2)<<16
	m1 := (uint64(1)<<width - 1) * 0x0001000100010001
	return t&m1 | (t>>width&m1)<<8
}

// maskPool holds equality bitmaps between calls, so that encoding
// allocates nothing in steady state.
var maskPool = sync.Pool{New: func() any { return new([]uint64) }}

// equalMask returns the equality bitmap of src (bit p set when src[p] ==
// src[p+1]) followed by one zero word, in a buffer from maskPool, and the
// bitwise or of all values.
func equalMask[T rleValue](src []T) (*[]uint64, T) {
	words := (len(src) + 63) / 64
	buf := maskPool.Get().(*[]uint64)
	if cap(*buf) < words+1 {
		*buf = make([]uint64, words+1, words+1+words/4)
	}
	e := (*buf)[:words+1]
	e[words] = 0
	var or T
	switch s := any(src).(type) {
	case []uint8:
		or = T(equalMask8(e[:words], s))
	case []uint32:
		or = T(equalMask32(e[:words], s))
	}
	*buf = e
	return buf, or
}

// runScanner finds the runs of at least k equal values among n values, in
// order, from their equality bitmap e (with its extra zero word). It walks
// the run ends (clear bits of e) a word at a time; from a word with many
// run ends on it searches for the start of the next run of k values.
type runScanner struct {
	e    []uint64
	n, k int
	k1   uint   // k-1, in 1..63
	p    int    // start of the next run to look at
	wi   int    // word of e that holds the end of the run at p
	bm   uint64 // run ends in word wi at or after p
	// short is, after next, the number of runs (all shorter than k)
	// between the end of the previous long run and the start of the one
	// returned, when the scanner walked them one by one; -1 when it
	// searched past them and did not count them.
	short int
}

// manyRunEnds is the number of run ends in a word above which the scanner
// searches for the next long run rather than walk its run ends.
const manyRunEnds = 16

// next returns the next run of at least k values: its start s and end
// (exclusive), or n, n.
func (r *runScanner) next() (s, end int) {
	// Small enough to inline: a long run that ends in the current word
	// right at the start of the search.
	if r.bm != 0 {
		if q := r.wi*64 + bits.TrailingZeros64(r.bm); q+1-r.p >= r.k {
			s = r.p
			r.p, r.bm, r.short = q+1, r.bm&(r.bm-1), 0
			return s, q + 1
		}
	}
	return r.scan()
}

// scan is next past its first step.
func (r *runScanner) scan() (s, end int) {
	p, wi, bm := r.p, r.wi, r.bm
	e, n, k := r.e, r.n, r.k
	short := 0
	for p < n {
		for bm == 0 {
			wi++
			bm = ^e[wi]
			if bits.OnesCount64(bm) > manyRunEnds {
				// Many short runs: search for the start of the next run
				// of k values a word at a time instead.
				r.short = -1
				s := nextCandidate(e, p, k, n)
				if s >= n {
					r.p, r.wi, r.bm = n, wi, bm
					return n, n
				}
				// The run at s is long; it ends at the first run end
				// from s+k-1 on.
				q := runEnd(e, s+k-1, n)
				r.p, r.wi = q+1, q/64
				r.bm = ^e[r.wi] &^ (2<<(uint(q)%64) - 1)
				return s, q + 1
			}
		}
		q := wi*64 + bits.TrailingZeros64(bm)
		bm &= bm - 1
		if q+1-p >= k {
			r.p, r.wi, r.bm, r.short = q+1, wi, bm, short
			return p, q + 1
		}
		short++
		p = q + 1
	}
	r.p, r.wi, r.bm, r.short = p, wi, bm, short
	return n, n
}

// nextCandidate returns the first index s >= pos, where pos starts a run,
// at which a run of at least k equal values starts, or n. e is the equality
// bitmap of the n values with its extra zero word.
func nextCandidate(e []uint64, pos, k, n int) int {
	k1 := uint(k - 1) // bits that must be set from s on; 1..63
	w := pos / 64
	if w >= len(e)-1 {
		return n
	}
	lo := e[w] & (^uint64(0) << (pos % 64))
	if k1 >= 15 {
		// k1 >= 15 set bits in a row cover an aligned byte of lo or hi:
		// words without one are passed over, each tested once.
		ffLo := hasFFByte(lo)
		for {
			hi := e[w+1]
			ffHi := hasFFByte(hi)
			if ffLo || ffHi {
				if c := allOnesFrom(lo, hi, k1); c != 0 {
					return min(64*w+bits.TrailingZeros64(c), n)
				}
			}
			w++
			if w >= len(e)-1 {
				return n
			}
			lo, ffLo = hi, ffHi
		}
	}
	for {
		if lo != 0 {
			if c := allOnesFrom(lo, e[w+1], k1); c != 0 {
				return min(64*w+bits.TrailingZeros64(c), n)
			}
		}
		w++
		if w >= len(e)-1 {
			return n
		}
		lo = e[w]
	}
}

// runEnd returns the index of the last value of the run that contains
// value p: the first q >= p whose bit in e is clear, at most n-1.
func runEnd(e []uint64, p, n int) int {
	w := uint(p) / 64
	x := ^e[w] &^ (1<<(uint(p)%64) - 1)
	for x == 0 {
		w++
		x = ^e[w]
	}
	return min(int(64*w)+bits.TrailingZeros64(x), n-1)
}

// hasFFByte reports whether a byte of x is 0xFF.
func hasFFByte(x uint64) bool {
	y := ^x
	return (y-0x0101010101010101)&^y&0x8080808080808080 != 0
}

// allOnesFrom returns the bits b of lo for which bits b..b+k-1 of the 128-bit
// value hi:lo are all set. k is in 1..64.
func allOnesFrom(lo, hi uint64, k uint) uint64 {
	span := uint(1)
	for 2*span <= k {
		lo, hi = lo&(lo>>span|hi<<(64-span)), hi&(hi>>span)
		span *= 2
	}
	if r := k - span; r > 0 {
		lo &= lo>>r | hi<<(64-r)
	}
	return lo
}

// DecodeRLE fills dst with len(dst) values decoded from the
// RLE/bit-packed hybrid runs at the start of src, at the given bit width
// (0..32), and returns the number of bytes of src the runs took. Values of
// the last run beyond len(dst) are ignored, and its padding bytes may be
// missing. Input that ends early yields an error wrapping ErrTruncated;
// a header or value that breaks the encoding's rules, one wrapping
// ErrCorrupt. Either names the byte offset.
func DecodeRLE(dst []uint32, src []byte, width uint) (int, error) {
	if width > 32 {
		return 0, fmt.Errorf("%w: DecodeRLE width %d, want 0..32", ErrWidth, width)
	}
	return decodeRLE(dst, src, width, false)
}

// DecodeRLELevels is DecodeRLE into bytes, for levels and booleans; width
// must be in 0..8.
func DecodeRLELevels(dst []uint8, src []byte, width uint) (int, error) {
	if width > 8 {
		return 0, fmt.Errorf("%w: DecodeRLELevels width %d, want 0..8", ErrWidth, width)
	}
	return decodeLevels(dst, src, width, false)
}

// DecodeRLEPrefixed decodes runs that follow a 4-byte little-endian length
// prefix (as AppendRLEPrefixed writes them) and returns 4 plus that length.
func DecodeRLEPrefixed(dst []uint32, src []byte, width uint) (int, error) {
	body, err := rlePrefix(src)
	if err != nil {
		return 0, err
	}
	if _, err := DecodeRLE(dst, body, width); err != nil {
		return 0, err
	}
	return 4 + len(body), nil
}

// DecodeRLELevelsPrefixed is DecodeRLELevels for runs with a length prefix.
func DecodeRLELevelsPrefixed(dst []uint8, src []byte, width uint) (int, error) {
	body, err := rlePrefix(src)
	if err != nil {
		return 0, err
	}
	if _, err := DecodeRLELevels(dst, body, width); err != nil {
		return 0, err
	}
	return 4 + len(body), nil
}

func rlePrefix(src []byte) ([]byte, error) {
	if len(src) < 4 {
		return nil, fmt.Errorf("%w: RLE length prefix needs 4 bytes, have %d", ErrTruncated, len(src))
	}
	n := uint64(binary.LittleEndian.Uint32(src))
	if n > uint64(len(src)-4) {
		return nil, fmt.Errorf("%w: RLE length prefix says %d bytes, %d follow", ErrTruncated, n, len(src)-4)
	}
	return src[4 : 4+n], nil
}

// readHeader reads the ULEB128 run header at src[i:]; it returns the header
// and the offset after it.
func readHeader(src []byte, i int) (uint64, int, error) {
	if i < len(src) && src[i] < 0x80 {
		return uint64(src[i]), i + 1, nil
	}
	var h uint64
	for s := uint(0); ; s += 7 {
		if i >= len(src) {
			return 0, 0, fmt.Errorf("%w: run header at byte %d ends with the input", ErrTruncated, i)
		}
		b := src[i]
		i++
		if s == 28 && b > 0x0F {
			return 0, 0, fmt.Errorf("%w: run header ending at byte %d exceeds 32 bits", ErrCorrupt, i-1)
		}
		h |= uint64(b&0x7F) << s
		if b < 0x80 {
			return h, i, nil
		}
	}
}

// decodeRLE decodes len(dst) values. With anyTrue, an RLE run of any
// non-zero value repeats 1, as readers of booleans take it. It is the
// reference of decodeLevels, which levels and booleans are decoded with.
func decodeRLE[T rleValue](dst []T, src []byte, width uint, anyTrue bool) (int, error) {
	vb := int(width+7) / 8
	w := int(width)
	d8, is8 := any(dst).([]uint8)
	i, o := 0, 0
	for o < len(dst) {
		at := i
		var h uint64
		if i < len(src) && src[i] < 0x80 {
			h = uint64(src[i])
			i++
		} else {
			var err error
			if h, i, err = readHeader(src, i); err != nil {
				return 0, err
			}
		}
		count := int(h >> 1)
		if h&1 == 0 {
			if len(src)-i < vb {
				return 0, fmt.Errorf("%w: RLE run at byte %d needs a %d-byte value, %d left", ErrTruncated, at, vb, len(src)-i)
			}
			var v uint32
			for b := vb - 1; b >= 0; b-- {
				v = v<<8 | uint32(src[i+b])
			}
			if anyTrue && v != 0 {
				v = 1
			}
			if uint64(v)>>width != 0 {
				return 0, fmt.Errorf("%w: RLE run at byte %d repeats %d, which does not fit in %d bits", ErrCorrupt, at, v, width)
			}
			i += vb
			take := min(count, len(dst)-o)
			if is8 && take <= 256 && len(d8)-o >= take+8 {
				// A run of bytes with room after it: stores of eight, the
				// bytes past the run rewritten by the runs after it.
				pat := uint64(v) * 0x0101010101010101
				for j := o; j < o+take; j += 8 {
					binary.LittleEndian.PutUint64(d8[j:], pat)
				}
			} else {
				fillValue(dst[o:o+take], T(v))
			}
			o += take
			continue
		}
		take := min(8*count, len(dst)-o)
		size := count * w
		need := size
		if take < 8*count {
			need = PackedLen(take, width)
		}
		if len(src)-i < need {
			return 0, fmt.Errorf("%w: bit-packed run at byte %d of %d groups needs %d bytes, %d left", ErrTruncated, at, count, need, len(src)-i)
		}
		unpackValues(dst[o:o+take], src[i:], width)
		o += take
		i += min(size, len(src)-i)
	}
	return i, nil
}

// fillValue sets every element of dst to v.
func fillValue[T rleValue](dst []T, v T) {
	if len(dst) == 0 {
		return
	}
	if v == 0 {
		clear(dst)
		return
	}
	// Eight bytes a store up to fillDirect elements, then copies of
	// doubling length.
	const fillDirect = 256
	head := min(len(dst), fillDirect)
	switch d := any(dst).(type) {
	case []uint8:
		pat := uint64(v) * 0x0101010101010101
		i := 0
		for ; i+8 <= head; i += 8 {
			binary.LittleEndian.PutUint64(d[i:], pat)
		}
		for ; i < head; i++ {
			d[i] = uint8(v)
		}
	case []uint32:
		for i := range d[:head] {
			d[i] = uint32(v)
		}
	}
	for n := head; n < len(dst); n *= 2 {
		copy(dst[n:], dst[:n])
	}
}

// unpackValues fills dst from the packed values at the start of src, which
// holds at least PackedLen(len(dst), width) bytes.
func unpackValues[T rleValue](dst []T, src []byte, width uint) {
	switch d := any(dst).(type) {
	case []uint32:
		_ = Unpack32(d, src, width)
	case []uint8:
		unpackLevels(d, src, width)
	}
}

// unpackLevels is unpackValues for bytes and widths 0..8.
func unpackLevels(dst []uint8, src []byte, width uint) {
	if width == 0 {
		clear(dst)
		return
	}
	w := int(width)
	full := len(dst) &^ 7
	i, o := 0, 0
	if width == 1 && full >= 128 {
		bitmapToLevels(dst[:full], src, 1, 0)
		i, o = full, full/8
	}
	for ; i < full; i += 8 {
		var x uint64
		if len(src)-o >= 8 {
			x = binary.LittleEndian.Uint64(src[o:])
		} else {
			var b [8]byte
			copy(b[:], src[o:o+w])
			x = binary.LittleEndian.Uint64(b[:])
		}
		x &= 1<<(8*width) - 1
		binary.LittleEndian.PutUint64(dst[i:], unpack8x8(x, width))
		o += w
	}
	if full < len(dst) {
		var b [8]byte
		copy(b[:], src[o:o+PackedLen(len(dst)-full, width)])
		x := unpack8x8(binary.LittleEndian.Uint64(b[:])&(1<<(8*width)-1), width)
		binary.LittleEndian.PutUint64(b[:], x)
		copy(dst[full:], b[:])
	}
}

// b2i is 1 for true and 0 for false.
func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
