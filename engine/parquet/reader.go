package parquet

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"sync"

	"github.com/evodb/writer/kernels"
	"github.com/klauspost/compress/snappy"
	"github.com/klauspost/compress/zstd"
)

// ErrCorrupt is wrapped by every error about a malformed file.
var ErrCorrupt = errCorrupt

// ErrUnsupported is wrapped by errors about valid Parquet this reader does
// not handle (encodings, codecs or types the writer never emits).
var ErrUnsupported = errors.New("unsupported")

const maxFooter = 1 << 30

// File is an open Parquet file.
type File struct {
	r      io.ReaderAt
	size   int64
	meta   *fileMeta
	schema *Node
	leaves []leaf
	// dataEnd is the offset of the footer: column chunks lie before it.
	dataEnd int64
}

// RowGroupInfo describes a row group of a file.
type RowGroupInfo struct {
	NumRows       int64
	TotalByteSize int64
	Columns       []ColumnChunkInfo
}

// ColumnChunkInfo describes a column chunk of a row group.
type ColumnChunkInfo struct {
	Path             []string
	Encodings        []Encoding
	Compression      Compression
	NumValues        int64
	CompressedSize   int64
	UncompressedSize int64
	HasDictionary    bool
	Statistics       *Statistics // nil when the file has none
}

// OpenFile reads the footer of the Parquet file of the given size that r
// reads, and rebuilds its schema.
func OpenFile(r io.ReaderAt, size int64) (*File, error) {
	if size < 12 {
		return nil, fmt.Errorf("parquet: %w: file of %d bytes is too small", errCorrupt, size)
	}
	var tail [8]byte
	if _, err := r.ReadAt(tail[:], size-8); err != nil {
		return nil, fmt.Errorf("parquet: reading the footer length at offset %d: %w", size-8, err)
	}
	if string(tail[4:]) != "PAR1" {
		return nil, fmt.Errorf("parquet: %w: no PAR1 magic at the end", errCorrupt)
	}
	var head [4]byte
	if _, err := r.ReadAt(head[:], 0); err != nil {
		return nil, fmt.Errorf("parquet: reading the magic at offset 0: %w", err)
	}
	if string(head[:]) != "PAR1" {
		return nil, fmt.Errorf("parquet: %w: no PAR1 magic at the start", errCorrupt)
	}
	n := int64(binary.LittleEndian.Uint32(tail[:4]))
	if n > size-12 || n > maxFooter {
		return nil, fmt.Errorf("parquet: %w: footer of %d bytes in a file of %d", errCorrupt, n, size)
	}
	footer := make([]byte, n)
	at := size - 8 - n
	if _, err := r.ReadAt(footer, at); err != nil {
		return nil, fmt.Errorf("parquet: reading the footer at offset %d: %w", at, err)
	}
	meta, err := decodeFileMeta(footer)
	if err != nil {
		return nil, fmt.Errorf("parquet: %w: footer at offset %d: %w", errCorrupt, at, err)
	}
	f := &File{r: r, size: size, meta: meta, dataEnd: at}
	if f.schema, err = buildSchema(meta.schema); err != nil {
		return nil, err
	}
	if _, f.leaves, err = flattenSchema(f.schema); err != nil {
		return nil, fmt.Errorf("parquet: %w: %w", errCorrupt, err)
	}
	if meta.numRows < 0 {
		return nil, fmt.Errorf("parquet: %w: negative row count %d", errCorrupt, meta.numRows)
	}
	var rows int64
	for i, rg := range meta.rowGroups {
		if len(rg.columns) != len(f.leaves) {
			return nil, fmt.Errorf("parquet: %w: row group %d has %d column chunks for %d leaf columns", errCorrupt, i, len(rg.columns), len(f.leaves))
		}
		if rg.numRows < 0 || rg.numRows > math.MaxInt32 {
			return nil, fmt.Errorf("parquet: %w: row group %d has %d rows", errCorrupt, i, rg.numRows)
		}
		rows += rg.numRows
	}
	if rows != meta.numRows {
		return nil, fmt.Errorf("parquet: %w: row groups hold %d rows, the footer says %d", errCorrupt, rows, meta.numRows)
	}
	return f, nil
}

