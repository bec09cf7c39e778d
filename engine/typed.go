package engine

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"strings"
	"time"
	"unicode/utf8"
	"unsafe"

	"github.com/evodb/writer/arena"
	"github.com/evodb/writer/cdc"
	"github.com/evodb/writer/engine/parquet"
)

// DefaultRowGroupRows is the default number of rows of a row group of a
// TypedWriter.
const DefaultRowGroupRows = 122_880

// TypedOptions configures a TypedWriter. The zero value writes zstd
// (level 1) blocks in row groups of DefaultRowGroupRows rows.
type TypedOptions struct {
	// Parquet configures the encoder. Its zero Compression (none) is taken
	// to mean zstd at ZstdLevel (default 1); set Uncompressed for none.
	Parquet parquet.WriterOptions
	// Uncompressed writes pages without compression.
	Uncompressed bool
	// RowGroupRows is the number of rows of a row group (the last one of a
	// block may hold fewer); 0 means DefaultRowGroupRows.
	RowGroupRows int
	// RowGroupBytes, if positive, ends a row group sooner: once its rows
	// take about RowGroupBytes bytes as raw columns, the next row begins
	// the next row group (a row group has at least one row, however
	// large). The rows to come are taken to cost what the row group's
	// rows in memory cost on average (at its start, those of the row
	// group before), beside the exact bytes of those a batch taken back
	// left encoded as a piece, and the memory is measured again after
	// every stretch of rows (128 KiB of T values) and every quarter of the
	// room left: a row group passes RowGroupBytes by little, unless rows
	// come that are more than four times larger than those before them
	// (rows k times larger pass it by up to k/4-1 times the room that was
	// left). Row groups then follow the width of the rows, where
	// RowGroupRows counts them: the block being appended holds one row
	// group of raw columns at most, so a streamed block takes about
	// RowGroupBytes plus the encoder's buffers and dictionaries, whatever
	// its size (a block Flush encodes holds its last row group too, until
	// it is written). Smaller row groups make a larger file (a dictionary
	// page per column chunk, fewer repeats for zstd) and cost some CPU per
	// row: a block of 180,000 orders rows of bench/e2e (4.2 MB, the
	// standard partition mode's block, two row groups by default)
	// streamed with 4 MiB peaks at 1.73 times its file in 8 row groups,
	// against 7.46 times, for a file 7.8 % larger and a sixth to a third
	// more CPU per row (BenchmarkPeakHeapTyped,
	// BenchmarkTypedStandardBlocks). It bounds the same raw rows as
	// RowGroupMemory, by ending row groups instead of encoding pieces of
	// them: the two cannot be set together.
	RowGroupBytes int
	// RowGroupMemory, if positive, bounds the memory the rows appended
	// since the last block take as raw columns: when the next row would
	// take them past RowGroupMemory bytes, the rows in memory are encoded
	// at once as pieces of their row groups (parquet.Writer.WritePiece):
	// pages, held until the row group ends (its chunks are then written
	// to memory the block holds until WriteBlock or Flush writes it out)
	// or the block is written. The budget cuts pages, not row groups:
	// they keep RowGroupRows rows and one dictionary per column chunk, so
	// the block is about the size it has without a budget (for 100,000
	// orders rows of bench/e2e, 2.4 % larger with 4 MiB, 8.7 % with
	// 512 KiB, whose first pieces are too small to judge encodings by).
	// Rows are taken to cost what the rows in memory cost on
	// average, measured again at least every 64 rows, so rows that grow
	// pass the budget by a little, and a single row larger than the
	// budget makes a piece of its own. The writer's memory is then about
	// the block's Parquet bytes (those of its row group in progress only,
	// if it streams: see TypedWriter.Stream) plus RowGroupMemory plus its
	// encoder's buffers and dictionaries, instead of a row group's raw
	// columns (for the orders rows, nine times their Parquet size): a
	// block of 1 M orders rows (nine row groups) peaks at 1.5 times its
	// file with 4 MiB, 1.7 times with 8 MiB, against 2.3 times without
	// (streamed, 0.65 times with 4 MiB and 1.36 without:
	// BenchmarkPeakHeapTyped). Encoding pieces costs about a tenth to a
	// quarter more CPU per row. Rows in memory that the next batch would
	// take past the budget are encoded before it, so pieces end between
	// batches, except in a batch larger than the budget, which is cut
	// within; the rows of a batch that fails (a string that is not UTF-8,
	// an invalid op) are taken back with it, those already encoded
	// included.
	//
	// 0 sets no budget: the rows of the row group in progress stay raw
	// until the block is written, and a full row group is encoded once a
	// row of the next one is appended (whole, as WriteBlock would encode
	// it, or as two pieces when it began before the batch that fills it,
	// so that the batch can be taken back), and held like the row groups
	// a budget ends. A block thus holds at most one row group of raw
	// columns, whatever its number of rows; a block of one row group is
	// encoded by WriteBlock or Flush alone.
	RowGroupMemory int
}

// Meta is the metadata of a row: its _op, _lsn, _producer and _commit_ts
// columns. A zero CommitTime writes a null _commit_ts.
type Meta struct {
	Op         cdc.Op
	LSN        int64
	Producer   string
	CommitTime time.Time
}

// ErrTypedMeta is returned when rows are appended with metadata from the
// wrong source: from the caller (AppendBatch, AppendRow) for a row type
// that carries its own metadata fields, or from the rows (Append) for one
// that does not.
var ErrTypedMeta = errors.New("engine: typed rows: metadata from the wrong source")

// ErrStreamBroken is returned by a TypedWriter whose block streams (see
// TypedWriter.Stream) once bytes that went out to the stream would have
// to be taken back: a batch failed after a row group holding some of its
// rows was written out, or the stream took part of a write and failed,
// or WriteBlock failed after writing some of the block, or a Flush failed
// (and dropped the block) after some of it went out. The file on the
// stream is unusable: the writer refuses the block until Reset, and its
// rows must be appended again for a new block.
var ErrStreamBroken = errors.New("engine: the block's stream is broken")

