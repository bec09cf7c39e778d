// Package parquet writes and reads the Parquet files ("blocks") of a table.
//
// The writer takes whole columns of a row group, already shredded into
// definition levels, repetition levels and non-null values (ColumnData),
// chooses the cheapest correct encoding for each column chunk, compresses
// the pages and streams the bytes out through an io.Writer one row group at
// a time, so an upload can start before the block is finished. The reader
// reads back every file the writer produces, into the same ColumnData form.
package parquet

// Repetition says how often a field occurs in its parent.
type Repetition uint8

const (
	Required Repetition = iota // exactly once
	Optional                   // zero or one time
	Repeated                   // zero or more times
)

// PhysicalType is the storage type of a leaf column.
type PhysicalType uint8

const (
	Boolean PhysicalType = iota + 1
	Int32
	Int64
	Float  // float32
	Double // float64
	ByteArray
)

// LogicalType refines how a physical type or a group is read.
type LogicalType uint8

const (
	NoLogical       LogicalType = iota
	String                      // BYTE_ARRAY holding UTF-8
	TimestampMicros             // INT64 microseconds since the Unix epoch, adjusted to UTC
	List                        // a group in the three-level LIST layout
	JSON                        // BYTE_ARRAY holding JSON text
	Map                         // a group in the MAP layout: one repeated group "key_value" holding a required key and a value
)

// Node is one element of a schema tree: a group when Children is not nil,
// otherwise a leaf column. The root is a group whose name is the schema's.
type Node struct {
	Name       string
	Repetition Repetition
	Type       PhysicalType // leaves only
	Logical    LogicalType
	Children   []*Node // groups only
}

// IsLeaf reports whether n is a leaf column.
func (n *Node) IsLeaf() bool { return n.Children == nil }

// ColumnData holds one leaf column of a row group in shredded form.
//
// Levels: DefLevels has one entry per level entry when MaxDef > 0 (nil
// otherwise), RepLevels likewise when MaxRep > 0. NumLevels is the number
// of level entries: the number of rows for a column outside any list.
//
// Values: only the present (non-null) values, in order, in the slice that
// matches the leaf's physical type: Bools, Int32s, Int64s, Floats, Doubles,
// or Bytes with Offsets for ByteArray (value i is
// Bytes[Offsets[i]:Offsets[i+1]], len(Offsets) = values+1).
type ColumnData struct {
	Path   []string // names from the root's child to the leaf
	Leaf   *Node
	MaxDef uint8
	MaxRep uint8

	NumLevels int
	DefLevels []uint8
	RepLevels []uint8

	Bools   []bool
	Int32s  []int32
	Int64s  []int64
	Floats  []float32
	Doubles []float64
	Bytes   []byte
	Offsets []int32
}

// NumValues is the number of present values the column holds.
func (c *ColumnData) NumValues() int {
	switch c.Leaf.Type {
	case Boolean:
		return len(c.Bools)
	case Int32:
		return len(c.Int32s)
	case Int64:
		return len(c.Int64s)
	case Float:
		return len(c.Floats)
	case Double:
		return len(c.Doubles)
	case ByteArray:
		if len(c.Offsets) == 0 {
			return 0
		}
		return len(c.Offsets) - 1
	}
	return 0
}

// LeafColumns checks a schema and returns one empty ColumnData per leaf,
// in schema order, with Path, Leaf, MaxDef and MaxRep filled in: the
// columns a row group of this schema needs.
func LeafColumns(schema *Node) ([]ColumnData, error) {
	_, leaves, err := flattenSchema(schema)
	if err != nil {
		return nil, err
	}
	cols := make([]ColumnData, len(leaves))
	for i, l := range leaves {
		cols[i] = ColumnData{Path: l.path, Leaf: l.node, MaxDef: l.maxDef, MaxRep: l.maxRep}
	}
	return cols, nil
}
