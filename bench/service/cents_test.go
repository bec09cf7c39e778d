package service

import (
	"strconv"
	"testing"
)

// TestAppendCents checks the load generator's amount formatting against
// the float formatting it replaces, for every value it writes.
func TestAppendCents(t *testing.T) {
	for c := range int64(10000) {
		want := strconv.AppendFloat(nil, float64(c)/100, 'f', 2, 64)
		if got := appendCents(nil, c); string(got) != string(want) {
			t.Fatalf("appendCents(%d) = %q, want %q", c, got, want)
		}
	}
}
