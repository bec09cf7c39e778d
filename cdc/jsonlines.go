package cdc

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/evodb/writer/internal/jsontext"
)

// JSON lines: one entry per line, either an envelope
//
//	{"op":"INSERT","table":"events","data":{"type":"click"},"lsn":100,
//	 "producer":"db-1","commit_ts":"2026-11-25T10:00:00Z"}
//
// or a plain JSON object, which is an insert of that object as the row.
// A line is an envelope when it has both "op" and "data" members; an
// envelope may also carry "table", "lsn" (an integer, or a string of digits
// for values beyond what a JSON reader keeps exact), "producer" and
// "commit_ts" (RFC 3339 text, or an integer of microseconds since the Unix
// epoch). Any other member in an envelope is an error rather than being
// dropped. "op" is INSERT, UPDATE or DELETE in any case. Empty lines are
// skipped; a trailing "\r" is ignored.

// JSONOptions configures DecodeJSONLines. The zero value is usable.
type JSONOptions struct {
	// MaxLineBytes is the longest line accepted; default 1 MiB.
	MaxLineBytes int
	// MaxDepth is the deepest nesting of objects and arrays accepted,
	// counting the line's own object; default 64.
	MaxDepth int
	// Table names the table of plain rows and of envelopes that name none.
	Table string
	// Producer is the producer of lines that name none.
	Producer string
	// FrameData leaves the rows unvalidated: the envelope members other
	// than "data" are checked as usual, but the row object (the "data"
	// member, or the whole line of a plain row) is only framed, its
	// strings and brackets matched and its depth checked, which costs a
	// fraction of validating it; a "data" object that ends the line is
	// not even scanned: it is taken to run up to the line's last brace.
	// Set it only when the entries go to an engine.Shredder, which
	// validates every row as it shreds it and rejects a bad one (any line
	// the validating decoder rejects is rejected by the one or the other);
	// engine.LineErrors turns such a rejection back into the line's
	// error. An entry decoded this way may hold invalid JSON.
	FrameData bool
	// UniqueKeys refuses a row in which an object names a member twice
	// (names compared unescaped), an error wrapping ErrDuplicateKey, as
	// the engine's shredder refuses it. Set it where a row must be known
	// good before it reaches the shredder (a service that acknowledges
	// rows before it writes them). Rows framed by FrameData are not
	// checked.
	UniqueKeys bool
}

const (
	defaultMaxLineBytes = 1 << 20
	defaultMaxDepth     = 64
)

func (o *JSONOptions) limits() (maxLine, maxDepth int) {
	maxLine, maxDepth = defaultMaxLineBytes, defaultMaxDepth
	if o != nil && o.MaxLineBytes > 0 {
		maxLine = o.MaxLineBytes
	}
	if o != nil && o.MaxDepth > 0 {
		maxDepth = o.MaxDepth
	}
	return maxLine, maxDepth
}

// LineError reports a line of a batch that was rejected. Err wraps one of
// ErrSyntax, ErrInvalidUTF8, ErrTooDeep, ErrLineTooLong, ErrNotObject or
// ErrEnvelope.
type LineError struct {
	Line   int // 1-based line number within the batch
	Offset int // byte offset of the line's start within the batch
	Err    error
}

func (e *LineError) Error() string { return fmt.Sprintf("line %d: %v", e.Line, e.Err) }

func (e *LineError) Unwrap() error { return e.Err }

// DecodeJSONLines appends an entry for every valid line of data to dst and
// returns the extended slice with an error for every rejected line; a bad
// line never affects the others. The Data of each entry aliases data, which
// must not change while the entries are in use.
func DecodeJSONLines(dst []Entry, data []byte, opts *JSONOptions) ([]Entry, []*LineError) {
	maxLine, maxDepth := opts.limits()
	var errs []*LineError
	var cache stringCache
	quick := opts != nil && opts.FrameData
	line := 0
	for off := 0; off < len(data); {
		line++
		end := bytes.IndexByte(data[off:], '\n')
		next := len(data)
		if end >= 0 {
			end += off
			next = end + 1
		} else {
			end = len(data)
		}
		text := data[off:end]
		if len(text) > 0 && text[len(text)-1] == '\r' {
			text = text[:len(text)-1]
		}
		if quick && len(text) <= maxLine {
			// The fast path for framed envelopes, decoding in place.
			dst = append(dst, Entry{})
			if quickEnvelope(&dst[len(dst)-1], text, opts, &cache) {
				off = next
				continue
			}
			dst = dst[:len(dst)-1]
		} else if !quick && len(text) <= maxLine {
			// The fast path for validated envelopes (validated.go).
			dst = append(dst, Entry{})
			if quickValidated(&dst[len(dst)-1], text, maxDepth, opts, &cache) {
				off = next
				continue
			}
			dst = dst[:len(dst)-1]
		}
		if len(text) > maxLine {
			errs = append(errs, &LineError{Line: line, Offset: off,
				Err: fmt.Errorf("%w: %d bytes, limit %d", ErrLineTooLong, len(text), maxLine)})
		} else if len(bytes.TrimSpace(text)) > 0 {
			var e Entry
			if err := decodeLine(&e, text, maxDepth, opts, &cache); err != nil {
				errs = append(errs, &LineError{Line: line, Offset: off, Err: err})
			} else {
				dst = append(dst, e)
			}
		}
		off = next
	}
	return dst, errs
}

