package parquet

import (
	"encoding/binary"
	"math"

	"github.com/evodb/writer/kernels"
)

// maxStatBytes is the longest byte-array min or max written to statistics;
// a chunk with a longer one gets a null count only.
const maxStatBytes = 4096

// columnStats computes the statistics of a column chunk, appending the
// encoded min and max to buf (which the returned Statistics reference).
// Rules: NaN is ignored; a float min of zero is written as -0.0 and a max
// of zero as +0.0; byte arrays compare as unsigned bytes; a chunk with no
// non-null (non-NaN) value has no min or max.
func columnStats(c *ColumnData, buf []byte) (Statistics, []byte) {
	nv := c.NumValues()
	s := Statistics{NullCount: int64(c.NumLevels - nv), HasNullCount: true}
	if nv == 0 {
		return s, buf
	}
	start := len(buf)
	var split int
	switch c.Leaf.Type {
	case Boolean:
		lo, hi := true, false
		for _, b := range c.Bools {
			lo = lo && b
			hi = hi || b
			if !lo && hi {
				break
			}
		}
		buf = append(buf, b2u(lo), b2u(hi))
		split = start + 1
	case Int32:
		lo, hi, _ := kernels.MinMaxInt32(c.Int32s)
		buf = binary.LittleEndian.AppendUint32(buf, uint32(lo))
		split = len(buf)
		buf = binary.LittleEndian.AppendUint32(buf, uint32(hi))
	case Int64:
		lo, hi, _ := kernels.MinMaxInt64(c.Int64s)
		buf = binary.LittleEndian.AppendUint64(buf, uint64(lo))
		split = len(buf)
		buf = binary.LittleEndian.AppendUint64(buf, uint64(hi))
	case Float:
		// NaN ignored, a zero min is -0.0 and a zero max +0.0
		lo, hi, ok := kernels.MinMaxFloat32(c.Floats)
		if !ok {
			return s, buf
		}
		buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(lo))
		split = len(buf)
		buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(hi))
	case Double:
		lo, hi, ok := kernels.MinMaxFloat64(c.Doubles)
		if !ok {
			return s, buf
		}
		buf = binary.LittleEndian.AppendUint64(buf, math.Float64bits(lo))
		split = len(buf)
		buf = binary.LittleEndian.AppendUint64(buf, math.Float64bits(hi))
	case ByteArray:
		lo, hi, ok, err := kernels.MinMaxBytes(c.Bytes, c.Offsets[:nv+1])
		if err != nil || !ok || len(lo) > maxStatBytes || len(hi) > maxStatBytes {
			return s, buf
		}
		buf = append(buf, lo...)
		split = len(buf)
		buf = append(buf, hi...)
	}
	s.Min, s.Max = statPair(buf[start:], split-start)
	return s, buf
}

// statPair splits b, a statistic's min and max one after the other, at
// k: never nil, since nil is no statistic, and an empty byte array (of
// an empty string) is one, which a buffer never used yet (nil) would
// otherwise lose.
func statPair(b []byte, k int) (lo, hi []byte) {
	if b == nil {
		b = []byte{}
	}
	return b[:k:k], b[k:len(b):len(b)]
}

func b2u(b bool) byte {
	if b {
		return 1
	}
	return 0
}