// TypedWriter writes Go values of a struct type T as Parquet blocks, with
// the same layout, encodings and metadata columns as a BlockWriter's.
//
// T's layout is compiled once, by NewTypedWriter: each exported field is a
// column named by its `parquet:"name,options"` tag (the convention
// parquet-go uses, so that one struct can serve both) or, without a tag,
// by the Go field name; `parquet:"-"` leaves a field out. The types:
//
//	bool                       BOOLEAN
//	int8, int16, int32         INT32
//	uint8, uint16              INT32
//	int, int64                 INT64 (with the timestamp tag: TIMESTAMP micros UTC)
//	uint32                     INT64
//	float32, float64           FLOAT, DOUBLE
//	string                     BYTE_ARRAY (String; must be valid UTF-8, see ErrTypedString)
//	[]byte                     BYTE_ARRAY
//	time.Time                  INT64 TIMESTAMP micros UTC
//	struct                     a group
//	[]E (E not byte)           a LIST of E; a nil slice is null, an empty one an empty list
//	*E                         E, optional: nil is null
//
// Non-pointer fields are required, except with the optional tag, which
// makes a scalar's zero value null. Other types (maps, interfaces, arrays,
// uint64, complex numbers, ...), a type that contains itself and tag
// options other than optional, list, timestamp(microsecond) and the
// encoding hints of other writers (which are ignored) are errors of
// NewTypedWriter naming the field.
//
// The metadata columns come either from the caller (AppendBatch: one Meta
// for a batch, AppendRow: one per row) or from the rows themselves, when
// T has the four fields named _op (a cdc.Op, or a string holding INSERT,
// UPDATE or DELETE), _lsn (int64), _producer (string) and _commit_ts
// (time.Time, zero for null, or *time.Time): then Append takes them.
//
// Rows are appended into arena memory, a column at a time, with no heap
// allocation once the arena has grown to a block; WriteBlock encodes the
// rows appended since the last block as one Parquet file. Until then the
// writer holds the rows of the row group in progress as raw columns (for
// the orders rows of bench/e2e, about nine times their Parquet size), the
// row groups before it encoded (each once the next one began), plus its
// encoder's buffers, which follow the largest column chunk;
// TypedOptions.RowGroupMemory bounds the raw rows further by encoding
// those past it a piece of their row group at a time,
// TypedOptions.RowGroupBytes by ending row groups sooner, and Stream
// sends the row groups encoded to the block's io.Writer instead of
// holding them (BenchmarkPeakHeapTyped in bench/e2e measures these). A TypedWriter is
// not safe for concurrent use.
type TypedWriter[T any] struct {
	core typedCore
}

// NewTypedWriter compiles T's layout and returns a writer of its rows.
func NewTypedWriter[T any](opts TypedOptions) (*TypedWriter[T], error) {
	plan, err := compileTyped(reflect.TypeFor[T]())
	if err != nil {
		return nil, err
	}
	defaultCompression(&opts.Parquet, opts.Uncompressed)
	if opts.RowGroupRows < 0 {
		return nil, fmt.Errorf("engine: NewTypedWriter: negative RowGroupRows %d", opts.RowGroupRows)
	}
	if opts.RowGroupRows == 0 {
		opts.RowGroupRows = DefaultRowGroupRows
	}
	if opts.RowGroupMemory < 0 {
		return nil, fmt.Errorf("engine: NewTypedWriter: negative RowGroupMemory %d", opts.RowGroupMemory)
	}
	if opts.RowGroupBytes < 0 {
		return nil, fmt.Errorf("engine: NewTypedWriter: negative RowGroupBytes %d", opts.RowGroupBytes)
	}
	if opts.RowGroupBytes > 0 && opts.RowGroupMemory > 0 {
		return nil, fmt.Errorf("engine: NewTypedWriter: RowGroupBytes %d and RowGroupMemory %d both set: each bounds the raw rows held, RowGroupBytes by ending row groups, RowGroupMemory by encoding pieces of them; set one",
			opts.RowGroupBytes, opts.RowGroupMemory)
	}
	// The first block's encoder, made here so that bad encoder options
	// fail now rather than at the first block (or row group encoded by
	// Append, see RowGroupMemory).
	pw, err := parquet.NewWriter(io.Discard, plan.schema, opts.Parquet)
	if err != nil {
		return nil, fmt.Errorf("engine: NewTypedWriter: %w", err)
	}
	w := &TypedWriter[T]{}
	w.core.init(plan, opts)
	w.core.blocks[0].pw = pw
	return w, nil
}

// Schema is the Parquet schema of the blocks.
func (w *TypedWriter[T]) Schema() *parquet.Node { return w.core.plan.schema }

// Rows is the number of rows appended since the last block.
func (w *TypedWriter[T]) Rows() int { return w.core.rows }

// Append appends rows whose metadata is in their own fields (see
// TypedWriter). A batch is taken whole or, on error, not at all.
func (w *TypedWriter[T]) Append(rows []T) error {
	if len(rows) == 0 {
		return nil
	}
	return w.core.append(unsafe.Pointer(unsafe.SliceData(rows)), len(rows), nil)
}

// AppendBatch appends rows that all have the metadata meta. A batch is
// taken whole or, on error, not at all.
func (w *TypedWriter[T]) AppendBatch(meta Meta, rows []T) error {
	if len(rows) == 0 {
		return nil
	}
	return w.core.append(unsafe.Pointer(unsafe.SliceData(rows)), len(rows), &meta)
}

// AppendRow appends one row with its metadata.
func (w *TypedWriter[T]) AppendRow(meta Meta, row *T) error {
	if row == nil {
		return errors.New("engine: AppendRow: nil row")
	}
	return w.core.append(unsafe.Pointer(row), 1, &meta)
}

// WriteBlock writes the rows appended since the last block to out as one
// Parquet file, after waiting for the block of a Flush: the row groups
// Append ended already (see TypedOptions.RowGroupMemory) first, then the
// row group in progress (the pieces Append encoded, then the rows in
// memory), then each of the others as soon as it is encoded.
// On error the rows stay appended, so that the block can be written again
// (to another io.Writer) or dropped with Reset. A block that streams
// (Stream) takes a nil out, and ends on its stream.
func (w *TypedWriter[T]) WriteBlock(ctx context.Context, out io.Writer) (*BlockInfo, error) {
	return w.core.writeBlock(ctx, out)
}

// Flush hands the rows appended since the last block to another
// goroutine, which encodes them as one Parquet file written to out, and
// returns at once: appending the next block overlaps encoding this one,
// on a second core, at the cost of a second block's memory (and a second
// encoder, for the row groups and pieces Append encodes). The full row
// groups and the pieces that Append encodes (see RowGroupMemory) are
// encoded on the caller's goroutine, so Flush overlaps only the last row
// group of a block, and with a budget smaller than a block little (orders
// rows of bench/e2e, row groups of 122,880 rows: blocks of one row group,
// 334 ns a row with Flush, 530 with WriteBlock; with a 4 MiB budget, 564
// and 654; blocks of eight row groups, 517 and 494). Flush first
// waits for the block of the Flush before to be written. then, if not
// nil, is called on the encoding goroutine with the outcome (the
// BlockInfo is valid during the call); a block that fails is dropped
// after then has seen the error. out must not be used until then is
// called or Wait returns. A block that streams (Stream) takes a nil out,
// and ends on its stream.
func (w *TypedWriter[T]) Flush(ctx context.Context, out io.Writer, then func(*BlockInfo, error)) error {
	return w.core.flush(ctx, out, then)
}

