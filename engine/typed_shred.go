package engine

import (
	"fmt"
	"math"
	"time"
	"unsafe"

	"github.com/evodb/writer/arena"
)

// Shredding a stretch of rows goes a field at a time, down the compiled
// plan. What a field reads is a list of runs (tseg): the rows themselves
// at the top, then, under a list, the element arrays of every row of the
// stretch, so that each leaf column takes all its values of the stretch
// in one call, however many small lists they are spread over.

// tseg is a run of n items, the first at base and the others stride bytes
// apart, whose first level entry has repetition level rep0 and the others
// rep; or, when n is 0, one null entry with levels (rep0, def).
type tseg struct {
	base      unsafe.Pointer
	stride    uintptr
	n         int
	rep0, rep uint8
	def       uint8
}

// sliceHeader is the memory layout of a Go slice.
type sliceHeader struct {
	data     unsafe.Pointer
	len, cap int
}

// at is the address of item i of a run.
func at(base unsafe.Pointer, stride uintptr, i int) unsafe.Pointer {
	return unsafe.Add(base, uintptr(i)*stride)
}

// segBuf returns the (emptied) run buffer of nesting depth d.
func (w *typedCore) segBuf(d int) []tseg {
	for len(w.segs) <= d {
		w.segs = append(w.segs, nil)
	}
	return w.segs[d][:0]
}

// shredRows appends n rows at base, all in the current row group; row0
// is the batch's index of the first of them, for errors.
func (w *typedCore) shredRows(base unsafe.Pointer, n int, meta *Meta, row0 int) error {
	p := w.plan
	w.top[0] = tseg{base: base, stride: p.size, n: n}
	w.runGen++
	top := w.top[:]
	if meta != nil {
		if err := w.constMeta(meta, n); err != nil {
			return err
		}
	} else {
		for _, f := range p.meta {
			var err error
			if f.kind == tkOp || f.kind == tkOpText {
				err = w.readOps(f, base, n, row0)
			} else {
				err = w.shredField(f, top, n, f.off, 0)
			}
			if err != nil {
				return err
			}
		}
	}
	for i := range p.fields {
		f := &p.fields[i]
		if err := w.shredField(f, top, n, f.off, 0); err != nil {
			return err
		}
	}
	return nil
}

// shredField appends field f of the items of the runs in, at offset off
// in each item; entries is the number of level entries the runs make.
// Runs it makes for the fields below go to the buffer of depth d.
func (w *typedCore) shredField(f *tfield, in []tseg, entries int, off uintptr, d int) error {
	switch f.kind {
	case tkStruct:
		if !f.ptr {
			for i := range f.fields {
				sub := &f.fields[i]
				if err := w.shredField(sub, in, entries, off+sub.off, d); err != nil {
					return err
				}
			}
			return nil
		}
		out := w.segBuf(d)
		for _, s := range in {
			if s.n == 0 {
				out = append(out, s)
				continue
			}
			r := s.rep0
			for i := range s.n {
				if q := *(*unsafe.Pointer)(at(unsafe.Add(s.base, off), s.stride, i)); q == nil {
					out = append(out, tseg{rep0: r, def: f.def - 1})
				} else {
					out = append(out, tseg{base: q, n: 1, rep0: r, rep: r})
				}
				r = s.rep
			}
		}
		w.segs[d] = out
		w.runGen++
		for i := range f.fields {
			sub := &f.fields[i]
			if err := w.shredField(sub, out, entries, sub.off, d+1); err != nil {
				return err
			}
		}
		return nil
	case tkList:
		out := w.segBuf(d)
		elems := 0
		for _, s := range in {
			if s.n == 0 {
				out = append(out, s)
				elems++
				continue
			}
			r := s.rep0
			for i := range s.n {
				h := (*sliceHeader)(at(unsafe.Add(s.base, off), s.stride, i))
				switch {
				case h.data == nil:
					out = append(out, tseg{rep0: r, def: f.def - 1})
					elems++
				case h.len == 0:
					out = append(out, tseg{rep0: r, def: f.def})
					elems++
				default:
					out = append(out, tseg{base: h.data, stride: f.elemSize, n: h.len, rep0: r, rep: f.listRep})
					elems += h.len
				}
				r = s.rep
			}
		}
		w.segs[d] = out
		w.runGen++
		return w.shredField(f.elem, out, elems, 0, d+1)
	}
	return w.leaf(f, in, entries, off)
}

