// Package engine turns batches of CDC entries into Parquet blocks and reads
// them back.
//
// The Shredder turns the rows of one table, each the bytes of a JSON
// object, into typed leaf columns (parquet.ColumnData) with definition and
// repetition levels, reading the bytes directly: no map is built per row,
// and once its arena has grown to the size of a block it allocates nothing
// per row.
//
// # Types and schema inference
//
// A column's type comes from a declared Schema or, for columns the schema
// does not declare, from the first block in which the column has a value:
//
//   - true / false → bool (BOOLEAN)
//   - integers in the int64 range → int64 (INT64)
//   - numbers with a fraction or an exponent → double (DOUBLE). A column
//     that meets both in the block that introduces it becomes double, as
//     long as all its integers so far are exactly representable (|v| ≤
//     2^53); otherwise it stays int64 and the fractional values are rescued.
//   - strings → string (BYTE_ARRAY, STRING); if every string of the column
//     in that block is an RFC 3339 date-time (see timestamp.go), the column
//     is a timestamp (INT64, TIMESTAMP micros, UTC) instead
//   - objects → groups; arrays → three-level LISTs of an optional element
//     whose type is inferred the same way
//   - binary (BYTE_ARRAY; standard base64 text in JSON) and json (BYTE_ARRAY,
//     JSON: any value kept as its JSON text) are never inferred, only
//     declared: a base64 string is indistinguishable from a word.
//
// A key whose values are only null, {} or arrays without a typed value gets
// no column until one of its values has a type; null, missing keys and
// empty containers at such keys are read back as missing (empty containers
// are rescued, see below). Every user column is optional.
//
// # Schema evolution and _rescued
//
// Once a block has been written, the types of its columns are fixed. A new
// key adds a column (rows of earlier blocks read it as null). A value that
// does not fit its column's type is never cast and never dropped: it goes,
// as JSON text, into the row's _rescued value, a JSON object from the
// value's path (a JSON Pointer, RFC 6901, e.g. "/address/zip" or
// "/tags/3") to the value; the column holds null at that place. Values go
// there too when they fit no column: an integer beyond int64 (or beyond
// 2^53 in a double column), a number beyond float64, a fractional number
// in an int64 column, a string that is not a time in a timestamp column,
// text that is not base64 in a binary column, a key that is a metadata
// column's name at the top of the row or that differs from an existing
// column's name only in case, keys of a strict declared schema that it does
// not declare, and empty containers at keys without a column. Stats.Rescued
// counts the values.
//
// # Bad rows
//
// A row that is not valid JSON (syntax, invalid UTF-8, NaN or Infinity),
// that is longer than Options.MaxRowBytes, that nests deeper than
// Options.MaxDepth, that is not an object, or that
// has the same key twice in one object is rejected with a *RowError that
// names the row's index in the batch, its LSN and the byte; the other rows
// of the batch are kept. A rejected row found while the schema was being
// inferred may still have added columns before its problem was found.
// Since the shredder validates every row, JSON lines need not be
// validated twice: BlockWriter.WriteJSONLines decodes them with
// cdc.JSONOptions.FrameData and reports every rejected line, the
// decoder's and the shredder's, as a *cdc.LineError (see LineErrors).
//
// Strings keep their text exactly, except that a \u escape of a lone
// UTF-16 surrogate (not a character) becomes U+FFFD, as in encoding/json.
// A timestamp column keeps the instant, not the offset it was written
// with.
//
// # Metadata
//
// Each block starts with the columns _op (string: INSERT, UPDATE,
// DELETE), _lsn (int64), _producer (string), all required, and _commit_ts
// (timestamp, null when the entry has no commit time), and ends with
// _rescued (json, null when nothing was rescued).
//
// # Blocks
//
// BlockWriter writes a batch as one Parquet file, shredding, encoding and
// streaming it out a row group at a time, so that its memory follows the
// row group, not the block (see BlockOptions.RowGroupMemory). A schema
// change inside a batch is learned from the rest of the batch at once, at
// its first row, so a column's type is still decided from all of the
// batch's values; row groups written before it get chunks for the new
// columns after the fact. Pipeline overlaps shredding a row group with
// encoding the one before, on two goroutines. BlockFile reads a block
// back, as columns or as Rows (each row's JSON values with its rescued
// values back in place), for compaction and tests.
package engine

import (
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"strconv"

	"github.com/evodb/writer/arena"
	"github.com/evodb/writer/cdc"
	"github.com/evodb/writer/engine/parquet"
	"github.com/evodb/writer/internal/jsontext"
)

// Errors a row can be rejected with, besides cdc.ErrSyntax,
// cdc.ErrInvalidUTF8, cdc.ErrTooDeep and cdc.ErrNotObject.
var (
	ErrDuplicateKey = errors.New("duplicate key")
	ErrWrongTable   = errors.New("entry of another table")
	ErrInvalidOp    = errors.New("invalid op")
	ErrTooLarge     = errors.New("column too large for one block")
	ErrRowTooLarge  = errors.New("row too large")
)

// RowError reports a row of a batch that was rejected.
type RowError struct {
	Index int   // the entry's index in the batch
	LSN   int64 // the entry's LSN
	Err   error
}