// buildSchema rebuilds the schema tree from its flattened elements.
func buildSchema(els []schemaElement) (*Node, error) {
	if len(els) == 0 {
		return nil, fmt.Errorf("parquet: %w: empty schema", errCorrupt)
	}
	pos := 1
	var build func(e *schemaElement, depth int) (*Node, error)
	build = func(e *schemaElement, depth int) (*Node, error) {
		if depth > maxSchemaDepth {
			return nil, fmt.Errorf("parquet: %w: schema nested deeper than %d", errCorrupt, maxSchemaDepth)
		}
		n := &Node{Name: e.name}
		if depth > 0 {
			switch e.repetition {
			case 0:
				n.Repetition = Required
			case 1:
				n.Repetition = Optional
			case 2:
				n.Repetition = Repeated
			default:
				return nil, fmt.Errorf("parquet: %w: schema element %q has repetition %d", errCorrupt, e.name, e.repetition)
			}
		}
		if e.numChildren < 0 || (e.numChildren == 0 && e.typ >= 0) {
			// a leaf
			if depth == 0 {
				return nil, fmt.Errorf("parquet: %w: schema root %q is not a group", errCorrupt, e.name)
			}
			switch e.typ {
			case ptBoolean:
				n.Type = Boolean
			case ptInt32:
				n.Type = Int32
			case ptInt64:
				n.Type = Int64
			case ptFloat:
				n.Type = Float
			case ptDouble:
				n.Type = Double
			case ptByteArray:
				n.Type = ByteArray
			case ptInt96, ptFixed:
				return nil, fmt.Errorf("parquet: %w: column %q has physical type %d (INT96 or FIXED_LEN_BYTE_ARRAY)", ErrUnsupported, e.name, e.typ)
			default:
				return nil, fmt.Errorf("parquet: %w: column %q has physical type %d", errCorrupt, e.name, e.typ)
			}
			switch {
			case n.Type == ByteArray && (e.logical == ltString || (e.logical == 0 && e.convertedType == ctUTF8)):
				n.Logical = String
			case n.Type == ByteArray && (e.logical == ltJSON || (e.logical == 0 && e.convertedType == ctJSON)):
				n.Logical = JSON
			case n.Type == Int64 && ((e.logical == ltTimestamp && e.tsUnit == tuMicros && e.tsAdjusted) ||
				(e.logical == 0 && e.convertedType == ctTimestampMicros)):
				n.Logical = TimestampMicros
			}
			return n, nil
		}
		if int(e.numChildren) > len(els)-pos {
			return nil, fmt.Errorf("parquet: %w: schema element %q claims %d children, %d elements left", errCorrupt, e.name, e.numChildren, len(els)-pos)
		}
		n.Children = make([]*Node, 0, e.numChildren)
		for range e.numChildren {
			if pos >= len(els) {
				return nil, fmt.Errorf("parquet: %w: schema element %q: children run past the %d elements", errCorrupt, e.name, len(els))
			}
			c := &els[pos]
			pos++
			child, err := build(c, depth+1)
			if err != nil {
				return nil, err
			}
			n.Children = append(n.Children, child)
		}
		if depth > 0 && (e.logical == ltList || (e.logical == 0 && e.convertedType == ctList)) {
			if len(n.Children) == 1 && n.Children[0].Repetition == Repeated && !n.Children[0].IsLeaf() && len(n.Children[0].Children) == 1 {
				n.Logical = List
			}
		}
		if depth > 0 && (e.logical == ltMap || (e.logical == 0 && (e.convertedType == ctMap || e.convertedType == ctMapKeyValue))) {
			if kv := n.Children; len(kv) == 1 && kv[0].Repetition == Repeated && !kv[0].IsLeaf() && len(kv[0].Children) == 2 && kv[0].Children[0].Repetition == Required {
				n.Logical = Map
			}
		}
		return n, nil
	}
	root, err := build(&els[0], 0)
	if err != nil {
		return nil, err
	}
	if pos != len(els) {
		return nil, fmt.Errorf("parquet: %w: schema has %d elements outside the tree", errCorrupt, len(els)-pos)
	}
	return root, nil
}

// Schema returns the file's schema.
func (f *File) Schema() *Node { return f.schema }

// NumRows is the number of rows in the file.
func (f *File) NumRows() int64 { return f.meta.numRows }

