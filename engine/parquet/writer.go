package parquet

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/evodb/writer/internal/zstdenc"
	"github.com/evodb/writer/kernels"
	"github.com/klauspost/compress/snappy"
	"github.com/klauspost/compress/zstd"
)

// DefaultCreatedBy is written to the footer's created_by field.
const DefaultCreatedBy = "evodb writer"

const (
	defaultPageSize        = 1 << 20
	defaultDictionaryLimit = 1 << 20
	// maxPageLevels caps the level entries of one data page, so that a
	// reader never has to hold an unbounded page.
	maxPageLevels  = 1 << 20
	maxSchemaDepth = 100
	// splitSample is how many values of a float chunk are compressed both
	// PLAIN and BYTE_STREAM_SPLIT to choose between them
	splitSample = 16384
	// dictCompareSample is how many values of a chunk are compressed
	// with and without the dictionary to choose between them
	dictCompareSample = 16384
	// dictQuickSample is how many values of the fallback encoding are
	// compressed first, to see whether the dictionary wins by
	// dictQuickMargin or more (see dictWinsCompressed). On the benchmark
	// tables such a prefix, scaled, never cost less than 0.95 times the
	// whole sample, so the margin of 3/2 leaves the decision unchanged.
	dictQuickSample = 2048
	// maxZstdWindow is the largest zstd window the writer uses
	maxZstdWindow = 256 << 10
	// ownZstdMax bounds the pages that zstd levels 1 and 2 (klauspost's
	// SpeedFastest) compress with the project's encoder (internal/zstdenc),
	// whose memory follows the page (against some 530 KB for the klauspost
	// encoder whatever the page). On the pages of the
	// benchmark tables it compresses pages below 64 KiB 0.5-2.5% smaller
	// than klauspost's SpeedFastest and larger ones 0.3-1.9% bigger: those
	// go to the klauspost encoder, created on its first page.
	ownZstdMax = 64 << 10
	// minChoiceSample is the fewest values a chunk needs for its choice
	// of encoding (by compressing samples) to hold for the next chunks of
	// the same column in the file
	minChoiceSample = 1024
	// rejudgeGrowth: a chunk of more than rejudgeGrowth times the values
	// of the one a column's dictionary lost on judges its own: a
	// dictionary's page weighs less the more values share it (the skus of
	// a 1,300-row block lose one that a block a hundred times larger wins
	// by far). A verdict for the dictionary holds for chunks of any size:
	// on smaller ones it costs a few percent at worst (4 % on 1,300
	// orders rows after pieces of 6,700 skus), where judging each again
	// would cost a quarter more CPU on blocks that alternate between
	// small and large.
	rejudgeGrowth = 4
)

// dictQuickMargin is the ratio (num/den) of a prefix's scaled compressed
// size to the dictionary's that decides for the dictionary at once.
var dictQuickMargin = struct{ num, den int64 }{3, 2}

// KeyValue is one entry of the footer's key/value metadata.
type KeyValue struct {
	Key, Value string
}

// WriterOptions configure a Writer. The zero value writes uncompressed
// v1 data pages of about 1 MiB with dictionaries of up to 1 MiB.
type WriterOptions struct {
	// Compression of pages: Uncompressed (default), Snappy or Zstd.
	Compression Compression
	// ZstdLevel is the zstd level (1..22, as in the zstd tool); 0 means 3.
	ZstdLevel int
	// PageSize is the target size of a data page before compression;
	// 0 means 1 MiB.
	PageSize int
	// DictionaryLimit is the largest PLAIN size of a dictionary page; a
	// column chunk whose dictionary would be larger is written without
	// one. 0 means 1 MiB; a negative value disables dictionaries.
	DictionaryLimit int
	// Concurrency is the number of goroutines that compress the pages of
	// a column chunk; 0 and 1 compress on the calling goroutine. More
	// helps wall time only when cores are idle: it costs CPU time (one
	// zstd encoder per goroutine, a staging copy), and a process writing
	// several blocks at once is better served by one goroutine per block.
	Concurrency int
	// DataPageV2 writes data pages v2 instead of v1.
	DataPageV2 bool
	// CreatedBy is the footer's created_by; empty means DefaultCreatedBy.
	CreatedBy string
	// KeyValueMetadata is written to the footer.
	KeyValueMetadata []KeyValue
}

// leaf describes one leaf column of the schema.
type leaf struct {
	node   *Node
	path   []string
	maxDef uint8
	maxRep uint8
	// repDef[r-1] is the definition level at which the r-th repeated
	// ancestor (counting from the root) has an element.
	repDef []uint8
	// codec of the column in the file being written, fixed by its first
	// chunk (some readers take the first chunk's codec for all of them)
	codec    Compression
	codecSet bool
	// plainRuns counts the files in a row (up to plainRunsToKeep) whose
	// first chunk, of minChoiceSample values or more, found compression
	// far from paying for the column (see plainClear); from
	// plainRunsToKeep on, a file after ResetKeepChoices writes it
	// uncompressed at once, instead of compressing its first page again
	// to find the same
	plainRuns uint8
	leafChoices
	// the last dictionary page compressed for the column, raw and
	// compressed (see cachedDictPage), kept once a page repeated
	dictPageRaw, dictPageComp []byte
	// hash of the column's last dictionary page (dictPageSeen: there was
	// one), to keep a page only when it repeats the one before
	dictPageHash uint64
	dictPageSeen bool
}

// leafChoices are a leaf's value encodings chosen, for the next chunks of
// the file, by compressing a large enough sample of a chunk both ways
// (zstd only): dictionary or not, and for floats BYTE_STREAM_SPLIT or
// PLAIN; dictChoiceValues is the values of the chunk the dictionary was
// judged on (a verdict against it holds for chunks of up to
// rejudgeGrowth times as many), dictChoiceSlows whether such a verdict
// was swayed by that chunk's size (see chooseKind).
type leafChoices struct {
	dictChoice, splitChoice valueKind
	dictChosen, splitChosen bool
	dictChoiceValues        int
	dictChoiceSlows         bool
}

// Writer writes one Parquet file, a row group at a time. It is not safe
// for concurrent use.
type Writer struct {
	out      io.Writer
	off      int64
	opts     WriterOptions
	schema   *Node
	elements []schemaElement
	leaves   []leaf
	meta     fileMeta
	err      error // sticky I/O error
	closed   bool
	// extended: Extend changed the schema of the file in progress
	extended bool

	// buffers reused across column chunks and row groups
	chunk []byte // one encoded column chunk
	// one uncompressed page body (v1) or values section (v2); before the
	// chunk's first page, the encodings that the choice of encoding
	// compares (chooseKind, dictWinsCompressed; checkSplit with dictBuf).
	// It lies in the hash table's slots past dictBuf (dictMem.Spare) when
	// they have more room than pageOwn, else in pageOwn (pageMem); it is
	// dropped with the chunk
	page    []byte
	pageOwn []byte
	levels  []byte // v2 levels
	hdr     tWriter
	idx     []uint32
	lens    []int32
	bools   []uint8
	hybrid  hybridEncoder
	delta   deltaEncoder
	fixed   dictFixed
	byteDic dictBytes
	// dictMem holds the hash table of the 8-byte dictionary and of the
	// string one (see linkDicts)
	dictMem kernels.DictMemory
	// dictBuf holds the chunk's dictionary PLAIN-encoded (or checkSplit's
	// PLAIN sample), in the hash table's slots (dictMem.Spare), idle once
	// the chunk's dictionary is built, when they have room, else in
	// dictOwn; it is dropped with the chunk (dictBufMem)
	dictBuf []byte
	dictOwn []byte
	// dictZ is dictBuf compressed by the choice of encoding
	// (dictWinsCompressed), if dictZOK: the chunk's dictionary page
	// reuses it instead of compressing the same bytes again. It lies in
	// the chunk's memory, past its end, and is dropped with the chunk
	dictZ   []byte
	dictZOK bool
	// dictRedo: the choice of encoding compressed dictBuf but dropped
	// the result (over dictZKeepMax bytes): the chunk's dictionary page
	// is compressed again, as dictZ would have been used
	dictRedo bool
	// bytes held by the leaves' dictionary page caches (cachedDictPage),
	// and the pages it did not compress again (for tests)
	dictCacheHeld int
	dictCacheHits int
	// the leaf of the chunk being written
	chunkLeaf *leaf
	zenc      *zstd.Encoder
	zown      *zstdenc.Encoder // level 1 pages below ownZstdMax, or nil
	nulls     []uint8          // zero levels of the chunks of nulls Close writes

	// pages of the chunk being written, before compression
	stage   []byte
	pending []pendingPage
	outs    [][]byte        // compressed body of each pending page
	zencs   []*zstd.Encoder // one per extra compressing goroutine
	zowns   []*zstdenc.Encoder
	workers int
	// the chunk being laid out
	chunkMeta *columnMeta
	chunkBase int64
	dataSeen  bool
	// codec of the chunk: the writer's, until the first data page shows
	// that compression does not pay (see worthCompressing)
	chunkCodec   Compression
	codecChecked bool
	// plainClear: the chunk's first page saved less than half what
	// worthCompressing asks (see plainClear)
	plainClear bool
	dictPage   pendingPage // the chunk's dictionary page, if any
	// sizes of the chunk's dictionary page, raw and compressed (serial path)
	dictRaw, dictComp int

	// the row group in progress, written a piece at a time (see
	// pieces.go): each column's chunk, and the rows after each piece
	streams   []leafStream
	pieceRows []int64
	// marked: MarkPieces was called at row group markGroups, after
	// markPieces of its pieces. That row group may have ended since: if
	// the mark was after pieces of it, keep, its chunks are still in
	// streams; savedOK, they were moved to saved; either way with its
	// rows in savedRows
	marked     bool
	markGroups int
	markPieces int
	// the leaves' choices at the mark, which RewindPieces restores: rows
	// taken back leave no verdict behind
	markChoices []leafChoices
	keep        bool
	savedOK     bool
	saved       []leafStream
	savedRows   []int64
	// scratch of the pieces: a piece's metadata, statistics, dictionary
	// indices and values (a dictionary page among them), merged statistics
	pieceMeta  columnMeta
	pieceStat  []byte
	pieceIdx   []uint32
	pieceBuf   []byte
	pieceMerge []byte
	pieceUsed  []uint64
	// what the buffers above were needed for in the last files, to
	// release them after an oversized one (see shrinkBuffers)
	use bufferUse
	// the largest input the zstd encoders compress in one block, without
	// a history buffer (see shrinkBuffers)
	zstdBlock int
}

