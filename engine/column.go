package engine

import (
	"encoding/binary"

	"github.com/evodb/writer/arena"
	"github.com/evodb/writer/engine/parquet"
)

// column is one leaf column of the block being shredded: its levels and
// present values, in arena memory.
type column struct {
	n      *node // nil for the metadata and rescued columns
	typ    Type
	path   []string
	maxDef uint8
	maxRep uint8

	levels int
	defs   []uint8
	reps   []uint8
	i64    []int64
	f64    []float64
	bools  []bool
	data   []byte
	offs   []int32 // offsets of byte-array values; offs[0] == 0

	// where a repeated column (maxRep > 0) stood when the current row
	// first touched it, to take a rejected row back out (a column that is
	// not repeated gets one level per row: see rollback)
	markRow                         int
	markLevels, markValues, markLen int

	// sizes per entry byte (cdc.Entry.Size) of recent blocks, to size the
	// next one at once from its entry bytes
	perLevels, perValues, perData float64
}

// reset empties the column for a new block of about bytes entry bytes,
// giving it buffers sized after recent blocks (in proportion to their
// entry bytes) so that a block like them needs no growing.
func (c *column) reset(a *arena.Arena, bytes int) {
	c.levels = 0
	c.markRow = -1
	r := c.room(bytes)
	lv, vv, dv := r.levels, r.values, r.data
	c.defs, c.reps = nil, nil
	if c.maxDef > 0 {
		c.defs = arena.MakeAppend[uint8](a, 0, lv)
	}
	if c.maxRep > 0 {
		c.reps = arena.MakeAppend[uint8](a, 0, lv)
	}
	// The buffers are only appended to (see add*): their room need not
	// be cleared.
	c.i64, c.f64, c.bools, c.data, c.offs = nil, nil, nil, nil, nil
	switch c.typ {
	case TypeBool:
		c.bools = arena.MakeAppend[bool](a, 0, vv)
	case TypeInt64, TypeTimestamp:
		c.i64 = arena.MakeAppend[int64](a, 0, vv)
	case TypeDouble:
		c.f64 = arena.MakeAppend[float64](a, 0, vv)
	default:
		c.offs = arena.MakeAppend[int32](a, 1, vv+1)
		c.data = arena.MakeAppend[byte](a, 0, dv)
	}
}

// room is the room reset gives the column's buffers for a block of bytes
// entry bytes: levels, values, value bytes.
func (c *column) room(bytes int) typedPos {
	b := float64(bytes) * 1.125 // an eighth of margin
	return typedPos{levels: int(c.perLevels*b) + 16, values: int(c.perValues*b) + 16, data: int(c.perData*b) + 64}
}

// remember records the block's sizes per entry byte (it held bytes) as
// the hint for the next block: the largest of recent blocks, decaying by a
// sixteenth a block, so that a block denser than the last (rows of
// another shape) still finds its buffers, with reset's eighth of margin,
// large enough: a faster decay made every such block grow its buffers and
// the arena reallocate. Sizes in proportion to the entry bytes let row
// groups of different sizes (the short last one of a batch, a batch
// shorter than a row group) share the hints.
func (c *column) remember(bytes int) {
	if bytes <= 0 {
		return
	}
	b := float64(bytes)
	c.perLevels = max(float64(c.levels)/b, c.perLevels-c.perLevels/16)
	c.perValues = max(float64(c.numValues())/b, c.perValues-c.perValues/16)
	c.perData = max(float64(len(c.data))/b, c.perData-c.perData/16)
}

// grows is the room project gives the column's buffers for a pass f
// times the entry bytes of its rows so far (f includes reset's eighth of
// margin): levels, values, value bytes, at their sizes per entry byte so
// far, each zero where it would not take its buffer to twice its capacity
// or more (see typedColumn.grows).
func (c *column) grows(f float64) typedPos {
	want := typedPos{levels: int(float64(c.levels)*f) + 16, values: int(float64(c.numValues())*f) + 16, data: int(float64(len(c.data))*f) + 64}
	have := typedPos{levels: max(cap(c.defs), cap(c.reps)), data: cap(c.data)}
	switch c.typ {
	case TypeBool:
		have.values = cap(c.bools)
	case TypeInt64, TypeTimestamp:
		have.values = cap(c.i64)
	case TypeDouble:
		have.values = cap(c.f64)
	default:
		have.values = cap(c.offs) - 1
	}
	return doubling(want, have, have.levels > 0, c.offs != nil)
}

