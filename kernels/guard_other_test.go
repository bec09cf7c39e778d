//go:build !linux

package kernels

import "testing"

// newGuard returns a function giving fresh slices of n bytes with len == cap
// (no page protection on this platform).
func newGuard(t *testing.T, max int) func(n int) []byte {
	t.Helper()
	return func(n int) []byte { return make([]byte, n) }
}