// Wait waits for the block of the last Flush to be written.
func (w *TypedWriter[T]) Wait() { w.core.wait() }

// Stream makes the block being appended go to out as it is encoded,
// instead of being held until WriteBlock: its bytes so far at once, then
// each row group as Append ends it (see TypedOptions.RowGroupMemory), so
// that an upload of the block can start before its last rows are
// appended, and the writer holds no more than its row group in progress
// (for a block of 1 M orders rows of bench/e2e, nine row groups, its peak
// heap is 1.36 times the file instead of 2.34 without a budget, 0.38
// instead of 1.36 with 512 KiB: BenchmarkPeakHeapTyped; a block of one
// row group gains nothing, having no row group to send before the end).
// Streaming costs no CPU: it saves the copy of the held bytes. WriteBlock
// or Flush, given a nil io.Writer, then write the rest of the block to
// out and end it; the next block is held again unless Stream is called
// for it.
//
// Bytes that went out cannot be taken back: a batch whose rows are all in
// the row group in progress is still taken back whole if it fails, but one
// that fails after a row group holding some of its rows went out, an
// error of out in the middle of a write, or a WriteBlock that fails after
// writing some of the rest, break the block (ErrStreamBroken): the writer
// then refuses it until Reset, and the caller appends its rows again for
// a new block. A caller that streams thus keeps a block's rows until the
// block is written, as it would to retry an upload. An error of Stream
// itself (out failed on the bytes held so far) leaves the block held.
func (w *TypedWriter[T]) Stream(out io.Writer) error { return w.core.stream(out) }

// Reset drops the rows appended since the last block (and the block's
// stream, if it has one: see Stream).
func (w *TypedWriter[T]) Reset() { w.core.typedBlock.reset() }

// typedCore is the part of a TypedWriter that does not depend on T.
type typedCore struct {
	plan *typedPlan
	opts TypedOptions
	// the block being appended to; with Flush, the other one of blocks
	// may be being encoded
	*typedBlock
	blocks [2]*typedBlock
	// done is closed when the block handed to the encoding goroutine by
	// the last Flush is written
	done chan struct{}
	// pieceFault, set by tests, fails a piece before it is encoded
	pieceFault func() error
	// undo holds every column's position at the first row still in memory
	// of the batch being appended: before the batch, or at the columns'
	// start once part of the batch was encoded (see spill)
	undo []typedPos
	// want is project's scratch: every column's room
	want []typedPos
	ops  [4][]byte // _op values, by cdc.Op
	// stretch is how many rows are shredded a column at a time
	stretch int
	// run buffers: the stretch, and the runs of each nesting depth
	top  [1]tseg
	segs [][]tseg
	// runGen counts the run lists made (it changes whenever a run buffer
	// is refilled), and shared the level entries last written by a leaf
	// whose levels follow from its runs alone (see runLevels)
	runGen uint64
	shared sharedLevels
	// flat holds the addresses of the items of a list of runs, one after
	// the other (see flatItems)
	flat flatItems
	// touched sums the first bytes readStrings loads ahead of the copy,
	// kept so that the compiler keeps the loads
	touched byte
}

// rejudgeBlocks is how often a TypedWriter's encoder judges its value
// encodings again, in blocks; in between, it keeps those it chose.
const rejudgeBlocks = 16

// stretchBytes is the size of the rows shredded a column at a time: half
// a typical L2 cache.
const stretchBytes = 128 << 10

// typedBlock is the rows of one block: in arena memory, and those already
// encoded (see TypedOptions.RowGroupMemory): the row groups ended, in
// held, and the pieces of the one in progress, in pw.
type typedBlock struct {
	a    *arena.Arena
	cols []typedColumn
	// rows counts the block's rows, held ones included
	rows int
	// starts holds, for each row group in memory, every column's position
	// at its first row; groupRows is the number of rows of the last one
	starts    []typedPos
	groupRows int
	// checkAt is the number of rows in memory up to which append takes
	// them to fit RowGroupMemory (or RowGroupBytes) without measuring
	// them again, and perRow their bytes per row at the last measure (see
	// roomRows, groupRoom)
	checkAt int
	perRow  float64
	// sized: a block before had rows, and sized the columns' buffers
	// (see reset)
	sized bool
	// openBytes is the raw bytes of the rows of the row group in progress
	// that are encoded as pieces (without a budget, those a batch taken
	// back left there: see undoBatch)
	openBytes int

	// the block's encoder (each block has its own: one may be encoded by
	// Flush's goroutine while row groups of the other are), and whether it
	// has begun the block's file
	pw    *parquet.Writer
	begun bool
	// files counts the files pw has begun, for rejudgeBlocks
	files int
	group []parquet.ColumnData
	// held is the block's file up to its row groups encoded before the
	// block is written; pw holds the pieces of the row group in progress
	// (see spill). They hold the block's first heldRows rows.
	held     heldFile
	heldRows int
	// ends holds every column's position at the end of the rows spill or
	// encode writes
	ends []typedPos
}

func newTypedBlock(plan *typedPlan) *typedBlock {
	b := &typedBlock{a: arena.New(0), cols: make([]typedColumn, len(plan.leaves)), group: make([]parquet.ColumnData, len(plan.leaves))}
	for i, l := range plan.leaves {
		b.cols[i] = typedColumn{leaf: l.node, path: l.path, maxDef: l.maxDef, maxRep: l.maxRep}
	}
	b.reset()
	return b
}

// typedPos is a column's length: level entries, values, value bytes.
type typedPos struct{ levels, values, data int }

func (w *typedCore) init(plan *typedPlan, opts TypedOptions) {
	w.plan, w.opts = plan, opts
	w.stretch = max(16, stretchBytes/max(int(plan.size), 1))
	w.blocks[0] = newTypedBlock(plan)
	w.typedBlock = w.blocks[0]
	for _, op := range []cdc.Op{cdc.Insert, cdc.Update, cdc.Delete} {
		w.ops[op] = []byte(op.String())
	}
}

