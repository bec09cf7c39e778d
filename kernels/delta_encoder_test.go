package kernels

import (
	"math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestDeltaEncoderMatchesFunctions: one DeltaEncoder, used for both widths
// in turn (the int32 stream in the memory the int64 one just used, and
// back), writes the bytes AppendDeltaInt64 and AppendDeltaInt32 write, with
// every implementation, without touching a byte past its output, and
// allocates nothing once its scratch exists.
func TestDeltaEncoderMatchesFunctions(t *testing.T) {
	rng := rand.New(rand.NewPCG(43, 47))
	useEach(t, func(name string) {
		var e DeltaEncoder
		for _, in := range deltaInputs64 {
			for _, n := range deltaLengthsFor(t) {
				src := in.gen(rng, n)
				src = src[:len(src):len(src)]
				src32 := to32(src)
				src32 = src32[:len(src32):len(src32)]
				what := in.name + "/" + name
				for round := range 2 {
					want64, want32 := AppendDeltaInt64(nil, src), AppendDeltaInt32(nil, src32)
					got64 := encodeGuarded(t, func(b []byte) []byte { return e.AppendInt64(b, src) }, maxDeltaLen64(n), what)
					got32 := encodeGuarded(t, func(b []byte) []byte { return e.AppendInt32(b, src32) }, maxDeltaLen32(n), what)
					if diff := cmp.Diff(want64, got64); diff != "" {
						t.Fatalf("%s n=%d round %d: int64 stream differs from AppendDeltaInt64 (-want +got):\n%s", what, n, round, diff)
					}
					if diff := cmp.Diff(want32, got32); diff != "" {
						t.Fatalf("%s n=%d round %d: int32 stream differs from AppendDeltaInt32 (-want +got):\n%s", what, n, round, diff)
					}
				}
			}
		}
		src := deltaInputs64[3].gen(rng, 8192)
		src32 := to32(src)
		buf := e.AppendInt64(nil, src)
		buf32 := e.AppendInt32(nil, src32)
		if a := testing.AllocsPerRun(10, func() {
			buf = e.AppendInt64(buf[:0], src)
			buf32 = e.AppendInt32(buf32[:0], src32)
		}); a != 0 {
			t.Errorf("%s: %v allocations per pair of calls, want 0", name, a)
		}
	})
}
