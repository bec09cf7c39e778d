package cdc

import (
	"encoding/binary"
	"math/bits"
	"time"

	"github.com/evodb/writer/internal/jsontext"
)

// The validating decoder's fast path. A service that acknowledges rows
// before it writes them decodes every line with the rows validated (no
// FrameData), and its producers' envelopes are compact and alike:
//
//	{"op":"INSERT","data":{"id":1,"user":"u"},"lsn":1,"commit_ts":1764000000001000}
//
// quickValidated decodes such a line in one pass without the general
// scanner's bookkeeping of the envelope: member names compared as bytes,
// the op matched as one of three words, table and producer names compared
// with the ones the batch's earlier lines had, integers parsed as they are
// read. The "data" object, wherever it stands, is validated by the general
// scanner itself, at the depth it has in the line, so it is accepted or
// refused exactly as the general path does. quickValidated only ever
// accepts a line the general path (decodeLineMode, not framing) accepts,
// with the same entry; anything else (white space outside the row,
// escapes in the envelope, a string lsn or commit_ts, a lower-case op, an
// unknown or repeated member, a plain row, a row the scanner refuses)
// makes it give up, and the line goes the general way, which also names
// any problem.
func quickValidated(e *Entry, text []byte, maxDepth int, opts *JSONOptions, cache *stringCache) bool {
	n := len(text)
	if n < 2 || text[0] != '{' || text[n-1] != '}' {
		return false
	}
	var (
		op       Op
		table    = defaultString(opts, true)
		producer = defaultString(opts, false)
		lsn      int64
		commit   time.Time
		data     []byte
		seen     int
	)
	i := 1
	for {
		// A member name: one of the envelope's, unescaped.
		if i >= n || text[i] != '"' {
			return false
		}
		bit, next := envelopeKey(text, i+1)
		if bit < 0 || seen&(1<<bit) != 0 || next >= n || text[next] != ':' {
			return false
		}
		seen |= 1 << bit
		i = next + 1
		if i >= n {
			return false
		}
		switch bit {
		case 0: // op
			if n-i < 8 || text[i] != '"' || text[i+7] != '"' {
				return false
			}
			switch string(text[i+1 : i+7]) {
			case "INSERT":
				op = Insert
			case "UPDATE":
				op = Update
			case "DELETE":
				op = Delete
			default:
				return false
			}
			i += 8
		case 1, 4: // table, producer
			last := &cache.plainTable
			if bit == 4 {
				last = &cache.plainProducer
			}
			v, end, ok := cache.plainString(text, i, last)
			if !ok {
				return false
			}
			if bit == 1 {
				table = v
			} else {
				producer = v
			}
			i = end
		case 2: // data: an object, validated as the general path does
			if text[i] != '{' {
				return false
			}
			unique := opts != nil && opts.UniqueKeys
			end, ok := quickRow(text, i, 2, maxDepth, unique, &cache.keys)
			if !ok {
				// Depth 1 is the line's own object, as in the general path.
				s := scanner{b: text, i: i, depth: 1, maxDepth: maxDepth, unique: unique, keys: cache.keys[:0]}
				err := s.object()
				cache.keys = s.keys
				if err != nil {
					return false
				}
				end = s.i
			}
			data = text[i:end]
			i = end
		case 3, 5: // lsn, commit_ts
			v, end, ok := plainInt(text, i)
			if !ok {
				return false
			}
			if bit == 3 {
				lsn = v
			} else {
				commit = time.UnixMicro(v).UTC()
			}
			i = end
		}
		if i >= n {
			return false
		}
		switch text[i] {
		case ',':
			i++
			continue
		case '}':
			if i != n-1 || seen&(memberOp|memberData) != memberOp|memberData {
				return false
			}
		default:
			return false
		}
		break
	}
	*e = Entry{Op: op, Table: table, Data: data, LSN: lsn, Producer: producer, CommitTime: commit}
	return true
}

