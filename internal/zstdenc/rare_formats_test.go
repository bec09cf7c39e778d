package zstdenc

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Formats of RFC 8878 that the reference corpus does not reach: RLE
// literals sections and sequences counts in 3 bytes. Each frame is read
// back with the klauspost decoder and the reference one.

// markedCopy is a block of random bytes below 0x80, then the same block
// again with a marker byte of 0xc0 every spacing/2 to 3*spacing/2
// bytes, the second block's first byte a marker too. Past the first
// block every sequence is one marker and a match at the repeat offset
// (one block back), whose source holds no marker: the second block's
// literals are markers only.
func markedCopy(r *rand.Rand, spacing int) []byte {
	ref := randomBytes(r, maxBlockSize)
	for i := range ref {
		ref[i] &= 0x7f
	}
	marked := bytes.Clone(ref)
	for i := 0; i < len(marked)-16; i += spacing/2 + r.IntN(spacing) {
		marked[i] = 0xc0
	}
	return append(ref, marked...)
}

// TestRLELiterals encodes inputs whose blocks have 32 or more literals,
// all of one value: their literals sections are RLE, with the 2-byte
// header below 4,096 literals and the 3-byte one from 4,096.
func TestRLELiterals(t *testing.T) {
	tool := refTool(t)
	r := rand.New(rand.NewPCG(2026, 1126))
	tests := []struct {
		name    string
		spacing int
		want    string // the literals section of the second block
		lits    int    // the fewest literals it must hold
	}{
		{"marker every 400 bytes", 400, "RLE literals, 2-byte header", 32},
		{"marker every 20 bytes", 20, "RLE literals, 3-byte header", 4096},
	}
	var cases []refCase
	var e Encoder
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			src := markedCopy(r, tc.spacing)
			frame := roundTrip(t, &e, src)
			blocks, err := frameBlocks(frame)
			if err != nil {
				t.Fatal(err)
			}
			if len(blocks) != 2 {
				t.Fatalf("%d blocks, want 2", len(blocks))
			}
			seen := map[string]int{}
			if err := blockFeatures(blocks[1].body, seen); err != nil {
				t.Fatalf("second block: %v", err)
			}
			if blocks[1].typ != blockCompressed || seen[tc.want] != 1 {
				t.Fatalf("second block: type %d, features %v; want a compressed block with %s", blocks[1].typ, seen, tc.want)
			}
			// the RLE literals section stands for its literals, all markers
			n, value := rleLiterals(blocks[1].body)
			if n < tc.lits || value != 0xc0 {
				t.Errorf("RLE literals section of %d literals of %#x, want %d or more of 0xc0", n, value, tc.lits)
			}
			cases = append(cases, refCase{tc.name, src})
		})
	}
	if t.Failed() {
		return
	}
	refCheck(t, tool, func(src []byte) []byte { return e.EncodeAll(nil, src) }, cases)
}

// rleLiterals reads the regenerated size and the value of an RLE
// literals section at the start of a compressed block's body.
func rleLiterals(b []byte) (int, byte) {
	switch b[0] >> 2 & 3 {
	case 0, 2:
		return int(b[0] >> 3), b[1]
	case 1:
		return int(b[0]>>4) | int(b[1])<<4, b[2]
	}
	return int(b[0]>>4) | int(b[1])<<4 | int(b[2])<<12, b[3]
}

// block is one block of a frame: its type and its body.
type block struct {
	typ  int
	body []byte
}

// frameBlocks splits a frame without a dictionary id or checksum (what
// EncodeAll writes) into its blocks.
func frameBlocks(frame []byte) ([]block, error) {
	if err := frameFeatures(frame, map[string]int{}); err != nil {
		return nil, err
	}
	fhd := frame[4]
	single := fhd>>5&1 == 1
	fcs := [4]int{0, 2, 4, 8}[fhd>>6]
	if fcs == 0 && single {
		fcs = 1
	}
	p := 5 + fcs
	if !single {
		p++
	}
	var blocks []block
	for {
		h := int(frame[p]) | int(frame[p+1])<<8 | int(frame[p+2])<<16
		p += 3
		typ, n := h>>1&3, h>>3
		if typ == blockRLE {
			n = 1
		}
		blocks = append(blocks, block{typ, frame[p : p+n]})
		p += n
		if h&1 == 1 {
			return blocks, nil
		}
	}
}

