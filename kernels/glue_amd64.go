//go:build !purego

package kernels

// The float kernels return +Inf and -Inf when no value is a number; any
// number seen makes lo <= hi, so that comparison is the kernels' ok.

func minMaxFloat32Glue(v []float32) (lo, hi float32, ok bool) {
	lo, hi = minMaxFloat32AVX2(v)
	return lo, hi, lo <= hi
}

func minMaxFloat64Glue(v []float64) (lo, hi float64, ok bool) {
	lo, hi = minMaxFloat64AVX2(v)
	return lo, hi, lo <= hi
}

// The dictionary kernels work on the table's arrays and return the new
// length of the dictionary; values is handed over at its full capacity,
// which reserve made large enough for the batch.

func insert32Glue(t *table32, indexes []int32, keys []uint32) {
	if t.bmask >= 1<<26 {
		// bmask<<6 must fit 32 bits: tables of more than 1<<26 buckets
		// (512 Mi slots) take the reference path.
		insert32Go(t, indexes, keys)
		return
	}
	n := insert32AVX2(t.slots, t.values[:cap(t.values)], indexes, keys, t.hashes,
		t.bmask<<6, t.seed, len(t.values))
	t.values = t.values[:n]
}

func insert64Glue(t *table64, indexes []int32, keys []uint64) {
	n := insert64AVX2(t.ctrl, t.slots, t.values[:cap(t.values)], indexes, keys,
		t.gmask<<4, t.seed, len(t.values))
	t.values = t.values[:n]
}
