package manifest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// Stats are the per-file statistics carried in add.stats. Values are
// nested by struct field as in the table schema; numbers keep their exact
// JSON text (json.Number).
type Stats struct {
	NumRecords int64          `json:"numRecords"`
	MinValues  map[string]any `json:"minValues,omitempty"`
	MaxValues  map[string]any `json:"maxValues,omitempty"`
	NullCount  map[string]any `json:"nullCount,omitempty"`
}

// String encodes the stats as the JSON string add.stats holds.
func (s Stats) String() string {
	b, err := json.Marshal(s)
	if err != nil {
		// Only values json cannot encode (channels, NaN) get here.
		return fmt.Sprintf(`{"numRecords":%d}`, s.NumRecords)
	}
	return string(b)
}

// EncodeStats encodes the stats, reporting values JSON cannot hold.
func EncodeStats(s Stats) (string, error) {
	b, err := json.Marshal(s)
	if err != nil {
		return "", fmt.Errorf("manifest: stats: %w", err)
	}
	return string(b), nil
}

// ParseStats decodes an add.stats string.
func ParseStats(text string) (*Stats, error) {
	d := json.NewDecoder(strings.NewReader(text))
	d.UseNumber()
	var s Stats
	if err := d.Decode(&s); err != nil {
		return nil, fmt.Errorf("manifest: stats %q: %w", truncate(text, 80), err)
	}
	if s.NumRecords < 0 {
		return nil, fmt.Errorf("manifest: stats: negative numRecords %d", s.NumRecords)
	}
	return &s, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// StructType is a table schema or a nested struct, in the JSON form the
// protocol stores in metaData.schemaString.
type StructType struct {
	Fields []StructField
}

// StructField is one column.
type StructField struct {
	Name     string         `json:"name"`
	Type     DataType       `json:"type"`
	Nullable bool           `json:"nullable"`
	Metadata map[string]any `json:"metadata"`
}

// ArrayType is a list of elements.
type ArrayType struct {
	ElementType  DataType
	ContainsNull bool
}

// MapType is a map.
type MapType struct {
	KeyType           DataType
	ValueType         DataType
	ValueContainsNull bool
}

// DataType is a column type: a primitive name ("long", "string",
// "timestamp", "decimal(10,2)", ...) or one of Struct, Array, Map.
type DataType struct {
	Primitive string
	Struct    *StructType
	Array     *ArrayType
	Map       *MapType
}

// Primitive types of the protocol.
var primitives = map[string]bool{
	"string": true, "long": true, "integer": true, "short": true, "byte": true,
	"float": true, "double": true, "boolean": true, "binary": true,
	"date": true, "timestamp": true, "timestamp_ntz": true,
}

var decimalRE = regexp.MustCompile(`^decimal\((\d{1,2}),\s*(\d{1,2})\)$`)

// Type builds a primitive DataType.
func Type(name string) DataType { return DataType{Primitive: name} }

// String returns the type as it would appear in a schema.
func (t DataType) String() string {
	b, err := json.Marshal(t)
	if err != nil {
		return "<invalid type>"
	}
	return string(b)
}

// MarshalJSON writes a primitive as a string and nested types as objects.
func (t DataType) MarshalJSON() ([]byte, error) {
	switch {
	case t.Struct != nil:
		return t.Struct.MarshalJSON()
	case t.Array != nil:
		return json.Marshal(struct {
			Type         string   `json:"type"`
			ElementType  DataType `json:"elementType"`
			ContainsNull bool     `json:"containsNull"`
		}{"array", t.Array.ElementType, t.Array.ContainsNull})
	case t.Map != nil:
		return json.Marshal(struct {
			Type              string   `json:"type"`
			KeyType           DataType `json:"keyType"`
			ValueType         DataType `json:"valueType"`
			ValueContainsNull bool     `json:"valueContainsNull"`
		}{"map", t.Map.KeyType, t.Map.ValueType, t.Map.ValueContainsNull})
	case t.Primitive != "":
		return json.Marshal(t.Primitive)
	}
	return nil, errors.New("manifest: empty data type")
}

// UnmarshalJSON reads any type form.
func (t *DataType) UnmarshalJSON(b []byte) error {
	*t = DataType{}
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		return json.Unmarshal(b, &t.Primitive)
	}
	var head struct {
		Type string `json:"type"`
	}
	if err := json.Unmarshal(b, &head); err != nil {
		return err
	}
	switch head.Type {
	case "struct":
		t.Struct = new(StructType)
		return t.Struct.UnmarshalJSON(b)
	case "array":
		var a struct {
			ElementType  *DataType `json:"elementType"`
			ContainsNull bool      `json:"containsNull"`
		}
		if err := json.Unmarshal(b, &a); err != nil {
			return err
		}
		if a.ElementType == nil {
			return errors.New("array type without elementType")
		}
		t.Array = &ArrayType{ElementType: *a.ElementType, ContainsNull: a.ContainsNull}
	case "map":
		var m struct {
			KeyType           *DataType `json:"keyType"`
			ValueType         *DataType `json:"valueType"`
			ValueContainsNull bool      `json:"valueContainsNull"`
		}
		if err := json.Unmarshal(b, &m); err != nil {
			return err
		}
		if m.KeyType == nil || m.ValueType == nil {
			return errors.New("map type without keyType or valueType")
		}
		t.Map = &MapType{KeyType: *m.KeyType, ValueType: *m.ValueType, ValueContainsNull: m.ValueContainsNull}
	default:
		return fmt.Errorf("unknown nested type %q", head.Type)
	}
	return nil
}

