package kernels

import (
	"encoding/binary"
	"fmt"
	"math/bits"
)

// A validity bitmap holds one bit per value, least significant bit first:
// bit i (bit i%8 of byte i/8) is set when value i is present, clear when it
// is null. Definition levels say the same for a column at its deepest
// level: a present value has the maximum definition level.

// BitmapLen is the number of bytes a bitmap of n bits occupies.
func BitmapLen(n int) int { return (n + 7) / 8 }

// CountSet returns the number of set bits among the first n bits of bitmap,
// which must hold BitmapLen(n) bytes.
func CountSet(bitmap []byte, n int) (int, error) {
	if n < 0 || len(bitmap) < BitmapLen(n) {
		return 0, fmt.Errorf("%w: CountSet of %d bits needs %d bytes, have %d", ErrShortBuffer, n, BitmapLen(max(n, 0)), len(bitmap))
	}
	c := 0
	full := n / 64
	for i := range full {
		c += bits.OnesCount64(binary.LittleEndian.Uint64(bitmap[8*i:]))
	}
	for i := 64 * full; i < n; i += 8 {
		b := bitmap[i/8]
		if r := n - i; r < 8 {
			b &= 1<<r - 1
		}
		c += bits.OnesCount8(b)
	}
	return c, nil
}

// NullCount returns the number of clear bits (nulls) among the first n bits
// of bitmap.
func NullCount(bitmap []byte, n int) (int, error) {
	c, err := CountSet(bitmap, n)
	return n - c, err
}

// NullCountLevels returns the number of levels below maxDef: the nulls of a
// column whose present values have definition level maxDef.
func NullCountLevels(levels []uint8, maxDef uint8) int {
	present := 0
	full := len(levels) &^ 7
	rep := uint64(maxDef) * 0x0101010101010101
	for i := 0; i < full; i += 8 {
		// A byte of x is zero exactly where the level equals maxDef.
		x := binary.LittleEndian.Uint64(levels[i:]) ^ rep
		t := (x&0x7F7F7F7F7F7F7F7F + 0x7F7F7F7F7F7F7F7F) | x
		present += bits.OnesCount64(^t & 0x8080808080808080)
	}
	for _, l := range levels[full:] {
		if l == maxDef {
			present++
		}
	}
	return len(levels) - present
}

// BitmapToLevels sets dst[i] to present where bit i of bitmap is set and to
// null where it is clear, for every i < len(dst). bitmap must hold
// BitmapLen(len(dst)) bytes. With present = maxDef and null = maxDef-1 it
// turns the validity of a column into its definition levels.
func BitmapToLevels(dst []uint8, bitmap []byte, present, null uint8) error {
	if need := BitmapLen(len(dst)); len(bitmap) < need {
		return fmt.Errorf("%w: BitmapToLevels of %d levels needs %d bitmap bytes, have %d", ErrShortBuffer, len(dst), need, len(bitmap))
	}
	bitmapToLevels(dst, bitmap, present, null)
	return nil
}

// LevelsToBitmap writes into dst the bitmap whose bit i is set when
// levels[i] == present, clears the unused high bits of the last byte, and
// returns the number of set bits. dst must hold BitmapLen(len(levels)) bytes;
// it writes no byte past those.
func LevelsToBitmap(dst []byte, levels []uint8, present uint8) (int, error) {
	need := BitmapLen(len(levels))
	if len(dst) < need {
		return 0, fmt.Errorf("%w: LevelsToBitmap of %d levels needs %d bytes, have %d", ErrShortBuffer, len(levels), need, len(dst))
	}
	full := len(levels) &^ 7
	levelsToBitmap(dst, levels[:full], present)
	if full < len(levels) {
		var b byte
		for i, l := range levels[full:] {
			if l == present {
				b |= 1 << i
			}
		}
		dst[full/8] = b
	}
	return CountSet(dst, len(levels))
}

// levelsToBitmap writes len(src)/8 bytes of bitmap, bit i set when src[i] ==
// v. len(src) must be a multiple of 8.
func levelsToBitmap(dst []byte, src []uint8, v uint8) {
	done := impl.levelsToBitmap(dst, src, v)
	levelsToBitmapRef(dst[done/8:], src[done:], v)
}

// bitmapToLevels fills dst from the first BitmapLen(len(dst)) bytes of src.
func bitmapToLevels(dst []uint8, src []byte, present, null uint8) {
	done := impl.bitmapToLevels(dst, src, present, null)
	bitmapToLevelsRef(dst[done:], src[done/8:], present, null)
}

// levelsToBitmapRef is the reference of kernelSet.levelsToBitmap.
func levelsToBitmapRef(dst []byte, src []uint8, v uint8) {
	for i := 0; i+8 <= len(src); i += 8 {
		var b byte
		for j, l := range src[i : i+8] {
			if l == v {
				b |= 1 << j
			}
		}
		dst[i/8] = b
	}
}

// bitmapToLevelsRef is the reference of kernelSet.bitmapToLevels.
func bitmapToLevelsRef(dst []uint8, src []byte, present, null uint8) {
	for i := range dst {
		if src[i/8]>>(i%8)&1 != 0 {
			dst[i] = present
		} else {
			dst[i] = null
		}
	}
}

// equalMask8 fills dst with the equality bitmap of src: bit b of dst[j] is
// set when src[64j+b] == src[64j+b+1], clear where src[64j+b+1] does not
// exist. It returns the bitwise or of src[:64*len(dst)] (or of all of src
// when shorter).
func equalMask8(dst []uint64, src []uint8) uint8 {
	done, or := impl.equalMask8(dst, src)
	return or | equalMaskRef(dst[done:], src[64*done:])
}

// equalMask32 is equalMask8 for 32-bit values.
func equalMask32(dst []uint64, src []uint32) uint32 {
	done, or := impl.equalMask32(dst, src)
	return or | equalMaskRef(dst[done:], src[64*done:])
}

// equalMaskRef is the reference of equalMask8 and equalMask32.
func equalMaskRef[T rleValue](dst []uint64, src []T) T {
	var or T
	for j := range dst {
		var m uint64
		lo := 64 * j
		for b := range 64 {
			p := lo + b
			if p >= len(src) {
				break
			}
			or |= src[p]
			if p+1 < len(src) && src[p] == src[p+1] {
				m |= 1 << b
			}
		}
		dst[j] = m
	}
	return or
}
