package engine

import (
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

// TestParseFloat checks the fast path of parseFloat against
// strconv.ParseFloat, bit for bit, on edge cases and random numbers of
// every length and scale.
func TestParseFloat(t *testing.T) {
	cases := []string{"0", "-0", "0.0", "-0.0", "1", "-1", "0.1", "0.3", "78.27", "-118.31198",
		"123456789012345", "12345678901234.5", "0.000000000000001", "999999999999999", "9999999999999999",
		"1.7976931348623157", "0.30000000000000004", "1e5", "-2.5E-3", "123456789012345678901234567890"}
	rng := rand.New(rand.NewPCG(7, 7))
	for range 200000 {
		digits := 1 + rng.IntN(17)
		b := []byte{}
		if rng.IntN(2) == 0 {
			b = append(b, '-')
		}
		point := rng.IntN(digits + 1)
		for d := range digits {
			if d == point && d > 0 {
				b = append(b, '.')
			}
			c := byte('0' + rng.IntN(10))
			if d == 0 && digits > 1 && point != 1 {
				c = byte('1' + rng.IntN(9))
			}
			b = append(b, c)
		}
		cases = append(cases, string(b))
	}
	for _, s := range cases {
		want, err := strconv.ParseFloat(s, 64)
		got, ok := parseFloat([]byte(s))
		if ok != (err == nil) || math.Float64bits(got) != math.Float64bits(want) {
			t.Fatalf("parseFloat(%q) = %v, %v; strconv: %v, %v", s, got, ok, want, err)
		}
	}
}

// TestQuickNumber checks quickNumber against the general path (tok.number,
// then parseInt or strconv.ParseFloat): a number it reads is read to the
// same end, with the same value, bit for bit.
func TestQuickNumber(t *testing.T) {
	cases := []string{"0", "-0", "0.0", "-0.0", "1", "-1", "01", "-01", "0.", "1.e5", "-", "--1", "1e5", "1E5", "1.5e-3",
		"123456789012345678", "-123456789012345678", "1234567890123456789", "12345678901234.5", "1234567890123456.5",
		"0.000000000000001", "0.0000000000000001", "9007199254740993", "78.27,", "-118.31198}", "42]", "7 ", "3x",
		"-NaN", "-Infinity", ".5", "1.5.5", ""}
	rng := rand.New(rand.NewPCG(8, 8))
	n := 100000
	if testing.Short() {
		n = 20000 // under the race detector and qemu
	}
	for range n {
		n := 1 + rng.IntN(20)
		b := []byte{}
		for range n {
			b = append(b, "-0123456789.eE+,"[rng.IntN(16)])
		}
		cases = append(cases, string(b))
	}
	read := 0
	for _, s := range cases {
		b := []byte(s)
		m, neg, frac, end, ok := quickNumber(b, 0)
		if !ok {
			continue
		}
		read++
		tk := tok{b: b, maxDepth: 64}
		start, isInt, err := tk.number()
		if err != nil || start != 0 || tk.i != end || isInt != (frac < 0) {
			t.Fatalf("%q: quickNumber ends at %d (frac %d); tok.number at %d, isInt %v, %v", s, end, frac, tk.i, isInt, err)
		}
		num := b[:end]
		if frac < 0 {
			v := int64(m)
			if neg {
				v = -v
			}
			if want, ok := parseInt(num); !ok || want != v {
				t.Fatalf("%q: quickNumber %d, parseInt %d, %v", s, v, want, ok)
			}
			continue
		}
		f := float64(m) / pow10[frac]
		if neg {
			f = -f
		}
		want, err := strconv.ParseFloat(string(num), 64)
		if err != nil || math.Float64bits(f) != math.Float64bits(want) {
			t.Fatalf("%q: quickNumber %v, strconv %v, %v", s, f, want, err)
		}
	}
	if read < 1000 {
		t.Fatalf("quickNumber read only %d of %d cases: the test checks too little", read, len(cases))
	}
}

// TestNameAt checks the one-load comparison of member names against the
// plain rule (the text is the name and a closing quote) for names of
// every length around eight and sixteen bytes, texts that end early or
// leave sixteen bytes and more, and every byte of the text changed in
// turn.
func TestNameAt(t *testing.T) {
	root := &node{typ: TypeObject}
	names := []string{"a", "id", "abcdef", "abcdefg", "abcdefgh", "abcdefghi", "created_at", "abcdefghijklmn", "abcdefghijklmno", "abcdefghijklmnop", "abcdefghijklmnopq", "ünïcode", `a"b`, `a\b`, "a\x01"}
	for _, name := range names {
		p := newNode(name, TypeInt64)
		root.addChild(p)
		var texts []string
		for _, tail := range []string{"", ",", `:1,"next":2}`, "x", `:1,"next":2,"more":3}`} {
			texts = append(texts, name+`"`+tail, name+tail, name+"x"+`"`+tail, name[:len(name)-1]+`"`+tail)
		}
		full := name + `":12345678,"n":12345678}`
		for i := range full {
			for _, c := range []byte{'"', 'x', 0, 0xff} {
				b := []byte(full)
				b[i] = c
				texts = append(texts, string(b))
			}
		}
		for _, text := range texts {
			b := []byte(`"` + text)
			want := -1
			if p.quoted && strings.HasPrefix(text, name+`"`) {
				want = 1 + len(name)
			}
			if got := p.nameAt(b, 1); got != want {
				t.Fatalf("name %q, text %q: nameAt = %d, want %d", name, b, got, want)
			}
		}
	}
	for i, want := range []bool{true, true, true, true, true, true, true, true, true, true, true, true, false, false, false} {
		if c := root.children[i]; c.quoted != want || c.short != (want && len(c.name) < 16) {
			t.Fatalf("name %q: quoted %v, short %v", c.name, c.quoted, c.short)
		}
	}
}
