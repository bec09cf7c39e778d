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

// hybridDecoder decodes the RLE / bit-packed hybrid encoding with the
// kernels.
type hybridDecoder struct{}

// decodeHybrid fills dst with len(dst) values of the given width from src
// and returns the number of bytes consumed.
func decodeHybrid[T uint8 | uint32](_ *hybridDecoder, dst []T, src []byte, width uint) (int, error) {
	var n int
	var err error
	switch d := any(dst).(type) {
	case []uint8:
		n, err = kernels.DecodeRLELevels(d, src, width)
	case []uint32:
		n, err = kernels.DecodeRLE(d, src, width)
	}
	if err != nil {
		return 0, corrupt("%v", err)
	}
	return n, nil
}

// deltaCount reads the value count from the header of a
// DELTA_BINARY_PACKED stream, so that it can be checked before decoding.
func deltaCount(src []byte) (uint64, error) {
	pos := 0
	var v uint64
	for range 3 { // block size, miniblocks per block, value count
		x, k := binary.Uvarint(src[pos:])
		if k <= 0 {
			return 0, corrupt("delta: bad header at byte %d", pos)
		}
		pos += k
		v = x
	}
	return v, nil
}

// decodeDelta appends the values of a DELTA_BINARY_PACKED stream holding
// exactly n values to dst and returns the bytes consumed.
func decodeDelta[T int32 | int64](dst []T, src []byte, n int) ([]T, int, error) {
	total, err := deltaCount(src)
	if err != nil {
		return dst, 0, err
	}
	if total != uint64(n) {
		return dst, 0, corrupt("delta: %d values where the page holds %d", total, n)
	}
	var k int
	switch d := any(dst).(type) {
	case []int32:
		var out []int32
		out, k, err = kernels.DecodeDeltaInt32(d, src)
		dst = any(out).([]T)
	case []int64:
		var out []int64
		out, k, err = kernels.DecodeDeltaInt64(d, src)
		dst = any(out).([]T)
	}
	if err != nil {
		return dst, 0, corrupt("delta: %v", err)
	}
	return dst, k, nil
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
