// Package jsontext holds the JSON text handling that the cdc codecs and
// the engine's shredder share: the errors a JSON text is rejected with,
// scanning a string (validating or only framing it), decoding a string's
// escapes, and writing a string with escapes.
package jsontext

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
	"unicode/utf8"
)

// Errors JSON text is rejected with; cdc re-exports them.
var (
	ErrSyntax      = errors.New("invalid JSON")
	ErrInvalidUTF8 = errors.New("invalid UTF-8")
	ErrTooDeep     = errors.New("JSON nested too deeply")
	ErrNotObject   = errors.New("line is not a JSON object")
)

// Error is a problem at a byte offset of a JSON text. It wraps one of the
// errors above (or another sentinel of the caller's).
type Error struct {
	Err    error
	Offset int
	Msg    string
}

func (e *Error) Error() string { return fmt.Sprintf("%v at byte %d: %s", e.Err, e.Offset, e.Msg) }
func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error at offset.
func Errorf(err error, offset int, format string, args ...any) *Error {
	return &Error{Err: err, Offset: offset, Msg: fmt.Sprintf(format, args...)}
}

// Describe names the byte at b[i] for error messages.
func Describe(b []byte, i int) string {
	if i >= len(b) {
		return "unexpected end of input"
	}
	c := b[i]
	if c < 0x20 || c >= 0x7f {
		return fmt.Sprintf("unexpected byte 0x%02x", c)
	}
	return fmt.Sprintf("unexpected character %q", c)
}

const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// Plain8 reports whether none of the eight bytes of x (little endian)
// needs a look of its own in a string: no '"', no '\\', no control byte,
// no byte >= 0x80.
func Plain8(x uint64) bool {
	q := x ^ (ones * '"')
	bs := x ^ (ones * '\\')
	hasQuote := (q - ones) &^ q
	hasBackslash := (bs - ones) &^ bs
	hasControl := (x - ones*0x20) &^ x
	return (hasQuote|hasBackslash|hasControl|x)&highs == 0
}

// IsHex reports whether c is a hexadecimal digit.
func IsHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c|0x20 >= 'a' && c|0x20 <= 'f')
}

// quoteCtl8 returns, for the eight bytes of x (little endian), a mask
// with the high bit of each byte set when it is '"', '\\' or a control
// byte. Bits above the lowest one set may be false alarms (borrows of the
// subtractions), the lowest one never is.
func quoteCtl8(x uint64) uint64 {
	q := x ^ (ones * '"')
	bs := x ^ (ones * '\\')
	return ((q-ones)&^q | (bs-ones)&^bs | (x-ones*0x20)&^x) & highs
}

// quote8 is quoteCtl8 for '"' and '\\' only.
func quote8(x uint64) uint64 {
	q := x ^ (ones * '"')
	bs := x ^ (ones * '\\')
	return ((q-ones)&^q | (bs-ones)&^bs) & highs
}

// Special8 returns, for the eight bytes of x (little endian), a mask with
// the high bit of each byte set when it needs a look of its own in a
// string (a '"', a '\\', a control byte or a byte >= 0x80). Bits above the
// lowest one set may be false alarms, the lowest one never is; the mask
// is 0 exactly when Plain8(x).
func Special8(x uint64) uint64 { return quoteCtl8(x) | x&highs }

// IsPlain reports whether the byte c stands for itself in a string: not
// '"', '\\', a control byte or a byte >= 0x80.
func IsPlain(c byte) bool { return c >= 0x20 && c < 0x80 && c != '"' && c != '\\' }

// ShortString returns the index of the closing quote of the string whose
// opening quote is at b[i] when its contents are at most eight bytes of
// printable ASCII without escapes, which are valid as they are; otherwise
// (or when fewer than ten bytes are left from b[i]) it returns -1, and
// ScanString decides. It is small enough to be inlined, sparing short
// strings a call.
func ShortString(b []byte, i int) int {
	if len(b)-i < 10 {
		return -1
	}
	x := binary.LittleEndian.Uint64(b[i+1:])
	q, bs := x^(ones*'"'), x^(ones*'\\')
	// The first byte of the eight that is not plain (a quote, a
	// backslash, a control byte or >= 0x80), or the ninth.
	k := i + 1 + bits.TrailingZeros64(((q-ones)&^q|(bs-ones)&^bs|(x-ones*0x20)&^x|x)&highs)>>3
	if b[k] != '"' {
		return -1
	}
	return k
}

