package engine

import (
	"strings"
	"testing"
	"time"
)

func TestParseTimestamp(t *testing.T) {
	tests := []struct {
		in string
		ok bool
	}{
		{"2026-11-25T10:00:00Z", true},
		{"2026-11-25T10:00:00.123456Z", true},
		{"2026-11-25t10:00:00.1z", true},
		{"2026-11-25 10:00:00+02:00", true},
		{"1969-12-31T23:59:59.999999-08:30", true},
		{"2024-02-29T00:00:00Z", true},
		{"0001-01-01T00:00:00Z", true},
		{"9999-12-31T23:59:59.999999Z", true},
		{"2023-02-29T00:00:00Z", false},
		{"2026-11-25T10:00:00.1234567Z", false}, // beyond microseconds
		{"2026-11-25T10:00:00", false},          // no zone
		{"2026-11-25T24:00:00Z", false},
		{"2026-11-25T10:60:00Z", false},
		{"2026-11-25T10:00:60Z", false},
		{"2026-13-25T10:00:00Z", false},
		{"2026-11-25T10:00:00.Z", false},
		{"2026-11-25T10:00:00+0200", false},
		{"2026-11-25T10:00:00Zjunk", false},
		{"2026-11-25", false},
		{"hello world, not a time!", false},
	}
	for _, tt := range tests {
		got, ok := parseTimestamp([]byte(tt.in))
		if ok != tt.ok {
			t.Errorf("parseTimestamp(%q) ok = %v, want %v", tt.in, ok, tt.ok)
			continue
		}
		if !ok {
			continue
		}
		layout := time.RFC3339Nano
		in := []byte(tt.in)
		in = []byte(strings.ToUpper(string(in)))
		in[10] = 'T'
		want, err := time.Parse(layout, string(in))
		if err != nil {
			t.Fatalf("time.Parse(%q): %v", in, err)
		}
		if got != want.UnixMicro() {
			t.Errorf("parseTimestamp(%q) = %d, want %d", tt.in, got, want.UnixMicro())
		}
		back, ok := parseTimestamp(appendTimestamp(nil, got))
		if !ok || back != got {
			t.Errorf("%q: formatted %q does not parse back to %d", tt.in, appendTimestamp(nil, got), got)
		}
	}
}

// TestParseTimestampWithCache parses a sequence of timestamps, many
// sharing a date, with one date cache and checks every result against the
// parser without one: the cache never changes a value or a verdict.
func TestParseTimestampWithCache(t *testing.T) {
	ins := []string{
		"2026-11-25T10:00:00Z", "2026-11-25T23:59:59.5+01:00", "2026-11-25T24:00:00Z", "2026-11-25Tjunk",
		"2026-11-25 00:00:01Z", "2026-11-26T00:00:00Z", "2026-11-25T10:00:00Z", "2023-02-29T00:00:00Z",
		"2023-02-29T00:00:01Z", "2024-02-29T00:00:00Z", "2024-02-29T12:00:00.000001Z", "2026-11-25",
		"2026-11-25T10:00:00.1234567Z", "0001-01-01T00:00:00Z", "0001-01-01T00:00:00-01:00",
	}
	var dc dateCache
	for _, in := range ins {
		want, wantOK := parseTimestamp([]byte(in))
		got, ok := parseTimestampWith([]byte(in), &dc)
		if got != want || ok != wantOK {
			t.Errorf("%q with the cache: %d, %v; without: %d, %v", in, got, ok, want, wantOK)
		}
	}
	if !dc.ok || string(dc.text[:]) != "0001-01-01" {
		t.Errorf("the cache holds %q (ok %v), want the last valid date 0001-01-01", dc.text, dc.ok)
	}
}