// sharedLevels remembers which column last wrote the level entries of a
// list of runs (runLevels): the runs (their first, their number and
// runGen when they were made) and the levels' shape.
type sharedLevels struct {
	gen     uint64
	first   *tseg
	runs    int
	entries int
	col     int
	def     uint8
	maxDef  uint8
}

// runLevelsPath is whether leaf takes the levels of fields that are never
// null from runLevels; tests turn it off to compare with the general path.
var runLevelsPath = true

// runLevels appends the level entries of a field f under a list whose
// values are never null (neither a pointer nor optional): a run's first
// entry has repetition level rep0 and the others rep, a null run's
// definition level is its own and every other entry's f.def. Such levels
// follow from the runs alone, so the sibling fields of a list element
// (sku, qty, price of an item) have the same ones: the first of them
// works them out, and the others copy its column's.
func (w *typedCore) runLevels(c *typedColumn, f *tfield, in []tseg, entries int) {
	a := w.a
	hasDefs := c.maxDef > 0
	reps := arena.Grow(a, c.reps, entries)
	var defs []uint8
	if hasDefs {
		defs = arena.Grow(a, c.defs, entries)
	}
	sh := &w.shared
	if len(in) > 0 && sh.gen == w.runGen && sh.first == &in[0] && sh.runs == len(in) &&
		sh.entries == entries && sh.def == f.def && sh.maxDef == c.maxDef && sh.col != f.col {
		src := &w.cols[sh.col]
		reps = append(reps, src.reps[len(src.reps)-entries:]...)
		if hasDefs {
			defs = append(defs, src.defs[len(src.defs)-entries:]...)
		}
		c.reps, c.defs = reps, defs
		return
	}
	// Every entry gets the runs' rep and f.def, and then each run's first
	// entry its rep0 and a null run's its def: a pass over the runs
	// without a branch on their lengths, which vary from row to row.
	l := len(reps)
	reps = reps[:l+entries]
	r := reps[l:]
	rep := uint8(0)
	for _, s := range in {
		if s.n > 1 {
			rep = s.rep
			break
		}
	}
	fillLevels(r, rep)
	var d []uint8
	if hasDefs {
		l := len(defs)
		defs = defs[:l+entries]
		d = defs[l:]
		fillLevels(d, f.def)
	}
	pos := 0
	for _, s := range in {
		r[pos] = s.rep0
		if s.n > 1 && s.rep != rep {
			for i := pos + 1; i < pos+s.n; i++ {
				r[i] = s.rep
			}
		}
		if hasDefs {
			v := f.def
			if s.n == 0 {
				v = s.def
			}
			d[pos] = v
		}
		pos += max(s.n, 1)
	}
	c.reps = reps
	if hasDefs {
		c.defs = defs
	}
	if len(in) > 0 {
		*sh = sharedLevels{gen: w.runGen, first: &in[0], runs: len(in), entries: entries, col: f.col, def: f.def, maxDef: c.maxDef}
	}
}

// flatItems is the addresses of the items of a list of runs (the runs:
// their first, their number and runGen when they were made).
type flatItems struct {
	gen   uint64
	first *tseg
	runs  int
	ptrs  []unsafe.Pointer
}

