package engine

import (
	"bytes"
	"testing"

	"github.com/evodb/writer/arena"
)

// TestHeldFile writes blocks of several sizes through a heldFile: each
// reads back whole, a large block's pieces stay for the next blocks while
// one of the last arena.ShrinkRounds blocks used them, and go after.
func TestHeldFile(t *testing.T) {
	var h heldFile
	block := func(n int) {
		t.Helper()
		src := make([]byte, n)
		for i := range src {
			src[i] = byte(i*7 + n)
		}
		for p := src; len(p) > 0; {
			k := min(len(p), 1000+n%5000)
			if m, err := h.Write(p[:k]); err != nil || m != k {
				t.Fatalf("Write: %d, %v", m, err)
			}
			p = p[k:]
		}
		var out bytes.Buffer
		if err := h.writeTo(&out); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(out.Bytes(), src) {
			t.Fatalf("a block of %d bytes read back as %d different bytes", n, out.Len())
		}
		h.reset()
	}
	block(5*heldPiece + 1) // six pieces
	block(10)
	if len(h.pieces) != 6 {
		t.Fatalf("%d pieces kept after a small block, want the large one's 6", len(h.pieces))
	}
	for range arena.ShrinkRounds - 2 {
		block(heldPiece + 3)
	}
	if len(h.pieces) != 6 {
		t.Fatalf("%d pieces kept, want 6 while the large block is among the last %d", len(h.pieces), arena.ShrinkRounds)
	}
	block(heldPiece + 3)
	if len(h.pieces) != 2 {
		t.Fatalf("%d pieces kept, want 2 once the large block is older than the last %d", len(h.pieces), arena.ShrinkRounds)
	}
}
