package upload

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestRangeOf checks how a ranged GET's answer is taken: a 206 must hold
// the range asked for, a 200 (range ignored, no Content-Range) is cut.
func TestRangeOf(t *testing.T) {
	obj := []byte("0123456789")
	tests := []struct {
		name        string
		off, length int64
		cr          string
		body        []byte
		want        []byte
		bad         bool
	}{
		{"206 inside", 2, 3, "bytes 2-4/10", obj[2:5], obj[2:5], false},
		{"206 to the end", 4, 1 << 62, "bytes 4-9/10", obj[4:], obj[4:], false},
		{"206 unknown size", 4, 2, "bytes 4-5/*", obj[4:6], obj[4:6], false},
		{"200 whole object cut", 4, 3, "", obj, obj[4:7], false},
		{"200 huge length", 4, 1 << 62, "", obj, obj[4:], false},
		{"200 past the end", 12, 3, "", obj, []byte{}, false},
		{"206 wrong start", 4, 3, "bytes 0-2/10", obj[:3], nil, true},
		{"206 short body", 4, 3, "bytes 4-6/10", obj[4:6], nil, true},
		{"206 whole object", 4, 3, "bytes 0-9/10", obj, nil, true},
		{"unreadable", 4, 3, "items 4-6", obj[4:7], nil, true},
	}
	for _, tc := range tests {
		got, err := rangeOf("k", tc.off, tc.length, tc.cr, tc.body)
		if tc.bad {
			if err == nil {
				t.Errorf("%s: accepted %q with Content-Range %q", tc.name, got, tc.cr)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.name, diff)
		}
	}
}
