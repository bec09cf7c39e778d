//go:build !purego

package kernels

// The NEON dictionary kernels, in dict_arm64.s.

//go:noescape
func hashKeys32NEON(dst []uint32, keys []uint32, seed uint32)

//go:noescape
func insert32NEON(slots []uint32, values []uint32, indexes []int32, keys []uint32, hashes []uint32, bmask uint32, count int) int

// insert32Glue hashes the batch (four keys per NEON step, the last few in
// Go), then probes it with NEON.
func insert32Glue(t *table32, indexes []int32, keys []uint32) {
	h := t.hashes[:len(keys)]
	n4 := len(keys) &^ 3
	hashKeys32NEON(h[:n4], keys[:n4], t.seed)
	for i := n4; i < len(keys); i++ {
		h[i] = hash32(keys[i], t.seed)
	}
	n := insert32NEON(t.slots, t.values[:cap(t.values)], indexes, keys, h, t.bmask, len(t.values))
	t.values = t.values[:n]
}

//go:noescape
func insert64NEON(ctrl []byte, slots []uint64, values []uint64, indexes []int32, keys []uint64, hashes []uint32, gmask16 uint32, count int) int

// insert64Glue hashes the batch in Go (NEON has no 64-bit multiply), then
// probes it with NEON.
func insert64Glue(t *table64, indexes []int32, keys []uint64) {
	h := t.hashes[:len(keys)]
	hashKeys64Ref(h, keys, t.seed)
	n := insert64NEON(t.ctrl, t.slots, t.values[:cap(t.values)], indexes, keys, h, t.gmask<<4, len(t.values))
	t.values = t.values[:n]
}
