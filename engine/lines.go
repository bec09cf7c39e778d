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
// errors of cdc.DecodeJSONLines count it). With cdc.JSONOptions.FrameData
// the shredder is what validates the rows, and this is how its rejections
// keep the quality of the decoder's. A row error whose entry's data does
// not lie within batch is returned with Line 0 and Offset -1, wrapping
// the *RowError itself (which names the entry's index and LSN).
func LineErrors(dst []*cdc.LineError, batch []byte, entries []cdc.Entry, errs []*RowError) []*cdc.LineError {
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
	info, err := bw.WriteBlock(ctx, out, entries)
	if err != nil {
		return nil, lineErrs, err
	}
	if len(info.Errors) == 0 {
		return info, lineErrs, nil
	}
	shredErrs := LineErrors(nil, batch, entries, info.Errors)
	return info, mergeLineErrors(lineErrs, shredErrs), nil
}

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
