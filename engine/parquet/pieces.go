package parquet

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"math/bits"
	"slices"
	"unsafe"

	"github.com/evodb/writer/kernels"
)

// A row group written a piece at a time (WritePiece, EndRowGroup): each
// piece, a run of whole rows, is encoded at once into data pages that the
// writer holds for each column, and EndRowGroup writes each column's
// chunk: its dictionary page, built over every piece, then its pages. A
// caller that cannot hold a row group's raw values (see
// engine.TypedOptions.RowGroupMemory) holds its encoded pages instead,
// and the file keeps the row groups, and so the dictionaries, it would
// have had.
//
// A chunk's value encoding is chosen on its first piece, as WriteRowGroup
// chooses it on a whole chunk, if that piece has enough values to judge
// by (dictSample); a smaller one starts the chunk with a dictionary. A
// dictionary then lives on over the next pieces, each adding its new
// values to it (in first-seen order after those of a first piece judged
// whole, which are sorted as usual); when the pieces keep bringing
// mostly new values, or the dictionary passes DictionaryLimit, the next
// pages fall back to the encoding the chunk would have had without one,
// and the dictionary page holds the values of the pages before. Pages end
// where pieces end.

// pieceJudgeValues is how many values the pieces of a chunk must bring
// between two judgements of its dictionary (see Writer.pieceKind).
const pieceJudgeValues = 1024

// pieceRec is the state of a column's chunk in progress after one of its
// pieces: everything a rewind to that piece restores.
type pieceRec struct {
	pagesEnd  int   // end of the piece's pages in leafStream.pages
	levels    int64 // level entries so far (the chunk's num_values)
	unc, comp int64 // sizes of the pages so far, headers included
	kinds     uint8 // bit 1<<kind for each value encoding a page used
	// statistics of the values so far; Min and Max are in statBytes
	stats     Statistics
	statBytes []byte
	// noMinMax: a piece had values but no min or max (a byte array too
	// long for statistics): the chunk gets a null count only
	noMinMax bool
}

// pieceBytes is bytes appended in blocks of up to pieceBlock bytes
// (from pieceBlockMin, doubling), kept for reuse: the pages of a chunk
// grow without copies, and without the copies' garbage, which at its peak
// would weigh as much as the pages.
type pieceBytes struct {
	blocks [][]byte
	n      int
}

const (
	pieceBlockMin = 4 << 10
	pieceBlock    = 64 << 10
)

func (b *pieceBytes) append(p []byte) {
	for len(p) > 0 {
		i, at := b.locate(b.n)
		if i == len(b.blocks) {
			b.blocks = append(b.blocks, make([]byte, min(pieceBlockMin<<i, pieceBlock)))
		}
		c := copy(b.blocks[i][at:], p)
		p = p[c:]
		b.n += c
	}
}

// locate is the block of offset off, and the offset within it.
func (b *pieceBytes) locate(off int) (int, int) {
	for i, size := 0, pieceBlockMin; ; i++ {
		if off < size {
			return i, off
		}
		off -= size
		size = min(size*2, pieceBlock)
	}
}

// writeTo writes the first n bytes with w.write.
func (b *pieceBytes) writeTo(w *Writer, n int) {
	for _, blk := range b.blocks {
		if n == 0 {
			return
		}
		k := min(n, len(blk))
		w.write(blk[:k])
		n -= k
	}
}

// leafStream is a column's chunk of the row group in progress.
type leafStream struct {
	pages pieceBytes
	// recs[:n] hold the state after each piece; the ones past n keep
	// their memory for the next pieces
	recs []pieceRec
	n    int
	// chosen: the chunk's value encoding, kind, was chosen on its first
	// piece with values; codec is the chunk's compression, fixed by its
	// first piece's first page
	chosen bool
	kind   valueKind
	codec  Compression
	// the chunk's dictionary while kind is kindDict, built on by each
	// piece (d32 for 4-byte values, d64 for 8-byte ones, db for byte
	// arrays); once the chunk fell back (frozen), dictPlain holds its
	// dictN values PLAIN-encoded for the dictionary page
	d32       kernels.DictInt32
	d64       kernels.DictInt64
	db        kernels.DictBytes
	frozen    bool
	dictPlain []byte
	dictN     int
	// values and new dictionary entries since the last judgement, and the
	// share of new values at the last one; values: all the values the
	// dictionary took
	seen, fresh int
	lastFresh   float64
	values      int
	// provisional: the chunk started with a dictionary, its first piece
	// too small to judge by
	provisional bool
}

