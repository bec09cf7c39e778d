package engine

import (
	"encoding/binary"
	"fmt"
	"strconv"
	"unicode/utf8"

	"github.com/evodb/writer/cdc"
)

// The shredder reads a row's JSON text with a tokenizer of its own that
// validates as it goes (RFC 8259 grammar, UTF-8 in strings, a depth limit,
// no NaN or Infinity), so rows that did not come through the cdc codecs are
// checked all the same.

// errAt is a problem at a byte offset of a row's data.
type errAt struct {
	err    error
	offset int
	msg    string
}

func (e *errAt) Error() string { return fmt.Sprintf("%v at byte %d: %s", e.err, e.offset, e.msg) }
func (e *errAt) Unwrap() error { return e.err }

// tok is a position in one row's bytes.
type tok struct {
	b        []byte
	i        int
	depth    int
	maxDepth int
}

func (t *tok) fail(err error, format string, args ...any) error {
	return &errAt{err: err, offset: t.i, msg: fmt.Sprintf(format, args...)}
}

func (t *tok) ws() {
	for t.i < len(t.b) {
		switch t.b[t.i] {
		case ' ', '\t', '\n', '\r':
			t.i++
		default:
			return
		}
	}
}

func (t *tok) describe() string {
	if t.i >= len(t.b) {
		return "unexpected end of input"
	}
	c := t.b[t.i]
	if c < 0x20 || c >= 0x7f {
		return fmt.Sprintf("unexpected byte 0x%02x", c)
	}
	return fmt.Sprintf("unexpected character %q", c)
}

func (t *tok) enter() error {
	t.depth++
	if t.depth > t.maxDepth {
		return t.fail(cdc.ErrTooDeep, "more than %d levels", t.maxDepth)
	}
	return nil
}

// expect consumes white space and then the byte c.
func (t *tok) expect(c byte, what string) error {
	t.ws()
	if t.i >= len(t.b) || t.b[t.i] != c {
		return t.fail(cdc.ErrSyntax, "%s, want %s", t.describe(), what)
	}
	t.i++
	return nil
}

func (t *tok) literal(word string) error {
	if len(t.b)-t.i < len(word) || string(t.b[t.i:t.i+len(word)]) != word {
		return t.fail(cdc.ErrSyntax, "%s, want %q", t.describe(), word)
	}
	t.i += len(word)
	return nil
}

// strClass marks the bytes that end the fast loop over a string.
var strClass = func() (c [256]uint8) {
	for i := range 0x20 {
		c[i] = 1
	}
	c['"'] = 1
	c['\\'] = 1
	for i := 0x80; i < 256; i++ {
		c[i] = 2
	}
	return c
}()

// str reads a string whose opening quote is at the position and returns
// the span of its contents (escapes kept) and whether it has escapes.
func (t *tok) str() (start, end int, escaped bool, err error) {
	t.i++
	start = t.i
	b := t.b
	nonASCII := false
	for t.i < len(b) {
		// Eight plain ASCII bytes at a time.
		for t.i+8 <= len(b) {
			if plain8(binary.LittleEndian.Uint64(b[t.i:])) {
				t.i += 8
				continue
			}
			break
		}
		if t.i >= len(b) {
			break
		}
		c := b[t.i]
		switch strClass[c] {
		case 0:
			t.i++
			continue
		case 2:
			nonASCII = true
			t.i++
			continue
		}
		switch {
		case c == '"':
			end = t.i
			t.i++
			if nonASCII && !utf8.Valid(b[start:end]) {
				t.i = start
				for t.i < end {
					r, size := utf8.DecodeRune(b[t.i:end])
					if r == utf8.RuneError && size <= 1 {
						break
					}
					t.i += size
				}
				return 0, 0, false, t.fail(cdc.ErrInvalidUTF8, "byte 0x%02x in a string", b[t.i])
			}
			return start, end, escaped, nil
		case c == '\\':
			escaped = true
			if t.i+1 >= len(b) {
				return 0, 0, false, t.fail(cdc.ErrSyntax, "unexpected end of input in an escape")
			}
			switch b[t.i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				t.i += 2
			case 'u':
				if len(b)-t.i < 6 || !isHex(b[t.i+2]) || !isHex(b[t.i+3]) || !isHex(b[t.i+4]) || !isHex(b[t.i+5]) {
					return 0, 0, false, t.fail(cdc.ErrSyntax, "invalid \\u escape")
				}
				t.i += 6
			default:
				t.i++
				return 0, 0, false, t.fail(cdc.ErrSyntax, "invalid escape %s", t.describe())
			}
		default:
			return 0, 0, false, t.fail(cdc.ErrSyntax, "control byte 0x%02x in a string", c)
		}
	}
	return 0, 0, false, t.fail(cdc.ErrSyntax, "unexpected end of input in a string")
}

