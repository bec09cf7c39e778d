//go:build (amd64 || arm64) && !race && !asan && !msan

package engine

// shortCopy: readStrings copies short strings as two words, which may read
// up to 15 bytes past a string's end (never past its 4 KiB page). amd64
// and arm64 load unaligned words; the race detector, asan and msan would
// report the extra bytes, so their builds copy exactly (typed_copy_exact.go).
const shortCopy = true