// TestSequencesCount3Bytes writes blocks of 0x7EFF to 43,669 sequences
// (the most 3-byte matches that fit a block after 64 literals) through
// the encoder's sequences section writer, and reads them back. The match
// finder does not make that many: its matches of 4 bytes or more need
// hash collisions between 6-byte windows to stay that short, so the test
// lays the sequences out itself and has the encoder's record (repeat
// offsets) and appendBlock (codes, tables, bit stream, the count's
// format) write them.
func TestSequencesCount3Bytes(t *testing.T) {
	tool := refTool(t)
	tests := []struct {
		seqs  int
		count []byte // the Number_of_Sequences field
	}{
		{0x7EFF, []byte{0xFE, 0xFF}},
		{0x7F00, []byte{0xFF, 0x00, 0x00}},
		{0x7F00 + 0x1234, []byte{0xFF, 0x34, 0x12}},
		// the most that fit a block after the first sequence's literals
		{(maxBlockSize - firstLits) / 3, []byte{0xFF, 0x95, 0x2B}},
	}
	r := rand.New(rand.NewPCG(3, 0x7F00))
	var cases []refCase
	var frames [][]byte
	var e Encoder
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%d sequences", tc.seqs), func(t *testing.T) {
			src, frame := shortMatchesFrame(&e, r, tc.seqs)
			if len(src) > maxBlockSize {
				t.Fatalf("%d bytes of input, more than one block", len(src))
			}
			got := decode(t, frame)
			if !bytes.Equal(got, src) {
				t.Fatalf("round trip of %d sequences: %s", tc.seqs, firstDiff(got, src))
			}
			blocks, err := frameBlocks(frame)
			if err != nil {
				t.Fatal(err)
			}
			if len(blocks) != 1 || blocks[0].typ != blockCompressed {
				t.Fatalf("%d blocks, the first of type %d; want one compressed block", len(blocks), blocks[0].typ)
			}
			b := blocks[0].body
			// raw literals: the first sequence's, in a 2-byte header
			if b[0]&3 != 0 || b[0]>>2&3 != 1 {
				t.Fatalf("literals section header %#x, want raw literals with a 2-byte header", b[:2])
			}
			at := 2 + (int(b[0]>>4) | int(b[1])<<4)
			if diff := cmp.Diff(tc.count, b[at:at+len(tc.count)]); diff != "" {
				t.Errorf("Number_of_Sequences field (-want +got):\n%s", diff)
			}
			cases = append(cases, refCase{fmt.Sprintf("%d sequences", tc.seqs), src})
			frames = append(frames, frame)
		})
	}
	if t.Failed() {
		return
	}
	i := 0
	refCheck(t, tool, func([]byte) []byte { i++; return frames[i-1] }, cases)
}

// firstLits is the literals of shortMatchesFrame's first sequence.
const firstLits = 64

// shortMatchesFrame makes an input of firstLits random bytes followed by
// n matches of 3 bytes (n sequences, the first with those literals, the
// others with none), at offsets drawn from 16 between 3 and 48, and
// returns it with the frame the encoder writes of those sequences (one
// block).
func shortMatchesFrame(e *Encoder, r *rand.Rand, n int) (src, frame []byte) {
	src = randomBytes(r, firstLits)
	type match struct{ at, from int }
	matches := make([]match, 0, n)
	for range n {
		at := len(src)
		from := at - 3*(1+r.IntN(16))
		matches = append(matches, match{at, from})
		src = append(src, src[from:from+3]...)
	}
	e.rep = [3]uint32{1, 4, 8}
	e.repBefore = e.rep
	e.lits = e.lits[:0]
	e.seqs = e.seqs[:0]
	anchor := 0
	for _, m := range matches {
		e.record(src, anchor, m.at, m.from, 3)
		anchor = m.at + 3
	}
	frame = appendFrameHeader(nil, len(src))
	return src, e.appendBlock(frame, src, true)
}

// TestChooseOneSequence checks the accuracy log choose gives the table
// of a block's own counts where the predefined table cannot code a
// present symbol: bits.Len(n)-2 for n codes (n/4 to n/2 states), at
// least the bits of the symbols present plus one and at least 5, at
// most the stream's maximum. Only
// such counts reach that choice below 16 codes (the predefined tables
// hold every code the encoder writes): for a single code the log is 5,
// the smallest the format allows.
func TestChooseOneSequence(t *testing.T) {
	tests := []struct {
		name    string
		n       int
		symbols []int // one code each, n in all
		want    uint8
	}{
		{"one code", 1, []int{29}, 5},
		{"two codes, one symbol", 2, []int{29, 29}, 5},
		{"two symbols", 2, []int{29, 30}, 5},
		{"4096 codes", 4096, nil, 8},
		{"1024 codes", 1024, nil, 8},
		{"256 codes", 256, nil, 7},
		{"40 codes of 30 symbols", 40, nil, 6},
	}
	var spread [1 << maxLog]uint8
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var c codeStream
			var custom fseTable
			if tc.symbols == nil {
				// symbol 29 once, the rest spread over codes 0..28
				c.count[29] = 1
				for i := range tc.n - 1 {
					c.count[i%29]++
				}
			}
			for _, s := range tc.symbols {
				c.count[s]++
			}
			c.choose(tc.n, 30, &ofPre, ofDefault, ofLog, 8, &custom, spread[:])
			if len(tc.symbols) == 2 && tc.symbols[0] == tc.symbols[1] {
				if c.mode != modeRLE || c.rle != uint8(tc.symbols[0]) {
					t.Fatalf("mode %d (RLE of %d), want RLE of %d", c.mode, c.rle, tc.symbols[0])
				}
				return
			}
			if c.mode != modeFSE || c.table != &custom {
				t.Fatalf("mode %d, want the block's own table (mode %d)", c.mode, modeFSE)
			}
			if custom.log != tc.want {
				t.Errorf("accuracy log %d, want %d", custom.log, tc.want)
			}
			sum := 0
			for s, v := range c.norm[:c.top+1] {
				switch {
				case c.count[s] == 0 && v != 0:
					t.Errorf("absent symbol %d has the count %d", s, v)
				case c.count[s] > 0 && v <= 0:
					t.Errorf("symbol %d present %d times has the count %d", s, c.count[s], v)
				}
				sum += int(v)
			}
			if sum != 1<<custom.log {
				t.Errorf("normalized counts sum to %d, want %d", sum, 1<<custom.log)
			}
		})
	}
}