// arenaBytes is the arena memory of the column's buffers with room for
// the levels, values and value bytes of p that are not zero (growTo's, or
// reset's), each buffer rounded up to arena.Align.
func (c *column) arenaBytes(p typedPos) int {
	up := arena.Aligned
	n := 0
	if p.levels > 0 {
		if c.maxDef > 0 {
			n += up(p.levels)
		}
		if c.maxRep > 0 {
			n += up(p.levels)
		}
	}
	switch c.typ {
	case TypeBool:
		n += up(p.values)
	case TypeInt64, TypeTimestamp, TypeDouble:
		n += up(8 * p.values)
	default:
		if p.values > 0 {
			n += up(4 * (p.values + 1))
		}
		n += up(p.data)
	}
	return n
}

// growTo gives the column's buffers room for p (levels, values, value
// bytes), each one that lacks it grown to exactly that.
func (c *column) growTo(a *arena.Arena, p typedPos) {
	if c.defs != nil {
		c.defs = arena.GrowTo(a, c.defs, p.levels)
	}
	if c.reps != nil {
		c.reps = arena.GrowTo(a, c.reps, p.levels)
	}
	switch c.typ {
	case TypeBool:
		c.bools = arena.GrowTo(a, c.bools, p.values)
	case TypeInt64, TypeTimestamp:
		c.i64 = arena.GrowTo(a, c.i64, p.values)
	case TypeDouble:
		c.f64 = arena.GrowTo(a, c.f64, p.values)
	default:
		if c.offs != nil {
			c.offs = arena.GrowTo(a, c.offs, p.values+1)
			c.data = arena.GrowTo(a, c.data, p.data)
		}
	}
}

func (c *column) numValues() int {
	switch c.typ {
	case TypeBool:
		return len(c.bools)
	case TypeInt64, TypeTimestamp:
		return len(c.i64)
	case TypeDouble:
		return len(c.f64)
	}
	return len(c.offs) - 1
}

// mark saves the position of a repeated column the first time row
// touches it.
func (c *column) mark(row int) {
	if c.markRow != row {
		c.markRow = row
		c.markLevels = c.levels
		c.markValues = c.numValues()
		c.markLen = len(c.data)
	}
}

// rollback takes out everything row added. A column that is not repeated
// gets exactly one level from each row the shredder accepts (a value or
// a null), so it held accepted levels before row, and row added at most
// one, with a value if its definition level is maxDef; a repeated column
// goes back to its mark.
func (c *column) rollback(row, accepted int) {
	if c.maxRep == 0 {
		if c.levels == accepted {
			return
		}
		c.levels--
		def := c.maxDef
		if c.defs != nil {
			def = c.defs[c.levels]
			c.defs = c.defs[:c.levels]
		}
		if def == c.maxDef {
			c.popValue()
		}
		return
	}
	if c.markRow != row {
		return
	}
	c.levels = c.markLevels
	if c.defs != nil {
		c.defs = c.defs[:c.markLevels]
	}
	if c.reps != nil {
		c.reps = c.reps[:c.markLevels]
	}
	switch c.typ {
	case TypeBool:
		c.bools = c.bools[:c.markValues]
	case TypeInt64, TypeTimestamp:
		c.i64 = c.i64[:c.markValues]
	case TypeDouble:
		c.f64 = c.f64[:c.markValues]
	default:
		c.offs = c.offs[:c.markValues+1]
		c.data = c.data[:c.markLen]
	}
	c.markRow = -1
}

// popValue takes out the column's last value.
func (c *column) popValue() {
	switch c.typ {
	case TypeBool:
		c.bools = c.bools[:len(c.bools)-1]
	case TypeInt64, TypeTimestamp:
		c.i64 = c.i64[:len(c.i64)-1]
	case TypeDouble:
		c.f64 = c.f64[:len(c.f64)-1]
	default:
		c.offs = c.offs[:len(c.offs)-1]
		c.data = c.data[:c.offs[len(c.offs)-1]]
	}
}

