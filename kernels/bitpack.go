package kernels

//go:generate go run -C ../asmgen ./bitpack -out ../kernels/bitpack_amd64.s -stubs ../kernels/bitpack_amd64.go -pkg kernels
//go:generate go run -C ../asmgen ./bitpackneon -out ../kernels/bitpack_arm64.s

import (
	"errors"
	"fmt"
)

// Bit-packing in Parquet's layout: value i of a run occupies bits
// [i*width, (i+1)*width) of a little-endian bit stream, least significant
// bit first. Eight values of width w fill exactly w bytes, which is why
// Parquet packs values in groups of eight.
//
// Padding and tail contract, for every Pack and Unpack function:
//
//   - Pack appends exactly PackedLen(len(src), width) bytes to dst and
//     writes nothing past the length of the slice it returns. When
//     len(src)*width is not a multiple of 8, the unused high bits of the
//     last byte are zero. Only the low width bits of each value are packed;
//     higher bits are ignored.
//   - Unpack fills all of dst and reads only src[:PackedLen(len(dst), width)];
//     it never reads past len(src), whatever the capacity. Each value it
//     writes is below 1<<width.
//   - Width 0 packs to zero bytes and unpacks to zeros.
//
// Callers that pack a stream in several calls must pass multiples of eight
// values to every call but the last to keep the bit stream contiguous.

// ErrWidth reports a bit width outside the range a function accepts.
var ErrWidth = errors.New("kernels: bit width out of range")

// ErrShortBuffer reports an input too short for the values asked of it.
var ErrShortBuffer = errors.New("kernels: input too short")

// PackedLen is the number of bytes that n values of the given width occupy
// when packed: ceil(n*width/8).
func PackedLen(n int, width uint) int {
	return int((uint64(n)*uint64(width) + 7) / 8)
}

// Pack32 appends the low width bits of every value of src to dst, packed, and
// returns the extended slice. width must be in 0..32.
func Pack32(dst []byte, src []uint32, width uint) ([]byte, error) {
	if width > 32 {
		return dst, fmt.Errorf("%w: Pack32 width %d, want 0..32", ErrWidth, width)
	}
	n := PackedLen(len(src), width)
	start := len(dst)
	dst = grow(dst, n)
	out := dst[start : start+n]
	done := 0
	if width > 0 {
		done = impl.pack32(out, src, width)
	}
	pack32Ref(out[done*int(width)/8:], src[done:], width)
	return dst, nil
}

// Pack64 appends the low width bits of every value of src to dst, packed, and
// returns the extended slice. width must be in 0..64.
func Pack64(dst []byte, src []uint64, width uint) ([]byte, error) {
	if width > 64 {
		return dst, fmt.Errorf("%w: Pack64 width %d, want 0..64", ErrWidth, width)
	}
	n := PackedLen(len(src), width)
	start := len(dst)
	dst = grow(dst, n)
	out := dst[start : start+n]
	done := 0
	if width > 0 {
		done = impl.pack64(out, src, width)
	}
	pack64Ref(out[done*int(width)/8:], src[done:], width)
	return dst, nil
}

// Unpack32 fills dst with len(dst) values of the given width read from src.
// width must be in 0..32 and src must hold PackedLen(len(dst), width) bytes.
func Unpack32(dst []uint32, src []byte, width uint) error {
	if width > 32 {
		return fmt.Errorf("%w: Unpack32 width %d, want 0..32", ErrWidth, width)
	}
	if need := PackedLen(len(dst), width); len(src) < need {
		return fmt.Errorf("%w: Unpack32 of %d values at width %d needs %d bytes, have %d",
			ErrShortBuffer, len(dst), width, need, len(src))
	}
	if width == 0 {
		clear(dst)
		return nil
	}
	done := impl.unpack32(dst, src, width)
	unpack32Ref(dst[done:], src[done*int(width)/8:], width)
	return nil
}

// Unpack64 fills dst with len(dst) values of the given width read from src.
// width must be in 0..64 and src must hold PackedLen(len(dst), width) bytes.
func Unpack64(dst []uint64, src []byte, width uint) error {
	if width > 64 {
		return fmt.Errorf("%w: Unpack64 width %d, want 0..64", ErrWidth, width)
	}
	if need := PackedLen(len(dst), width); len(src) < need {
		return fmt.Errorf("%w: Unpack64 of %d values at width %d needs %d bytes, have %d",
			ErrShortBuffer, len(dst), width, need, len(src))
	}
	if width == 0 {
		clear(dst)
		return nil
	}
	done := impl.unpack64(dst, src, width)
	unpack64Ref(dst[done:], src[done*int(width)/8:], width)
	return nil
}

// grow extends dst by n bytes, reallocating only when the capacity is short.
func grow(dst []byte, n int) []byte {
	if cap(dst)-len(dst) >= n {
		return dst[:len(dst)+n]
	}
	next := make([]byte, len(dst)+n, 2*cap(dst)+n)
	copy(next, dst)
	return next
}