// quickRow validates the row object whose opening brace is at b[i] and
// whose nesting level is depth (2 in a JSON line, whose own object is
// level 1; 1 for the row of a binary batch), as scanner.object does there
// (the same depth limit, grammar, UTF-8 and, with unique, member names
// given once), for a row of the common kind: at most smallObject members,
// each named by printable ASCII without escapes. It returns the index
// just past the object and true, or false when it gives up: on any other
// row, and on any problem, which the scanner then finds and names.
// Strings that are not plain ASCII go to jsontext.ScanString and nested
// objects and arrays to the scanner itself, as the scanner's own steps
// would. keys is the scanner's storage for member names, reused.
func quickRow(b []byte, i, depth, maxDepth int, unique bool, keys *[]keySpan) (int, bool) {
	if depth > maxDepth {
		return 0, false
	}
	n := len(b)
	i = skipWS(b, i+1)
	if i < n && b[i] == '}' {
		return i + 1, true
	}
	var names [smallObject][2]int // the row's member names so far (unique)
	count := 0
	for {
		// A member name, plain: valid as it is, and equal to another
		// name exactly when its bytes are.
		if i >= n || b[i] != '"' {
			return 0, false
		}
		ks := i + 1
		ke := plainEnd(b, ks)
		if ke >= n || b[ke] != '"' {
			return 0, false
		}
		if unique {
			if count == smallObject {
				return 0, false
			}
			name := b[ks:ke]
			for _, k := range names[:count] {
				if k[1]-k[0] == len(name) && string(b[k[0]:k[1]]) == string(name) {
					return 0, false
				}
			}
			names[count] = [2]int{ks, ke}
			count++
		}
		i = skipWS(b, ke+1)
		if i >= n || b[i] != ':' {
			return 0, false
		}
		i = skipWS(b, i+1)
		if i >= n {
			return 0, false
		}
		switch c := b[i]; {
		case c == '"':
			if j := plainEnd(b, i+1); j < n && b[j] == '"' {
				i = j + 1
				break
			}
			end, _, err := jsontext.ScanString(b, i)
			if err != nil {
				return 0, false
			}
			i = end + 1
		case c == '-' || c-'0' <= 9:
			end, ok := numberEnd(b, i)
			if !ok {
				return 0, false
			}
			i = end
		case c == 't':
			if n-i < 4 || string(b[i:i+4]) != "true" {
				return 0, false
			}
			i += 4
		case c == 'f':
			if n-i < 5 || string(b[i:i+5]) != "false" {
				return 0, false
			}
			i += 5
		case c == 'n':
			if n-i < 4 || string(b[i:i+4]) != "null" {
				return 0, false
			}
			i += 4
		case c == '{' || c == '[':
			s := scanner{b: b, i: i, depth: depth, maxDepth: maxDepth, unique: unique, keys: (*keys)[:0]}
			err := s.value()
			*keys = s.keys
			if err != nil {
				return 0, false
			}
			i = s.i
		default:
			return 0, false
		}
		i = skipWS(b, i)
		if i >= n {
			return 0, false
		}
		switch b[i] {
		case ',':
			i = skipWS(b, i+1)
		case '}':
			return i + 1, true
		default:
			return 0, false
		}
	}
}

// skipWS returns the index of the first byte from b[i] on that is not
// JSON white space (len(b) if none), as scanner.ws moves.
func skipWS(b []byte, i int) int {
	for i < len(b) {
		switch b[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// plainEnd returns the index of the first byte from b[i] on that is not
// plain in a string (jsontext.IsPlain), or len(b): eight bytes at a time.
func plainEnd(b []byte, i int) int {
	for len(b)-i >= 8 {
		if m := jsontext.Special8(binary.LittleEndian.Uint64(b[i:])); m != 0 {
			return i + bits.TrailingZeros64(m)>>3
		}
		i += 8
	}
	for i < len(b) && jsontext.IsPlain(b[i]) {
		i++
	}
	return i
}

// numberEnd returns the index just past the number at b[i] and true when
// it has the grammar scanner.number accepts; false otherwise.
func numberEnd(b []byte, i int) (int, bool) {
	n := len(b)
	if b[i] == '-' {
		i++
	}
	if i >= n {
		return 0, false
	}
	if b[i] == '0' {
		i++
	} else {
		start := i
		for i < n && b[i]-'0' <= 9 {
			i++
		}
		if i == start {
			return 0, false
		}
	}
	if i < n && b[i] == '.' {
		i++
		start := i
		for i < n && b[i]-'0' <= 9 {
			i++
		}
		if i == start {
			return 0, false
		}
	}
	if i < n && b[i]|0x20 == 'e' {
		i++
		if i < n && (b[i] == '+' || b[i] == '-') {
			i++
		}
		start := i
		for i < n && b[i]-'0' <= 9 {
			i++
		}
		if i == start {
			return 0, false
		}
	}
	return i, true
}
