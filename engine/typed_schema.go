package engine

import (
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/evodb/writer/cdc"
	"github.com/evodb/writer/engine/parquet"
)

// tkind is how a TypedWriter reads one Go value.
type tkind uint8

const (
	tkBool tkind = iota + 1
	tkInt8
	tkInt16
	tkInt32
	tkInt64
	tkInt
	tkUint8
	tkUint16
	tkUint32
	tkFloat32
	tkFloat64
	tkString
	tkBytes
	tkTime   // time.Time, as microseconds UTC
	tkOp     // a cdc.Op, written as its name (the _op column)
	tkOpText // a string holding an op name (the _op column), checked
	tkStruct // a group
	tkList   // a slice: a LIST
)

// tfield is the compiled plan of one struct field, list element or
// metadata field: where it lives, how to read it, its levels and its
// leaf columns.
type tfield struct {
	name string // the Go path, for errors
	off  uintptr
	kind tkind
	// ptr: the Go value is a pointer (nil is null); zeroNull: the
	// parquet tag says optional on a non-pointer (the zero value is null)
	ptr, zeroNull bool
	// def is the definition level of a present value; a null one has
	// def-1 (only for ptr or zeroNull).
	def uint8
	// col is the leaf column of a scalar; [lo, hi) the leaf columns under
	// the field.
	col, lo, hi int
	fields      []tfield // tkStruct
	// tkList: elem is the element (its off is 0), elemSize its stride,
	// listRep the repetition level of elements after the first.
	elem     *tfield
	elemSize uintptr
	listRep  uint8
}

func (f *tfield) optional() bool { return f.ptr || f.zeroNull }

// typedPlan is the compiled layout of a row type.
type typedPlan struct {
	size   uintptr
	schema *parquet.Node
	fields []tfield   // the row's own fields
	meta   [4]*tfield // the metadata fields the row type carries, or nil
	leaves []typedLeaf
}

// typedLeaf is one leaf column of the plan, in schema order.
type typedLeaf struct {
	path           []string
	node           *parquet.Node
	maxDef, maxRep uint8
}

var (
	timeType = reflect.TypeFor[time.Time]()
	opType   = reflect.TypeFor[cdc.Op]()
)

// metaNames are the metadata columns, in the order they lead every block.
var metaNames = [4]string{ColOp, ColLSN, ColProducer, ColCommitTS}

// typedCompiler builds a typedPlan.
type typedCompiler struct {
	root   reflect.Type
	leaves []typedLeaf
	onPath map[reflect.Type]bool // struct types being compiled, against cycles
}

func (c *typedCompiler) errorf(where, format string, args ...any) error {
	return fmt.Errorf("%w: engine: typed rows of %v: field %s: %s", ErrSchema, c.root, where, fmt.Sprintf(format, args...))
}