// DecodeJSONLine decodes one line (without its newline) into e. e.Data
// aliases line.
func DecodeJSONLine(e *Entry, line []byte, opts *JSONOptions) error {
	maxLine, maxDepth := opts.limits()
	if len(line) > maxLine {
		return fmt.Errorf("%w: %d bytes, limit %d", ErrLineTooLong, len(line), maxLine)
	}
	return decodeLine(e, line, maxDepth, opts, nil)
}

// stringCache keeps the last table and producer names decoded, which the
// next lines of a batch almost always repeat, so they are not allocated
// again for every line.
type stringCache struct {
	table, producer string
	// the last table and producer names quickEnvelope read: printable
	// ASCII without '"' or '\\'
	plainTable, plainProducer string
	keys                      []keySpan // the scanner's member names (UniqueKeys), reused
	// the shape of the last envelope of each op quickEnvelope decoded
	// member by member (lines of the batch, which stays unchanged while
	// it is decoded), by op - 1; lastShape is the last one a line had
	shapes    [3]envelopeShape
	lastShape int
}

func (c *stringCache) get(raw []byte, member string, last *string) (string, error) {
	if len(raw) >= 2 && raw[0] == '"' && string(raw[1:len(raw)-1]) == *last && *last != "" {
		return *last, nil
	}
	v, err := parseString(raw, member)
	if err == nil {
		*last = v
	}
	return v, err
}

// envelope members, as bits of a set.
const (
	memberOp = 1 << iota
	memberTable
	memberData
	memberLSN
	memberProducer
	memberCommitTS
	memberOther
)

func decodeLine(e *Entry, text []byte, maxDepth int, opts *JSONOptions, cache *stringCache) error {
	if cache == nil {
		cache = new(stringCache)
	}
	frame := opts != nil && opts.FrameData
	if frame && quickEnvelope(e, text, opts, cache) {
		return nil
	}
	err := decodeLineMode(e, text, maxDepth, opts, cache, frame)
	if err != nil && frame {
		// A line rejected while framing gets the error the validating
		// decoder gives it, which may name an earlier problem.
		var v Entry
		if verr := decodeLineMode(&v, text, maxDepth, opts, cache, false); verr != nil {
			err = verr
		}
	}
	return err
}

func decodeLineMode(e *Entry, text []byte, maxDepth int, opts *JSONOptions, cache *stringCache, frame bool) error {
	s := scanner{b: text, maxDepth: maxDepth, unique: opts != nil && opts.UniqueKeys, keys: cache.keys[:0]}
	s.ws()
	if s.i >= len(text) || text[s.i] != '{' {
		return jsontext.Errorf(ErrNotObject, s.i, "%s", s.describe())
	}
	objStart := s.i
	s.record = true
	s.frame = frame
	s.tail = -1
	if s.frame {
		s.tail = innerClose(text)
	}
	err := s.object()
	cache.keys = s.keys
	if err != nil {
		return err
	}
	s.ws()
	if s.i != len(text) {
		return s.fail(ErrSyntax, "%s after the object", s.describe())
	}
	*e = Entry{Op: Insert, Table: defaultString(opts, true), Producer: defaultString(opts, false)}
	m := &s.top
	seen, spans := m.seen, &m.spans
	if seen&(memberOp|memberData) != memberOp|memberData {
		// A plain row: the whole object is the row.
		e.Data = text[objStart:s.i]
		return nil
	}
	if seen&memberOther != 0 {
		return fmt.Errorf("%w: unknown member %q (an envelope has op, table, data, lsn, producer, commit_ts)", ErrEnvelope, unescape(m.other))
	}
	if m.dup != nil {
		return fmt.Errorf("%w: member %q appears twice", ErrEnvelope, unescape(m.dup))
	}
	raw := func(bit int) []byte { return text[spans[bit][0]:spans[bit][1]] }
	op, err := parseOp(raw(0))
	if err != nil {
		return err
	}
	e.Op = op
	if d := raw(2); d[0] != '{' {
		return fmt.Errorf("%w: \"data\" must be an object, got %s", ErrEnvelope, abbreviate(d))
	} else {
		e.Data = d
	}
	if seen&memberTable != 0 {
		if e.Table, err = cache.get(raw(1), "table", &cache.table); err != nil {
			return err
		}
	}
	if seen&memberProducer != 0 {
		if e.Producer, err = cache.get(raw(4), "producer", &cache.producer); err != nil {
			return err
		}
	}
	if seen&memberLSN != 0 {
		if e.LSN, err = parseLSN(raw(3)); err != nil {
			return err
		}
	}
	if seen&memberCommitTS != 0 {
		if e.CommitTime, err = parseCommitTS(raw(5)); err != nil {
			return err
		}
	}
	return nil
}

