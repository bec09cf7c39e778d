package arena

import (
	"testing"
	"unsafe"
)

func aligned[T Elem](s []T) bool {
	return uintptr(unsafe.Pointer(unsafe.SliceData(s)))%Align == 0
}

func TestAlignment(t *testing.T) {
	a := New(4096)
	for i, n := range []int{1, 3, 7, 64, 65, 100, 1000, 5000} {
		b := a.Bytes(n)
		if len(b) != n || cap(b) != n || !aligned(b) {
			t.Fatalf("Bytes(%d) #%d: len %d cap %d aligned %v", n, i, len(b), cap(b), aligned(b))
		}
		i64 := Make[int64](a, n, n+3)
		f64 := Make[float64](a, 0, n)
		i32 := Make[int32](a, n, n)
		u8 := Make[uint8](a, 1, n)
		bl := Make[bool](a, n, n)
		if !aligned(i64) || !aligned(f64) || !aligned(i32) || !aligned(u8) || !aligned(bl) {
			t.Fatalf("size %d: a typed slice is not %d-byte aligned", n, Align)
		}
		if len(i64) != n || cap(i64) != n+3 || len(f64) != 0 || cap(f64) != n || len(u8) != 1 {
			t.Fatalf("size %d: wrong len/cap", n)
		}
	}
}

func TestSlicesDoNotOverlap(t *testing.T) {
	a := New(256)
	var all [][]int64
	for i := range 200 {
		s := Make[int64](a, i%17+1, i%17+1)
		for j := range s {
			s[j] = int64(i)
		}
		all = append(all, s)
	}
	for i, s := range all {
		for _, v := range s {
			if v != int64(i) {
				t.Fatalf("slice %d was overwritten: holds %d", i, v)
			}
		}
	}
}

func TestMakeZeroesReusedMemory(t *testing.T) {
	a := New(1024)
	s := Make[uint64](a, 100, 100)
	for i := range s {
		s[i] = ^uint64(0)
	}
	a.Reset()
	u := Make[uint64](a, 100, 100)
	if unsafe.SliceData(u) != unsafe.SliceData(s) {
		t.Fatalf("memory was not reused after Reset")
	}
	for i, v := range u {
		if v != 0 {
			t.Fatalf("element %d is %x after Reset, want 0", i, v)
		}
	}
}

func TestGrowKeepsValues(t *testing.T) {
	a := New(128)
	var other []int32
	s := Make[int32](a, 0, 1)
	for i := range 10000 {
		s = Append(a, s, int32(i))
		if i%100 == 0 {
			other = Append(a, other, int32(-i)) // interleaved, so some grows copy
		}
		if !aligned(s) {
			t.Fatalf("grown slice not aligned at %d", i)
		}
	}
	for i, v := range s {
		if v != int32(i) {
			t.Fatalf("s[%d] = %d", i, v)
		}
	}
	for i, v := range other {
		if v != int32(-i*100) {
			t.Fatalf("other[%d] = %d", i, v)
		}
	}
}

func TestGrowInPlace(t *testing.T) {
	a := New(1 << 16)
	s := Make[int64](a, 0, 8)
	before := unsafe.SliceData(s)
	s = Grow(a, s, 100)
	if unsafe.SliceData(s) != before {
		t.Fatalf("last allocation of the chunk was copied instead of extended")
	}
	if cap(s) < 100 || a.Used() != roundUp(cap(s)*8) {
		t.Fatalf("cap %d used %d", cap(s), a.Used())
	}
	next := Make[int64](a, 1, 1)
	if uintptr(unsafe.Pointer(unsafe.SliceData(next))) < uintptr(unsafe.Pointer(before))+uintptr(cap(s)*8) {
		t.Fatalf("allocation after an in-place grow overlaps it")
	}
}