// reset empties s for the next chunk, keeping its memory.
func (s *leafStream) reset() {
	s.pages.n = 0
	s.n = 0
	s.chosen, s.frozen, s.provisional = false, false, false
	s.dictPlain, s.dictN = s.dictPlain[:0], 0
	s.seen, s.fresh, s.lastFresh, s.values = 0, 0, 0, 0
	s.d32.Reset()
	s.d64.Reset()
	s.db.Reset()
}

func (s *leafStream) last() *pieceRec {
	if s.n == 0 {
		return nil
	}
	return &s.recs[s.n-1]
}

// dictLen is the number of values of the chunk's dictionary.
func (s *leafStream) dictLen(t PhysicalType) int {
	switch {
	case s.frozen:
		return s.dictN
	case t == ByteArray:
		return s.db.Len()
	case t == Int32 || t == Float:
		return s.d32.Len()
	}
	return s.d64.Len()
}

// dictSize is the PLAIN size of the chunk's dictionary.
func (s *leafStream) dictSize(t PhysicalType) int {
	switch {
	case s.frozen:
		return len(s.dictPlain)
	case t == ByteArray:
		return s.db.EncodedSize()
	case t == Int32 || t == Float:
		return s.d32.EncodedSize()
	}
	return s.d64.EncodedSize()
}

// appendDict appends the chunk's dictionary PLAIN-encoded.
func (s *leafStream) appendDict(dst []byte, t PhysicalType) []byte {
	if s.frozen {
		return append(dst, s.dictPlain...)
	}
	return s.appendDictN(dst, t, s.dictLen(t))
}

// appendDictN appends the first n values of the chunk's dictionary (not
// frozen) PLAIN-encoded.
func (s *leafStream) appendDictN(dst []byte, t PhysicalType, n int) []byte {
	switch t {
	case ByteArray:
		slab, offsets := s.db.Values()
		return appendPlainBytes(dst, slab, offsets, 0, n)
	case Int32, Float:
		return appendPlainInt32(dst, s.d32.Values()[:n])
	}
	return appendPlainInt64(dst, s.d64.Values()[:n])
}

// insert adds the values of c to the chunk's dictionary, their indices to
// idx.
func (s *leafStream) insert(c *ColumnData, idx []int32) error {
	switch c.Leaf.Type {
	case Int32:
		return s.d32.Insert(idx, c.Int32s)
	case Float:
		return s.d32.Insert(idx, asI32(asU32(c.Floats)))
	case Int64:
		return s.d64.Insert(idx, c.Int64s)
	case Double:
		return s.d64.Insert(idx, asI64(asU64(c.Doubles)))
	case ByteArray:
		return s.db.Insert(idx, c.Bytes, c.Offsets[:len(idx)+1])
	}
	return fmt.Errorf("no dictionary for %v values", c.Leaf.Type)
}

// fallbackKind is the value encoding of a chunk of type t without a
// dictionary (see chooseKind).
func fallbackKind(t PhysicalType, compression Compression) valueKind {
	switch t {
	case Int32, Int64:
		return kindDelta
	case Float, Double:
		if compression != Uncompressed {
			return kindSplit
		}
	case ByteArray:
		return kindDeltaLength
	}
	return kindPlain
}

