package kernels

import (
	"fmt"
	"sync"
)

// Booleans are usually held as bitmaps (bit i of byte i/8, least
// significant bit first). These functions encode such a bitmap as the
// RLE/bit-packed hybrid at width 1 and back, through the level kernels.

// levelPool holds the level buffers the bitmap functions expand into.
var levelPool = sync.Pool{New: func() any { return new([]uint8) }}

func getLevels(n int) *[]uint8 {
	buf := levelPool.Get().(*[]uint8)
	if cap(*buf) < n {
		*buf = make([]uint8, n)
	}
	*buf = (*buf)[:n]
	return buf
}

// AppendRLEBitmap appends the RLE/bit-packed hybrid encoding at width 1 of
// the first n bits of bitmap, which must hold BitmapLen(n) bytes. The output
// is the same as AppendRLELevels of the bits as 0/1 levels.
func AppendRLEBitmap(dst []byte, bitmap []byte, n int) ([]byte, error) {
	if n < 0 || len(bitmap) < BitmapLen(n) {
		return dst, fmt.Errorf("%w: AppendRLEBitmap of %d bits needs %d bytes, have %d", ErrShortBuffer, n, BitmapLen(max(n, 0)), len(bitmap))
	}
	buf := getLevels(n)
	defer levelPool.Put(buf)
	bitmapToLevels(*buf, bitmap, 1, 0)
	return AppendRLELevels(dst, *buf, 1)
}

// AppendRLEBitmapPrefixed is AppendRLEBitmap with the 4-byte length prefix
// that RLE-encoded BOOLEAN pages carry.
func AppendRLEBitmapPrefixed(dst []byte, bitmap []byte, n int) ([]byte, error) {
	start := len(dst)
	dst = append(dst, 0, 0, 0, 0)
	out, err := AppendRLEBitmap(dst, bitmap, n)
	if err != nil {
		return dst[:start], err
	}
	return putPrefix(out, start)
}

// DecodeRLEBitmap decodes n width-1 values from the runs at the start of
// src into the bitmap dst, which must hold BitmapLen(n) bytes; the unused
// high bits of its last byte are cleared. It returns the number of bytes of
// src the runs took, and errors as DecodeRLE does, but an RLE run of any
// non-zero value byte reads as true, as readers of booleans take it
// (parquet-go writes 0xFF for runs of true).
func DecodeRLEBitmap(dst []byte, src []byte, n int) (int, error) {
	if n < 0 || len(dst) < BitmapLen(n) {
		return 0, fmt.Errorf("%w: DecodeRLEBitmap of %d bits needs %d bytes, have %d", ErrShortBuffer, n, BitmapLen(max(n, 0)), len(dst))
	}
	buf := getLevels(n)
	defer levelPool.Put(buf)
	used, err := decodeLevels(*buf, src, 1, true)
	if err != nil {
		return 0, err
	}
	if _, err := LevelsToBitmap(dst, *buf, 1); err != nil {
		return 0, err
	}
	return used, nil
}

// DecodeRLEBitmapPrefixed is DecodeRLEBitmap for runs behind a 4-byte
// length prefix; it returns 4 plus that length.
func DecodeRLEBitmapPrefixed(dst []byte, src []byte, n int) (int, error) {
	body, err := rlePrefix(src)
	if err != nil {
		return 0, err
	}
	if _, err := DecodeRLEBitmap(dst, body, n); err != nil {
		return 0, err
	}
	return 4 + len(body), nil
}
