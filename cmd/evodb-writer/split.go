package main

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Input is cut into chunks of whole records (JSON lines, or binary batches)
// without parsing them, so that decoding can run on other goroutines.

// lineChunker cuts a stream of JSON lines into chunks of whole lines of
// about a target size (or a number of lines).
type lineChunker struct {
	r       io.Reader
	maxLine int // longest line kept; longer ones are skipped and reported
	// maxChunk bounds the growth of a chunk that is to hold maxLines lines.
	maxChunk int
	carry    []byte // the start of a line that did not fit the last chunk
	eof      bool
	line     int   // lines handed out so far
	offset   int64 // bytes handed out (or skipped) so far
	// skipping is set while the rest of an overlong line is discarded.
	skipping bool
	// piece is the most read at once (0: readPiece).
	piece int
}

// tooLong records a line that was skipped for its length.
type tooLong struct {
	line   int
	offset int64
	length int64
}

// next fills buf (its capacity is the chunk size) with whole lines and
// returns the chunk, the number of the chunk's first line (1-based), and
// lines skipped for their length. At the end of the input it returns
// io.EOF with an empty chunk. maxLines > 0 cuts the chunk after that many
// lines.
func (c *lineChunker) next(buf []byte, maxLines int) (chunk []byte, firstLine int, skipped []tooLong, err error) {
	buf = append(buf[:0], c.carry...)
	c.carry = c.carry[:0]
	// newlines counts the newlines of buf: those of each piece read are
	// counted right after the read, while the piece is in the cache,
	// rather than in a pass of their own over the whole chunk.
	newlines := countLines(buf)
	firstLine = c.line + 1
	for {
		if c.skipping {
			// Throw away the rest of an overlong line.
			if err := c.skipRest(buf[:cap(buf)], &skipped); err != nil {
				return nil, 0, skipped, err
			}
			buf = append(buf[:0], c.carry...)
			c.carry = c.carry[:0]
			newlines = countLines(buf)
			continue
		}
		// Enough lines already?
		if maxLines > 0 {
			if cut := nthLineEnd(buf, maxLines); cut >= 0 {
				c.carry = append(c.carry, buf[cut:]...)
				return c.finish(buf[:cut], firstLine, skipped, -1)
			}
		}
		if len(buf) == cap(buf) || c.eof {
			last := bytes.LastIndexByte(buf, '\n')
			if c.eof {
				if len(buf) == 0 {
					if len(skipped) > 0 {
						return buf, firstLine, skipped, nil
					}
					return buf, firstLine, nil, io.EOF
				}
				return c.finish(buf, firstLine, skipped, newlines)
			}
			if last >= 0 && (maxLines == 0 || cap(buf) >= c.maxChunk) {
				// The carry, after the last newline, holds none.
				c.carry = append(c.carry, buf[last+1:]...)
				return c.finish(buf[:last+1], firstLine, skipped, newlines)
			}
			// One line fills the whole buffer (or the chunk is to hold
			// maxLines lines and has room to grow).
			if last < 0 && len(buf) > c.maxLine {
				c.line++
				skipped = append(skipped, tooLong{line: c.line, offset: c.offset, length: int64(len(buf))})
				c.offset += int64(len(buf))
				c.skipping = true
				firstLine = c.line + 1
				buf = buf[:0]
				newlines = 0
				continue
			}
			grown := make([]byte, len(buf), max(2*cap(buf), 4096))
			copy(grown, buf)
			buf = grown
		}
		piece := c.piece
		if piece <= 0 {
			piece = readPiece
		}
		n, err := c.r.Read(buf[len(buf):min(cap(buf), len(buf)+piece)])
		newlines += countLines(buf[len(buf) : len(buf)+n])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			c.eof = true
		} else if err != nil {
			return nil, 0, skipped, err
		}
	}
}

// readPiece is the most lineChunker reads at once (a piece whose newlines
// are counted while it is in the cache).
const readPiece = 256 << 10

// finish ends a chunk holding newlines newlines (-1: not counted yet).
func (c *lineChunker) finish(chunk []byte, firstLine int, skipped []tooLong, newlines int) ([]byte, int, []tooLong, error) {
	if newlines < 0 {
		newlines = countLines(chunk)
	}
	c.line += newlines
	if len(chunk) > 0 && chunk[len(chunk)-1] != '\n' {
		c.line++ // the last line of the input, without its newline
	}
	c.offset += int64(len(chunk))
	return chunk, firstLine, skipped, nil
}

