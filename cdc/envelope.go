package cdc

import (
	"encoding/binary"
	"time"

	"github.com/evodb/writer/internal/jsontext"
)

// The framing decoder's fast path. Most batches are written by one
// program, so their envelopes share one compact shape:
//
//	{"op":"INSERT","table":"t","lsn":1,"producer":"p","commit_ts":1764064800123456,"data":{...}}
//
// quickEnvelope decodes a line of that kind in one pass without the
// general scanner: member names compared as bytes, the op matched as one
// of three words, table and producer names compared with the ones the
// batch's earlier lines had, integers parsed as they are read. It only
// ever accepts a line the general path (decodeLineMode in framing mode)
// accepts, with the same entry; anything else (white space, escapes, a
// string lsn or commit_ts, a lower-case op, an unknown or repeated member,
// a "data" object that does not end the line, a plain row) makes it give
// up, and the line goes the general way, which also names any problem.

//
// Within a batch, the lines of one producer differ in little but their
// op, lsn, commit_ts and data: the rest of a line quickEnvelope decoded
// is kept as the shape of its op (see envelopeShape), and a line that
// repeats one of the shapes byte for byte around those values is decoded
// by the shape alone.

// envelopeShape is a line quickEnvelope decoded member by member, cut at
// its integer and data values: constant text (the members before a value
// and the value's name, the op, table and producer among them), then the
// value, in the line's order; the data object ends the line. A line whose
// text outside those values is the same has the same op, table and
// producer, and the same members in the same order (so is the same kind
// of envelope), and its values are read as quickEnvelope reads them.
type envelopeShape struct {
	pieces          [3]shapePiece // one per value: lsn, commit_ts, data
	n               int           // pieces in use; 0: no shape
	op              Op
	table, producer string
}

// shapePiece is the constant text before a value and which value follows.
type shapePiece struct {
	text []byte // a span of the line the shape was taken from
	bit  int    // 2 data, 3 lsn, 5 commit_ts (the member bits)
}

// decode decodes text into e by the shape and reports whether text has
// it; when it has not, e is unchanged.
func (sh *envelopeShape) decode(e *Entry, text []byte) bool {
	n := len(text)
	var (
		lsn    int64
		commit time.Time
		data   []byte
		i      int
	)
	for k := range sh.n {
		p := &sh.pieces[k]
		if n-i < len(p.text) || string(text[i:i+len(p.text)]) != string(p.text) {
			return false
		}
		i += len(p.text)
		if p.bit == 2 {
			// The shape ends with the data object, up to the line's inner
			// closing brace, and the line's closing brace.
			if i >= n || text[i] != '{' || innerClose(text) != n-1 {
				return false
			}
			data = text[i : n-1]
			break
		}
		v, end, ok := plainInt(text, i)
		if !ok {
			return false
		}
		if p.bit == 3 {
			lsn = v
		} else {
			commit = time.UnixMicro(v).UTC()
		}
		i = end
	}
	if data == nil {
		return false
	}
	// Field by field: a composite literal is built on the stack and copied
	// in 16-byte moves that wait for the 8-byte stores they read.
	e.Op, e.Table, e.Data, e.LSN, e.Producer, e.CommitTime = sh.op, sh.table, data, lsn, sh.producer, commit
	return true
}

