package parquet

import (
	"encoding/binary"
	"math"
	"math/bits"

	"github.com/evodb/writer/kernels"
)

// Value encoders. Each appends to dst and returns the extended slice.

func appendPlainInt32(dst []byte, v []int32) []byte {
	for _, x := range v {
		dst = binary.LittleEndian.AppendUint32(dst, uint32(x))
	}
	return dst
}

func appendPlainInt64(dst []byte, v []int64) []byte {
	for _, x := range v {
		dst = binary.LittleEndian.AppendUint64(dst, uint64(x))
	}
	return dst
}

func appendPlainFloat(dst []byte, v []float32) []byte {
	for _, x := range v {
		dst = binary.LittleEndian.AppendUint32(dst, math.Float32bits(x))
	}
	return dst
}

func appendPlainDouble(dst []byte, v []float64) []byte {
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
	for i := lo; i < hi; i++ {
		v := data[offsets[i]:offsets[i+1]]
		dst = binary.LittleEndian.AppendUint32(dst, uint32(len(v)))
		dst = append(dst, v...)
	}
	return dst
}

// appendByteStreamSplit writes width-byte values (given PLAIN-encoded in
// plain) as width streams: byte k of every value, then byte k+1, ...
func appendByteStreamSplit(dst []byte, plain []byte, width int) []byte {
	n := len(plain) / width
	start := len(dst)
	dst = growBytes(dst, len(plain))
	out := dst[start:]
	for i := range n {
		src := plain[i*width : i*width+width]
		for k, c := range src {
			out[k*n+i] = c
		}
	}
	return dst
}

func growBytes(dst []byte, n int) []byte {
	if cap(dst)-len(dst) >= n {
		return dst[:len(dst)+n]
	}
	next := make([]byte, len(dst)+n, 2*cap(dst)+n)
	copy(next, dst)
	return next
}

// bitWidth is the number of bits needed for values up to max.
func bitWidth(max uint64) uint { return uint(bits.Len64(max)) }

// hybridEncoder writes the RLE / bit-packed hybrid encoding. It keeps a
// scratch buffer for bit-packing so steady-state encoding allocates nothing.
type hybridEncoder struct {
	scratch []uint32
}

// appendLevels encodes levels of the given bit width.
func (e *hybridEncoder) appendLevels(dst []byte, v []uint8, width uint) []byte {
	return appendHybrid(dst, v, width, &e.scratch)
}

// appendIndices encodes dictionary indices of the given bit width.
func (e *hybridEncoder) appendIndices(dst []byte, v []uint32, width uint) []byte {
	return appendHybrid(dst, v, width, &e.scratch)
}

// appendHybrid encodes v: runs of 8 or more equal values become RLE runs,
// everything else bit-packed runs of whole groups of eight. A bit-packed
// run that precedes an RLE run borrows values from it to fill its last
// group, so only the final bit-packed run is padded.
func appendHybrid[T uint8 | uint32](dst []byte, v []T, width uint, scratch *[]uint32) []byte {
	n := len(v)
	bpStart := 0
	i := 0
	for i < n {
		x := v[i]
		j := i + 1
		for j < n && v[j] == x {
			j++
		}
		if j-i >= 8 {
			pad := (8 - (i-bpStart)%8) % 8
			if j-(i+pad) >= 8 {
				i += pad
				if i > bpStart {
					dst = appendBitPackedRun(dst, v[bpStart:i], width, scratch)
				}
				dst = appendRLERun(dst, uint32(x), j-i, width)
				bpStart = j
			}
		}
		i = j
	}
	if bpStart < n {
		dst = appendBitPackedRun(dst, v[bpStart:], width, scratch)
	}
	return dst
}

func appendRLERun(dst []byte, x uint32, count int, width uint) []byte {
	dst = binary.AppendUvarint(dst, uint64(count)<<1)
	for b := uint(0); b < width; b += 8 {
		dst = append(dst, byte(x>>b))
	}
	return dst
}

