package engine

import (
	"github.com/evodb/writer/cdc"
)

// infer learns the schema of entries (the rest of a batch, from index
// first) in one pass: it adds the columns their rows need and settles the
// types of columns this batch introduces. It builds no values. Rows that
// are not valid JSON objects are left out; the shredding pass reports them.
func (s *Shredder) infer(entries []cdc.Entry, first int) {
	var created []*node
	for i := range entries {
		e := &entries[i]
		if e.Table != s.table || !e.Op.Valid() || len(e.Data) > s.maxRow {
			continue
		}
		// Validate first, so the walk below can trust the grammar.
		s.t = tok{b: e.Data, maxDepth: s.maxDepth, keys: s.t.keys[:0]}
		s.t.ws()
		if s.t.i >= len(e.Data) || e.Data[s.t.i] != '{' {
			continue
		}
		if _, err := s.t.skip(); err != nil {
			continue
		}
		s.t = tok{b: e.Data, maxDepth: s.maxDepth, keys: s.t.keys[:0]}
		s.t.ws()
		s.inferValue(s.root, &created)
	}
	// A string column the batch introduced, all of whose strings are
	// RFC 3339 times, is a timestamp column.
	for _, n := range created {
		settle(n)
	}
}

func settle(n *node) {
	if !n.fixed && n.typ == TypeString && n.strings && !n.notTime {
		n.typ = TypeTimestamp
	}
	for _, c := range n.children {
		settle(c)
	}
	if n.elem != nil {
		settle(n.elem)
	}
}

// inferValue walks the (valid) value at the position as a value of n.
func (s *Shredder) inferValue(n *node, created *[]*node) {
	t := &s.t
	t.ws()
	start := t.i
	c := t.b[t.i]
	if n.typ == TypeUnknown {
		// An element of a new list: the first value with a type types it.
		save := t.i
		leaf, _ := t.skip()
		if !leaf {
			return
		}
		t.i = save
		n.typ = kindOf(t.b[start:])
		if n.typ == TypeList {
			n.elem = &node{name: "element", parent: n}
		}
	}
	switch {
	case c == '{' && n.typ == TypeObject:
		s.inferObject(n, created)
	case c == '[' && n.typ == TypeList:
		t.i++
		t.ws()
		if t.b[t.i] == ']' {
			t.i++
			return
		}
		for {
			s.inferValue(n.elem, created)
			t.ws()
			if t.b[t.i] == ',' {
				t.i++
				continue
			}
			t.i++ // ']'
			return
		}
	case c == '"':
		ks, ke, esc, _ := t.str()
		if n.fixed || n.typ != TypeString {
			return
		}
		n.strings = true
		if !n.notTime {
			raw := t.b[ks:ke]
			if esc {
				s.scratch = appendUnescaped(s.scratch[:0], raw)
				raw = s.scratch
			}
			if _, ok := parseTimestamp(raw); !ok {
				n.notTime = true
			}
		}
	case c == '-' || (c >= '0' && c <= '9'):
		ns, isInt, _ := t.number()
		if n.fixed {
			return
		}
		num := t.b[ns:t.i]
		if isInt {
			if v, ok := parseInt(num); ok && n.typ == TypeInt64 {
				u := uint64(v)
				if v < 0 {
					u = -u
				}
				n.maxAbsInt = max(n.maxAbsInt, u)
			}
			return
		}
		if n.typ == TypeInt64 && n.maxAbsInt <= 1<<53 {
			if _, ok := parseFloat(num); ok {
				n.typ = TypeDouble
			}
		}
	default:
		t.skip()
	}
}

// kindOf is the type a value (that has a typed leaf) gives a new column.
func kindOf(v []byte) Type {
	switch c := v[0]; {
	case c == '{':
		return TypeObject
	case c == '[':
		return TypeList
	case c == '"':
		return TypeString
	case c == 't' || c == 'f':
		return TypeBool
	default:
		t := tok{b: v}
		_, isInt, _ := t.number()
		if isInt {
			return TypeInt64
		}
		return TypeDouble
	}
}

func (s *Shredder) inferObject(n *node, created *[]*node) {
	t := &s.t
	t.i++ // '{'
	t.ws()
	if t.b[t.i] == '}' {
		t.i++
		return
	}
	for {
		t.ws()
		ks, ke, esc, _ := t.str()
		t.ws()
		t.i++ // ':'
		t.ws()
		key := t.b[ks:ke]
		if esc {
			s.scratch = appendUnescaped(s.scratch[:0], key)
			key = s.scratch
		}
		c := n.child(key)
		if c == nil && s.creatable(n, string(key)) {
			save := t.i
			leaf, _ := t.skip()
			t.i = save
			if leaf {
				c = newNode(string(key), kindOf(t.b[t.i:]))
				n.addChild(c)
				*created = append(*created, c)
			}
		}
		if c != nil {
			s.inferValue(c, created)
		} else {
			t.skip()
		}
		t.ws()
		if t.b[t.i] == ',' {
			t.i++
			continue
		}
		t.i++ // '}'
		return
	}
}