// NewWriter starts a file on w with the given schema. It writes the
// leading magic bytes at once.
func NewWriter(w io.Writer, schema *Node, opts WriterOptions) (*Writer, error) {
	if w == nil {
		return nil, errors.New("parquet: NewWriter: nil io.Writer")
	}
	if opts.PageSize <= 0 {
		opts.PageSize = defaultPageSize
	}
	if opts.DictionaryLimit == 0 {
		opts.DictionaryLimit = defaultDictionaryLimit
	}
	if opts.CreatedBy == "" {
		opts.CreatedBy = DefaultCreatedBy
	}
	switch opts.Compression {
	case Uncompressed, Snappy, Zstd:
	default:
		return nil, fmt.Errorf("parquet: NewWriter: unsupported compression %v", opts.Compression)
	}
	if opts.ZstdLevel < 0 || opts.ZstdLevel > 22 {
		return nil, fmt.Errorf("parquet: NewWriter: zstd level %d outside 1..22", opts.ZstdLevel)
	}
	elements, leaves, err := flattenSchema(schema)
	if err != nil {
		return nil, err
	}
	if opts.Concurrency < 0 {
		return nil, fmt.Errorf("parquet: NewWriter: negative concurrency %d", opts.Concurrency)
	}
	wr := &Writer{opts: opts, schema: schema, elements: elements, leaves: leaves}
	wr.workers = max(opts.Concurrency, 1)
	if opts.Compression == Uncompressed {
		wr.workers = 1
	}
	if opts.Compression == Zstd {
		if err := wr.newZstd(); err != nil {
			return nil, err
		}
	}
	wr.start(w, false)
	return wr, wr.err
}

// newZstd makes the writer's zstd encoders, one per compressing goroutine.
func (w *Writer) newZstd() error {
	level := zstd.SpeedDefault
	if w.opts.ZstdLevel > 0 {
		level = zstd.EncoderLevelFromZstd(w.opts.ZstdLevel)
	}
	// Pages are compressed one by one, so the window need not exceed a
	// page; column data repeats itself at short range, and a window
	// of 256 KiB compresses 1 MiB pages of the benchmark tables within
	// 0.2% of a window of the page, in a quarter of the memory (the
	// default window of level 3 is 8 MiB per encoder).
	clear(w.zencs)
	w.zencs = w.zencs[:0]
	clear(w.zowns)
	w.zowns = w.zowns[:0]
	window := zstd.MinWindowSize
	for window < w.opts.PageSize && window < maxZstdWindow {
		window <<= 1
	}
	for range w.workers {
		// Blocks without matches are entropy-coded too: random text
		// (ids, tokens) has skewed bytes that a raw block wastes.
		enc, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(level),
			zstd.WithEncoderConcurrency(1), zstd.WithEncoderCRC(false),
			zstd.WithAllLitEntropyCompression(true), zstd.WithWindowSize(window),
			zstd.WithLowerEncoderMem(true))
		if err != nil {
			return fmt.Errorf("parquet: zstd: %w", err)
		}
		w.zencs = append(w.zencs, enc)
		// (the klauspost encoder takes its memory at its first page)
		if level == zstd.SpeedFastest {
			w.zowns = append(w.zowns, new(zstdenc.Encoder))
		}
	}
	w.zenc = w.zencs[0]
	w.zown = nil
	if len(w.zowns) > 0 {
		w.zown = w.zowns[0]
	}
	w.zstdBlock = min(window, zstdMaxBlock)
	return nil
}

// Reset discards the file in progress and starts a new one on w with the
// same schema and options, keeping every buffer.
func (w *Writer) Reset(out io.Writer) error {
	if out == nil {
		return errors.New("parquet: Reset: nil io.Writer")
	}
	w.start(out, false)
	return w.err
}

// ResetKeepChoices is Reset, except that the value encodings the file
// before chose for its columns by compressing a sample both ways
// (dictionary or not; BYTE_STREAM_SPLIT or PLAIN) stay chosen for the new
// file instead of being judged again from its first chunks (a verdict
// against a dictionary, for chunks of up to rejudgeGrowth times the
// values it was made on), and so does
// the choice to leave a column uncompressed because its first page did
// not shrink: a writer of many files of like data pays for the judging
// once. A chosen dictionary still falls back when the new values overflow
// it.
func (w *Writer) ResetKeepChoices(out io.Writer) error {
	if out == nil {
		return errors.New("parquet: ResetKeepChoices: nil io.Writer")
	}
	w.start(out, true)
	return w.err
}

func (w *Writer) start(out io.Writer, keepChoices bool) {
	w.shrinkBuffers()
	w.out = out
	w.off = 0
	w.err = nil
	w.closed = false
	w.extended = false
	w.pieceRows = w.pieceRows[:0]
	for i := range w.streams {
		w.streams[i].reset()
	}
	w.marked, w.keep, w.savedOK = false, false, false
	w.meta = fileMeta{version: 2, schema: w.elements, rowGroups: w.meta.rowGroups[:0]}
	for i := range w.leaves {
		l := &w.leaves[i]
		l.codecSet = false
		if !keepChoices {
			l.dictChosen, l.splitChosen = false, false
			l.plainRuns = 0
		} else if l.plainRuns >= plainRunsToKeep {
			l.codec, l.codecSet = Uncompressed, true
		}
	}
	w.write([]byte("PAR1"))
}

func (w *Writer) write(b []byte) {
	if w.err != nil {
		return
	}
	n, err := w.out.Write(b)
	w.off += int64(n)
	if err == nil && n != len(b) {
		err = io.ErrShortWrite
	}
	if err != nil {
		w.err = fmt.Errorf("parquet: write at offset %d: %w", w.off, err)
	}
}

// Schema returns the schema the writer was created with.
func (w *Writer) Schema() *Node { return w.schema }

// flattenSchema checks a schema and lists its elements depth first and its
// leaves in order.
func flattenSchema(root *Node) ([]schemaElement, []leaf, error) {
	if root == nil || root.IsLeaf() || len(root.Children) == 0 {
		return nil, nil, errors.New("parquet: schema root must be a group with at least one child")
	}
	els := []schemaElement{{typ: -1, repetition: -1, name: root.Name, numChildren: int32(len(root.Children)), convertedType: -1}}
	var leaves []leaf
	var walk func(n *Node, path []string, def, rep uint8, repDef []uint8) error
	walk = func(n *Node, path []string, def, rep uint8, repDef []uint8) error {
		if n == nil {
			return fmt.Errorf("parquet: schema: nil node under %q", strings.Join(path, "."))
		}
		path = append(slices.Clip(path), n.Name)
		where := strings.Join(path, ".")
		if len(path) > maxSchemaDepth {
			return fmt.Errorf("parquet: schema: %s: nested deeper than %d", where, maxSchemaDepth)
		}
		if n.Name == "" {
			return fmt.Errorf("parquet: schema: empty name under %q", strings.Join(path[:len(path)-1], "."))
		}
		e := schemaElement{typ: -1, name: n.Name, numChildren: -1, convertedType: -1}
		switch n.Repetition {
		case Required:
		case Optional:
			def++
		case Repeated:
			def++
			rep++
			repDef = append(slices.Clip(repDef), def)
		default:
			return fmt.Errorf("parquet: schema: %s: invalid repetition %d", where, n.Repetition)
		}
		e.repetition = int32(n.Repetition)
		if n.IsLeaf() {
			switch n.Type {
			case Boolean:
				e.typ = ptBoolean
			case Int32:
				e.typ = ptInt32
			case Int64:
				e.typ = ptInt64
			case Float:
				e.typ = ptFloat
			case Double:
				e.typ = ptDouble
			case ByteArray:
				e.typ = ptByteArray
			default:
				return fmt.Errorf("parquet: schema: %s: invalid physical type %d", where, n.Type)
			}
			switch n.Logical {
			case NoLogical:
			case String, JSON:
				if n.Type != ByteArray {
					return fmt.Errorf("parquet: schema: %s: String and JSON need ByteArray", where)
				}
				e.convertedType, e.logical = ctUTF8, ltString
				if n.Logical == JSON {
					e.convertedType, e.logical = ctJSON, ltJSON
				}
			case TimestampMicros:
				if n.Type != Int64 {
					return fmt.Errorf("parquet: schema: %s: TimestampMicros needs Int64", where)
				}
				e.convertedType, e.logical = ctTimestampMicros, ltTimestamp
				e.tsAdjusted, e.tsUnit = true, tuMicros
			default:
				return fmt.Errorf("parquet: schema: %s: logical type %d is not valid on a leaf", where, n.Logical)
			}
			els = append(els, e)
			leaves = append(leaves, leaf{node: n, path: path, maxDef: def, maxRep: rep, repDef: repDef})
			return nil
		}
		if len(n.Children) == 0 {
			return fmt.Errorf("parquet: schema: %s: a group needs at least one child", where)
		}
		switch n.Logical {
		case NoLogical:
		case List:
			if len(n.Children) != 1 || n.Children[0] == nil || n.Children[0].Repetition != Repeated ||
				n.Children[0].IsLeaf() || len(n.Children[0].Children) != 1 {
				return fmt.Errorf("parquet: schema: %s: a List group needs one repeated group child with one element", where)
			}
			e.convertedType, e.logical = ctList, ltList
		case Map:
			kv := n.Children[0]
			if len(n.Children) != 1 || kv == nil || kv.Repetition != Repeated || kv.IsLeaf() || len(kv.Children) != 2 ||
				kv.Children[0] == nil || kv.Children[0].Repetition != Required {
				return fmt.Errorf("parquet: schema: %s: a Map group needs one repeated group child with a required key and a value", where)
			}
			e.convertedType, e.logical = ctMap, ltMap
		default:
			return fmt.Errorf("parquet: schema: %s: logical type %d is not valid on a group", where, n.Logical)
		}
		e.numChildren = int32(len(n.Children))
		els = append(els, e)
		seen := make(map[string]bool, len(n.Children))
		for _, c := range n.Children {
			if c != nil && seen[c.Name] {
				return fmt.Errorf("parquet: schema: %s: duplicate child %q", where, c.Name)
			}
			if c != nil {
				seen[c.Name] = true
			}
			if err := walk(c, path, def, rep, repDef); err != nil {
				return err
			}
		}
		return nil
	}
	seen := make(map[string]bool, len(root.Children))
	for _, c := range root.Children {
		if c != nil && seen[c.Name] {
			return nil, nil, fmt.Errorf("parquet: schema: duplicate child %q of the root", c.Name)
		}
		if c != nil {
			seen[c.Name] = true
		}
		if err := walk(c, nil, 0, 0, nil); err != nil {
			return nil, nil, err
		}
	}
	return els, leaves, nil
}

