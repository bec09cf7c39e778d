package kernels

import (
	"fmt"
	"unsafe"
)

// Byte-stream-split (Parquet BYTE_STREAM_SPLIT) writes the n values of a
// page as k streams of n bytes for k-byte values: stream s holds byte s
// (little endian) of every value, in order. Floats so split compress far
// better, as their sign and exponent bytes repeat.

// AppendByteStreamSplit32 appends the byte-stream-split encoding of src,
// 4*len(src) bytes, to dst and returns the extended slice.
func AppendByteStreamSplit32(dst []byte, src []float32) []byte {
	at := len(dst)
	dst = grow(dst, 4*len(src))
	splitBytes32(dst[at:], float32Bits(src))
	return dst
}

// AppendByteStreamSplit64 appends the byte-stream-split encoding of src,
// 8*len(src) bytes, to dst and returns the extended slice.
func AppendByteStreamSplit64(dst []byte, src []float64) []byte {
	at := len(dst)
	dst = grow(dst, 8*len(src))
	splitBytes64(dst[at:], float64Bits(src))
	return dst
}

// DecodeByteStreamSplit32 fills dst from src, the byte-stream-split
// encoding of exactly len(dst) values: len(src) must be 4*len(dst).
func DecodeByteStreamSplit32(dst []float32, src []byte) error {
	if len(src) != 4*len(dst) {
		return fmt.Errorf("%w: byte-stream-split of %d float32 values is %d bytes, have %d", ErrCorrupt, len(dst), 4*len(dst), len(src))
	}
	joinBytes32(float32Bits(dst), src)
	return nil
}

// DecodeByteStreamSplit64 fills dst from src, the byte-stream-split
// encoding of exactly len(dst) values: len(src) must be 8*len(dst).
func DecodeByteStreamSplit64(dst []float64, src []byte) error {
	if len(src) != 8*len(dst) {
		return fmt.Errorf("%w: byte-stream-split of %d float64 values is %d bytes, have %d", ErrCorrupt, len(dst), 8*len(dst), len(src))
	}
	joinBytes64(float64Bits(dst), src)
	return nil
}

// float32Bits views a float32 slice as the uint32 slice of its bit patterns.
func float32Bits(s []float32) []uint32 {
	if len(s) == 0 {
		return nil
	}
	return unsafe.Slice((*uint32)(unsafe.Pointer(&s[0])), len(s))
}

// float64Bits views a float64 slice as the uint64 slice of its bit patterns.
func float64Bits(s []float64) []uint64 {
	if len(s) == 0 {
		return nil
	}
	return unsafe.Slice((*uint64)(unsafe.Pointer(&s[0])), len(s))
}

// splitBytes32 writes the four streams of src to dst, len(dst) ==
// 4*len(src).
func splitBytes32(dst []byte, src []uint32) {
	done := impl.splitBytes32(dst, src)
	splitBytes32Ref(dst, src, done)
}

// splitBytes64 writes the eight streams of src to dst, len(dst) ==
// 8*len(src).
func splitBytes64(dst []byte, src []uint64) {
	done := impl.splitBytes64(dst, src)
	splitBytes64Ref(dst, src, done)
}

// joinBytes32 is the inverse of splitBytes32.
func joinBytes32(dst []uint32, src []byte) {
	done := impl.joinBytes32(dst, src)
	joinBytes32Ref(dst, src, done)
}

// joinBytes64 is the inverse of splitBytes64.
func joinBytes64(dst []uint64, src []byte) {
	done := impl.joinBytes64(dst, src)
	joinBytes64Ref(dst, src, done)
}

// splitBytes32Ref is the reference of kernelSet.splitBytes32 for the values
// from index from on.
func splitBytes32Ref(dst []byte, src []uint32, from int) {
	n := len(src)
	s0, s1, s2, s3 := dst[:n], dst[n:2*n], dst[2*n:3*n], dst[3*n:4*n]
	for i := from; i < n; i++ {
		v := src[i]
		s0[i], s1[i], s2[i], s3[i] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24)
	}
}

// splitBytes64Ref is the reference of kernelSet.splitBytes64 for the values
// from index from on.
func splitBytes64Ref(dst []byte, src []uint64, from int) {
	n := len(src)
	for i := from; i < n; i++ {
		v := src[i]
		for s := range 8 {
			dst[s*n+i] = byte(v >> (8 * s))
		}
	}
}

// joinBytes32Ref is the reference of kernelSet.joinBytes32 for the values
// from index from on.
func joinBytes32Ref(dst []uint32, src []byte, from int) {
	n := len(dst)
	s0, s1, s2, s3 := src[:n], src[n:2*n], src[2*n:3*n], src[3*n:4*n]
	for i := from; i < n; i++ {
		dst[i] = uint32(s0[i]) | uint32(s1[i])<<8 | uint32(s2[i])<<16 | uint32(s3[i])<<24
	}
}

// joinBytes64Ref is the reference of kernelSet.joinBytes64 for the values
// from index from on.
func joinBytes64Ref(dst []uint64, src []byte, from int) {
	n := len(dst)
	for i := from; i < n; i++ {
		var v uint64
		for s := range 8 {
			v |= uint64(src[s*n+i]) << (8 * s)
		}
		dst[i] = v
	}
}
