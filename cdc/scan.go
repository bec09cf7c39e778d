package cdc

import (
	"bytes"
	"errors"

	"github.com/evodb/writer/internal/jsontext"
)

// Errors a JSON line can be rejected with; a *LineError wraps one of them
// with the line's number and the byte where the problem is.
var (
	ErrSyntax      = jsontext.ErrSyntax
	ErrInvalidUTF8 = jsontext.ErrInvalidUTF8
	ErrTooDeep     = jsontext.ErrTooDeep
	ErrLineTooLong = errors.New("line too long")
	ErrNotObject   = jsontext.ErrNotObject
	ErrEnvelope    = errors.New("invalid CDC envelope")
	// ErrDuplicateKey: an object names a member twice (only with
	// JSONOptions.UniqueKeys).
	ErrDuplicateKey = errors.New("duplicate key")
)

// scanner validates JSON in one pass over its bytes without building
// values. It checks the grammar of RFC 8259, UTF-8 in strings and a depth
// limit. Positions it reports are offsets into b.
type scanner struct {
	b        []byte
	i        int
	depth    int
	maxDepth int
	// record asks for the members of the outermost object in top.
	record bool
	// frame, with record, validates only the values of the outermost
	// object's envelope members other than "data"; the others are framed
	// (see skip).
	frame bool
	// tail, when frame is set, is the end of a "data" object that would
	// close just before the line's own closing brace (the line ends in
	// "}}", white space aside), or -1. A "data" member whose value starts
	// with '{' is taken to run to tail without being scanned: if anything
	// but its own object lies in that span, the line is invalid and the
	// shredder rejects the span (see FrameData).
	tail int
	top  members
	// unique refuses an object that names a member twice (comparing the
	// names unescaped), as the shredder does; keys holds the member names
	// of the objects being scanned, innermost last.
	unique bool
	keys   []keySpan
}

// keySpan is a member name in the scanner's bytes, escapes kept.
type keySpan struct {
	start, end int
	escaped    bool
}

// smallObject is the most members an object's names are compared one by
// one; a larger object uses a set.
const smallObject = 16

// checkKey returns an error if the member name at [ks, ke) appeared before
// in the object whose names start at keys[base]; set, once made (past
// smallObject members), holds them all.
func (s *scanner) checkKey(base, ks, ke int, set map[string]struct{}) (map[string]struct{}, error) {
	key := s.b[ks:ke]
	esc := bytes.IndexByte(key, '\\') >= 0
	name := func(k keySpan) string {
		if k.escaped {
			return unescape(s.b[k.start:k.end])
		}
		return string(s.b[k.start:k.end])
	}
	dup := func() error {
		return jsontext.Errorf(ErrDuplicateKey, ks-1, "%q", name(keySpan{ks, ke, esc}))
	}
	if set != nil {
		n := name(keySpan{ks, ke, esc})
		if _, ok := set[n]; ok {
			return set, dup()
		}
		set[n] = struct{}{}
		return set, nil
	}
	prev := s.keys[base:]
	for _, k := range prev {
		if !esc && !k.escaped {
			if string(s.b[k.start:k.end]) == string(key) {
				return nil, dup()
			}
		} else if name(k) == name(keySpan{ks, ke, esc}) {
			return nil, dup()
		}
	}
	s.keys = append(s.keys, keySpan{ks, ke, esc})
	if len(prev)+1 > smallObject {
		set = make(map[string]struct{}, 2*smallObject)
		for _, k := range s.keys[base:] {
			set[name(k)] = struct{}{}
		}
	}
	return set, nil
}

// members records which envelope members the outermost object of a line
// has and where their values are.
type members struct {
	seen  int       // set of member bits (memberOp, ...)
	spans [6][2]int // value span of each known member, by bit index
	other []byte    // raw name of the first member that is not an envelope member
	dup   []byte    // raw name of the first known member that appears twice
}

// keyBit is the member bit index of a raw member name (see memberBit).
func keyBit(key []byte, escaped bool) int {
	if escaped {
		return memberBit(unescape(key))
	}
	return memberBit(string(key))
}

func (m *members) add(key []byte, bit int, start, end int) {
	switch {
	case bit < 0:
		if m.seen&memberOther == 0 {
			m.other = key
		}
		m.seen |= memberOther
	case m.seen&(1<<bit) != 0:
		if m.dup == nil {
			m.dup = key
		}
	default:
		m.seen |= 1 << bit
		m.spans[bit] = [2]int{start, end}
	}
}