// ColumnError reports a column of a row group that fails validation.
type ColumnError struct {
	Path string
	Err  error
}

func (e *ColumnError) Error() string { return "parquet: column " + e.Path + ": " + e.Err.Error() }
func (e *ColumnError) Unwrap() error { return e.Err }

// ErrInvalidColumn is wrapped by every validation error of WriteRowGroup.
var ErrInvalidColumn = errors.New("invalid column data")

func colErr(l *leaf, format string, args ...any) error {
	return &ColumnError{Path: strings.Join(l.path, "."), Err: fmt.Errorf("%w: "+format, append([]any{ErrInvalidColumn}, args...)...)}
}

// validate checks one column against its leaf and returns its row count.
func validateColumn(c *ColumnData, l *leaf) (int64, error) {
	if !slices.Equal(c.Path, l.path) {
		return 0, colErr(l, "got column %q in its place", strings.Join(c.Path, "."))
	}
	if c.Leaf == nil || c.Leaf.Type != l.node.Type {
		return 0, colErr(l, "Leaf is nil or has another physical type than the schema's")
	}
	if c.MaxDef != l.maxDef || c.MaxRep != l.maxRep {
		return 0, colErr(l, "MaxDef/MaxRep %d/%d, schema says %d/%d", c.MaxDef, c.MaxRep, l.maxDef, l.maxRep)
	}
	n := c.NumLevels
	if n < 0 || n > 1<<31-1 {
		return 0, colErr(l, "NumLevels %d out of range", n)
	}
	values := n
	if l.maxDef > 0 {
		if len(c.DefLevels) != n {
			return 0, colErr(l, "%d definition levels for NumLevels %d", len(c.DefLevels), n)
		}
		var bad int
		if values, bad = checkDefLevels(c.DefLevels, l.maxDef); bad >= 0 {
			return 0, colErr(l, "definition level %d at entry %d exceeds %d", c.DefLevels[bad], bad, l.maxDef)
		}
	} else if len(c.DefLevels) != 0 {
		return 0, colErr(l, "definition levels given for a column whose MaxDef is 0")
	}
	rows := int64(n)
	if l.maxRep > 0 {
		if len(c.RepLevels) != n {
			return 0, colErr(l, "%d repetition levels for NumLevels %d", len(c.RepLevels), n)
		}
		var err error
		if rows, err = checkRepetition(c.DefLevels, c.RepLevels, l); err != nil {
			return 0, colErr(l, "%v", err)
		}
	} else if len(c.RepLevels) != 0 {
		return 0, colErr(l, "repetition levels given for a column whose MaxRep is 0")
	}
	if got := c.NumValues(); got != values {
		return 0, colErr(l, "%d values for %d definition levels equal to MaxDef", got, values)
	}
	if c.Leaf.Type == ByteArray && values > 0 {
		off := c.Offsets
		if off[0] < 0 {
			return 0, colErr(l, "negative offset %d", off[0])
		}
		for i := 1; i < len(off); i++ {
			if off[i] < off[i-1] {
				return 0, colErr(l, "offsets decrease at value %d (%d after %d)", i, off[i], off[i-1])
			}
		}
		if int(off[len(off)-1]) > len(c.Bytes) {
			return 0, colErr(l, "last offset %d beyond the %d bytes", off[len(off)-1], len(c.Bytes))
		}
	}
	return rows, nil
}

// WriteRowGroup encodes cols, one per leaf of the schema in schema order,
// as one row group and writes it out. A row group that fails validation is
// rejected whole (nothing is written and the writer stays usable); an I/O
// error is returned by this and every later call.
func (w *Writer) WriteRowGroup(cols []ColumnData) error {
	if w.closed {
		return errors.New("parquet: WriteRowGroup after Close")
	}
	if w.err != nil {
		return w.err
	}
	if len(w.pieceRows) > 0 {
		return errors.New("parquet: WriteRowGroup while a row group written in pieces is in progress (see EndRowGroup)")
	}
	rows, err := w.validateGroup("WriteRowGroup", cols)
	if err != nil {
		return err
	}
	rg := rowGroup{numRows: rows, fileOffset: w.off, columns: w.groupColumns(len(cols))}
	for i := range cols {
		// (the metadata of an earlier file's chunk, if any, is reused)
		m, err := w.writeChunk(&cols[i], &w.leaves[i], rg.columns[i].meta)
		if err != nil {
			return err
		}
		rg.columns[i] = columnChunk{fileOffset: m.chunkStart(), meta: m}
		rg.totalByteSize += m.uncompressedSize
		rg.compressedSize += m.compressedSize
	}
	w.meta.rowGroups = append(w.meta.rowGroups, rg)
	w.meta.numRows += rows
	return nil
}

// validateGroup validates cols, one column per leaf of the schema, and
// returns their rows (the same in each); op names the caller.
func (w *Writer) validateGroup(op string, cols []ColumnData) (int64, error) {
	if len(cols) != len(w.leaves) {
		return 0, fmt.Errorf("parquet: %s: %d columns for a schema of %d leaves: %w", op, len(cols), len(w.leaves), ErrInvalidColumn)
	}
	var rows int64 = -1
	for i := range cols {
		r, err := validateColumn(&cols[i], &w.leaves[i])
		if err != nil {
			return 0, err
		}
		if rows >= 0 && r != rows {
			return 0, colErr(&w.leaves[i], "%d rows, column %s has %d", r, strings.Join(w.leaves[0].path, "."), rows)
		}
		rows = r
	}
	return rows, nil
}

// groupColumns is the chunk list of a new row group of n columns: that of
// the last file's row group at the same place if it has room (the
// writer's rowGroups keep them past their length), whose column chunks'
// metadata writeChunk then reuses, else new.
func (w *Writer) groupColumns(n int) []columnChunk {
	if g := len(w.meta.rowGroups); g < cap(w.meta.rowGroups) {
		if old := w.meta.rowGroups[:g+1][g].columns; cap(old) >= n {
			return old[:n]
		}
	}
	return make([]columnChunk, n)
}

func (m *columnMeta) chunkStart() int64 {
	if m.hasDictOffset {
		return m.dictPageOffset
	}
	return m.dataPageOffset
}

// Extend makes schema the schema of the file being written, from the
// next row group on. It must hold every leaf of the current schema, at the
// same path with the same types, repetitions and levels, and may add
// leaves anywhere (a new column, a new field of a group). The row groups
// written before lack chunks for the added leaves: Backfill writes them,
// and Close writes, for each one it was not given, a chunk of nulls where
// that is unambiguous, i.e. where the leaf's top-level field has no other
// chunk in the row group (the field is absent from every row, whatever
// its shape); Close fails for the others (a leaf added to a group that
// the row group has, whose levels depend on the rows: Backfill them).
// Parquet allows chunks anywhere in the file: the footer records where
// each one is.
func (w *Writer) Extend(schema *Node) error {
	if w.closed {
		return errors.New("parquet: Extend after Close")
	}
	if w.err != nil {
		return w.err
	}
	if len(w.pieceRows) > 0 {
		return errors.New("parquet: Extend while a row group written in pieces is in progress")
	}
	elements, leaves, err := flattenSchema(schema)
	if err != nil {
		return err
	}
	index := make(map[string]int, len(leaves))
	for j := range leaves {
		index[PathKey(leaves[j].path)] = j
	}
	remap := make([]int, len(w.leaves))
	for i := range w.leaves {
		l := &w.leaves[i]
		where := strings.Join(l.path, ".")
		j, ok := index[PathKey(l.path)]
		if !ok {
			return fmt.Errorf("parquet: Extend: the new schema lacks column %s", where)
		}
		nl := &leaves[j]
		if nl.node.Type != l.node.Type || nl.node.Logical != l.node.Logical || nl.maxDef != l.maxDef ||
			nl.maxRep != l.maxRep || !slices.Equal(nl.repDef, l.repDef) {
			return fmt.Errorf("parquet: Extend: column %s changes its type or levels", where)
		}
		nl.codec, nl.codecSet, nl.plainRuns = l.codec, l.codecSet, l.plainRuns
		nl.dictPageRaw, nl.dictPageComp = l.dictPageRaw, l.dictPageComp
		nl.dictChoice, nl.dictChosen = l.dictChoice, l.dictChosen
		nl.dictChoiceValues, nl.dictChoiceSlows = l.dictChoiceValues, l.dictChoiceSlows
		nl.splitChoice, nl.splitChosen = l.splitChoice, l.splitChosen
		remap[i] = j
	}
	for g := range w.meta.rowGroups {
		rg := &w.meta.rowGroups[g]
		cols := make([]columnChunk, len(leaves))
		for i, c := range rg.columns {
			cols[remap[i]] = c
		}
		rg.columns = cols
	}
	w.schema, w.elements, w.leaves = schema, elements, leaves
	w.meta.schema = elements
	w.extended = true
	return nil
}

// PathKey is a column path as a map key: each name after its length, so
// that no name (one holding a dot or a NUL byte, "a.b") is taken for a
// path (a, b).
func PathKey(path []string) string {
	var b []byte
	for _, name := range path {
		b = binary.AppendUvarint(b, uint64(len(name)))
		b = append(b, name...)
	}
	return string(b)
}