func (e *RowError) Error() string { return fmt.Sprintf("row %d (lsn %d): %v", e.Index, e.LSN, e.Err) }
func (e *RowError) Unwrap() error { return e.Err }

// Options configures a Shredder. The zero value is usable.
type Options struct {
	// Table is the table the shredder is for; entries of another table are
	// rejected. Empty: the table of the first entry.
	Table string
	// Schema declares columns; nil infers all of them.
	Schema *Schema
	// MaxDepth is the deepest nesting of objects and arrays accepted in a
	// row, counting the row itself; default and maximum 64.
	MaxDepth int
	// MaxRowBytes is the largest row (Entry.Data) accepted; default
	// DefaultMaxRowBytes, as cdc.JSONOptions.MaxLineBytes.
	MaxRowBytes int
	// ArenaChunk is the size of the first chunk of the column arena
	// (and the least it keeps); default arena.DefaultChunkSize.
	ArenaChunk int
	// Buffers is the number of blocks whose memory stays valid: with 2, a
	// block stays valid until the second Shred after the one that made
	// it, so that one block can be encoded while the next is shredded, at
	// the price of twice the memory. Default 1.
	Buffers int
}

const maxDepthLimit = 64

// DefaultMaxRowBytes is the largest row (Entry.Data) a Shredder accepts
// when Options.MaxRowBytes is not set: 1 MiB.
const DefaultMaxRowBytes = 1 << 20

// Stats counts what a block holds.
type Stats struct {
	Rows       int // rows in the block
	Rejected   int // rows rejected, see Block.Errors
	Rescued    int // values that went to _rescued
	NewColumns int // leaf columns the block added to the schema
	Passes     int // passes over the rows: 1, or 3 when the schema changed (shred, infer, shred)
}

// Block is one shredded batch. It, its columns and their memory are valid
// until the next call to Shred (with Options.Buffers 2: the one after).
type Block struct {
	Schema  *parquet.Node
	Columns []parquet.ColumnData
	Stats   Stats
	Errors  []*RowError
	// First and End are the entries of the batch the block holds: the
	// rows [First, End), less the rejected ones.
	First, End int
	// Bytes is the size of its accepted entries (cdc.Entry.Size).
	Bytes int
}

// Shredder turns batches of entries of one table into blocks of columns,
// keeping the table's schema from batch to batch. It is not safe for
// concurrent use.
type Shredder struct {
	opts     Options
	maxDepth int
	maxRow   int
	table    string
	root     *node
	cols     []*column // every leaf column in schema order
	meta     [4]*column
	rescued  *column
	arena    *arena.Arena   // the current buffer's
	arenas   []*arena.Arena // one per buffer
	blocks   []Block        // one per buffer
	cur      int            // the current buffer

	schema      *parquet.Node
	leaves      []*parquet.Node // leaves of schema, in column order
	schemaDirty bool
	block       *Block

	// the batch being shredded a part at a time (begin, next)
	batch   []cdc.Entry
	pos     int // the first row next has not shredded
	inBytes int // entry bytes of the rows the last pass accepted
	// passBytes: entry bytes of every row the last pass went over
	// (accepted or rejected)
	passBytes int
	rest      int // entry bytes of the rows from pos on
	// expect: the entry bytes the pass in progress expects (startPass);
	// want: project's scratch
	expect  int
	want    []typedPos
	started bool // next returned the first part

	// state of the batch and row being shredded
	t       tok
	gen     uint64
	row     int
	frozen  bool // the schema may not change in this pass
	rbuf    []byte
	rcount  int
	path    [maxDepthLimit + 2]pathSeg
	ukeys   []unknownKey
	ukeyBuf []byte
	scratch []byte
	ptr     []byte
	stats   Stats
	// the last producer addMeta met, and its name followed by 16 zeros
	producer     string
	producerText []byte
}

// pathSeg is one step of the path to the value being shredded: a member
// name (a span of the row's bytes) or an array index (start < 0).
type pathSeg struct {
	start, end int
	escaped    bool
}

type unknownKey struct {
	gen      uint64
	off, end int
}

// errSchemaChange stops a pass that met a key the schema lacks.
var errSchemaChange = errors.New("schema change")

// NewShredder returns a Shredder, checking the declared schema if any.
func NewShredder(opts Options) (*Shredder, error) {
	s := &Shredder{opts: opts, table: opts.Table}
	for range max(1, min(opts.Buffers, 2)) {
		s.arenas = append(s.arenas, arena.New(opts.ArenaChunk))
	}
	s.blocks = make([]Block, len(s.arenas))
	s.arena, s.block = s.arenas[0], &s.blocks[0]
	s.maxRow = opts.MaxRowBytes
	if s.maxRow <= 0 {
		s.maxRow = DefaultMaxRowBytes
	}
	s.maxDepth = opts.MaxDepth
	if s.maxDepth <= 0 || s.maxDepth > maxDepthLimit {
		s.maxDepth = maxDepthLimit
	}
	s.root = &node{typ: TypeObject, fixed: true}
	if opts.Schema != nil {
		if err := opts.Schema.Validate(); err != nil {
			return nil, err
		}
		for i := range opts.Schema.Fields {
			s.root.addChild(fromField(&opts.Schema.Fields[i]))
		}
	}
	s.meta[0] = &column{typ: TypeString, path: []string{ColOp}}
	s.meta[1] = &column{typ: TypeInt64, path: []string{ColLSN}}
	s.meta[2] = &column{typ: TypeString, path: []string{ColProducer}}
	s.meta[3] = &column{typ: TypeTimestamp, path: []string{ColCommitTS}, maxDef: 1}
	s.rescued = &column{typ: TypeJSON, path: []string{ColRescued}, maxDef: 1}
	s.layout()
	return s, nil
}

