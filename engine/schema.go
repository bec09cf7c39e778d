package engine

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/evodb/writer/engine/parquet"
)

// Type is the type of a column of a table, declared or inferred.
type Type uint8

// The column types. Inference produces Bool, Int64, Double, String,
// Timestamp, Object and List; Binary and JSON are only ever declared.
const (
	TypeUnknown   Type = iota
	TypeBool           // JSON true / false
	TypeInt64          // JSON integers in the int64 range
	TypeDouble         // JSON numbers, float64
	TypeString         // JSON strings, UTF-8
	TypeTimestamp      // RFC 3339 strings, kept as microseconds UTC
	TypeBinary         // JSON strings holding standard base64, kept as bytes
	TypeJSON           // any JSON value, kept as its JSON text
	TypeObject         // a JSON object: a Parquet group
	TypeList           // a JSON array: a Parquet LIST
)

var typeNames = [...]string{
	TypeUnknown: "unknown", TypeBool: "bool", TypeInt64: "int64", TypeDouble: "double",
	TypeString: "string", TypeTimestamp: "timestamp", TypeBinary: "binary", TypeJSON: "json",
	TypeObject: "object", TypeList: "list",
}

func (t Type) String() string {
	if int(t) < len(typeNames) {
		return typeNames[t]
	}
	return fmt.Sprintf("Type(%d)", uint8(t))
}

// Field declares one column of a table: Fields for an object, Elem for a
// list. Every user column is optional (nullable).
type Field struct {
	Name   string  `json:"name,omitempty"`
	Type   Type    `json:"-"`
	Fields []Field `json:"fields,omitempty"`  // TypeObject
	Elem   *Field  `json:"element,omitempty"` // TypeList; its Name is ignored
}

// Schema is a declared schema. Declared columns have their types fixed
// from the first block on; a value that does not fit goes to _rescued.
// Columns the schema does not declare are inferred from the data, unless
// Strict is set: then every value of an undeclared column goes to
// _rescued.
type Schema struct {
	Fields []Field
	Strict bool
}

// The metadata columns every block has, before the row's own columns, and
// the column of rescued values, after them.
const (
	ColOp       = "_op"
	ColLSN      = "_lsn"
	ColProducer = "_producer"
	ColCommitTS = "_commit_ts"
	ColRescued  = "_rescued"
)

func reservedName(name string) bool {
	switch strings.ToLower(name) {
	case ColOp, ColLSN, ColProducer, ColCommitTS, ColRescued:
		return true
	}
	return false
}

// ErrSchema wraps every problem found in a declared schema.
var ErrSchema = errors.New("invalid schema")

// The schema file is JSON:
//
//	{
//	  "strict": false,
//	  "fields": [
//	    {"name": "id", "type": "int64"},
//	    {"name": "price", "type": "double"},
//	    {"name": "at", "type": "timestamp"},
//	    {"name": "photo", "type": "binary"},
//	    {"name": "extra", "type": "json"},
//	    {"name": "address", "type": "object", "fields": [
//	      {"name": "city", "type": "string"}]},
//	    {"name": "tags", "type": "list", "element": {"type": "string"}}
//	  ]
//	}
//
// Types: bool, int64, double, string, timestamp, binary, json, object,
// list. Unknown members are an error, so a typo is not silently ignored.

type fieldJSON struct {
	Name    string      `json:"name"`
	Type    string      `json:"type"`
	Fields  []fieldJSON `json:"fields,omitempty"`
	Element *fieldJSON  `json:"element,omitempty"`
}

type schemaJSON struct {
	Strict bool        `json:"strict,omitempty"`
	Fields []fieldJSON `json:"fields"`
}

// ParseSchema reads a schema file (see the format above) and checks it.
func ParseSchema(data []byte) (*Schema, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var sj schemaJSON
	if err := dec.Decode(&sj); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSchema, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: data after the schema object", ErrSchema)
	}
	s := &Schema{Strict: sj.Strict}
	for i := range sj.Fields {
		f, err := fromJSON(&sj.Fields[i], "fields["+fmt.Sprint(i)+"]")
		if err != nil {
			return nil, err
		}
		s.Fields = append(s.Fields, f)
	}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return s, nil
}

func fromJSON(fj *fieldJSON, where string) (Field, error) {
	f := Field{Name: fj.Name}
	for t, n := range typeNames {
		if n == fj.Type && t != int(TypeUnknown) {
			f.Type = Type(t)
		}
	}
	if f.Type == TypeUnknown {
		return f, fmt.Errorf("%w: %s: type %q, want one of bool, int64, double, string, timestamp, binary, json, object, list", ErrSchema, where, fj.Type)
	}
	for i := range fj.Fields {
		c, err := fromJSON(&fj.Fields[i], fmt.Sprintf("%s.fields[%d]", where, i))
		if err != nil {
			return f, err
		}
		f.Fields = append(f.Fields, c)
	}
	if fj.Element != nil {
		e, err := fromJSON(fj.Element, where+".element")
		if err != nil {
			return f, err
		}
		f.Elem = &e
	}
	return f, nil
}