// Backfill writes, for row group g written before an Extend, the chunks
// of cols: leaves the row group lacks, each with the row group's number of
// rows. The chunks go where the file is now; the footer points at them.
func (w *Writer) Backfill(g int, cols []ColumnData) error {
	if w.closed {
		return errors.New("parquet: Backfill after Close")
	}
	if w.err != nil {
		return w.err
	}
	if g < 0 || g >= len(w.meta.rowGroups) {
		return fmt.Errorf("parquet: Backfill: no row group %d (%d written)", g, len(w.meta.rowGroups))
	}
	rg := &w.meta.rowGroups[g]
	for i := range cols {
		c := &cols[i]
		j := slices.IndexFunc(w.leaves, func(l leaf) bool { return slices.Equal(l.path, c.Path) })
		if j < 0 {
			return fmt.Errorf("parquet: Backfill: column %q is not in the schema: %w", strings.Join(c.Path, "."), ErrInvalidColumn)
		}
		l := &w.leaves[j]
		if rg.columns[j].meta != nil {
			return colErr(l, "row group %d has a chunk already", g)
		}
		rows, err := validateColumn(c, l)
		if err != nil {
			return err
		}
		if rows != rg.numRows {
			return colErr(l, "%d rows for row group %d of %d", rows, g, rg.numRows)
		}
		if err := w.backfillChunk(rg, j, c); err != nil {
			return err
		}
	}
	return nil
}

func (w *Writer) backfillChunk(rg *rowGroup, j int, c *ColumnData) error {
	m, err := w.writeChunk(c, &w.leaves[j], nil)
	if err != nil {
		return err
	}
	rg.columns[j] = columnChunk{fileOffset: m.chunkStart(), meta: m}
	rg.totalByteSize += m.uncompressedSize
	rg.compressedSize += m.compressedSize
	return nil
}

// fillNulls writes, before the footer, a chunk of nulls for every leaf a
// row group lacks whose top-level field has no chunk in it (see Extend).
func (w *Writer) fillNulls() error {
	for g := range w.meta.rowGroups {
		rg := &w.meta.rowGroups[g]
		for j := range rg.columns {
			if rg.columns[j].meta != nil {
				continue
			}
			l := &w.leaves[j]
			top := l.path[0]
			for k := range rg.columns {
				if rg.columns[k].meta != nil && w.leaves[k].path[0] == top {
					return colErr(l, "row group %d has no chunk for it and its levels are not all null: Backfill it", g)
				}
			}
			if l.maxDef == 0 {
				return colErr(l, "row group %d has no chunk for it and it cannot be null", g)
			}
			n := int(rg.numRows)
			if cap(w.nulls) < n {
				w.nulls = make([]uint8, n)
			}
			zeros := w.nulls[:n]
			clear(zeros)
			c := ColumnData{Path: l.path, Leaf: l.node, MaxDef: l.maxDef, MaxRep: l.maxRep, NumLevels: n, DefLevels: zeros}
			if l.maxRep > 0 {
				c.RepLevels = zeros
			}
			if err := w.backfillChunk(rg, j, &c); err != nil {
				return err
			}
		}
	}
	return nil
}

// RowGroups is the number of row groups of the file in progress.
func (w *Writer) RowGroups() int { return len(w.meta.rowGroups) }

// Rewind takes the file in progress back to the end of its first groups
// row groups, as if the later ones (and the footer, if Close wrote it)
// had not been written, and clears an I/O error: the writer goes on with
// the next row group at offset off, on out. The caller keeps the file's
// bytes up to off (the first groups row groups end there: off is the
// offset the writer had after writing them) and makes out continue them,
// so that a file whose tail failed to be written, or was given up, can be
// finished again. It fails for a file whose schema was extended (Extend),
// whose chunks need not lie in row-group order. The row group in progress
// (WritePiece) keeps its pieces; RewindPieces takes them back as well.
func (w *Writer) Rewind(out io.Writer, groups int, off int64) error {
	switch {
	case out == nil:
		return errors.New("parquet: Rewind: nil io.Writer")
	case w.extended:
		return errors.New("parquet: Rewind: the file's schema was extended")
	case groups < 0 || groups > len(w.meta.rowGroups):
		return fmt.Errorf("parquet: Rewind: %d row groups of %d", groups, len(w.meta.rowGroups))
	case off < 4 || groups == 0 && off != 4 || groups > 0 && groups < len(w.meta.rowGroups) && off != w.meta.rowGroups[groups].fileOffset:
		return fmt.Errorf("parquet: Rewind: row group %d does not end at offset %d", groups, off)
	}
	for _, rg := range w.meta.rowGroups[groups:] {
		w.meta.numRows -= rg.numRows
	}
	w.meta.rowGroups = w.meta.rowGroups[:groups]
	w.out, w.off, w.err, w.closed = out, off, nil, false
	return nil
}

// Close writes the footer, after the chunks of nulls an Extend called for
// (see there). It does not close the underlying io.Writer.
func (w *Writer) Close() error {
	if w.closed {
		return w.err
	}
	if w.err != nil {
		w.closed = true
		return w.err
	}
	if err := w.EndRowGroup(); err != nil {
		w.closed = true
		return err
	}
	if err := w.fillNulls(); err != nil {
		w.closed = true
		if w.err != nil {
			return w.err
		}
		return err
	}
	w.closed = true
	w.meta.createdBy = w.opts.CreatedBy
	w.meta.keyValues = w.meta.keyValues[:0]
	for _, kv := range w.opts.KeyValueMetadata {
		w.meta.keyValues = append(w.meta.keyValues, keyValue{key: kv.Key, value: kv.Value, hasValue: true})
	}
	w.hdr.buf = w.hdr.buf[:0]
	w.hdr.fileMeta(&w.meta, len(w.leaves))
	n := len(w.hdr.buf)
	w.hdr.buf = binary.LittleEndian.AppendUint32(w.hdr.buf, uint32(n))
	w.hdr.buf = append(w.hdr.buf, "PAR1"...)
	w.write(w.hdr.buf)
	return w.err
}

// valueKind is the encoding chosen for the values of a column chunk.
type valueKind uint8

const (
	kindPlain valueKind = iota
	kindDict
	kindDelta
	kindSplit
	kindDeltaLength
)

func (k valueKind) encoding() Encoding {
	switch k {
	case kindDict:
		return EncRLEDictionary
	case kindDelta:
		return EncDeltaBinaryPacked
	case kindSplit:
		return EncByteStreamSplit
	case kindDeltaLength:
		return EncDeltaLengthBytes
	}
	return EncPlain
}

// writeChunk encodes one column chunk into w.chunk and writes it out. Its
// metadata go to m, the metadata of a chunk of a file already written (and
// its buffers), or to new ones if m is nil.
func (w *Writer) writeChunk(c *ColumnData, l *leaf, m *columnMeta) (*columnMeta, error) {
	nv := c.NumValues()
	if m == nil {
		m = new(columnMeta)
	}
	*m = columnMeta{
		typ:       physicalWire(l.node.Type),
		path:      l.path,
		codec:     w.opts.Compression,
		numValues: int64(c.NumLevels),
		encodings: m.encodings[:0],
		statBytes: m.statBytes[:0],
	}
	base := w.off
	w.beginChunk(m, l, base)

	kind, _ := w.chooseKind(c, l, nv, false)
	var stats Statistics
	if kind == kindDict && l.node.Type == ByteArray {
		// the dictionary holds every distinct value: compare those only
		slab, offsets := w.byteDic.values()
		stats, m.statBytes = columnStats(&ColumnData{Leaf: l.node, NumLevels: c.NumLevels - nv + len(offsets) - 1,
			Bytes: slab, Offsets: offsets}, m.statBytes)
	} else {
		stats, m.statBytes = columnStats(c, m.statBytes)
	}
	m.statsOwn = stats
	m.stats = &m.statsOwn
	var dictLen int
	if kind == kindDict {
		dictLen = w.dictLen(l.node.Type)
		if !w.dictZOK && !w.dictRedo {
			// else dictWinsCompressed left the same values there
			w.dictBuf = w.appendDictValues(w.dictBufMem(w.dictBytes(l.node.Type)), l.node.Type)
			w.keepDictBuf()
		}
		m.dictPageOffset = base
		m.hasDictOffset = true
		w.stagePage(pendingPage{typ: pageDictionary, dict: dictPageHeader{numValues: int32(dictLen), encoding: EncPlain}}, w.dictBuf, nil)
	}

	kind = w.writePages(m, c, l, kind, dictLen)

	// encodings list
	encs := m.encodings[:0]
	if kind == kindDict {
		encs = append(encs, EncPlain)
	}
	if l.maxDef > 0 || l.maxRep > 0 {
		encs = append(encs, EncRLE)
	}
	if e := kind.encoding(); !slices.Contains(encs, e) {
		encs = append(encs, e)
	}
	m.encodings = encs
	if err := w.endPages(c, l, nv); err != nil {
		return nil, err
	}
	if !l.codecSet && w.opts.Compression != Uncompressed {
		// this chunk's first page judged the codec (if it had one)
		if w.chunkCodec == Uncompressed && w.plainClear && nv >= minChoiceSample {
			l.plainRuns = min(l.plainRuns+1, plainRunsToKeep)
		} else {
			l.plainRuns = 0
		}
	}
	l.codec, l.codecSet = w.chunkCodec, true
	if !w.dataSeen {
		m.dataPageOffset = base + int64(len(w.chunk))
	}
	w.write(w.chunk)
	if w.err != nil {
		return nil, w.err
	}
	return m, nil
}

// writePages writes the data pages of c in value encoding kind, each of
// about PageSize bytes and of whole rows (an empty chunk has none: a page
// of no values has empty level sections, which some readers reject), and
// returns the encoding they used: BYTE_STREAM_SPLIT is judged on the
// first page against PLAIN (or taken as the file chose it).
func (w *Writer) writePages(m *columnMeta, c *ColumnData, l *leaf, kind valueKind, dictLen int) valueKind {
	perPage := w.levelsPerPage(c, c.NumValues(), kind, dictLen)
	vlo := 0
	splitChecked := false
	for lo := 0; lo < c.NumLevels; {
		hi := min(lo+perPage, c.NumLevels)
		if l.maxRep > 0 {
			for hi < c.NumLevels && c.RepLevels[hi] != 0 {
				hi++
			}
		}
		vhi := vlo + (hi - lo)
		if l.maxDef > 0 {
			vhi -= kernels.NullCountLevels(c.DefLevels[lo:hi], l.maxDef)
		}
		if kind == kindSplit && !splitChecked {
			splitChecked = true
			if l.splitChosen {
				kind = l.splitChoice
			} else {
				kind = w.checkSplit(c, vlo, vhi)
				if vhi-vlo >= minChoiceSample {
					l.splitChoice, l.splitChosen = kind, true
				}
			}
		}
		w.writeDataPage(m, c, l, kind, dictLen, lo, hi, vlo, vhi)
		vlo, lo = vhi, hi
	}
	return kind
}