// Schema returns the table's schema as the shredder knows it now, as a
// declared schema (which can be saved and given to a later Shredder).
func (s *Shredder) Schema() *Schema {
	f := s.root.toField()
	return &Schema{Fields: f.Fields, Strict: s.opts.Schema != nil && s.opts.Schema.Strict}
}

// layout assigns levels to the schema tree and lists its leaf columns.
func (s *Shredder) layout() {
	s.cols = append(s.cols[:0], s.meta[:]...)
	for _, c := range s.root.children {
		if c.complete() {
			s.layoutNode(c, 0, 0, nil)
		}
	}
	s.cols = append(s.cols, s.rescued)
	s.schemaDirty = true
}

func (s *Shredder) layoutNode(n *node, parentDef, rep uint8, path []string) {
	n.def = parentDef + 1
	n.rep = rep
	n.leaves = n.leaves[:0]
	path = append(path[:len(path):len(path)], n.name)
	switch n.typ {
	case TypeObject:
		for _, c := range n.children {
			if c.complete() {
				s.layoutNode(c, n.def, rep, path)
				n.leaves = append(n.leaves, c.leaves...)
			}
		}
	case TypeList:
		n.listRep = rep + 1
		s.layoutNode(n.elem, n.def+1, rep+1, append(path, "list"))
		n.leaves = append(n.leaves, n.elem.leaves...)
	default:
		if n.col == nil {
			n.col = &column{n: n, typ: n.typ}
			s.stats.NewColumns++
		}
		n.col.typ = n.typ
		n.col.path = path
		n.col.maxDef = n.def
		n.col.maxRep = rep
		n.leaves = append(n.leaves, n.col)
		s.cols = append(s.cols, n.col)
	}
}

// parquetSchema builds the Parquet schema of the block.
func (s *Shredder) parquetSchema() *parquet.Node {
	root := &parquet.Node{Name: "schema", Repetition: parquet.Required, Children: []*parquet.Node{
		{Name: ColOp, Repetition: parquet.Required, Type: parquet.ByteArray, Logical: parquet.String},
		{Name: ColLSN, Repetition: parquet.Required, Type: parquet.Int64},
		{Name: ColProducer, Repetition: parquet.Required, Type: parquet.ByteArray, Logical: parquet.String},
		{Name: ColCommitTS, Repetition: parquet.Optional, Type: parquet.Int64, Logical: parquet.TimestampMicros},
	}}
	for _, c := range s.root.children {
		if c.complete() {
			root.Children = append(root.Children, c.parquetNode())
		}
	}
	root.Children = append(root.Children, &parquet.Node{Name: ColRescued, Repetition: parquet.Optional,
		Type: parquet.ByteArray, Logical: parquet.JSON})
	return root
}

// leafNodes lists the leaves of a Parquet schema in column order.
func leafNodes(n *parquet.Node, dst []*parquet.Node) []*parquet.Node {
	if n.IsLeaf() {
		return append(dst, n)
	}
	for _, c := range n.Children {
		dst = leafNodes(c, dst)
	}
	return dst
}

// Shred turns a batch of entries into a block. Rows that cannot be
// shredded are left out and reported in Block.Errors; the error result is
// only for failures of the whole batch (a column beyond 2 GiB).
func (s *Shredder) Shred(entries []cdc.Entry) (*Block, error) {
	s.begin(entries)
	return s.next(0)
}

// begin starts shredding a batch a part at a time with next: the parts
// are the row groups of one Parquet file.
func (s *Shredder) begin(entries []cdc.Entry) {
	s.batch, s.pos, s.started = entries, 0, false
	s.frozen = false
	s.rest = 0
	for i := range entries {
		s.rest += entries[i].Size()
	}
}

// next shreds the next rows of the batch begun by begin into a block of
// their own: rows until the bytes of the accepted ones (cdc.Entry.Size)
// reach maxBytes, or every row left when maxBytes <= 0. It returns nil
// once the batch is done; the first call returns a block even for an
// empty batch.
//
// The schema can change once per batch: at the first row with a key the
// schema lacks, the rest of the batch is inferred at once (so a new
// column's type is decided, as with one block per batch, from every value
// of it in the batch) and the rows of this part are shredded again with
// the schema frozen until the end of the batch. Parts already returned
// lack the new columns (see BlockWriter).
func (s *Shredder) next(maxBytes int) (*Block, error) {
	if s.started && s.pos >= len(s.batch) {
		return nil, nil
	}
	s.started = true
	s.swap()
	s.stats = Stats{}
	first := s.pos
	expect := s.rest
	if maxBytes > 0 {
		expect = min(expect, maxBytes)
	}
	var end int
	for {
		s.stats.Passes++
		s.startPass(expect)
		e, k, err := s.pass(first, len(s.batch), maxBytes)
		if err == nil {
			end = e
			break
		}
		if !errors.Is(err, errSchemaChange) {
			return nil, err
		}
		// Row k has a key the schema lacks: learn the schema of the rest
		// of the batch in one pass, then shred this part again with the
		// schema frozen.
		s.stats.Passes++
		s.infer(s.batch[k:], k)
		s.layout()
		s.frozen = true
	}
	s.pos = end
	s.rest -= s.passBytes
	return s.finish(first, end, true)
}