// reset empties the block for the next one, keeping its memory.
func (w *typedBlock) reset() {
	next := 0
	for i := range w.cols {
		w.cols[i].remember()
		next += w.cols[i].arenaBytes(w.cols[i].room())
	}
	if w.sized {
		w.a.Reset()
	} else {
		// The first block with rows: its columns grew from nothing, by
		// doublings until project gave them room, whose copies the
		// arena would count as the next block's need. (A sixteenth
		// more, as Reset keeps, for columns whose rows grow past it.)
		w.a.ResetFor(next + next/16)
	}
	w.sized = w.sized || w.rows > 0
	for i := range w.cols {
		w.cols[i].reset(w.a)
	}
	w.rows = 0
	w.starts = w.positions(w.starts[:0])
	w.groupRows, w.checkAt, w.openBytes = 0, 0, 0
	w.held.reset()
	w.heldRows = 0
	w.begun = false
}

// memory is the bytes the block's columns take in memory.
func (w *typedBlock) memory() int {
	n := 0
	for i := range w.cols {
		n += w.cols[i].bytesAt(w.cols[i].pos())
	}
	return n
}

// bytesBetween is the bytes the columns take from positions from to
// positions to.
func (w *typedBlock) bytesBetween(from, to []typedPos) int {
	n := 0
	for i := range w.cols {
		n += w.cols[i].bytesAt(to[i]) - w.cols[i].bytesAt(from[i])
	}
	return n
}

// openGroupBytes is the raw bytes of the row group the encoder holds open
// once the rows in memory up to positions to are encoded, g being the row
// group in memory they end in: none if the encoder has no row group open,
// else g's rows up to to, and its pieces encoded before if g is the
// first row group in memory (see openBytes).
func (w *typedBlock) openGroupBytes(g int, to []typedPos) int {
	if w.pw.OpenRows() == 0 {
		return 0
	}
	nc := len(w.cols)
	n := w.bytesBetween(w.starts[g*nc:(g+1)*nc], to)
	if g == 0 {
		n += w.openBytes
	}
	return n
}

// positions appends every column's position to dst.
func (w *typedBlock) positions(dst []typedPos) []typedPos {
	for i := range w.cols {
		dst = append(dst, w.cols[i].pos())
	}
	return dst
}

// append shreds n rows at base (of the plan's size each); meta is the
// batch's metadata, or nil to take it from the rows.
func (w *typedCore) append(base unsafe.Pointer, n int, meta *Meta) error {
	p := w.plan
	switch {
	case meta == nil && p.meta[0] == nil:
		return fmt.Errorf("%w: the row type has no metadata fields: use AppendBatch or AppendRow", ErrTypedMeta)
	case meta != nil && p.meta[0] != nil:
		return fmt.Errorf("%w: the row type carries its metadata fields: use Append", ErrTypedMeta)
	case meta != nil && !meta.Op.Valid():
		return fmt.Errorf("engine: typed rows: invalid op %v", meta.Op)
	}
	b := w.typedBlock
	if b.held.broken != nil {
		return fmt.Errorf("engine: typed rows: %w", b.held.broken)
	}
	w.undo = b.positions(w.undo[:0])
	st := batchStart{rows: b.rows, groups: len(b.starts) / len(b.cols), groupRows: b.groupRows}
	defer w.flat.drop()
	budget := w.opts.RowGroupMemory > 0
	// Rows in memory that the whole batch would take past the budget are
	// encoded before it, in row groups of their own, so that the budget
	// rarely cuts a row group where a batch began (see spill).
	if budget && b.rows > b.heldRows && w.roomRows(n) < n {
		if err := w.spill(&st); err != nil {
			return errors.Join(err, w.undoBatch(&st))
		}
	}
	for n > 0 {
		// Rows go a stretch at a time, every column of the stretch in turn:
		// a stretch stays in cache while its columns are read, where a
		// column at a time over the whole batch would read the batch from
		// memory once per column.
		k := min(n, w.stretch)
		if budget {
			// no more rows than fit the budget, after encoding those in
			// memory if not one more does
			fit := w.roomRows(k)
			if fit < 1 && b.rows > b.heldRows {
				if err := w.spill(&st); err != nil {
					return errors.Join(err, w.undoBatch(&st))
				}
				fit = w.roomRows(k)
			}
			k = min(k, max(fit, 1))
		}
		if b.groupRows == w.opts.RowGroupRows || b.groupRows > 0 && w.opts.RowGroupBytes > 0 && w.groupRoom(1) < 1 {
			// the row group before is full: the next one starts here
			b.starts = b.positions(b.starts)
			b.groupRows = 0
			if !budget {
				// Without a budget, a row group is encoded once it is
				// full and the block goes on past it: the block holds
				// at most one row group raw (see RowGroupMemory).
				if err := w.spill(&st); err != nil {
					return errors.Join(err, w.undoBatch(&st))
				}
			}
		}
		k = min(k, w.opts.RowGroupRows-b.groupRows)
		if w.opts.RowGroupBytes > 0 {
			// no more rows than fit the row group's bytes; at least one
			// (the row group is new, or the row before fit)
			k = min(k, max(w.groupRoom(k), 1))
		}
		w.project(n)
		if err := w.shredRows(base, k, meta, b.rows-st.rows); err != nil {
			return errors.Join(err, w.undoBatch(&st))
		}
		b.rows += k
		b.groupRows += k
		n -= k
		if n > 0 {
			// (never a pointer past the rows' end)
			base = unsafe.Add(base, uintptr(k)*p.size)
		}
	}
	if err := w.checkStrings(st.rowBase); err != nil {
		return errors.Join(err, w.undoBatch(&st))
	}
	if st.spilled {
		b.pw.DropMark()
	}
	return nil
}

