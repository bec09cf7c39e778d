package parquet

// The footer and page header structures of parquet.thrift that this
// package writes and reads, with their compact-protocol codecs. Field ids
// follow parquet.thrift; fields this package does not use are skipped on
// read and never written.

// Encoding is a Parquet value or level encoding.
type Encoding int32

const (
	EncPlain             Encoding = 0
	EncPlainDictionary   Encoding = 2
	EncRLE               Encoding = 3
	EncBitPacked         Encoding = 4
	EncDeltaBinaryPacked Encoding = 5
	EncDeltaLengthBytes  Encoding = 6
	EncDeltaByteArray    Encoding = 7
	EncRLEDictionary     Encoding = 8
	EncByteStreamSplit   Encoding = 9
)

func (e Encoding) String() string {
	switch e {
	case EncPlain:
		return "PLAIN"
	case EncPlainDictionary:
		return "PLAIN_DICTIONARY"
	case EncRLE:
		return "RLE"
	case EncBitPacked:
		return "BIT_PACKED"
	case EncDeltaBinaryPacked:
		return "DELTA_BINARY_PACKED"
	case EncDeltaLengthBytes:
		return "DELTA_LENGTH_BYTE_ARRAY"
	case EncDeltaByteArray:
		return "DELTA_BYTE_ARRAY"
	case EncRLEDictionary:
		return "RLE_DICTIONARY"
	case EncByteStreamSplit:
		return "BYTE_STREAM_SPLIT"
	}
	return "encoding(" + itoa(int64(e)) + ")"
}

// Compression is a Parquet compression codec.
type Compression int32

const (
	Uncompressed Compression = 0
	Snappy       Compression = 1
	Zstd         Compression = 6
)

func (c Compression) String() string {
	switch c {
	case Uncompressed:
		return "UNCOMPRESSED"
	case Snappy:
		return "SNAPPY"
	case Zstd:
		return "ZSTD"
	}
	return "codec(" + itoa(int64(c)) + ")"
}

// Parquet's physical type numbers on the wire.
const (
	ptBoolean   = 0
	ptInt32     = 1
	ptInt64     = 2
	ptInt96     = 3
	ptFloat     = 4
	ptDouble    = 5
	ptByteArray = 6
	ptFixed     = 7
)

// Converted (legacy logical) type numbers.
const (
	ctUTF8            = 0
	ctMap             = 1
	ctMapKeyValue     = 2
	ctList            = 3
	ctTimestampMillis = 9
	ctTimestampMicros = 10
	ctJSON            = 19
)

// Page types.
const (
	pageData       = 0
	pageIndex      = 1
	pageDictionary = 2
	pageDataV2     = 3
)

// Logical type union members (parquet.thrift LogicalType field ids).
const (
	ltString    = 1
	ltMap       = 2
	ltList      = 3
	ltTimestamp = 8
	ltJSON      = 12
)

// Time units (TimeUnit union field ids).
const (
	tuMillis = 1
	tuMicros = 2
	tuNanos  = 3
)

// Statistics are the min, max and null count of a column chunk or page.
// Min and Max are PLAIN-encoded values (byte arrays without a length
// prefix); they are nil when unknown, as for an all-null chunk.
type Statistics struct {
	Min, Max     []byte
	NullCount    int64
	HasNullCount bool
}

type schemaElement struct {
	typ           int32 // -1 when absent (groups)
	repetition    int32 // -1 when absent (the root)
	name          string
	numChildren   int32 // -1 when absent (leaves)
	convertedType int32 // -1 when absent
	logical       int32 // logical union member id, 0 when absent
	tsAdjusted    bool  // TIMESTAMP isAdjustedToUTC
	tsUnit        int32 // TIMESTAMP unit member id
}

type keyValue struct {
	key, value string
	hasValue   bool
}

type columnMeta struct {
	typ              int32
	encodings        []Encoding
	path             []string
	codec            Compression
	numValues        int64
	uncompressedSize int64
	compressedSize   int64
	dataPageOffset   int64
	dictPageOffset   int64 // 0 when absent
	hasDictOffset    bool
	stats            *Statistics
	// the writer's: stats points at statsOwn, whose Min and Max are in
	// statBytes, so that a reused columnMeta allocates nothing
	statsOwn  Statistics
	statBytes []byte
}

