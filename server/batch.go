package server

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"mime"
	"strings"

	"github.com/evodb/writer/cdc"
	"github.com/evodb/writer/engine"
)

// format is how a batch body is encoded.
type format byte

const (
	formatJSONLines format = 1
	formatBinary    format = 2
)

// parseContentType maps a Content-Type to a batch format.
func parseContentType(ct string) (format, error) {
	if ct == "" {
		return formatJSONLines, nil
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return 0, fmt.Errorf("Content-Type %q: %v", ct, err)
	}
	switch strings.ToLower(mt) {
	case ContentTypeJSONLines, "application/jsonl", "application/json-lines", "application/x-jsonlines",
		"application/json", "text/plain":
		return formatJSONLines, nil
	case ContentTypeBinary:
		return formatBinary, nil
	}
	return 0, fmt.Errorf("Content-Type %q: send JSON lines (%s) or the binary batch format (%s)", ct, ContentTypeJSONLines, ContentTypeBinary)
}

// batchError is a batch refused for its contents: what was wrong and where.
type batchError struct {
	Message string       `json:"error"`
	Line    int          `json:"line,omitempty"`   // JSON lines: 1-based line
	Entry   int          `json:"entry,omitempty"`  // 1-based entry of the batch
	Offset  int          `json:"offset,omitempty"` // byte offset in the (decompressed) body
	Errors  []lineReport `json:"errors,omitempty"` // every rejected line, up to maxReported
	Count   int          `json:"rejected,omitempty"`
}

type lineReport struct {
	Line   int    `json:"line"`
	Offset int    `json:"offset"`
	Error  string `json:"error"`
}

const maxReported = 20

func (e *batchError) Error() string { return e.Message }

// decodeBatch decodes body as format f into entries for table, whose
// producer defaults to producer. Every entry must name table or none, and
// producer or none when producer is set; every entry must then have a
// producer, a non-negative LSN, and LSNs must increase per producer within
// the batch. Entries alias body.
//
// Every row must also be one the writer takes (no larger than
// engine.DefaultMaxRowBytes, no member named twice in an object): the
// batch is acknowledged before it is written, so a row the writer refused
// at the flush would be lost after its acknowledgement.
//
// The rows are therefore validated twice, here and by the shredder at the
// flush, and both are needed. This one is the only one that can answer
// the producer: it runs before the batch is logged and acknowledged, and
// a bad row gets a 400 naming its line. The shredder's is not a separate
// pass that could be skipped: it is part of the tokenizing that shredding
// needs anyway, and it guards the block against a log written by an older
// version with fewer checks (decodeLogged). What the check here costs was
// measured (BenchmarkIngestDecode, CPU time, batches of 1,000 five-column
// rows): in session 5, 306 ns per entry against 223 ns for decoding the
// envelopes alone (cdc.JSONOptions.FrameData); since the validating
// decoder's fast path for compact envelopes and rows (cdc, validated.go;
// session 7), 107 ns, below the framing decoder's 237 ns for these lines,
// whose "data" member is not the last (its framing fast path needs that).
func decodeBatch(dst []cdc.Entry, f format, body []byte, table, producer string) ([]cdc.Entry, *batchError) {
	return decodeBatchMode(dst, f, body, table, producer, true)
}

// decodeLogged decodes a batch read back from the write-ahead log. It
// was checked when it was accepted, perhaps by an older version with
// fewer row checks: those are not applied again, so that a log written
// then still replays (the writer rejects such a row at the flush, as it
// did then).
func decodeLogged(f format, body []byte, table, producer string) ([]cdc.Entry, *batchError) {
	return decodeBatchMode(nil, f, body, table, producer, false)
}

