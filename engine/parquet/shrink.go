package parquet

import "github.com/evodb/writer/kernels"

// Releasing the buffers of an oversized file.
//
// A Writer keeps its buffers (pages, the encoded chunk, dictionary indices,
// dictionary tables and the builds' scratch, the zstd encoders' history) from file to file, so that
// files like the last ones allocate nothing. One file much larger than the
// next ones (a big block, then small ones) would pin its memory for good:
// at the start of each file, shrinkBuffers releases every buffer that holds
// more than twice what the largest chunk of each of the last shrinkFiles
// files could need (plus shrinkSlack; the dictionary tables: twice the
// most entries a dictionary of those files had, plus dictSlack), and it
// grows again to what the next files need. A run of files of about the
// same size never releases anything, so writing them stays free of
// allocations. The slacks are small, so that a writer that settles on
// small files (64 KB blocks) after large ones comes back to about what a
// new writer of those small files holds: a slack of 64 KiB a buffer and
// 8,192 dictionary entries kept about 1.2 MB of a 4.7 MB block's buffers
// and tables in a writer of 64 KB blocks.

const (
	// shrinkFiles is how many files in a row must need much less than a
	// buffer holds before it is released
	shrinkFiles = 4
	// shrinkSlack is the room a byte buffer may keep beyond twice the need
	shrinkSlack = 4 << 10
	// dictSlack is the room, in entries, the dictionary tables may keep
	// beyond twice the need (a build reserves a batch of 256 ahead)
	dictSlack = 1024
	// zstdMaxBlock is the largest input the zstd encoder compresses as
	// one block, without a history buffer (of the window plus a block)
	zstdMaxBlock = 128 << 10
)

// fileUse is what the chunks of one file needed.
type fileUse struct {
	chunks int
	levels int // most level entries of a chunk (at least its values)
	bytes  int // largest rawChunkBytes of a chunk
	page   int // largest input to the compressor
	dict   int // most entries of a dictionary built
	// largest page that did not lie in the hash table's memory (see
	// Writer.pageMem)
	ownPage int
}

// bufferUse is what the buffers were needed for in the last files.
type bufferUse struct {
	file   fileUse // the file being written
	recent [shrinkFiles]fileUse
	files  int // files recorded in recent
	// most entries of a dictionary built since the tables were released
	dictHeld int
	// an input over Writer.zstdBlock was compressed since the encoders
	// were made: they hold a history buffer
	zstdHist bool
	// releases counts the buffers released so far
	releases int
}

// rawChunkBytes bounds the bytes any encoding of a chunk takes, and so
// what each byte buffer holds for it: PLAIN values (4 bytes of length per
// byte array), dictionary indices, deltas, levels (a byte each at most,
// repetition and definition), a dictionary page (at most the values), a
// compressed page (about its input).
func rawChunkBytes(c *ColumnData, nv int) int {
	return 2*c.NumLevels + 8*nv + len(c.Bytes)
}

// noteChunk records what a chunk of nv values needed.
func (w *Writer) noteChunk(c *ColumnData, nv int) {
	f := &w.use.file
	f.chunks++
	f.levels = max(f.levels, c.NumLevels)
	f.bytes = max(f.bytes, rawChunkBytes(c, nv))
}

// noteDict records a dictionary build that reached entries entries
// (kept or not). Only the chunk's own build counts: a dictionary of
// another type keeps the length of its last build, which may be a file
// long past.
func (w *Writer) noteDict(entries int) {
	w.use.file.dict = max(w.use.file.dict, entries)
	w.use.dictHeld = max(w.use.dictHeld, entries)
}

// notePage records an input of n bytes to the compressor.
func (w *Writer) notePage(n int) {
	u := &w.use
	u.file.page = max(u.file.page, n)
	if n > w.zstdBlock && w.zencs != nil {
		u.zstdHist = true
	}
}