type columnChunk struct {
	fileOffset int64
	meta       *columnMeta
}

type rowGroup struct {
	columns        []columnChunk
	totalByteSize  int64
	numRows        int64
	fileOffset     int64
	compressedSize int64
}

type fileMeta struct {
	version   int32
	schema    []schemaElement
	numRows   int64
	rowGroups []rowGroup
	keyValues []keyValue
	createdBy string
}

type dataPageHeader struct {
	numValues int32
	encoding  Encoding
	defEnc    Encoding
	repEnc    Encoding
}

type dataPageHeaderV2 struct {
	numValues    int32
	numNulls     int32
	numRows      int32
	encoding     Encoding
	defLen       int32
	repLen       int32
	isCompressed bool
}

type dictPageHeader struct {
	numValues int32
	encoding  Encoding
}

type pageHeader struct {
	typ              int32
	uncompressedSize int32
	compressedSize   int32
	data             *dataPageHeader
	dataV2           *dataPageHeaderV2
	dict             *dictPageHeader
	// storage for the pointers above, so decoding a header allocates nothing
	dataBuf   dataPageHeader
	dataV2Buf dataPageHeaderV2
	dictBuf   dictPageHeader
}

// ---- encoding ----

func (w *tWriter) statistics(id int16, s *Statistics) {
	o := w.structBegin(id)
	if s.HasNullCount {
		w.i64(3, s.NullCount)
	}
	if s.Max != nil {
		w.binary(5, s.Max)
	}
	if s.Min != nil {
		w.binary(6, s.Min)
	}
	w.structEnd(o)
}

func (w *tWriter) schemaElement(e *schemaElement) {
	o := w.elemBegin()
	if e.typ >= 0 {
		w.i32(1, e.typ)
	}
	if e.repetition >= 0 {
		w.i32(3, e.repetition)
	}
	w.str(4, e.name)
	if e.numChildren >= 0 {
		w.i32(5, e.numChildren)
	}
	if e.convertedType >= 0 {
		w.i32(6, e.convertedType)
	}
	if e.logical != 0 {
		lo := w.structBegin(10)
		mo := w.structBegin(int16(e.logical))
		if e.logical == ltTimestamp {
			w.boolean(1, e.tsAdjusted)
			uo := w.structBegin(2)
			so := w.structBegin(int16(e.tsUnit))
			w.structEnd(so)
			w.structEnd(uo)
		}
		w.structEnd(mo)
		w.structEnd(lo)
	}
	w.structEnd(o)
}

func (w *tWriter) columnMeta(id int16, m *columnMeta) {
	o := w.structBegin(id)
	w.i32(1, m.typ)
	w.listBegin(2, tI32, len(m.encodings))
	for _, e := range m.encodings {
		w.listI32Elem(int32(e))
	}
	w.listBegin(3, tBinary, len(m.path))
	for _, p := range m.path {
		w.listBinaryElem(p)
	}
	w.i32(4, int32(m.codec))
	w.i64(5, m.numValues)
	w.i64(6, m.uncompressedSize)
	w.i64(7, m.compressedSize)
	w.i64(9, m.dataPageOffset)
	if m.hasDictOffset {
		w.i64(11, m.dictPageOffset)
	}
	if m.stats != nil {
		w.statistics(12, m.stats)
	}
	w.structEnd(o)
}

func (w *tWriter) fileMeta(f *fileMeta, numLeaves int) {
	w.last = 0
	w.i32(1, f.version)
	w.listBegin(2, tStruct, len(f.schema))
	for i := range f.schema {
		w.schemaElement(&f.schema[i])
	}
	w.i64(3, f.numRows)
	w.listBegin(4, tStruct, len(f.rowGroups))
	for i := range f.rowGroups {
		rg := &f.rowGroups[i]
		o := w.elemBegin()
		w.listBegin(1, tStruct, len(rg.columns))
		for j := range rg.columns {
			cc := &rg.columns[j]
			co := w.elemBegin()
			w.i64(2, cc.fileOffset)
			w.columnMeta(3, cc.meta)
			w.structEnd(co)
		}
		w.i64(2, rg.totalByteSize)
		w.i64(3, rg.numRows)
		w.i64(5, rg.fileOffset)
		w.i64(6, rg.compressedSize)
		w.fieldHeader(7, tI16)
		w.uvarint(zigzag64(int64(i)))
		w.structEnd(o)
	}
	if len(f.keyValues) > 0 {
		w.listBegin(5, tStruct, len(f.keyValues))
		for _, kv := range f.keyValues {
			o := w.elemBegin()
			w.str(1, kv.key)
			if kv.hasValue {
				w.str(2, kv.value)
			}
			w.structEnd(o)
		}
	}
	if f.createdBy != "" {
		w.str(6, f.createdBy)
	}
	// column_orders: TYPE_ORDER for every leaf, so readers trust
	// min_value / max_value.
	w.listBegin(7, tStruct, numLeaves)
	for range numLeaves {
		o := w.elemBegin()
		so := w.structBegin(1)
		w.structEnd(so)
		w.structEnd(o)
	}
	w.buf = append(w.buf, tStop)
}

