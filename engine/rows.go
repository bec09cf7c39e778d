package engine

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/evodb/writer/cdc"
	"github.com/evodb/writer/engine/parquet"
)

// Row is one row of a block, assembled back from its columns.
//
// Data holds the row's own values with every rescued value back in its
// place: objects as map[string]any (null members left out: a null and a
// missing key are the same to a column), arrays as []any, integers as
// int64, other numbers as float64 (json.Number for numbers beyond those
// ranges, which only _rescued can hold), strings and timestamps as string
// (timestamps as RFC 3339 in UTC), binary as standard base64 text, bools
// as bool, and null list elements as nil.
type Row struct {
	Op         cdc.Op
	LSN        int64
	Producer   string
	CommitTime time.Time // zero when the row has none
	Data       map[string]any
}

// ErrCorrupt reports columns whose levels or values do not match their
// schema.
var ErrCorrupt = errors.New("corrupt columns")

// schemaInfo is a node of a Parquet schema with its levels and the range of
// leaf columns under it.
type schemaInfo struct {
	n        *parquet.Node
	def, rep uint8 // levels when this node is present
	lo, hi   int   // leaf columns [lo, hi)
	children []*schemaInfo
}

func buildInfo(n *parquet.Node, def, rep uint8, next *int) (*schemaInfo, error) {
	switch n.Repetition {
	case parquet.Optional:
		def++
	case parquet.Repeated:
		def++
		rep++
	}
	si := &schemaInfo{n: n, def: def, rep: rep, lo: *next}
	if n.IsLeaf() {
		*next++
	} else {
		if len(n.Children) == 0 {
			return nil, fmt.Errorf("%w: group %q has no fields", ErrCorrupt, n.Name)
		}
		for _, c := range n.Children {
			ci, err := buildInfo(c, def, rep, next)
			if err != nil {
				return nil, err
			}
			si.children = append(si.children, ci)
		}
	}
	si.hi = *next
	return si, nil
}

// assembler walks the leaf columns of a row group, one cursor per column.
type assembler struct {
	cols []parquet.ColumnData
	li   []int // level cursor per column
	vi   []int // value cursor per column
}

func (a *assembler) def(c int) uint8 {
	if a.cols[c].MaxDef == 0 {
		return 0
	}
	return a.cols[c].DefLevels[a.li[c]]
}

func (a *assembler) rep(c int) uint8 {
	if a.cols[c].MaxRep == 0 {
		return 0
	}
	return a.cols[c].RepLevels[a.li[c]]
}

func (a *assembler) more(c int) bool { return a.li[c] < a.cols[c].NumLevels }

// skip consumes one level entry, without a value, from every column of n;
// each entry's definition level must be below limit.
func (a *assembler) skip(n *schemaInfo, limit uint8) error {
	for c := n.lo; c < n.hi; c++ {
		if !a.more(c) {
			return fmt.Errorf("%w: column %v ends early", ErrCorrupt, a.cols[c].Path)
		}
		if d := a.def(c); d >= limit {
			return fmt.Errorf("%w: column %v: definition level %d where less than %d is expected", ErrCorrupt, a.cols[c].Path, d, limit)
		}
		a.li[c]++
	}
	return nil
}

// value assembles the value of n at the cursors; present is false for a
// null.
func (a *assembler) value(n *schemaInfo) (v any, present bool, err error) {
	c := n.lo
	if !a.more(c) {
		return nil, false, fmt.Errorf("%w: column %v ends early", ErrCorrupt, a.cols[c].Path)
	}
	if d := a.def(c); d < n.def {
		return nil, false, a.skip(n, n.def)
	}
	switch {
	case n.n.IsLeaf():
		v, err := a.leaf(c)
		a.li[c]++
		return v, true, err
	case n.n.Logical == parquet.List:
		rl := n.children[0] // repeated group
		if len(rl.children) != 1 {
			return nil, false, fmt.Errorf("%w: list %q is not a three-level LIST", ErrCorrupt, n.n.Name)
		}
		if a.def(c) < rl.def {
			return []any{}, true, a.skip(n, rl.def)
		}
		out := []any{}
		for {
			el, _, err := a.value(rl.children[0])
			if err != nil {
				return nil, false, err
			}
			out = append(out, el)
			if !a.more(c) || a.rep(c) != rl.rep {
				return out, true, nil
			}
		}
	default:
		m := make(map[string]any, len(n.children))
		for _, ch := range n.children {
			v, ok, err := a.value(ch)
			if err != nil {
				return nil, false, err
			}
			if ok && v != nil {
				m[ch.n.Name] = v
			}
		}
		return m, true, nil
	}
}