// items returns the addresses of the items of the runs in, in order,
// worked out once for the sibling fields of a list element.
func (w *typedCore) items(in []tseg) []unsafe.Pointer {
	fl := &w.flat
	if len(in) > 0 && fl.gen == w.runGen && fl.first == &in[0] && fl.runs == len(in) {
		return fl.ptrs
	}
	// A run of up to flatSpread items (most lists are short, of lengths
	// that vary from row to row) writes flatSpread addresses at once,
	// those past its last item repeating the last (so that every one is
	// a valid address), and the next run writes over them: no loop whose
	// exit depends on the run's length.
	ptrs := fl.ptrs[:0]
	k := 0
	for _, s := range in {
		n := s.n
		if n > flatSpread || k+flatSpread > cap(ptrs) {
			ptrs = ptrs[:k]
			for i := range n {
				ptrs = append(ptrs, at(s.base, s.stride, i))
			}
			k = len(ptrs)
			continue
		}
		last := uintptr(max(n-1, 0)) * s.stride
		p := (*[flatSpread]unsafe.Pointer)(ptrs[k : k+flatSpread])
		p[0] = s.base
		p[1] = unsafe.Add(s.base, min(s.stride, last))
		p[2] = unsafe.Add(s.base, min(2*s.stride, last))
		p[3] = unsafe.Add(s.base, min(3*s.stride, last))
		k += n
	}
	ptrs = ptrs[:k]
	fl.ptrs = ptrs
	if len(in) > 0 {
		fl.gen, fl.first, fl.runs = w.runGen, &in[0], len(in)
	}
	return ptrs
}

// flatSpread is how many addresses items writes for a short run.
const flatSpread = 4

// drop forgets the addresses (so that they do not keep the rows alive),
// those items left past the length too.
func (fl *flatItems) drop() {
	clear(fl.ptrs[:cap(fl.ptrs)])
	*fl = flatItems{ptrs: fl.ptrs[:0]}
}

// leafFlat appends the values of a field under a list that is never null
// (its levels written by runLevels), reading them through the items'
// addresses (items) in one loop rather than a loop per run: runs are a
// row's list each, of lengths that vary from row to row, and each loop's
// exit costs a mispredicted branch. It reports whether it took the
// field's kind.
func (w *typedCore) leafFlat(c *typedColumn, f *tfield, in []tseg, off uintptr) (bool, error) {
	switch f.kind {
	case tkInt8:
		c.i32 = readFlat[int8](w.a, c.i32, w.items(in), off)
	case tkInt16:
		c.i32 = readFlat[int16](w.a, c.i32, w.items(in), off)
	case tkInt32:
		c.i32 = readFlat[int32](w.a, c.i32, w.items(in), off)
	case tkUint8:
		c.i32 = readFlat[uint8](w.a, c.i32, w.items(in), off)
	case tkUint16:
		c.i32 = readFlat[uint16](w.a, c.i32, w.items(in), off)
	case tkUint32:
		c.i64 = readFlat[uint32](w.a, c.i64, w.items(in), off)
	case tkInt64:
		c.i64 = readFlat[int64](w.a, c.i64, w.items(in), off)
	case tkInt:
		c.i64 = readFlat[int](w.a, c.i64, w.items(in), off)
	case tkFloat32:
		c.f32 = readFlat[float32](w.a, c.f32, w.items(in), off)
	case tkFloat64:
		c.f64 = readFlat[float64](w.a, c.f64, w.items(in), off)
	case tkString:
		return true, w.readStringsFlat(c, w.items(in), off)
	default:
		return false, nil
	}
	return true, nil
}

// readFlat appends the numbers at offset off of the items at ptrs.
func readFlat[S number, D columnNumber](a *arena.Arena, dst []D, ptrs []unsafe.Pointer, off uintptr) []D {
	dst = arena.Grow(a, dst, len(ptrs))
	l := len(dst)
	out := dst[l : l+len(ptrs)]
	for i, p := range ptrs {
		out[i] = D(*(*S)(unsafe.Add(p, off)))
	}
	return dst[:l+len(ptrs)]
}

