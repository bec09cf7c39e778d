//go:build !purego

package kernels

// Declarations of the NEON delta kernels in delta_arm64.s. Each implements
// the kernelSet field of the same name for len(mins) whole blocks and
// touches exactly the slices it is given.

//go:noescape
func deltaEncode64NEON(dst []uint64, src []int64, mins []int64, widths []uint8)

//go:noescape
func deltaEncode32NEON(dst []uint32, src []int32, mins []int32, widths []uint8)

//go:noescape
func deltaDecode64NEON(vals []uint64, mins []int64, prev int64)

//go:noescape
func deltaDecode32NEON(vals []uint32, mins []int32, prev int32)