func (s *scanner) fail(err error, format string, args ...any) error {
	return jsontext.Errorf(err, s.i, format, args...)
}

func (s *scanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// describe names the byte at the scanner's position for error messages.
func (s *scanner) describe() string { return jsontext.Describe(s.b, s.i) }

// value validates one JSON value starting at the scanner's position (after
// optional white space) and leaves the position just past it.
func (s *scanner) value() error {
	s.ws()
	if s.i >= len(s.b) {
		return s.fail(ErrSyntax, "unexpected end of input, want a value")
	}
	switch c := s.b[s.i]; {
	case c == '{':
		return s.object()
	case c == '[':
		return s.array()
	case c == '"':
		_, _, err := s.str()
		return err
	case c == '-' || (c >= '0' && c <= '9'):
		return s.number()
	case c == 't':
		return s.literal("true")
	case c == 'f':
		return s.literal("false")
	case c == 'n':
		return s.literal("null")
	case c == 'N' || c == 'I':
		return s.fail(ErrSyntax, "NaN and Infinity are not JSON numbers")
	default:
		return s.fail(ErrSyntax, "%s, want a value", s.describe())
	}
}

func (s *scanner) literal(word string) error {
	if len(s.b)-s.i < len(word) || string(s.b[s.i:s.i+len(word)]) != word {
		return s.fail(ErrSyntax, "%s, want %q", s.describe(), word)
	}
	s.i += len(word)
	return nil
}

func (s *scanner) enter() error {
	s.depth++
	if s.depth > s.maxDepth {
		return s.fail(ErrTooDeep, "more than %d levels", s.maxDepth)
	}
	return nil
}

// object validates an object. When it is the outermost one and s.record is
// set, its members are recorded in s.top.
func (s *scanner) object() error {
	if err := s.enter(); err != nil {
		return err
	}
	s.i++ // '{'
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == '}' {
		s.i++
		s.depth--
		return nil
	}
	base := len(s.keys)
	var set map[string]struct{}
	for {
		s.ws()
		if s.i >= len(s.b) || s.b[s.i] != '"' {
			return s.fail(ErrSyntax, "%s, want a member name", s.describe())
		}
		ks, ke, err := s.str()
		if err != nil {
			return err
		}
		if s.unique {
			if set, err = s.checkKey(base, ks, ke, set); err != nil {
				return err
			}
		}
		s.ws()
		if s.i >= len(s.b) || s.b[s.i] != ':' {
			return s.fail(ErrSyntax, "%s, want ':' after a member name", s.describe())
		}
		s.i++
		s.ws()
		vs := s.i
		if !s.record || s.depth != 1 {
			if err := s.value(); err != nil {
				return err
			}
		} else {
			bit := keyBit(s.b[ks:ke], bytes.IndexByte(s.b[ks:ke], '\\') >= 0)
			var err error
			switch {
			case s.frame && bit == 2 && s.tail > s.i && s.b[s.i] == '{':
				s.i = s.tail
			case s.frame && (bit < 0 || bit == 2):
				err = s.skip()
			default:
				err = s.value()
			}
			if err != nil {
				return err
			}
			s.top.add(s.b[ks:ke], bit, vs, s.i)
		}
		s.ws()
		if s.i >= len(s.b) {
			return s.fail(ErrSyntax, "unexpected end of input in an object")
		}
		switch s.b[s.i] {
		case ',':
			s.i++
		case '}':
			s.i++
			s.depth--
			s.keys = s.keys[:base]
			return nil
		default:
			return s.fail(ErrSyntax, "%s, want ',' or '}'", s.describe())
		}
	}
}

// skipClass marks the bytes skip looks at outside strings: 1 for '"', 2
// for '{' and '[', 3 for '}' and ']'.
var skipClass = func() (c [256]uint8) {
	c['"'] = 1
	c['{'], c['['] = 2, 2
	c['}'], c[']'] = 3, 3
	return c
}()

// skip moves past the value at the scanner's position without validating
// it: it matches strings (up to a quote no backslash escapes) and brackets
// (counting them, not checking their kinds) and checks the depth limit.
// The value's text is left for the shredder to validate. A scalar runs to
// the next ',', '}', ']' or white space.
func (s *scanner) skip() error {
	s.ws()
	b := s.b
	if s.i >= len(b) {
		return s.fail(ErrSyntax, "unexpected end of input, want a value")
	}
	switch b[s.i] {
	case '"':
		end := jsontext.SkipString(b, s.i)
		if end < 0 {
			s.i = len(b)
			return s.fail(ErrSyntax, "unexpected end of input in a string")
		}
		s.i = end + 1
		return nil
	case '{', '[':
	default:
		start := s.i
		for s.i < len(b) {
			switch b[s.i] {
			case ',', '}', ']', ' ', '\t', '\n', '\r':
			default:
				s.i++
				continue
			}
			break
		}
		if s.i == start {
			return s.fail(ErrSyntax, "%s, want a value", s.describe())
		}
		return nil
	}
	depth := s.depth
	for s.i < len(b) {
		switch skipClass[b[s.i]] {
		case 0:
			s.i++
		case 1:
			end := jsontext.SkipString(b, s.i)
			if end < 0 {
				s.i = len(b)
				return s.fail(ErrSyntax, "unexpected end of input in a string")
			}
			s.i = end + 1
		case 2:
			if s.depth++; s.depth > s.maxDepth {
				return s.fail(ErrTooDeep, "more than %d levels", s.maxDepth)
			}
			s.i++
		case 3:
			s.depth--
			s.i++
			if s.depth == depth {
				return nil
			}
		}
	}
	return s.fail(ErrSyntax, "unexpected end of input in a %s", "nested value")
}

func (s *scanner) array() error {
	if err := s.enter(); err != nil {
		return err
	}
	s.i++ // '['
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == ']' {
		s.i++
		s.depth--
		return nil
	}
	for {
		if err := s.value(); err != nil {
			return err
		}
		s.ws()
		if s.i >= len(s.b) {
			return s.fail(ErrSyntax, "unexpected end of input in an array")
		}
		switch s.b[s.i] {
		case ',':
			s.i++
		case ']':
			s.i++
			s.depth--
			return nil
		default:
			return s.fail(ErrSyntax, "%s, want ',' or ']'", s.describe())
		}
	}
}

// str validates a string at the scanner's position (on its opening quote)
// and returns the span of its contents, escapes kept.
func (s *scanner) str() (start, end int, err error) {
	start = s.i + 1
	if end = jsontext.ShortString(s.b, s.i); end >= 0 {
		s.i = end + 1
		return start, end, nil
	}
	end, _, err = jsontext.ScanString(s.b, s.i)
	if err != nil {
		return 0, 0, err
	}
	s.i = end + 1
	return start, end, nil
}

func (s *scanner) digits() int {
	n := 0
	for s.i < len(s.b) && s.b[s.i] >= '0' && s.b[s.i] <= '9' {
		s.i++
		n++
	}
	return n
}

func (s *scanner) number() error {
	if s.b[s.i] == '-' {
		s.i++
		if s.i < len(s.b) && (s.b[s.i] == 'I' || s.b[s.i] == 'N') {
			return s.fail(ErrSyntax, "NaN and Infinity are not JSON numbers")
		}
	}
	if s.i >= len(s.b) {
		return s.fail(ErrSyntax, "unexpected end of input in a number")
	}
	if s.b[s.i] == '0' {
		s.i++
	} else if s.digits() == 0 {
		return s.fail(ErrSyntax, "%s in a number", s.describe())
	}
	if s.i < len(s.b) && s.b[s.i] == '.' {
		s.i++
		if s.digits() == 0 {
			return s.fail(ErrSyntax, "%s, want a digit after '.'", s.describe())
		}
	}
	if s.i < len(s.b) && (s.b[s.i] == 'e' || s.b[s.i] == 'E') {
		s.i++
		if s.i < len(s.b) && (s.b[s.i] == '+' || s.b[s.i] == '-') {
			s.i++
		}
		if s.digits() == 0 {
			return s.fail(ErrSyntax, "%s, want a digit in the exponent", s.describe())
		}
	}
	return nil
}

// unescape decodes the contents of a JSON string (escapes kept, as str
// returns them) that the scanner has already validated.
func unescape(raw []byte) string { return string(jsontext.AppendUnescaped(nil, raw)) }
