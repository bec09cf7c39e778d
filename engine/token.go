package engine

import (
	"encoding/binary"
	"math/bits"
	"strconv"

	"github.com/evodb/writer/cdc"
	"github.com/evodb/writer/internal/jsontext"
)

// The shredder reads a row's JSON text with a tokenizer of its own that
// validates as it goes (RFC 8259 grammar, UTF-8 in strings, a depth limit,
// no NaN or Infinity), so rows that did not come through the cdc codecs are
// checked all the same.

// tok is a position in one row's bytes.
type tok struct {
	b        []byte
	i        int
	depth    int
	maxDepth int
	// keys holds the member names of the objects skip is in, innermost
	// last (to refuse a name given twice); reused from row to row.
	keys []skipKey
}

// skipKey is a member name in the row's bytes, escapes kept.
type skipKey struct {
	start, end int
	escaped    bool
}

// smallSkipObject is the most members of an object skip compares one by
// one; a larger object's names go into a set.
const smallSkipObject = 16

// checkKey returns an ErrDuplicateKey error if the member name at
// [ks, ke) appeared before in the object whose names start at
// t.keys[base]; set, once made (past smallSkipObject members), holds
// them all.
func (t *tok) checkKey(base, ks, ke int, esc bool, set map[string]struct{}) (map[string]struct{}, error) {
	cur := skipKey{ks, ke, esc}
	name := func(k skipKey) string {
		if k.escaped {
			return string(appendUnescaped(nil, t.b[k.start:k.end]))
		}
		return string(t.b[k.start:k.end])
	}
	dup := func() error {
		return &jsontext.Error{Err: ErrDuplicateKey, Offset: ks - 1, Msg: strconv.Quote(name(cur))}
	}
	if set != nil {
		n := name(cur)
		if _, ok := set[n]; ok {
			return set, dup()
		}
		set[n] = struct{}{}
		return set, nil
	}
	prev := t.keys[base:]
	for _, k := range prev {
		if !esc && !k.escaped {
			if string(t.b[k.start:k.end]) == string(t.b[ks:ke]) {
				return nil, dup()
			}
		} else if name(k) == name(cur) {
			return nil, dup()
		}
	}
	t.keys = append(t.keys, cur)
	if len(prev)+1 > smallSkipObject {
		set = make(map[string]struct{}, 2*smallSkipObject)
		for _, k := range t.keys[base:] {
			set[name(k)] = struct{}{}
		}
	}
	return set, nil
}

func (t *tok) fail(err error, format string, args ...any) error {
	return jsontext.Errorf(err, t.i, format, args...)
}

func (t *tok) ws() {
	// One comparison for the common case, a byte above ' '.
	for t.i < len(t.b) && t.b[t.i] <= ' ' {
		switch t.b[t.i] {
		case ' ', '\t', '\n', '\r':
			t.i++
		default:
			return
		}
	}
}

