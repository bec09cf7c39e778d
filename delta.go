package writer

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/evodb/writer/engine"
	"github.com/evodb/writer/engine/parquet"
	"github.com/evodb/writer/manifest"
)

// The table schema in the Delta log mirrors the blocks' Parquet schema:
// every block column is a column of the table. Engine types map to Delta
// types as
//
//	bool → boolean, int64 → long, double → double, string → string,
//	timestamp → timestamp, binary → binary, json → string (with field
//	metadata evodb.type = json), object → struct, list → array
//
// The metadata columns _op, _lsn and _producer are not nullable, every
// other column is.

// typeMetaKey is the field metadata key that keeps an engine type Delta
// has no type for.
const typeMetaKey = "evodb.type"

// metaColumns are the columns every block starts with, in the table schema.
func metaColumns() []manifest.StructField {
	return []manifest.StructField{
		{Name: engine.ColOp, Type: manifest.Type("string")},
		{Name: engine.ColLSN, Type: manifest.Type("long")},
		{Name: engine.ColProducer, Type: manifest.Type("string")},
		{Name: engine.ColCommitTS, Type: manifest.Type("timestamp"), Nullable: true},
	}
}

func rescuedColumn() manifest.StructField {
	return manifest.StructField{Name: engine.ColRescued, Type: manifest.Type("string"), Nullable: true,
		Metadata: map[string]any{typeMetaKey: "json"}}
}

func isMetaColumn(name string) bool {
	switch name {
	case engine.ColOp, engine.ColLSN, engine.ColProducer, engine.ColCommitTS, engine.ColRescued:
		return true
	}
	return false
}

// initialSchema is the schema of a new table: the metadata columns, the
// declared columns, _rescued.
func initialSchema(declared *engine.Schema) (manifest.StructType, error) {
	st := manifest.StructType{Fields: metaColumns()}
	if declared != nil {
		for _, f := range declared.Fields {
			df, err := fieldToDelta(f)
			if err != nil {
				return st, err
			}
			st.Fields = append(st.Fields, df)
		}
	}
	st.Fields = append(st.Fields, rescuedColumn())
	return st, st.Validate()
}

// fieldToDelta converts a declared engine field.
func fieldToDelta(f engine.Field) (manifest.StructField, error) {
	t, meta, err := typeToDelta(f)
	if err != nil {
		return manifest.StructField{}, err
	}
	return manifest.StructField{Name: f.Name, Type: t, Nullable: true, Metadata: meta}, nil
}

func typeToDelta(f engine.Field) (manifest.DataType, map[string]any, error) {
	switch f.Type {
	case engine.TypeBool:
		return manifest.Type("boolean"), nil, nil
	case engine.TypeInt64:
		return manifest.Type("long"), nil, nil
	case engine.TypeDouble:
		return manifest.Type("double"), nil, nil
	case engine.TypeString:
		return manifest.Type("string"), nil, nil
	case engine.TypeTimestamp:
		return manifest.Type("timestamp"), nil, nil
	case engine.TypeBinary:
		return manifest.Type("binary"), nil, nil
	case engine.TypeJSON:
		return manifest.Type("string"), map[string]any{typeMetaKey: "json"}, nil
	case engine.TypeObject:
		st := &manifest.StructType{}
		for _, c := range f.Fields {
			df, err := fieldToDelta(c)
			if err != nil {
				return manifest.DataType{}, nil, err
			}
			st.Fields = append(st.Fields, df)
		}
		return manifest.DataType{Struct: st}, nil, nil
	case engine.TypeList:
		if f.Elem == nil {
			return manifest.DataType{}, nil, fmt.Errorf("writer: schema: list %q has no element", f.Name)
		}
		et, meta, err := typeToDelta(*f.Elem)
		if err != nil {
			return manifest.DataType{}, nil, err
		}
		if meta != nil {
			return manifest.DataType{}, nil, fmt.Errorf("writer: schema: list %q: a list of json values has no Delta type", f.Name)
		}
		return manifest.DataType{Array: &manifest.ArrayType{ElementType: et, ContainsNull: true}}, nil, nil
	}
	return manifest.DataType{}, nil, fmt.Errorf("writer: schema: column %q has type %v, which has no Delta type", f.Name, f.Type)
}