// compileTyped compiles the layout of rows of type t.
func compileTyped(t reflect.Type) (*typedPlan, error) {
	if t.Kind() != reflect.Struct {
		return nil, fmt.Errorf("%w: engine: typed rows must be structs, %v is a %v", ErrSchema, t, t.Kind())
	}
	c := &typedCompiler{root: t, onPath: map[reflect.Type]bool{t: true}}
	p := &typedPlan{size: t.Size()}
	root := &parquet.Node{Name: "schema", Repetition: parquet.Required, Children: []*parquet.Node{
		{Name: ColOp, Repetition: parquet.Required, Type: parquet.ByteArray, Logical: parquet.String},
		{Name: ColLSN, Repetition: parquet.Required, Type: parquet.Int64},
		{Name: ColProducer, Repetition: parquet.Required, Type: parquet.ByteArray, Logical: parquet.String},
		{Name: ColCommitTS, Repetition: parquet.Optional, Type: parquet.Int64, Logical: parquet.TimestampMicros},
	}}
	for _, n := range root.Children {
		var maxDef uint8
		if n.Repetition == parquet.Optional {
			maxDef = 1
		}
		c.leaves = append(c.leaves, typedLeaf{path: []string{n.Name}, node: n, maxDef: maxDef})
	}
	// the metadata fields, if the row carries them
	metaField := map[string]int{}
	for i, n := range metaNames {
		metaField[n] = i
	}
	seen := map[string]string{}
	for i := range t.NumField() {
		sf := t.Field(i)
		name, opts, skip, err := c.tag(sf, sf.Name)
		if err != nil {
			return nil, err
		}
		if skip {
			continue
		}
		low := strings.ToLower(name)
		if other, ok := seen[low]; ok {
			return nil, c.errorf(sf.Name, "column %q clashes with field %s (column names are unique regardless of case)", name, other)
		}
		seen[low] = sf.Name
		if low == ColRescued {
			return nil, c.errorf(sf.Name, "the column name %q is reserved", name)
		}
		if k, ok := metaField[low]; ok {
			f, err := c.metaField(sf, name, opts, k)
			if err != nil {
				return nil, err
			}
			p.meta[k] = f
			continue
		}
		f, node, err := c.field(sf.Type, sf.Name, opts, 0, 0, []string{name}, 1)
		if err != nil {
			return nil, err
		}
		f.off = sf.Offset
		node.Name = name
		p.fields = append(p.fields, f)
		root.Children = append(root.Children, node)
	}
	var missing []string
	have := 0
	for k, f := range p.meta {
		if f == nil {
			missing = append(missing, metaNames[k])
		} else {
			have++
		}
	}
	if have > 0 && have < len(metaNames) {
		return nil, fmt.Errorf("%w: engine: typed rows of %v carry some metadata fields but not %s: carry all four or none", ErrSchema, t, strings.Join(missing, ", "))
	}
	p.schema = root
	p.leaves = c.leaves
	// the writer's own view of the levels must agree with the plan's
	cols, err := parquet.LeafColumns(root)
	if err != nil {
		return nil, fmt.Errorf("%w: engine: typed rows of %v: %v", ErrSchema, t, err)
	}
	if len(cols) != len(p.leaves) {
		return nil, fmt.Errorf("engine: typed rows of %v: %d leaf columns, the schema has %d", t, len(p.leaves), len(cols))
	}
	for i := range cols {
		if cols[i].MaxDef != p.leaves[i].maxDef || cols[i].MaxRep != p.leaves[i].maxRep || cols[i].Leaf != p.leaves[i].node {
			return nil, fmt.Errorf("engine: typed rows of %v: column %v: levels %d/%d, the schema says %d/%d", t, cols[i].Path,
				p.leaves[i].maxDef, p.leaves[i].maxRep, cols[i].MaxDef, cols[i].MaxRep)
		}
		p.leaves[i].path = cols[i].Path
	}
	return p, nil
}

// tagOptions are the options of a field's parquet tag.
type tagOptions struct {
	optional  bool
	timestamp bool
}

// tag reads a field's `parquet:"name,options"` tag. The options understood
// are optional, list and timestamp (in microseconds); the encoding and
// compression hints other writers take (plain, dict, delta, split, zstd,
// snappy, ...) are accepted and ignored: this writer chooses per column
// chunk. Anything else is an error.
func (c *typedCompiler) tag(sf reflect.StructField, where string) (name string, o tagOptions, skip bool, err error) {
	tag, ok := sf.Tag.Lookup("parquet")
	if tag == "-" {
		return "", o, true, nil
	}
	if sf.Anonymous {
		return "", o, false, c.errorf(where, "embedded fields are not supported: give the field a name")
	}
	if !sf.IsExported() {
		return "", o, true, nil
	}
	name = sf.Name
	if !ok {
		return name, o, false, nil
	}
	parts := strings.Split(tag, ",")
	if parts[0] != "" {
		name = parts[0]
	}
	for _, opt := range parts[1:] {
		switch opt {
		case "optional":
			o.optional = true
		case "list", "":
		case "timestamp", "timestamp(microsecond)", "timestamp(microsecond:utc)":
			o.timestamp = true
		case "plain", "dict", "delta", "split", "zstd", "snappy", "gzip", "lz4", "brotli", "uncompressed":
		default:
			return "", o, false, c.errorf(where, "parquet tag option %q is not supported (known: optional, list, timestamp(microsecond), and encoding hints, which are ignored)", opt)
		}
	}
	return name, o, false, nil
}