// skipRest reads and drops bytes up to and including the next newline.
func (c *lineChunker) skipRest(scratch []byte, skipped *[]tooLong) error {
	for {
		n, err := c.r.Read(scratch)
		if i := bytes.IndexByte(scratch[:n], '\n'); i >= 0 {
			(*skipped)[len(*skipped)-1].length += int64(i)
			c.offset += int64(i + 1)
			c.carry = append(c.carry[:0], scratch[i+1:n]...)
			c.skipping = false
			if err == io.EOF {
				c.eof = true
			}
			return nil
		}
		(*skipped)[len(*skipped)-1].length += int64(n)
		c.offset += int64(n)
		if err == io.EOF {
			c.eof = true
			c.skipping = false
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// countLines counts the newlines of b a megabyte at a time: the assembly
// count cannot be preempted, and over a whole chunk (a hundred megabytes)
// it would hold up the garbage collector, which waits for every goroutine
// to stop, for tens of milliseconds.
func countLines(b []byte) int {
	n := 0
	for len(b) > 0 {
		k := min(len(b), 1<<20)
		n += bytes.Count(b[:k], []byte{'\n'})
		b = b[k:]
	}
	return n
}

// nthLineEnd returns the index just past the n-th newline of b, or -1.
func nthLineEnd(b []byte, n int) int {
	off := 0
	for range n {
		i := bytes.IndexByte(b[off:], '\n')
		if i < 0 {
			return -1
		}
		off += i + 1
	}
	return off
}

// batchFramer reads whole binary batches (cdc's format) from a stream; a
// file may hold any number of them back to back.
type batchFramer struct {
	r      *bufio.Reader
	offset int64
}

var errNotBinaryBatch = errors.New("not a binary batch (no EVB1 magic)")

// next appends the next batch to dst and returns dst, the batch's length,
// its number of entries and its byte offset in the stream; io.EOF at a
// clean end.
func (f *batchFramer) next(dst []byte) (out []byte, n, entries int, at int64, err error) {
	start := len(dst)
	at = f.offset
	read := func(n int) error {
		for n > 0 {
			b, err := f.r.ReadByte()
			if err != nil {
				if err == io.EOF {
					return io.ErrUnexpectedEOF
				}
				return err
			}
			dst = append(dst, b)
			n--
		}
		return nil
	}
	uvarint := func() (uint64, error) {
		var x uint64
		var s uint
		for i := 0; i < binary.MaxVarintLen64; i++ {
			b, err := f.r.ReadByte()
			if err != nil {
				if err == io.EOF {
					return 0, io.ErrUnexpectedEOF
				}
				return 0, err
			}
			dst = append(dst, b)
			if b < 0x80 {
				return x | uint64(b)<<s, nil
			}
			x |= uint64(b&0x7f) << s
			s += 7
		}
		return 0, errors.New("varint overflows 64 bits")
	}
	bulk := func(n uint64) error {
		if n > 1<<30 {
			return fmt.Errorf("length %d is implausible", n)
		}
		l := len(dst)
		dst = append(dst, make([]byte, n)...)
		_, err := io.ReadFull(f.r, dst[l:])
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return err
	}
	fail := func(err error) ([]byte, int, int, int64, error) {
		return dst[:start], 0, 0, at, fmt.Errorf("binary batch at byte %d: %w", at, err)
	}
	if _, err := f.r.Peek(1); err == io.EOF {
		return dst, 0, 0, at, io.EOF
	}
	if err := read(4); err != nil {
		return fail(err)
	}
	if string(dst[start:start+4]) != "EVB1" {
		if f.offset == 0 {
			return fail(fmt.Errorf("%w; is the file JSON lines? (--format jsonl)", errNotBinaryBatch))
		}
		return fail(errNotBinaryBatch)
	}
	nstr, err := uvarint()
	if err != nil {
		return fail(err)
	}
	for range nstr {
		n, err := uvarint()
		if err != nil {
			return fail(err)
		}
		if err := bulk(n); err != nil {
			return fail(err)
		}
	}
	nent, err := uvarint()
	if err != nil {
		return fail(err)
	}
	if nent > 1<<31 {
		return fail(fmt.Errorf("%d entries is implausible", nent))
	}
	for range nent {
		if err := read(1); err != nil {
			return fail(err)
		}
		op := dst[len(dst)-1]
		for range 3 { // table, producer, LSN
			if _, err := uvarint(); err != nil {
				return fail(err)
			}
		}
		if op&0x80 != 0 {
			if _, err := uvarint(); err != nil { // zigzag varint: same framing
				return fail(err)
			}
		}
		n, err := uvarint()
		if err != nil {
			return fail(err)
		}
		if err := bulk(n); err != nil {
			return fail(err)
		}
	}
	if err := read(4); err != nil { // CRC-32C
		return fail(err)
	}
	n = len(dst) - start
	f.offset += int64(n)
	return dst, n, int(nent), at, nil
}