// leaf reads the present value of column c.
func (a *assembler) leaf(c int) (any, error) {
	col := &a.cols[c]
	i := a.vi[c]
	if i >= col.NumValues() {
		return nil, fmt.Errorf("%w: column %v has fewer values than its levels say", ErrCorrupt, col.Path)
	}
	a.vi[c]++
	switch col.Leaf.Type {
	case parquet.Boolean:
		return col.Bools[i], nil
	case parquet.Int32:
		return int64(col.Int32s[i]), nil
	case parquet.Int64:
		if col.Leaf.Logical == parquet.TimestampMicros {
			return string(appendTimestamp(nil, col.Int64s[i])), nil
		}
		return col.Int64s[i], nil
	case parquet.Float:
		return float64(col.Floats[i]), nil
	case parquet.Double:
		return col.Doubles[i], nil
	case parquet.ByteArray:
		lo, hi := col.Offsets[i], col.Offsets[i+1]
		if lo < 0 || hi < lo || int(hi) > len(col.Bytes) {
			return nil, fmt.Errorf("%w: column %v: value %d has offsets %d..%d", ErrCorrupt, col.Path, i, lo, hi)
		}
		b := col.Bytes[lo:hi]
		switch col.Leaf.Logical {
		case parquet.String:
			return string(b), nil
		case parquet.JSON:
			v, err := decodeJSONValue(b)
			if err != nil {
				return nil, fmt.Errorf("%w: column %v: %v", ErrCorrupt, col.Path, err)
			}
			return v, nil
		}
		return base64.StdEncoding.EncodeToString(b), nil
	}
	return nil, fmt.Errorf("%w: column %v has physical type %d", ErrCorrupt, col.Path, col.Leaf.Type)
}

// decodeJSONValue decodes JSON text into the value forms of Row.Data.
func decodeJSONValue(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return normalizeNumbers(v), nil
}

// normalizeNumbers turns json.Number into int64 or float64 where they hold
// the number exactly, and drops null object members.
func normalizeNumbers(v any) any {
	switch x := v.(type) {
	case json.Number:
		s := string(x)
		if !strings.ContainsAny(s, ".eE") {
			if i, err := strconv.ParseInt(s, 10, 64); err == nil {
				return i
			}
			return x
		}
		if f, err := strconv.ParseFloat(s, 64); err == nil && !math.IsInf(f, 0) {
			return f
		}
		return x
	case map[string]any:
		for k, e := range x {
			if e == nil {
				delete(x, k)
				continue
			}
			x[k] = normalizeNumbers(e)
		}
		return x
	case []any:
		for i, e := range x {
			x[i] = normalizeNumbers(e)
		}
		return x
	}
	return v
}

// Rows assembles the rows of one row group (or shredded block) from its
// leaf columns, given in schema order.
func Rows(schema *parquet.Node, cols []parquet.ColumnData) ([]Row, error) {
	if schema == nil || schema.IsLeaf() {
		return nil, fmt.Errorf("%w: the schema is not a group", ErrCorrupt)
	}
	next := 0
	root, err := buildInfo(&parquet.Node{Name: schema.Name, Repetition: parquet.Required, Children: schema.Children}, 0, 0, &next)
	if err != nil {
		return nil, err
	}
	if next != len(cols) {
		return nil, fmt.Errorf("%w: the schema has %d leaf columns, %d given", ErrCorrupt, next, len(cols))
	}
	for i := range cols {
		if err := checkColumn(&cols[i]); err != nil {
			return nil, err
		}
	}
	if len(cols) == 0 {
		return nil, nil
	}
	a := &assembler{cols: cols, li: make([]int, len(cols)), vi: make([]int, len(cols))}
	var rows []Row
	for a.more(0) {
		if a.rep(0) != 0 {
			return nil, fmt.Errorf("%w: column %v: a row starts with repetition level %d", ErrCorrupt, cols[0].Path, a.rep(0))
		}
		var r Row
		r.Data = map[string]any{}
		var rescued map[string]any
		for _, ch := range root.children {
			v, ok, err := a.value(ch)
			if err != nil {
				return nil, fmt.Errorf("row %d: %w", len(rows), err)
			}
			if !ok {
				continue
			}
			if err := r.setMeta(ch.n.Name, v, &rescued); err != nil {
				return nil, fmt.Errorf("row %d: %w", len(rows), err)
			}
		}
		for ptr, v := range rescued {
			if err := setPointer(r.Data, ptr, v); err != nil {
				return nil, fmt.Errorf("row %d: %w", len(rows), err)
			}
		}
		rows = append(rows, r)
	}
	for c := range cols {
		if a.more(c) {
			return nil, fmt.Errorf("%w: column %v has more level entries than the first column", ErrCorrupt, cols[c].Path)
		}
	}
	return rows, nil
}