// nodeToDelta converts a column of a block's Parquet schema.
func nodeToDelta(n *parquet.Node) (manifest.StructField, error) {
	f := manifest.StructField{Name: n.Name, Nullable: n.Repetition != parquet.Required}
	switch {
	case n.Logical == parquet.List:
		// three levels: n { repeated list { element } }
		if len(n.Children) != 1 || len(n.Children[0].Children) != 1 {
			return f, fmt.Errorf("writer: column %q: unexpected LIST layout", n.Name)
		}
		el, err := nodeToDelta(n.Children[0].Children[0])
		if err != nil {
			return f, err
		}
		if el.Metadata != nil {
			return f, fmt.Errorf("writer: column %q: a list of json values has no Delta type", n.Name)
		}
		f.Type = manifest.DataType{Array: &manifest.ArrayType{ElementType: el.Type, ContainsNull: el.Nullable}}
	case !n.IsLeaf():
		st := &manifest.StructType{}
		for _, c := range n.Children {
			cf, err := nodeToDelta(c)
			if err != nil {
				return f, err
			}
			st.Fields = append(st.Fields, cf)
		}
		f.Type = manifest.DataType{Struct: st}
	default:
		switch {
		case n.Type == parquet.Boolean:
			f.Type = manifest.Type("boolean")
		case n.Type == parquet.Int64 && n.Logical == parquet.TimestampMicros:
			f.Type = manifest.Type("timestamp")
		case n.Type == parquet.Int64:
			f.Type = manifest.Type("long")
		case n.Type == parquet.Double:
			f.Type = manifest.Type("double")
		case n.Type == parquet.ByteArray && n.Logical == parquet.String:
			f.Type = manifest.Type("string")
		case n.Type == parquet.ByteArray && n.Logical == parquet.JSON:
			f.Type = manifest.Type("string")
			f.Metadata = map[string]any{typeMetaKey: "json"}
		case n.Type == parquet.ByteArray:
			f.Type = manifest.Type("binary")
		default:
			return f, fmt.Errorf("writer: column %q: Parquet type %d has no Delta type here", n.Name, n.Type)
		}
	}
	return f, nil
}

// blockSchema converts a block's Parquet schema to a Delta struct.
func blockSchema(root *parquet.Node) (manifest.StructType, error) {
	var st manifest.StructType
	for _, c := range root.Children {
		f, err := nodeToDelta(c)
		if err != nil {
			return st, err
		}
		st.Fields = append(st.Fields, f)
	}
	return st, nil
}

// mergeSchema returns table widened by the columns of block that it lacks,
// appended (as nullable) at the end of their struct, and whether anything
// was added. A column whose type differs from the table's is an error:
// the block cannot be committed to this table.
func mergeSchema(table, block manifest.StructType) (manifest.StructType, bool, error) {
	out := manifest.StructType{Fields: append([]manifest.StructField(nil), table.Fields...)}
	changed := false
	for _, bf := range block.Fields {
		i := -1
		for j, tf := range out.Fields {
			if strings.EqualFold(tf.Name, bf.Name) {
				i = j
				break
			}
		}
		if i < 0 {
			bf.Nullable = true
			out.Fields = append(out.Fields, bf)
			changed = true
			continue
		}
		tf := out.Fields[i]
		if tf.Name != bf.Name {
			return out, false, fmt.Errorf("writer: column %q differs only in case from the table's %q", bf.Name, tf.Name)
		}
		t, ch, err := mergeType(tf.Type, bf.Type, tf.Name)
		if err != nil {
			return out, false, err
		}
		if ch {
			tf.Type = t
			out.Fields[i] = tf
			changed = true
		}
	}
	return out, changed, nil
}

func mergeType(table, block manifest.DataType, name string) (manifest.DataType, bool, error) {
	switch {
	case table.Struct != nil && block.Struct != nil:
		st, ch, err := mergeSchema(*table.Struct, *block.Struct)
		if err != nil {
			return table, false, fmt.Errorf("in %q: %w", name, err)
		}
		return manifest.DataType{Struct: &st}, ch, nil
	case table.Array != nil && block.Array != nil:
		et, ch, err := mergeType(table.Array.ElementType, block.Array.ElementType, name+".element")
		if err != nil {
			return table, false, err
		}
		a := *table.Array
		a.ElementType = et
		return manifest.DataType{Array: &a}, ch, nil
	case table.Primitive != "" && table.Primitive == block.Primitive:
		return table, false, nil
	}
	return table, false, &schemaClashError{Column: name, Table: table.String(), Block: block.String()}
}

// schemaClashError: a block column has another type than the table's.
type schemaClashError struct{ Column, Table, Block string }

func (e *schemaClashError) Error() string {
	return fmt.Sprintf("writer: column %q is %s in the table but %s in the block", e.Column, e.Table, e.Block)
}