// TestSteadyStateAllocatesNothing fills the arena the same way round after
// round: after the first rounds, Reset keeps one chunk big enough and no
// round allocates.
func TestSteadyStateAllocatesNothing(t *testing.T) {
	a := New(512)
	round := func() {
		var x []int64
		var y []float64
		var z []byte
		for i := range 5000 {
			x = Append(a, x, int64(i))
			y = Append(a, y, float64(i))
			z = Append(a, z, byte(i), byte(i>>8))
		}
		a.Reset()
	}
	round()
	round()
	if n := testing.AllocsPerRun(20, round); n != 0 {
		t.Fatalf("steady-state round allocates %v times", n)
	}
	if len(a.chunks) != 1 {
		t.Fatalf("arena holds %d chunks after Reset, want 1", len(a.chunks))
	}
}

func TestZeroAndEmpty(t *testing.T) {
	var a Arena
	if b := a.Bytes(0); len(b) != 0 || b == nil {
		t.Fatalf("Bytes(0) = %v", b)
	}
	if s := Make[int64](&a, 0, 0); len(s) != 0 || s == nil {
		t.Fatalf("Make(0,0) = %v", s)
	}
	s := Append(&a, []int64(nil), 1, 2, 3)
	if len(s) != 3 || s[2] != 3 || a.Capacity() != DefaultChunkSize {
		t.Fatalf("zero Arena: s %v capacity %d", s, a.Capacity())
	}
}

func BenchmarkAppendInt64(b *testing.B) {
	a := New(1 << 20)
	b.ReportAllocs()
	b.SetBytes(8 * 4096)
	for b.Loop() {
		var s []int64
		for i := range 4096 {
			if len(s) == cap(s) {
				s = Grow(a, s, 1)
			}
			s = append(s, int64(i))
		}
		a.Reset()
	}
}

func BenchmarkMake(b *testing.B) {
	a := New(1 << 20)
	b.ReportAllocs()
	for b.Loop() {
		for range 64 {
			_ = Make[float64](a, 0, 512)
		}
		a.Reset()
	}
}

func TestShrinksAfterBigRound(t *testing.T) {
	a := New(1024)
	fill := func(n int) {
		var s []int64
		for i := range n {
			s = Append(a, s, int64(i))
		}
		a.Reset()
	}
	fill(1 << 20) // 8 MiB
	big := a.Capacity()
	for range ShrinkRounds - 1 {
		fill(1000)
	}
	if c := a.Capacity(); c != big {
		t.Fatalf("capacity %d after %d small rounds, want %d: shrunk too soon", c, ShrinkRounds-1, big)
	}
	fill(1000)
	if c := a.Capacity(); c >= big/2 || c < 8000 {
		t.Fatalf("capacity %d after small rounds (was %d): want it shrunk but holding a round", c, big)
	}
	// Rounds of a steady size then allocate nothing.
	fill(1000)
	if n := testing.AllocsPerRun(10, func() { fill(1000) }); n != 0 {
		t.Fatalf("steady small rounds allocate %v times", n)
	}
	if a.Peak() < 8<<20 {
		t.Fatalf("Peak %d forgot the big round", a.Peak())
	}
}

// MakeAppend zeroes its n elements only; appending within its capacity
// writes the arena's memory and nothing else.
func TestMakeAppend(t *testing.T) {
	a := New(1024)
	s := Make[uint64](a, 100, 100)
	for i := range s {
		s[i] = ^uint64(0)
	}
	a.Reset()
	u := MakeAppend[uint64](a, 3, 64)
	if unsafe.SliceData(u) != unsafe.SliceData(s) || !aligned(u) {
		t.Fatalf("memory was not reused after Reset, or not aligned")
	}
	if len(u) != 3 || cap(u) != 64 {
		t.Fatalf("len %d cap %d, want 3 and 64", len(u), cap(u))
	}
	for i, v := range u {
		if v != 0 {
			t.Fatalf("element %d is %x, want 0", i, v)
		}
	}
	next := Make[uint64](a, 8, 8)
	for i := range 61 {
		u = append(u, uint64(i))
	}
	if unsafe.SliceData(u) != unsafe.SliceData(s) {
		t.Fatalf("appending within the capacity moved the slice")
	}
	for i, v := range next {
		if v != 0 {
			t.Fatalf("the next allocation's element %d is %x after appends to the one before", i, v)
		}
	}
	if e := MakeAppend[byte](a, 0, 0); e == nil || len(e) != 0 {
		t.Fatalf("MakeAppend(0, 0) = %v, want an empty non-nil slice", e)
	}
}
