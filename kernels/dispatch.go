package kernels

import (
	"fmt"
	"os"
)

// kernelSet is one implementation of the block kernels. A block kernel
// processes a prefix of its input and returns how many values it handled (a
// multiple of 8 for the bit-packing kernels); the portable code finishes the
// rest. The reference set handles nothing, so the portable code does all.
type kernelSet struct {
	name string

	// pack32 and pack64 pack a prefix of src into dst, which holds exactly
	// PackedLen(len(src), width) bytes. width >= 1.
	pack32 func(dst []byte, src []uint32, width uint) int
	pack64 func(dst []byte, src []uint64, width uint) int
	// unpack32 and unpack64 fill a prefix of dst from src, which holds at
	// least PackedLen(len(dst), width) bytes. width >= 1.
	unpack32 func(dst []uint32, src []byte, width uint) int
	unpack64 func(dst []uint64, src []byte, width uint) int

	// The miniblock kernels serve DELTA_BINARY_PACKED, whose blocks are
	// runs of 32-value miniblocks, each at its own width. packMiniblocks32
	// packs miniblock i, src[32*i:32*i+32], at width widths[i] (0..32),
	// the miniblocks one after the other into dst[:4*sum(widths)]; dst may
	// be longer, and its bytes past the packed ones may then be overwritten
	// (the delta encoder passes bytes it writes afterwards, so that only
	// the last block of a run takes the careful path at the end of dst);
	// len(src) == 32*len(widths). The unpack kernels
	// are the inverse and read only src[:4*sum(widths)]. The 64-bit kernels
	// take widths 0..64. All of them handle every miniblock they are given.
	packMiniblocks32   func(dst []byte, src []uint32, widths []uint8)
	packMiniblocks64   func(dst []byte, src []uint64, widths []uint8)
	unpackMiniblocks32 func(dst []uint32, src []byte, widths []uint8)
	unpackMiniblocks64 func(dst []uint64, src []byte, widths []uint8)

	// The run and bitmap kernels serve the RLE/bit-packed hybrid and the
	// validity bitmaps. equalMask8 and equalMask32 fill a prefix of dst
	// with equality bitmap words (bit b of dst[j]: src[64j+b] ==
	// src[64j+b+1]), only words whose 65 values all exist in src, and return
	// the words done and the or of the values src[:64*done].
	// levelsToBitmap writes bitmap bytes for a prefix of src (bit i:
	// src[i] == v) and returns the values done, a multiple of 8;
	// bitmapToLevels fills a prefix of dst (present where the bit is set,
	// null where clear) and returns the values done, a multiple of 8.
	equalMask8     func(dst []uint64, src []uint8) (int, uint8)
	equalMask32    func(dst []uint64, src []uint32) (int, uint32)
	levelsToBitmap func(dst []byte, src []uint8, v uint8) int
	bitmapToLevels func(dst []uint8, src []byte, present, null uint8) int
	// runsRLE8, when not nil, is the inner loop of the encoder's fast loop
	// for levels of widths 2..8: runsRLE8Ref says what it does. Without it
	// the encoder runs a loop of its own (runsRLE8Ref is slower in Go than
	// that loop, so it serves as the specification the kernels are tested
	// against).
	runsRLE8 func(dst []byte, src []uint8, e []uint64, st runState, k, limit int) ([]byte, runState, int)
	// runsRLE1, when not nil, is the encoder's fast loop for levels of
	// width 1, stretches of short runs priced in it: runsRLE1Ref says what
	// it does, and is its specification as runsRLE8Ref is runsRLE8's.
	runsRLE1 func(dst []byte, src []uint8, e []uint64, st runState, limit int) ([]byte, runState, int)
	// fillBytes, when not nil, sets a prefix of dst to v and returns its
	// length: the level decoder's long RLE runs. Without it the decoder
	// copies from a row of equal bytes (fillLevels).
	fillBytes func(dst []uint8, v uint8) int

	// The byte-stream-split kernels convert a prefix of the values between
	// values and streams (stream s at dst[s*n:(s+1)*n], n the number of
	// values) and return the values done.
	splitBytes32 func(dst []byte, src []uint32) int
	splitBytes64 func(dst []byte, src []uint64) int
	joinBytes32  func(dst []uint32, src []byte) int
	joinBytes64  func(dst []uint64, src []byte) int

	// The delta kernels are the integer core of DELTA_BINARY_PACKED over
	// runs of whole 128-value blocks of 4 miniblocks; k = len(mins) blocks.
	// deltaEncode64 takes len(src) == 128*k+1 values, src[0] being the
	// value the first delta is taken from; for block b it writes the
	// smallest delta src[i+1]-src[i] (wrapping) of the block to mins[b],
	// each delta minus that minimum to dst[i] (len(dst) == 128*k), and the
	// bit length of the largest adjusted delta of miniblock j to
	// widths[4*b+j] (len(widths) == 4*k). deltaDecode64 is the inverse of
	// the arithmetic: in place over len(vals) == 128*k adjusted deltas, it
	// adds mins[i/128] to vals[i] and replaces it by the running sum that
	// starts from prev. The 32-bit kernels do the same in 32 bits.
	deltaEncode32 func(dst []uint32, src []int32, mins []int32, widths []uint8)
	deltaEncode64 func(dst []uint64, src []int64, mins []int64, widths []uint8)
	deltaDecode32 func(vals []uint32, mins []int32, prev int32)
	deltaDecode64 func(vals []uint64, mins []int64, prev int64)

	// insert32 and insert64 hash and probe one batch of at most dictBatch
	// keys into a dictionary table that already has room for all of them
	// (see table32.reserve), writing each key's index to indexes[i].
	insert32 func(t *table32, indexes []int32, keys []uint32)
	insert64 func(t *table64, indexes []int32, keys []uint64)
	// hashBytes and probeBytes are the two halves of DictBytes's batch
	// insert; hashBytesGo and probeBytesGo, their references, say what
	// they do.
	hashBytes  func(keys []bytesKey, hashes []uint32, slab []byte, offsets []int32, seed *[3]uint64) bool
	probeBytes func(ctrl []byte, slots []bytesKey, gmask uint32, keys []bytesKey, hashes []uint32, indexes []int32) (done, slot int)

	// The min/max kernels take a non-empty multiple of statsBlock values.
	// The float kernels skip NaN, start from +Inf/-Inf and report whether
	// any value was a number; the sign of a zero result is unspecified.
	minMaxInt32   func(v []int32) (lo, hi int32)
	minMaxInt64   func(v []int64) (lo, hi int64)
	minMaxFloat32 func(v []float32) (lo, hi float32, ok bool)
	minMaxFloat64 func(v []float64) (lo, hi float64, ok bool)
}