// pieceKind chooses the value encoding of a piece of the chunk of s; for
// kindDict it leaves the indices of the piece's values in w.idx and
// returns the dictionary's length.
func (w *Writer) pieceKind(c *ColumnData, l *leaf, s *leafStream, nv int) (valueKind, int, error) {
	t := l.node.Type
	if !s.chosen && nv == 0 {
		// nothing to judge by: the next piece with values chooses
		return fallbackKind(t, w.opts.Compression), 0, nil
	}
	if !s.chosen && nv < dictSample && t != Boolean && w.opts.DictionaryLimit >= 0 && (!l.dictChosen || l.dictChoice == kindDict) {
		// Too few values to judge by (in a few hundred, a dictionary of
		// a few thousand names looks like distinct values): the chunk
		// starts with a dictionary, which the next pieces judge by how
		// many new values they bring.
		s.chosen, s.kind, s.provisional = true, kindDict, true
	}
	if !s.chosen {
		kind, slows := w.chooseKind(c, l, nv, true)
		if slows {
			// Judged as a whole chunk, a piece charges to its few values
			// the whole dictionary page, which the chunk's later pieces
			// share and grow little where new values grow scarcer (skus,
			// prices, names): the dictionary loses on a piece that the
			// chunk's would win (it did by 40% on a column of skus). The
			// chunk starts with a dictionary, as after a small piece, and
			// the pieces judge it by how many new values they bring, this
			// one first; the piece's verdict does not hold for the file.
			l.dictChosen = false
			s.chosen, s.kind, s.provisional = true, kindDict, true
		} else {
			s.chosen, s.kind = true, kind
			if kind != kindDict {
				return kind, 0, nil
			}
			// The chunk's dictionary starts as the one chooseKind built
			// (sorted, for numbers): its values go into s's own, in the
			// same order, so that the indices in w.idx hold.
			if err := w.addPieceDict(c, s, nv); err != nil {
				return 0, 0, colErr(l, "dictionary: %v", err)
			}
			return kindDict, s.dictLen(t), nil
		}
	}
	if s.kind != kindDict || nv == 0 {
		return s.kind, s.dictLen(t), nil
	}
	if cap(w.idx) < nv {
		w.idx = make([]uint32, nv, nv+nv/4)
	}
	before := s.dictLen(t)
	var err error
	if w.buildDict(c, w.opts.DictionaryLimit, 16, w.idx[:nv]) {
		// the piece's own dictionary, built the fast ways a chunk's is, then
		// its few values into the chunk's
		err = w.addPieceDict(c, s, nv)
	} else {
		err = s.insert(c, asI32(w.idx[:nv]))
	}
	if err != nil {
		return 0, 0, colErr(l, "dictionary: %v", err)
	}
	after := s.dictLen(t)
	s.seen += nv
	s.values += nv
	s.fresh += after - before
	limit := w.opts.DictionaryLimit
	fallBack := s.dictSize(t) > limit
	if s.seen >= pieceJudgeValues && (s.values >= dictSample || !(l.dictChosen && l.dictChoice == kindDict)) {
		// (A chunk of a column whose dictionary won on an earlier
		// chunk is not judged before it brought dictSample values: its
		// first values are mostly new whatever the set they come from,
		// and a thousand prices of a few thousand are. Without such a
		// verdict, free text and ids are told from the first ones.)
		// The share of new values among those since the last judgement
		// tells a dictionary that will not pay: nearly all new (ids, free
		// text), or more than half new and not falling (amounts of many
		// digits). One of a few thousand values (prices, names) brings
		// mostly new ones at first too, but fewer and fewer: it is kept,
		// as a judgement of the whole chunk keeps it.
		fresh := float64(s.fresh) / float64(s.seen)
		distinct := fresh > 15.0/16
		fallBack = fallBack || distinct || fresh > 0.5 && s.lastFresh > 0 && fresh > s.lastFresh*15/16
		s.lastFresh = fresh
		if distinct && s.values == s.seen && s.values >= dictSample && w.opts.Compression == Zstd {
			// the chunk's first dictSample values or more nearly all
			// distinct: a verdict against the dictionary for the next
			// chunks of the file, as chooseKind makes one (whose first
			// pieces, too small to judge by, then take the fallback at
			// once). Fewer values cannot tell ids from a bounded set.
			l.dictChoice, l.dictChosen = fallbackKind(t, w.opts.Compression), true
			l.dictChoiceValues, l.dictChoiceSlows = s.values, false
		}
		if !fallBack && s.provisional {
			// judged once, on this piece, by its compressed size
			s.provisional = false
			fallBack = !w.pieceDictPays(c, s, nv)
			if !fallBack && w.opts.Compression == Zstd && s.values >= minChoiceSample {
				// a verdict for the dictionary, as chooseKind makes one
				l.dictChoice, l.dictChosen = kindDict, true
				l.dictChoiceValues, l.dictChoiceSlows = s.values, false
			}
		}
		s.seen, s.fresh = 0, 0
	}
	if !fallBack {
		return kindDict, after, nil
	}
	// The values of this piece on go without the dictionary; its page
	// holds the values of the pieces before, which their pages use (this
	// piece's new values, which no page uses, are left out).
	s.dictPlain = s.appendDictN(s.dictPlain[:0], t, before)
	s.dictN = before
	s.frozen = true
	// (emptied, their memory kept for the next chunks)
	s.d32.Reset()
	s.d64.Reset()
	s.db.Reset()
	s.kind = fallbackKind(t, w.opts.Compression)
	return s.kind, s.dictN, nil
}