// appendBitPackedRun writes v as one bit-packed run, padded with zeros to
// a whole number of groups of eight.
func appendBitPackedRun[T uint8 | uint32](dst []byte, v []T, width uint, scratch *[]uint32) []byte {
	groups := (len(v) + 7) / 8
	dst = binary.AppendUvarint(dst, uint64(groups)<<1|1)
	const chunk = 1024
	if cap(*scratch) < chunk {
		*scratch = make([]uint32, chunk)
	}
	s := (*scratch)[:chunk]
	for lo := 0; lo < len(v); lo += chunk {
		hi := min(lo+chunk, len(v))
		m := hi - lo
		for k := range m {
			s[k] = uint32(v[lo+k])
		}
		if hi == len(v) {
			// pad the last group with zeros
			for m%8 != 0 {
				s[m] = 0
				m++
			}
		}
		dst = pack32(dst, s[:m], width)
	}
	return dst
}

// pack32 bit-packs v at width (0..32).
func pack32(dst []byte, v []uint32, width uint) []byte {
	out, err := kernels.Pack32(dst, v, width)
	if err != nil {
		// width is computed by this package and always in range
		panic("parquet: " + err.Error())
	}
	return out
}

// deltaEncoder writes DELTA_BINARY_PACKED: blocks of 128 values in 4
// miniblocks of 32, each miniblock with its own bit width.
type deltaEncoder struct {
	deltas [128]uint64
	packed [32]uint64
}

const (
	deltaBlock      = 128
	deltaMiniblocks = 4
	deltaMini       = deltaBlock / deltaMiniblocks
)

func (e *deltaEncoder) header(dst []byte, n int, first int64) []byte {
	dst = binary.AppendUvarint(dst, deltaBlock)
	dst = binary.AppendUvarint(dst, deltaMiniblocks)
	dst = binary.AppendUvarint(dst, uint64(n))
	return binary.AppendUvarint(dst, zigzag64(first))
}

// appendInt64 encodes v.
func (e *deltaEncoder) appendInt64(dst []byte, v []int64) []byte {
	if len(v) == 0 {
		return e.header(dst, 0, 0)
	}
	dst = e.header(dst, len(v), v[0])
	prev := v[0]
	rest := v[1:]
	for len(rest) > 0 {
		m := min(len(rest), deltaBlock)
		minDelta := int64(math.MaxInt64)
		for k := range m {
			d := rest[k] - prev
			prev = rest[k]
			e.deltas[k] = uint64(d)
			minDelta = min(minDelta, d)
		}
		for k := range m {
			e.deltas[k] -= uint64(minDelta)
		}
		dst = e.block(dst, m, minDelta, 64)
		rest = rest[m:]
	}
	return dst
}

// appendInt32 encodes v with 32-bit wrapping deltas, so no bit width
// exceeds 32.
func (e *deltaEncoder) appendInt32(dst []byte, v []int32) []byte {
	if len(v) == 0 {
		return e.header(dst, 0, 0)
	}
	dst = e.header(dst, len(v), int64(v[0]))
	prev := v[0]
	rest := v[1:]
	var d32 [deltaBlock]int32
	for len(rest) > 0 {
		m := min(len(rest), deltaBlock)
		minDelta := int32(math.MaxInt32)
		for k := range m {
			d := rest[k] - prev
			prev = rest[k]
			d32[k] = d
			minDelta = min(minDelta, d)
		}
		for k := range m {
			e.deltas[k] = uint64(uint32(d32[k] - minDelta))
		}
		dst = e.block(dst, m, int64(minDelta), 32)
		rest = rest[m:]
	}
	return dst
}

// block writes one block of m (1..128) adjusted deltas in e.deltas.
func (e *deltaEncoder) block(dst []byte, m int, minDelta int64, maxWidth uint) []byte {
	dst = binary.AppendUvarint(dst, zigzag64(minDelta))
	widthsAt := len(dst)
	dst = append(dst, 0, 0, 0, 0)
	used := (m + deltaMini - 1) / deltaMini
	for mb := range used {
		lo := mb * deltaMini
		hi := min(lo+deltaMini, m)
		var or uint64
		for _, d := range e.deltas[lo:hi] {
			or |= d
		}
		w := bitWidth(or)
		if w > maxWidth {
			w = maxWidth
		}
		dst[widthsAt+mb] = byte(w)
		copy(e.packed[:], e.deltas[lo:hi])
		clear(e.packed[hi-lo:])
		out, err := kernels.Pack64(dst, e.packed[:], w)
		if err != nil {
			panic("parquet: " + err.Error())
		}
		dst = out
	}
	return dst
}