func (w *tWriter) pageHeader(h *pageHeader) {
	w.last = 0
	w.i32(1, h.typ)
	w.i32(2, h.uncompressedSize)
	w.i32(3, h.compressedSize)
	switch {
	case h.data != nil:
		o := w.structBegin(5)
		w.i32(1, h.data.numValues)
		w.i32(2, int32(h.data.encoding))
		w.i32(3, int32(h.data.defEnc))
		w.i32(4, int32(h.data.repEnc))
		w.structEnd(o)
	case h.dict != nil:
		o := w.structBegin(7)
		w.i32(1, h.dict.numValues)
		w.i32(2, int32(h.dict.encoding))
		w.structEnd(o)
	case h.dataV2 != nil:
		d := h.dataV2
		o := w.structBegin(8)
		w.i32(1, d.numValues)
		w.i32(2, d.numNulls)
		w.i32(3, d.numRows)
		w.i32(4, int32(d.encoding))
		w.i32(5, d.defLen)
		w.i32(6, d.repLen)
		w.boolean(7, d.isCompressed)
		w.structEnd(o)
	}
	w.buf = append(w.buf, tStop)
}

// ---- decoding ----

func (r *tReader) readStatistics() (*Statistics, error) {
	s := &Statistics{}
	var oldMin, oldMax []byte
	err := r.readStruct(func(id int16, typ byte) (bool, error) {
		var err error
		switch id {
		case 1:
			oldMax, err = r.fieldBinary(id, typ)
		case 2:
			oldMin, err = r.fieldBinary(id, typ)
		case 3:
			s.NullCount, err = r.fieldI64(id, typ)
			s.HasNullCount = true
		case 5:
			s.Max, err = r.fieldBinary(id, typ)
		case 6:
			s.Min, err = r.fieldBinary(id, typ)
		default:
			return false, nil
		}
		return true, err
	})
	if s.Min == nil && s.Max == nil {
		// only the deprecated fields: keep them, the caller decides
		// whether their sort order is meaningful.
		s.Min, s.Max = oldMin, oldMax
	}
	if s.Min != nil {
		s.Min = append([]byte{}, s.Min...)
	}
	if s.Max != nil {
		s.Max = append([]byte{}, s.Max...)
	}
	return s, err
}

func (r *tReader) readLogicalType(e *schemaElement) error {
	return r.readStruct(func(id int16, typ byte) (bool, error) {
		if typ != tStruct {
			return false, nil
		}
		e.logical = int32(id)
		if id != ltTimestamp {
			return false, nil // skip the member's (empty or unused) struct
		}
		return true, r.readStruct(func(id int16, typ byte) (bool, error) {
			switch id {
			case 1:
				v, err := r.fieldBool(id, typ)
				e.tsAdjusted = v
				return true, err
			case 2:
				if err := r.want(id, typ, tStruct); err != nil {
					return true, err
				}
				return true, r.readStruct(func(id int16, typ byte) (bool, error) {
					if typ == tStruct {
						e.tsUnit = int32(id)
					}
					return false, nil
				})
			}
			return false, nil
		})
	})
}

