package parquet

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// The Thrift compact protocol, written by hand for the few structures a
// Parquet footer and page header need. Encoding appends to a byte slice;
// decoding reads from a byte slice with every length and count checked
// against the bytes left, a cap on nesting, and unknown fields skipped.

// Compact protocol type ids.
const (
	tStop   = 0
	tTrue   = 1
	tFalse  = 2
	tByte   = 3
	tI16    = 4
	tI32    = 5
	tI64    = 6
	tDouble = 7
	tBinary = 8
	tList   = 9
	tSet    = 10
	tMap    = 11
	tStruct = 12
)

// maxThriftDepth bounds struct and container nesting while decoding.
const maxThriftDepth = 32

// errThrift is wrapped by every decoding error.
var errThrift = errors.New("thrift")

// tWriter appends compact-protocol fields to buf. last is the id of the
// previous field of the struct being written; structBegin returns the
// outer struct's last id, which structEnd restores.
type tWriter struct {
	buf  []byte
	last int16
}

func (w *tWriter) uvarint(v uint64) { w.buf = binary.AppendUvarint(w.buf, v) }

func zigzag64(v int64) uint64 { return uint64(v<<1) ^ uint64(v>>63) }

func (w *tWriter) fieldHeader(id int16, typ byte) {
	if d := id - w.last; d > 0 && d <= 15 {
		w.buf = append(w.buf, byte(d)<<4|typ)
	} else {
		w.buf = append(w.buf, typ)
		w.uvarint(zigzag64(int64(id)))
	}
	w.last = id
}

func (w *tWriter) i32(id int16, v int32) {
	w.fieldHeader(id, tI32)
	w.uvarint(zigzag64(int64(v)))
}

func (w *tWriter) i64(id int16, v int64) {
	w.fieldHeader(id, tI64)
	w.uvarint(zigzag64(v))
}

func (w *tWriter) boolean(id int16, v bool) {
	if v {
		w.fieldHeader(id, tTrue)
	} else {
		w.fieldHeader(id, tFalse)
	}
}

func (w *tWriter) binary(id int16, v []byte) {
	w.fieldHeader(id, tBinary)
	w.uvarint(uint64(len(v)))
	w.buf = append(w.buf, v...)
}

func (w *tWriter) str(id int16, v string) {
	w.fieldHeader(id, tBinary)
	w.uvarint(uint64(len(v)))
	w.buf = append(w.buf, v...)
}

// structBegin starts a nested struct field; pass its result to structEnd.
func (w *tWriter) structBegin(id int16) int16 {
	w.fieldHeader(id, tStruct)
	outer := w.last
	w.last = 0
	return outer
}

// elemBegin starts a struct that is a list element.
func (w *tWriter) elemBegin() int16 {
	outer := w.last
	w.last = 0
	return outer
}

// structEnd writes the stop byte and restores the outer struct's last id.
func (w *tWriter) structEnd(outer int16) {
	w.buf = append(w.buf, tStop)
	w.last = outer
}

// listBegin writes a list field header for n elements of type elem.
func (w *tWriter) listBegin(id int16, elem byte, n int) {
	w.fieldHeader(id, tList)
	if n < 15 {
		w.buf = append(w.buf, byte(n)<<4|elem)
	} else {
		w.buf = append(w.buf, 0xF0|elem)
		w.uvarint(uint64(n))
	}
}

func (w *tWriter) listI32Elem(v int32) { w.uvarint(zigzag64(int64(v))) }

func (w *tWriter) listBinaryElem(v string) {
	w.uvarint(uint64(len(v)))
	w.buf = append(w.buf, v...)
}

// tReader decodes compact-protocol values from b.
type tReader struct {
	b     []byte
	pos   int
	depth int
}

func (r *tReader) fail(format string, args ...any) error {
	return fmt.Errorf("%w: at byte %d: %s", errThrift, r.pos, fmt.Sprintf(format, args...))
}

func (r *tReader) byte1() (byte, error) {
	if r.pos >= len(r.b) {
		return 0, r.fail("unexpected end of input")
	}
	c := r.b[r.pos]
	r.pos++
	return c, nil
}

func (r *tReader) uvarint() (uint64, error) {
	var v uint64
	for shift := uint(0); shift < 70; shift += 7 {
		c, err := r.byte1()
		if err != nil {
			return 0, err
		}
		if shift == 63 && c > 1 {
			return 0, r.fail("varint overflows 64 bits")
		}
		v |= uint64(c&0x7f) << shift
		if c < 0x80 {
			return v, nil
		}
	}
	return 0, r.fail("varint too long")
}

func (r *tReader) varint() (int64, error) {
	u, err := r.uvarint()
	return int64(u>>1) ^ -int64(u&1), err
}

func (r *tReader) readI32() (int32, error) {
	v, err := r.varint()
	if err != nil {
		return 0, err
	}
	if v < math.MinInt32 || v > math.MaxInt32 {
		return 0, r.fail("i32 value %d out of range", v)
	}
	return int32(v), nil
}

func (r *tReader) readI16() (int16, error) {
	v, err := r.varint()
	if err != nil {
		return 0, err
	}
	if v < math.MinInt16 || v > math.MaxInt16 {
		return 0, r.fail("i16 value %d out of range", v)
	}
	return int16(v), nil
}

// readBinary returns a slice of the input (not a copy).
func (r *tReader) readBinary() ([]byte, error) {
	n, err := r.uvarint()
	if err != nil {
		return nil, err
	}
	if n > uint64(len(r.b)-r.pos) {
		return nil, r.fail("binary length %d exceeds the %d bytes left", n, len(r.b)-r.pos)
	}
	v := r.b[r.pos : r.pos+int(n)]
	r.pos += int(n)
	return v, nil
}