// shrinkBuffers ends the record of the file just written (if it wrote a
// chunk: a Reset that only extends the schema is no file) and releases
// the buffers that hold far more than the last shrinkFiles files needed.
func (w *Writer) shrinkBuffers() {
	u := &w.use
	if u.file.chunks == 0 {
		return
	}
	u.recent[u.files%shrinkFiles] = u.file
	u.files++
	u.file = fileUse{}
	if u.files < shrinkFiles {
		return
	}
	var need fileUse
	for _, f := range u.recent {
		need.levels = max(need.levels, f.levels)
		need.bytes = max(need.bytes, f.bytes)
		need.page = max(need.page, f.page)
		need.dict = max(need.dict, f.dict)
		need.ownPage = max(need.ownPage, f.ownPage)
	}
	tooBig := func(held, need int) bool {
		if held > 2*need+shrinkSlack {
			u.releases++
			return true
		}
		return false
	}
	for _, b := range [...]*[]byte{&w.chunk, &w.levels, &w.dictOwn, &w.stage} {
		if tooBig(cap(*b), need.bytes) {
			*b = nil
		}
	}
	// the page's own memory: like the other byte buffers while pages
	// need it, none once the hash table's memory held every page of the
	// last files
	if tooBig(cap(w.pageOwn), need.bytes) || (need.ownPage == 0 && cap(w.pageOwn) > 0) {
		w.pageOwn = nil
	}
	// the compressor's outputs: at most about its largest input
	for i := range w.outs {
		if tooBig(cap(w.outs[i]), need.page) {
			w.outs[i] = nil
		}
	}
	if tooBig(cap(w.nulls), need.levels) {
		w.nulls = nil
	}
	if tooBig(4*cap(w.idx), 4*need.levels) {
		w.idx = nil
	}
	if tooBig(4*cap(w.lens), 4*need.levels) {
		w.lens = nil
	}
	// Scratch of the dictionary builds that grows with a chunk's values
	// (or the range of its integers), not with its dictionary: the bitmap
	// of an integer range.
	// The builds' shared scratch (dictFixed.spare64, spare32): the words
	// of short strings (8 bytes a value, a batch of dictSample at a time:
	// see buildShort), the bitmap of an integer range
	// and its counts (see directMaxSpan), the sort's second buffers (12
	// bytes an entry, at most a value).
	// They also hold the values of string dictionaries (lent to the
	// string table, see linkDicts): at most a chunk's bytes and an
	// offset per value.
	directNeed := int(directMaxSpan(need.levels)/8 + directMaxSpan(need.levels)/16)
	if tooBig(8*cap(w.fixed.spare64)+4*cap(w.fixed.spare32), max(directNeed, 12*need.levels, need.bytes+4*need.levels)) {
		w.fixed.spare64, w.fixed.spare32 = nil, nil
	}
	if u.dictHeld > 2*need.dict+dictSlack {
		w.fixed, w.byteDic, w.dictMem = dictFixed{}, dictBytes{}, kernels.DictMemory{}
		w.dropDictCache()
		u.dictHeld = 0
		u.releases++
	}
	if u.zstdHist && need.page <= w.zstdBlock {
		// New encoders, without the history buffer; EncodeAll starts
		// every page afresh, so they compress to the same bytes.
		if w.newZstd() == nil {
			u.zstdHist = false
			u.releases++
		}
	}
}

// heldBytes is the memory the writer's reusable buffers hold (for tests;
// the dictionary tables are counted by their entries and the zstd
// encoders' history by whether it is held).
func (w *Writer) heldBytes() (bytes, dictEntries int, zstdHist bool) {
	for _, b := range [...][]byte{w.chunk, w.pageOwn, w.levels, w.dictOwn, w.stage, w.nulls} {
		bytes += cap(b)
	}
	for _, b := range w.outs {
		bytes += cap(b)
	}
	bytes += 4*cap(w.idx) + 4*cap(w.lens)
	bytes += 8*cap(w.fixed.spare64) + 4*cap(w.fixed.spare32)
	bytes += w.dictCacheHeld
	return bytes, w.use.dictHeld, w.use.zstdHist
}