// addPieceDict adds the values of the dictionary just built in w.fixed or
// w.byteDic, for the nv values of piece c, to the chunk's dictionary, and
// turns their indices in w.idx into the chunk dictionary's.
func (w *Writer) addPieceDict(c *ColumnData, s *leafStream, nv int) error {
	t := c.Leaf.Type
	n := w.dictLen(t)
	w.pieceIdx = fit(w.pieceIdx, n)
	m := asI32(w.pieceIdx)
	var err error
	if t == ByteArray {
		slab, offsets := w.byteDic.values()
		err = s.db.Insert(m, slab, offsets)
	} else {
		buf := w.appendDictValues(w.pieceBuf[:0], t)
		w.pieceBuf = buf
		if w.fixed.width == 4 {
			err = s.d32.Insert(m, unsafe.Slice((*int32)(unsafe.Pointer(unsafe.SliceData(buf))), n))
		} else {
			err = s.d64.Insert(m, unsafe.Slice((*int64)(unsafe.Pointer(unsafe.SliceData(buf))), n))
		}
	}
	if err != nil {
		return err
	}
	idx := w.idx[:nv]
	for i, j := range idx {
		idx[i] = uint32(m[j])
	}
	return nil
}

// pieceDictPays reports whether the dictionary indices of the piece c of
// nv values (in w.idx) take fewer bytes, compressed as its pages would
// be, than the piece in the chunk's fallback encoding. The dictionary's
// own values are left out: a piece of a chunk that has just begun adds
// most of them, and the chunk's later pieces pay for them (the share of
// new values judges that).
func (w *Writer) pieceDictPays(c *ColumnData, s *leafStream, nv int) bool {
	size := func(b []byte) int {
		if w.opts.Compression == Uncompressed {
			return len(b)
		}
		return min(len(b), w.compressedLen(b))
	}
	w.page = w.appendValues(w.pageMem(), c, kindDict, s.dictLen(c.Leaf.Type), 0, nv)
	dict := size(w.page)
	w.page = w.appendValues(w.pageMem(), c, fallbackKind(c.Leaf.Type, w.opts.Compression), 0, 0, nv)
	return dict <= size(w.page)
}

// WritePiece encodes cols, one per leaf of the schema in schema order and
// each holding the same whole rows, as the next rows of the row group in
// progress, which it begins if there is none; EndRowGroup (or Close)
// writes the row group out. The pieces are held in memory, encoded. cols
// are validated as WriteRowGroup's are; a piece that fails is rejected
// whole (the pieces before stay).
func (w *Writer) WritePiece(cols []ColumnData) error {
	if w.closed {
		return errors.New("parquet: WritePiece after Close")
	}
	if w.err != nil {
		return w.err
	}
	if w.extended {
		return errors.New("parquet: WritePiece: the file's schema was extended")
	}
	rows, err := w.validateGroup("WritePiece", cols)
	if err != nil {
		return err
	}
	if rows == 0 {
		return nil
	}
	if len(w.streams) != len(w.leaves) {
		w.streams = make([]leafStream, len(w.leaves))
	}
	if w.keep {
		// the chunks of the marked row group, which ended, move aside
		if len(w.saved) != len(w.leaves) {
			w.saved = make([]leafStream, len(w.leaves))
		}
		w.streams, w.saved = w.saved, w.streams
		for i := range w.streams {
			w.streams[i].reset()
		}
		w.keep, w.savedOK = false, true
	}
	n := len(w.pieceRows)
	for i := range cols {
		if err := w.writePiece(&cols[i], &w.leaves[i], &w.streams[i]); err != nil {
			w.truncatePieces(n)
			return err
		}
	}
	w.pieceRows = append(w.pieceRows, w.OpenRows()+rows)
	return nil
}

// OpenRows is the number of rows of the row group in progress (the pieces
// written since the last row group ended).
func (w *Writer) OpenRows() int64 {
	if len(w.pieceRows) == 0 {
		return 0
	}
	return w.pieceRows[len(w.pieceRows)-1]
}

