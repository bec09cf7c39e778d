package manifest

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// TombstoneRetentionProperty is the table property (metaData
// configuration) holding how long tombstones are kept, as in Delta Lake.
const TombstoneRetentionProperty = "delta.deletedFileRetentionDuration"

// LogRetentionProperty is the table property holding how long commit
// files are kept before a log cleanup may remove them (those before a
// checkpoint), as in Delta Lake; this package removes none, but other
// writers of the table may.
const LogRetentionProperty = "delta.logRetentionDuration"

// DefaultLogRetention is the log retention of a table without
// LogRetentionProperty: 30 days, Delta Lake's default.
const DefaultLogRetention = 30 * 24 * time.Hour

// DefaultTombstoneRetention is the tombstone retention of a table without
// TombstoneRetentionProperty: a week, Delta Lake's default.
const DefaultTombstoneRetention = 7 * 24 * time.Hour

var intervalUnits = map[string]time.Duration{
	"millisecond": time.Millisecond, "second": time.Second, "minute": time.Minute,
	"hour": time.Hour, "day": 24 * time.Hour, "week": 7 * 24 * time.Hour,
}

// ParseInterval parses a duration written as a Delta Lake table property
// does: "interval <n> <unit>", unit one of millisecond, second, minute,
// hour, day, week (singular or plural, any case), n a non-negative
// integer. "interval 1 week" is DefaultTombstoneRetention.
func ParseInterval(s string) (time.Duration, error) {
	f := strings.Fields(strings.ToLower(s))
	if len(f) != 3 || f[0] != "interval" {
		return 0, fmt.Errorf("%q is not an interval like \"interval 7 days\"", s)
	}
	n, err := strconv.ParseInt(f[1], 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%q: %q is not a non-negative whole number", s, f[1])
	}
	unit, ok := intervalUnits[strings.TrimSuffix(f[2], "s")]
	if !ok {
		return 0, fmt.Errorf("%q: unknown unit %q (want millisecond, second, minute, hour, day or week)", s, f[2])
	}
	if n > int64(time.Duration(1<<63-1)/unit) {
		return 0, fmt.Errorf("%q is too long", s)
	}
	return time.Duration(n) * unit, nil
}