const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// plain8 reports whether none of the eight bytes of x ends the fast
// string loop: no '"', no '\\', no control byte, no byte >= 0x80.
func plain8(x uint64) bool {
	q := x ^ (ones * '"')
	bs := x ^ (ones * '\\')
	hasQuote := (q - ones) &^ q
	hasBackslash := (bs - ones) &^ bs
	hasControl := (x - ones*0x20) &^ x
	return (hasQuote|hasBackslash|hasControl|x)&highs == 0
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c|0x20 >= 'a' && c|0x20 <= 'f')
}

// number reads a number at the position. isInt reports integer syntax (no
// fraction, no exponent).
func (t *tok) number() (start int, isInt bool, err error) {
	b := t.b
	start = t.i
	if b[t.i] == '-' {
		t.i++
		if t.i < len(b) && (b[t.i] == 'I' || b[t.i] == 'N') {
			return 0, false, t.fail(cdc.ErrSyntax, "NaN and Infinity are not JSON numbers")
		}
	}
	if t.i >= len(b) {
		return 0, false, t.fail(cdc.ErrSyntax, "unexpected end of input in a number")
	}
	if b[t.i] == '0' {
		t.i++
	} else if t.digits() == 0 {
		return 0, false, t.fail(cdc.ErrSyntax, "%s in a number", t.describe())
	}
	isInt = true
	if t.i < len(b) && b[t.i] == '.' {
		isInt = false
		t.i++
		if t.digits() == 0 {
			return 0, false, t.fail(cdc.ErrSyntax, "%s, want a digit after '.'", t.describe())
		}
	}
	if t.i < len(b) && (b[t.i]|0x20) == 'e' {
		isInt = false
		t.i++
		if t.i < len(b) && (b[t.i] == '+' || b[t.i] == '-') {
			t.i++
		}
		if t.digits() == 0 {
			return 0, false, t.fail(cdc.ErrSyntax, "%s, want a digit in the exponent", t.describe())
		}
	}
	return start, isInt, nil
}

func (t *tok) digits() int {
	n := t.i
	for t.i < len(t.b) && t.b[t.i] >= '0' && t.b[t.i] <= '9' {
		t.i++
	}
	return t.i - n
}