// beginChunk readies the writer's chunk state for a chunk of leaf l whose
// metadata go to m (codec set) and whose bytes are laid out from offset
// base: no pages yet, the writer's codec or the one the file's first
// chunk of l fixed.
func (w *Writer) beginChunk(m *columnMeta, l *leaf, base int64) {
	w.chunk = w.chunk[:0]
	w.stage = w.stage[:0]
	w.pending = w.pending[:0]
	w.dropPage()
	w.chunkMeta, w.chunkBase, w.dataSeen = m, base, false
	w.chunkLeaf = l
	w.chunkCodec, w.codecChecked = w.opts.Compression, false
	w.plainClear = false
	w.dictRaw, w.dictComp = 0, 0
	w.dictZ, w.dictZOK, w.dictRedo = nil, false, false
	if l.codecSet {
		w.chunkCodec, w.codecChecked = l.codec, true
		m.codec = l.codec
	}
}

// endPages ends the pages of a chunk of c (nv values) of leaf l: it
// fails if levels or indices could not be encoded, else lays the pages
// out in w.chunk and drops the chunk's scratch.
func (w *Writer) endPages(c *ColumnData, l *leaf, nv int) error {
	if err := w.hybrid.err; err != nil {
		w.hybrid.err = nil
		return colErr(l, "encoding levels or indices: %v", err)
	}
	w.flushPages()
	// dictZ was the chunk's memory: not held past the chunk
	w.dictZ, w.dictZOK, w.dictRedo = nil, false, false
	// dictBuf and page may be the hash table's memory, which the next
	// build takes
	w.dictBuf = nil
	w.dropPage()
	w.noteChunk(c, nv)
	return nil
}

// linkDicts points the word table and the words of the byte-string
// dictionary at the 8-byte table and the scratch of the fixed-width one,
// lends that scratch to the string table for its values and the sorted
// values' buffers to the short strings' values, and has the
// 8-byte table and the string table share one table's memory: a build
// resets them, a chunk builds one dictionary, and the dictionary a chunk
// built is only read (its values) while that chunk is written.
func (w *Writer) linkDicts() {
	w.byteDic.w, w.byteDic.words = &w.fixed.d64, &w.fixed.spare64
	w.byteDic.slabMem, w.byteDic.offMem = &w.fixed.spare64, &w.fixed.spare32
	w.byteDic.shortSlabMem, w.byteDic.shortOffMem = &w.fixed.s64, &w.fixed.order
	w.fixed.d64.ShareMemory(&w.dictMem)
	w.byteDic.d.ShareMemory(&w.dictMem)
}

func physicalWire(t PhysicalType) int32 {
	switch t {
	case Boolean:
		return ptBoolean
	case Int32:
		return ptInt32
	case Int64:
		return ptInt64
	case Float:
		return ptFloat
	case Double:
		return ptDouble
	}
	return ptByteArray
}

// chooseKind picks the value encoding of a chunk, or of a piece of one;
// for kindDict it leaves the dictionary in w.fixed or w.byteDic and the
// indices in w.idx. slows reports a dictionary that held every value but
// lost on size, though new values grew scarcer through them (see
// dictGrowthSlows): a verdict the chunk's size swayed, as a dictionary
// page weighs less the more values share it. Such a verdict, made on a
// whole chunk, holds for the next whole chunks of up to rejudgeGrowth
// times its values, not for pieces, which are judged again.
func (w *Writer) chooseKind(c *ColumnData, l *leaf, nv int, piece bool) (kind valueKind, slows bool) {
	t := c.Leaf.Type
	if t == Boolean {
		// PLAIN booleans are bit-packed already. RLE would only win on
		// long runs, which compression catches anyway, and parquet-go
		// (v0.32) misreads RLE runs of true values.
		return kindPlain, false
	}
	fallback := kindPlain
	switch t {
	case Int32, Int64:
		fallback = kindDelta
	case Float, Double:
		if w.opts.Compression != Uncompressed {
			fallback = kindSplit
		}
	case ByteArray:
		fallback = kindDeltaLength
	}
	if w.opts.DictionaryLimit < 0 || nv == 0 {
		return fallback, false
	}
	// With zstd, whose entropy coding shrinks skewed indices, the sizes
	// after compression decide (dictWinsCompressed); otherwise the
	// encoded sizes. The first chunk of a column large enough to judge by
	// decides for the file's next chunks (a verdict against the
	// dictionary, for those of up to rejudgeGrowth times its values): the
	// row groups of a file come from one batch, and compressing samples
	// of each would cost as much as writing small row groups.
	byCompression := w.opts.Compression == Zstd
	// A verdict for the dictionary holds; one against it, for chunks of up
	// to rejudgeGrowth times the values it was made on, and for pieces
	// only if the chunk's size did not sway it.
	held := l.dictChosen && (l.dictChoice == kindDict || nv <= l.dictChoiceValues*rejudgeGrowth)
	if byCompression && held && l.dictChoice != kindDict && !(piece && l.dictChoiceSlows) {
		return fallback, false
	}
	if cap(w.idx) < nv {
		w.idx = make([]uint32, nv, nv+nv/4)
	}
	idx := w.idx[:nv]
	limit := w.opts.DictionaryLimit
	max16 := dictSampleMax16
	if byCompression {
		max16 = dictSampleMax16Compressed
	}
	var width int
	ok := w.buildDict(c, limit, max16, idx)
	switch t {
	case Int32, Float:
		width = 4
	case Int64, Double:
		width = 8
	}
	if !ok {
		if piece && byCompression && nv >= minChoiceSample {
			// mostly distinct values, or too many: a verdict against the
			// dictionary, as one by compression is, so that the first
			// pieces of the next chunks, too small to judge by, do not
			// start one (see Writer.pieceKind). (Whole chunks judge each
			// again: a failed build costs little, and its table serves
			// the pages as scratch.)
			l.dictChoice, l.dictChosen = fallback, true
			l.dictChoiceValues, l.dictChoiceSlows = nv, false
		}
		return fallback, false
	}
	if t != ByteArray {
		// sorted, a dictionary of numbers compresses far better (see
		// sortValues); the values read back are the same
		w.fixed.sortValues(idx)
	}
	if byCompression {
		if held && l.dictChoice == kindDict {
			return kindDict, false
		}
		kind := fallback
		if w.dictWinsCompressed(c, nv, fallback) {
			kind = kindDict
		}
		slows := kind != kindDict && w.dictGrowthSlows(nv, w.dictLen(t))
		if nv >= minChoiceSample {
			l.dictChoice, l.dictChosen = kind, true
			l.dictChoiceValues, l.dictChoiceSlows = nv, slows
		}
		return kind, slows
	}
	// compare estimated sizes
	var dictSize, entries int
	if t == ByteArray {
		entries = w.byteDic.len()
		dictSize = w.byteDic.size()
	} else {
		entries = w.fixed.len()
		dictSize = entries * width
	}
	dictTotal := dictSize + (nv*int(bitWidth(uint64(entries-1)))+7)/8
	var other int
	switch fallback {
	case kindDelta:
		w.page = w.pageMem()
		if t == Int32 {
			w.page = w.delta.appendInt32(w.page, c.Int32s)
		} else {
			w.page = w.delta.appendInt64(w.page, c.Int64s)
		}
		other = len(w.page)
	case kindPlain, kindSplit, kindDeltaLength:
		if t == ByteArray {
			other = int(c.Offsets[nv]-c.Offsets[0]) + 4*nv
		} else {
			other = nv * width
		}
	}
	if dictTotal < other {
		return kindDict, false
	}
	return fallback, w.dictGrowthSlows(nv, entries)
}

// buildDict builds the dictionary of c's values in w.fixed or w.byteDic
// and their indices in idx (see the builders in dict.go), and reports
// whether it holds them all within limit (and max16).
func (w *Writer) buildDict(c *ColumnData, limit, max16 int, idx []uint32) bool {
	var ok bool
	w.linkDicts()
	switch c.Leaf.Type {
	case Int32:
		lo, hi, _ := kernels.MinMaxInt32(c.Int32s)
		var direct bool
		if ok, direct = buildDirect(&w.fixed, c.Int32s, lo, hi, 4, limit, max16, idx); !direct {
			ok = buildFixed(&w.fixed, asU32(c.Int32s), 4, limit, max16, idx)
		}
	case Int64:
		lo, hi, _ := kernels.MinMaxInt64(c.Int64s)
		var direct bool
		if ok, direct = buildDirect(&w.fixed, c.Int64s, lo, hi, 8, limit, max16, idx); !direct {
			ok = buildFixed(&w.fixed, asU64(c.Int64s), 8, limit, max16, idx)
		}
	case Float:
		ok = buildFixed(&w.fixed, asU32(c.Floats), 4, limit, max16, idx)
	case Double:
		ok = buildFixed(&w.fixed, asU64(c.Doubles), 8, limit, max16, idx)
	case ByteArray:
		ok = w.byteDic.build(c.Bytes, c.Offsets, limit, max16, idx)
	}
	w.noteDict(w.dictLen(c.Leaf.Type))
	return ok
}

func asU32[T int32 | float32](v []T) []uint32 {
	if len(v) == 0 {
		return nil
	}
	return unsafe.Slice((*uint32)(unsafe.Pointer(&v[0])), len(v))
}

func asU64[T int64 | float64](v []T) []uint64 {
	if len(v) == 0 {
		return nil
	}
	return unsafe.Slice((*uint64)(unsafe.Pointer(&v[0])), len(v))
}

func asU8(v []bool) []uint8 {
	if len(v) == 0 {
		return nil
	}
	return unsafe.Slice((*uint8)(unsafe.Pointer(&v[0])), len(v))
}

func (w *Writer) dictLen(t PhysicalType) int {
	if t == ByteArray {
		return w.byteDic.len()
	}
	return w.fixed.len()
}

// dictBytes is the size of the chunk's dictionary PLAIN-encoded.
func (w *Writer) dictBytes(t PhysicalType) int {
	if t == ByteArray {
		return w.byteDic.size()
	}
	return w.fixed.len() * plainWidth(t)
}