// skipSpace returns the index of the first byte from b[i] on that is not
// white space (len(b) if none), as ws moves t.i.
func skipSpace(b []byte, i int) int {
	for i < len(b) && b[i] <= ' ' {
		switch b[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

func (t *tok) describe() string { return jsontext.Describe(t.b, t.i) }

func (t *tok) enter() error {
	t.depth++
	if t.depth > t.maxDepth {
		return t.tooDeep()
	}
	return nil
}

// tooDeep is enter's error, out of line so that enter is inlined.
func (t *tok) tooDeep() error {
	return t.fail(cdc.ErrTooDeep, "more than %d levels", t.maxDepth)
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

// str reads a string whose opening quote is at the position and returns
// the span of its contents (escapes kept) and whether it has escapes.
func (t *tok) str() (start, end int, escaped bool, err error) {
	b := t.b
	start = t.i + 1
	// Printable ASCII without escapes, eight bytes at a time, is valid as
	// it is: a quote after such bytes ends the string. Anything else goes
	// to ScanString from the start.
	j := start
	for {
		if len(b)-j >= 8 {
			if m := jsontext.Special8(binary.LittleEndian.Uint64(b[j:])); m != 0 {
				j += bits.TrailingZeros64(m) >> 3
				break
			}
			j += 8
			continue
		}
		for j < len(b) && jsontext.IsPlain(b[j]) {
			j++
		}
		break
	}
	if j < len(b) && b[j] == '"' {
		t.i = j + 1
		return start, j, false, nil
	}
	end, escaped, err = jsontext.ScanString(b, t.i)
	if err != nil {
		return 0, 0, false, err
	}
	t.i = end + 1
	return start, end, escaped, nil
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
		// Member names given twice are refused here too: a value skipped
		// is rescued whole, and the row must be valid as a whole.
		base := len(t.keys)
		var set map[string]struct{}
		for {
			t.ws()
			if t.i >= len(t.b) || t.b[t.i] != '"' {
				return false, t.fail(cdc.ErrSyntax, "%s, want a member name", t.describe())
			}
			ks, ke, esc, err := t.str()
			if err != nil {
				return false, err
			}
			if set, err = t.checkKey(base, ks, ke, esc, set); err != nil {
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
				t.keys = t.keys[:base]
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

// quickNumber reads the number at b[i] in one pass when it is a plain
// one: an integer of at most 18 digits (so m cannot overflow) or a
// number with a fraction and at most 15 digits in all (so m and 10^frac
// are exact in a float64, see fastFloat), no exponent. It
// returns its digits as the integer m, its sign, the number of digits
// after the fraction point (-1 without one) and the index just past it.
// ok is false for anything else, which tok.number then reads (and
// rejects, if it is not a number). A number quickNumber reads is one
// tok.number reads the same way.
func quickNumber(b []byte, i int) (m uint64, neg bool, frac, end int, ok bool) {
	if i < len(b) && b[i] == '-' {
		neg = true
		i++
	}
	start := i
	for i < len(b) && b[i]-'0' <= 9 {
		m = m*10 + uint64(b[i]-'0')
		i++
	}
	digits := i - start
	if digits == 0 || digits > 18 || (b[start] == '0' && digits > 1) {
		return 0, false, 0, 0, false
	}
	frac = -1
	if i < len(b) && b[i] == '.' {
		i++
		fs := i
		for i < len(b) && b[i]-'0' <= 9 {
			m = m*10 + uint64(b[i]-'0')
			i++
		}
		frac = i - fs
		if frac == 0 || digits+frac > 15 {
			return 0, false, 0, 0, false
		}
	}
	if i < len(b) && b[i]|0x20 == 'e' {
		return 0, false, 0, 0, false
	}
	return m, neg, frac, i, true
}

// nameAt returns the index of the closing quote of the member name whose
// text starts at b[ks] (just past its opening quote) when the name is
// p's, written as it is (p.quoted), and -1 otherwise; -1 says nothing of
// the text, which the caller then scans.
func (p *node) nameAt(b []byte, ks int) int {
	ke := ks + len(p.name)
	if p.short && len(b)-ks >= 16 {
		// The name and its quote against the sixteen bytes at b[ks].
		if binary.LittleEndian.Uint64(b[ks:])&p.headMask != p.head ||
			binary.LittleEndian.Uint64(b[ks+8:])&p.tailMask != p.tail {
			return -1
		}
		return ke
	}
	if p.quoted && ke < len(b) && b[ke] == '"' && string(b[ks:ke]) == p.name {
		return ke
	}
	return -1
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
	if f, ok := fastFloat(b); ok {
		return f, true
	}
	f, err := strconv.ParseFloat(string(b), 64)
	return f, err == nil
}

// pow10 holds the powers of ten that float64 represents exactly.
var pow10 = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15}

// fastFloat parses a number in JSON syntax without an exponent and with
// at most 15 digits: its digits as an integer m < 10^15 and 10^k for k
// fraction digits are both exact in a float64, so m / 10^k, one
// correctly rounded division, is the correctly rounded value, the one
// strconv.ParseFloat returns. ok is false for any other number.
func fastFloat(b []byte) (float64, bool) {
	i := 0
	neg := b[0] == '-'
	if neg {
		i = 1
	}
	var m uint64
	digits, frac := 0, -1
	for ; i < len(b); i++ {
		c := b[i]
		switch {
		case c >= '0' && c <= '9':
			m = m*10 + uint64(c-'0')
			digits++
			if frac >= 0 {
				frac++
			}
		case c == '.':
			frac = 0
		default: // an exponent
			return 0, false
		}
	}
	if digits > 15 {
		return 0, false
	}
	f := float64(m)
	if frac > 0 {
		f /= pow10[frac]
	}
	if neg {
		f = -f
	}
	return f, true
}

// appendUnescaped appends the contents of a JSON string (escapes kept, as
// str returns them; already validated) with its escapes decoded.
func appendUnescaped(dst, raw []byte) []byte { return jsontext.AppendUnescaped(dst, raw) }
