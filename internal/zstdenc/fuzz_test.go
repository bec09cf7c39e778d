package zstdenc

import (
	"bytes"
	"testing"
)

// fuzzSeeds are the seeds of FuzzEncode; TestReferenceDecoder decodes
// them with the reference decoder too.
var fuzzSeeds = []struct {
	src    []byte
	repeat uint8
}{
	{[]byte{}, 0},
	{[]byte{0}, 0},
	{[]byte("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"), 1},
	{[]byte("the quick brown fox jumps over the lazy dog, the quick brown dog"), 3},
	{[]byte{1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0, 5, 0, 0, 0, 6, 0, 0, 0, 7, 0, 0, 0}, 0},
	{bytes.Repeat([]byte("abcdefgh12345678"), 300), 40},
}

// fuzzInput is the input FuzzEncode encodes for src and repeat: src
// followed by up to repeat copies of itself, each with its last byte
// changed, to reach past a block.
func fuzzInput(src []byte, repeat uint8) []byte {
	src = bytes.Clone(src)
	if repeat > 0 && len(src) > 0 {
		n := len(src)
		for i := range int(repeat) {
			if len(src) > 3*maxBlockSize {
				break
			}
			src = append(src, src[:n]...)
			src[len(src)-1] ^= byte(i)
		}
	}
	return src
}

// FuzzEncode encodes arbitrary bytes and reads them back with the
// klauspost decoder; the encoder must never panic and the frame must
// hold exactly the input. The second argument repeats the input to reach
// past a block.
func FuzzEncode(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s.src, s.repeat)
	}
	var e Encoder
	f.Fuzz(func(t *testing.T, src []byte, repeat uint8) {
		src = fuzzInput(src, repeat)
		frame := e.EncodeAll(nil, src)
		if len(frame) > MaxEncodedSize(len(src)) {
			t.Errorf("frame of %d bytes for %d input bytes, above MaxEncodedSize", len(frame), len(src))
		}
		if got := decode(t, frame); !bytes.Equal(got, src) {
			t.Fatal(firstDiff(got, src))
		}
	})
}
