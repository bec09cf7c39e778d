//go:build !purego

package kernels

// Go halves of the NEON run, bitmap and byte-stream-split kernels in
// rle_arm64.s. Each hands the assembly only whole blocks whose reads and
// writes stay inside the caller's slices; the portable code finishes the
// rest.

//go:noescape
func equalMask8NEON(dst *uint64, src *uint8, words int) uint8

//go:noescape
func equalMask32NEON(dst *uint64, src *uint32, words int) uint32

//go:noescape
func levelsToBitmapNEON(dst *byte, src *uint8, blocks int, v uint8)

//go:noescape
func bitmapToLevelsNEON(dst *uint8, src *byte, blocks int, present, null uint8)

//go:noescape
func splitBytes32NEON(dst *byte, src *uint32, blocks int, stride int)

//go:noescape
func joinBytes32NEON(dst *uint32, src *byte, blocks int, stride int)

//go:noescape
func splitBytes64NEON(dst *byte, src *uint64, blocks int, stride int)

//go:noescape
func joinBytes64NEON(dst *uint64, src *byte, blocks int, stride int)

// minAsmWords is the fewest bitmap words (64 values each) worth entering
// the equality kernels for.
const minAsmWords = 2

func equalMask8Neon(dst []uint64, src []uint8) (int, uint8) {
	if len(src) == 0 {
		return 0, 0
	}
	words := min(len(dst), (len(src)-1)/64)
	if words < minAsmWords {
		return 0, 0
	}
	return words, equalMask8NEON(&dst[0], &src[0], words)
}

func equalMask32Neon(dst []uint64, src []uint32) (int, uint32) {
	if len(src) == 0 {
		return 0, 0
	}
	words := min(len(dst), (len(src)-1)/64)
	if words < minAsmWords {
		return 0, 0
	}
	return words, equalMask32NEON(&dst[0], &src[0], words)
}

func levelsToBitmapNeon(dst []byte, src []uint8, v uint8) int {
	blocks := min(len(src)/64, len(dst)/8)
	if blocks < 2 {
		return 0
	}
	levelsToBitmapNEON(&dst[0], &src[0], blocks, v)
	return 64 * blocks
}

func bitmapToLevelsNeon(dst []uint8, src []byte, present, null uint8) int {
	blocks := min(len(dst)/64, len(src)/8)
	if blocks < 2 {
		return 0
	}
	bitmapToLevelsNEON(&dst[0], &src[0], blocks, present, null)
	return 64 * blocks
}

func splitBytes32Neon(dst []byte, src []uint32) int {
	blocks := len(src) / 16
	if blocks < 8 || len(dst) < 4*len(src) {
		return 0
	}
	splitBytes32NEON(&dst[0], &src[0], blocks, len(src))
	return 16 * blocks
}

func splitBytes64Neon(dst []byte, src []uint64) int {
	blocks := len(src) / 16
	if blocks < 8 || len(dst) < 8*len(src) {
		return 0
	}
	splitBytes64NEON(&dst[0], &src[0], blocks, len(src))
	return 16 * blocks
}

func joinBytes32Neon(dst []uint32, src []byte) int {
	blocks := len(dst) / 16
	if blocks < 8 || len(src) < 4*len(dst) {
		return 0
	}
	joinBytes32NEON(&dst[0], &src[0], blocks, len(dst))
	return 16 * blocks
}

func joinBytes64Neon(dst []uint64, src []byte) int {
	blocks := len(dst) / 16
	if blocks < 8 || len(src) < 8*len(dst) {
		return 0
	}
	joinBytes64NEON(&dst[0], &src[0], blocks, len(dst))
	return 16 * blocks
}