// project gives the columns room at once for the rows of the batch (n
// rows still to come) that the rows in memory will take before they are
// encoded (up to the row group's end, RowGroupBytes or RowGroupMemory),
// at the bytes per row of each column's rows in memory and a sixteenth
// more, for the buffers this takes to twice their capacity or more. They
// grow into one arena chunk, by one copy each, where doubling them in
// turn would leave in the arena a copy per doubling, room up to twice the
// need, and chunks as large as the arena (see arena.Grow): a block whose
// buffers the blocks before did not size (a writer's first, or one much
// larger than they were) took that memory, and the arena held it for
// arena.ShrinkRounds blocks. The standard block streamed (180,000 orders
// rows) kept 98 MB of arena over a writer's first 17 blocks, where it
// keeps 30 MB after.
func (w *typedCore) project(n int) {
	b := w.typedBlock
	inMem := b.rows - b.heldRows
	if inMem < probeRows {
		// too few rows to measure by (and few enough to double)
		return
	}
	come := float64(n)
	if w.opts.RowGroupMemory > 0 {
		come = min(come, float64(w.opts.RowGroupMemory)*float64(inMem)/float64(max(b.memory(), 1))-float64(inMem))
	} else {
		come = min(come, float64(w.opts.RowGroupRows-b.groupRows))
		if w.opts.RowGroupBytes > 0 {
			m := b.memory()
			come = min(come, float64(w.opts.RowGroupBytes-b.openBytes-m)*float64(inMem)/float64(max(m, 1)))
		}
	}
	if come < float64(inMem) {
		// no buffer would double: they hold the rows in memory
		return
	}
	f := 1 + come/float64(inMem)
	w.want = w.want[:0]
	total := 0
	for i := range b.cols {
		c := &b.cols[i]
		p := c.pos()
		// the room the next block's buffers will have (see
		// typedColumn.reset)
		want := c.grows(roomFor(typedPos{levels: int(float64(p.levels) * f), values: int(float64(p.values) * f), data: int(float64(p.data) * f)}))
		w.want = append(w.want, want)
		total += c.arenaBytes(want)
	}
	if total == 0 {
		return
	}
	// (a sixteenth more, as the arena keeps for the next block: it keeps
	// this chunk, see arena.Reserve)
	b.a.Reserve(total + total/16)
	for i := range b.cols {
		b.cols[i].growTo(b.a, w.want[i])
	}
}

// batchStart is the state of the block before a batch, to take the batch
// back if it fails.
type batchStart struct {
	rows, groupRows int
	groups          int // row groups in memory
	// rowBase is the number of rows of the batch before w.undo: those
	// encoded by spill
	rowBase int
	// spilled: the rows in memory were encoded (spill), those before the
	// batch up to mark, those of the batch after it
	spilled bool
	mark    parquet.PieceMark
	// openBytes is typedBlock.openBytes at mark
	openBytes int
}

// Rows measured at most between two measures of the memory of the rows in
// memory (see roomRows), and rows shredded to measure a row's bytes when
// none has been measured yet.
const (
	measureRows = 64
	probeRows   = 16
)

// roomRows is how many more rows fit in RowGroupMemory beside the rows in
// memory, estimated from their bytes per row (of the last measure, if no
// row is in memory), at least k if they are known to fit: the memory is
// measured again once more than measureRows rows or than half the room
// left were shredded since the last measure, so that rows that grow are
// seen.
func (w *typedCore) roomRows(k int) int {
	b := w.typedBlock
	inMem := b.rows - b.heldRows
	if inMem+k <= b.checkAt {
		return b.checkAt - inMem
	}
	if inMem > 0 {
		b.perRow = float64(b.memory()) / float64(inMem)
	}
	if b.perRow <= 0 {
		b.checkAt = 0
		return probeRows
	}
	fit := int(max(float64(w.opts.RowGroupMemory)/b.perRow-float64(inMem), 0))
	b.checkAt = inMem + min(fit/2, measureRows)
	return fit
}

// groupRoom is how many more rows the row group in progress may take now
// within RowGroupBytes beside its rows in memory and those a batch taken
// back left encoded as a piece (see undoBatch; no budget is set, so these
// are all its rows): 0 when the next row would pass it, else at least
// one, at most a stretch of rows and a quarter of the room left, at the
// bytes per row of its rows in memory (of the last measure, if none is in
// memory: the row group's start, or a piece's end). The memory is measured
// again once the rows returned were taken, so that rows that grow are
// seen before the row group passes the limit by much: rows k times larger
// than the estimate pass it by at most k/4-1 times the room left.
func (w *typedCore) groupRoom(k int) int {
	b := w.typedBlock
	inMem := b.rows - b.heldRows
	if inMem+k <= b.checkAt {
		return b.checkAt - inMem
	}
	used := b.openBytes
	if inMem > 0 {
		m := b.memory()
		used += m
		b.perRow = float64(m) / float64(inMem)
	}
	if b.perRow <= 0 {
		b.checkAt = 0
		return 1 // a row to measure
	}
	fit := int(max(float64(w.opts.RowGroupBytes-used)/b.perRow, 0))
	if fit > 0 {
		fit = min(max(fit/4, 1), w.stretch)
	}
	b.checkAt = inMem + fit
	return fit
}

// spill encodes the rows in memory as pieces of the block's row groups
// (parquet.Writer.WritePiece): those of a row group in memory that ended
// are written out to the held file, those of the last one stay in the
// encoder as the row group in progress. The columns are then emptied for
// the next rows. At the first spill of a batch, the rows from before it
// are encoded first and the encoder marked after them (st.mark), so that
// a batch that fails later is taken back to there. On error nothing is
// held that was not before, but for the rows before the batch, which stay
// held if they were.
func (w *typedCore) spill(st *batchStart) error {
	b := w.typedBlock
	// The batch's rows in memory are checked before they are encoded.
	if err := w.checkStrings(st.rowBase); err != nil {
		return err
	}
	wrap := func(err error) error {
		if w.opts.RowGroupMemory == 0 {
			return fmt.Errorf("engine: typed rows: encoding a full row group: %w", err)
		}
		return fmt.Errorf("engine: typed rows: encoding rows past RowGroupMemory: %w", err)
	}
	if err := w.begin(b); err != nil {
		return wrap(err)
	}
	end := b.positions(b.ends[:0])
	b.ends = end
	// from the columns' start (the first row group in memory's), to where
	// the batch began, then to the end
	g := 0
	from := b.starts[:len(b.cols)]
	if !st.spilled {
		back := b.pw.MarkPieces()
		if err := w.writeSpan(b, from, w.undo, &g); err != nil {
			rerr := w.rewind(b, back)
			b.pw.DropMark()
			return errors.Join(wrap(err), rerr)
		}
		st.mark, st.spilled = b.pw.MarkPieces(), true
		st.openBytes = b.openGroupBytes(g, w.undo)
		from = w.undo
	}
	err := w.writeSpan(b, from, end, &g)
	b.openBytes = b.openGroupBytes(len(b.starts)/len(b.cols)-1, end)
	// The rows in memory are held now, up to the mark at least: undoBatch
	// takes the pieces back to it if this failed.
	b.heldRows = b.rows
	for i := range b.cols {
		b.cols[i].remember()
		b.cols[i].truncate(typedPos{})
	}
	b.starts = b.positions(b.starts[:0])
	b.groupRows, b.checkAt = int(b.pw.OpenRows()), 0
	w.undo = b.positions(w.undo[:0])
	st.rowBase = b.rows - st.rows
	if err != nil {
		return wrap(err)
	}
	return nil
}

