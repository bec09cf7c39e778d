package cdc

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"time"
)

// The binary batch format, for producers that want to skip JSON framing:
//
//	magic     "EVB1"
//	uvarint   number of strings S, then S times: uvarint length, bytes
//	uvarint   number of entries N, then N times:
//	  byte      op (1 insert, 2 update, 3 delete) | 0x80 when a commit time follows
//	  uvarint   table, as an index into the strings
//	  uvarint   producer, as an index into the strings
//	  uvarint   LSN
//	  varint    commit time, microseconds since the Unix epoch (only with 0x80)
//	  uvarint   length of the row, then the row: one JSON object
//	uint32    CRC-32C (Castagnoli) of every byte before it, little endian
//
// Tables and producers are stored once per batch, since a batch rarely has
// more than a few of each.

// ErrCorrupt reports a binary batch that cannot be decoded.
var ErrCorrupt = errors.New("corrupt binary batch")

var (
	batchMagic = [4]byte{'E', 'V', 'B', '1'}
	castagnoli = crc32.MakeTable(crc32.Castagnoli)
)

const hasCommitTime = 0x80

// AppendBinaryBatch appends entries to dst in the binary batch format.
func AppendBinaryBatch(dst []byte, entries []Entry) ([]byte, error) {
	start := len(dst)
	index := make(map[string]uint64)
	var strs []string
	intern := func(s string) uint64 {
		i, ok := index[s]
		if !ok {
			i = uint64(len(strs))
			index[s] = i
			strs = append(strs, s)
		}
		return i
	}
	for i := range entries {
		e := &entries[i]
		if !e.Op.Valid() {
			return dst[:start], fmt.Errorf("cdc: entry %d (LSN %d) has invalid op %d", i, e.LSN, e.Op)
		}
		if e.LSN < 0 {
			return dst[:start], fmt.Errorf("cdc: entry %d has negative LSN %d", i, e.LSN)
		}
		if len(e.Data) == 0 || e.Data[0] != '{' {
			return dst[:start], fmt.Errorf("cdc: entry %d (LSN %d): data is not a JSON object", i, e.LSN)
		}
		intern(e.Table)
		intern(e.Producer)
	}
	dst = append(dst, batchMagic[:]...)
	dst = binary.AppendUvarint(dst, uint64(len(strs)))
	for _, s := range strs {
		dst = binary.AppendUvarint(dst, uint64(len(s)))
		dst = append(dst, s...)
	}
	dst = binary.AppendUvarint(dst, uint64(len(entries)))
	for i := range entries {
		e := &entries[i]
		op := byte(e.Op)
		if !e.CommitTime.IsZero() {
			op |= hasCommitTime
		}
		dst = append(dst, op)
		dst = binary.AppendUvarint(dst, index[e.Table])
		dst = binary.AppendUvarint(dst, index[e.Producer])
		dst = binary.AppendUvarint(dst, uint64(e.LSN))
		if op&hasCommitTime != 0 {
			dst = binary.AppendVarint(dst, e.CommitTime.UnixMicro())
		}
		dst = binary.AppendUvarint(dst, uint64(len(e.Data)))
		dst = append(dst, e.Data...)
	}
	return binary.LittleEndian.AppendUint32(dst, crc32.Checksum(dst[start:], castagnoli)), nil
}

// batchReader decodes the fields of a binary batch, remembering the first
// error with the offset where it happened.
type batchReader struct {
	b   []byte
	off int
	err error
}

func (r *batchReader) fail(format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf("%w at byte %d: %s", ErrCorrupt, r.off, fmt.Sprintf(format, args...))
	}
}

func (r *batchReader) uvarint(what string) uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b[r.off:])
	if n <= 0 {
		r.fail("bad varint for %s", what)
		return 0
	}
	r.off += n
	return v
}

func (r *batchReader) varint(what string) int64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Varint(r.b[r.off:])
	if n <= 0 {
		r.fail("bad varint for %s", what)
		return 0
	}
	r.off += n
	return v
}

func (r *batchReader) bytes(what string) []byte {
	n := r.uvarint(what + " length")
	if r.err != nil {
		return nil
	}
	if n > uint64(len(r.b)-r.off) {
		r.fail("%s of %d bytes runs past the end", what, n)
		return nil
	}
	v := r.b[r.off : r.off+int(n)]
	r.off += int(n)
	return v
}

