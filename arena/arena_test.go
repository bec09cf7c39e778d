package arena

import (
	"slices"
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

// GrowTo grows to exactly the capacity asked, keeping the values and
// zeroing the room, in place when the slice is the chunk's last
// allocation, and leaves a slice that has the room as it is.
func TestGrowTo(t *testing.T) {
	a := New(1 << 16)
	s := Make[int32](a, 0, 4)
	for i := range 4 {
		s = append(s, int32(i+1))
	}
	before := unsafe.SliceData(s)
	s = GrowTo(a, s, 1000)
	if cap(s) != 1000 || len(s) != 4 || unsafe.SliceData(s) != before {
		t.Fatalf("GrowTo in place: len %d cap %d, moved %v; want 4, 1000, not moved", len(s), cap(s), unsafe.SliceData(s) != before)
	}
	other := Make[int32](a, 1, 1)
	s = GrowTo(a, s, 3000)
	if cap(s) != 3000 || unsafe.SliceData(s) == before || !aligned(s) {
		t.Fatalf("GrowTo by copy: cap %d, moved %v, aligned %v", cap(s), unsafe.SliceData(s) != before, aligned(s))
	}
	for i, v := range s {
		if v != int32(i+1) {
			t.Fatalf("s[%d] = %d after GrowTo", i, v)
		}
	}
	if room := s[len(s):cap(s)]; slices.ContainsFunc(room, func(v int32) bool { return v != 0 }) {
		t.Fatalf("GrowTo left room that is not zero")
	}
	if u := GrowTo(a, s, 10); unsafe.SliceData(u) != unsafe.SliceData(s) || cap(u) != cap(s) {
		t.Fatalf("GrowTo changed a slice that had the room")
	}
	if other[0] != 0 || len(other) != 1 {
		t.Fatalf("GrowTo wrote over another slice")
	}
}

// After Reserve(n), slices of n bytes in all come from one chunk, exactly
// as large when Reserve had to add it; Reserve does nothing when the chunk
// being filled has the room.
func TestReserve(t *testing.T) {
	a := New(4096)
	Make[byte](a, 1000, 1000)
	a.Reserve(2000) // the first chunk has 3,072 bytes left
	if len(a.chunks) != 1 {
		t.Fatalf("Reserve added a chunk where the first had the room")
	}
	a.Reserve(100_000)
	if len(a.chunks) != 2 || len(a.chunks[1]) != 100_032 {
		t.Fatalf("chunks %d, the last of %d bytes: want 2, the last of 100,032 (100,000 rounded up to Align)", len(a.chunks), len(a.chunks[len(a.chunks)-1]))
	}
	x := Make[int64](a, 5000, 5000)   // 40,000 bytes
	y := Make[float64](a, 7500, 7500) // 60,000 bytes (60,032 aligned)
	if len(a.chunks) != 2 {
		t.Fatalf("%d chunks after slices of the room reserved, want 2", len(a.chunks))
	}
	base := uintptr(unsafe.Pointer(unsafe.SliceData(a.chunks[1])))
	for _, p := range []uintptr{uintptr(unsafe.Pointer(unsafe.SliceData(x))), uintptr(unsafe.Pointer(unsafe.SliceData(y)))} {
		if p < base || p >= base+100_032 {
			t.Fatalf("a slice made after Reserve is outside the chunk reserved")
		}
	}
	a.Reserve(0)
	a.Reserve(-1)
	if len(a.chunks) != 2 {
		t.Fatalf("Reserve of nothing added a chunk")
	}
}

// Reset merges the chunks of a round that needed several into one with a
// sixteenth more room than the round used, or keeps one of them that
// holds what the round used and not much more (a chunk the round reserved
// for its slices) instead of allocating another.
func TestResetKeepsReservedChunk(t *testing.T) {
	a := New(1024)
	Make[int64](a, 100, 100)
	a.Reserve(85_000)
	reserved := unsafe.SliceData(a.chunks[len(a.chunks)-1])
	s := Make[int64](a, 0, 10_000) // 80,000 bytes
	a.Reset()
	if len(a.chunks) != 1 || unsafe.SliceData(a.chunks[0]) != reserved {
		t.Fatalf("Reset did not keep the chunk of 85,000 bytes the round reserved")
	}
	round := func() {
		s = Make[int64](a, 0, 10_000)
		for i := range 10_000 {
			s = append(s, int64(i))
		}
		a.Reset()
	}
	if n := testing.AllocsPerRun(10, round); n != 0 {
		t.Fatalf("rounds the size of the kept chunk allocate %v times", n)
	}
	// A round that passes the chunk: the next one holds it all.
	s = Make[int64](a, 0, 10_000)
	for i := range 12_000 {
		s = Append(a, s, int64(i))
	}
	used := a.Used()
	a.Reset()
	if len(a.chunks) != 1 || len(a.chunks[0]) < used || len(a.chunks[0]) > used+used/16+Align {
		t.Fatalf("%d chunks, the first of %d bytes, after a round that used %d: want one of a sixteenth more", len(a.chunks), len(a.chunks[0]), used)
	}
	// A reserved chunk far larger than the round: not kept.
	a.Reserve(1 << 20)
	Make[int64](a, 20_000, 20_000)
	used = a.Used()
	a.Reset()
	if len(a.chunks[0]) >= 1<<20 {
		t.Fatalf("Reset kept a chunk of %d bytes for a round of %d", len(a.chunks[0]), used)
	}
}
