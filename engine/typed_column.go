package engine

import (
	"fmt"
	"math"
	"strings"
	"time"
	"unsafe"

	"github.com/evodb/writer/arena"
	"github.com/evodb/writer/cdc"
	"github.com/evodb/writer/engine/parquet"
)

// typedColumn is one leaf column of a TypedWriter's block, in arena
// memory: its levels and present values in the slice of its physical type.
type typedColumn struct {
	leaf           *parquet.Node
	path           []string
	maxDef, maxRep uint8

	levels int
	defs   []uint8
	reps   []uint8
	bools  []bool
	i32    []int32
	i64    []int64
	f32    []float32
	f64    []float64
	data   []byte
	offs   []int32 // offs[0] == 0

	// sizes reached by recent blocks, to size the next one at once
	lastLevels, lastValues, lastData int
}

func (c *typedColumn) numValues() int {
	switch c.leaf.Type {
	case parquet.Boolean:
		return len(c.bools)
	case parquet.Int32:
		return len(c.i32)
	case parquet.Int64:
		return len(c.i64)
	case parquet.Float:
		return len(c.f32)
	case parquet.Double:
		return len(c.f64)
	}
	return len(c.offs) - 1
}

func (c *typedColumn) pos() typedPos {
	return typedPos{levels: c.levels, values: c.numValues(), data: len(c.data)}
}

// remember keeps the largest of recent blocks' sizes, decaying by a
// sixteenth a block, as the hint for the next block's buffers.
func (c *typedColumn) remember() {
	c.lastLevels = max(c.levels, c.lastLevels-c.lastLevels/16)
	if c.offs != nil || c.leaf.Type != parquet.ByteArray {
		c.lastValues = max(c.numValues(), c.lastValues-c.lastValues/16)
	}
	c.lastData = max(len(c.data), c.lastData-c.lastData/16)
}

// reset empties the column for a new block, in buffers from a (just
// reset) sized after recent blocks. The buffers are only appended to:
// their room is not cleared.
func (c *typedColumn) reset(a *arena.Arena) {
	c.levels = 0
	lv, vv, dv := c.lastLevels+c.lastLevels/8+16, c.lastValues+c.lastValues/8+16, c.lastData+c.lastData/8+64
	c.defs, c.reps = nil, nil
	if c.maxDef > 0 {
		c.defs = arena.MakeAppend[uint8](a, 0, lv)
	}
	if c.maxRep > 0 {
		c.reps = arena.MakeAppend[uint8](a, 0, lv)
	}
	c.bools, c.i32, c.i64, c.f32, c.f64, c.data, c.offs = nil, nil, nil, nil, nil, nil, nil
	switch c.leaf.Type {
	case parquet.Boolean:
		c.bools = arena.MakeAppend[bool](a, 0, vv)
	case parquet.Int32:
		c.i32 = arena.MakeAppend[int32](a, 0, vv)
	case parquet.Int64:
		c.i64 = arena.MakeAppend[int64](a, 0, vv)
	case parquet.Float:
		c.f32 = arena.MakeAppend[float32](a, 0, vv)
	case parquet.Double:
		c.f64 = arena.MakeAppend[float64](a, 0, vv)
	default:
		c.offs = arena.MakeAppend[int32](a, 1, vv+1)
		c.data = arena.MakeAppend[byte](a, 0, dv)
	}
}

// truncate takes the column back to position p.
func (c *typedColumn) truncate(p typedPos) {
	c.levels = p.levels
	if c.defs != nil {
		c.defs = c.defs[:p.levels]
	}
	if c.reps != nil {
		c.reps = c.reps[:p.levels]
	}
	switch c.leaf.Type {
	case parquet.Boolean:
		c.bools = c.bools[:p.values]
	case parquet.Int32:
		c.i32 = c.i32[:p.values]
	case parquet.Int64:
		c.i64 = c.i64[:p.values]
	case parquet.Float:
		c.f32 = c.f32[:p.values]
	case parquet.Double:
		c.f64 = c.f64[:p.values]
	default:
		c.offs = c.offs[:p.values+1]
		c.data = c.data[:p.data]
	}
}

// columnData describes the column's entries from lo to hi for the writer.
func (c *typedColumn) columnData(lo, hi typedPos) parquet.ColumnData {
	cd := parquet.ColumnData{Path: c.path, Leaf: c.leaf, MaxDef: c.maxDef, MaxRep: c.maxRep, NumLevels: hi.levels - lo.levels}
	if c.maxDef > 0 {
		cd.DefLevels = c.defs[lo.levels:hi.levels]
	}
	if c.maxRep > 0 {
		cd.RepLevels = c.reps[lo.levels:hi.levels]
	}
	switch c.leaf.Type {
	case parquet.Boolean:
		cd.Bools = c.bools[lo.values:hi.values]
	case parquet.Int32:
		cd.Int32s = c.i32[lo.values:hi.values]
	case parquet.Int64:
		cd.Int64s = c.i64[lo.values:hi.values]
	case parquet.Float:
		cd.Floats = c.f32[lo.values:hi.values]
	case parquet.Double:
		cd.Doubles = c.f64[lo.values:hi.values]
	default:
		cd.Bytes = c.data
		cd.Offsets = c.offs[lo.values : hi.values+1]
	}
	return cd
}