func noPack32([]byte, []uint32, uint) int   { return 0 }
func noPack64([]byte, []uint64, uint) int   { return 0 }
func noUnpack32([]uint32, []byte, uint) int { return 0 }
func noUnpack64([]uint64, []byte, uint) int { return 0 }

func noEqualMask8([]uint64, []uint8) (int, uint8)    { return 0, 0 }
func noEqualMask32([]uint64, []uint32) (int, uint32) { return 0, 0 }
func noLevelsToBitmap([]byte, []uint8, uint8) int    { return 0 }
func noBitmapToLevels([]uint8, []byte, uint8, uint8) int {
	return 0
}
func noSplitBytes32([]byte, []uint32) int { return 0 }
func noSplitBytes64([]byte, []uint64) int { return 0 }
func noJoinBytes32([]uint32, []byte) int  { return 0 }
func noJoinBytes64([]uint64, []byte) int  { return 0 }

// reference is the pure-Go implementation, always available.
var reference = kernelSet{
	name:     "purego",
	pack32:   noPack32,
	pack64:   noPack64,
	unpack32: noUnpack32,
	unpack64: noUnpack64,

	packMiniblocks32:   packMiniblocks32Ref,
	packMiniblocks64:   packMiniblocks64Ref,
	unpackMiniblocks32: unpackMiniblocks32Ref,
	unpackMiniblocks64: unpackMiniblocks64Ref,

	equalMask8:     noEqualMask8,
	equalMask32:    noEqualMask32,
	levelsToBitmap: noLevelsToBitmap,
	bitmapToLevels: noBitmapToLevels,
	splitBytes32:   noSplitBytes32,
	splitBytes64:   noSplitBytes64,
	joinBytes32:    noJoinBytes32,
	joinBytes64:    noJoinBytes64,

	deltaEncode32: deltaEncode32Ref,
	deltaEncode64: deltaEncode64Ref,
	deltaDecode32: deltaDecode32Ref,
	deltaDecode64: deltaDecode64Ref,

	insert32: insert32Go,
	insert64: insert64Go,

	hashBytes:  hashBytesGo,
	probeBytes: probeBytesGo,

	minMaxInt32:   minMaxInt32Ref,
	minMaxInt64:   minMaxInt64Ref,
	minMaxFloat32: minMaxFloat32Ref,
	minMaxFloat64: minMaxFloat64Ref,
}

// sets lists the implementations this CPU can run, best first: the
// platform's own (when the CPU has the features it needs), then reference.
var sets = platformSets()

// impl is the implementation in use, chosen once at start-up: the best one,
// unless the environment variable EVODB_KERNELS names another (for example
// EVODB_KERNELS=purego to run a whole program on the reference code).
var impl = chooseAtStartup()

func chooseAtStartup() *kernelSet {
	if name := os.Getenv("EVODB_KERNELS"); name != "" {
		for _, s := range sets {
			if s.name == name {
				return s
			}
		}
	}
	return sets[0]
}

// Implementation names the kernel implementation in use: "avx2", "neon" or
// "purego".
func Implementation() string { return impl.name }

// Available lists the implementations this CPU can run, best first.
func Available() []string {
	names := make([]string, len(sets))
	for i, s := range sets {
		names[i] = s.name
	}
	return names
}

// Use switches every kernel to the named implementation, one of Available.
// It is meant for tests and benchmarks that compare implementations; it must
// not run while kernels are in use in other goroutines.
func Use(name string) error {
	for _, s := range sets {
		if s.name == name {
			impl = s
			return nil
		}
	}
	return fmt.Errorf("kernels: implementation %q not available on this CPU (have %v)", name, Available())
}