// readStringsFlat appends the strings at offset off of the items at ptrs,
// as readStrings does (two passes, short strings copied as two words).
func (w *typedCore) readStringsFlat(c *typedColumn, ptrs []unsafe.Pointer, off uintptr) error {
	total := 0
	var sum byte
	for _, p := range ptrs {
		v := *(*string)(unsafe.Add(p, off))
		if len(v) > 0 {
			sum += *unsafe.StringData(v)
		}
		total += len(v)
	}
	w.touched += sum
	if total > math.MaxInt32-len(c.data) {
		return c.errBytes(total)
	}
	c.data = arena.Grow(w.a, c.data, total+shortRoom)
	c.offs = arena.Grow(w.a, c.offs, len(ptrs))
	data, offs := c.data, c.offs
	for _, p := range ptrs {
		v := *(*string)(unsafe.Add(p, off))
		src := unsafe.StringData(v)
		if shortCopy && uint(len(v)-1) < shortRoom && uintptr(unsafe.Pointer(src))&4095 <= 4096-shortRoom {
			// the room for total+shortRoom bytes holds the 16
			l := len(data)
			*(*[2]uint64)(unsafe.Pointer(unsafe.SliceData(data[l : l+shortRoom]))) = *(*[2]uint64)(unsafe.Pointer(src))
			data = data[:l+len(v)]
		} else {
			data = append(data, v...)
		}
		offs = append(offs, int32(len(data)))
	}
	c.data, c.offs = data, offs
	return nil
}

// fillLevels sets every entry of dst to v.
func fillLevels(dst []uint8, v uint8) {
	if len(dst) == 0 {
		return
	}
	if v == 0 {
		clear(dst)
		return
	}
	dst[0] = v
	for k := 1; k < len(dst); k *= 2 {
		copy(dst[k:], dst[:k])
	}
}

// leaf appends the values of the scalar field f with their level entries.
func (w *typedCore) leaf(f *tfield, in []tseg, entries int, off uintptr) error {
	a := w.a
	c := &w.cols[f.col]
	hasDefs := c.maxDef > 0
	if runLevelsPath && c.maxRep > 0 && !f.ptr && !f.zeroNull {
		// in a list, a field that is never null: its levels follow from
		// the runs, and are the same as its sibling fields'
		w.runLevels(c, f, in, entries)
		c.levels += entries
		if done, err := w.leafFlat(c, f, in, off); done {
			return err
		}
		c.levels -= entries // (added again below)
		hasDefs = false     // written
	} else if c.maxRep > 0 {
		reps := arena.Grow(a, c.reps, entries)
		for _, s := range in {
			reps = append(reps, s.rep0)
			for range s.n - 1 {
				reps = append(reps, s.rep)
			}
		}
		c.reps = reps
	}
	if hasDefs {
		c.defs = arena.Grow(a, c.defs, entries)
	}
	c.levels += entries
	switch f.kind {
	case tkBool:
		c.bools = readBools(a, c.bools, &c.defs, hasDefs, f, in, entries, off)
	case tkInt8:
		c.i32 = readNumbers[int8](a, c.i32, &c.defs, hasDefs, f, in, entries, off)
	case tkInt16:
		c.i32 = readNumbers[int16](a, c.i32, &c.defs, hasDefs, f, in, entries, off)
	case tkInt32:
		c.i32 = readNumbers[int32](a, c.i32, &c.defs, hasDefs, f, in, entries, off)
	case tkUint8:
		c.i32 = readNumbers[uint8](a, c.i32, &c.defs, hasDefs, f, in, entries, off)
	case tkUint16:
		c.i32 = readNumbers[uint16](a, c.i32, &c.defs, hasDefs, f, in, entries, off)
	case tkUint32:
		c.i64 = readNumbers[uint32](a, c.i64, &c.defs, hasDefs, f, in, entries, off)
	case tkInt64:
		c.i64 = readNumbers[int64](a, c.i64, &c.defs, hasDefs, f, in, entries, off)
	case tkInt:
		c.i64 = readNumbers[int](a, c.i64, &c.defs, hasDefs, f, in, entries, off)
	case tkFloat32:
		c.f32 = readNumbers[float32](a, c.f32, &c.defs, hasDefs, f, in, entries, off)
	case tkFloat64:
		c.f64 = readNumbers[float64](a, c.f64, &c.defs, hasDefs, f, in, entries, off)
	case tkTime:
		c.i64 = readTimes(a, c.i64, &c.defs, hasDefs, f, in, entries, off)
	case tkString:
		return w.readStrings(c, f, in, entries, off, hasDefs)
	case tkBytes:
		return w.readBytes(c, f, in, entries, off, hasDefs)
	default:
		return fmt.Errorf("engine: typed rows: field %s: kind %d is not a scalar", f.name, f.kind)
	}
	return nil
}

