package engine

import "testing"

func TestPlain8(t *testing.T) {
	for c := range 256 {
		for pos := range 8 {
			b := []byte("abcdefgh")
			b[pos] = byte(c)
			x := uint64(0)
			for i := 7; i >= 0; i-- {
				x = x<<8 | uint64(b[i])
			}
			want := c >= 0x20 && c < 0x80 && c != '"' && c != '\\'
			if got := plain8(x); got != want {
				t.Fatalf("byte 0x%02x at %d: plain8 = %v, want %v", c, pos, got, want)
			}
		}
	}
}