// fillGroup sets b.group to the columns of row group g in memory (of
// b.starts; the last one ends at the columns' positions), cut to the rows
// from positions from to positions to if they are not nil.
func (b *typedBlock) fillGroup(g int, from, to []typedPos) {
	nc := len(b.cols)
	for i := range b.cols {
		lo, hi := b.starts[g*nc+i], b.cols[i].pos()
		if (g+1)*nc < len(b.starts) {
			hi = b.starts[(g+1)*nc+i]
		}
		if from != nil && from[i].levels > lo.levels {
			lo = from[i]
		}
		if to != nil && to[i].levels < hi.levels {
			hi = to[i]
		}
		if lo.levels > hi.levels {
			lo = hi
		}
		b.group[i] = b.cols[i].columnData(lo, hi)
	}
}

// writeSpan encodes the rows in memory of block b from positions from to
// positions to, a piece per row group in memory, from the row group *g
// (the one from lies in) on, and ends each row group in memory that ends
// within the span, advancing *g past it. A row group the span holds
// whole, none of it encoded before, is written whole (WriteRowGroup: its
// chunks one at a time, as they are without pieces).
func (w *typedCore) writeSpan(b *typedBlock, from, to []typedPos, g *int) error {
	defer clear(b.group) // drop references to the arena
	nc := len(b.cols)
	groups := len(b.starts) / nc
	for ; *g < groups; *g++ {
		ends := *g+1 < groups
		b.fillGroup(*g, from, to)
		if w.pieceFault != nil {
			if err := w.pieceFault(); err != nil {
				return err
			}
		}
		if ends && b.pw.OpenRows() == 0 && from[0].levels <= b.starts[*g*nc].levels && b.starts[(*g+1)*nc].levels <= to[0].levels {
			if b.group[0].NumLevels > 0 { // (no rows: no row group)
				if err := b.pw.WriteRowGroup(b.group); err != nil {
					return fmt.Errorf("row group %d: %w", b.pw.RowGroups(), err)
				}
			}
			continue
		}
		if err := b.pw.WritePiece(b.group); err != nil {
			return fmt.Errorf("row group %d: %w", b.pw.RowGroups(), err)
		}
		if !ends || b.starts[(*g+1)*nc].levels > to[0].levels {
			return nil // the span ends within the row group
		}
		if err := b.pw.EndRowGroup(); err != nil {
			return fmt.Errorf("row group %d: %w", b.pw.RowGroups(), err)
		}
	}
	return nil
}

// undoBatch takes back the rows of the batch st began: those in memory,
// and those spilled into the encoder.
func (w *typedCore) undoBatch(st *batchStart) error {
	b := w.typedBlock
	for i := range b.cols {
		b.cols[i].truncate(w.undo[i])
	}
	b.rows, b.checkAt = st.rows, 0
	if !st.spilled {
		b.starts, b.groupRows = b.starts[:st.groups*len(b.cols)], st.groupRows
		return nil
	}
	// Every row in memory was the batch's; the encoder goes back to the
	// rows before it.
	b.heldRows, b.openBytes = st.rows, st.openBytes
	err := w.rewind(b, st.mark)
	b.pw.DropMark()
	b.starts, b.groupRows = b.positions(b.starts[:0]), int(b.pw.OpenRows())
	if err != nil {
		// (the mark is the encoder's last: only a stream that has bytes
		// past it breaks this)
		return fmt.Errorf("engine: typed rows: taking the batch back: %w", err)
	}
	return nil
}

// rewind takes block b's file back to mark m, unless bytes past m went
// out to the block's stream: the block is broken then (see Stream).
func (w *typedCore) rewind(b *typedBlock, m parquet.PieceMark) error {
	if err := b.held.rewind(m.Off); err != nil {
		return err
	}
	return b.pw.RewindPieces(&b.held, m)
}

// checkStrings checks that the string values the batch just appended
// (every column's part after w.undo) are valid UTF-8, as Parquet's String
// type requires, and names the first row and field that is not.
// row0 is the batch's index of the row at w.undo.
func (w *typedCore) checkStrings(row0 int) error {
	for i := range w.cols {
		c := &w.cols[i]
		if c.leaf.Logical != parquet.String {
			continue
		}
		u := w.undo[i]
		if utf8.Valid(c.data[u.data:]) {
			continue
		}
		// the first invalid value, then the row its level entry is in
		v := u.values
		for ; v+1 < len(c.offs); v++ {
			if !utf8.Valid(c.data[c.offs[v]:c.offs[v+1]]) {
				break
			}
		}
		row, seen := -1, u.values-1
		for l := u.levels; l < c.levels && seen < v; l++ {
			if c.maxRep == 0 || c.reps[l] == 0 {
				row++
			}
			if c.maxDef == 0 || c.defs[l] == c.maxDef {
				seen++
			}
		}
		return fmt.Errorf("%w: row %d: field %s: %q is not valid UTF-8", ErrTypedString, row0+row, strings.Join(c.path, "."), c.data[c.offs[v]:c.offs[v+1]])
	}
	return nil
}

// ErrTypedString is returned by the TypedWriter's append methods for a
// batch with a string that is not valid UTF-8; the batch is not appended.
var ErrTypedString = errors.New("engine: typed rows: invalid string")

// opWord packs the 6 bytes of an op name (every one is 6 bytes long)
// into one word, to check a name with a compare.
func opWord(b *[6]byte) uint64 {
	return uint64(binary.LittleEndian.Uint32(b[:4])) | uint64(binary.LittleEndian.Uint16(b[4:]))<<32
}

var (
	insertWord = opWord((*[6]byte)([]byte("INSERT")))
	updateWord = opWord((*[6]byte)([]byte("UPDATE")))
	deleteWord = opWord((*[6]byte)([]byte("DELETE")))
)

