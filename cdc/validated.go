package cdc

import "time"

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
			// Depth 1 is the line's own object, as in the general path.
			s := scanner{b: text, i: i, depth: 1, maxDepth: maxDepth, unique: opts != nil && opts.UniqueKeys, keys: cache.keys[:0]}
			err := s.object()
			cache.keys = s.keys
			if err != nil {
				return false
			}
			data = text[i:s.i]
			i = s.i
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
