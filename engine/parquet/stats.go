package parquet

import (
	"bytes"
	"encoding/binary"
	"math"
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
		lo, hi := c.Int32s[0], c.Int32s[0]
		for _, x := range c.Int32s {
			lo = min(lo, x)
			hi = max(hi, x)
		}
		buf = binary.LittleEndian.AppendUint32(buf, uint32(lo))
		split = len(buf)
		buf = binary.LittleEndian.AppendUint32(buf, uint32(hi))
	case Int64:
		lo, hi := c.Int64s[0], c.Int64s[0]
		for _, x := range c.Int64s {
			lo = min(lo, x)
			hi = max(hi, x)
		}
		buf = binary.LittleEndian.AppendUint64(buf, uint64(lo))
		split = len(buf)
		buf = binary.LittleEndian.AppendUint64(buf, uint64(hi))
	case Float:
		lo, hi := float32(math.Inf(1)), float32(math.Inf(-1))
		seen := false
		for _, x := range c.Floats {
			if x != x {
				continue
			}
			seen = true
			if x < lo {
				lo = x
			}
			if x > hi {
				hi = x
			}
		}
		if !seen {
			return s, buf
		}
		if lo == 0 {
			lo = float32(math.Copysign(0, -1))
		}
		if hi == 0 {
			hi = 0
		}
		buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(lo))
		split = len(buf)
		buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(hi))
	case Double:
		lo, hi := math.Inf(1), math.Inf(-1)
		seen := false
		for _, x := range c.Doubles {
			if x != x {
				continue
			}
			seen = true
			if x < lo {
				lo = x
			}
			if x > hi {
				hi = x
			}
		}
		if !seen {
			return s, buf
		}
		if lo == 0 {
			lo = math.Copysign(0, -1)
		}
		if hi == 0 {
			hi = 0
		}
		buf = binary.LittleEndian.AppendUint64(buf, math.Float64bits(lo))
		split = len(buf)
		buf = binary.LittleEndian.AppendUint64(buf, math.Float64bits(hi))
	case ByteArray:
		off := c.Offsets
		lo := c.Bytes[off[0]:off[1]]
		hi := lo
		for i := 1; i < nv; i++ {
			v := c.Bytes[off[i]:off[i+1]]
			if bytes.Compare(v, lo) < 0 {
				lo = v
			} else if bytes.Compare(v, hi) > 0 {
				hi = v
			}
		}
		if len(lo) > maxStatBytes || len(hi) > maxStatBytes {
			return s, buf
		}
		buf = append(buf, lo...)
		split = len(buf)
		buf = append(buf, hi...)
	}
	s.Min = buf[start:split:split]
	s.Max = buf[split:len(buf):len(buf)]
	return s, buf
}

func b2u(b bool) byte {
	if b {
		return 1
	}
	return 0
}