// reshred shreds the rows [first, end) of the batch again, with the
// schema as it is now (frozen by a schema change since they were first
// shredded), into a block whose Stats are not meaningful. BlockWriter
// uses it to give row groups written before a schema change the levels
// of the columns the change added.
func (s *Shredder) reshred(first, end int) (*Block, error) {
	if !s.frozen {
		return nil, errors.New("engine: reshred of a batch whose schema did not change")
	}
	s.swap()
	s.stats = Stats{}
	bytes := 0
	for i := first; i < end; i++ {
		bytes += s.batch[i].Size()
	}
	s.startPass(bytes)
	if _, _, err := s.pass(first, end, 0); err != nil {
		return nil, err
	}
	return s.finish(first, end, false)
}

// swap moves to the next buffer.
func (s *Shredder) swap() {
	s.cur = (s.cur + 1) % len(s.arenas)
	s.arena, s.block = s.arenas[s.cur], &s.blocks[s.cur]
}

// finish fixes the types of the columns and describes them as a block;
// with hint, their sizes size the next block's buffers.
func (s *Shredder) finish(first, end int, hint bool) (*Block, error) {
	s.finishNodes(s.root)
	for _, c := range s.cols {
		if len(c.data) > math.MaxInt32 {
			return nil, fmt.Errorf("%w: column %v holds %d bytes", ErrTooLarge, c.path, len(c.data))
		}
		if hint {
			c.remember(s.inBytes)
		}
	}
	if s.schemaDirty {
		s.schema = s.parquetSchema()
		s.leaves = leafNodes(s.schema, s.leaves[:0])
		s.schemaDirty = false
	}
	leaves := s.leaves
	b := s.block
	b.Schema = s.schema
	b.Columns = b.Columns[:0]
	for i, c := range s.cols {
		b.Columns = append(b.Columns, c.columnData(leaves[i]))
	}
	b.Stats = s.stats
	b.First, b.End, b.Bytes = first, end, s.inBytes
	return b, nil
}

// finishNodes fixes the types of every column the block introduced.
func (s *Shredder) finishNodes(n *node) {
	n.fixed = true
	for _, c := range n.children {
		s.finishNodes(c)
	}
	if n.elem != nil {
		s.finishNodes(n.elem)
	}
}

// startPass starts shredding a part of about bytes entry bytes.
func (s *Shredder) startPass(bytes int) {
	s.expect = bytes
	s.arena.Reset()
	for _, c := range s.cols {
		c.reset(s.arena, bytes)
	}
	s.block.Errors = s.block.Errors[:0]
	newCols := s.stats.NewColumns
	s.stats = Stats{Passes: s.stats.Passes, NewColumns: newCols}
}

// projectRowsJSON is the accepted rows of a pass after which project
// measures them.
const projectRowsJSON = 64

// project gives the columns room at once for the pass's expected entry
// bytes, at their sizes per entry byte over the size bytes of its rows so
// far, for the buffers this takes to twice their capacity or more: those
// that the passes before did not size (the first, or a column new to the
// batch), which would grow by doublings whose copies and room the arena
// holds (see typedCore.project). They grow into one arena chunk, which
// the arena then keeps (see arena.Reset).
func (s *Shredder) project(size int) {
	if size <= 0 || s.expect < 2*size {
		return
	}
	f := float64(s.expect) / float64(size) * 1.125 // reset's margin
	s.want = s.want[:0]
	total := 0
	for _, c := range s.cols {
		w := c.grows(f)
		s.want = append(s.want, w)
		total += c.arenaBytes(w)
	}
	if total == 0 {
		return
	}
	s.arena.Reserve(total + total/16)
	for i, c := range s.cols {
		c.growTo(s.arena, s.want[i])
	}
}

// pass shreds the entries [first, end) of the batch, stopping early after
// the accepted row whose bytes make those of the accepted rows reach
// maxBytes (if > 0), and returns where it stopped. On a schema change it
// returns the index of the row that needs it (only when not frozen).
func (s *Shredder) pass(first, end, maxBytes int) (int, int, error) {
	entries := s.batch
	size, all := 0, 0
	for i := first; i < end; i++ {
		e := &entries[i]
		s.row = i
		if s.table == "" {
			s.table = e.Table
		}
		var err error
		switch {
		case e.Table != s.table:
			err = fmt.Errorf("%w: %q, the shredder is for %q", ErrWrongTable, e.Table, s.table)
		case !e.Op.Valid():
			err = fmt.Errorf("%w %d", ErrInvalidOp, e.Op)
		case len(e.Data) > s.maxRow:
			err = fmt.Errorf("%w: %d bytes, limit %d", ErrRowTooLarge, len(e.Data), s.maxRow)
		default:
			err = s.shredRow(e.Data)
		}
		es := e.Size()
		all += es
		if err != nil {
			for _, c := range s.cols {
				c.rollback(i, s.stats.Rows)
			}
			if err == errSchemaChange {
				return 0, i, err
			}
			s.block.Errors = append(s.block.Errors, &RowError{Index: i, LSN: e.LSN, Err: err})
			s.stats.Rejected++
			continue
		}
		s.addMeta(e)
		s.stats.Rows++
		size += es
		if s.stats.Rows == projectRowsJSON {
			s.project(size)
		}
		if maxBytes > 0 && size >= maxBytes {
			s.inBytes, s.passBytes = size, all
			return i + 1, 0, nil
		}
	}
	s.inBytes, s.passBytes = size, all
	return end, 0, nil
}