// DecodeBinaryBatch appends the entries of one binary batch to dst. The
// checksum is verified before anything is decoded, and every row must be
// one valid JSON object (at most opts.MaxDepth deep; opts may be nil). The
// Data of each entry aliases b. On error dst is returned unchanged.
func DecodeBinaryBatch(dst []Entry, b []byte, opts *JSONOptions) ([]Entry, error) {
	if len(b) < len(batchMagic)+4 {
		return dst, fmt.Errorf("%w: %d bytes is shorter than a batch's header and checksum", ErrCorrupt, len(b))
	}
	if [4]byte(b[:4]) != batchMagic {
		return dst, fmt.Errorf("%w: bad magic %q, want %q", ErrCorrupt, b[:4], batchMagic[:])
	}
	body := b[:len(b)-4]
	want := binary.LittleEndian.Uint32(b[len(b)-4:])
	if got := crc32.Checksum(body, castagnoli); got != want {
		return dst, fmt.Errorf("%w: checksum 0x%08x, computed 0x%08x", ErrCorrupt, want, got)
	}
	_, maxDepth := opts.limits()
	r := batchReader{b: body, off: len(batchMagic)}
	nstr := r.uvarint("string count")
	if nstr > uint64(len(body)) {
		r.fail("%d strings cannot fit in %d bytes", nstr, len(body))
	}
	var strs []string
	for i := uint64(0); i < nstr && r.err == nil; i++ {
		strs = append(strs, string(r.bytes("string")))
	}
	count := r.uvarint("entry count")
	// Each entry takes at least five bytes, which bounds what a corrupt
	// count can make us allocate.
	if r.err == nil && count > uint64(len(body)-r.off)/5 {
		r.fail("%d entries cannot fit in the %d bytes left", count, len(body)-r.off)
	}
	if r.err != nil {
		return dst, r.err
	}
	start := len(dst)
	dst = append(dst, make([]Entry, count)...)
	var keys []keySpan // reused by the rows' scanners
	for i := range count {
		if r.err != nil {
			break
		}
		e := &dst[start+int(i)]
		opOff := r.off
		if r.off >= len(body) {
			r.fail("entry %d of %d missing", i, count)
			break
		}
		op := r.b[r.off]
		r.off++
		e.Op = Op(op &^ hasCommitTime)
		if !e.Op.Valid() {
			r.off = opOff
			r.fail("entry %d has invalid op byte 0x%02x", i, op)
			break
		}
		table, producer := r.uvarint("table"), r.uvarint("producer")
		if r.err == nil && (table >= uint64(len(strs)) || producer >= uint64(len(strs))) {
			r.fail("entry %d names string %d or %d of %d", i, table, producer, len(strs))
			break
		}
		lsn := r.uvarint("LSN")
		if lsn > 1<<63-1 {
			r.fail("entry %d has LSN %d beyond int64", i, lsn)
		}
		var micros int64
		if op&hasCommitTime != 0 {
			micros = r.varint("commit time")
		}
		dataOff := r.off
		data := r.bytes("row")
		if r.err != nil {
			break
		}
		e.Table, e.Producer, e.LSN, e.Data = strs[table], strs[producer], int64(lsn), data
		if op&hasCommitTime != 0 {
			e.CommitTime = time.UnixMicro(micros).UTC()
		}
		unique := opts != nil && opts.UniqueKeys
		if len(data) == 0 || data[0] != '{' {
			r.off = dataOff
			r.fail("entry %d (LSN %d): row is not a JSON object", i, lsn)
			break
		}
		// The row of the common kind is checked by the fast path of the
		// JSON lines decoder (validated.go); any other, or any problem,
		// by the scanner, which names it.
		if end, ok := quickRow(data, 0, 1, maxDepth, unique, &keys); ok && skipWS(data, end) == len(data) {
			continue
		}
		s := scanner{b: data, maxDepth: maxDepth, unique: unique, keys: keys[:0]}
		err := s.value()
		keys = s.keys
		if err != nil {
			r.off = dataOff
			r.fail("entry %d (LSN %d): row: %v", i, lsn, err)
			break
		}
		if s.ws(); s.i != len(data) {
			r.off = dataOff
			r.fail("entry %d (LSN %d): row has bytes after its object", i, lsn)
			break
		}
	}
	if r.err == nil && r.off != len(body) {
		r.fail("%d bytes after the last entry", len(body)-r.off)
	}
	if r.err != nil {
		clear(dst[start:])
		return dst[:start], r.err
	}
	return dst, nil
}

func crc32Castagnoli(b []byte) uint32 { return crc32.Checksum(b, castagnoli) }