// NumRowGroups is the number of row groups in the file.
func (f *File) NumRowGroups() int { return len(f.meta.rowGroups) }

// CreatedBy is the footer's created_by field.
func (f *File) CreatedBy() string { return f.meta.createdBy }

// KeyValueMetadata returns the footer's key/value metadata.
func (f *File) KeyValueMetadata() []KeyValue {
	var out []KeyValue
	for _, kv := range f.meta.keyValues {
		out = append(out, KeyValue{Key: kv.key, Value: kv.value})
	}
	return out
}

// RowGroups describes every row group.
func (f *File) RowGroups() []RowGroupInfo {
	out := make([]RowGroupInfo, len(f.meta.rowGroups))
	for i, rg := range f.meta.rowGroups {
		info := RowGroupInfo{NumRows: rg.numRows, TotalByteSize: rg.totalByteSize}
		for _, cc := range rg.columns {
			m := cc.meta
			info.Columns = append(info.Columns, ColumnChunkInfo{
				Path: slices.Clone(m.path), Encodings: slices.Clone(m.encodings), Compression: m.codec,
				NumValues: m.numValues, CompressedSize: m.compressedSize, UncompressedSize: m.uncompressedSize,
				HasDictionary: m.hasDictOffset, Statistics: m.stats,
			})
		}
		out[i] = info
	}
	return out
}

// ReadRowGroup reads every column of row group i.
func (f *File) ReadRowGroup(i int) ([]ColumnData, error) {
	if i < 0 || i >= len(f.meta.rowGroups) {
		return nil, fmt.Errorf("parquet: row group %d of %d", i, len(f.meta.rowGroups))
	}
	cols := make([]ColumnData, len(f.leaves))
	for j := range cols {
		var err error
		if cols[j], err = f.ReadColumn(i, j); err != nil {
			return nil, err
		}
	}
	return cols, nil
}

var zstdDecoder = sync.OnceValues(func() (*zstd.Decoder, error) {
	return zstd.NewReader(nil, zstd.WithDecoderConcurrency(0), zstd.WithDecodeAllCapLimit(true),
		zstd.WithDecoderMaxMemory(1<<30))
})

// chunkReader holds the state of reading one column chunk.
type chunkReader struct {
	f      *File
	path   string
	leaf   *leaf
	codec  Compression
	base   int64 // file offset of buf[0]
	page   int   // page number, for errors
	at     int64 // file offset of the current page
	buf    []byte
	hybrid hybridDecoder

	dict     ColumnData // dictionary values, when the chunk has one
	hasDict  bool
	dictSize int
	scratch  []byte
	idx      []uint32
	lens     []int32
	u8       []uint8
}

func (cr *chunkReader) fail(err error) error {
	return fmt.Errorf("parquet: column %s, page %d at offset %d: %w", cr.path, cr.page, cr.at, err)
}