// MarshalJSON writes the schema in the file format ParseSchema reads.
func (s *Schema) MarshalJSON() ([]byte, error) {
	sj := schemaJSON{Strict: s.Strict, Fields: []fieldJSON{}}
	for i := range s.Fields {
		sj.Fields = append(sj.Fields, toJSON(&s.Fields[i]))
	}
	return json.Marshal(sj)
}

func toJSON(f *Field) fieldJSON {
	fj := fieldJSON{Name: f.Name, Type: f.Type.String()}
	for i := range f.Fields {
		fj.Fields = append(fj.Fields, toJSON(&f.Fields[i]))
	}
	if f.Elem != nil {
		e := toJSON(f.Elem)
		fj.Element = &e
	}
	return fj
}

// Validate checks names (non-empty, unique regardless of case within an
// object, none of the metadata names at the top) and that objects have
// fields and lists an element.
func (s *Schema) Validate() error {
	return validateFields(s.Fields, "", true, 1)
}

func validateFields(fs []Field, where string, top bool, depth int) error {
	if depth > maxDepthLimit {
		return fmt.Errorf("%w: %s: nested deeper than %d levels", ErrSchema, where, maxDepthLimit)
	}
	seen := map[string]bool{}
	for i := range fs {
		f := &fs[i]
		path := where + "/" + f.Name
		if f.Name == "" {
			return fmt.Errorf("%w: %s: field %d has no name", ErrSchema, where+"/", i)
		}
		if top && reservedName(f.Name) {
			return fmt.Errorf("%w: %s: the name is reserved for a metadata column", ErrSchema, path)
		}
		low := strings.ToLower(f.Name)
		if seen[low] {
			return fmt.Errorf("%w: %s: a field of that name (regardless of case) is declared twice", ErrSchema, path)
		}
		seen[low] = true
		if err := validateField(f, path, depth); err != nil {
			return err
		}
	}
	return nil
}

func validateField(f *Field, path string, depth int) error {
	if depth > maxDepthLimit {
		return fmt.Errorf("%w: %s: nested deeper than %d levels", ErrSchema, path, maxDepthLimit)
	}
	switch f.Type {
	case TypeObject:
		if len(f.Fields) == 0 {
			return fmt.Errorf("%w: %s: an object needs at least one field", ErrSchema, path)
		}
		if f.Elem != nil {
			return fmt.Errorf("%w: %s: an object has no element", ErrSchema, path)
		}
		return validateFields(f.Fields, path, false, depth+1)
	case TypeList:
		if f.Elem == nil {
			return fmt.Errorf("%w: %s: a list needs an element", ErrSchema, path)
		}
		if len(f.Fields) != 0 {
			return fmt.Errorf("%w: %s: a list has an element, not fields", ErrSchema, path)
		}
		return validateField(f.Elem, path+"/[]", depth+1)
	case TypeBool, TypeInt64, TypeDouble, TypeString, TypeTimestamp, TypeBinary, TypeJSON:
		if len(f.Fields) != 0 || f.Elem != nil {
			return fmt.Errorf("%w: %s: a %s column has no fields or element", ErrSchema, path, f.Type)
		}
		return nil
	}
	return fmt.Errorf("%w: %s: invalid type %v", ErrSchema, path, f.Type)
}

// node is one field of the shredder's schema tree.
type node struct {
	name     string
	typ      Type
	parent   *node
	children []*node // TypeObject
	elem     *node   // TypeList
	index    map[string]*node

	// Levels: def is the definition level when this field is present;
	// rep is the repetition level of its parent's context; listRep is, for
	// a list, the repetition level of its elements.
	def, rep, listRep uint8

	col    *column   // leaf columns
	leaves []*column // every leaf column under this node, in order

	fixed bool   // type established by a declaration or an earlier block
	seen  uint64 // object instance in which the field was last met (duplicate and missing detection)
	next  int    // for objects: the child predicted to come next
	// quoted: the name is written in JSON as it is (valid UTF-8, no
	// '"', '\\' or control byte), so a member name whose text equals it
	// is it (see nameAt). short: quoted, and the name and its closing
	// quote take at most 16 bytes, which head and tail hold (little
	// endian, bytes 0-7 and 8-15), headMask and tailMask the bytes of
	// them that hold them (tailMask 0 for a name of under eight bytes).
	quoted, short                  bool
	head, headMask, tail, tailMask uint64
	date                           dateCache // timestamp columns: the last date met

	// inference state of a field whose type is not fixed yet
	maxAbsInt uint64 // largest |v| of its integers
	notTime   bool   // a string that is not an RFC 3339 time was met
	strings   bool   // a string was met
}