// dictBufMem is empty memory for dictBuf, of need bytes or more: the hash
// table's slots if they have room (nothing reads them until the next
// chunk's build, which comes after this chunk's pages), else dictOwn.
func (w *Writer) dictBufMem(need int) []byte {
	if s := w.dictMem.Spare(); dictBufInTable && cap(s) >= need {
		if cap(w.dictOwn) <= cap(s) {
			// (left by chunks before the table had memory): the
			// table serves whatever it would
			w.dictOwn = nil
		}
		return s
	}
	return w.dictOwn[:0]
}

// keepDictBuf keeps dictBuf's memory as dictOwn unless it is the hash
// table's.
func (w *Writer) keepDictBuf() {
	if s := w.dictMem.Spare(); cap(s) == 0 || cap(w.dictBuf) == 0 || unsafe.SliceData(s[:1]) != unsafe.SliceData(w.dictBuf[:1]) {
		w.dictOwn = w.dictBuf
	}
}

// pageMem is empty memory for page: the hash table's slots past dictBuf
// (when dictBuf is there) if they have at least pageOwn's room (nothing
// reads them until the next chunk's build, which comes after this chunk's
// pages), else pageOwn. A page that outgrew the slots is kept as pageOwn
// first (keepPage).
func (w *Writer) pageMem() []byte {
	w.keepPage()
	s := w.dictMem.Spare()
	if !pageInTable || cap(s) == 0 {
		return w.pageOwn[:0]
	}
	at := 0
	if inBuf(s, w.dictBuf) {
		at = len(w.dictBuf)
	}
	if rest := s[at:at:cap(s)]; cap(rest) >= cap(w.pageOwn) {
		// the slots serve whatever pageOwn would (which shrinkBuffers
		// releases once no page needed it for shrinkFiles files)
		return rest
	}
	return w.pageOwn[:0]
}

// keepPage keeps page's memory as pageOwn unless it is the hash table's,
// and records the page's need of it.
func (w *Writer) keepPage() {
	if cap(w.page) > 0 && !inBuf(w.dictMem.Spare(), w.page) {
		w.pageOwn = w.page[:0]
		w.use.file.ownPage = max(w.use.file.ownPage, len(w.page))
	}
}

// dropPage keeps page's memory (keepPage) and lets go of page, which may
// be the hash table's slots: the next build takes them.
func (w *Writer) dropPage() {
	w.keepPage()
	w.page = nil
}

// inBuf reports whether p starts in the memory of buf (within its
// capacity); an empty-capacity p or buf is in neither.
func inBuf(buf, p []byte) bool {
	if cap(buf) == 0 || cap(p) == 0 {
		return false
	}
	base := uintptr(unsafe.Pointer(unsafe.SliceData(buf[:cap(buf)])))
	q := uintptr(unsafe.Pointer(unsafe.SliceData(p[:cap(p)])))
	return q >= base && q < base+uintptr(cap(buf))
}

func (w *Writer) appendDictValues(dst []byte, t PhysicalType) []byte {
	if t == ByteArray {
		return w.byteDic.appendValues(dst)
	}
	return w.fixed.appendValues(dst)
}

// levelsPerPage estimates how many level entries fill a page.
func (w *Writer) levelsPerPage(c *ColumnData, nv int, kind valueKind, dictLen int) int {
	n := c.NumLevels
	if n == 0 {
		return 1
	}
	var valueBits int64
	switch kind {
	case kindDict:
		valueBits = int64(nv) * int64(bitWidth(uint64(dictLen-1)))
	default:
		switch c.Leaf.Type {
		case Boolean:
			valueBits = int64(nv)
		case Int32, Float:
			valueBits = int64(nv) * 32
		case Int64, Double:
			valueBits = int64(nv) * 64
		case ByteArray:
			if nv > 0 {
				valueBits = 8 * (int64(c.Offsets[nv]-c.Offsets[0]) + 4*int64(nv))
			}
		}
	}
	levelBits := int64(n) * int64(bitWidth(uint64(c.MaxDef))+bitWidth(uint64(c.MaxRep)))
	total := (valueBits + levelBits + 7) / 8
	pages := max(1, (total+int64(w.opts.PageSize)-1)/int64(w.opts.PageSize))
	per := int((int64(n) + pages - 1) / pages)
	return max(1, min(per, maxPageLevels))
}

// dictWinsCompressed reports whether the dictionary just built makes a
// smaller compressed chunk than the fallback encoding: the dictionary page
// compressed, plus the compressed indices of a sample of the values scaled
// to the chunk, against the fallback encoding of the same sample,
// compressed and scaled. Compression, not the encoded size, decides:
// indices of skewed values shrink under zstd where their delta or plain
// encoding does not.
func (w *Writer) dictWinsCompressed(c *ColumnData, nv int, fallback valueKind) bool {
	n := min(nv, dictCompareSample)
	dictLen := w.dictLen(c.Leaf.Type)
	w.dictBuf = w.appendDictValues(w.dictBufMem(w.dictBytes(c.Leaf.Type)), c.Leaf.Type)
	w.keepDictBuf()
	// The chunk is empty while its encoding is chosen: the compressed
	// dictionary waits past its end, where the dictionary page is laid
	// out (appendPage moves it behind the page header), instead of in a
	// buffer of its own that a chunk whose dictionary loses (name, email)
	// never uses. A larger output the compressor allocated becomes the
	// chunk's memory.
	w.dictZ = w.compressTail(0, w.dictBuf)
	w.dictZOK = true
	dictPage := len(w.dictZ)
	w.page = w.appendValues(w.pageMem(), c, kindDict, dictLen, 0, n)
	indices := w.compressedLen(w.page)
	// A dictionary page and indices that together do not shrink leave the
	// whole chunk uncompressed (see worthCompressing): count it so.
	if !worthCompressing(len(w.dictBuf)+len(w.page), dictPage+indices) {
		dictPage, indices = len(w.dictBuf), len(w.page)
	}
	scale := func(size, of int) int64 { return int64(size) * int64(nv) / int64(of) }
	dictCost := int64(dictPage) + scale(indices, n)
	// The fallback's first dictQuickSample values first: compressed and
	// scaled, a prefix costs more per value than the whole sample (less
	// history to match), so a prefix that costs dictQuickMargin times the
	// dictionary settles it. Low-cardinality columns, where the
	// dictionary wins by far, end here at an eighth of the work.
	if m := dictQuickSample; n >= 2*m {
		w.page = w.appendValues(w.pageMem(), c, fallback, 0, 0, m)
		if quick := scale(min(w.compressedLen(w.page), len(w.page)), m); quick*dictQuickMargin.den >= dictCost*dictQuickMargin.num {
			return true
		}
	}
	// The whole sample's fallback, the largest of these compressions,
	// takes the place of a large compressed dictionary: a dictionary that
	// still wins (a close call) is compressed again for its page, to the
	// same bytes, instead of a near-unique column's (name, email) being
	// held beside the sample for nothing.
	if len(w.dictZ) > dictZKeepMax {
		w.dictZ, w.dictZOK, w.dictRedo = nil, false, true
	}
	w.page = w.appendValues(w.pageMem(), c, fallback, 0, 0, n)
	return dictCost < scale(min(w.compressedLen(w.page), len(w.page)), n)
}

// dictGrowthSlows reports whether the nv values whose indices into a
// dictionary of entries values are in w.idx repeat, at most 15 in 16 of
// them distinct, and bring a sixteenth fewer new values in their second
// half than in their first: values of a bounded set, whose dictionary
// grows slower the more values it holds. Values that stay new at the
// same rate (ids, amounts of many digits) do not.
func (w *Writer) dictGrowthSlows(nv, entries int) bool {
	if nv < 2 || entries*16 > nv*15 {
		return false
	}
	half := nv / 2
	// (the pieces' bitmap scratch, free while a chunk's encoding is chosen)
	seen := fit(w.pieceUsed, (entries+63)/64)
	w.pieceUsed = seen
	clear(seen)
	first := 0
	for _, i := range w.idx[:half] {
		if bit := uint64(1) << (i & 63); seen[i>>6]&bit == 0 {
			seen[i>>6] |= bit
			first++
		}
	}
	// new values per value in each half: (entries-first)/(nv-half)
	// against first/half
	return (entries-first)*half*16 < first*(nv-half)*15
}

// checkSplit decides between BYTE_STREAM_SPLIT and PLAIN for a float
// chunk by compressing a sample (the start of the first page) both ways.
func (w *Writer) checkSplit(c *ColumnData, vlo, vhi int) valueKind {
	vhi = min(vhi, vlo+splitSample)
	// PLAIN goes to dictBuf, free in a chunk without a dictionary page
	// (w.page holds the split values)
	w.dictZOK, w.dictRedo = false, false
	// First the first dictQuickSample values both ways: one that
	// compresses dictQuickMargin times smaller than the other settles it
	// (2048 prices or amounts with two decimals: 1.7 times smaller
	// PLAIN, as in the whole sample); coordinates and the like, where the
	// two are close, go on to the whole sample.
	if m := dictQuickSample; vhi-vlo >= 2*m {
		w.dictBuf = w.appendPlainValues(w.dictBufMem(m*plainWidth(c.Leaf.Type)), c, vlo, vlo+m)
		w.keepDictBuf()
		w.page = w.appendSplit(w.pageMem(), c, vlo, vlo+m)
		plain := int64(w.compressedLen(w.dictBuf))
		split := int64(w.compressedLen(w.page))
		switch q := dictQuickMargin; {
		case split*q.den >= plain*q.num:
			return kindPlain
		case plain*q.den >= split*q.num:
			return kindSplit
		}
	}
	w.dictBuf = w.appendPlainValues(w.dictBufMem((vhi-vlo)*plainWidth(c.Leaf.Type)), c, vlo, vhi)
	w.keepDictBuf()
	w.page = w.appendSplit(w.pageMem(), c, vlo, vhi)
	plainSize := w.compressedLen(w.dictBuf)
	if w.compressedLen(w.page) < plainSize {
		return kindSplit
	}
	return kindPlain
}

func (w *Writer) appendPlainValues(dst []byte, c *ColumnData, vlo, vhi int) []byte {
	switch c.Leaf.Type {
	case Boolean:
		return appendPlainBool(dst, c.Bools[vlo:vhi])
	case Int32:
		return appendPlainInt32(dst, c.Int32s[vlo:vhi])
	case Int64:
		return appendPlainInt64(dst, c.Int64s[vlo:vhi])
	case Float:
		return appendPlainFloat(dst, c.Floats[vlo:vhi])
	case Double:
		return appendPlainDouble(dst, c.Doubles[vlo:vhi])
	case ByteArray:
		return appendPlainBytes(dst, c.Bytes, c.Offsets, vlo, vhi)
	}
	return dst
}

