package engine

import (
	"math"
	"math/rand/v2"
	"strconv"
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
