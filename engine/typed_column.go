package engine

import (
	"fmt"
	"math"
	"strings"

	"github.com/evodb/writer/arena"
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

	// sizes reached by the last arena.ShrinkRounds rounds (blocks, and
	// the spills within them: see remember) and the largest of them, to
	// size the next block's buffers at once
	recent                           [arena.ShrinkRounds]typedPos
	rounds                           int
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

// remember records the column's size at the end of a round and keeps the
// largest of the last arena.ShrinkRounds rounds as the hint for the next
// block's buffers: a large block among small ones finds its room again,
// as the arena keeps the memory for it over as many rounds, instead of
// growing its buffers by copies that the arena then holds in a chunk of
// its own (blocks of 1,300 to 30,000 orders rows at random took 0.86 MB
// of new chunks a block when the hint lost a sixteenth a round).
func (c *typedColumn) remember() {
	r := typedPos{levels: c.levels, data: len(c.data)}
	if c.offs != nil || c.leaf.Type != parquet.ByteArray {
		r.values = c.numValues()
	}
	c.recent[c.rounds%len(c.recent)] = r
	c.rounds++
	c.lastLevels, c.lastValues, c.lastData = 0, 0, 0
	for _, p := range c.recent {
		c.lastLevels = max(c.lastLevels, p.levels)
		c.lastValues = max(c.lastValues, p.values)
		c.lastData = max(c.lastData, p.data)
	}
}

// roomFor is the room of buffers for p, and a sixteenth more (value
// bytes: 64 more too, of which the shortRoom the data buffer keeps).
func roomFor(p typedPos) typedPos {
	return typedPos{levels: p.levels + p.levels/16 + 16, values: p.values + p.values/16 + 16, data: p.data + p.data/16 + 64}
}

// room is the room reset gives the column's buffers: for the most the
// last arena.ShrinkRounds rounds took, and a sixteenth more.
func (c *typedColumn) room() typedPos {
	return roomFor(typedPos{levels: c.lastLevels, values: c.lastValues, data: c.lastData})
}

// levelBuffers is the number of the column's level buffers (definition,
// repetition).
func (c *typedColumn) levelBuffers() int {
	n := 0
	if c.maxDef > 0 {
		n++
	}
	if c.maxRep > 0 {
		n++
	}
	return n
}

// valueWidth is the bytes of a value in the column's value buffer (of an
// offset, for byte arrays).
func (c *typedColumn) valueWidth() int {
	switch c.leaf.Type {
	case parquet.Boolean:
		return 1
	case parquet.Int64, parquet.Double:
		return 8
	}
	return 4
}

// capacity is the room of the column's buffers: levels, values, and value
// bytes (less the shortRoom the data buffer keeps).
func (c *typedColumn) capacity() typedPos {
	p := typedPos{levels: max(cap(c.defs), cap(c.reps))}
	switch c.leaf.Type {
	case parquet.Boolean:
		p.values = cap(c.bools)
	case parquet.Int32:
		p.values = cap(c.i32)
	case parquet.Int64:
		p.values = cap(c.i64)
	case parquet.Float:
		p.values = cap(c.f32)
	case parquet.Double:
		p.values = cap(c.f64)
	default:
		p.values, p.data = cap(c.offs)-1, cap(c.data)-shortRoom
	}
	return p
}

// arenaBytes is the arena memory of the column's buffers with room for
// the levels, values and value bytes of p that are not zero, each buffer
// rounded up to arena.Align (reset's, for the room it gives them).
func (c *typedColumn) arenaBytes(p typedPos) int {
	up := arena.Aligned
	n := 0
	if p.levels > 0 {
		n += c.levelBuffers() * up(p.levels)
	}
	if p.values > 0 {
		if c.leaf.Type == parquet.ByteArray {
			p.values++ // offs[0]
		}
		n += up(c.valueWidth() * p.values)
	}
	if p.data > 0 && c.leaf.Type == parquet.ByteArray {
		n += up(p.data)
	}
	return n
}

// reset empties the column for a new block, in buffers from a (just
// reset) sized after recent blocks. The buffers are only appended to:
// their room is not cleared.
func (c *typedColumn) reset(a *arena.Arena) {
	c.levels = 0
	r := c.room()
	lv, vv, dv := r.levels, r.values, r.data
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

// grows is want, project's room for the column's rows to come (levels,
// values, value bytes), less the room of the buffers it would not take
// to twice their capacity or more: zero for those, left to double as
// they fill (so that appends of a few rows at a time grow them
// geometrically).
func (c *typedColumn) grows(want typedPos) typedPos {
	return doubling(want, c.capacity(), c.levelBuffers() > 0, c.leaf.Type == parquet.ByteArray)
}

// doubling is want less the room that would not take a buffer of room
// have to twice it or more (zero for those), and for buffers the column
// does not have: levels unless it has level buffers, value bytes unless
// it holds byte arrays. Both shredders' projections grow by it.
func doubling(want, have typedPos, levels, data bool) typedPos {
	if !levels || want.levels < 2*have.levels {
		want.levels = 0
	}
	if want.values < 2*have.values {
		want.values = 0
	}
	if !data || want.data < 2*have.data {
		want.data = 0
	}
	return want
}

// growTo gives the column's buffers room for p (levels, values, value
// bytes, shortRoom included: see roomFor), each one that lacks it grown
// to exactly that.
func (c *typedColumn) growTo(a *arena.Arena, p typedPos) {
	if c.maxDef > 0 {
		c.defs = arena.GrowTo(a, c.defs, p.levels)
	}
	if c.maxRep > 0 {
		c.reps = arena.GrowTo(a, c.reps, p.levels)
	}
	switch c.leaf.Type {
	case parquet.Boolean:
		c.bools = arena.GrowTo(a, c.bools, p.values)
	case parquet.Int32:
		c.i32 = arena.GrowTo(a, c.i32, p.values)
	case parquet.Int64:
		c.i64 = arena.GrowTo(a, c.i64, p.values)
	case parquet.Float:
		c.f32 = arena.GrowTo(a, c.f32, p.values)
	case parquet.Double:
		c.f64 = arena.GrowTo(a, c.f64, p.values)
	default:
		c.offs = arena.GrowTo(a, c.offs, p.values+1)
		c.data = arena.GrowTo(a, c.data, p.data)
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

// repeatBytes appends n copies of the byte-array value v: the bytes by
// doubling copies, the offsets stepping by len(v).
func (c *typedColumn) repeatBytes(a *arena.Arena, v []byte, n int) error {
	if n <= 0 {
		return nil
	}
	if len(v) > (math.MaxInt32-len(c.data))/n {
		return c.errBytes(n * len(v))
	}
	if size := n * len(v); size > 0 {
		c.data = arena.Grow(a, c.data, size)
		l := len(c.data)
		c.data = c.data[:l+size]
		copy(c.data[l:], v)
		for k := len(v); k < size; k *= 2 {
			copy(c.data[l+k:], c.data[l:l+k])
		}
	}
	c.offs = arena.Grow(a, c.offs, n)
	end := c.offs[len(c.offs)-1]
	for range n {
		end += int32(len(v))
		c.offs = append(c.offs, end)
	}
	return nil
}

// bytesAt is the memory the column's entries up to p take.
func (c *typedColumn) bytesAt(p typedPos) int {
	n := p.data
	if c.maxDef > 0 {
		n += p.levels
	}
	if c.maxRep > 0 {
		n += p.levels
	}
	switch c.leaf.Type {
	case parquet.Boolean:
		n += p.values
	case parquet.Int64, parquet.Double:
		n += 8 * p.values
	default: // 4-byte values, or the offsets of byte arrays
		n += 4 * p.values
	}
	return n
}
