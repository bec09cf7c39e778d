package kernels

import (
	"encoding/binary"
	"fmt"
	"sync"
)

// The level decoder: decodeRLE specialised for one-byte values, which is
// what DecodeRLELevels and DecodeRLEBitmap run. decodeRLE stays the
// specification; decodeLevels returns the same values, byte count and
// errors for every input (FuzzDecodeLevels checks it).
//
// Levels come in many short runs (a run of nulls, then present values), so
// the cost per run decides the speed: a run's header and value are read
// without a call, and its bytes are written with a few fixed 8-byte stores
// when short, or copied from a row of equal bytes, which the runtime's copy
// moves 16 or 32 bytes at a time.

// levelRowLen is the length of a fill row: RLE runs up to this long are
// one copy from it.
const levelRowLen = 256

// levelRows holds, for every byte value v, a row of levelRowLen bytes equal
// to v. It is built on first use.
var levelRows = sync.OnceValue(func() *[256][levelRowLen]byte {
	var rows [256][levelRowLen]byte
	for v := range rows {
		for j := range rows[v] {
			rows[v][j] = byte(v)
		}
	}
	return &rows
})

// levelFillChunk bounds the copies that extend a long RLE run from its own
// start, so that their source stays in the first-level cache.
const levelFillChunk = 16 << 10

// decodeLevels is decodeRLE for one-byte values at widths 1..8.
func decodeLevels(dst []uint8, src []byte, width uint, anyTrue bool) (int, error) {
	if width == 0 || width > 8 {
		return decodeRLE(dst, src, width, anyTrue)
	}
	rows := levelRows()
	w := int(width)
	n := len(dst)
	i, o := 0, 0
	for o < n {
		at := i
		var h uint64
		switch {
		case i < len(src) && src[i] < 0x80:
			h = uint64(src[i])
			i++
		case i+1 < len(src) && src[i+1] < 0x80:
			h = uint64(src[i]&0x7F) | uint64(src[i+1])<<7
			i += 2
		default:
			var err error
			if h, i, err = readHeader(src, i); err != nil {
				return 0, err
			}
		}
		count := int(h >> 1)
		if h&1 == 0 {
			if i >= len(src) {
				return 0, fmt.Errorf("%w: RLE run at byte %d needs a %d-byte value, %d left", ErrTruncated, at, 1, len(src)-i)
			}
			v := src[i]
			if anyTrue && v != 0 {
				v = 1
			}
			if v>>width != 0 {
				return 0, fmt.Errorf("%w: RLE run at byte %d repeats %d, which does not fit in %d bits", ErrCorrupt, at, v, width)
			}
			i++
			take := min(count, n-o)
			switch {
			case take <= 64 && n-o >= 64:
				// Four or eight stores; the bytes past the run are
				// rewritten by the runs after it.
				pat := uint64(v) * 0x0101010101010101
				d := dst[o : o+64 : o+64]
				binary.LittleEndian.PutUint64(d[0:], pat)
				binary.LittleEndian.PutUint64(d[8:], pat)
				binary.LittleEndian.PutUint64(d[16:], pat)
				binary.LittleEndian.PutUint64(d[24:], pat)
				if take > 32 {
					binary.LittleEndian.PutUint64(d[32:], pat)
					binary.LittleEndian.PutUint64(d[40:], pat)
					binary.LittleEndian.PutUint64(d[48:], pat)
					binary.LittleEndian.PutUint64(d[56:], pat)
				}
			case take <= levelRowLen:
				copy(dst[o:o+take], rows[v][:take])
			default:
				fillLevels(dst[o:o+take], &rows[v])
			}
			o += take
			continue
		}
		take := min(8*count, n-o)
		size := count * w
		need := size
		if take < 8*count {
			need = PackedLen(take, width)
		}
		if len(src)-i < need {
			return 0, fmt.Errorf("%w: bit-packed run at byte %d of %d groups needs %d bytes, %d left", ErrTruncated, at, count, need, len(src)-i)
		}
		unpackLevels(dst[o:o+take], src[i:], width)
		o += take
		i += min(size, len(src)-i)
	}
	return i, nil
}

// fillLevels fills d, longer than a row, with copies of row: one copy of
// the row, then copies of what is already filled, doubling up to
// levelFillChunk bytes a copy.
func fillLevels(d []byte, row *[levelRowLen]byte) {
	copy(d, row[:])
	for f := levelRowLen; f < len(d); {
		f += copy(d[f:], d[:min(f, levelFillChunk)])
	}
}
