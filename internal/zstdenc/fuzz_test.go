package zstdenc

import (
	"bytes"
	"testing"
)

// FuzzEncode encodes arbitrary bytes and reads them back with the
// klauspost decoder; the encoder must never panic and the frame must
// hold exactly the input. The second argument repeats the input to reach
// past a block.
func FuzzEncode(f *testing.F) {
	f.Add([]byte{}, uint8(0))
	f.Add([]byte{0}, uint8(0))
	f.Add([]byte("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"), uint8(1))
	f.Add([]byte("the quick brown fox jumps over the lazy dog, the quick brown dog"), uint8(3))
	f.Add([]byte{1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0, 5, 0, 0, 0, 6, 0, 0, 0, 7, 0, 0, 0}, uint8(0))
	f.Add(bytes.Repeat([]byte("abcdefgh12345678"), 300), uint8(40))
	var e Encoder
	f.Fuzz(func(t *testing.T, src []byte, repeat uint8) {
		if repeat > 0 && len(src) > 0 {
			// up to ~255 copies with a varying byte, to cross blocks
			n := len(src)
			for i := range int(repeat) {
				if len(src) > 3*maxBlockSize {
					break
				}
				src = append(src, src[:n]...)
				src[len(src)-1] ^= byte(i)
			}
		}
		frame := e.EncodeAll(nil, src)
		if len(frame) > MaxEncodedSize(len(src)) {
			t.Errorf("frame of %d bytes for %d input bytes, above MaxEncodedSize", len(frame), len(src))
		}
		if got := decode(t, frame); !bytes.Equal(got, src) {
			t.Fatal(firstDiff(got, src))
		}
	})
}
