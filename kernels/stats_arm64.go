//go:build !purego

package kernels

// The NEON min/max kernels, in stats_arm64.s. len(v) is a non-zero multiple
// of 32; each reads v[:len(v)] and nothing else. The float kernels return
// +Inf and -Inf when no value is a number.

//go:noescape
func minMaxInt32NEON(v []int32) (lo, hi int32)

//go:noescape
func minMaxInt64NEON(v []int64) (lo, hi int64)

//go:noescape
func minMaxFloat32NEON(v []float32) (lo, hi float32)

//go:noescape
func minMaxFloat64NEON(v []float64) (lo, hi float64)

// Any number seen makes lo <= hi, so that comparison is the kernels' ok.

func minMaxFloat32Glue(v []float32) (lo, hi float32, ok bool) {
	lo, hi = minMaxFloat32NEON(v)
	return lo, hi, lo <= hi
}

func minMaxFloat64Glue(v []float64) (lo, hi float64, ok bool) {
	lo, hi = minMaxFloat64NEON(v)
	return lo, hi, lo <= hi
}