// opNames are the _op values, each padded to 16 bytes (column.putText
// copies sixteen bytes at a time).
var opNames = [...][16]byte{cdc.Insert: padOp("INSERT"), cdc.Update: padOp("UPDATE"), cdc.Delete: padOp("DELETE")}

func padOp(name string) (b [16]byte) {
	copy(b[:], name)
	return b
}

const opNameLen = 6

func (s *Shredder) addMeta(e *cdc.Entry) {
	a := s.arena
	m := s.meta
	m[0].putText(a, s.row, 0, opNames[e.Op][:], 0, opNameLen)
	if !m[1].tryPutInt(e.LSN) {
		m[1].putInt(a, s.row, 0, e.LSN)
	}
	// The producer's name, from a copy with room after it (putText reads
	// sixteen bytes at a time); entries mostly repeat the one before.
	if e.Producer != s.producer {
		s.producer = e.Producer
		s.producerText = append(append(s.producerText[:0], e.Producer...), make([]byte, 16)...)
	}
	m[2].putText(a, s.row, 0, s.producerText, 0, len(e.Producer))
	if e.CommitTime.IsZero() {
		m[3].level(a, s.row, 0, 0)
	} else {
		if v := e.CommitTime.UnixMicro(); !m[3].tryPutInt(v) {
			m[3].putInt(a, s.row, 0, v)
		}
	}
	r := s.rescued
	if s.rcount == 0 {
		r.level(a, s.row, 0, 0)
		return
	}
	r.level(a, s.row, 0, 1)
	r.data = arena.Grow(a, r.data, len(s.rbuf)+1)
	r.data = append(r.data, s.rbuf...)
	r.data = append(r.data, '}')
	r.endBytes(a)
	s.stats.Rescued += s.rcount
}

// shredRow shreds one row's JSON object into the columns.
func (s *Shredder) shredRow(data []byte) error {
	// Field by field: a composite literal of a struct with pointers is
	// built on the stack and copied in 16-byte moves, each of which waits
	// for the two 8-byte stores it reads (a stall per row).
	t := &s.t
	t.b, t.i, t.depth, t.maxDepth, t.keys = data, 0, 0, s.maxDepth, t.keys[:0]
	s.rbuf = s.rbuf[:0]
	s.rcount = 0
	s.ukeys = s.ukeys[:0]
	s.ukeyBuf = s.ukeyBuf[:0]
	t.ws()
	if t.i >= len(t.b) || t.b[t.i] != '{' {
		return t.fail(cdc.ErrNotObject, "%s, want '{'", t.describe())
	}
	if err := s.object(s.root, 0); err != nil {
		return err
	}
	t.ws()
	if t.i != len(t.b) {
		return t.fail(cdc.ErrSyntax, "%s after the object", t.describe())
	}
	return nil
}

// nulls adds a null at definition level def to every leaf under n.
func (s *Shredder) nulls(n *node, rep, def uint8) {
	for _, c := range n.leaves {
		c.level(s.arena, s.row, rep, def)
	}
}

