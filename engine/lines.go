package engine

import (
	"bytes"
	"context"
	"errors"
	"io"

	"github.com/evodb/writer/cdc"
	"github.com/evodb/writer/internal/jsontext"
)

// LineErrors appends to dst one *cdc.LineError for each row error of a
// block shredded from entries that cdc.DecodeJSONLines decoded from
// batch: the line of batch that held the row, and, when the problem is at
// a byte of the row, that byte counted from the line's start (as the
// errors of cdc.DecodeJSONLines count it).
//
// With cdc.JSONOptions.FrameData the shredder is what validates the rows;
// pass the options the batch was decoded with as opts, and each rejected
// line is decoded again by the validating decoder, so that a line it
// rejects gets the very error cdc.DecodeJSONLines without FrameData gives
// it (a line the decoder accepts keeps the shredder's error). With opts
// nil the shredder's errors are only placed.
//
// A row error whose entry's data does not lie within batch is returned
// with Line 0 and Offset -1, wrapping the *RowError itself (which names
// the entry's index and LSN).
func LineErrors(dst []*cdc.LineError, batch []byte, entries []cdc.Entry, errs []*RowError, opts *cdc.JSONOptions) []*cdc.LineError {
	var full cdc.JSONOptions
	if opts != nil {
		full = *opts
		full.FrameData = false
	}
	// Row errors come in entry order, so lines are counted from the last
	// one found rather than from the start of the batch.
	line, lineStart, pos := 1, 0, 0
	for _, re := range errs {
		var data []byte
		if re.Index >= 0 && re.Index < len(entries) {
			data = entries[re.Index].Data
		}
		off, ok := sliceOffset(batch, data)
		if !ok {
			dst = append(dst, &cdc.LineError{Line: 0, Offset: -1, Err: re})
			continue
		}
		if off < pos {
			line, lineStart, pos = 1, 0, 0
		}
		for {
			i := bytes.IndexByte(batch[pos:off], '\n')
			if i < 0 {
				break
			}
			line++
			pos += i + 1
			lineStart = pos
		}
		pos = off
		if opts != nil {
			text := batch[lineStart:]
			if i := bytes.IndexByte(text, '\n'); i >= 0 {
				text = text[:i]
			}
			text = bytes.TrimSuffix(text, []byte("\r"))
			var e cdc.Entry
			if err := cdc.DecodeJSONLine(&e, text, &full); err != nil {
				dst = append(dst, &cdc.LineError{Line: line, Offset: lineStart, Err: err})
				continue
			}
		}
		err := re.Err
		if je, isJSON := errors.AsType[*jsontext.Error](err); isJSON {
			moved := *je
			moved.Offset += off - lineStart
			err = &moved
		}
		dst = append(dst, &cdc.LineError{Line: line, Offset: lineStart, Err: err})
	}
	return dst
}

// sliceOffset returns where data starts within batch when data is a
// non-empty slice of batch's memory.
func sliceOffset(batch, data []byte) (int, bool) {
	if len(data) == 0 || len(batch) == 0 {
		return 0, false
	}
	// A slice of batch that starts at off has off fewer bytes of capacity;
	// the address comparison rules out a slice of other memory.
	off := cap(batch) - cap(data)
	if off < 0 || off+len(data) > len(batch) || &batch[off] != &data[0] {
		return 0, false
	}
	return off, true
}

// WriteJSONLines decodes a batch of JSON lines (cdc.DecodeJSONLines with
// opts, in its FrameData mode: each row is validated once, by the
// shredder) and writes the rows to out as one block, as WriteBlock does.
// Every rejected line, whether the decoder or the shredder rejected it, is
// returned as a *cdc.LineError in line order; the other lines are
// written. batch must not change until WriteJSONLines returns.
func (bw *BlockWriter) WriteJSONLines(ctx context.Context, out io.Writer, batch []byte, opts *cdc.JSONOptions) (*BlockInfo, []*cdc.LineError, error) {
	o := cdc.JSONOptions{}
	if opts != nil {
		o = *opts
	}
	o.FrameData = true
	entries, lineErrs := cdc.DecodeJSONLines(bw.entries[:0], batch, &o)
	bw.entries = entries
	defer clear(bw.entries) // drop the references into batch
	// The decoder no longer checks the depth of rows: the shredder does,
	// to the smaller of the two limits.
	depth := o.MaxDepth
	if depth <= 0 {
		depth = cdcDefaultMaxDepth
	}
	if saved := bw.s.maxDepth; depth < saved {
		bw.s.maxDepth = depth
		defer func() { bw.s.maxDepth = saved }()
	}
	info, err := bw.WriteBlock(ctx, out, entries)
	if err != nil {
		return nil, lineErrs, err
	}
	if len(info.Errors) == 0 {
		return info, lineErrs, nil
	}
	shredErrs := LineErrors(nil, batch, entries, info.Errors, &o)
	return info, mergeLineErrors(lineErrs, shredErrs), nil
}

// cdcDefaultMaxDepth is cdc.JSONOptions' default MaxDepth.
const cdcDefaultMaxDepth = 64

// mergeLineErrors merges two lists of line errors, each in line order.
func mergeLineErrors(a, b []*cdc.LineError) []*cdc.LineError {
	if len(a) == 0 {
		return b
	}
	out := make([]*cdc.LineError, 0, len(a)+len(b))
	for len(a) > 0 && len(b) > 0 {
		if a[0].Line <= b[0].Line {
			out, a = append(out, a[0]), a[1:]
		} else {
			out, b = append(out, b[0]), b[1:]
		}
	}
	out = append(out, a...)
	return append(out, b...)
}