// ReadColumn reads column j of row group i.
func (f *File) ReadColumn(i, j int) (ColumnData, error) {
	if i < 0 || i >= len(f.meta.rowGroups) {
		return ColumnData{}, fmt.Errorf("parquet: row group %d of %d", i, len(f.meta.rowGroups))
	}
	rg := &f.meta.rowGroups[i]
	if j < 0 || j >= len(f.leaves) {
		return ColumnData{}, fmt.Errorf("parquet: column %d of %d", j, len(f.leaves))
	}
	l := &f.leaves[j]
	m := rg.columns[j].meta
	path := strings.Join(l.path, ".")
	bad := func(format string, args ...any) error {
		return fmt.Errorf("parquet: %w: row group %d, column %s: %s", errCorrupt, i, path, fmt.Sprintf(format, args...))
	}
	if m.typ != physicalWire(l.node.Type) {
		return ColumnData{}, bad("chunk has physical type %d, schema says %d", m.typ, physicalWire(l.node.Type))
	}
	if !slices.Equal(m.path, l.path) {
		return ColumnData{}, bad("chunk has path %q", strings.Join(m.path, "."))
	}
	switch m.codec {
	case Uncompressed, Snappy, Zstd:
	default:
		return ColumnData{}, fmt.Errorf("parquet: %w: row group %d, column %s: compression %v", ErrUnsupported, i, path, m.codec)
	}
	start := m.dataPageOffset
	if m.hasDictOffset && m.dictPageOffset > 0 && m.dictPageOffset < start {
		start = m.dictPageOffset
	}
	if start < 4 || m.compressedSize < 0 || start > f.dataEnd || m.compressedSize > f.dataEnd-start {
		return ColumnData{}, bad("chunk of %d bytes at offset %d lies outside the data (4..%d)", m.compressedSize, start, f.dataEnd)
	}
	if m.numValues < 0 || (l.maxRep == 0 && m.numValues != rg.numRows) || m.numValues < rg.numRows || m.numValues > math.MaxInt32 {
		return ColumnData{}, bad("%d values in a row group of %d rows", m.numValues, rg.numRows)
	}
	buf := make([]byte, m.compressedSize)
	if _, err := f.r.ReadAt(buf, start); err != nil {
		return ColumnData{}, fmt.Errorf("parquet: row group %d, column %s: reading %d bytes at offset %d: %w", i, path, len(buf), start, err)
	}
	cd := ColumnData{Path: slices.Clone(l.path), Leaf: l.node, MaxDef: l.maxDef, MaxRep: l.maxRep}
	cr := &chunkReader{f: f, path: path, leaf: l, codec: m.codec, base: start, buf: buf}
	total := int(m.numValues)
	pos := 0
	for cd.NumLevels < total {
		cr.at = start + int64(pos)
		if pos >= len(buf) {
			return ColumnData{}, cr.fail(corrupt("chunk ends after %d of %d values", cd.NumLevels, total))
		}
		var h pageHeader
		hl, err := decodePageHeader(buf[pos:], &h)
		if err != nil {
			return ColumnData{}, cr.fail(fmt.Errorf("%w: page header: %w", errCorrupt, err))
		}
		pos += hl
		if int(h.compressedSize) > len(buf)-pos {
			return ColumnData{}, cr.fail(corrupt("page of %d bytes, %d left in the chunk", h.compressedSize, len(buf)-pos))
		}
		body := buf[pos : pos+int(h.compressedSize)]
		pos += int(h.compressedSize)
		if err := cr.readPage(&cd, &h, body, total); err != nil {
			return ColumnData{}, cr.fail(err)
		}
		cr.page++
	}
	if l.maxRep > 0 {
		rows, err := checkRepetition(cd.DefLevels, cd.RepLevels, l)
		if err != nil {
			return ColumnData{}, bad("%v", err)
		}
		if rows != rg.numRows {
			return ColumnData{}, bad("%d rows, the row group has %d", rows, rg.numRows)
		}
	}
	return cd, nil
}

// maxUncompressed bounds the declared uncompressed size of a page.
func (cr *chunkReader) maxUncompressed() int {
	return int(min(1<<30, 4096*max(cr.f.size, 4096)))
}

// decompress returns the uncompressed form of src, which must be size bytes.
func (cr *chunkReader) decompress(src []byte, size int) ([]byte, error) {
	if size < 0 || size > cr.maxUncompressed() {
		return nil, corrupt("uncompressed page size %d", size)
	}
	switch cr.codec {
	case Uncompressed:
		if len(src) != size {
			return nil, corrupt("uncompressed page of %d bytes says %d", len(src), size)
		}
		return src, nil
	case Snappy:
		n, err := snappy.DecodedLen(src)
		if err != nil {
			return nil, corrupt("snappy: %v", err)
		}
		if n != size {
			return nil, corrupt("snappy page decodes to %d bytes, header says %d", n, size)
		}
		out := make([]byte, n)
		if _, err := snappy.Decode(out, src); err != nil {
			return nil, corrupt("snappy: %v", err)
		}
		return out, nil
	case Zstd:
		dec, err := zstdDecoder()
		if err != nil {
			return nil, err
		}
		out, err := dec.DecodeAll(src, make([]byte, 0, size))
		if err != nil {
			return nil, corrupt("zstd: %v", err)
		}
		if len(out) != size {
			return nil, corrupt("zstd page decodes to %d bytes, header says %d", len(out), size)
		}
		return out, nil
	}
	return nil, fmt.Errorf("%w: compression %v", ErrUnsupported, cr.codec)
}