// metaField compiles the row's field for metadata column k.
func (c *typedCompiler) metaField(sf reflect.StructField, name string, o tagOptions, k int) (*tfield, error) {
	f := &tfield{name: sf.Name, off: sf.Offset, col: k, lo: k, hi: k + 1}
	t := sf.Type
	bad := func(want string) error {
		return c.errorf(sf.Name, "the metadata column %s must be %s, not %v", metaNames[k], want, t)
	}
	switch metaNames[k] {
	case ColOp:
		switch {
		case t == opType:
			f.kind = tkOp
		case t.Kind() == reflect.String:
			f.kind = tkOpText
		default:
			return nil, bad("a cdc.Op or a string")
		}
	case ColLSN:
		switch t.Kind() {
		case reflect.Int64:
			f.kind = tkInt64
		case reflect.Int:
			f.kind = tkInt
		default:
			return nil, bad("an int64")
		}
	case ColProducer:
		if t.Kind() != reflect.String {
			return nil, bad("a string")
		}
		f.kind = tkString
	case ColCommitTS:
		f.kind, f.def = tkTime, 1
		switch {
		case t == timeType:
			f.zeroNull = true // a zero time is no commit time
		case t.Kind() == reflect.Pointer && t.Elem() == timeType:
			f.ptr = true
		default:
			return nil, bad("a time.Time or *time.Time")
		}
	}
	if o.optional && metaNames[k] != ColCommitTS {
		return nil, c.errorf(sf.Name, "the metadata column %s cannot be optional", metaNames[k])
	}
	return f, nil
}

// field compiles a value of type t found at the Go path where, whose
// parent has definition level def and repetition level rep; path is its
// column path and depth its nesting. The caller sets the field's offset
// and the node's name.
func (c *typedCompiler) field(t reflect.Type, where string, o tagOptions, def, rep uint8, path []string, depth int) (tfield, *parquet.Node, error) {
	f := tfield{name: where}
	if depth > maxDepthLimit {
		return f, nil, c.errorf(where, "nested deeper than %d levels", maxDepthLimit)
	}
	rt := parquet.Required
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
		switch t.Kind() {
		case reflect.Pointer:
			return f, nil, c.errorf(where, "pointer to pointer (%v) is not supported", t)
		case reflect.Slice:
			return f, nil, c.errorf(where, "pointer to slice (%v) is not supported: a nil slice is already null", t)
		}
		f.ptr = true
		rt = parquet.Optional
	} else if o.optional {
		switch t.Kind() {
		case reflect.Struct, reflect.Slice:
			if t != timeType && (t.Kind() != reflect.Slice || t.Elem().Kind() != reflect.Uint8) {
				return f, nil, c.errorf(where, "the optional tag is for scalars; make the field a pointer to have a null %v", t.Kind())
			}
		}
		f.zeroNull = true
		rt = parquet.Optional
	}
	if rt == parquet.Optional {
		def++
	}
	f.def = def
	node := &parquet.Node{Repetition: rt}
	f.lo = len(c.leaves)
	leaf := func(pt parquet.PhysicalType, lt parquet.LogicalType, k tkind) (tfield, *parquet.Node, error) {
		node.Type, node.Logical = pt, lt
		f.kind = k
		f.col = len(c.leaves)
		c.leaves = append(c.leaves, typedLeaf{node: node, maxDef: def, maxRep: rep})
		f.hi = len(c.leaves)
		return f, node, nil
	}
	if o.timestamp && t != timeType && t.Kind() != reflect.Int64 && t.Kind() != reflect.Int {
		return f, nil, c.errorf(where, "the timestamp tag needs a time.Time or an int64 of microseconds, not %v", t)
	}
	if t == timeType {
		return leaf(parquet.Int64, parquet.TimestampMicros, tkTime)
	}
	if s, ok := scalarLeaves[t.Kind()]; ok {
		if o.timestamp {
			// Only an int64 or int gets here with the tag (checked above).
			return leaf(s.pt, parquet.TimestampMicros, s.k)
		}
		return leaf(s.pt, s.lt, s.k)
	}
	switch t.Kind() {
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return leaf(parquet.ByteArray, parquet.NoLogical, tkBytes)
		}
		return c.list(f, node, t, where, def, rep, path, depth)
	case reflect.Struct:
		return c.group(f, node, t, where, def, rep, path, depth)
	}
	return f, nil, c.errorf(where, "type %v is not supported (supported: bool, ints up to 64 bits, uint8/16/32, floats, string, []byte, time.Time, structs, slices, and pointers to them)", t)
}

