package cdc

import (
	"encoding/binary"
	"testing"
)

// TestPlain8 checks the eight-byte fast path of the string scanner against
// the byte-by-byte rule, for every byte value at every position.
func TestPlain8(t *testing.T) {
	for c := range 256 {
		for pos := range 8 {
			b := []byte("abcdefgh")
			b[pos] = byte(c)
			want := c >= 0x20 && c < 0x80 && c != '"' && c != '\\'
			if got := plain8(binary.LittleEndian.Uint64(b)); got != want {
				t.Fatalf("byte 0x%02x at %d: plain8 = %v, want %v", c, pos, got, want)
			}
		}
	}
}