// Digits8 reads the eight bytes of x (little endian, the first byte
// lowest) as eight decimal digits, the first the most significant; ok is
// false when one of them is not a digit.
func Digits8(x uint64) (v uint64, ok bool) {
	// Every byte in '0'..'9': its high nibble is 3, and adding 6 keeps it
	// 3 (no byte carries into the next: all are below 0x40).
	if x&(ones*0xf0) != ones*0x30 || (x+ones*6)&(ones*0xf0) != ones*0x30 {
		return 0, false
	}
	d := x - ones*'0'
	// Pairs of digits into 16-bit lanes, then fours into 32-bit lanes,
	// then the eight: each step multiplies the lower (earlier, more
	// significant) part and adds the higher; no lane overflows.
	d = (d*10 + d>>8) & 0x00ff00ff00ff00ff
	d = (d*100 + d>>16) & 0x0000ffff0000ffff
	d = (d*10000 + d>>32) & 0xffffffff
	return d, true
}

// ScanString validates the string whose opening quote is at b[i]: RFC
// 8259 escapes, no control bytes, valid UTF-8. It returns the index of the
// closing quote and whether the string has escapes; an error is an *Error
// at the offending byte.
func ScanString(b []byte, i int) (end int, escaped bool, err error) {
	i++
	start := i
	// high keeps bytes >= 0x80 among those the fast loop stops at until
	// the first one is met; from then on utf8.Valid checks the string once
	// at its end, and the loop runs on through the rest of it.
	high := uint64(highs)
	for i < len(b) {
		// Eight bytes at a time, up to the first that needs a look.
		if i+8 <= len(b) {
			x := binary.LittleEndian.Uint64(b[i:])
			if m := quoteCtl8(x) | x&high; m == 0 {
				i += 8
				continue
			} else {
				i += bits.TrailingZeros64(m) >> 3
			}
		}
		c := b[i]
		if c == '"' {
			if high == 0 && !utf8.Valid(b[start:i]) {
				j := start
				for j < i {
					r, size := utf8.DecodeRune(b[j:i])
					if r == utf8.RuneError && size <= 1 {
						break
					}
					j += size
				}
				return 0, false, Errorf(ErrInvalidUTF8, j, "byte 0x%02x in a string", b[j])
			}
			return i, escaped, nil
		}
		switch {
		case c >= 0x80:
			high = 0
			i++
		case c == '\\':
			escaped = true
			if i+1 >= len(b) {
				return 0, false, Errorf(ErrSyntax, i, "unexpected end of input in an escape")
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if len(b)-i < 6 || !IsHex(b[i+2]) || !IsHex(b[i+3]) || !IsHex(b[i+4]) || !IsHex(b[i+5]) {
					return 0, false, Errorf(ErrSyntax, i, "invalid \\u escape")
				}
				i += 6
			default:
				return 0, false, Errorf(ErrSyntax, i+1, "invalid escape %s", Describe(b, i+1))
			}
		case c < 0x20:
			return 0, false, Errorf(ErrSyntax, i, "control byte 0x%02x in a string", c)
		default:
			i++
		}
	}
	return 0, false, Errorf(ErrSyntax, i, "unexpected end of input in a string")
}

// SkipString finds the end of the string whose opening quote is at b[i]
// without validating its contents: it returns the index of the first
// quote after b[i] that is not escaped by a backslash, or -1 when there is
// none.
func SkipString(b []byte, i int) int {
	i++
	for i < len(b) {
		if i+8 <= len(b) {
			m := quote8(binary.LittleEndian.Uint64(b[i:]))
			if m == 0 {
				i += 8
				continue
			}
			i += bits.TrailingZeros64(m) >> 3
		}
		switch b[i] {
		case '"':
			return i
		case '\\':
			i += 2
		default:
			i++
		}
	}
	return -1
}

// AppendUnescaped appends the contents of a JSON string (escapes kept, as
// ScanString validated them) with its escapes decoded. It never appends
// more bytes than raw has. A \u escape of a lone surrogate becomes U+FFFD.
func AppendUnescaped(dst, raw []byte) []byte {
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

// AppendString appends s as a JSON string, quotes included. Invalid UTF-8
// is replaced by U+FFFD, so the output is always valid JSON.
func AppendString[S ~string | ~[]byte](dst []byte, s S) []byte {
	dst = append(dst, '"')
	dst = AppendStringContent(dst, s)
	return append(dst, '"')
}

// AppendStringContent appends s escaped for the inside of a JSON string:
// '"' and '\\' escaped, control bytes as \u00XX, invalid UTF-8 replaced by
// U+FFFD.
func AppendStringContent[S ~string | ~[]byte](dst []byte, s S) []byte {
	const hex = "0123456789abcdef"
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				dst = append(dst, '\\', c)
			case c < 0x20:
				dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&15])
			default:
				dst = append(dst, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(string(s[i:min(i+utf8.UTFMax, len(s))]))
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, "\\ufffd"...)
		} else {
			dst = append(dst, s[i:i+size]...)
		}
		i += size
	}
	return dst
}