func (n *node) child(name []byte) *node {
	if n.next < len(n.children) {
		if c := n.children[n.next]; c.name == string(name) {
			n.next++
			return c
		}
	}
	if len(n.children) <= 8 {
		for i, c := range n.children {
			if c.name == string(name) {
				n.next = i + 1
				return c
			}
		}
		return nil
	}
	if n.index == nil {
		n.index = make(map[string]*node, len(n.children))
		for _, c := range n.children {
			n.index[c.name] = c
		}
	}
	return n.index[string(name)]
}

// conflicts reports whether name equals an existing child's name regardless
// of case (column names are unique regardless of case in a table).
func (n *node) conflicts(name string) bool {
	for _, c := range n.children {
		if strings.EqualFold(c.name, name) {
			return true
		}
	}
	return false
}

func (n *node) addChild(c *node) {
	c.parent = n
	c.quoted = quotedAsIs(c.name)
	c.short = c.quoted && len(c.name) < 16
	if c.short {
		var b, m [16]byte
		k := copy(b[:], c.name+`"`)
		for j := range k {
			m[j] = 0xff
		}
		c.head, c.tail = binary.LittleEndian.Uint64(b[:8]), binary.LittleEndian.Uint64(b[8:])
		c.headMask, c.tailMask = binary.LittleEndian.Uint64(m[:8]), binary.LittleEndian.Uint64(m[8:])
	}
	n.children = append(n.children, c)
	if n.index != nil {
		n.index[c.name] = c
	}
}

// quotedAsIs reports whether name is written in a JSON string as it is:
// valid UTF-8 without '"', '\\' or control bytes.
func quotedAsIs(name string) bool {
	for i := 0; i < len(name); i++ {
		if c := name[i]; c < 0x20 || c == '"' || c == '\\' {
			return false
		}
	}
	return utf8.ValidString(name)
}

func newNode(name string, t Type) *node {
	n := &node{name: name, typ: t}
	if t == TypeList {
		n.elem = &node{name: "element", parent: n}
	}
	return n
}

func fromField(f *Field) *node {
	n := &node{name: f.Name, typ: f.Type, fixed: true}
	for i := range f.Fields {
		n.addChild(fromField(&f.Fields[i]))
	}
	if f.Elem != nil {
		n.elem = fromField(f.Elem)
		n.elem.name = "element"
		n.elem.parent = n
	}
	return n
}

// complete reports whether the subtree has a type everywhere and at least
// one leaf, so that it can become Parquet columns.
func (n *node) complete() bool {
	switch n.typ {
	case TypeUnknown:
		return false
	case TypeObject:
		for _, c := range n.children {
			if c.complete() {
				return true
			}
		}
		return false
	case TypeList:
		return n.elem.complete()
	}
	return true
}

// toField describes the node as a declared field.
func (n *node) toField() Field {
	f := Field{Name: n.name, Type: n.typ}
	for _, c := range n.children {
		if c.complete() {
			f.Fields = append(f.Fields, c.toField())
		}
	}
	if n.elem != nil {
		e := n.elem.toField()
		e.Name = ""
		f.Elem = &e
	}
	return f
}

// parquetNode builds the Parquet schema element of n (which must be
// complete).
func (n *node) parquetNode() *parquet.Node {
	p := &parquet.Node{Name: n.name, Repetition: parquet.Optional}
	switch n.typ {
	case TypeBool:
		p.Type = parquet.Boolean
	case TypeInt64:
		p.Type = parquet.Int64
	case TypeTimestamp:
		p.Type, p.Logical = parquet.Int64, parquet.TimestampMicros
	case TypeDouble:
		p.Type = parquet.Double
	case TypeString:
		p.Type, p.Logical = parquet.ByteArray, parquet.String
	case TypeBinary:
		p.Type = parquet.ByteArray
	case TypeJSON:
		p.Type, p.Logical = parquet.ByteArray, parquet.JSON
	case TypeObject:
		p.Children = []*parquet.Node{}
		for _, c := range n.children {
			if c.complete() {
				p.Children = append(p.Children, c.parquetNode())
			}
		}
	case TypeList:
		p.Logical = parquet.List
		p.Children = []*parquet.Node{{
			Name:       "list",
			Repetition: parquet.Repeated,
			Children:   []*parquet.Node{n.elem.parquetNode()},
		}}
	}
	return p
}
