package kernels

import (
	"encoding/binary"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// fuzzMaxBytes caps the input of the round-trip targets: 2048 int64 values
// cover every path (whole kernel chunks, blocks and the tail).
const fuzzMaxBytes = 8 * 2048

// fuzzValues64 turns fuzz bytes into int64 values: eight bytes each, and
// with the mode byte odd, a running sum of them so that small deltas (the
// shape delta encoding is for) are as common as random ones.
func fuzzValues64(mode byte, data []byte) []int64 {
	data = data[:min(len(data), fuzzMaxBytes)]
	v := make([]int64, len(data)/8)
	var acc int64
	for i := range v {
		x := int64(binary.LittleEndian.Uint64(data[8*i:]))
		if mode&1 == 1 {
			x >>= mode >> 1 % 64
			acc += x
			x = acc
		}
		v[i] = x
	}
	return v
}

func fuzzValues32(mode byte, data []byte) []int32 {
	data = data[:min(len(data), fuzzMaxBytes)]
	v := make([]int32, len(data)/4)
	var acc int32
	for i := range v {
		x := int32(binary.LittleEndian.Uint32(data[4*i:]))
		if mode&1 == 1 {
			x >>= mode >> 1 % 32
			acc += x
			x = acc
		}
		v[i] = x
	}
	return v
}

func addRoundTripSeeds(f *testing.F) {
	f.Add(byte(0), []byte{})
	f.Add(byte(0), []byte{1, 2, 3, 4, 5, 6, 7, 8})
	f.Add(byte(1), make([]byte, 8*130))
	seed := make([]byte, 8*300)
	for i := range seed {
		seed[i] = byte(i * 7)
	}
	f.Add(byte(0), seed)
	f.Add(byte(41), seed)
	f.Add(byte(1), append(seed, seed...))
}

// FuzzDeltaRoundTripInt64 encodes with every implementation, checks the
// bytes against the reference encoder, and decodes them back.
func FuzzDeltaRoundTripInt64(f *testing.F) {
	addRoundTripSeeds(f)
	f.Fuzz(func(t *testing.T, mode byte, data []byte) {
		src := fuzzValues64(mode, data)
		var want []byte
		withImpl(t, "purego", func() { want = AppendDeltaInt64(nil, src) })
		useEach(t, func(name string) {
			got := AppendDeltaInt64(nil, src)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("%s: encoding differs from reference (-ref +got):\n%s", name, diff)
			}
			vals, n, err := DecodeDeltaInt64(nil, got)
			if err != nil || n != len(got) {
				t.Fatalf("%s: decode: n=%d of %d, err=%v", name, n, len(got), err)
			}
			if len(src) == 0 && len(vals) == 0 {
				return
			}
			if diff := cmp.Diff(src, vals); diff != "" {
				t.Fatalf("%s: round trip (-want +got):\n%s", name, diff)
			}
		})
	})
}

// FuzzDeltaRoundTripInt32 is FuzzDeltaRoundTripInt64 for int32 values.
func FuzzDeltaRoundTripInt32(f *testing.F) {
	addRoundTripSeeds(f)
	f.Fuzz(func(t *testing.T, mode byte, data []byte) {
		src := fuzzValues32(mode, data)
		var want []byte
		withImpl(t, "purego", func() { want = AppendDeltaInt32(nil, src) })
		useEach(t, func(name string) {
			got := AppendDeltaInt32(nil, src)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("%s: encoding differs from reference (-ref +got):\n%s", name, diff)
			}
			vals, n, err := DecodeDeltaInt32(nil, got)
			if err != nil || n != len(got) {
				t.Fatalf("%s: decode: n=%d of %d, err=%v", name, n, len(got), err)
			}
			if len(src) == 0 && len(vals) == 0 {
				return
			}
			if diff := cmp.Diff(src, vals); diff != "" {
				t.Fatalf("%s: round trip (-want +got):\n%s", name, diff)
			}
		})
	})
}

// fuzzDecodeLimit skips streams that claim more values than a fuzz run
// should spend memory on (they are valid: a zero-width block of the largest
// size costs two bytes).
const fuzzDecodeLimit = 1 << 20

type decodeResult[T int32 | int64] struct {
	Values []T
	N      int
	Err    string
}

// FuzzDeltaDecode feeds arbitrary bytes to both decoders under every
// implementation: none may panic, and all must agree with the reference,
// values or error.
func FuzzDeltaDecode(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{0x80, 0x01, 0x04, 0x05, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00})
	f.Add([]byte{0x80, 0x01, 0x04, 0x08, 0x0e, 0x03, 0x02, 0x00, 0x00, 0x00, 0xc0, 0x3f, 0, 0, 0, 0, 0, 0})
	f.Add([]byte{0x80, 0x02, 0x08, 0x03, 0x00, 0x01, 0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xaa, 0xbb, 0xcc, 0xdd})
	f.Add([]byte{0x80, 0x01, 0x01, 0x90, 0x01, 0x7f, 0x03, 0x21, 0xde, 0xad, 0xbe, 0xef})
	f.Add(AppendDeltaInt64(nil, []int64{1 << 62, -1 << 62, 5, 7, 9, 1 << 40, -3}))
	f.Fuzz(func(t *testing.T, data []byte) {
		if h, err := parseDeltaHeader(data); err == nil && h.total > fuzzDecodeLimit {
			t.Skip("stream claims too many values for a fuzz run")
		}
		data = data[:len(data):len(data)]
		var want64 decodeResult[int64]
		var want32 decodeResult[int32]
		run := func() (decodeResult[int64], decodeResult[int32]) {
			var r64 decodeResult[int64]
			var r32 decodeResult[int32]
			var err error
			r64.Values, r64.N, err = DecodeDeltaInt64(nil, data)
			if err != nil {
				r64.Err = err.Error()
			}
			r32.Values, r32.N, err = DecodeDeltaInt32(nil, data)
			if err != nil {
				r32.Err = err.Error()
			}
			return r64, r32
		}
		withImpl(t, "purego", func() { want64, want32 = run() })
		useEach(t, func(name string) {
			got64, got32 := run()
			if diff := cmp.Diff(want64, got64); diff != "" {
				t.Fatalf("%s: int64 decode differs from reference (-ref +got):\n%s", name, diff)
			}
			if diff := cmp.Diff(want32, got32); diff != "" {
				t.Fatalf("%s: int32 decode differs from reference (-ref +got):\n%s", name, diff)
			}
		})
	})
}