func decodeBatchMode(dst []cdc.Entry, f format, body []byte, table, producer string, rowChecks bool) ([]cdc.Entry, *batchError) {
	opts := cdc.JSONOptions{Table: table, Producer: producer, UniqueKeys: rowChecks}
	switch f {
	case formatJSONLines:
		var errs []*cdc.LineError
		dst, errs = cdc.DecodeJSONLines(dst[:0], body, &opts)
		if len(errs) > 0 {
			first := errs[0]
			be := &batchError{
				Message: fmt.Sprintf("line %d (byte %d): %v", first.Line, first.Offset, first.Err),
				Line:    first.Line, Offset: first.Offset, Count: len(errs),
			}
			if len(errs) > 1 {
				be.Message += fmt.Sprintf(" (and %d more rejected lines; the batch was not accepted)", len(errs)-1)
			} else {
				be.Message += " (the batch was not accepted)"
			}
			for _, le := range errs[:min(len(errs), maxReported)] {
				be.Errors = append(be.Errors, lineReport{Line: le.Line, Offset: le.Offset, Error: le.Err.Error()})
			}
			return dst[:0], be
		}
	case formatBinary:
		var err error
		dst, err = cdc.DecodeBinaryBatch(dst[:0], body, &opts)
		if err != nil {
			return dst[:0], &batchError{Message: fmt.Sprintf("binary batch: %v (the batch was not accepted)", err)}
		}
	default:
		return dst[:0], &batchError{Message: fmt.Sprintf("unknown batch format %d", f)}
	}
	if len(dst) == 0 {
		return dst, &batchError{Message: "empty batch: no entries"}
	}
	var last map[string]int64
	single, singleLast := "", int64(-1)
	checked := "" // the last producer name found valid (empty is never valid here)
	for i := range dst {
		e := &dst[i]
		if e.Table == "" {
			e.Table = table
		}
		if e.Producer == "" {
			e.Producer = producer
		}
		fail := func(format string, args ...any) *batchError {
			be := &batchError{Entry: i + 1}
			where := fmt.Sprintf("entry %d", i+1)
			if f == formatJSONLines {
				be.Line, be.Offset = lineOf(body, i)
				where = fmt.Sprintf("line %d (byte %d)", be.Line, be.Offset)
			}
			be.Message = where + ": " + fmt.Sprintf(format, args...) + " (the batch was not accepted)"
			return be
		}
		switch {
		case e.Table != table:
			return dst[:0], fail("entry names table %q, the URL names %q", e.Table, table)
		case producer != "" && e.Producer != producer:
			return dst[:0], fail("entry names producer %q, the %s header names %q", e.Producer, ProducerHeader, producer)
		case e.Producer == "":
			return dst[:0], fail("no producer: name one in the entry or in the %s header", ProducerHeader)
		case e.LSN < 0:
			return dst[:0], fail("negative LSN %d", e.LSN)
		case rowChecks && len(e.Data) > engine.DefaultMaxRowBytes:
			// The writer would refuse the row at the flush, after the
			// acknowledgement: refuse it now.
			return dst[:0], fail("row of %d bytes (LSN %d): a row may hold at most %d bytes", len(e.Data), e.LSN, engine.DefaultMaxRowBytes)
		}
		if e.Producer != checked {
			if msg := validProducer(e.Producer); msg != "" {
				return dst[:0], fail("%s", msg)
			}
			checked = e.Producer // most entries repeat the one before
		}
		// LSNs increase per producer. Most batches have one producer:
		// track it without a map until a second appears.
		prev, seen := int64(-1), false
		if last == nil && (single == "" || single == e.Producer) {
			prev, seen = singleLast, single != ""
			single, singleLast = e.Producer, e.LSN
		} else {
			if last == nil {
				last = map[string]int64{single: singleLast}
			}
			prev, seen = last[e.Producer]
			last[e.Producer] = e.LSN
		}
		if seen && e.LSN <= prev {
			return dst[:0], fail("LSN %d of producer %q does not follow %d: LSNs must increase within a batch", e.LSN, e.Producer, prev)
		}
	}
	return dst, nil
}

// lineOf returns the 1-based line number and byte offset of the i-th
// (0-based) entry of a JSON lines body that decoded without errors: the
// i-th line that is not blank.
func lineOf(body []byte, i int) (line, offset int) {
	for off := 0; off < len(body); {
		line++
		end := bytes.IndexByte(body[off:], '\n')
		next := len(body)
		if end >= 0 {
			next = off + end + 1
		} else {
			end = len(body) - off
		}
		if len(bytes.TrimSpace(body[off:off+end])) > 0 {
			if i == 0 {
				return line, off
			}
			i--
		}
		off = next
	}
	return line, len(body)
}

// A write-ahead log record holds one accepted batch as it was sent (after
// decompression), with what is needed to decode it again:
//
//	byte     record version (1)
//	byte     format (1 JSON lines, 2 binary)
//	uvarint  length of the table name, then the name
//	uvarint  length of the default producer (the header's), then the name
//	...      the body
const recordVersion = 1

// maxRecordHeaderBytes bounds what a log record holds besides the batch's
// body: its framing and the header appendRecordHeader writes (a table name
// of at most 128 bytes, a producer name of at most 256).
const maxRecordHeaderBytes = 1024

func appendRecordHeader(dst []byte, f format, table, producer string) []byte {
	dst = append(dst, recordVersion, byte(f))
	dst = binary.AppendUvarint(dst, uint64(len(table)))
	dst = append(dst, table...)
	dst = binary.AppendUvarint(dst, uint64(len(producer)))
	return append(dst, producer...)
}

var errRecord = errors.New("server: bad write-ahead log record")

func parseRecord(b []byte) (f format, table, producer string, body []byte, err error) {
	if len(b) < 2 || b[0] != recordVersion {
		return 0, "", "", nil, fmt.Errorf("%w: version %v", errRecord, b[:min(len(b), 1)])
	}
	f = format(b[1])
	if f != formatJSONLines && f != formatBinary {
		return 0, "", "", nil, fmt.Errorf("%w: format %d", errRecord, f)
	}
	b = b[2:]
	str := func(what string) (string, bool) {
		n, k := binary.Uvarint(b)
		if k <= 0 || n > uint64(len(b)-k) {
			return "", false
		}
		s := string(b[k : k+int(n)])
		b = b[k+int(n):]
		return s, true
	}
	var ok bool
	if table, ok = str("table"); !ok {
		return 0, "", "", nil, fmt.Errorf("%w: table name", errRecord)
	}
	if producer, ok = str("producer"); !ok {
		return 0, "", "", nil, fmt.Errorf("%w: producer name", errRecord)
	}
	return f, table, producer, b, nil
}