// innerClose returns the index just past the last '}' but one of a line
// that ends in two closing braces (white space aside), or -1.
func innerClose(text []byte) int {
	j := len(text) - 1
	for j >= 0 && isSpace(text[j]) {
		j--
	}
	if j < 1 || text[j] != '}' {
		return -1
	}
	j--
	for j >= 0 && isSpace(text[j]) {
		j--
	}
	if j < 0 || text[j] != '}' {
		return -1
	}
	return j + 1
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// memberBit is the index of an envelope member's bit, or -1 for a member
// that is not part of the envelope.
func memberBit(name string) int {
	switch name {
	case "op":
		return 0
	case "table":
		return 1
	case "data":
		return 2
	case "lsn":
		return 3
	case "producer":
		return 4
	case "commit_ts":
		return 5
	}
	return -1
}

func defaultString(opts *JSONOptions, table bool) string {
	if opts == nil {
		return ""
	}
	if table {
		return opts.Table
	}
	return opts.Producer
}

// abbreviate quotes at most 32 bytes of a value for an error message.
func abbreviate(b []byte) string {
	if len(b) > 32 {
		return strconv.Quote(string(b[:32])) + "..."
	}
	return strconv.Quote(string(b))
}

func parseString(raw []byte, member string) (string, error) {
	if raw[0] != '"' {
		return "", fmt.Errorf("%w: %q must be a string, got %s", ErrEnvelope, member, abbreviate(raw))
	}
	inner := raw[1 : len(raw)-1]
	if bytes.IndexByte(inner, '\\') >= 0 {
		return unescape(inner), nil
	}
	return string(inner), nil
}

func parseOp(raw []byte) (Op, error) {
	if raw[0] == '"' && bytes.IndexByte(raw, '\\') < 0 {
		switch name := raw[1 : len(raw)-1]; {
		case bytes.EqualFold(name, []byte("INSERT")):
			return Insert, nil
		case bytes.EqualFold(name, []byte("UPDATE")):
			return Update, nil
		case bytes.EqualFold(name, []byte("DELETE")):
			return Delete, nil
		}
	}
	name, err := parseString(raw, "op")
	if err != nil {
		return 0, err
	}
	switch {
	case strings.EqualFold(name, "INSERT"):
		return Insert, nil
	case strings.EqualFold(name, "UPDATE"):
		return Update, nil
	case strings.EqualFold(name, "DELETE"):
		return Delete, nil
	}
	return 0, fmt.Errorf("%w: \"op\" is %q, want INSERT, UPDATE or DELETE", ErrEnvelope, name)
}

func parseLSN(raw []byte) (int64, error) {
	text := raw
	if raw[0] == '"' {
		text = raw[1 : len(raw)-1]
	}
	v, err := strconv.ParseInt(string(text), 10, 64)
	if err != nil || v < 0 {
		return 0, fmt.Errorf("%w: \"lsn\" is %s, want an integer in 0..%d", ErrEnvelope, abbreviate(raw), int64(1<<63-1))
	}
	return v, nil
}

func parseCommitTS(raw []byte) (time.Time, error) {
	if raw[0] == '"' {
		text, _ := parseString(raw, "commit_ts")
		t, err := time.Parse(time.RFC3339Nano, text)
		if err != nil {
			return time.Time{}, fmt.Errorf("%w: \"commit_ts\" %q is not RFC 3339 time", ErrEnvelope, text)
		}
		return t.UTC(), nil
	}
	micros, err := strconv.ParseInt(string(raw), 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("%w: \"commit_ts\" is %s, want RFC 3339 text or integer microseconds", ErrEnvelope, abbreviate(raw))
	}
	return time.UnixMicro(micros).UTC(), nil
}

// AppendJSONLine appends e as one envelope line, newline included. e.Data
// must hold one JSON object (as DecodeJSONLines produces); it is copied as
// it is. The commit time is written in microseconds, its precision in the
// table.
func AppendJSONLine(dst []byte, e *Entry) ([]byte, error) {
	if !e.Op.Valid() {
		return dst, fmt.Errorf("cdc: entry with LSN %d has invalid op %d", e.LSN, e.Op)
	}
	if len(e.Data) == 0 || e.Data[0] != '{' {
		return dst, fmt.Errorf("cdc: entry with LSN %d: data is not a JSON object", e.LSN)
	}
	dst = append(dst, `{"op":"`...)
	dst = append(dst, e.Op.String()...)
	dst = append(dst, `","table":`...)
	dst = jsontext.AppendString(dst, e.Table)
	dst = append(dst, `,"lsn":`...)
	dst = strconv.AppendInt(dst, e.LSN, 10)
	if e.Producer != "" {
		dst = append(dst, `,"producer":`...)
		dst = jsontext.AppendString(dst, e.Producer)
	}
	if !e.CommitTime.IsZero() {
		dst = append(dst, `,"commit_ts":`...)
		dst = strconv.AppendInt(dst, e.CommitTime.UnixMicro(), 10)
	}
	dst = append(dst, `,"data":`...)
	dst = append(dst, e.Data...)
	dst = append(dst, "}\n"...)
	return dst, nil
}