// scalarLeaves is the column of each Go scalar kind a typed field may have.
var scalarLeaves = map[reflect.Kind]struct {
	pt parquet.PhysicalType
	lt parquet.LogicalType
	k  tkind
}{
	reflect.Bool:    {parquet.Boolean, parquet.NoLogical, tkBool},
	reflect.Int8:    {parquet.Int32, parquet.NoLogical, tkInt8},
	reflect.Int16:   {parquet.Int32, parquet.NoLogical, tkInt16},
	reflect.Int32:   {parquet.Int32, parquet.NoLogical, tkInt32},
	reflect.Int64:   {parquet.Int64, parquet.NoLogical, tkInt64},
	reflect.Int:     {parquet.Int64, parquet.NoLogical, tkInt},
	reflect.Uint8:   {parquet.Int32, parquet.NoLogical, tkUint8},
	reflect.Uint16:  {parquet.Int32, parquet.NoLogical, tkUint16},
	reflect.Uint32:  {parquet.Int64, parquet.NoLogical, tkUint32},
	reflect.Float32: {parquet.Float, parquet.NoLogical, tkFloat32},
	reflect.Float64: {parquet.Double, parquet.NoLogical, tkFloat64},
	reflect.String:  {parquet.ByteArray, parquet.String, tkString},
}

// group compiles a struct-typed field as a Parquet group.
func (c *typedCompiler) group(f tfield, node *parquet.Node, t reflect.Type, where string, def, rep uint8, path []string, depth int) (tfield, *parquet.Node, error) {
	if c.onPath[t] {
		return f, nil, c.errorf(where, "type %v contains itself", t)
	}
	c.onPath[t] = true
	defer delete(c.onPath, t)
	f.kind = tkStruct
	node.Children = []*parquet.Node{}
	seen := map[string]string{}
	for i := range t.NumField() {
		sf := t.Field(i)
		at := where + "." + sf.Name
		name, opts, skip, err := c.tag(sf, at)
		if err != nil {
			return f, nil, err
		}
		if skip {
			continue
		}
		low := strings.ToLower(name)
		if other, ok := seen[low]; ok {
			return f, nil, c.errorf(at, "column %q clashes with field %s (column names are unique regardless of case)", name, other)
		}
		seen[low] = sf.Name
		sub, sn, err := c.field(sf.Type, at, opts, def, rep, append(path[:len(path):len(path)], name), depth+1)
		if err != nil {
			return f, nil, err
		}
		sub.off = sf.Offset
		sn.Name = name
		f.fields = append(f.fields, sub)
		node.Children = append(node.Children, sn)
	}
	if len(f.fields) == 0 {
		return f, nil, c.errorf(where, "struct %v has no exported fields to write", t)
	}
	f.hi = len(c.leaves)
	return f, node, nil
}

// list compiles a slice-typed field as a three-level LIST: an optional
// group (a nil slice is null, an empty one an empty list), a repeated
// group "list" and the element.
func (c *typedCompiler) list(f tfield, node *parquet.Node, t reflect.Type, where string, def, rep uint8, path []string, depth int) (tfield, *parquet.Node, error) {
	if f.zeroNull {
		return f, nil, c.errorf(where, "slices are always nullable: drop the optional tag")
	}
	// The slice itself is the optional list group.
	if node.Repetition == parquet.Required {
		node.Repetition = parquet.Optional
		def++
		f.def = def
	}
	f.kind = tkList
	f.listRep = rep + 1
	et := t.Elem()
	f.elemSize = et.Size()
	elem, en, err := c.field(et, where+"[]", tagOptions{}, def+1, rep+1, append(path[:len(path):len(path)], "list", "element"), depth+1)
	if err != nil {
		return f, nil, err
	}
	en.Name = "element"
	f.elem = &elem
	node.Logical = parquet.List
	node.Children = []*parquet.Node{{Name: "list", Repetition: parquet.Repeated, Children: []*parquet.Node{en}}}
	f.hi = len(c.leaves)
	return f, node, nil
}