// declaredSchema turns the table's schema (without the metadata columns)
// into a declared engine schema, then adds the columns of extra the table
// lacks: the shredder then writes every known column with the table's type.
func declaredSchema(table manifest.StructType, extra *engine.Schema) (*engine.Schema, error) {
	s := &engine.Schema{}
	for _, f := range table.Fields {
		if isMetaColumn(f.Name) {
			continue
		}
		ef, err := deltaToField(f)
		if err != nil {
			return nil, err
		}
		s.Fields = append(s.Fields, ef)
	}
	if extra != nil {
		s.Strict = extra.Strict
		s.Fields = mergeFields(s.Fields, extra.Fields)
	}
	if len(s.Fields) == 0 && !s.Strict {
		return nil, nil
	}
	return s, nil
}

// mergeFields adds to have the fields of more it lacks (recursively).
func mergeFields(have, more []engine.Field) []engine.Field {
	out := append([]engine.Field(nil), have...)
	for _, m := range more {
		i := -1
		for j := range out {
			if strings.EqualFold(out[j].Name, m.Name) {
				i = j
				break
			}
		}
		switch {
		case i < 0:
			out = append(out, m)
		case out[i].Type == engine.TypeObject && m.Type == engine.TypeObject:
			out[i].Fields = mergeFields(out[i].Fields, m.Fields)
		}
	}
	return out
}

func deltaToField(f manifest.StructField) (engine.Field, error) {
	t, err := deltaToType(f.Type, f.Metadata, f.Name)
	if err != nil {
		return engine.Field{}, err
	}
	t.Name = f.Name
	return t, nil
}

func deltaToType(t manifest.DataType, meta map[string]any, name string) (engine.Field, error) {
	switch {
	case t.Struct != nil:
		f := engine.Field{Type: engine.TypeObject}
		for _, c := range t.Struct.Fields {
			cf, err := deltaToField(c)
			if err != nil {
				return f, err
			}
			f.Fields = append(f.Fields, cf)
		}
		if len(f.Fields) == 0 {
			return f, fmt.Errorf("writer: table column %q is an empty struct", name)
		}
		return f, nil
	case t.Array != nil:
		el, err := deltaToType(t.Array.ElementType, nil, name+".element")
		if err != nil {
			return el, err
		}
		return engine.Field{Type: engine.TypeList, Elem: &el}, nil
	case t.Map != nil:
		return engine.Field{}, fmt.Errorf("writer: table column %q is a map, which this writer does not write", name)
	}
	switch t.Primitive {
	case "boolean":
		return engine.Field{Type: engine.TypeBool}, nil
	case "long":
		return engine.Field{Type: engine.TypeInt64}, nil
	case "double":
		return engine.Field{Type: engine.TypeDouble}, nil
	case "string":
		if meta[typeMetaKey] == "json" {
			return engine.Field{Type: engine.TypeJSON}, nil
		}
		return engine.Field{Type: engine.TypeString}, nil
	case "timestamp":
		return engine.Field{Type: engine.TypeTimestamp}, nil
	case "binary":
		return engine.Field{Type: engine.TypeBinary}, nil
	}
	return engine.Field{}, fmt.Errorf("writer: table column %q has type %s, which this writer does not write", name, t.String())
}

// maxStatString is the longest string min kept in Delta statistics (as
// other Delta writers do); a longer min is cut, a longer max left out.
const maxStatString = 32

// deltaStats builds the add.stats of a block from its footer: the minimum,
// maximum and null count of every column outside lists, nested by struct
// as the schema is, combined over the row groups. A column whose min or
// max is unknown in some row group (strings longer than the Parquet
// statistics keep, only NaN) gets a null count only; booleans, binary and
// json columns too.
func deltaStats(f *parquet.File) (manifest.Stats, error) {
	st := manifest.Stats{NumRecords: f.NumRows(), MinValues: map[string]any{}, MaxValues: map[string]any{}, NullCount: map[string]any{}}
	leaves := leafNodes(f.Schema())
	for j, leaf := range leaves {
		if leaf.inList {
			continue
		}
		var nulls int64
		var lo, hi []byte
		known := true
		for _, rg := range f.RowGroups() {
			cc := rg.Columns[j]
			s := cc.Statistics
			if s == nil || !s.HasNullCount {
				known = false
				nulls = -1
				break
			}
			nulls += s.NullCount
			if s.Min == nil || s.Max == nil {
				if s.NullCount < cc.NumValues {
					known = false
				}
				continue
			}
			if w := statWidth(leaf.node); w > 0 && (len(s.Min) != w || len(s.Max) != w) {
				known = false // not this writer's footer: do not guess
				continue
			}
			if lo == nil || compareStat(leaf.node, s.Min, lo) < 0 {
				lo = s.Min
			}
			if hi == nil || compareStat(leaf.node, s.Max, hi) > 0 {
				hi = s.Max
			}
		}
		if nulls >= 0 {
			setPath(st.NullCount, leaf.path, json.Number(strconv.FormatInt(nulls, 10)))
		}
		if !known || lo == nil {
			continue
		}
		if v, ok := statValue(leaf.node, lo, false); ok {
			setPath(st.MinValues, leaf.path, v)
		}
		if v, ok := statValue(leaf.node, hi, true); ok {
			setPath(st.MaxValues, leaf.path, v)
		}
	}
	return st, nil
}