// level appends one level entry.
func (c *typedColumn) level(a *arena.Arena, rep, def uint8) {
	if c.maxDef > 0 {
		if len(c.defs) == cap(c.defs) {
			c.defs = arena.Grow(a, c.defs, 1)
		}
		c.defs = append(c.defs, def)
	}
	if c.maxRep > 0 {
		if len(c.reps) == cap(c.reps) {
			c.reps = arena.Grow(a, c.reps, 1)
		}
		c.reps = append(c.reps, rep)
	}
	c.levels++
}

// errColumnBytes is returned when a byte-array column of a block would
// pass the 2 GiB its 32-bit offsets address.
func (c *typedColumn) errBytes(more int) error {
	return fmt.Errorf("engine: typed rows: column %s: %d more bytes would pass the 2 GiB a block's column can hold", strings.Join(c.path, "."), more)
}

// addBytes appends a byte-array value.
func (c *typedColumn) addBytes(a *arena.Arena, v []byte) error {
	if len(v) > math.MaxInt32-len(c.data) {
		return c.errBytes(len(v))
	}
	if cap(c.data)-len(c.data) < len(v) {
		c.data = arena.Grow(a, c.data, len(v))
	}
	c.data = append(c.data, v...)
	if len(c.offs) == cap(c.offs) {
		c.offs = arena.Grow(a, c.offs, 1)
	}
	c.offs = append(c.offs, int32(len(c.data)))
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

// at is the address of item i of a strided sequence.
func at(base unsafe.Pointer, stride uintptr, i int) unsafe.Pointer {
	return unsafe.Add(base, uintptr(i)*stride)
}

// readNumbers appends n numbers of Go type S, converted to D; optional
// ones (ptr: through a pointer, zeroNull: zero is null) also get their
// definition levels, def when present, def-1 when null.
func readNumbers[S number, D columnNumber](a *arena.Arena, dst []D, defs *[]uint8, f *tfield, base unsafe.Pointer, stride uintptr, n int) []D {
	dst = arena.Grow(a, dst, n)
	switch {
	case f.ptr:
		d := arena.Grow(a, *defs, n)
		for i := range n {
			q := *(*unsafe.Pointer)(at(base, stride, i))
			if q == nil {
				d = append(d, f.def-1)
				continue
			}
			d = append(d, f.def)
			dst = append(dst, D(*(*S)(q)))
		}
		*defs = d
	case f.zeroNull:
		d := arena.Grow(a, *defs, n)
		for i := range n {
			v := *(*S)(at(base, stride, i))
			if v == 0 {
				d = append(d, f.def-1)
				continue
			}
			d = append(d, f.def)
			dst = append(dst, D(v))
		}
		*defs = d
	default:
		out := dst[len(dst) : len(dst)+n]
		for i := range out {
			out[i] = D(*(*S)(at(base, stride, i)))
		}
		dst = dst[:len(dst)+n]
	}
	return dst
}

func readBools(a *arena.Arena, dst []bool, defs *[]uint8, f *tfield, base unsafe.Pointer, stride uintptr, n int) []bool {
	dst = arena.Grow(a, dst, n)
	if !f.optional() {
		for i := range n {
			dst = append(dst, *(*bool)(at(base, stride, i)))
		}
		return dst
	}
	d := arena.Grow(a, *defs, n)
	for i := range n {
		p := at(base, stride, i)
		if f.ptr {
			p = *(*unsafe.Pointer)(p)
		}
		if p == nil || (f.zeroNull && !*(*bool)(p)) {
			d = append(d, f.def-1)
			continue
		}
		d = append(d, f.def)
		dst = append(dst, *(*bool)(p))
	}
	*defs = d
	return dst
}

func readTimes(a *arena.Arena, dst []int64, defs *[]uint8, f *tfield, base unsafe.Pointer, stride uintptr, n int) []int64 {
	dst = arena.Grow(a, dst, n)
	if !f.optional() {
		for i := range n {
			dst = append(dst, (*time.Time)(at(base, stride, i)).UnixMicro())
		}
		return dst
	}
	d := arena.Grow(a, *defs, n)
	for i := range n {
		p := at(base, stride, i)
		if f.ptr {
			p = *(*unsafe.Pointer)(p)
		}
		if p == nil || (f.zeroNull && (*time.Time)(p).IsZero()) {
			d = append(d, f.def-1)
			continue
		}
		d = append(d, f.def)
		dst = append(dst, (*time.Time)(p).UnixMicro())
	}
	*defs = d
	return dst
}

// readBytes appends n strings (or byte slices, or op names) with their
// definition levels when optional.
func (w *typedCore) readBytes(c *typedColumn, f *tfield, base unsafe.Pointer, stride uintptr, n int) error {
	a := w.a
	c.offs = arena.Grow(a, c.offs, n)
	if f.optional() {
		c.defs = arena.Grow(a, c.defs, n)
	}
	if f.kind == tkString || f.kind == tkOpText {
		return w.readStrings(c, f, base, stride, n)
	}
	for i := range n {
		p := at(base, stride, i)
		if f.ptr {
			if p = *(*unsafe.Pointer)(p); p == nil {
				c.defs = append(c.defs, f.def-1)
				continue
			}
		}
		var v []byte
		if f.kind == tkBytes {
			v = *(*[]byte)(p)
		} else {
			v = w.ops[*(*cdc.Op)(p)&3]
		}
		if f.zeroNull && len(v) == 0 {
			c.defs = append(c.defs, f.def-1)
			continue
		}
		if f.optional() {
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
	return nil
}

// readStrings appends n strings in two passes: the first reads every
// string header (through its pointer, for a *string) and touches the
// first byte, loads that do not wait for each other and so overlap their
// cache misses, and sums the lengths, so that the second pass, which
// copies, neither misses nor grows the buffer value by value.
func (w *typedCore) readStrings(c *typedColumn, f *tfield, base unsafe.Pointer, stride uintptr, n int) error {
	total := 0
	var touch byte
	for i := range n {
		p := at(base, stride, i)
		if f.ptr {
			if p = *(*unsafe.Pointer)(p); p == nil {
				continue
			}
		}
		s := *(*string)(p)
		if len(s) > 0 {
			touch |= *unsafe.StringData(s)
		}
		total += len(s)
	}
	if total > math.MaxInt32-len(c.data) {
		return c.errBytes(total)
	}
	c.data = arena.Grow(w.a, c.data, total+int(touch&0))
	data, offs, defs := c.data, c.offs, c.defs
	for i := range n {
		p := at(base, stride, i)
		if f.ptr {
			if p = *(*unsafe.Pointer)(p); p == nil {
				defs = append(defs, f.def-1)
				continue
			}
		}
		s := *(*string)(p)
		if f.zeroNull && len(s) == 0 {
			defs = append(defs, f.def-1)
			continue
		}
		if f.optional() {
			defs = append(defs, f.def)
		}
		data = append(data, s...)
		offs = append(offs, int32(len(data)))
	}
	c.data, c.offs, c.defs = data, offs, defs
	return nil
}

// leaf appends n values of the scalar field f with their level entries.
func (w *typedCore) leaf(f *tfield, base unsafe.Pointer, stride uintptr, n int, rep0, rep uint8) error {
	a := w.a
	c := &w.cols[f.col]
	if c.maxRep > 0 {
		c.reps = arena.Grow(a, c.reps, n)
		c.reps = append(c.reps, rep0)
		for range n - 1 {
			c.reps = append(c.reps, rep)
		}
	}
	if c.maxDef > 0 && !f.optional() {
		c.defs = arena.Grow(a, c.defs, n)
		for range n {
			c.defs = append(c.defs, f.def)
		}
	}
	c.levels += n
	switch f.kind {
	case tkBool:
		c.bools = readBools(a, c.bools, &c.defs, f, base, stride, n)
	case tkInt8:
		c.i32 = readNumbers[int8](a, c.i32, &c.defs, f, base, stride, n)
	case tkInt16:
		c.i32 = readNumbers[int16](a, c.i32, &c.defs, f, base, stride, n)
	case tkInt32:
		c.i32 = readNumbers[int32](a, c.i32, &c.defs, f, base, stride, n)
	case tkUint8:
		c.i32 = readNumbers[uint8](a, c.i32, &c.defs, f, base, stride, n)
	case tkUint16:
		c.i32 = readNumbers[uint16](a, c.i32, &c.defs, f, base, stride, n)
	case tkUint32:
		c.i64 = readNumbers[uint32](a, c.i64, &c.defs, f, base, stride, n)
	case tkInt64:
		c.i64 = readNumbers[int64](a, c.i64, &c.defs, f, base, stride, n)
	case tkInt:
		c.i64 = readNumbers[int](a, c.i64, &c.defs, f, base, stride, n)
	case tkFloat32:
		c.f32 = readNumbers[float32](a, c.f32, &c.defs, f, base, stride, n)
	case tkFloat64:
		c.f64 = readNumbers[float64](a, c.f64, &c.defs, f, base, stride, n)
	case tkTime:
		c.i64 = readTimes(a, c.i64, &c.defs, f, base, stride, n)
	case tkString, tkBytes, tkOp, tkOpText:
		return w.readBytes(c, f, base, stride, n)
	default:
		return fmt.Errorf("engine: typed rows: field %s: kind %d is not a scalar", f.name, f.kind)
	}
	return nil
}
