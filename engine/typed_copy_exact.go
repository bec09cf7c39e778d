//go:build !(amd64 || arm64) || race || asan || msan

package engine

// shortCopy: see typed_copy.go.
const shortCopy = false