// appendSplit encodes float or double values [vlo, vhi) as
// BYTE_STREAM_SPLIT.
func (w *Writer) appendSplit(dst []byte, c *ColumnData, vlo, vhi int) []byte {
	if c.Leaf.Type == Float {
		return kernels.AppendByteStreamSplit32(dst, c.Floats[vlo:vhi])
	}
	return kernels.AppendByteStreamSplit64(dst, c.Doubles[vlo:vhi])
}

// appendValues encodes values [vlo, vhi) with kind.
func (w *Writer) appendValues(dst []byte, c *ColumnData, kind valueKind, dictLen, vlo, vhi int) []byte {
	switch kind {
	case kindDict:
		bw := bitWidth(uint64(max(dictLen, 1) - 1))
		dst = append(dst, byte(bw))
		return w.hybrid.appendIndices(dst, w.idx[vlo:vhi], bw)
	case kindDelta:
		if c.Leaf.Type == Int32 {
			return w.delta.appendInt32(dst, c.Int32s[vlo:vhi])
		}
		return w.delta.appendInt64(dst, c.Int64s[vlo:vhi])
	case kindDeltaLength:
		// lengths DELTA_BINARY_PACKED, then the bytes back to back
		if vlo == vhi {
			return w.delta.appendInt32(dst, nil)
		}
		off := c.Offsets[vlo : vhi+1]
		lens := fit(w.lens, len(off)-1)
		for i := range lens {
			lens[i] = off[i+1] - off[i]
		}
		w.lens = lens
		dst = w.delta.appendInt32(dst, lens)
		return append(dst, c.Bytes[off[0]:off[len(off)-1]]...)
	case kindSplit:
		return w.appendSplit(dst, c, vlo, vhi)
	}
	return w.appendPlainValues(dst, c, vlo, vhi)
}

// appendLevelsPrefixed writes levels with their 4-byte length (v1).
func (w *Writer) appendLevelsPrefixed(dst []byte, v []uint8, max uint8) []byte {
	at := len(dst)
	dst = append(dst, 0, 0, 0, 0)
	dst = w.hybrid.appendLevels(dst, v, bitWidth(uint64(max)))
	binary.LittleEndian.PutUint32(dst[at:], uint32(len(dst)-at-4))
	return dst
}

func (w *Writer) writeDataPage(m *columnMeta, c *ColumnData, l *leaf, kind valueKind, dictLen, lo, hi, vlo, vhi int) {
	numLevels := int32(hi - lo)
	if !w.opts.DataPageV2 {
		body := w.pageMem()
		if l.maxRep > 0 {
			body = w.appendLevelsPrefixed(body, c.RepLevels[lo:hi], l.maxRep)
		}
		if l.maxDef > 0 {
			body = w.appendLevelsPrefixed(body, c.DefLevels[lo:hi], l.maxDef)
		}
		body = w.appendValues(body, c, kind, dictLen, vlo, vhi)
		w.page = body
		w.stagePage(pendingPage{typ: pageData, data: dataPageHeader{
			numValues: numLevels, encoding: kind.encoding(), defEnc: EncRLE, repEnc: EncRLE,
		}}, body, nil)
		return
	}
	lv := w.levels[:0]
	rows := numLevels
	if l.maxRep > 0 {
		lv = w.hybrid.appendLevels(lv, c.RepLevels[lo:hi], bitWidth(uint64(l.maxRep)))
		rows = 0
		for _, r := range c.RepLevels[lo:hi] {
			if r == 0 {
				rows++
			}
		}
	}
	repLen := len(lv)
	if l.maxDef > 0 {
		lv = w.hybrid.appendLevels(lv, c.DefLevels[lo:hi], bitWidth(uint64(l.maxDef)))
	}
	w.levels = lv
	w.page = w.appendValues(w.pageMem(), c, kind, dictLen, vlo, vhi)
	w.stagePage(pendingPage{typ: pageDataV2, dataV2: dataPageHeaderV2{
		numValues: numLevels, numNulls: numLevels - int32(vhi-vlo), numRows: rows,
		encoding: kind.encoding(), defLen: int32(len(lv) - repLen), repLen: int32(repLen),
		isCompressed: w.opts.Compression != Uncompressed,
	}}, w.page, lv)
}

// pageHeaderRoom is the room compressTail leaves for a page's header
// (its thrift encoding takes 20 to 40 bytes); a larger header moves the
// compressed body further.
const pageHeaderRoom = 48

// dictZKeepMax is the largest compressed dictionary the choice of
// encoding keeps while it compresses the fallback's whole sample (see
// dictWinsCompressed); tests raise it to compare with keeping every one.
var dictZKeepMax = 4 << 10

// dictBufInTable is whether dictBuf takes the hash table's memory when it
// has room (dictBufMem); tests turn it off to compare.
var dictBufInTable = true

// pageInTable is whether page takes the hash table's memory past dictBuf
// when it has room (pageMem); tests turn it off to compare.
var pageInTable = true

// compressTail compresses src into the chunk's memory past its end, skip
// bytes after it, and returns the compressed bytes: they stay there until
// the chunk is appended to (appendPage moves them behind their page's
// header). A chunk's pages, and the samples its choice of encoding
// compresses (compressedLen), thus take the chunk's memory, which their
// bytes end up in or which is idle before the chunk's first page, instead
// of a buffer of their own. The bytes between the chunk's end and skip
// (dictZ) are kept if the memory grows.
func (w *Writer) compressTail(skip int, src []byte) []byte {
	at := len(w.chunk) + skip
	if at > cap(w.chunk) {
		w.growChunk(at, at+len(src)/2)
	}
	out := w.compress(w.chunk[at:at], src)
	if len(out) > 0 && tailOffset(w.chunk, out) != at {
		// the compressor needed more room and allocated it
		w.growChunk(at, at+len(out))
		out = w.chunk[at : at+copy(w.chunk[at:cap(w.chunk)], out)]
	}
	return out
}

// growChunk gives the chunk memory for need bytes and an eighth more,
// keeping its bytes up to keep (past its end: what waits there).
func (w *Writer) growChunk(keep, need int) {
	buf := make([]byte, need+need/8)
	copy(buf, w.chunk[:min(keep, cap(w.chunk))])
	w.chunk = buf[:len(w.chunk)]
}

// tailOffset is the offset of p in the memory of buf if p starts past
// buf's end (in its capacity), else -1.
func tailOffset(buf, p []byte) int {
	if len(p) == 0 || len(buf) == cap(buf) {
		return -1
	}
	base := uintptr(unsafe.Pointer(unsafe.SliceData(buf[:cap(buf)])))
	q := uintptr(unsafe.Pointer(unsafe.SliceData(p)))
	if q < base+uintptr(len(buf)) || q >= base+uintptr(cap(buf)) {
		return -1
	}
	return int(q - base)
}

// compressedLen is the compressed size of src (a sample the choice of
// encoding compresses), compressed past the chunk's end and after the
// compressed dictionary waiting there (dictZ).
func (w *Writer) compressedLen(src []byte) int {
	skip := 0
	if w.dictZOK {
		skip = len(w.dictZ)
	}
	n := len(w.compressTail(skip, src))
	if w.dictZOK {
		// the chunk's memory may have grown, with dictZ in it
		at := len(w.chunk)
		w.dictZ = w.chunk[at : at+len(w.dictZ)]
	}
	return n
}

func (w *Writer) compress(dst, src []byte) []byte {
	w.notePage(len(src))
	return compressWith(w.opts.Compression, w.zenc, w.zown, dst, src)
}

// compressWith compresses src with c into dst; with zstd, pages below
// ownZstdMax go to own if it is not nil, others to zenc.
func compressWith(c Compression, zenc *zstd.Encoder, own *zstdenc.Encoder, dst, src []byte) []byte {
	switch c {
	case Snappy:
		need := snappy.MaxEncodedLen(len(src))
		if cap(dst) < need {
			dst = make([]byte, need)
		}
		return snappy.Encode(dst[:need], src)
	case Zstd:
		if own != nil && len(src) < ownZstdMax {
			return own.EncodeAll(dst[:0], src)
		}
		return zenc.EncodeAll(src, dst[:0])
	}
	return append(dst[:0], src...)
}

// pendingPage is a page of the chunk being written whose body waits in
// Writer.stage for compression.
type pendingPage struct {
	typ       int32
	data      dataPageHeader
	dataV2    dataPageHeaderV2
	dict      dictPageHeader
	levelsOff int // levels (v2, never compressed) at stage[levelsOff:bodyOff]
	bodyOff   int // body at stage[bodyOff:bodyEnd]
	bodyEnd   int
}

// stagePage queues a page; flushPages compresses and lays out the queue.
func (w *Writer) stagePage(p pendingPage, body, levels []byte) {
	if p.typ == pageDictionary {
		w.dictPage = p
	}
	if w.workers <= 1 {
		// compress and lay out at once: no staging copy
		comp := body
		if w.chunkCodec != Uncompressed {
			if p.typ == pageDictionary && (w.dictZOK || w.dictRedo) {
				comp = w.dictZ
				if w.dictRedo {
					comp = w.compressTail(pageHeaderRoom, body)
				}
				w.keepDictPage(body, comp, false)
			} else if p.typ == pageDictionary {
				comp = w.cachedDictPage(body)
			} else {
				comp = w.compressTail(pageHeaderRoom+len(levels), body)
			}
			if p.typ == pageDictionary {
				w.dictRaw, w.dictComp = len(body), len(comp)
			} else if !w.codecChecked {
				w.codecChecked = true
				w.plainClear = plainClear(w.dictRaw+len(body), w.dictComp+len(comp))
				if !worthCompressing(w.dictRaw+len(body), w.dictComp+len(comp)) {
					w.uncompressChunk()
					comp = body
				}
			}
		}
		if p.typ == pageDataV2 {
			p.dataV2.isCompressed = w.chunkCodec != Uncompressed
		}
		w.pending = append(w.pending[:0], p)
		w.appendPage(&w.pending[0], levels, body, comp)
		return
	}
	w.notePage(len(body))
	p.levelsOff = len(w.stage)
	w.stage = append(w.stage, levels...)
	p.bodyOff = len(w.stage)
	w.stage = append(w.stage, body...)
	p.bodyEnd = len(w.stage)
	w.pending = append(w.pending, p)
}