// quickEnvelope decodes text into e when it is an envelope of the common
// shape and reports whether it did; when it did not, e is unchanged. The
// envelope's shape is kept in cache for the next lines.
func quickEnvelope(e *Entry, text []byte, opts *JSONOptions, cache *stringCache) bool {
	// The shape of the last line first, then those of the other ops.
	if sh := &cache.shapes[cache.lastShape]; sh.n > 0 && sh.decode(e, text) {
		return true
	}
	for k := range cache.shapes {
		if sh := &cache.shapes[k]; k != cache.lastShape && sh.n > 0 && sh.decode(e, text) {
			cache.lastShape = k
			return true
		}
	}
	n := len(text)
	if n < 2 || text[0] != '{' || text[n-1] != '}' {
		return false
	}
	var (
		shape envelopeShape // the line cut at its values, as it is read
		from  int           // where the constant text before the next value starts
	)
	cut := func(bit, start int) {
		if shape.n < len(shape.pieces) {
			shape.pieces[shape.n] = shapePiece{text: text[from:start], bit: bit}
		}
		shape.n++
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
		case 2: // data: runs to the line's inner closing brace
			tail := innerClose(text)
			if text[i] != '{' || tail != n-1 {
				return false
			}
			cut(bit, i)
			data = text[i:tail]
			i = tail
		case 3, 5: // lsn, commit_ts
			v, end, ok := plainInt(text, i)
			if !ok {
				return false
			}
			cut(bit, i)
			from = end
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
	if shape.n <= len(shape.pieces) {
		shape.op, shape.table, shape.producer = op, table, producer
		cache.lastShape = int(op) - 1
		cache.shapes[cache.lastShape] = shape
	}
	return true
}

// envelopeKey matches the member name that starts at text[i] (just past
// its opening quote) with an envelope member's; it returns the member's
// bit index and the index just past the closing quote, or -1.
func envelopeKey(text []byte, i int) (bit, next int) {
	rest := text[i:]
	switch {
	case len(rest) >= 3 && rest[0] == 'o' && rest[1] == 'p' && rest[2] == '"':
		return 0, i + 3
	case len(rest) >= 4 && string(rest[:4]) == `lsn"`:
		return 3, i + 4
	case len(rest) >= 5 && string(rest[:5]) == `data"`:
		return 2, i + 5
	case len(rest) >= 6 && string(rest[:6]) == `table"`:
		return 1, i + 6
	case len(rest) >= 9 && string(rest[:9]) == `producer"`:
		return 4, i + 9
	case len(rest) >= 10 && string(rest[:10]) == `commit_ts"`:
		return 5, i + 10
	}
	return -1, 0
}

// plainString reads the string value at text[i] (its opening quote) when
// it has no escapes and only printable ASCII, returning it and the index
// just past its closing quote. The last value read for the member (kept
// in *last, which only this function sets) is reused when the text
// repeats it.
func (c *stringCache) plainString(text []byte, i int, last *string) (string, int, bool) {
	if text[i] != '"' {
		return "", 0, false
	}
	i++
	if l := *last; l != "" && len(text)-i > len(l) && string(text[i:i+len(l)]) == l && text[i+len(l)] == '"' {
		// *last is printable ASCII without '"' or '\\', so these bytes
		// are a whole string and its value.
		return l, i + len(l) + 1, true
	}
	for j := i; j < len(text); j++ {
		switch c := text[j]; {
		case c == '"':
			v := string(text[i:j])
			*last = v
			return v, j + 1, true
		case c < 0x20 || c >= 0x7f || c == '\\':
			return "", 0, false
		}
	}
	return "", 0, false
}

// plainInt reads a JSON integer of at most 18 digits (so it cannot
// overflow) at text[i], not negative, followed by ',' or '}', and returns
// it and the index just past it.
func plainInt(text []byte, i int) (int64, int, bool) {
	start := i
	var v int64
	// Eight digits at a time while there are (commit times have 16).
	for i-start < 16 && len(text)-i >= 8 {
		d, ok := jsontext.Digits8(binary.LittleEndian.Uint64(text[i:]))
		if !ok {
			break
		}
		v = v*1e8 + int64(d)
		i += 8
	}
	for i < len(text) && i-start <= 18 {
		c := text[i]
		if c < '0' || c > '9' {
			break
		}
		v = v*10 + int64(c-'0')
		i++
	}
	digits := i - start
	if digits == 0 || digits > 18 || (text[start] == '0' && digits > 1) || i >= len(text) || (text[i] != ',' && text[i] != '}') {
		return 0, 0, false
	}
	return v, i, true
}
