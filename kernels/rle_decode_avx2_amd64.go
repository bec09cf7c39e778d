//go:build !purego

package kernels

// fillBytesAvx2 is kernelSet.fillBytes: all of dst when it holds 64 bytes
// or more, otherwise nothing.
func fillBytesAvx2(dst []uint8, v uint8) int {
	if len(dst) < 64 {
		return 0
	}
	fillBytesAVX2(&dst[0], len(dst), v)
	return len(dst)
}