func (s *Shredder) object(n *node, rep uint8) error {
	t := &s.t
	if err := t.enter(); err != nil {
		return err
	}
	s.gen++
	g := s.gen
	// The position is kept in i (a register) and handed to t.i only
	// around the calls that read or move it, so that the steps over a
	// member do not wait on each other through memory.
	b := t.b
	i := skipSpace(b, t.i+1) // past '{'
	found := 0
	n.next = 0
	if i < len(b) && b[i] == '}' {
		i++
	} else {
		for {
			i = skipSpace(b, i)
			if i >= len(b) || b[i] != '"' {
				t.i = i
				return t.fail(cdc.ErrSyntax, "%s, want a member name", t.describe())
			}
			var (
				c       *node
				key     []byte
				ks, ke  int
				esc     bool
				matched bool
			)
			// Rows of a table repeat their keys in one order: when the
			// text is the predicted child's name and a closing quote, that
			// is the member name, valid, without a scan of its own. A key
			// left out (a missing value) shifts the order by one.
			if n.next < len(n.children) {
				p := n.children[n.next]
				end := p.nameAt(b, i+1)
				if end < 0 && n.next+1 < len(n.children) {
					p = n.children[n.next+1]
					if end = p.nameAt(b, i+1); end >= 0 {
						n.next++
					}
				}
				if end >= 0 {
					ks, ke = i+1, end
					i = ke + 1
					key, c, matched = b[ks:ke], p, true
					n.next++
				}
			}
			if !matched {
				t.i = i
				var err error
				if ks, ke, esc, err = t.str(); err != nil {
					return err
				}
				i = t.i
				key = b[ks:ke]
				if esc {
					s.scratch = appendUnescaped(s.scratch[:0], key)
					key = s.scratch
				}
				c = n.child(key)
			}
			if i < len(b) && b[i] == ':' {
				i++
			} else {
				t.i = i
				if err := t.expect(':', "':' after a member name"); err != nil {
					return err
				}
				i = t.i
			}
			i = skipSpace(b, i)
			// The common leaves (a plain string, a plain integer, a
			// boolean in a column of that type) are read here, sparing
			// value its call and its dispatch; anything else goes to
			// value, which reads it from the start.
			if c != nil && c.col != nil && c.seen != g && i < len(b) {
				col := c.col
				done := -1
				switch ch := b[i]; {
				case ch == '"' && (c.typ == TypeString || c.typ == TypeTimestamp):
					for j := i + 1; len(b)-j >= 8; j += 8 {
						if m := jsontext.Special8(binary.LittleEndian.Uint64(b[j:])); m != 0 {
							if j += bits.TrailingZeros64(m) >> 3; b[j] == '"' {
								if c.typ == TypeString {
									// col.putText, written out for a value of up to
									// 16 bytes in a column with room (no call, and
									// object's registers stay as they are)
									ks, l, nb, d, o := i+1, len(col.data), j-i-1, len(col.defs), len(col.offs)
									if nb <= 16 && len(b)-ks >= 16 && cap(col.data)-l >= 16 && col.maxRep == 0 && d < cap(col.defs) && o < cap(col.offs) {
										w := col.data[l : l+16]
										binary.LittleEndian.PutUint64(w, binary.LittleEndian.Uint64(b[ks:]))
										binary.LittleEndian.PutUint64(w[8:], binary.LittleEndian.Uint64(b[ks+8:]))
										col.data = col.data[:l+nb]
										col.defs = col.defs[:d+1]
										col.defs[d] = col.maxDef
										col.levels++
										col.offs = col.offs[:o+1]
										col.offs[o] = int32(l + nb)
									} else {
										col.putText(s.arena, s.row, rep, b, ks, j)
									}
									done = j + 1
								} else if v, ok := parseTimestampWith(b[i+1:j], &c.date); ok {
									if !col.tryPutInt(v) {
										col.putInt(s.arena, s.row, rep, v)
									}
									done = j + 1
								}
							}
							break
						}
					}
				case ch-'0' <= 9 && c.typ == TypeInt64:
					// A plain integer of up to 18 digits (quickNumber's,
					// without a fraction), read without a call.
					j := i
					var m uint64
					for j < len(b) && b[j]-'0' <= 9 {
						m = m*10 + uint64(b[j]-'0')
						j++
					}
					if nd := j - i; nd <= 18 && (ch != '0' || nd == 1) && (j >= len(b) || (b[j] != '.' && b[j]|0x20 != 'e')) {
						if !col.tryPutInt(int64(m)) {
							col.putInt(s.arena, s.row, rep, int64(m))
						}
						done = j
					}
				case ch == 't' && c.typ == TypeBool:
					if len(b)-i >= 4 && string(b[i:i+4]) == "true" {
						col.putBool(s.arena, s.row, rep, true)
						done = i + 4
					}
				case ch == 'f' && c.typ == TypeBool:
					if len(b)-i >= 5 && string(b[i:i+5]) == "false" {
						col.putBool(s.arena, s.row, rep, false)
						done = i + 5
					}
				}
				if done >= 0 {
					c.seen = g
					found++
					i = skipSpace(b, done)
					goto member
				}
			}
			t.i = i
			s.path[t.depth] = pathSeg{start: ks, end: ke, escaped: esc}
			if c != nil && len(c.leaves) == 0 {
				c = nil // a field without columns yet
			}
			if c == nil {
				if err := s.unknown(n, key, rep, g); err != nil {
					return err
				}
			} else {
				if c.seen == g {
					return &jsontext.Error{Err: ErrDuplicateKey, Offset: ks - 1, Msg: strconv.Quote(string(key))}
				}
				c.seen = g
				found++
				// A group or a list goes straight to object or list, as
				// value would send it.
				var err error
				switch {
				case i < len(b) && b[i] == '{' && c.typ == TypeObject:
					err = s.object(c, rep)
				case i < len(b) && b[i] == '[' && c.typ == TypeList:
					err = s.list(c, rep)
				default:
					err = s.value(c, rep)
				}
				if err != nil {
					return err
				}
			}
			i = skipSpace(b, t.i)
		member:
			if i >= len(b) {
				t.i = i
				return t.fail(cdc.ErrSyntax, "unexpected end of input in an object")
			}
			if b[i] == ',' {
				i++
				continue
			}
			if b[i] == '}' {
				i++
				break
			}
			t.i = i
			return t.fail(cdc.ErrSyntax, "%s, want ',' or '}'", t.describe())
		}
	}
	t.i = i
	t.depth--
	if found != len(n.children) {
		for _, c := range n.children {
			if c.seen != g {
				s.nulls(c, rep, n.def)
			}
		}
	}
	return nil
}