func (cr *chunkReader) readPage(cd *ColumnData, h *pageHeader, body []byte, total int) error {
	l := cr.leaf
	switch h.typ {
	case pageDictionary:
		if h.dict == nil {
			return corrupt("dictionary page without its header")
		}
		if cr.hasDict || cd.NumLevels > 0 {
			return corrupt("dictionary page after the first page")
		}
		if h.dict.encoding != EncPlain && h.dict.encoding != EncPlainDictionary {
			return fmt.Errorf("%w: dictionary page encoding %v", ErrUnsupported, h.dict.encoding)
		}
		data, err := cr.decompress(body, int(h.uncompressedSize))
		if err != nil {
			return err
		}
		n := int(h.dict.numValues)
		if n < 0 || (l.node.Type != Boolean && n > len(data)) || (l.node.Type == Boolean && n > 8*len(data)) {
			return corrupt("dictionary of %d values in %d bytes", n, len(data))
		}
		cr.dict = ColumnData{Leaf: l.node}
		if err := cr.appendPlain(&cr.dict, data, n); err != nil {
			return fmt.Errorf("dictionary page: %w", err)
		}
		cr.hasDict = true
		cr.dictSize = n
		return nil
	case pageData:
		if h.data == nil {
			return corrupt("data page without its header")
		}
		n := int(h.data.numValues)
		if err := cr.checkLevels(n, total-cd.NumLevels, int(h.uncompressedSize)); err != nil {
			return err
		}
		data, err := cr.decompress(body, int(h.uncompressedSize))
		if err != nil {
			return err
		}
		pos := 0
		if l.maxRep > 0 {
			if h.data.repEnc != EncRLE {
				return fmt.Errorf("%w: repetition level encoding %v", ErrUnsupported, h.data.repEnc)
			}
			k, err := cr.levelsV1(&cd.RepLevels, data[pos:], n, l.maxRep)
			if err != nil {
				return fmt.Errorf("repetition levels: %w", err)
			}
			pos += k
		}
		if l.maxDef > 0 {
			if h.data.defEnc != EncRLE {
				return fmt.Errorf("%w: definition level encoding %v", ErrUnsupported, h.data.defEnc)
			}
			k, err := cr.levelsV1(&cd.DefLevels, data[pos:], n, l.maxDef)
			if err != nil {
				return fmt.Errorf("definition levels: %w", err)
			}
			pos += k
		}
		return cr.finishPage(cd, n, h.data.encoding, data[pos:])
	case pageDataV2:
		d := h.dataV2
		if d == nil {
			return corrupt("data page v2 without its header")
		}
		n := int(d.numValues)
		if err := cr.checkLevels(n, total-cd.NumLevels, int(h.uncompressedSize)); err != nil {
			return err
		}
		if d.repLen < 0 || d.defLen < 0 || int(d.repLen)+int(d.defLen) > len(body) {
			return corrupt("level sections of %d and %d bytes in a page of %d", d.repLen, d.defLen, len(body))
		}
		rep := body[:d.repLen]
		def := body[d.repLen : d.repLen+d.defLen]
		values := body[d.repLen+d.defLen:]
		if l.maxRep > 0 {
			if err := cr.levelsV2(&cd.RepLevels, rep, n, l.maxRep); err != nil {
				return fmt.Errorf("repetition levels: %w", err)
			}
		}
		if l.maxDef > 0 {
			if err := cr.levelsV2(&cd.DefLevels, def, n, l.maxDef); err != nil {
				return fmt.Errorf("definition levels: %w", err)
			}
		}
		if d.isCompressed && cr.codec != Uncompressed {
			var err error
			if values, err = cr.decompress(values, int(h.uncompressedSize)-int(d.repLen)-int(d.defLen)); err != nil {
				return err
			}
		}
		return cr.finishPage(cd, n, d.encoding, values)
	case pageIndex:
		return nil
	}
	return corrupt("page type %d", h.typ)
}

// checkLevels bounds a page's level count by what the chunk still expects
// and by what its size can plausibly encode.
func (cr *chunkReader) checkLevels(n, left, size int) error {
	if n < 0 || n > left {
		return corrupt("page of %d values where %d remain in the chunk", n, left)
	}
	if int64(n) > 16384*int64(max(size, 64)) {
		return corrupt("page of %d values in %d bytes", n, size)
	}
	return nil
}

