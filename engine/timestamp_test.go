package engine

import (
	"encoding/binary"
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
		// The minute cache: the same first 16 bytes with other seconds,
		// fractions, zones, and with what follows them invalid.
		"2026-11-25T10:07:00Z", "2026-11-25T10:07:59.999999Z", "2026-11-25T10:07:60Z", "2026-11-25T10:07:0xZ",
		"2026-11-25T10:07.00Z", "2026-11-25T10:07:01.Z", "2026-11-25T10:07:01-23:59", "2026-11-25T10:07:01+24:00",
		"2026-11-25T10:07:01", "2026-11-25T10:07:01Zz", "2026-11-25t10:07:02Z", "2026-11-25T10:07:03Z",
		"2026-11-25 10:07:04z", "2026-11-25T10:08:00Z", "2026-11-25T10:60:00Z", "2026-11-25T10:07:05Z",
		"2026-11-25x10:07:05Z", "2026-11-25T10:07:05Z",
	}
	var dc dateCache
	for _, in := range ins {
		want, wantOK := parseTimestamp([]byte(in))
		got, ok := parseTimestampWith([]byte(in), &dc)
		if got != want || ok != wantOK {
			t.Errorf("%q with the cache: %d, %v; without: %d, %v", in, got, ok, want, wantOK)
		}
	}
	if !dc.ok || string(dc.text[:]) != "2026-11-25" {
		t.Errorf("the cache holds %q (ok %v), want the last valid date 2026-11-25", dc.text, dc.ok)
	}
	var minute [16]byte
	binary.LittleEndian.PutUint64(minute[:], dc.minHead)
	binary.LittleEndian.PutUint64(minute[8:], dc.minTail)
	if !dc.minOK || string(minute[:]) != "2026-11-25T10:07" {
		t.Errorf("the minute cache holds %q (ok %v), want the last valid minute 2026-11-25T10:07", minute, dc.minOK)
	}
}

// FuzzParseTimestampCache parses two texts in turn with one cache (the
// second one may share the first one's date or minute) and checks each
// result against the parser without a cache and, for a valid text, against
// time.Parse.
func FuzzParseTimestampCache(f *testing.F) {
	f.Add("2026-11-25T10:07:00Z", "2026-11-25T10:07:59.5Z")
	f.Add("2026-11-25T10:07:00Z", "2026-11-25T10:07:60Z")
	f.Add("2026-11-25 10:07:00+01:00", "2026-11-25 10:07:01-01:00")
	f.Add("2024-02-29T23:59:59.999999Z", "2024-02-29T23:59:00.1z")
	f.Add("2026-11-25T10:07:00Z", "2026-11-25T10:07-00Z")
	f.Fuzz(func(t *testing.T, a, b string) {
		var dc dateCache
		for _, in := range []string{a, b, a} {
			want, wantOK := parseTimestamp([]byte(in))
			got, ok := parseTimestampWith([]byte(in), &dc)
			if got != want || ok != wantOK {
				t.Fatalf("%q with the cache: %d, %v; without: %d, %v", in, got, ok, want, wantOK)
			}
			if !ok {
				continue
			}
			std := []byte(strings.ToUpper(in))
			std[10] = 'T'
			ref, err := time.Parse(time.RFC3339Nano, string(std))
			if err != nil {
				t.Fatalf("%q parsed as %d, but time.Parse: %v", in, got, err)
			}
			if ref.UnixMicro() != got {
				t.Fatalf("%q parsed as %d, time.Parse gives %d", in, got, ref.UnixMicro())
			}
		}
	})
}
