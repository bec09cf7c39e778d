package server

import (
	"strings"
	"testing"
)

// TestFlushInputBytes: Config.FlushInputBytes sets the buffer's flush size
// in input bytes, FlushBytes (its old name) still does when it is unset,
// and two different values are an error naming both.
func TestFlushInputBytes(t *testing.T) {
	for _, tc := range []struct {
		name          string
		input, legacy int64
		want          int64
		err           string
	}{
		{"defaults", 0, 0, DefaultFlushInputBytes, ""},
		{"new name", 1 << 20, 0, 1 << 20, ""},
		{"old name", 0, 3 << 20, 3 << 20, ""},
		{"both, equal", 2 << 20, 2 << 20, 2 << 20, ""},
		{"both, different", 2 << 20, 5 << 20, 0, "FlushBytes (5242880) is the old name of FlushInputBytes (2097152)"},
		{"negative", -1, 0, 0, "must not be negative"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Config{DataDir: t.TempDir(), FlushInputBytes: tc.input, FlushBytes: tc.legacy}.withDefaults()
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v; want one containing %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.FlushInputBytes != tc.want || c.FlushBytes != tc.want {
				t.Fatalf("FlushInputBytes %d, FlushBytes %d; want both %d", c.FlushInputBytes, c.FlushBytes, tc.want)
			}
		})
	}
}