func (r *tReader) readSchemaElement() (schemaElement, error) {
	e := schemaElement{typ: -1, repetition: -1, numChildren: -1, convertedType: -1}
	hasName := false
	err := r.readStruct(func(id int16, typ byte) (bool, error) {
		var err error
		switch id {
		case 1:
			e.typ, err = r.fieldI32(id, typ)
		case 3:
			e.repetition, err = r.fieldI32(id, typ)
		case 4:
			e.name, err = r.readStringField(id, typ)
			hasName = true
		case 5:
			e.numChildren, err = r.fieldI32(id, typ)
		case 6:
			e.convertedType, err = r.fieldI32(id, typ)
		case 10:
			if err = r.want(id, typ, tStruct); err == nil {
				err = r.readLogicalType(&e)
			}
		default:
			return false, nil
		}
		return true, err
	})
	if err == nil && !hasName {
		err = r.fail("schema element without a name")
	}
	return e, err
}

func (r *tReader) readStringField(id int16, typ byte) (string, error) {
	b, err := r.fieldBinary(id, typ)
	return string(b), err
}

func (r *tReader) readColumnMeta() (*columnMeta, error) {
	m := &columnMeta{typ: -1, dataPageOffset: -1}
	err := r.readStruct(func(id int16, typ byte) (bool, error) {
		var err error
		switch id {
		case 1:
			m.typ, err = r.fieldI32(id, typ)
		case 2:
			err = r.listOf(id, typ, tI32, func(int) error {
				v, err := r.readI32()
				m.encodings = append(m.encodings, Encoding(v))
				return err
			})
		case 3:
			err = r.listOf(id, typ, tBinary, func(int) error {
				v, err := r.readString()
				m.path = append(m.path, v)
				return err
			})
		case 4:
			var v int32
			v, err = r.fieldI32(id, typ)
			m.codec = Compression(v)
		case 5:
			m.numValues, err = r.fieldI64(id, typ)
		case 6:
			m.uncompressedSize, err = r.fieldI64(id, typ)
		case 7:
			m.compressedSize, err = r.fieldI64(id, typ)
		case 9:
			m.dataPageOffset, err = r.fieldI64(id, typ)
		case 11:
			m.dictPageOffset, err = r.fieldI64(id, typ)
			m.hasDictOffset = true
		case 12:
			if err = r.want(id, typ, tStruct); err == nil {
				m.stats, err = r.readStatistics()
			}
		default:
			return false, nil
		}
		return true, err
	})
	if err == nil && (m.typ < 0 || m.dataPageOffset < 0) {
		err = r.fail("column metadata without type or data page offset")
	}
	return m, err
}

func (r *tReader) readRowGroup() (rowGroup, error) {
	var rg rowGroup
	err := r.readStruct(func(id int16, typ byte) (bool, error) {
		var err error
		switch id {
		case 1:
			err = r.listOf(id, typ, tStruct, func(int) error {
				var cc columnChunk
				err := r.readStruct(func(id int16, typ byte) (bool, error) {
					var err error
					switch id {
					case 1:
						var p []byte
						if p, err = r.fieldBinary(id, typ); err == nil && len(p) > 0 {
							err = r.fail("column chunk in another file (%q) is not supported", p)
						}
					case 2:
						cc.fileOffset, err = r.fieldI64(id, typ)
					case 3:
						if err = r.want(id, typ, tStruct); err == nil {
							cc.meta, err = r.readColumnMeta()
						}
					default:
						return false, nil
					}
					return true, err
				})
				if err == nil && cc.meta == nil {
					err = r.fail("column chunk without metadata")
				}
				rg.columns = append(rg.columns, cc)
				return err
			})
		case 2:
			rg.totalByteSize, err = r.fieldI64(id, typ)
		case 3:
			rg.numRows, err = r.fieldI64(id, typ)
		case 5:
			rg.fileOffset, err = r.fieldI64(id, typ)
		case 6:
			rg.compressedSize, err = r.fieldI64(id, typ)
		default:
			return false, nil
		}
		return true, err
	})
	return rg, err
}

