package parquet

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/evodb/writer/kernels"
)

// Value and level decoders. Every one checks its input length before
// reading and returns an error on short or inconsistent input.

var errCorrupt = errors.New("corrupt data")

func corrupt(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errCorrupt, fmt.Sprintf(format, args...))
}

// hybridDecoder decodes the RLE / bit-packed hybrid encoding.
type hybridDecoder struct {
	scratch []uint32
}

// decode fills dst with len(dst) values of the given width from src and
// returns the number of bytes consumed.
func decodeHybrid[T uint8 | uint32](d *hybridDecoder, dst []T, src []byte, width uint) (int, error) {
	if width > 32 {
		return 0, corrupt("bit width %d", width)
	}
	pos := 0
	out := 0
	valueBytes := int((width + 7) / 8)
	for out < len(dst) {
		h, n := binary.Uvarint(src[pos:])
		if n <= 0 {
			return 0, corrupt("bad run header at byte %d of %d", pos, len(src))
		}
		pos += n
		if h&1 == 0 {
			count := h >> 1
			if count == 0 || count > uint64(len(dst)-out) {
				return 0, corrupt("RLE run of %d values where %d remain", count, len(dst)-out)
			}
			if len(src)-pos < valueBytes {
				return 0, corrupt("RLE run value past the end")
			}
			var v uint32
			for b := range valueBytes {
				v |= uint32(src[pos+b]) << (8 * b)
			}
			pos += valueBytes
			if width < 32 && v>>width != 0 {
				return 0, corrupt("RLE run value %d wider than %d bits", v, width)
			}
			x := T(v)
			for i := range int(count) {
				dst[out+i] = x
			}
			out += int(count)
			continue
		}
		groups := h >> 1
		if groups == 0 || groups > uint64(len(src)) {
			return 0, corrupt("bit-packed run of %d groups", groups)
		}
		values := int(groups) * 8
		take := min(values, len(dst)-out)
		need := kernels.PackedLen(take, width)
		if len(src)-pos < need {
			return 0, corrupt("bit-packed run needs %d bytes, %d left", need, len(src)-pos)
		}
		if err := unpackInto(d, dst[out:out+take], src[pos:pos+need], width); err != nil {
			return 0, err
		}
		out += take
		pos += min(len(src)-pos, int(groups)*int(width))
	}
	return pos, nil
}

func unpackInto[T uint8 | uint32](d *hybridDecoder, dst []T, src []byte, width uint) error {
	if u, ok := any(dst).([]uint32); ok {
		return kernels.Unpack32(u, src, width)
	}
	const chunk = 1024
	if cap(d.scratch) < chunk {
		d.scratch = make([]uint32, chunk)
	}
	for lo := 0; lo < len(dst); lo += chunk {
		hi := min(lo+chunk, len(dst))
		s := d.scratch[:hi-lo]
		bitOff := lo * int(width) // lo is a multiple of 8, so whole bytes
		if err := kernels.Unpack32(s, src[bitOff/8:], width); err != nil {
			return corrupt("%v", err)
		}
		for k, v := range s {
			dst[lo+k] = T(v)
		}
	}
	return nil
}