// readOps appends the _op field f of n rows at base, checked: a cdc.Op
// must be valid, a string INSERT, UPDATE or DELETE; row0 is the batch's
// index of the first row, for errors. Every op name is 6 bytes long, so
// the column grows by 6 bytes a row, copied without a call.
func (w *typedCore) readOps(f *tfield, base unsafe.Pointer, n, row0 int) error {
	c := &w.cols[f.col] // required: no levels to write
	if 6*n > math.MaxInt32-len(c.data) {
		return c.errBytes(6 * n)
	}
	c.data = arena.Grow(w.a, c.data, 6*n)
	c.offs = arena.Grow(w.a, c.offs, n)
	data, offs := c.data, c.offs
	l := len(data)
	base = unsafe.Add(base, f.off)
	for i := range n {
		p := at(base, w.plan.size, i)
		var name [6]byte
		if f.kind == tkOp {
			op := *(*cdc.Op)(p)
			if !op.Valid() {
				return fmt.Errorf("engine: typed rows: row %d: field %s: invalid op %v", row0+i, f.name, op)
			}
			name = [6]byte(w.ops[op])
		} else {
			s := *(*string)(p)
			if len(s) != 6 {
				return fmt.Errorf("engine: typed rows: row %d: field %s: op %q is not INSERT, UPDATE or DELETE", row0+i, f.name, s)
			}
			name = *(*[6]byte)(unsafe.Pointer(unsafe.StringData(s)))
			if x := opWord(&name); x != insertWord && x != updateWord && x != deleteWord {
				return fmt.Errorf("engine: typed rows: row %d: field %s: op %q is not INSERT, UPDATE or DELETE", row0+i, f.name, s)
			}
		}
		*(*[6]byte)(data[l : l+6]) = name
		l += 6
		offs = append(offs, int32(l))
	}
	c.data, c.offs = data[:l], offs
	c.levels += n
	return nil
}

// constMeta appends n rows of the same metadata.
func (w *typedCore) constMeta(m *Meta, n int) error {
	a := w.a
	op, prod := &w.cols[0], &w.cols[2]
	if err := op.repeatBytes(a, w.ops[m.Op], n); err != nil {
		return err
	}
	if err := prod.repeatBytes(a, unsafe.Slice(unsafe.StringData(m.Producer), len(m.Producer)), n); err != nil {
		return err
	}
	op.levels += n
	prod.levels += n
	lsn := &w.cols[1]
	lsn.i64 = repeatValue(a, lsn.i64, m.LSN, n)
	lsn.levels += n
	ts := &w.cols[3]
	if m.CommitTime.IsZero() {
		ts.defs = repeatValue(a, ts.defs, 0, n)
	} else {
		ts.defs = repeatValue(a, ts.defs, 1, n)
		ts.i64 = repeatValue(a, ts.i64, m.CommitTime.UnixMicro(), n)
	}
	ts.levels += n
	return nil
}

// repeatValue appends n copies of v to dst (grown in a), doubling the
// stretch copied.
func repeatValue[T arena.Elem](a *arena.Arena, dst []T, v T, n int) []T {
	if n <= 0 {
		return dst
	}
	dst = arena.Grow(a, dst, n)
	l := len(dst)
	dst = dst[:l+n]
	dst[l] = v
	for k := 1; k < n; k *= 2 {
		copy(dst[l+k:], dst[l:l+k])
	}
	return dst
}

// writeBlock encodes the appended rows as one Parquet file.
func (w *typedCore) writeBlock(ctx context.Context, out io.Writer) (*BlockInfo, error) {
	w.wait()
	out, err := w.blockOut(out, "WriteBlock")
	if err != nil {
		return nil, err
	}
	info, err := w.encode(ctx, out, w.typedBlock)
	if err == nil {
		w.typedBlock.reset()
	}
	return info, err
}

// flush hands the appended rows to a goroutine that encodes them, once
// the block before is written.
func (w *typedCore) flush(ctx context.Context, out io.Writer, then func(*BlockInfo, error)) error {
	out, err := w.blockOut(out, "Flush")
	if err != nil {
		return err
	}
	w.wait()
	if err := ctx.Err(); err != nil {
		return err
	}
	b := w.typedBlock
	if w.blocks[1] == nil {
		w.blocks[1] = newTypedBlock(w.plan)
	}
	if b == w.blocks[0] {
		w.typedBlock = w.blocks[1]
	} else {
		w.typedBlock = w.blocks[0]
	}
	done := make(chan struct{})
	w.done = done
	go func() {
		defer close(done)
		info, err := w.encode(ctx, out, b)
		if h := &b.held; err != nil && h.broken == nil && h.sent > 0 {
			// the block is dropped: what went out is a file cut short
			err = fmt.Errorf("%w: the block is dropped, %d bytes of it went out: %w", ErrStreamBroken, h.sent, err)
		}
		b.reset()
		if then != nil {
			then(info, err)
		}
	}()
	return nil
}

// blockOut is where WriteBlock or Flush (op) writes the block being
// appended: out, or the block's stream, and then out must be nil.
func (w *typedCore) blockOut(out io.Writer, op string) (io.Writer, error) {
	b := w.typedBlock
	switch {
	case b.held.broken != nil:
		return nil, fmt.Errorf("engine: %s: %w", op, b.held.broken)
	case b.held.stream != nil && out != nil:
		return nil, fmt.Errorf("engine: %s: the block streams to the io.Writer given to Stream: out must be nil", op)
	case b.held.stream != nil:
		return b.held.stream, nil
	case out == nil:
		return nil, fmt.Errorf("engine: %s: nil io.Writer", op)
	}
	return out, nil
}

// stream makes the block being appended go to out from now on.
func (w *typedCore) stream(out io.Writer) error {
	b := w.typedBlock
	switch {
	case out == nil:
		return errors.New("engine: Stream: nil io.Writer")
	case b.held.broken != nil:
		return fmt.Errorf("engine: Stream: %w", b.held.broken)
	case b.held.stream != nil:
		return errors.New("engine: Stream: the block streams already")
	}
	// the bytes held so far go first
	if err := b.held.writeTo(out); err != nil {
		return fmt.Errorf("engine: Stream: %w", err)
	}
	b.held.stream, b.held.sent = out, b.held.n
	return nil
}

// wait waits for the block of the last Flush to be written.
func (w *typedCore) wait() {
	if w.done != nil {
		<-w.done
		w.done = nil
	}
}

// begin begins block b's file, on b.held, unless it has begun.
func (w *typedCore) begin(b *typedBlock) error {
	if b.begun {
		return nil
	}
	if b.pw == nil {
		pw, err := parquet.NewWriter(&b.held, w.plan.schema, w.opts.Parquet)
		if err != nil {
			return fmt.Errorf("engine: parquet writer: %w", err)
		}
		b.pw = pw
	} else {
		// The value encodings judged on a block's first chunks (by
		// compressing samples both ways) hold for the next blocks of the
		// same row type; they are judged again every rejudgeBlocks
		// blocks, in case the data changed.
		var err error
		if b.files%rejudgeBlocks == 0 {
			err = b.pw.Reset(&b.held)
		} else {
			err = b.pw.ResetKeepChoices(&b.held)
		}
		if err != nil {
			return fmt.Errorf("engine: parquet writer: %w", err)
		}
	}
	b.files++
	b.begun = true
	return nil
}