func decodeFileMeta(b []byte) (*fileMeta, error) {
	r := &tReader{b: b}
	f := &fileMeta{}
	err := r.readStruct(func(id int16, typ byte) (bool, error) {
		var err error
		switch id {
		case 1:
			f.version, err = r.fieldI32(id, typ)
		case 2:
			err = r.listOf(id, typ, tStruct, func(int) error {
				e, err := r.readSchemaElement()
				f.schema = append(f.schema, e)
				return err
			})
		case 3:
			f.numRows, err = r.fieldI64(id, typ)
		case 4:
			err = r.listOf(id, typ, tStruct, func(int) error {
				rg, err := r.readRowGroup()
				f.rowGroups = append(f.rowGroups, rg)
				return err
			})
		case 5:
			err = r.listOf(id, typ, tStruct, func(int) error {
				var kv keyValue
				err := r.readStruct(func(id int16, typ byte) (bool, error) {
					var err error
					switch id {
					case 1:
						kv.key, err = r.readStringField(id, typ)
					case 2:
						kv.value, err = r.readStringField(id, typ)
						kv.hasValue = true
					default:
						return false, nil
					}
					return true, err
				})
				f.keyValues = append(f.keyValues, kv)
				return err
			})
		case 6:
			f.createdBy, err = r.readStringField(id, typ)
		default:
			return false, nil
		}
		return true, err
	})
	if err != nil {
		return nil, err
	}
	return f, nil
}

// decodePageHeader decodes a page header at the start of b into h and
// returns the header's length in bytes.
func decodePageHeader(b []byte, h *pageHeader) (int, error) {
	r := &tReader{b: b}
	*h = pageHeader{typ: -1, uncompressedSize: -1, compressedSize: -1}
	err := r.readStruct(func(id int16, typ byte) (bool, error) {
		var err error
		switch id {
		case 1:
			h.typ, err = r.fieldI32(id, typ)
		case 2:
			h.uncompressedSize, err = r.fieldI32(id, typ)
		case 3:
			h.compressedSize, err = r.fieldI32(id, typ)
		case 5:
			if err = r.want(id, typ, tStruct); err != nil {
				return true, err
			}
			d := &h.dataBuf
			h.data = d
			err = r.readStruct(func(id int16, typ byte) (bool, error) {
				var err error
				var v int32
				switch id {
				case 1:
					d.numValues, err = r.fieldI32(id, typ)
				case 2:
					v, err = r.fieldI32(id, typ)
					d.encoding = Encoding(v)
				case 3:
					v, err = r.fieldI32(id, typ)
					d.defEnc = Encoding(v)
				case 4:
					v, err = r.fieldI32(id, typ)
					d.repEnc = Encoding(v)
				default:
					return false, nil
				}
				return true, err
			})
		case 7:
			if err = r.want(id, typ, tStruct); err != nil {
				return true, err
			}
			d := &h.dictBuf
			h.dict = d
			err = r.readStruct(func(id int16, typ byte) (bool, error) {
				var err error
				switch id {
				case 1:
					d.numValues, err = r.fieldI32(id, typ)
				case 2:
					var v int32
					v, err = r.fieldI32(id, typ)
					d.encoding = Encoding(v)
				default:
					return false, nil
				}
				return true, err
			})
		case 8:
			if err = r.want(id, typ, tStruct); err != nil {
				return true, err
			}
			d := &h.dataV2Buf
			d.isCompressed = true
			h.dataV2 = d
			err = r.readStruct(func(id int16, typ byte) (bool, error) {
				var err error
				var v int32
				switch id {
				case 1:
					d.numValues, err = r.fieldI32(id, typ)
				case 2:
					d.numNulls, err = r.fieldI32(id, typ)
				case 3:
					d.numRows, err = r.fieldI32(id, typ)
				case 4:
					v, err = r.fieldI32(id, typ)
					d.encoding = Encoding(v)
				case 5:
					d.defLen, err = r.fieldI32(id, typ)
				case 6:
					d.repLen, err = r.fieldI32(id, typ)
				case 7:
					d.isCompressed, err = r.fieldBool(id, typ)
				default:
					return false, nil
				}
				return true, err
			})
		default:
			return false, nil
		}
		return true, err
	})
	if err != nil {
		return 0, err
	}
	if h.typ < 0 || h.uncompressedSize < 0 || h.compressedSize < 0 {
		return 0, r.fail("page header lacks type or sizes, or has a negative size")
	}
	return r.pos, nil
}

func itoa(v int64) string {
	var b [24]byte
	i := len(b)
	neg := v < 0
	u := uint64(v)
	if neg {
		u = uint64(-v)
	}
	for {
		i--
		b[i] = byte('0' + u%10)
		u /= 10
		if u == 0 {
			break
		}
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}