// writePiece encodes c, a piece of the chunk of s, into pages appended to
// s.pages, as writeChunk encodes a chunk (less its dictionary page).
func (w *Writer) writePiece(c *ColumnData, l *leaf, s *leafStream) error {
	nv := c.NumValues()
	m := &w.pieceMeta
	*m = columnMeta{typ: physicalWire(l.node.Type), path: l.path, codec: w.opts.Compression}
	w.beginChunk(m, l, 0)
	if s.n > 0 {
		// the codec of the chunk's first piece
		w.chunkCodec, w.codecChecked = s.codec, true
		m.codec = s.codec
	}

	kind, dictLen, err := w.pieceKind(c, l, s, nv)
	if err != nil {
		return err
	}
	if s.n == 0 && !w.codecChecked {
		// A piece's first page, a small part of the chunk (indices of a
		// dictionary that may not last, or will grow), does not judge the
		// chunk's codec: its pages are compressed.
		w.codecChecked = true
	}
	var kinds uint8
	if kind = w.writePages(m, c, l, kind, dictLen); c.NumLevels > 0 {
		kinds = 1 << kind
	}
	if err := w.endPages(c, l, nv); err != nil {
		return err
	}
	if s.n == 0 {
		s.codec = w.chunkCodec
		l.codec, l.codecSet = w.chunkCodec, true
	}

	// the state after the piece
	if len(s.recs) == s.n {
		s.recs = append(s.recs, pieceRec{})
	}
	r := &s.recs[s.n]
	if p := s.last(); p != nil {
		r.levels, r.unc, r.comp, r.kinds, r.noMinMax = p.levels, p.unc, p.comp, p.kinds, p.noMinMax
		r.statBytes = append(r.statBytes[:0], p.statBytes...)
		r.stats = p.stats
		r.stats.Min, r.stats.Max = nil, nil
		if p.stats.Min != nil {
			k := len(p.stats.Min)
			r.stats.Min, r.stats.Max = statPair(r.statBytes, k)
		}
	} else {
		*r = pieceRec{statBytes: r.statBytes[:0]}
	}
	s.pages.append(w.chunk)
	r.pagesEnd = s.pages.n
	r.levels += int64(c.NumLevels)
	r.unc += m.uncompressedSize
	r.comp += m.compressedSize
	r.kinds |= kinds
	var ps Statistics
	if kinds == 1<<kindDict && l.node.Type == ByteArray && !s.frozen {
		ps = w.dictPieceStats(c, s, nv)
	} else {
		ps, w.pieceStat = columnStats(c, w.pieceStat[:0])
	}
	w.mergeStats(r, &ps, nv, l.node.Type)
	s.n++
	return nil
}

// dictPieceStats is columnStats of a piece of byte arrays whose indices
// are in w.idx, computed over the dictionary values the piece uses, each
// once, instead of over its values.
func (w *Writer) dictPieceStats(c *ColumnData, s *leafStream, nv int) Statistics {
	st := Statistics{NullCount: int64(c.NumLevels - nv), HasNullCount: true}
	slab, offsets := s.db.Values()
	used := fit(w.pieceUsed, (len(offsets)+62)/64)
	clear(used)
	w.pieceUsed = used
	for _, i := range w.idx[:nv] {
		used[i>>6] |= 1 << (i & 63)
	}
	var lo, hi []byte
	first := true
	for k, word := range used {
		for word != 0 {
			e := k*64 + bits.TrailingZeros64(word)
			word &= word - 1
			v := slab[offsets[e]:offsets[e+1]]
			switch {
			case first:
				lo, hi, first = v, v, false
			case bytes.Compare(v, lo) < 0:
				lo = v
			case bytes.Compare(v, hi) > 0:
				hi = v
			}
		}
	}
	if first || len(lo) > maxStatBytes || len(hi) > maxStatBytes {
		return st
	}
	buf := append(append(w.pieceStat[:0], lo...), hi...)
	w.pieceStat = buf
	st.Min, st.Max = statPair(buf, len(lo))
	return st
}