// unknown handles a member whose key has no column: a null is dropped (a
// missing key reads as null all the same), a value that could start a
// column changes the schema (unless frozen), anything else is rescued.
func (s *Shredder) unknown(n *node, key []byte, rep uint8, g uint64) error {
	t := &s.t
	// Duplicate keys among unknown members of this object.
	for _, u := range s.ukeys {
		if u.gen == g && string(s.ukeyBuf[u.off:u.end]) == string(key) {
			return &jsontext.Error{Err: ErrDuplicateKey, Offset: s.path[t.depth].start - 1, Msg: strconv.Quote(string(key))}
		}
	}
	off := len(s.ukeyBuf)
	s.ukeyBuf = append(s.ukeyBuf, key...)
	s.ukeys = append(s.ukeys, unknownKey{gen: g, off: off, end: len(s.ukeyBuf)})

	start := t.i
	if t.i < len(t.b) && t.b[t.i] == 'n' {
		return t.literal("null")
	}
	leaf, err := t.skip()
	if err != nil {
		return err
	}
	if leaf && !s.frozen && s.creatable(n, string(key)) {
		return errSchemaChange
	}
	s.rescue(start, t.i)
	return nil
}

// creatable reports whether a new column may be added under n for key.
func (s *Shredder) creatable(n *node, key string) bool {
	if s.opts.Schema != nil && s.opts.Schema.Strict {
		return false
	}
	if key == "" || (n == s.root && reservedName(key)) {
		return false
	}
	return !n.conflicts(key)
}

// rescue adds the value b[start:end] at the current path to the row's
// _rescued object.
func (s *Shredder) rescue(start, end int) {
	if s.rcount == 0 {
		s.rbuf = append(s.rbuf, '{')
	} else {
		s.rbuf = append(s.rbuf, ',')
	}
	s.rcount++
	s.rbuf = append(s.rbuf, '"')
	for d := 1; d <= s.t.depth; d++ {
		s.rbuf = append(s.rbuf, '/')
		seg := s.path[d]
		if seg.start < 0 {
			s.rbuf = strconv.AppendInt(s.rbuf, int64(-seg.start-1), 10)
			continue
		}
		raw := s.t.b[seg.start:seg.end]
		if !seg.escaped {
			s.rbuf = appendPointerToken(s.rbuf, raw)
			continue
		}
		s.scratch = appendUnescaped(s.scratch[:0], raw)
		s.ptr = appendPointerToken(s.ptr[:0], s.scratch)
		s.rbuf = jsontext.AppendStringContent(s.rbuf, s.ptr)
	}
	s.rbuf = append(s.rbuf, '"', ':')
	s.rbuf = append(s.rbuf, s.t.b[start:end]...)
}

// appendPointerToken appends a member name that has no JSON escapes as a
// JSON Pointer token ('~' → "~0", '/' → "~1") inside a JSON string.
func appendPointerToken(dst, raw []byte) []byte {
	for _, c := range raw {
		switch c {
		case '~':
			dst = append(dst, '~', '0')
		case '/':
			dst = append(dst, '~', '1')
		default:
			dst = append(dst, c)
		}
	}
	return dst
}