func (r *tReader) readString() (string, error) {
	b, err := r.readBinary()
	return string(b), err
}

// field reads a field header. It returns typ tStop at the end of a struct.
// boolean fields carry their value in the type (tTrue / tFalse).
func (r *tReader) field(last *int16) (id int16, typ byte, err error) {
	c, err := r.byte1()
	if err != nil {
		return 0, 0, err
	}
	typ = c & 0x0f
	if typ == tStop {
		return 0, tStop, nil
	}
	if d := int16(c >> 4); d != 0 {
		id = *last + d
	} else {
		if id, err = r.readI16(); err != nil {
			return 0, 0, err
		}
	}
	*last = id
	return id, typ, nil
}

// listHeader reads a list or set header and checks that n elements can fit
// in the bytes left (every element takes at least one byte, except booleans
// which the writer of a list encodes as one byte each too).
func (r *tReader) listHeader() (elem byte, n int, err error) {
	c, err := r.byte1()
	if err != nil {
		return 0, 0, err
	}
	elem = c & 0x0f
	size := uint64(c >> 4)
	if size == 15 {
		if size, err = r.uvarint(); err != nil {
			return 0, 0, err
		}
	}
	if size > uint64(len(r.b)-r.pos) {
		return 0, 0, r.fail("list of %d elements exceeds the %d bytes left", size, len(r.b)-r.pos)
	}
	return elem, int(size), nil
}

func (r *tReader) enter() error {
	r.depth++
	if r.depth > maxThriftDepth {
		return r.fail("nesting deeper than %d", maxThriftDepth)
	}
	return nil
}

func (r *tReader) leave() { r.depth-- }

// skip skips one value of type typ.
func (r *tReader) skip(typ byte) error {
	switch typ {
	case tTrue, tFalse:
		return nil
	case tByte:
		_, err := r.byte1()
		return err
	case tI16, tI32, tI64:
		_, err := r.uvarint()
		return err
	case tDouble:
		if len(r.b)-r.pos < 8 {
			return r.fail("unexpected end of input in double")
		}
		r.pos += 8
		return nil
	case tBinary:
		_, err := r.readBinary()
		return err
	case tList, tSet:
		if err := r.enter(); err != nil {
			return err
		}
		defer r.leave()
		elem, n, err := r.listHeader()
		if err != nil {
			return err
		}
		for range n {
			if elem == tTrue || elem == tFalse {
				// booleans in containers take one byte each
				if _, err := r.byte1(); err != nil {
					return err
				}
				continue
			}
			if err := r.skip(elem); err != nil {
				return err
			}
		}
		return nil
	case tMap:
		if err := r.enter(); err != nil {
			return err
		}
		defer r.leave()
		n, err := r.uvarint()
		if err != nil {
			return err
		}
		if n == 0 {
			return nil
		}
		if n > uint64(len(r.b)-r.pos) {
			return r.fail("map of %d entries exceeds the %d bytes left", n, len(r.b)-r.pos)
		}
		kv, err := r.byte1()
		if err != nil {
			return err
		}
		for range n {
			for _, t := range [2]byte{kv >> 4, kv & 0x0f} {
				if t == tTrue || t == tFalse {
					if _, err := r.byte1(); err != nil {
						return err
					}
				} else if err := r.skip(t); err != nil {
					return err
				}
			}
		}
		return nil
	case tStruct:
		return r.readStruct(func(int16, byte) (bool, error) { return false, nil })
	}
	return r.fail("unknown field type %d", typ)
}

// readStruct reads the fields of a struct, calling fn for each; fn returns
// false for a field it did not consume, which is then skipped.
func (r *tReader) readStruct(fn func(id int16, typ byte) (bool, error)) error {
	if err := r.enter(); err != nil {
		return err
	}
	defer r.leave()
	var last int16
	for {
		id, typ, err := r.field(&last)
		if err != nil {
			return err
		}
		if typ == tStop {
			return nil
		}
		ok, err := fn(id, typ)
		if err != nil {
			return err
		}
		if !ok {
			if err := r.skip(typ); err != nil {
				return err
			}
		}
	}
}

// want checks a field's wire type.
func (r *tReader) want(id int16, typ, want byte) error {
	if typ == want || (want == tTrue && typ == tFalse) {
		return nil
	}
	return r.fail("field %d has type %d, want %d", id, typ, want)
}

func (r *tReader) fieldI32(id int16, typ byte) (int32, error) {
	if err := r.want(id, typ, tI32); err != nil {
		return 0, err
	}
	return r.readI32()
}

func (r *tReader) fieldI64(id int16, typ byte) (int64, error) {
	if err := r.want(id, typ, tI64); err != nil {
		return 0, err
	}
	return r.varint()
}

func (r *tReader) fieldBinary(id int16, typ byte) ([]byte, error) {
	if err := r.want(id, typ, tBinary); err != nil {
		return nil, err
	}
	return r.readBinary()
}

func (r *tReader) fieldBool(id int16, typ byte) (bool, error) {
	if err := r.want(id, typ, tTrue); err != nil {
		return false, err
	}
	return typ == tTrue, nil
}

// listOf reads a list field whose elements have type elem, calling fn once
// per element.
func (r *tReader) listOf(id int16, typ, elem byte, fn func(i int) error) error {
	if err := r.want(id, typ, tList); err != nil {
		return err
	}
	if err := r.enter(); err != nil {
		return err
	}
	defer r.leave()
	got, n, err := r.listHeader()
	if err != nil {
		return err
	}
	if got != elem {
		return r.fail("field %d: list of type %d, want %d", id, got, elem)
	}
	for i := range n {
		if err := fn(i); err != nil {
			return err
		}
	}
	return nil
}