func checkColumn(c *parquet.ColumnData) error {
	if c.Leaf == nil {
		return fmt.Errorf("%w: column %v has no schema leaf", ErrCorrupt, c.Path)
	}
	if c.NumLevels < 0 || (c.MaxDef > 0 && len(c.DefLevels) < c.NumLevels) || (c.MaxRep > 0 && len(c.RepLevels) < c.NumLevels) {
		return fmt.Errorf("%w: column %v has fewer levels than NumLevels %d", ErrCorrupt, c.Path, c.NumLevels)
	}
	if c.Leaf.Type == parquet.ByteArray && len(c.Offsets) == 0 && c.NumLevels > 0 && c.MaxDef == 0 {
		return fmt.Errorf("%w: column %v has no offsets", ErrCorrupt, c.Path)
	}
	return nil
}

func (r *Row) setMeta(name string, v any, rescued *map[string]any) error {
	switch name {
	case ColOp:
		s, _ := v.(string)
		switch s {
		case "INSERT":
			r.Op = cdc.Insert
		case "UPDATE":
			r.Op = cdc.Update
		case "DELETE":
			r.Op = cdc.Delete
		default:
			return fmt.Errorf("%w: _op is %q", ErrCorrupt, s)
		}
	case ColLSN:
		r.LSN, _ = v.(int64)
	case ColProducer:
		r.Producer, _ = v.(string)
	case ColCommitTS:
		s, _ := v.(string)
		us, ok := parseTimestamp([]byte(s))
		if !ok {
			return fmt.Errorf("%w: _commit_ts is %v", ErrCorrupt, v)
		}
		r.CommitTime = time.UnixMicro(us).UTC()
	case ColRescued:
		m, ok := v.(map[string]any)
		if !ok {
			return fmt.Errorf("%w: _rescued is not an object", ErrCorrupt)
		}
		*rescued = m
	default:
		r.Data[name] = v
	}
	return nil
}

// setPointer puts v at the JSON Pointer ptr inside data.
func setPointer(data map[string]any, ptr string, v any) error {
	if !strings.HasPrefix(ptr, "/") {
		return fmt.Errorf("%w: rescued path %q is not a JSON Pointer", ErrCorrupt, ptr)
	}
	tokens := strings.Split(ptr[1:], "/")
	var cur any = data
	for i, tk := range tokens {
		tk = strings.ReplaceAll(strings.ReplaceAll(tk, "~1", "/"), "~0", "~")
		last := i == len(tokens)-1
		switch c := cur.(type) {
		case map[string]any:
			if last {
				c[tk] = v
				return nil
			}
			nx, ok := c[tk]
			if !ok || nx == nil {
				nx = map[string]any{}
				c[tk] = nx
			}
			cur = nx
		case []any:
			idx, err := strconv.Atoi(tk)
			if err != nil || idx < 0 || idx >= len(c) {
				return fmt.Errorf("%w: rescued path %q: no element %q", ErrCorrupt, ptr, tk)
			}
			if last {
				c[idx] = v
				return nil
			}
			if c[idx] == nil {
				c[idx] = map[string]any{}
			}
			cur = c[idx]
		default:
			return fmt.Errorf("%w: rescued path %q goes through a %T", ErrCorrupt, ptr, cur)
		}
	}
	return nil
}

// JSON returns the row's data as one JSON object.
func (r *Row) JSON() ([]byte, error) { return json.Marshal(r.Data) }