// MarshalJSON writes {"type":"struct","fields":[...]}.
func (s StructType) MarshalJSON() ([]byte, error) {
	fields := s.Fields
	if fields == nil {
		fields = []StructField{}
	}
	out := make([]StructField, len(fields))
	for i, f := range fields {
		if f.Metadata == nil {
			f.Metadata = map[string]any{}
		}
		out[i] = f
	}
	return json.Marshal(struct {
		Type   string        `json:"type"`
		Fields []StructField `json:"fields"`
	}{"struct", out})
}

// UnmarshalJSON reads a struct type.
func (s *StructType) UnmarshalJSON(b []byte) error {
	var v struct {
		Type   string        `json:"type"`
		Fields []StructField `json:"fields"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	if v.Type != "struct" {
		return fmt.Errorf("expected type \"struct\", got %q", v.Type)
	}
	s.Fields = v.Fields
	return nil
}

// Validate checks names (non-empty, unique regardless of case within each
// struct) and types.
func (s StructType) Validate() error { return s.validate("") }

func (s StructType) validate(path string) error {
	seen := make(map[string]string, len(s.Fields))
	for i, f := range s.Fields {
		if f.Name == "" {
			return fmt.Errorf("manifest: schema: field %d of %s has an empty name", i, orRoot(path))
		}
		low := strings.ToLower(f.Name)
		if prev, ok := seen[low]; ok {
			return fmt.Errorf("manifest: schema: fields %q and %q of %s differ only in case (column names are case-insensitive)", prev, f.Name, orRoot(path))
		}
		seen[low] = f.Name
		if err := f.Type.validate(join(path, f.Name)); err != nil {
			return err
		}
	}
	return nil
}

func (t DataType) validate(path string) error {
	n := 0
	for _, ok := range []bool{t.Primitive != "", t.Struct != nil, t.Array != nil, t.Map != nil} {
		if ok {
			n++
		}
	}
	if n != 1 {
		return fmt.Errorf("manifest: schema: column %s has no type or more than one", path)
	}
	switch {
	case t.Struct != nil:
		return t.Struct.validate(path)
	case t.Array != nil:
		return t.Array.ElementType.validate(path + "[]")
	case t.Map != nil:
		if err := t.Map.KeyType.validate(path + "{key}"); err != nil {
			return err
		}
		return t.Map.ValueType.validate(path + "{value}")
	}
	if primitives[t.Primitive] {
		return nil
	}
	if m := decimalRE.FindStringSubmatch(t.Primitive); m != nil {
		var p, s int
		fmt.Sscan(m[1], &p)
		fmt.Sscan(m[2], &s)
		if p >= 1 && p <= 38 && s <= p {
			return nil
		}
	}
	return fmt.Errorf("manifest: schema: column %s has unknown type %q", path, t.Primitive)
}

func orRoot(p string) string {
	if p == "" {
		return "the schema"
	}
	return p
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// SchemaString encodes the schema for metaData.schemaString.
func (s StructType) SchemaString() (string, error) {
	if err := s.Validate(); err != nil {
		return "", err
	}
	b, err := json.Marshal(s)
	if err != nil {
		return "", fmt.Errorf("manifest: schema: %w", err)
	}
	return string(b), nil
}

// ParseSchema decodes and validates a schemaString.
func ParseSchema(text string) (StructType, error) {
	var s StructType
	if err := json.Unmarshal([]byte(text), &s); err != nil {
		return StructType{}, fmt.Errorf("manifest: schemaString %q: %w", truncate(text, 80), err)
	}
	if err := s.Validate(); err != nil {
		return StructType{}, err
	}
	return s, nil
}

// CheckEvolution reports whether next only adds nullable columns to old
// (at the end of any struct), keeping every existing column's name, type
// and nullability: the schema changes that need no rewrite of files.
func CheckEvolution(old, next StructType) error { return checkEvolution(old, next, "") }

func checkEvolution(old, next StructType, path string) error {
	if len(next.Fields) < len(old.Fields) {
		return fmt.Errorf("manifest: schema change drops columns of %s (%d → %d)", orRoot(path), len(old.Fields), len(next.Fields))
	}
	for i, of := range old.Fields {
		nf := next.Fields[i]
		p := join(path, of.Name)
		if nf.Name != of.Name {
			return fmt.Errorf("manifest: schema change renames or reorders column %s (now %q)", p, nf.Name)
		}
		if nf.Nullable != of.Nullable {
			return fmt.Errorf("manifest: schema change alters the nullability of column %s", p)
		}
		if of.Type.Struct != nil && nf.Type.Struct != nil {
			if err := checkEvolution(*of.Type.Struct, *nf.Type.Struct, p); err != nil {
				return err
			}
			continue
		}
		if of.Type.String() != nf.Type.String() {
			return fmt.Errorf("manifest: schema change alters the type of column %s from %s to %s", p, of.Type, nf.Type)
		}
	}
	for _, nf := range next.Fields[len(old.Fields):] {
		if !nf.Nullable {
			return fmt.Errorf("manifest: added column %s must be nullable (older files have no values for it)", join(path, nf.Name))
		}
	}
	return nil
}
