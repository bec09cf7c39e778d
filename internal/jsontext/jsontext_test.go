package jsontext

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

// TestPlain8 checks the eight-byte fast path of the string scanner against
// the byte-by-byte rule, for every byte value at every position.
func TestPlain8(t *testing.T) {
	for c := range 256 {
		for pos := range 8 {
			b := []byte("abcdefgh")
			b[pos] = byte(c)
			want := c >= 0x20 && c < 0x80 && c != '"' && c != '\\'
			if got := Plain8(binary.LittleEndian.Uint64(b)); got != want {
				t.Fatalf("byte 0x%02x at %d: Plain8 = %v, want %v", c, pos, got, want)
			}
		}
	}
}

func TestScanString(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		end     int
		escaped bool
		err     error
		offset  int
		msg     string
	}{
		{"empty", `""`, 1, false, nil, 0, ""},
		{"long plain", `"abcdefghijklmnopqrstuvwxyz"x`, 27, false, nil, 0, ""},
		{"escapes", `"a\"b\\c\/\u00e9\n"`, 18, true, nil, 0, ""},
		{"multi-byte", `"héllo wörld, 😀!"`, len(`"héllo wörld, 😀!`), false, nil, 0, ""},
		{"unterminated", `"abc`, 0, false, ErrSyntax, 4, "end of input in a string"},
		{"escape at end", `"abc\`, 0, false, ErrSyntax, 4, "end of input in an escape"},
		{"bad escape", `"ab\q"`, 0, false, ErrSyntax, 4, "invalid escape"},
		{"short \\u", `"\u12"`, 0, false, ErrSyntax, 1, `invalid \u escape`},
		{"control byte", "\"abcdefghij\x01\"", 0, false, ErrSyntax, 11, "control byte 0x01"},
		{"invalid UTF-8", "\"abcdefghijklmn\xffo\"", 0, false, ErrInvalidUTF8, 15, "byte 0xff"},
		{"truncated rune", "\"é\xc3\"", 0, false, ErrInvalidUTF8, 3, "byte 0xc3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			end, esc, err := ScanString([]byte(tt.in), 0)
			if tt.err == nil {
				if err != nil {
					t.Fatal(err)
				}
				if end != tt.end || esc != tt.escaped {
					t.Errorf("end %d escaped %v, want %d %v", end, esc, tt.end, tt.escaped)
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) || !errors.Is(err, tt.err) {
				t.Fatalf("error %v, want an *Error wrapping %v", err, tt.err)
			}
			if e.Offset != tt.offset || !strings.Contains(e.Error(), tt.msg) {
				t.Errorf("error %q at %d, want %q at %d", e, e.Offset, tt.msg, tt.offset)
			}
		})
	}
}

func TestSkipString(t *testing.T) {
	tests := []struct {
		in   string
		want int
	}{
		{`""`, 1},
		{`"abcdefghijklmnop" x`, 17},
		{`"a\"b"`, 5},
		{`"0123456789\\"x"`, 13},
		{`"0123456789\\\"x"`, 16},
		{"\"\xff\x01\"", 3},
		{`"abc`, -1},
		{`"abc\`, -1},
		{`"abc\"`, -1},
	}
	for _, tt := range tests {
		if got := SkipString([]byte(tt.in), 0); got != tt.want {
			t.Errorf("SkipString(%q) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

func TestAppendString(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain", `"plain"`},
		{"q\"b\\c\n\x01\x7f", `"q\"b\\c\u000a\u0001` + "\x7f\""},
		{"é😀", `"é😀"`},
		{"bad\xffutf8\xc3", `"bad\ufffdutf8\ufffd"`},
	}
	for _, tt := range tests {
		if got := string(AppendString(nil, tt.in)); got != tt.want {
			t.Errorf("AppendString(%q) = %s, want %s", tt.in, got, tt.want)
		}
		if got := string(AppendString(nil, []byte(tt.in))); got != tt.want {
			t.Errorf("AppendString([]byte %q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

// FuzzStrings checks the string functions against encoding/json: a string
// ScanString accepts decodes to what encoding/json decodes it to,
// SkipString finds the same end on it, and AppendString's output decodes
// back to its (valid UTF-8) input.
func FuzzStrings(f *testing.F) {
	for _, s := range []string{`"abc"`, `"a\"b\\c\u00e9\ud83d\ude00"`, "\"\xff\"", `"\ud800"`, `"x\q"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) == 0 || b[0] != '"' {
			b = append([]byte{'"'}, b...)
		}
		end, _, err := ScanString(b, 0)
		if err == nil {
			if skip := SkipString(b, 0); skip != end {
				t.Fatalf("SkipString end %d, ScanString end %d", skip, end)
			}
			var want string
			if jerr := json.Unmarshal(b[:end+1], &want); jerr != nil {
				t.Fatalf("ScanString accepted %q, encoding/json: %v", b[:end+1], jerr)
			}
			if got := string(AppendUnescaped(nil, b[1:end])); got != want {
				t.Fatalf("AppendUnescaped(%q) = %q, want %q", b[1:end], got, want)
			}
		}
		if utf8.Valid(b) {
			var back string
			if jerr := json.Unmarshal(AppendString(nil, b), &back); jerr != nil || back != string(b) {
				t.Fatalf("AppendString(%q) decodes to %q, %v", b, back, jerr)
			}
		}
		if diff := cmp.Diff(string(AppendString(nil, string(b))), string(AppendString(nil, b))); diff != "" {
			t.Fatal(diff)
		}
	})
}

// scanStringByByte is the rule ScanString implements, one byte at a
// time: escapes and control bytes checked in order, UTF-8 at the end.
func scanStringByByte(b []byte, i int) (end int, escaped bool, err error) {
	start := i + 1
	for i = start; i < len(b); i++ {
		switch c := b[i]; {
		case c == '"':
			if !utf8.Valid(b[start:i]) {
				j := start
				for {
					r, size := utf8.DecodeRune(b[j:i])
					if r == utf8.RuneError && size <= 1 {
						return 0, false, Errorf(ErrInvalidUTF8, j, "byte 0x%02x in a string", b[j])
					}
					j += size
				}
			}
			return i, escaped, nil
		case c == '\\':
			escaped = true
			if i+1 >= len(b) {
				return 0, false, Errorf(ErrSyntax, i, "unexpected end of input in an escape")
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i++
			case 'u':
				if len(b)-i < 6 || !IsHex(b[i+2]) || !IsHex(b[i+3]) || !IsHex(b[i+4]) || !IsHex(b[i+5]) {
					return 0, false, Errorf(ErrSyntax, i, "invalid \\u escape")
				}
				i += 5
			default:
				return 0, false, Errorf(ErrSyntax, i+1, "invalid escape %s", Describe(b, i+1))
			}
		case c < 0x20:
			return 0, false, Errorf(ErrSyntax, i, "control byte 0x%02x in a string", c)
		}
	}
	return 0, false, Errorf(ErrSyntax, i, "unexpected end of input in a string")
}

// TestScanStringRandom compares ScanString with the byte-at-a-time rule
// on random strings mixing plain bytes, multi-byte and broken UTF-8,
// escapes, control bytes and quotes at every offset from an 8-byte step.
func TestScanStringRandom(t *testing.T) {
	pieces := []string{"a", "bcdefgh", "é", "😀", "\xff", "\xc3", "\\n", "\\u00e9", "\\u12", "\\q", "\\", "\x01", "\x7f", " ", "\""}
	rng := rand.New(rand.NewPCG(3, 4))
	short := 0
	n := 200000
	if testing.Short() {
		n = 20000 // under the race detector and qemu
	}
	for range n {
		b := []byte{'"'}
		for range rng.IntN(12) {
			b = append(b, pieces[rng.IntN(len(pieces))]...)
		}
		if rng.IntN(4) > 0 {
			b = append(b, '"')
		}
		wantEnd, wantEsc, wantErr := scanStringByByte(b, 0)
		end, esc, err := ScanString(b, 0)
		if end != wantEnd || esc != wantEsc || fmt.Sprint(err) != fmt.Sprint(wantErr) {
			t.Fatalf("ScanString(%q) = %d, %v, %v; want %d, %v, %v", b, end, esc, err, wantEnd, wantEsc, wantErr)
		}
		if k := ShortString(b, 0); k >= 0 {
			short++
			if k != wantEnd || wantEsc || wantErr != nil {
				t.Fatalf("ShortString(%q) = %d; want %d, %v, %v", b, k, wantEnd, wantEsc, wantErr)
			}
		}
	}
	for _, in := range []string{`"12345678",`, `"1234567",x`, `"",xxxxxxxx`, `"12345678"`} {
		if k := ShortString([]byte(in), 0); k != strings.LastIndexByte(in, '"') {
			t.Errorf("ShortString(%q) = %d, want %d", in, k, strings.LastIndexByte(in, '"'))
		}
	}
	for _, in := range []string{`"123456789"x`, `"1234\n"xxxx`, "\"12\xc3\xa9\"xxxxxx", `"1234567"`} {
		if k := ShortString([]byte(in), 0); k != -1 {
			t.Errorf("ShortString(%q) = %d, want -1", in, k)
		}
	}
	if short < 1000 {
		t.Fatalf("ShortString took only %d strings: the test checks too little", short)
	}
}

// TestDigits8 checks Digits8 against strconv on random digit strings and
// on every byte value in every position of an otherwise valid one.
func TestDigits8(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for range 100000 {
		b := []byte(fmt.Sprintf("%08d", rng.IntN(100000000)))
		v, ok := Digits8(binary.LittleEndian.Uint64(b))
		want, _ := strconv.ParseUint(string(b), 10, 64)
		if !ok || v != want {
			t.Fatalf("Digits8(%q) = %d, %v; want %d", b, v, ok, want)
		}
	}
	for c := range 256 {
		for pos := range 8 {
			b := []byte("98765432")
			b[pos] = byte(c)
			v, ok := Digits8(binary.LittleEndian.Uint64(b))
			want, err := strconv.ParseUint(string(b), 10, 64)
			if ok != (err == nil && c >= '0' && c <= '9') || (ok && v != want) {
				t.Fatalf("Digits8(%q) = %d, %v; want %d, %v", b, v, ok, want, err)
			}
		}
	}
}