// mergeStats merges the statistics of a piece of nv values into r.
func (w *Writer) mergeStats(r *pieceRec, ps *Statistics, nv int, t PhysicalType) {
	r.stats.HasNullCount = true
	r.stats.NullCount += ps.NullCount
	if r.noMinMax {
		return
	}
	if ps.Min == nil {
		// a piece without min and max: NaNs alone (ignored), or byte
		// arrays too long for statistics (none for the chunk then)
		if nv > 0 && t == ByteArray {
			r.noMinMax = true
			r.stats.Min, r.stats.Max = nil, nil
			r.statBytes = r.statBytes[:0]
		}
		return
	}
	lo, hi := ps.Min, ps.Max
	if r.stats.Min != nil {
		if !statLess(lo, r.stats.Min, t) {
			lo = r.stats.Min
		}
		if !statLess(r.stats.Max, hi, t) {
			hi = r.stats.Max
		}
	}
	// (lo and hi may lie in r.statBytes: through a copy)
	w.pieceMerge = append(append(w.pieceMerge[:0], lo...), hi...)
	r.statBytes = append(r.statBytes[:0], w.pieceMerge...)
	r.stats.Min, r.stats.Max = statPair(r.statBytes, len(lo))
}

// statLess reports whether encoded statistic a orders before b for
// values of type t.
func statLess(a, b []byte, t PhysicalType) bool {
	switch t {
	case Int32:
		return int32(binary.LittleEndian.Uint32(a)) < int32(binary.LittleEndian.Uint32(b))
	case Int64:
		return int64(binary.LittleEndian.Uint64(a)) < int64(binary.LittleEndian.Uint64(b))
	case Float:
		return math.Float32frombits(binary.LittleEndian.Uint32(a)) < math.Float32frombits(binary.LittleEndian.Uint32(b))
	case Double:
		return math.Float64frombits(binary.LittleEndian.Uint64(a)) < math.Float64frombits(binary.LittleEndian.Uint64(b))
	}
	return bytes.Compare(a, b) < 0
}

// truncatePieces takes the row group in progress back to its first n
// pieces. A chunk's dictionary keeps the values the later pieces added
// (unused by its pages, which is allowed), and a chunk that fell back
// stays so; with no piece left (n == 0), nothing of the pieces taken back
// stays: the next piece chooses the chunks' encodings afresh.
func (w *Writer) truncatePieces(n int) {
	w.pieceRows = w.pieceRows[:n]
	for i := range w.streams {
		s := &w.streams[i]
		if n == 0 {
			s.reset()
			continue
		}
		s.n = min(s.n, n)
		if r := s.last(); r != nil {
			s.pages.n = r.pagesEnd
		} else {
			s.pages.n = 0
		}
	}
}

// PieceMark is the state of a file in progress to take it back to
// (RewindPieces): its row groups, its offset, the pieces of the row group
// in progress.
type PieceMark struct {
	Groups int
	Off    int64
	Pieces int
}

// MarkPieces returns the file's state, to take it back to with
// RewindPieces, and keeps what that needs: if a later EndRowGroup ends
// the row group in progress, its pieces are kept aside until the next
// MarkPieces or DropMark.
func (w *Writer) MarkPieces() PieceMark {
	w.dropKept()
	w.marked, w.markGroups, w.markPieces = true, len(w.meta.rowGroups), len(w.pieceRows)
	w.markChoices = w.markChoices[:0]
	for i := range w.leaves {
		w.markChoices = append(w.markChoices, w.leaves[i].leafChoices)
	}
	return PieceMark{Groups: len(w.meta.rowGroups), Off: w.off, Pieces: len(w.pieceRows)}
}

// DropMark forgets the last MarkPieces.
func (w *Writer) DropMark() {
	w.dropKept()
	w.marked = false
}

// dropKept forgets the chunks of an ended row group kept for a rewind.
func (w *Writer) dropKept() {
	if w.keep {
		w.keep = false
		for i := range w.streams {
			w.streams[i].reset()
		}
	}
	w.savedOK = false
}

// RewindPieces takes the file back to mark m, the last MarkPieces (see
// Rewind for out and for the caller's part): the row groups ended since
// are dropped, and the row group in progress is the one of the mark, with
// its pieces at the mark.
func (w *Writer) RewindPieces(out io.Writer, m PieceMark) error {
	if !w.marked || m.Groups != w.markGroups {
		return fmt.Errorf("parquet: RewindPieces: no mark at row group %d", m.Groups)
	}
	ended := m.Groups < len(w.meta.rowGroups)
	if ended && m.Pieces > 0 && !w.keep && !w.savedOK || !ended && m.Pieces > len(w.pieceRows) {
		return fmt.Errorf("parquet: RewindPieces: %d pieces of row group %d are gone", m.Pieces, m.Groups)
	}
	if err := w.Rewind(out, m.Groups, m.Off); err != nil {
		return err
	}
	if len(w.markChoices) == len(w.leaves) {
		for i := range w.leaves {
			w.leaves[i].leafChoices = w.markChoices[i]
		}
	}
	switch {
	case ended && m.Pieces > 0:
		// the marked row group's chunks: in streams still, or in saved
		if !w.keep {
			w.streams, w.saved = w.saved, w.streams
		}
		w.pieceRows, w.savedRows = w.savedRows, w.pieceRows
	case ended:
		// the marked row group had no pieces: none is in progress
		w.pieceRows = w.pieceRows[:0]
		for i := range w.streams {
			w.streams[i].reset()
		}
	}
	w.keep, w.savedOK = false, false
	w.truncatePieces(m.Pieces)
	return nil
}