func (c *column) level(a *arena.Arena, row int, rep, def uint8) {
	if c.maxDef > 0 {
		if len(c.defs) == cap(c.defs) {
			c.defs = arena.Grow(a, c.defs, 1)
		}
		c.defs = append(c.defs, def)
	}
	if c.maxRep > 0 {
		c.mark(row)
		if len(c.reps) == cap(c.reps) {
			c.reps = arena.Grow(a, c.reps, 1)
		}
		c.reps = append(c.reps, rep)
	}
	c.levels++
}

// The put methods add a present value and its levels (the column's
// maxDef) in one call: the common case of a value, which a call each of
// level and add* costs more than it takes. The levels part, written out
// in each (a shared method would not be inlined), is level's.

// putInt is level(a, row, rep, c.maxDef) then addInt(a, v).
func (c *column) putInt(a *arena.Arena, row int, rep uint8, v int64) {
	if c.maxDef > 0 {
		if len(c.defs) == cap(c.defs) {
			c.defs = arena.Grow(a, c.defs, 1)
		}
		c.defs = append(c.defs, c.maxDef)
	}
	if c.maxRep > 0 {
		c.mark(row)
		if len(c.reps) == cap(c.reps) {
			c.reps = arena.Grow(a, c.reps, 1)
		}
		c.reps = append(c.reps, rep)
	}
	c.levels++
	if len(c.i64) == cap(c.i64) {
		c.i64 = arena.Grow(a, c.i64, 1)
	}
	c.i64 = append(c.i64, v)
}

// putDouble is level(a, row, rep, c.maxDef) then addDouble(a, v).
func (c *column) putDouble(a *arena.Arena, row int, rep uint8, v float64) {
	if c.maxDef > 0 {
		if len(c.defs) == cap(c.defs) {
			c.defs = arena.Grow(a, c.defs, 1)
		}
		c.defs = append(c.defs, c.maxDef)
	}
	if c.maxRep > 0 {
		c.mark(row)
		if len(c.reps) == cap(c.reps) {
			c.reps = arena.Grow(a, c.reps, 1)
		}
		c.reps = append(c.reps, rep)
	}
	c.levels++
	if len(c.f64) == cap(c.f64) {
		c.f64 = arena.Grow(a, c.f64, 1)
	}
	c.f64 = append(c.f64, v)
}

// putBool is level(a, row, rep, c.maxDef) then addBool(a, v).
func (c *column) putBool(a *arena.Arena, row int, rep uint8, v bool) {
	if c.maxDef > 0 {
		if len(c.defs) == cap(c.defs) {
			c.defs = arena.Grow(a, c.defs, 1)
		}
		c.defs = append(c.defs, c.maxDef)
	}
	if c.maxRep > 0 {
		c.mark(row)
		if len(c.reps) == cap(c.reps) {
			c.reps = arena.Grow(a, c.reps, 1)
		}
		c.reps = append(c.reps, rep)
	}
	c.levels++
	if len(c.bools) == cap(c.bools) {
		c.bools = arena.Grow(a, c.bools, 1)
	}
	c.bools = append(c.bools, v)
}

// putBytes is level(a, row, rep, c.maxDef) then addBytes(a, v).
func (c *column) putBytes(a *arena.Arena, row int, rep uint8, v []byte) {
	if c.maxDef > 0 {
		if len(c.defs) == cap(c.defs) {
			c.defs = arena.Grow(a, c.defs, 1)
		}
		c.defs = append(c.defs, c.maxDef)
	}
	if c.maxRep > 0 {
		c.mark(row)
		if len(c.reps) == cap(c.reps) {
			c.reps = arena.Grow(a, c.reps, 1)
		}
		c.reps = append(c.reps, rep)
	}
	c.levels++
	if cap(c.data)-len(c.data) < len(v) {
		c.data = arena.Grow(a, c.data, len(v))
	}
	c.data = append(c.data, v...)
	if len(c.offs) == cap(c.offs) {
		c.offs = arena.Grow(a, c.offs, 1)
	}
	c.offs = append(c.offs, int32(len(c.data)))
}

