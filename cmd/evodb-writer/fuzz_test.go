package main

import (
	"bufio"
	"bytes"
	"io"
	"testing"
	"testing/iotest"

	"github.com/evodb/writer/cdc"
)

// FuzzLineChunker: whatever the input, chunk size and line limit, the
// chunks hold the input's lines in order, each whole, except the lines
// longer than the limit, which are reported with their number instead; line
// numbers add up.
func FuzzLineChunker(f *testing.F) {
	f.Add([]byte("a\nbb\nccc\n"), uint8(3), uint8(2), uint8(0))
	f.Add([]byte("x\n\n\nyyyyyyyyyyyy\nz"), uint8(1), uint8(4), uint8(2))
	f.Add([]byte("no newline at all"), uint8(5), uint8(200), uint8(1))
	f.Fuzz(func(t *testing.T, input []byte, size, maxLine, maxLines uint8) {
		limit := int(maxLine) + 1
		// Reads of a few bytes at most, whose newlines are counted as
		// they come.
		c := &lineChunker{r: iotest.HalfReader(bytes.NewReader(input)), maxLine: limit, maxChunk: 1 << 16, piece: int(size%5) + 1}
		var kept, skippedLines []int
		var got [][]byte
		buf := make([]byte, 0, int(size)+1)
		next := 1
		for range len(input) + 2 {
			chunk, first, skipped, err := c.next(buf, int(maxLines%4))
			for _, s := range skipped {
				skippedLines = append(skippedLines, s.line)
				if s.line != next {
					t.Fatalf("skipped line %d, expected line %d next", s.line, next)
				}
				next++
			}
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if first != next {
				t.Fatalf("chunk starts at line %d, expected %d", first, next)
			}
			lines := bytes.SplitAfter(chunk, []byte("\n"))
			if len(lines[len(lines)-1]) == 0 {
				lines = lines[:len(lines)-1]
			}
			for _, l := range lines {
				// Lines above the limit pass when the chunk has room for
				// them (the decoder rejects them); only a line that
				// outgrows the buffer is skipped here.
				got = append(got, bytes.Clone(l))
				kept = append(kept, next)
				next++
			}
			buf = chunk[:0]
		}
		// Rebuild the input's lines and compare.
		want := bytes.SplitAfter(input, []byte("\n"))
		if len(want[len(want)-1]) == 0 {
			want = want[:len(want)-1]
		}
		if len(kept)+len(skippedLines) != len(want) {
			t.Fatalf("%d lines kept and %d skipped, input has %d", len(kept), len(skippedLines), len(want))
		}
		for i, n := range kept {
			if !bytes.Equal(got[i], want[n-1]) {
				t.Fatalf("line %d: got %q, want %q", n, got[i], want[n-1])
			}
		}
		for _, n := range skippedLines {
			if l := len(bytes.TrimSuffix(want[n-1], []byte("\n"))); l <= limit {
				t.Fatalf("line %d of %d bytes skipped, limit %d", n, l, limit)
			}
		}
	})
}

// FuzzBatchFramer: arbitrary bytes never make the framer panic or loop, and
// every batch it frames is exactly the bytes the cdc decoder accepts or
// rejects as a whole.
func FuzzBatchFramer(f *testing.F) {
	s := newSampleStream(1, "p", "orders", 1, sampleStart)
	var es []cdc.Entry
	for range 3 {
		e := s.next()
		e.Data = bytes.Clone(e.Data)
		es = append(es, e)
	}
	batch, err := cdc.AppendBinaryBatch(nil, es)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(batch)
	f.Add(append(bytes.Clone(batch), batch...))
	f.Add(batch[:len(batch)-3])
	f.Add([]byte("EVB1\x00\x00"))
	f.Fuzz(func(t *testing.T, input []byte) {
		fr := &batchFramer{r: bufio.NewReader(bytes.NewReader(input))}
		var dst []byte
		total := 0
		for range len(input) + 1 {
			var n int
			var err error
			dst, n, _, _, err = fr.next(dst)
			if err != nil {
				return
			}
			if n == 0 {
				t.Fatal("a batch of 0 bytes")
			}
			if !bytes.Equal(dst[len(dst)-n:], input[total:total+n]) {
				t.Fatalf("framed bytes differ from the input at %d", total)
			}
			// The decoder must not read past the frame: decoding the frame
			// alone either succeeds or fails cleanly.
			cdc.DecodeBinaryBatch(nil, dst[len(dst)-n:], nil)
			total += n
		}
		t.Fatal("the framer does not end")
	})
}