type leafInfo struct {
	node   *parquet.Node
	path   []string
	inList bool
}

func leafNodes(root *parquet.Node) []leafInfo {
	var out []leafInfo
	var walk func(n *parquet.Node, path []string, inList bool)
	walk = func(n *parquet.Node, path []string, inList bool) {
		path = append(path[:len(path):len(path)], n.Name)
		if n.IsLeaf() {
			out = append(out, leafInfo{node: n, path: path, inList: inList})
			return
		}
		inList = inList || n.Logical == parquet.List || n.Logical == parquet.Map || n.Repetition == parquet.Repeated
		for _, c := range n.Children {
			walk(c, path, inList)
		}
	}
	for _, c := range root.Children {
		walk(c, nil, false)
	}
	return out
}

func setPath(m map[string]any, path []string, v any) {
	for _, p := range path[:len(path)-1] {
		next, ok := m[p].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[p] = next
		}
		m = next
	}
	m[path[len(path)-1]] = v
}

// statWidth is the size of a fixed-width statistics value of leaf n (0
// for byte arrays).
func statWidth(n *parquet.Node) int {
	switch n.Type {
	case parquet.Int64, parquet.Double:
		return 8
	case parquet.Int32, parquet.Float:
		return 4
	case parquet.Boolean:
		return 1
	}
	return 0
}

// compareStat compares two PLAIN-encoded statistics values of leaf n.
func compareStat(n *parquet.Node, a, b []byte) int {
	switch n.Type {
	case parquet.Int64:
		return compareOrdered(int64(binary.LittleEndian.Uint64(a)), int64(binary.LittleEndian.Uint64(b)))
	case parquet.Int32:
		return compareOrdered(int32(binary.LittleEndian.Uint32(a)), int32(binary.LittleEndian.Uint32(b)))
	case parquet.Double:
		return compareOrdered(math.Float64frombits(binary.LittleEndian.Uint64(a)), math.Float64frombits(binary.LittleEndian.Uint64(b)))
	}
	return bytes.Compare(a, b)
}

// compareOrdered is -1, 0 or 1 as x is below, neither below nor above
// (equal, or a NaN on either side), or above y.
func compareOrdered[T int32 | int64 | float64](x, y T) int {
	switch {
	case x < y:
		return -1
	case x > y:
		return 1
	}
	return 0
}

// statValue turns a statistics value into its Delta stats JSON value.
func statValue(n *parquet.Node, b []byte, isMax bool) (any, bool) {
	switch {
	case n.Type == parquet.Int64 && n.Logical == parquet.TimestampMicros && len(b) == 8:
		us := int64(binary.LittleEndian.Uint64(b))
		ms := us / 1000
		if us%1000 != 0 && (us < 0) != isMax {
			// Delta keeps milliseconds: round the min down and the max
			// up, so the range still holds every value.
			if isMax {
				ms++
			} else {
				ms--
			}
		}
		return time.UnixMilli(ms).UTC().Format("2006-01-02T15:04:05.000Z"), true
	case n.Type == parquet.Int64 && len(b) == 8:
		return json.Number(strconv.FormatInt(int64(binary.LittleEndian.Uint64(b)), 10)), true
	case n.Type == parquet.Double && len(b) == 8:
		v := math.Float64frombits(binary.LittleEndian.Uint64(b))
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, false
		}
		return json.Number(strconv.FormatFloat(v, 'g', -1, 64)), true
	case n.Type == parquet.ByteArray && n.Logical == parquet.String:
		if !utf8.Valid(b) {
			return nil, false
		}
		s := string(b)
		if utf8.RuneCountInString(s) <= maxStatString {
			return s, true
		}
		if isMax {
			return nil, false
		}
		r := 0
		for i := range s {
			if r == maxStatString {
				return s[:i], true
			}
			r++
		}
		return s, true
	}
	return nil, false
}