func (cr *chunkReader) levelsV1(dst *[]uint8, src []byte, n int, maxLevel uint8) (int, error) {
	if len(src) < 4 {
		return 0, corrupt("level length past the end")
	}
	l := binary.LittleEndian.Uint32(src)
	if uint64(l) > uint64(len(src)-4) {
		return 0, corrupt("levels of %d bytes, %d left", l, len(src)-4)
	}
	if err := cr.levelsV2(dst, src[4:4+l], n, maxLevel); err != nil {
		return 0, err
	}
	return 4 + int(l), nil
}

func (cr *chunkReader) levelsV2(dst *[]uint8, src []byte, n int, maxLevel uint8) error {
	at := len(*dst)
	*dst = slices.Grow(*dst, n)[:at+n]
	out := (*dst)[at:]
	if _, err := decodeHybrid(&cr.hybrid, out, src, bitWidth(uint64(maxLevel))); err != nil {
		return err
	}
	for i, v := range out {
		if v > maxLevel {
			return corrupt("level %d at entry %d exceeds %d", v, i, maxLevel)
		}
	}
	return nil
}

// finishPage counts the page's values, checks repetition structure and
// decodes the values.
func (cr *chunkReader) finishPage(cd *ColumnData, n int, enc Encoding, data []byte) error {
	l := cr.leaf
	first := cd.NumLevels
	if l.maxRep > 0 && n > 0 && first == 0 && cd.RepLevels[0] != 0 {
		return corrupt("first repetition level is %d", cd.RepLevels[0])
	}
	nv := n
	if l.maxDef > 0 {
		nv = 0
		for _, d := range cd.DefLevels[first:] {
			if d == l.maxDef {
				nv++
			}
		}
	}
	cd.NumLevels += n
	return cr.decodeValues(cd, enc, data, nv)
}

func (cr *chunkReader) appendPlain(cd *ColumnData, data []byte, n int) error {
	switch cd.Leaf.Type {
	case Boolean:
		if len(data)*8 < n {
			return corrupt("PLAIN booleans: %d bytes for %d values", len(data), n)
		}
		for i := range n {
			cd.Bools = append(cd.Bools, data[i>>3]>>(i&7)&1 == 1)
		}
		return nil
	case ByteArray:
		var err error
		cd.Bytes, cd.Offsets, err = appendPlainByteArrays(cd.Bytes, cd.Offsets, data, n)
		return err
	}
	return appendPlainFixed(cd, data, n)
}

