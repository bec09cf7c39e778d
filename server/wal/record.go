package wal

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
)

// A segment file is a header followed by records:
//
//	header   8 bytes magic "EVWAL001", 8 bytes little-endian start position
//	record   uint32 little-endian payload length n (1 ≤ n ≤ MaxRecordBytes)
//	         uint32 little-endian CRC-32C (Castagnoli) of the length bytes
//	                and the payload
//	         n bytes payload
//
// The checksum covers the length, so a damaged length is caught like a
// damaged payload. A record of length 0 cannot be written: four zero
// bytes where a length belongs mark the end of what was written.

const (
	headerBytes       = 16
	recordHeaderBytes = 8
	// MaxRecordBytes is the largest payload a record may hold.
	MaxRecordBytes = 1 << 30
)

var magic = [8]byte{'E', 'V', 'W', 'A', 'L', '0', '0', '1'}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// ErrCorrupt reports a record or segment that cannot be read where a
// complete one must be (in a segment before the last).
var ErrCorrupt = errors.New("wal: corrupt segment")

// appendRecord appends one record to dst whose payload is the
// concatenation of parts.
func appendRecord(dst []byte, parts ...[]byte) []byte {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	var h [recordHeaderBytes]byte
	binary.LittleEndian.PutUint32(h[0:4], uint32(n))
	crc := crc32.Update(0, castagnoli, h[0:4])
	for _, p := range parts {
		crc = crc32.Update(crc, castagnoli, p)
	}
	binary.LittleEndian.PutUint32(h[4:8], crc)
	dst = append(dst, h[:]...)
	for _, p := range parts {
		dst = append(dst, p...)
	}
	return dst
}

// appendHeader appends a segment header for a segment starting at start.
func appendHeader(dst []byte, start int64) []byte {
	dst = append(dst, magic[:]...)
	return binary.LittleEndian.AppendUint64(dst, uint64(start))
}

// parseHeader reads a segment header.
func parseHeader(b []byte) (start int64, err error) {
	if len(b) < headerBytes {
		return 0, fmt.Errorf("segment header: %d bytes, want %d", len(b), headerBytes)
	}
	if [8]byte(b[:8]) != magic {
		return 0, fmt.Errorf("segment header: bad magic %q", b[:8])
	}
	s := binary.LittleEndian.Uint64(b[8:16])
	if s > 1<<62 {
		return 0, fmt.Errorf("segment header: start position %d out of range", s)
	}
	return int64(s), nil
}

// TornError says where and why reading records stopped before the end of
// the data.
type TornError struct {
	Offset int64  // byte offset of the record that could not be read
	Reason string // what was wrong with it
}

func (e *TornError) Error() string {
	return fmt.Sprintf("record at byte %d: %s", e.Offset, e.Reason)
}

// scanRecords calls fn for every complete, intact record of b (the bytes
// after a segment header), in order, with the record's offset in b and
// its payload (aliasing b). It returns the number of bytes of whole records
// read; when that is less than len(b), a *TornError tells why. An error from
// fn stops the scan and is returned as it is.
func scanRecords(b []byte, fn func(off int64, payload []byte) error) (int64, error) {
	off := 0
	for off < len(b) {
		rest := b[off:]
		if len(rest) < recordHeaderBytes {
			return int64(off), &TornError{Offset: int64(off), Reason: fmt.Sprintf("%d bytes left, less than a record header", len(rest))}
		}
		n := binary.LittleEndian.Uint32(rest[0:4])
		if n == 0 {
			return int64(off), &TornError{Offset: int64(off), Reason: "zero length"}
		}
		if n > MaxRecordBytes {
			return int64(off), &TornError{Offset: int64(off), Reason: fmt.Sprintf("length %d above the limit %d", n, MaxRecordBytes)}
		}
		if uint64(len(rest)-recordHeaderBytes) < uint64(n) {
			return int64(off), &TornError{Offset: int64(off), Reason: fmt.Sprintf("length %d, only %d bytes follow", n, len(rest)-recordHeaderBytes)}
		}
		payload := rest[recordHeaderBytes : recordHeaderBytes+int(n)]
		crc := crc32.Update(0, castagnoli, rest[0:4])
		crc = crc32.Update(crc, castagnoli, payload)
		if want := binary.LittleEndian.Uint32(rest[4:8]); crc != want {
			return int64(off), &TornError{Offset: int64(off), Reason: fmt.Sprintf("checksum %08x, record says %08x", crc, want)}
		}
		if fn != nil {
			if err := fn(int64(off), payload); err != nil {
				return int64(off), err
			}
		}
		off += recordHeaderBytes + int(n)
	}
	return int64(off), nil
}
