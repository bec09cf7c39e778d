package engine

import (
	"encoding/binary"
	"time"
)

// A string column becomes a timestamp column when every string of it in
// the block that introduces it is an RFC 3339 date-time:
//
//	YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)
//
// with 'T' or 't' or a space between date and time, at most 6 digits of
// fraction (the column keeps microseconds; more digits would lose some, so
// such a string is not a timestamp) and a zone. The column keeps the
// instant, in microseconds since the Unix epoch, UTC: the offset the text
// was written with is not kept, and the reader writes the instant back in
// UTC ("2026-11-25T10:00:00.5Z").

// parseTimestamp parses an RFC 3339 date-time as microseconds since the
// Unix epoch.
func parseTimestamp(b []byte) (int64, bool) { return parseTimestampWith(b, nil) }

// dateCache remembers the last date and minute a timestamp column met:
// the rows of a block mostly repeat a few dates, and rows written in time
// order repeat the minute too.
type dateCache struct {
	text [10]byte // "YYYY-MM-DD"
	days int64
	ok   bool
	// minute: the first 16 bytes of the last text ("YYYY-MM-DDTHH:MM",
	// validated, its separator included) as two little-endian words, and
	// its seconds since the epoch (without the offset)
	minHead, minTail uint64
	minSecs          int64
	minOK            bool
}

// parseTimestampWith is parseTimestamp, taking the day number of the date
// (or the seconds of date, hour and minute) from dc when the text's date
// (or the text up to the minute) is the one dc remembers (dc may be nil).
func parseTimestampWith(b []byte, dc *dateCache) (int64, bool) {
	if len(b) < 20 || b[4] != '-' || b[7] != '-' || b[13] != ':' || b[16] != ':' {
		return 0, false
	}
	var base int64 // seconds of the date, hour and minute
	if dc != nil && dc.minOK && binary.LittleEndian.Uint64(b) == dc.minHead && binary.LittleEndian.Uint64(b[8:]) == dc.minTail {
		base = dc.minSecs
	} else {
		if c := b[10]; c != 'T' && c != 't' && c != ' ' {
			return 0, false
		}
		var days int64
		if dc != nil && dc.ok && string(b[:10]) == string(dc.text[:]) {
			days = dc.days
		} else {
			year, ok1 := digitsN(b[0:4])
			month, ok2 := digitsN(b[5:7])
			day, ok3 := digitsN(b[8:10])
			if !(ok1 && ok2 && ok3) || month < 1 || month > 12 || day < 1 || day > daysIn(year, month) {
				return 0, false
			}
			days = daysFromCivil(year, month, day)
			if dc != nil {
				copy(dc.text[:], b[:10])
				dc.days, dc.ok = days, true
			}
		}
		hour, ok4 := digitsN(b[11:13])
		minute, ok5 := digitsN(b[14:16])
		if !(ok4 && ok5) || hour > 23 || minute > 59 {
			return 0, false
		}
		base = days*86400 + int64(hour*3600+minute*60)
		if dc != nil {
			dc.minHead, dc.minTail = binary.LittleEndian.Uint64(b), binary.LittleEndian.Uint64(b[8:])
			dc.minSecs, dc.minOK = base, true
		}
	}
	sec, ok6 := digitsN(b[17:19])
	if !ok6 || sec > 59 {
		return 0, false
	}
	i := 19
	var micros int64
	if b[i] == '.' {
		i++
		n := 0
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			if n == 6 {
				return 0, false
			}
			micros = micros*10 + int64(b[i]-'0')
			i++
			n++
		}
		if n == 0 {
			return 0, false
		}
		micros *= pow10Micros[n]
	}
	if i >= len(b) {
		return 0, false
	}
	var offset int64
	switch b[i] {
	case 'Z', 'z':
		i++
	case '+', '-':
		if len(b)-i != 6 || b[i+3] != ':' {
			return 0, false
		}
		oh, ok1 := digitsN(b[i+1 : i+3])
		om, ok2 := digitsN(b[i+4 : i+6])
		if !ok1 || !ok2 || oh > 23 || om > 59 {
			return 0, false
		}
		offset = int64(oh*60+om) * 60
		if b[i] == '-' {
			offset = -offset
		}
		i += 6
	default:
		return 0, false
	}
	if i != len(b) {
		return 0, false
	}
	secs := base + int64(sec) - offset
	return secs*1e6 + micros, true
}

// pow10Micros[n] scales a fraction of n digits to microseconds.
var pow10Micros = [7]int64{1e6, 1e5, 1e4, 1e3, 1e2, 10, 1}

func digitsN(b []byte) (int, bool) {
	v := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int(c-'0')
	}
	return v, true
}

func daysIn(year, month int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// daysFromCivil is the number of days from 1970-01-01 to the given date of
// the proleptic Gregorian calendar.
func daysFromCivil(y, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 && y%400 != 0 {
		era--
	}
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return int64(era)*146097 + int64(doe) - 719468
}

// appendTimestamp appends micros as RFC 3339 text in UTC with as many
// fraction digits as needed (none for whole seconds).
func appendTimestamp(dst []byte, micros int64) []byte {
	return time.UnixMicro(micros).UTC().AppendFormat(dst, "2006-01-02T15:04:05.999999Z07:00")
}