// value shreds the value at the position into the columns of n.
func (s *Shredder) value(n *node, rep uint8) error {
	t := &s.t
	if t.i >= len(t.b) {
		return t.fail(cdc.ErrSyntax, "unexpected end of input, want a value")
	}
	start := t.i
	a := s.arena
	switch c := t.b[t.i]; {
	case c == 'n':
		if err := t.literal("null"); err != nil {
			return err
		}
		s.nulls(n, rep, n.def-1)
		return nil
	case c == '{':
		if n.typ == TypeObject {
			return s.object(n, rep)
		}
	case c == '[':
		if n.typ == TypeList {
			return s.list(n, rep)
		}
	case c == '"':
		if n.typ == TypeJSON {
			break
		}
		// A string of printable ASCII without escapes, read eight bytes
		// at a time (tok.str's first loop, written out here to spare a
		// call); anything else is for tok.str.
		b := t.b
		ks, ke, esc := t.i+1, -1, false
		for j := ks; len(b)-j >= 8; j += 8 {
			if m := jsontext.Special8(binary.LittleEndian.Uint64(b[j:])); m != 0 {
				if j += bits.TrailingZeros64(m) >> 3; b[j] == '"' {
					ke = j
				}
				break
			}
		}
		if ke >= 0 {
			t.i = ke + 1
		} else {
			var err error
			if ks, ke, esc, err = t.str(); err != nil {
				return err
			}
		}
		col := n.col
		switch n.typ {
		case TypeString:
			if esc {
				col.level(a, s.row, rep, col.maxDef)
				col.data = appendUnescaped(arena.Grow(a, col.data, ke-ks), t.b[ks:ke])
				// appendUnescaped never writes more than the escaped text,
				// so the arena's room was enough.
				col.endBytes(a)
			} else {
				col.putText(a, s.row, rep, t.b, ks, ke)
			}
			return nil
		case TypeTimestamp:
			raw := t.b[ks:ke]
			if esc {
				s.scratch = appendUnescaped(s.scratch[:0], raw)
				raw = s.scratch
			}
			if v, ok := parseTimestampWith(raw, &n.date); ok {
				col.putInt(a, s.row, rep, v)
				return nil
			}
		case TypeBinary:
			raw := t.b[ks:ke]
			if esc {
				s.scratch = appendUnescaped(s.scratch[:0], raw)
				raw = s.scratch
			}
			col.data = arena.Grow(a, col.data, base64.StdEncoding.DecodedLen(len(raw)))
			m, err := base64.StdEncoding.Strict().Decode(col.data[len(col.data):cap(col.data)], raw)
			if err == nil && base64.StdEncoding.EncodedLen(m) == len(raw) { // canonical text only
				col.level(a, s.row, rep, col.maxDef)
				col.data = col.data[:len(col.data)+m]
				col.endBytes(a)
				return nil
			}
		}
		s.rescueValue(n, rep, start)
		return nil
	case c == 't' || c == 'f':
		if n.typ == TypeBool {
			v := c == 't'
			word := "false"
			if v {
				word = "true"
			}
			if err := t.literal(word); err != nil {
				return err
			}
			n.col.putBool(a, s.row, rep, v)
			return nil
		}
	case c == '-' || (c >= '0' && c <= '9'):
		if n.typ == TypeJSON {
			break
		}
		// Plain integers and short decimals, read once (the values
		// parseInt and parseFloat give them).
		if m, neg, frac, end, ok := quickNumber(t.b, t.i); ok {
			col := n.col
			switch {
			case n.typ == TypeInt64 && frac < 0:
				v := int64(m)
				if neg {
					v = -v
				}
				t.i = end
				col.putInt(a, s.row, rep, v)
				return nil
			case n.typ == TypeDouble && frac < 0 && m <= 1<<53:
				v := int64(m)
				if neg {
					v = -v
				}
				t.i = end
				col.putDouble(a, s.row, rep, float64(v))
				return nil
			case n.typ == TypeDouble && frac >= 0:
				// m and 10^frac are exact: one division is the correctly
				// rounded value (see fastFloat).
				f := float64(m) / pow10[frac]
				if neg {
					f = -f
				}
				t.i = end
				col.putDouble(a, s.row, rep, f)
				return nil
			}
		}
		ns, isInt, err := t.number()
		if err != nil {
			return err
		}
		num := t.b[ns:t.i]
		col := n.col
		switch n.typ {
		case TypeInt64:
			if isInt {
				if v, ok := parseInt(num); ok {
					col.putInt(a, s.row, rep, v)
					return nil
				}
			}
		case TypeDouble:
			var f float64
			ok := false
			if isInt {
				var v int64
				if v, ok = parseInt(num); ok && v >= -1<<53 && v <= 1<<53 {
					f = float64(v)
				} else {
					ok = false
				}
			} else {
				f, ok = parseFloat(num)
			}
			if ok {
				col.putDouble(a, s.row, rep, f)
				return nil
			}
		}
		s.rescueValue(n, rep, start)
		return nil
	}
	// The value does not fit n's type, or n holds JSON text.
	if _, err := t.skip(); err != nil {
		return err
	}
	if n.typ == TypeJSON {
		n.col.putBytes(a, s.row, rep, t.b[start:t.i])
		return nil
	}
	s.rescueValue(n, rep, start)
	return nil
}

// rescueValue rescues the value b[start:t.i] (already validated) and
// leaves a null in n's columns.
func (s *Shredder) rescueValue(n *node, rep uint8, start int) {
	s.rescue(start, s.t.i)
	s.nulls(n, rep, n.def-1)
}

func (s *Shredder) list(n *node, rep uint8) error {
	t := &s.t
	if err := t.enter(); err != nil {
		return err
	}
	b := t.b                 // the position in i and t.i as in object
	i := skipSpace(b, t.i+1) // past '['
	if i < len(b) && b[i] == ']' {
		t.i = i + 1
		t.depth--
		s.nulls(n.elem, rep, n.def) // present and empty
		return nil
	}
	r := rep
	elem := n.elem
	for k := 0; ; k++ {
		i = skipSpace(b, i)
		// Booleans in a list of booleans are read here (the common case
		// of value's, without its call).
		if elem.typ == TypeBool && elem.col != nil && i < len(b) {
			if b[i] == 't' && len(b)-i >= 4 && string(b[i:i+4]) == "true" {
				elem.col.putBool(s.arena, s.row, r, true)
				t.i = i + 4
				goto next
			}
			if b[i] == 'f' && len(b)-i >= 5 && string(b[i:i+5]) == "false" {
				elem.col.putBool(s.arena, s.row, r, false)
				t.i = i + 5
				goto next
			}
		}
		t.i = i
		s.path[t.depth] = pathSeg{start: -k - 1}
		if err := s.value(elem, r); err != nil {
			return err
		}
	next:
		r = n.listRep
		i = skipSpace(b, t.i)
		if i >= len(b) {
			t.i = i
			return t.fail(cdc.ErrSyntax, "unexpected end of input in an array")
		}
		if b[i] == ',' {
			i++
			continue
		}
		if b[i] == ']' {
			t.i = i + 1
			t.depth--
			return nil
		}
		t.i = i
		return t.fail(cdc.ErrSyntax, "%s, want ',' or ']'", t.describe())
	}
}
