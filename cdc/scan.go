package cdc

import (
	"encoding/binary"
	"errors"
	"fmt"
	"unicode/utf8"
)

// Errors a JSON line can be rejected with; a *LineError wraps one of them
// with the line's number and the byte where the problem is.
var (
	ErrSyntax      = errors.New("invalid JSON")
	ErrInvalidUTF8 = errors.New("invalid UTF-8")
	ErrTooDeep     = errors.New("JSON nested too deeply")
	ErrLineTooLong = errors.New("line too long")
	ErrNotObject   = errors.New("line is not a JSON object")
	ErrEnvelope    = errors.New("invalid CDC envelope")
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
	top    members
}

// members records which envelope members the outermost object of a line
// has and where their values are.
type members struct {
	seen  int       // set of member bits (memberOp, ...)
	spans [6][2]int // value span of each known member, by bit index
	other []byte    // raw name of the first member that is not an envelope member
	dup   []byte    // raw name of the first known member that appears twice
}

func (m *members) add(key []byte, escaped bool, start, end int) {
	var bit int
	if escaped {
		bit = memberBit(unescape(key))
	} else {
		bit = memberBit(string(key))
	}
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

// syntaxError describes a problem at an offset of the scanned bytes.
type syntaxError struct {
	err    error
	offset int
	msg    string
}

func (e *syntaxError) Error() string {
	return fmt.Sprintf("%v at byte %d: %s", e.err, e.offset, e.msg)
}

func (e *syntaxError) Unwrap() error { return e.err }

func (s *scanner) fail(err error, format string, args ...any) error {
	return &syntaxError{err: err, offset: s.i, msg: fmt.Sprintf(format, args...)}
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
func (s *scanner) describe() string {
	if s.i >= len(s.b) {
		return "unexpected end of input"
	}
	c := s.b[s.i]
	if c < 0x20 || c >= 0x7f {
		return fmt.Sprintf("unexpected byte 0x%02x", c)
	}
	return fmt.Sprintf("unexpected character %q", c)
}

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
	for {
		s.ws()
		if s.i >= len(s.b) || s.b[s.i] != '"' {
			return s.fail(ErrSyntax, "%s, want a member name", s.describe())
		}
		ks, ke, err := s.str()
		if err != nil {
			return err
		}
		escaped := false
		for _, c := range s.b[ks:ke] {
			if c == '\\' {
				escaped = true
				break
			}
		}
		s.ws()
		if s.i >= len(s.b) || s.b[s.i] != ':' {
			return s.fail(ErrSyntax, "%s, want ':' after a member name", s.describe())
		}
		s.i++
		s.ws()
		vs := s.i
		if err := s.value(); err != nil {
			return err
		}
		if s.record && s.depth == 1 {
			s.top.add(s.b[ks:ke], escaped, vs, s.i)
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
			return nil
		default:
			return s.fail(ErrSyntax, "%s, want ',' or '}'", s.describe())
		}
	}
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
	s.i++ // opening quote
	start = s.i
	b := s.b
	for s.i < len(b) {
		// Eight plain ASCII bytes at a time.
		for s.i+8 <= len(b) && plain8(binary.LittleEndian.Uint64(b[s.i:])) {
			s.i += 8
		}
		if s.i >= len(b) {
			break
		}
		c := b[s.i]
		switch {
		case c == '"':
			end = s.i
			s.i++
			return start, end, nil
		case c == '\\':
			if s.i+1 >= len(b) {
				return 0, 0, s.fail(ErrSyntax, "unexpected end of input in an escape")
			}
			switch b[s.i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				s.i += 2
			case 'u':
				if len(b)-s.i < 6 || !isHex(b[s.i+2]) || !isHex(b[s.i+3]) || !isHex(b[s.i+4]) || !isHex(b[s.i+5]) {
					return 0, 0, s.fail(ErrSyntax, "invalid \\u escape")
				}
				s.i += 6
			default:
				s.i++
				return 0, 0, s.fail(ErrSyntax, "invalid escape %s", s.describe())
			}
		case c < 0x20:
			return 0, 0, s.fail(ErrSyntax, "control byte 0x%02x in a string", c)
		case c < utf8.RuneSelf:
			s.i++
		default:
			r, size := utf8.DecodeRune(b[s.i:])
			if r == utf8.RuneError && size <= 1 {
				return 0, 0, s.fail(ErrInvalidUTF8, "byte 0x%02x in a string", c)
			}
			s.i += size
		}
	}
	return 0, 0, s.fail(ErrSyntax, "unexpected end of input in a string")
}

// plain8 reports whether none of the eight bytes of x needs a look of its
// own in a string: no '"', no '\\', no control byte, no byte >= 0x80.
func plain8(x uint64) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	q := x ^ (ones * '"')
	bs := x ^ (ones * '\\')
	return ((q-ones)&^q|(bs-ones)&^bs|(x-ones*0x20)&^x|x)&highs == 0
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c|0x20 >= 'a' && c|0x20 <= 'f')
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
func unescape(raw []byte) string {
	out := make([]byte, 0, len(raw))
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c != '\\' {
			out = append(out, c)
			continue
		}
		i++
		switch raw[i] {
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r := rune(hexVal(raw[i+1])<<12 | hexVal(raw[i+2])<<8 | hexVal(raw[i+3])<<4 | hexVal(raw[i+4]))
			i += 4
			if r >= 0xd800 && r < 0xdc00 && i+6 < len(raw) && raw[i+1] == '\\' && raw[i+2] == 'u' {
				lo := rune(hexVal(raw[i+3])<<12 | hexVal(raw[i+4])<<8 | hexVal(raw[i+5])<<4 | hexVal(raw[i+6]))
				if lo >= 0xdc00 && lo < 0xe000 {
					r = (r-0xd800)<<10 + (lo - 0xdc00) + 0x10000
					i += 6
				}
			}
			out = utf8.AppendRune(out, r)
		default: // '"', '\\', '/'
			out = append(out, raw[i])
		}
	}
	return string(out)
}

func hexVal(c byte) int {
	switch {
	case c <= '9':
		return int(c - '0')
	default:
		return int(c|0x20-'a') + 10
	}
}