// pack32Ref is the reference packer: it writes PackedLen(len(src), width)
// bytes to dst, which must be at least that long. width is in 1..32.
func pack32Ref(dst []byte, src []uint32, width uint) {
	if width == 0 {
		return
	}
	mask := uint64(1)<<width - 1
	var acc uint64 // pending bits, LSB first
	var bits uint  // number of pending bits, < 8 between values
	o := 0
	for _, v := range src {
		acc |= (uint64(v) & mask) << bits
		bits += width
		for bits >= 8 {
			dst[o] = byte(acc)
			o++
			acc >>= 8
			bits -= 8
		}
	}
	if bits > 0 {
		dst[o] = byte(acc)
	}
}

// pack64Ref is pack32Ref for 64-bit values; width is in 1..64.
func pack64Ref(dst []byte, src []uint64, width uint) {
	if width == 0 {
		return
	}
	mask := ^uint64(0) >> (64 - width)
	var lo, hi uint64 // 128-bit accumulator: pending bits, LSB first
	var bits uint     // pending bits, < 8 between values
	o := 0
	for _, v := range src {
		v &= mask
		lo |= v << bits
		if bits > 0 {
			hi = v >> (64 - bits)
		}
		bits += width
		for bits >= 8 {
			dst[o] = byte(lo)
			o++
			lo = lo>>8 | hi<<56
			hi >>= 8
			bits -= 8
		}
	}
	if bits > 0 {
		dst[o] = byte(lo)
	}
}

// unpack32Ref is the reference unpacker: it fills dst from src, which holds
// at least PackedLen(len(dst), width) bytes. width is in 1..32.
func unpack32Ref(dst []uint32, src []byte, width uint) {
	if width == 0 {
		clear(dst)
		return
	}
	mask := uint64(1)<<width - 1
	var acc uint64
	var bits uint
	i := 0
	for k := range dst {
		for bits < width {
			acc |= uint64(src[i]) << bits
			i++
			bits += 8
		}
		dst[k] = uint32(acc & mask)
		acc >>= width
		bits -= width
	}
}

// unpack64Ref is unpack32Ref for 64-bit values; width is in 1..64.
func unpack64Ref(dst []uint64, src []byte, width uint) {
	if width == 0 {
		clear(dst)
		return
	}
	mask := ^uint64(0) >> (64 - width)
	var lo, hi uint64 // 128-bit accumulator of pending bits
	var bits uint
	i := 0
	for k := range dst {
		for bits < width {
			b := uint64(src[i])
			i++
			lo |= b << bits
			if bits > 56 {
				hi |= b >> (64 - bits)
			}
			bits += 8
		}
		dst[k] = lo & mask
		if width == 64 {
			lo, hi = hi, 0
		} else {
			lo = lo>>width | hi<<(64-width)
			hi >>= width
		}
		bits -= width
	}
}

// MiniblockLen is the number of values in a DELTA_BINARY_PACKED miniblock
// as this package writes it, and the unit of the miniblock kernels.
const MiniblockLen = 32

// packMiniblocks32Ref is the reference of kernelSet.packMiniblocks32.
func packMiniblocks32Ref(dst []byte, src []uint32, widths []uint8) {
	o := 0
	for i, w := range widths {
		n := int(w) * MiniblockLen / 8
		pack32Ref(dst[o:o+n], src[i*MiniblockLen:(i+1)*MiniblockLen], uint(w))
		o += n
	}
}

// packMiniblocks64Ref is the reference of kernelSet.packMiniblocks64.
func packMiniblocks64Ref(dst []byte, src []uint64, widths []uint8) {
	o := 0
	for i, w := range widths {
		n := int(w) * MiniblockLen / 8
		pack64Ref(dst[o:o+n], src[i*MiniblockLen:(i+1)*MiniblockLen], uint(w))
		o += n
	}
}

// unpackMiniblocks32Ref is the reference of kernelSet.unpackMiniblocks32.
func unpackMiniblocks32Ref(dst []uint32, src []byte, widths []uint8) {
	o := 0
	for i, w := range widths {
		n := int(w) * MiniblockLen / 8
		unpack32Ref(dst[i*MiniblockLen:(i+1)*MiniblockLen], src[o:o+n], uint(w))
		o += n
	}
}

// unpackMiniblocks64Ref is the reference of kernelSet.unpackMiniblocks64.
func unpackMiniblocks64Ref(dst []uint64, src []byte, widths []uint8) {
	o := 0
	for i, w := range widths {
		n := int(w) * MiniblockLen / 8
		unpack64Ref(dst[i*MiniblockLen:(i+1)*MiniblockLen], src[o:o+n], uint(w))
		o += n
	}
}