// EndRowGroup writes the row group in progress out: for each column, its
// dictionary page if a page used it, then its pages. Without one it does
// nothing. After an I/O error, Rewind (or RewindPieces) to the row group
// before keeps its pieces for another try.
func (w *Writer) EndRowGroup() error {
	if w.closed {
		return errors.New("parquet: EndRowGroup after Close")
	}
	if w.err != nil {
		return w.err
	}
	rows := w.OpenRows()
	if rows == 0 {
		return nil
	}
	rg := rowGroup{numRows: rows, fileOffset: w.off, columns: w.groupColumns(len(w.leaves))}
	for i := range w.leaves {
		l, s := &w.leaves[i], &w.streams[i]
		m := rg.columns[i].meta
		if m == nil {
			m = new(columnMeta)
		}
		r := s.last()
		*m = columnMeta{
			typ:       physicalWire(l.node.Type),
			path:      l.path,
			codec:     s.codec,
			numValues: r.levels,
			encodings: m.encodings[:0],
			statBytes: append(m.statBytes[:0], r.statBytes...),
		}
		m.statsOwn = r.stats
		if r.stats.Min != nil {
			k := len(r.stats.Min)
			m.statsOwn.Min, m.statsOwn.Max = statPair(m.statBytes, k)
		}
		m.stats = &m.statsOwn
		base := w.off
		if r.kinds&(1<<kindDict) != 0 {
			// the dictionary page, laid out in w.chunk as writeChunk lays
			// out a chunk's (its sizes go to m)
			w.beginChunk(m, l, base)
			w.chunkCodec, w.codecChecked = s.codec, true
			m.codec = s.codec
			m.hasDictOffset, m.dictPageOffset = true, base
			w.pieceBuf = s.appendDict(w.pieceBuf[:0], l.node.Type)
			w.stagePage(pendingPage{typ: pageDictionary, dict: dictPageHeader{numValues: int32(s.dictLen(l.node.Type)), encoding: EncPlain}}, w.pieceBuf, nil)
			w.flushPages()
			w.dropPage()
			w.write(w.chunk)
			m.encodings = append(m.encodings, EncPlain)
		}
		m.dataPageOffset = w.off
		s.pages.writeTo(w, r.pagesEnd)
		m.uncompressedSize += r.unc
		m.compressedSize += r.comp
		if l.maxDef > 0 || l.maxRep > 0 {
			m.encodings = append(m.encodings, EncRLE)
		}
		for k := kindPlain; k <= kindDeltaLength; k++ {
			if r.kinds&(1<<k) != 0 {
				if e := k.encoding(); !slices.Contains(m.encodings, e) {
					m.encodings = append(m.encodings, e)
				}
			}
		}
		rg.columns[i] = columnChunk{fileOffset: m.chunkStart(), meta: m}
		rg.totalByteSize += m.uncompressedSize
		rg.compressedSize += m.compressedSize
		if w.err != nil {
			return w.err
		}
	}
	w.meta.rowGroups = append(w.meta.rowGroups, rg)
	w.meta.numRows += rows
	if w.marked && w.markGroups == len(w.meta.rowGroups)-1 && w.markPieces > 0 {
		// the marked row group, marked after pieces of it: its chunks
		// stay for RewindPieces, in streams until another row group's
		// piece needs them (see WritePiece). (A mark before its first
		// piece takes the file back to no row group in progress: nothing
		// of it is needed.)
		w.pieceRows, w.savedRows = w.savedRows[:0], w.pieceRows
		w.keep = true
		return nil
	}
	w.pieceRows = w.pieceRows[:0]
	for i := range w.streams {
		w.streams[i].reset()
	}
	return nil
}