// putText is putBytes(a, row, rep, b[ks:ke]), copying a value of up to
// 16 bytes, when b has 16 bytes from ks on and the column's data has room
// for 16, as two 8-byte words (the bytes past the value are in the
// column's spare room, and the next value overwrites them).
func (c *column) putText(a *arena.Arena, row int, rep uint8, b []byte, ks, ke int) {
	if c.maxDef > 0 {
		if len(c.defs) == cap(c.defs) {
			c.defs = arena.Grow(a, c.defs, 1)
		}
		c.defs = append(c.defs, c.maxDef)
	}
	if c.maxRep > 0 {
		c.mark(row)
		if len(c.reps) == cap(c.reps) {
			c.reps = arena.Grow(a, c.reps, 1)
		}
		c.reps = append(c.reps, rep)
	}
	c.levels++
	l, n := len(c.data), ke-ks
	if n <= 16 && len(b)-ks >= 16 && cap(c.data)-l >= 16 {
		d := c.data[l : l+16]
		binary.LittleEndian.PutUint64(d, binary.LittleEndian.Uint64(b[ks:]))
		binary.LittleEndian.PutUint64(d[8:], binary.LittleEndian.Uint64(b[ks+8:]))
		c.data = c.data[:l+n]
	} else {
		if cap(c.data)-l < n {
			c.data = arena.Grow(a, c.data, n)
		}
		c.data = append(c.data, b[ks:ke]...)
	}
	if len(c.offs) == cap(c.offs) {
		c.offs = arena.Grow(a, c.offs, 1)
	}
	c.offs = append(c.offs, int32(len(c.data)))
}

func (c *column) addInt(a *arena.Arena, v int64) {
	if len(c.i64) == cap(c.i64) {
		c.i64 = arena.Grow(a, c.i64, 1)
	}
	c.i64 = append(c.i64, v)
}

func (c *column) addDouble(a *arena.Arena, v float64) {
	if len(c.f64) == cap(c.f64) {
		c.f64 = arena.Grow(a, c.f64, 1)
	}
	c.f64 = append(c.f64, v)
}

func (c *column) addBool(a *arena.Arena, v bool) {
	if len(c.bools) == cap(c.bools) {
		c.bools = arena.Grow(a, c.bools, 1)
	}
	c.bools = append(c.bools, v)
}

// addBytes appends a byte-array value.
func (c *column) addBytes(a *arena.Arena, v []byte) {
	if cap(c.data)-len(c.data) < len(v) {
		c.data = arena.Grow(a, c.data, len(v))
	}
	c.data = append(c.data, v...)
	c.endBytes(a)
}

// endBytes closes a byte-array value whose bytes were appended to c.data.
func (c *column) endBytes(a *arena.Arena) {
	if len(c.offs) == cap(c.offs) {
		c.offs = arena.Grow(a, c.offs, 1)
	}
	c.offs = append(c.offs, int32(len(c.data)))
}

// columnData describes the column for the writer.
func (c *column) columnData(leaf *parquet.Node) parquet.ColumnData {
	cd := parquet.ColumnData{
		Path:      c.path,
		Leaf:      leaf,
		MaxDef:    c.maxDef,
		MaxRep:    c.maxRep,
		NumLevels: c.levels,
		DefLevels: c.defs,
		RepLevels: c.reps,
	}
	switch c.typ {
	case TypeBool:
		cd.Bools = c.bools
	case TypeInt64, TypeTimestamp:
		cd.Int64s = c.i64
	case TypeDouble:
		cd.Doubles = c.f64
	default:
		cd.Bytes = c.data
		cd.Offsets = c.offs
	}
	return cd
}

// tryPutInt is putInt for the common case, small enough to be inlined: a
// column that is not repeated, with room for the value and its level. It
// reports whether it added the value; if not, putInt does.
func (c *column) tryPutInt(v int64) bool {
	n, d := len(c.i64), len(c.defs)
	if c.maxRep != 0 || n >= cap(c.i64) || (c.maxDef > 0 && d >= cap(c.defs)) {
		return false
	}
	if c.maxDef > 0 {
		c.defs = c.defs[:d+1]
		c.defs[d] = c.maxDef
	}
	c.levels++
	c.i64 = c.i64[:n+1]
	c.i64[n] = v
	return true
}