// number is the set of Go numbers a typed column reads.
type number interface {
	~int | ~int8 | ~int16 | ~int32 | ~int64 | ~uint8 | ~uint16 | ~uint32 | ~float32 | ~float64
}

// columnNumber is the set of numbers a typed column holds.
type columnNumber interface {
	int32 | int64 | float32 | float64
}

// The readers below append the values of field f (at offset off in the
// items of the runs in), converted to the column's type, and, when the
// column has definition levels (hasDefs), one per entry: a null run's
// own, f.def for a present value, f.def-1 for a null one (ptr: a nil
// pointer; zeroNull: the zero value). The buffers are grown for entries
// values first, so that appending never reallocates.

func readNumbers[S number, D columnNumber](a *arena.Arena, dst []D, defsp *[]uint8, hasDefs bool, f *tfield, in []tseg, entries int, off uintptr) []D {
	dst = arena.Grow(a, dst, entries)
	defs := *defsp
	for _, s := range in {
		if s.n == 0 {
			if hasDefs {
				defs = append(defs, s.def)
			}
			continue
		}
		base := unsafe.Add(s.base, off)
		switch {
		case f.ptr:
			for i := range s.n {
				q := *(*unsafe.Pointer)(at(base, s.stride, i))
				if q == nil {
					defs = append(defs, f.def-1)
					continue
				}
				defs = append(defs, f.def)
				dst = append(dst, D(*(*S)(q)))
			}
		case f.zeroNull:
			for i := range s.n {
				v := *(*S)(at(base, s.stride, i))
				if v == 0 {
					defs = append(defs, f.def-1)
					continue
				}
				defs = append(defs, f.def)
				dst = append(dst, D(v))
			}
		default:
			if hasDefs {
				for range s.n {
					defs = append(defs, f.def)
				}
			}
			out := dst[len(dst) : len(dst)+s.n]
			for i := range out {
				out[i] = D(*(*S)(at(base, s.stride, i)))
			}
			dst = dst[:len(dst)+s.n]
		}
	}
	*defsp = defs
	return dst
}

func readBools(a *arena.Arena, dst []bool, defsp *[]uint8, hasDefs bool, f *tfield, in []tseg, entries int, off uintptr) []bool {
	dst = arena.Grow(a, dst, entries)
	defs := *defsp
	for _, s := range in {
		if s.n == 0 {
			if hasDefs {
				defs = append(defs, s.def)
			}
			continue
		}
		base := unsafe.Add(s.base, off)
		for i := range s.n {
			p := at(base, s.stride, i)
			if f.ptr {
				p = *(*unsafe.Pointer)(p)
			}
			if p == nil || (f.zeroNull && !*(*bool)(p)) {
				defs = append(defs, f.def-1)
				continue
			}
			if hasDefs {
				defs = append(defs, f.def)
			}
			dst = append(dst, *(*bool)(p))
		}
	}
	*defsp = defs
	return dst
}

func readTimes(a *arena.Arena, dst []int64, defsp *[]uint8, hasDefs bool, f *tfield, in []tseg, entries int, off uintptr) []int64 {
	dst = arena.Grow(a, dst, entries)
	defs := *defsp
	for _, s := range in {
		if s.n == 0 {
			if hasDefs {
				defs = append(defs, s.def)
			}
			continue
		}
		base := unsafe.Add(s.base, off)
		for i := range s.n {
			p := at(base, s.stride, i)
			if f.ptr {
				p = *(*unsafe.Pointer)(p)
			}
			if p == nil || (f.zeroNull && (*time.Time)(p).IsZero()) {
				defs = append(defs, f.def-1)
				continue
			}
			if hasDefs {
				defs = append(defs, f.def)
			}
			dst = append(dst, (*time.Time)(p).UnixMicro())
		}
	}
	*defsp = defs
	return dst
}