func (cr *chunkReader) decodeValues(cd *ColumnData, enc Encoding, data []byte, nv int) error {
	t := cr.leaf.node.Type
	if nv == 0 {
		return nil
	}
	switch enc {
	case EncPlain:
		return cr.appendPlain(cd, data, nv)
	case EncRLE:
		if t != Boolean {
			return fmt.Errorf("%w: RLE values for physical type %d", ErrUnsupported, t)
		}
		if len(data) < 4 {
			return corrupt("RLE booleans: length past the end")
		}
		l := binary.LittleEndian.Uint32(data)
		if uint64(l) > uint64(len(data)-4) {
			return corrupt("RLE booleans of %d bytes, %d left", l, len(data)-4)
		}
		cr.u8 = slices.Grow(cr.u8[:0], nv)[:nv]
		if _, err := decodeHybrid(&cr.hybrid, cr.u8, data[4:4+l], 1); err != nil {
			return err
		}
		for _, v := range cr.u8 {
			cd.Bools = append(cd.Bools, v == 1)
		}
		return nil
	case EncRLEDictionary, EncPlainDictionary:
		if !cr.hasDict {
			return corrupt("dictionary-encoded page without a dictionary page")
		}
		if len(data) < 1 {
			return corrupt("dictionary indices: bit width past the end")
		}
		bw := uint(data[0])
		if bw > 32 {
			return corrupt("dictionary index bit width %d", bw)
		}
		cr.idx = slices.Grow(cr.idx[:0], nv)[:nv]
		if _, err := decodeHybrid(&cr.hybrid, cr.idx, data[1:], bw); err != nil {
			return fmt.Errorf("dictionary indices: %w", err)
		}
		return cr.lookup(cd, cr.idx)
	case EncDeltaBinaryPacked:
		if t != Int32 && t != Int64 {
			return fmt.Errorf("%w: DELTA_BINARY_PACKED for physical type %d", ErrUnsupported, t)
		}
		var err error
		if t == Int32 {
			cd.Int32s, _, err = decodeDelta(cd.Int32s, data, nv)
		} else {
			cd.Int64s, _, err = decodeDelta(cd.Int64s, data, nv)
		}
		return err
	case EncDeltaLengthBytes:
		if t != ByteArray {
			return fmt.Errorf("%w: DELTA_LENGTH_BYTE_ARRAY for physical type %d", ErrUnsupported, t)
		}
		var err error
		var k int
		cr.lens, k, err = decodeDelta(cr.lens[:0], data, nv)
		if err != nil {
			return fmt.Errorf("lengths: %w", err)
		}
		data = data[k:]
		if len(cd.Offsets) == 0 {
			cd.Offsets = append(cd.Offsets, int32(len(cd.Bytes)))
		}
		pos := 0
		for i, l := range cr.lens {
			if l < 0 || int(l) > len(data)-pos {
				return corrupt("DELTA_LENGTH_BYTE_ARRAY: length %d of value %d, %d bytes left", l, i, len(data)-pos)
			}
			if len(cd.Bytes)+int(l) > math.MaxInt32 {
				return corrupt("byte arrays exceed 2 GiB in one column chunk")
			}
			cd.Bytes = append(cd.Bytes, data[pos:pos+int(l)]...)
			cd.Offsets = append(cd.Offsets, int32(len(cd.Bytes)))
			pos += int(l)
		}
		return nil
	case EncByteStreamSplit:
		var err error
		switch t {
		case Float:
			at := len(cd.Floats)
			if len(data) != 4*nv {
				return corrupt("BYTE_STREAM_SPLIT: %d bytes for %d floats", len(data), nv)
			}
			cd.Floats = slices.Grow(cd.Floats, nv)[:at+nv]
			err = kernels.DecodeByteStreamSplit32(cd.Floats[at:], data)
		case Double:
			at := len(cd.Doubles)
			if len(data) != 8*nv {
				return corrupt("BYTE_STREAM_SPLIT: %d bytes for %d doubles", len(data), nv)
			}
			cd.Doubles = slices.Grow(cd.Doubles, nv)[:at+nv]
			err = kernels.DecodeByteStreamSplit64(cd.Doubles[at:], data)
		default:
			return fmt.Errorf("%w: BYTE_STREAM_SPLIT for physical type %d", ErrUnsupported, t)
		}
		if err != nil {
			return corrupt("BYTE_STREAM_SPLIT: %v", err)
		}
		return nil
	}
	return fmt.Errorf("%w: value encoding %v", ErrUnsupported, enc)
}

func (cr *chunkReader) lookup(cd *ColumnData, idx []uint32) error {
	d := &cr.dict
	n := uint32(cr.dictSize)
	for i, k := range idx {
		if k >= n {
			return corrupt("dictionary index %d at value %d, dictionary has %d", k, i, n)
		}
	}
	switch cd.Leaf.Type {
	case Boolean:
		for _, k := range idx {
			cd.Bools = append(cd.Bools, d.Bools[k])
		}
	case Int32:
		for _, k := range idx {
			cd.Int32s = append(cd.Int32s, d.Int32s[k])
		}
	case Int64:
		for _, k := range idx {
			cd.Int64s = append(cd.Int64s, d.Int64s[k])
		}
	case Float:
		for _, k := range idx {
			cd.Floats = append(cd.Floats, d.Floats[k])
		}
	case Double:
		for _, k := range idx {
			cd.Doubles = append(cd.Doubles, d.Doubles[k])
		}
	case ByteArray:
		if len(cd.Offsets) == 0 {
			cd.Offsets = append(cd.Offsets, int32(len(cd.Bytes)))
		}
		for _, k := range idx {
			v := d.Bytes[d.Offsets[k]:d.Offsets[k+1]]
			if len(cd.Bytes)+len(v) > math.MaxInt32 {
				return corrupt("byte arrays exceed 2 GiB in one column chunk")
			}
			cd.Bytes = append(cd.Bytes, v...)
			cd.Offsets = append(cd.Offsets, int32(len(cd.Bytes)))
		}
	}
	return nil
}