// Dictionary pages of a column often repeat from one row group or file to
// the next: a sorted dictionary of prices, quantities or codes holds the
// same values as long as every one of them occurs in each chunk. The
// compressor turns the same bytes into the same bytes (every page is
// compressed afresh), so such a page is compressed once and its
// compressed bytes reused while it repeats. A leaf keeps its last page up
// to dictCacheMax bytes, and the leaves together up to dictCacheBudget,
// but only a page that repeated the one before it (by a hash of the
// pages): a dictionary that changes from chunk to chunk (a few thousand
// scores or ids of a row group, a page of 20 KB or more next to a 0.7 MB
// block) is not held for nothing between files.
const (
	dictCacheMax    = 256 << 10
	dictCacheBudget = 1 << 20
)

// dictCacheOn is whether cachedDictPage keeps pages; tests turn it off to
// compare with compressing every page.
var dictCacheOn = true

// dictPageSeed seeds the hash of dictionary pages (keepDictPage).
var dictPageSeed = maphash.MakeSeed()

// cachedDictPage returns the dictionary page body compressed, reusing the
// chunk's leaf's last one if body is the same.
func (w *Writer) cachedDictPage(body []byte) []byte {
	l := w.chunkLeaf
	if l != nil && l.dictPageComp != nil && bytes.Equal(l.dictPageRaw, body) {
		w.notePage(len(body))
		w.dictCacheHits++
		return l.dictPageComp
	}
	comp := w.compressTail(pageHeaderRoom, body)
	w.keepDictPage(body, comp, true)
	return comp
}

// keepDictPage records the chunk's dictionary page body, just compressed
// to comp: the leaf keeps both when body repeats the leaf's last page
// (their hashes are equal) and mayKeep, and otherwise drops the page it
// kept, unless that is body. The first row group of a file, whose
// dictionary page the choice of encoding compressed (dictZ), records the
// page's hash but keeps no page: the next file judges its first row
// group again (Reset), so only the file's next row groups could reuse it,
// and they keep it when they repeat it.
func (w *Writer) keepDictPage(body, comp []byte, mayKeep bool) {
	l := w.chunkLeaf
	if l == nil || !dictCacheOn {
		return
	}
	h := maphash.Bytes(dictPageSeed, body)
	repeated := l.dictPageSeen && l.dictPageHash == h
	l.dictPageHash, l.dictPageSeen = h, true
	held := len(l.dictPageRaw) + len(l.dictPageComp)
	if !mayKeep && held > 0 && bytes.Equal(l.dictPageRaw, body) {
		return
	}
	if need := len(body) + len(comp); mayKeep && repeated && len(body) <= dictCacheMax && w.dictCacheHeld-held+need <= dictCacheBudget {
		l.dictPageRaw = append(l.dictPageRaw[:0], body...)
		l.dictPageComp = append(l.dictPageComp[:0], comp...)
		w.dictCacheHeld += need - held
	} else if held > 0 {
		l.dictPageRaw, l.dictPageComp = nil, nil
		w.dictCacheHeld -= held
	}
}

// dropDictCache empties the leaves' dictionary page caches.
func (w *Writer) dropDictCache() {
	for i := range w.leaves {
		w.leaves[i].dictPageRaw, w.leaves[i].dictPageComp = nil, nil
	}
	w.dictCacheHeld = 0
}

// worthCompressing reports whether a column whose first data page (with
// the dictionary page, if any: a dictionary of text compresses well even
// when its indices do not) is raw bytes long, comp compressed, is worth
// compressing: it must save at least a sixteenth. The first chunk of a column decides for the whole
// file. Pages that do not shrink (bit-packed deltas of
// random ids, jittered timestamps) are then written as they are, which
// spares their decompression to readers and their compression to the
// writer.
func worthCompressing(raw, comp int) bool { return comp*16 <= raw*15 }

// plainClear reports whether a first data page (with the dictionary page)
// that compressed from raw to comp bytes saved less than a thirty-second,
// half what worthCompressing asks: a column so far from paying is left
// uncompressed in the next files of ResetKeepChoices too (jittered
// timestamps save a percent or two, block after block; see
// plainRunsToKeep), where one near the line (a dictionary of four
// currencies and their indices save 5 to 7 percent, and some blocks pass)
// is judged again in each file.
func plainClear(raw, comp int) bool { return comp*32 > raw*31 }

// plainRunsToKeep is how many files in a row must find a column's
// compression far from paying before ResetKeepChoices stops judging it:
// one file's judgement can be an outlier (a batch's small last block,
// whose four currencies save nothing, where full blocks save 5 to 7
// percent).
const plainRunsToKeep = 2

// uncompressChunk switches the chunk being written to no compression
// before its first data page: a dictionary page already laid out is laid
// out again uncompressed.
func (w *Writer) uncompressChunk() {
	w.chunkCodec = Uncompressed
	m := w.chunkMeta
	m.codec = Uncompressed
	if m.hasDictOffset {
		w.chunk = w.chunk[:0]
		m.uncompressedSize, m.compressedSize = 0, 0
		w.appendPage(&w.dictPage, nil, w.dictBuf, w.dictBuf)
	}
}

// flushPages compresses the queued pages, on up to w.workers goroutines,
// and appends them with their headers to w.chunk, in order.
func (w *Writer) flushPages() {
	if w.workers <= 1 {
		return // pages went out as they came
	}
	n := len(w.pending)
	if w.chunkCodec != Uncompressed {
		for len(w.outs) < n {
			w.outs = append(w.outs, nil)
		}
		first := 0
		if n > 0 && w.pending[0].typ == pageDictionary {
			p := &w.pending[0]
			if w.dictRedo {
				w.outs[0] = w.compress(w.outs[0][:0], w.stage[p.bodyOff:p.bodyEnd])
				w.keepDictPage(w.stage[p.bodyOff:p.bodyEnd], w.outs[0], false)
			} else if w.dictZOK {
				w.outs[0] = append(w.outs[0][:0], w.dictZ...)
				w.keepDictPage(w.stage[p.bodyOff:p.bodyEnd], w.dictZ, false)
			} else {
				w.outs[0] = append(w.outs[0][:0], w.cachedDictPage(w.stage[p.bodyOff:p.bodyEnd])...)
			}
			first = 1
		}
		workers := min(w.workers, n-first)
		if workers <= 1 {
			for i := first; i < n; i++ {
				p := &w.pending[i]
				w.outs[i] = w.compress(w.outs[i][:0], w.stage[p.bodyOff:p.bodyEnd])
			}
		} else {
			var next atomic.Int64
			next.Store(int64(first))
			var wg sync.WaitGroup
			for k := range workers {
				var enc *zstd.Encoder
				var own *zstdenc.Encoder
				if w.zencs != nil {
					enc = w.zencs[k]
				}
				if w.zowns != nil {
					own = w.zowns[k]
				}
				wg.Go(func() {
					for {
						i := int(next.Add(1) - 1)
						if i >= n {
							return
						}
						p := &w.pending[i]
						w.outs[i] = compressWith(w.opts.Compression, enc, own, w.outs[i][:0], w.stage[p.bodyOff:p.bodyEnd])
					}
				})
			}
			wg.Wait()
		}
	}
	// The same decision as the serial path's: the first data page says
	// whether the chunk is compressed at all.
	if w.chunkCodec != Uncompressed && !w.codecChecked {
		raw, comp := 0, 0
		for i := range w.pending {
			p := &w.pending[i]
			raw += p.bodyEnd - p.bodyOff
			comp += len(w.outs[i])
			if p.typ != pageDictionary {
				w.plainClear = plainClear(raw, comp)
				if !worthCompressing(raw, comp) {
					w.chunkCodec = Uncompressed
					w.chunkMeta.codec = Uncompressed
				}
				break
			}
		}
	}
	for i := range w.pending {
		p := &w.pending[i]
		comp := w.stage[p.bodyOff:p.bodyEnd]
		if w.chunkCodec != Uncompressed {
			comp = w.outs[i]
		}
		if p.typ == pageDataV2 {
			p.dataV2.isCompressed = w.chunkCodec != Uncompressed
		}
		w.appendPage(p, w.stage[p.levelsOff:p.bodyOff], w.stage[p.bodyOff:p.bodyEnd], comp)
	}
}

// appendPage appends a page's header, levels and compressed body to the
// chunk and counts its sizes; the first data page sets the data page
// offset.
func (w *Writer) appendPage(p *pendingPage, levels, body, comp []byte) {
	m := w.chunkMeta
	h := pageHeader{typ: p.typ}
	switch p.typ {
	case pageData:
		h.data = &p.data
	case pageDataV2:
		h.dataV2 = &p.dataV2
	case pageDictionary:
		h.dict = &p.dict
	}
	if p.typ != pageDictionary && !w.dataSeen {
		w.dataSeen = true
		m.dataPageOffset = w.chunkBase + int64(len(w.chunk))
	}
	h.uncompressedSize = int32(len(levels) + len(body))
	h.compressedSize = int32(len(levels) + len(comp))
	w.hdr.buf = w.hdr.buf[:0]
	w.hdr.pageHeader(&h)
	if tailOffset(w.chunk, comp) >= 0 {
		// comp waits in the chunk's memory past its end (compressTail):
		// move it behind the header and levels
		at := len(w.chunk)
		hl := len(w.hdr.buf) + len(levels)
		need := at + hl + len(comp)
		buf := w.chunk[:cap(w.chunk)]
		if need > len(buf) {
			buf = make([]byte, need+need/8)
			copy(buf, w.chunk)
		}
		copy(buf[at+hl:need], comp)
		copy(buf[at:], w.hdr.buf)
		copy(buf[at+len(w.hdr.buf):], levels)
		w.chunk = buf[:need]
	} else {
		w.chunk = append(w.chunk, w.hdr.buf...)
		w.chunk = append(w.chunk, levels...)
		w.chunk = append(w.chunk, comp...)
	}
	m.uncompressedSize += int64(len(w.hdr.buf)) + int64(h.uncompressedSize)
	m.compressedSize += int64(len(w.hdr.buf)) + int64(h.compressedSize)
}