// readBytes appends byte slices.
func (w *typedCore) readBytes(c *typedColumn, f *tfield, in []tseg, entries int, off uintptr, hasDefs bool) error {
	a := w.a
	c.offs = arena.Grow(a, c.offs, entries)
	for _, s := range in {
		if s.n == 0 {
			if hasDefs {
				c.defs = append(c.defs, s.def)
			}
			continue
		}
		base := unsafe.Add(s.base, off)
		for i := range s.n {
			p := at(base, s.stride, i)
			if f.ptr {
				if p = *(*unsafe.Pointer)(p); p == nil {
					c.defs = append(c.defs, f.def-1)
					continue
				}
			}
			v := *(*[]byte)(p)
			if f.zeroNull && len(v) == 0 {
				c.defs = append(c.defs, f.def-1)
				continue
			}
			if hasDefs {
				c.defs = append(c.defs, f.def)
			}
			if len(v) > math.MaxInt32-len(c.data) {
				return c.errBytes(len(v))
			}
			if cap(c.data)-len(c.data) < len(v) {
				c.data = arena.Grow(a, c.data, len(v))
			}
			c.data = append(c.data, v...)
			c.offs = append(c.offs, int32(len(c.data)))
		}
	}
	return nil
}

// readStrings appends strings in two passes: the first reads every string
// header (through its pointer, for a *string) and loads its first byte,
// loads that do not wait for each other and so overlap their cache
// misses, and sums the lengths, so that the second pass, which copies,
// neither misses nor grows the buffer value by value. A string
// of 1 to 16 bytes whose 16 bytes from its start lie in one 4 KiB page (so
// that reading them cannot fault, whatever follows the string) is copied
// as two words, without a call, into the 16 bytes of room the data
// buffer keeps at its end; the bytes past the string's end are
// overwritten by the next value or left past the buffer's length. Builds
// that check memory accesses (race, asan, msan), and other architectures,
// copy with append (see shortCopy).
func (w *typedCore) readStrings(c *typedColumn, f *tfield, in []tseg, entries int, off uintptr, hasDefs bool) error {
	total := 0
	var sum byte
	for _, s := range in {
		if s.n == 0 {
			continue
		}
		base := unsafe.Add(s.base, off)
		for i := range s.n {
			p := at(base, s.stride, i)
			if f.ptr {
				if p = *(*unsafe.Pointer)(p); p == nil {
					continue
				}
			}
			v := *(*string)(p)
			if len(v) > 0 {
				sum += *unsafe.StringData(v)
			}
			total += len(v)
		}
	}
	w.touched += sum
	if total > math.MaxInt32-len(c.data) {
		return c.errBytes(total)
	}
	c.data = arena.Grow(w.a, c.data, total+shortRoom)
	c.offs = arena.Grow(w.a, c.offs, entries)
	data, offs, defs := c.data, c.offs, c.defs
	for _, s := range in {
		if s.n == 0 {
			if hasDefs {
				defs = append(defs, s.def)
			}
			continue
		}
		base := unsafe.Add(s.base, off)
		for i := range s.n {
			p := at(base, s.stride, i)
			if f.ptr {
				if p = *(*unsafe.Pointer)(p); p == nil {
					defs = append(defs, f.def-1)
					continue
				}
			}
			v := *(*string)(p)
			if f.zeroNull && len(v) == 0 {
				defs = append(defs, f.def-1)
				continue
			}
			if hasDefs {
				defs = append(defs, f.def)
			}
			src := unsafe.StringData(v)
			if shortCopy && uint(len(v)-1) < shortRoom && uintptr(unsafe.Pointer(src))&4095 <= 4096-shortRoom {
				// the room for total+shortRoom bytes holds the 16
				l := len(data)
				*(*[2]uint64)(unsafe.Pointer(unsafe.SliceData(data[l : l+shortRoom]))) = *(*[2]uint64)(unsafe.Pointer(src))
				data = data[:l+len(v)]
			} else {
				data = append(data, v...)
			}
			offs = append(offs, int32(len(data)))
		}
	}
	c.data, c.offs, c.defs = data, offs, defs
	return nil
}

// shortRoom is the room a string column's data buffer keeps past its
// length, for readStrings' copies of short strings.
const shortRoom = 16