// skip validates the value at the position and moves past it. leaf reports
// whether the value holds a scalar that can give a column its type: a
// bool, a string, an integer in the int64 range or a finite number.
func (t *tok) skip() (leaf bool, err error) {
	t.ws()
	if t.i >= len(t.b) {
		return false, t.fail(cdc.ErrSyntax, "unexpected end of input, want a value")
	}
	switch c := t.b[t.i]; {
	case c == '{':
		if err := t.enter(); err != nil {
			return false, err
		}
		t.i++
		t.ws()
		if t.i < len(t.b) && t.b[t.i] == '}' {
			t.i++
			t.depth--
			return false, nil
		}
		for {
			t.ws()
			if t.i >= len(t.b) || t.b[t.i] != '"' {
				return false, t.fail(cdc.ErrSyntax, "%s, want a member name", t.describe())
			}
			if _, _, _, err := t.str(); err != nil {
				return false, err
			}
			if err := t.expect(':', "':' after a member name"); err != nil {
				return false, err
			}
			l, err := t.skip()
			if err != nil {
				return false, err
			}
			leaf = leaf || l
			t.ws()
			if t.i >= len(t.b) {
				return false, t.fail(cdc.ErrSyntax, "unexpected end of input in an object")
			}
			switch t.b[t.i] {
			case ',':
				t.i++
			case '}':
				t.i++
				t.depth--
				return leaf, nil
			default:
				return false, t.fail(cdc.ErrSyntax, "%s, want ',' or '}'", t.describe())
			}
		}
	case c == '[':
		if err := t.enter(); err != nil {
			return false, err
		}
		t.i++
		t.ws()
		if t.i < len(t.b) && t.b[t.i] == ']' {
			t.i++
			t.depth--
			return false, nil
		}
		for {
			l, err := t.skip()
			if err != nil {
				return false, err
			}
			leaf = leaf || l
			t.ws()
			if t.i >= len(t.b) {
				return false, t.fail(cdc.ErrSyntax, "unexpected end of input in an array")
			}
			switch t.b[t.i] {
			case ',':
				t.i++
			case ']':
				t.i++
				t.depth--
				return leaf, nil
			default:
				return false, t.fail(cdc.ErrSyntax, "%s, want ',' or ']'", t.describe())
			}
		}
	case c == '"':
		_, _, _, err := t.str()
		return err == nil, err
	case c == '-' || (c >= '0' && c <= '9'):
		start, isInt, err := t.number()
		if err != nil {
			return false, err
		}
		return typeable(t.b[start:t.i], isInt), nil
	case c == 't':
		return true, t.literal("true")
	case c == 'f':
		return true, t.literal("false")
	case c == 'n':
		return false, t.literal("null")
	case c == 'N' || c == 'I':
		return false, t.fail(cdc.ErrSyntax, "NaN and Infinity are not JSON numbers")
	default:
		return false, t.fail(cdc.ErrSyntax, "%s, want a value", t.describe())
	}
}

// typeable reports whether a number can give a column its type: an
// integer in the int64 range, or a number with a fraction or exponent
// that is finite as a float64.
func typeable(num []byte, isInt bool) bool {
	if isInt {
		_, ok := parseInt(num)
		return ok
	}
	_, ok := parseFloat(num)
	return ok
}

// parseInt parses an integer in JSON syntax; ok is false when it is out of
// the int64 range.
func parseInt(b []byte) (v int64, ok bool) {
	neg := b[0] == '-'
	if neg {
		b = b[1:]
	}
	if len(b) > 19 {
		return 0, false
	}
	var u uint64
	for _, c := range b {
		u = u*10 + uint64(c-'0')
	}
	if neg {
		if u > 1<<63 {
			return 0, false
		}
		return -int64(u), true
	}
	if u > 1<<63-1 {
		return 0, false
	}
	return int64(u), true
}

// parseFloat parses a JSON number as a float64; ok is false when it is
// beyond the float64 range.
func parseFloat(b []byte) (float64, bool) {
	f, err := strconv.ParseFloat(string(b), 64)
	return f, err == nil
}

// appendUnescaped appends the contents of a JSON string (escapes kept, as
// str returns them; already validated) with its escapes decoded.
func appendUnescaped(dst, raw []byte) []byte {
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c != '\\' {
			dst = append(dst, c)
			continue
		}
		i++
		switch raw[i] {
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
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
			dst = utf8.AppendRune(dst, r)
		default: // '"', '\\', '/'
			dst = append(dst, raw[i])
		}
	}
	return dst
}

func hexVal(c byte) int {
	if c <= '9' {
		return int(c - '0')
	}
	return int(c|0x20-'a') + 10
}