// writeGroups encodes block b's row groups in memory from g0 to g1
// (indices of b.starts; the last one ends at the columns' positions).
func (w *typedCore) writeGroups(ctx context.Context, b *typedBlock, g0, g1 int) error {
	defer clear(b.group) // drop references to the arena
	for g := g0; g < g1; g++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		b.fillGroup(g, nil, nil)
		if b.group[0].NumLevels == 0 {
			continue // no rows in memory: no row group
		}
		if err := b.pw.WriteRowGroup(b.group); err != nil {
			return fmt.Errorf("engine: row group %d: %w", b.pw.RowGroups(), err)
		}
	}
	return nil
}

// encode writes block b as one Parquet file: its held bytes, then the
// row group in progress in the encoder (its pieces, and the rows in
// memory of the first row group in memory), the other row groups in
// memory, and the footer. On error the block is as it was, held bytes and
// pieces included, to be written again.
func (w *typedCore) encode(ctx context.Context, out io.Writer, b *typedBlock) (*BlockInfo, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	cw := &countingWriter{w: out}
	// A block that has begun its file holds its start, or streamed it;
	// another one begins it on out.
	held := b.begun
	sent := b.held.sent
	if !held {
		b.held.out = cw
	}
	err := w.begin(b)
	var mark parquet.PieceMark
	if err == nil && held {
		mark = b.pw.MarkPieces()
		err = b.held.writeTo(cw)
		b.held.out = cw
	}
	g := 0
	if err == nil && b.pw.OpenRows() > 0 {
		// the first row group in memory is the rest of the one in progress
		nc := len(b.cols)
		g = 1
		to := b.positions(b.ends[:0])
		b.ends = to
		if len(b.starts) > nc {
			to = b.starts[nc : 2*nc]
		}
		first := 0
		if err = w.writeSpan(b, b.starts[:nc], to, &first); err == nil {
			err = b.pw.EndRowGroup()
		}
	}
	if err == nil {
		err = w.writeGroups(ctx, b, g, len(b.starts)/len(b.cols))
	}
	if err == nil {
		if err = b.pw.Close(); err != nil {
			err = fmt.Errorf("engine: closing the block: %w", err)
		}
	}
	b.held.out = nil
	if err != nil {
		switch {
		case b.held.stream != nil && cw.n > 0:
			b.held.broken = fmt.Errorf("%w: %d bytes of it went out before: %w", ErrStreamBroken, sent+int(cw.n), err)
			err = b.held.broken
			if held {
				b.pw.DropMark()
			}
		case !held:
			b.begun = false // the next try begins the file again
		default:
			err = errors.Join(err, b.pw.RewindPieces(&b.held, mark))
			b.pw.DropMark()
		}
		return nil, err
	}
	return &BlockInfo{Schema: w.plan.schema, Rows: int64(b.rows), RowGroups: b.pw.RowGroups(), Bytes: int64(sent) + cw.n,
		Stats: Stats{Rows: b.rows, Passes: 1}}, nil
}

// heldPiece is the size of the pieces of a heldFile.
const heldPiece = 64 << 10

// heldFile is the start of a block's file, its row groups ended before
// the block is written (see TypedOptions.RowGroupMemory): n bytes, in
// pieces of heldPiece bytes kept for the next blocks. While out is set,
// writes go there instead. A block that streams (TypedWriter.Stream)
// writes its bytes to stream as they come: the first sent bytes of the
// file went there, and those past stored are in no piece. broken is set
// once bytes that went out would have to be taken back, or the stream
// took part of a write only.
type heldFile struct {
	pieces [][]byte
	n      int
	out    io.Writer
	stream io.Writer
	sent   int
	stored int
	broken error
	// recent holds the pieces used by the last blocks, round robin
	recent [arena.ShrinkRounds]int
	blocks int
}

func (h *heldFile) Write(p []byte) (int, error) {
	if h.out != nil {
		return h.out.Write(p)
	}
	if h.stream != nil {
		k, err := h.stream.Write(p)
		if err == nil && k != len(p) {
			err = io.ErrShortWrite
		}
		h.n += k
		h.sent = h.n
		if err != nil {
			err = fmt.Errorf("engine: streaming the block: %w", err)
			if k > 0 {
				// the file on the stream is cut within a write: no rewind
				// can take it back to where the encoder resumes
				h.broken = fmt.Errorf("%w: the stream took %d bytes of a write of %d, then failed: %w", ErrStreamBroken, k, len(p), err)
				return k, h.broken
			}
			return 0, err
		}
		return k, nil
	}
	size := len(p)
	for len(p) > 0 {
		i := h.n / heldPiece
		if i == len(h.pieces) {
			h.pieces = append(h.pieces, make([]byte, heldPiece))
		}
		c := copy(h.pieces[i][h.n%heldPiece:], p)
		p = p[c:]
		h.n += c
	}
	h.stored = h.n
	return size, nil
}

// rewind takes the file back to offset off, which must not be before the
// bytes that went out to the stream.
func (h *heldFile) rewind(off int64) error {
	if h.broken != nil {
		return h.broken
	}
	if int(off) < h.sent {
		h.broken = fmt.Errorf("%w: %d bytes of it went out, and it would be taken back to %d", ErrStreamBroken, h.sent, off)
		return h.broken
	}
	h.n = int(off)
	if h.stream == nil {
		h.stored = h.n
	}
	return nil
}

// writeTo writes the held bytes that did not go out to the stream to out:
// all of them while the block is held, none once it streams (every byte
// then goes out as it comes, and a rewind never goes before sent).
func (h *heldFile) writeTo(out io.Writer) error {
	for i, rest := 0, h.n-h.sent; rest > 0; i++ {
		k := min(rest, heldPiece)
		n, err := out.Write(h.pieces[i][:k])
		if err == nil && n != k {
			err = io.ErrShortWrite
		}
		if err != nil {
			return fmt.Errorf("engine: writing the block's held row groups at offset %d: %w", h.n-rest+n, err)
		}
		rest -= k
	}
	return nil
}

// reset empties h, keeping as many pieces as the most any of the last
// arena.ShrinkRounds blocks used, so that blocks of alternating sizes
// (several row groups, then a short one) do not allocate them again.
func (h *heldFile) reset() {
	h.recent[h.blocks%len(h.recent)] = (h.stored + heldPiece - 1) / heldPiece
	h.blocks++
	keep := 0
	for _, n := range h.recent {
		keep = max(keep, n)
	}
	keep = min(keep, len(h.pieces))
	clear(h.pieces[keep:])
	h.pieces = h.pieces[:keep]
	h.n, h.sent, h.stored, h.stream, h.broken = 0, 0, 0, nil, nil
}
