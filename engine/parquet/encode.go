package parquet

import (
	"encoding/binary"
	"math"
	"math/bits"
	"slices"

	"github.com/evodb/writer/kernels"
)

// Value encoders. Each appends to dst and returns the extended slice.
// Those of PLAIN values make room for all they append at once
// (roomFor), so that a buffer that first meets this many values (a
// writer's first block, a dictionary page larger than any before) is
// allocated once, not doubled into a chain of copies.

func appendPlainInt32(dst []byte, v []int32) []byte {
	dst = roomFor(dst, 4*len(v))
	for _, x := range v {
		dst = binary.LittleEndian.AppendUint32(dst, uint32(x))
	}
	return dst
}

func appendPlainInt64(dst []byte, v []int64) []byte {
	dst = roomFor(dst, 8*len(v))
	for _, x := range v {
		dst = binary.LittleEndian.AppendUint64(dst, uint64(x))
	}
	return dst
}

func appendPlainFloat(dst []byte, v []float32) []byte {
	dst = roomFor(dst, 4*len(v))
	for _, x := range v {
		dst = binary.LittleEndian.AppendUint32(dst, math.Float32bits(x))
	}
	return dst
}

func appendPlainDouble(dst []byte, v []float64) []byte {
	dst = roomFor(dst, 8*len(v))
	for _, x := range v {
		dst = binary.LittleEndian.AppendUint64(dst, math.Float64bits(x))
	}
	return dst
}

// appendPlainBool bit-packs booleans LSB first.
func appendPlainBool(dst []byte, v []bool) []byte {
	n := (len(v) + 7) / 8
	start := len(dst)
	dst = growBytes(dst, n)
	out := dst[start:]
	clear(out)
	for i, b := range v {
		if b {
			out[i>>3] |= 1 << (i & 7)
		}
	}
	return dst
}

// appendPlainBytes writes values [lo, hi) of a byte-array column, each
// with its 4-byte length.
func appendPlainBytes(dst []byte, data []byte, offsets []int32, lo, hi int) []byte {
	if lo < hi {
		dst = roomFor(dst, 4*(hi-lo)+int(offsets[hi]-offsets[lo]))
	}
	for i := lo; i < hi; i++ {
		v := data[offsets[i]:offsets[i+1]]
		dst = binary.LittleEndian.AppendUint32(dst, uint32(len(v)))
		dst = append(dst, v...)
	}
	return dst
}

// roomFor returns dst with room for n more bytes: dst itself if it has
// it, else a copy with an eighth more than that, about the room that
// appends growing it would have left.
func roomFor(dst []byte, n int) []byte {
	if cap(dst)-len(dst) >= n {
		return dst
	}
	return slices.Grow(dst, n+n/8)
}

// growBytes returns dst extended by n bytes (their content undefined),
// in the room roomFor makes.
func growBytes(dst []byte, n int) []byte {
	return roomFor(dst, n)[:len(dst)+n]
}

// bitWidth is the number of bits needed for values up to max.
func bitWidth(max uint64) uint { return uint(bits.Len64(max)) }

// hybridEncoder writes the RLE / bit-packed hybrid encoding with the
// kernels. Values above the bit width are impossible here (levels are
// validated, indices are below the dictionary length); should one occur
// anyway, err keeps the first error for the writer to return.
type hybridEncoder struct {
	err error
}

// appendLevels encodes levels of the given bit width.
func (e *hybridEncoder) appendLevels(dst []byte, v []uint8, width uint) []byte {
	out, err := kernels.AppendRLELevels(dst, v, width)
	if err != nil && e.err == nil {
		e.err = err
	}
	return out
}

// appendIndices encodes dictionary indices of the given bit width.
func (e *hybridEncoder) appendIndices(dst []byte, v []uint32, width uint) []byte {
	out, err := kernels.AppendRLE(dst, v, width)
	if err != nil && e.err == nil {
		e.err = err
	}
	return out
}

// deltaEncoder writes DELTA_BINARY_PACKED with the kernels, with one
// working memory for both widths that the writer holds (instead of the
// kernels' pool, which holds one per width and per P in use).
type deltaEncoder struct {
	enc kernels.DeltaEncoder
}

func (d *deltaEncoder) appendInt64(dst []byte, v []int64) []byte {
	return d.enc.AppendInt64(dst, v)
}

func (d *deltaEncoder) appendInt32(dst []byte, v []int32) []byte {
	return d.enc.AppendInt32(dst, v)
}