// decodeDelta appends the values of a DELTA_BINARY_PACKED stream holding
// exactly n values to dst (as int64) and returns the bytes consumed.
// bits32 selects 32-bit wrapping arithmetic for INT32 columns.
func decodeDelta(dst []int64, src []byte, n int, bits32 bool) ([]int64, int, error) {
	pos := 0
	next := func(what string) (uint64, error) {
		v, k := binary.Uvarint(src[pos:])
		if k <= 0 {
			return 0, corrupt("delta: bad %s at byte %d", what, pos)
		}
		pos += k
		return v, nil
	}
	blockSize, err := next("block size")
	if err != nil {
		return dst, 0, err
	}
	minis, err := next("miniblock count")
	if err != nil {
		return dst, 0, err
	}
	total, err := next("value count")
	if err != nil {
		return dst, 0, err
	}
	firstZ, err := next("first value")
	if err != nil {
		return dst, 0, err
	}
	if blockSize == 0 || blockSize%128 != 0 || blockSize > 1<<16 || minis == 0 || blockSize%minis != 0 || (blockSize/minis)%32 != 0 {
		return dst, 0, corrupt("delta: block size %d with %d miniblocks", blockSize, minis)
	}
	if total != uint64(n) {
		return dst, 0, corrupt("delta: %d values where the page holds %d", total, n)
	}
	if n == 0 {
		return dst, pos, nil
	}
	first := int64(firstZ>>1) ^ -int64(firstZ&1)
	prev := first
	if bits32 {
		prev = int64(int32(first))
	}
	dst = append(dst, prev)
	left := n - 1
	miniSize := int(blockSize / minis)
	var buf [512]uint64
	if miniSize > len(buf) {
		return dst, 0, corrupt("delta: miniblock of %d values", miniSize)
	}
	maxWidth := uint(64)
	if bits32 {
		maxWidth = 32
	}
	for left > 0 {
		mz, err := next("min delta")
		if err != nil {
			return dst, 0, err
		}
		minDelta := int64(mz>>1) ^ -int64(mz&1)
		if len(src)-pos < int(minis) {
			return dst, 0, corrupt("delta: bit widths past the end")
		}
		widths := src[pos : pos+int(minis)]
		pos += int(minis)
		for mb := 0; mb < int(minis) && left > 0; mb++ {
			w := uint(widths[mb])
			if w > maxWidth {
				return dst, 0, corrupt("delta: bit width %d", w)
			}
			take := min(left, miniSize)
			need := kernels.PackedLen(take, w)
			if len(src)-pos < need {
				return dst, 0, corrupt("delta: miniblock needs %d bytes, %d left", need, len(src)-pos)
			}
			vals := buf[:take]
			if err := kernels.Unpack64(vals, src[pos:pos+need], w); err != nil {
				return dst, 0, corrupt("delta: %v", err)
			}
			pos += min(len(src)-pos, kernels.PackedLen(miniSize, w))
			if bits32 {
				p := int32(prev)
				for _, v := range vals {
					p += int32(minDelta) + int32(uint32(v))
					dst = append(dst, int64(p))
				}
				prev = int64(p)
			} else {
				for _, v := range vals {
					prev += minDelta + int64(v)
					dst = append(dst, prev)
				}
			}
			left -= take
		}
	}
	return dst, pos, nil
}

// plainWidth is the PLAIN size of fixed-width types (0 for others).
func plainWidth(t PhysicalType) int {
	switch t {
	case Int32, Float:
		return 4
	case Int64, Double:
		return 8
	}
	return 0
}

// decodeByteStreamSplit rebuilds n values of the given width as PLAIN bytes.
func decodeByteStreamSplit(dst, src []byte, n, width int) ([]byte, error) {
	if len(src) < n*width {
		return dst, corrupt("BYTE_STREAM_SPLIT: %d bytes for %d values of %d bytes", len(src), n, width)
	}
	start := len(dst)
	dst = growBytes(dst, n*width)
	out := dst[start:]
	for k := range width {
		s := src[k*n : k*n+n]
		for i, c := range s {
			out[i*width+k] = c
		}
	}
	return dst, nil
}

// appendPlainFixed appends n PLAIN values of c's fixed-width type.
func appendPlainFixed(c *ColumnData, src []byte, n int) error {
	w := plainWidth(c.Leaf.Type)
	if len(src) < n*w {
		return corrupt("PLAIN: %d bytes for %d values of %d bytes", len(src), n, w)
	}
	le := binary.LittleEndian
	switch c.Leaf.Type {
	case Int32:
		for i := range n {
			c.Int32s = append(c.Int32s, int32(le.Uint32(src[4*i:])))
		}
	case Int64:
		for i := range n {
			c.Int64s = append(c.Int64s, int64(le.Uint64(src[8*i:])))
		}
	case Float:
		for i := range n {
			c.Floats = append(c.Floats, math.Float32frombits(le.Uint32(src[4*i:])))
		}
	case Double:
		for i := range n {
			c.Doubles = append(c.Doubles, math.Float64frombits(le.Uint64(src[8*i:])))
		}
	}
	return nil
}

// appendPlainByteArrays appends n PLAIN byte arrays to data/offsets.
func appendPlainByteArrays(data []byte, offsets []int32, src []byte, n int) ([]byte, []int32, error) {
	pos := 0
	if len(offsets) == 0 {
		offsets = append(offsets, int32(len(data)))
	}
	for i := range n {
		if len(src)-pos < 4 {
			return data, offsets, corrupt("PLAIN byte array %d: length past the end", i)
		}
		l := binary.LittleEndian.Uint32(src[pos:])
		pos += 4
		if uint64(l) > uint64(len(src)-pos) {
			return data, offsets, corrupt("PLAIN byte array %d: length %d exceeds the %d bytes left", i, l, len(src)-pos)
		}
		if len(data)+int(l) > math.MaxInt32 {
			return data, offsets, corrupt("byte arrays exceed 2 GiB in one column chunk")
		}
		data = append(data, src[pos:pos+int(l)]...)
		offsets = append(offsets, int32(len(data)))
		pos += int(l)
	}
	return data, offsets, nil
}
