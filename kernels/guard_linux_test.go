package kernels

import (
	"os"
	"syscall"
	"testing"
)

// newGuard maps max bytes followed by a page without access and returns a
// function giving slices of n <= max bytes, len == cap, that end right
// before that page: a kernel that reads past such a slice faults.
func newGuard(t *testing.T, max int) func(n int) []byte {
	t.Helper()
	page := os.Getpagesize()
	pages := (max+page-1)/page + 1
	mem, err := syscall.Mmap(-1, 0, pages*page, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		t.Fatalf("mmap: %v", err)
	}
	t.Cleanup(func() { _ = syscall.Munmap(mem) })
	end := (pages - 1) * page
	if err := syscall.Mprotect(mem[end:], syscall.PROT_NONE); err != nil {
		t.Fatalf("mprotect: %v", err)
	}
	return func(n int) []byte {
		if n > max {
			t.Fatalf("guarded slice of %d bytes asked of a guard of %d", n, max)
		}
		return mem[end-n : end : end]
	}
}
