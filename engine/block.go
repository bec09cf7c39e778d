package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"sync/atomic"

	"github.com/evodb/writer/arena"
	"github.com/evodb/writer/cdc"
	"github.com/evodb/writer/engine/parquet"
)

// DefaultRowGroupMemory is the default of BlockOptions.RowGroupMemory: a
// row group's shredded columns take about three quarters of the memory the
// whole block takes in Parquet bytes, so that the writer holds that plus
// its encoder's buffers (which grow with the row group too: pages,
// dictionaries, zstd), within twice the block (BenchmarkPeakHeap in
// bench/e2e: 1.8x for a 4.6 MB block of 122,880 rows). Larger row groups
// compress a little better (users at zstd 3: 36.85 MB at 0.75-0.85,
// 36.5 MB at 0.9), but from 0.9 the peak reaches twice the block.
const DefaultRowGroupMemory = 0.75

// MinRowGroupMemory is the smallest memory budget of a row group (see
// BlockOptions.RowGroupMemory): a small block is not cut into row groups
// too small to compress well. Below it the budget follows the block (it
// was 1 MiB, which held every block under about 1.4 MB of Parquet in one
// row group: a 0.68 MB users block took 4.9 times its size). At 512 KiB
// a block of up to about 0.7 MB is still one row group; a smaller floor
// buys little memory for much file size (256 KiB: a 64 KB users block in
// two row groups, 11.6x instead of 16.7x its size in memory, 5.6 %
// larger), since a small block's memory is mostly the encoder's fixed
// state (the zstd encoder alone takes about 0.35 MB).
const MinRowGroupMemory = 512 << 10

// MinRowGroupOut is the smallest estimated Parquet size of a row group
// that the memory budget may cut a block into (see
// BlockOptions.RowGroupMemory). Row groups much smaller than that
// compress visibly worse (a dictionary, pages and chunk metadata per row
// group): orders blocks of 16,384 rows (about 0.5 MB), which a budget of
// memory alone cut into row groups of under 100 KB, are 2.4 % smaller
// with it; users blocks of 16,384 rows get 5 row groups instead of 6.
const MinRowGroupOut = 128 << 10

// First guesses of a BlockWriter's ratios, before it has written a row
// group: Parquet bytes and column memory per entry byte. On the high side
// for Parquet bytes (generated CDC tables give 0.05-0.12 with zstd) and
// on the low side for memory (0.5-0.7), so that the first row groups are
// smaller than the budget, not larger.
const (
	initialOutPerIn = 0.25
	initialMemPerIn = 1.0
)

// BlockOptions configures a BlockWriter. The zero value is usable: zstd
// (level 1), row groups sized by DefaultRowGroupMemory.
type BlockOptions struct {
	Shredder Options
	// Parquet configures the encoder. Its zero Compression (none) is taken
	// to mean zstd at ZstdLevel (default 1); set Uncompressed for none.
	Parquet parquet.WriterOptions
	// Uncompressed writes pages without compression.
	Uncompressed bool
	// RowGroupMemory sizes row groups by the memory their shredded columns
	// take, as a multiple of the block's Parquet size (default
	// DefaultRowGroupMemory; at least MinRowGroupMemory bytes). The writer
	// shreds, encodes and writes out one row group at a time (two with
	// Pipelined), so this bounds its memory. Both sizes are estimated
	// before the block is written, from the ratios of Parquet bytes and of
	// column memory to entry bytes of the row groups written before; the
	// row groups of a block are of about equal size. Columns in memory
	// take 5-8 times their Parquet size (zstd), so a block has several row
	// groups: fewer, larger ones compress a little better (a dictionary
	// per row group) at the price of memory.
	RowGroupMemory float64
	// RowGroupBytes, if set, is the target size of a row group in entry
	// bytes (cdc.Entry.Size of its rows) instead: a row group ends at the
	// row that makes its rows reach it.
	RowGroupBytes int
	// Pipelined lets the writer run a Pipeline (shredding one row group
	// while encoding the one before): the shredder keeps two row groups'
	// memory.
	Pipelined bool
}

// BlockWriter turns batches of entries of one table into Parquet blocks,
// one file per batch, keeping the table's schema from batch to batch. Not
// safe for concurrent use.
//
// A block is shredded and encoded a row group at a time: the rows of a
// row group are shredded into the arena, encoded and written out, and the
// arena is reused for the next one, so memory follows the row group, not
// the block. A column that appears after the first row group of a block
// (its first value is in a later row group) is added to the file's
// schema from that row group on; the row groups before get a chunk of
// nulls for it, written after them (see parquet.Writer.Extend), with
// levels that follow their rows' shape when the column is a new field of
// an existing group (those rows are shredded again for that).
type BlockWriter struct {
	s      *Shredder
	opts   BlockOptions
	pw     *parquet.Writer
	schema *parquet.Node // the schema pw writes now
	// entries decoded by WriteJSONLines, reused from batch to batch
	entries []cdc.Entry

	// Parquet bytes per entry byte of the last row groups (float64 bits;
	// written by the encoding goroutine, read by the shredding one)
	outPerIn atomic.Uint64
	// column memory per entry byte of the last row groups
	memPerIn float64

	// shredding side: the row groups of the block written so far
	written []writtenGroup
	fill    [2][]parquet.ColumnData // backfill columns, one per shredder buffer
	// encoding side: the block being encoded
	enc blockEncoder
}

// writtenGroup is a row group of the block being written: its rows and the
// schema it was written with.
type writtenGroup struct {
	first, end int
	schema     *parquet.Node
}

// BlockInfo describes a block WriteBlock wrote.
type BlockInfo struct {
	Schema    *parquet.Node // valid until the next WriteBlock
	Rows      int64
	RowGroups int
	Bytes     int64 // bytes written to the io.Writer
	// Stats sums the row groups' (Passes: the most of any row group).
	Stats  Stats
	Errors []*RowError // rows left out; valid until the next WriteBlock
}

// NewBlockWriter returns a BlockWriter.
func NewBlockWriter(opts BlockOptions) (*BlockWriter, error) {
	so := opts.Shredder
	if opts.Pipelined {
		so.Buffers = 2
	}
	s, err := NewShredder(so)
	if err != nil {
		return nil, err
	}
	if opts.Uncompressed {
		opts.Parquet.Compression = parquet.Uncompressed
	} else if opts.Parquet.Compression == parquet.Uncompressed {
		opts.Parquet.Compression = parquet.Zstd
		if opts.Parquet.ZstdLevel == 0 {
			opts.Parquet.ZstdLevel = 1
		}
	}
	if opts.RowGroupMemory <= 0 {
		opts.RowGroupMemory = DefaultRowGroupMemory
	}
	bw := &BlockWriter{s: s, opts: opts, memPerIn: initialMemPerIn}
	bw.outPerIn.Store(math.Float64bits(initialOutPerIn))
	return bw, nil
}

// Shredder is the BlockWriter's shredder (for its Schema).
func (bw *BlockWriter) Shredder() *Shredder { return bw.s }

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// WriteBlock shreds entries and writes them to out as one Parquet file,
// streaming each row group out as soon as it is encoded. Rows that cannot
// be shredded are left out and listed in BlockInfo.Errors; an error result
// means the block is unusable (out failed, ctx was cancelled, or a column
// exceeded a limit). WriteBlock must not be called while a Pipeline of the
// same BlockWriter is open.
func (bw *BlockWriter) WriteBlock(ctx context.Context, out io.Writer, entries []cdc.Entry) (*BlockInfo, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var (
		info *BlockInfo
		ierr error
	)
	err := bw.shredBlock(ctx, entries, out, func(j *blockJob) error {
		i, err := bw.encodeJob(ctx, j)
		if j.last {
			info, ierr = i, err
		}
		return err
	})
	if err != nil {
		bw.enc.abandon()
		return nil, err
	}
	return info, ierr
}

// jobKind is what a blockJob asks of the encoding side.
type jobKind uint8

const (
	jobGroup    jobKind = iota // write a row group
	jobBackfill                // write the chunks a row group lacks
	jobAbandon                 // forget the block: its shredding failed
)

// blockJob is one step of writing a block, handed by the shredding side to
// the encoding side.
type blockJob struct {
	kind jobKind
	b    *Block               // jobGroup
	out  io.Writer            // on the block's first job: where it goes
	g    int                  // jobBackfill: the row group
	cols []parquet.ColumnData // jobBackfill: its missing columns
	last bool                 // the block's last job: close the file
	then func(*BlockInfo, error)
}

// groupBytes is the size in entry bytes at which the shredder ends the
// next row group of a batch whose rows from the next one on have rest
// entry bytes, total in all.
func (bw *BlockWriter) groupBytes(total, rest int) int {
	if bw.opts.RowGroupBytes > 0 {
		return bw.opts.RowGroupBytes
	}
	outPerIn := math.Float64frombits(bw.outPerIn.Load())
	out := float64(total) * outPerIn
	budget := max(out*bw.opts.RowGroupMemory, MinRowGroupMemory) / bw.memPerIn
	// Row groups of equal size: the rest cut into as few as the budget
	// allows, none of them (by estimate) under MinRowGroupOut bytes of
	// Parquet.
	n := math.Ceil(float64(rest) / budget)
	n = min(n, max(math.Floor(float64(rest)*outPerIn/MinRowGroupOut), 1))
	if n <= 1 {
		return 0
	}
	return max(int(math.Ceil(float64(rest)/n)), 1)
}

// RowGroupEstimates are the ratios a BlockWriter sizes the row groups of
// a block by (see BlockOptions.RowGroupMemory), learnt from the row groups
// it wrote before: they are all the state that a block's bytes depend on
// besides its entries and the shredder's schema.
type RowGroupEstimates struct {
	OutPerIn float64 // Parquet bytes per entry byte
	MemPerIn float64 // column memory per entry byte
}

// Estimates returns the ratios the next block's row groups are sized by.
// Not to be called while a block or Pipeline of bw is being written.
func (bw *BlockWriter) Estimates() RowGroupEstimates {
	return RowGroupEstimates{OutPerIn: math.Float64frombits(bw.outPerIn.Load()), MemPerIn: bw.memPerIn}
}

// SetEstimates makes bw size the row groups of its next block by e, as if
// it had learnt them itself; a ratio that is not a positive finite number
// is left as it was. Several BlockWriters given the same estimates (and
// schema) write the same entries to the same bytes, whatever each wrote
// before. Not to be called while a block or Pipeline of bw is being
// written.
func (bw *BlockWriter) SetEstimates(e RowGroupEstimates) {
	ok := func(r float64) bool { return r > 0 && !math.IsInf(r, 1) }
	if ok(e.OutPerIn) {
		bw.outPerIn.Store(math.Float64bits(e.OutPerIn))
	}
	if ok(e.MemPerIn) {
		bw.memPerIn = e.MemPerIn
	}
}

// learnMemory updates the ratio of column memory to entry bytes from a
// row group the shredder just made. The memory is that of the columns'
// contents with the eighth of margin the shredder reserves (column.reset),
// not what the arena handed out: that depends on the room the shredder's
// columns reserved, learnt from the blocks before, and a block's row
// groups (so its bytes) must depend only on its entries and the estimates
// it starts from (see SetEstimates).
func (bw *BlockWriter) learnMemory(b *Block) {
	if bw.opts.RowGroupBytes > 0 || b.Bytes < 64<<10 {
		return
	}
	r := float64(columnMemory(b.Columns)) * 1.125 / float64(b.Bytes)
	bw.memPerIn += (r - bw.memPerIn) / 2
}

// columnMemory is the bytes the contents of cols take.
func columnMemory(cols []parquet.ColumnData) int {
	n := 0
	for i := range cols {
		c := &cols[i]
		n += len(c.DefLevels) + len(c.RepLevels) + len(c.Bools) + 4*len(c.Int32s) + 8*len(c.Int64s) +
			4*len(c.Floats) + 8*len(c.Doubles) + len(c.Bytes) + 4*len(c.Offsets)
	}
	return n
}

// shredBlock shreds entries a row group at a time and hands each to emit,
// then the backfill jobs a schema change in the block calls for; the last
// job is marked last. An error stops it; the block is then unusable.
func (bw *BlockWriter) shredBlock(ctx context.Context, entries []cdc.Entry, out io.Writer, emit func(*blockJob) error) error {
	s := bw.s
	s.begin(entries)
	bw.written = bw.written[:0]
	var job [2]blockJob // alternate, as the shredder's buffers do
	k := 0
	var backfill []int // row groups to backfill, known at the end
	total := s.rest
	for first := true; ; first = false {
		if err := ctx.Err(); err != nil {
			return err
		}
		b, err := s.next(bw.groupBytes(total, s.rest))
		if err != nil {
			return err
		}
		bw.learnMemory(b)
		if b == nil {
			return errors.New("engine: internal error: a batch ended without its last row group")
		}
		j := &job[k]
		k ^= 1
		*j = blockJob{kind: jobGroup, b: b}
		if first {
			j.out = out
		}
		if b.Stats.Rows > 0 {
			bw.written = append(bw.written, writtenGroup{first: b.First, end: b.End, schema: b.Schema})
		}
		end := s.pos >= len(entries)
		if end {
			backfill = bw.toBackfill(backfill[:0], s.schema)
			j.last = len(backfill) == 0
		}
		if err := emit(j); err != nil {
			return err
		}
		if end {
			break
		}
	}
	// Row groups written before a schema change lack the new columns.
	// Those in a new top-level field are all null (the parquet writer
	// writes them); those in a field the row group has need its rows'
	// levels.
	for i, g := range backfill {
		wg := bw.written[g]
		b, err := s.reshred(wg.first, wg.end)
		if err != nil {
			return err
		}
		cols, err := backfillColumns(s.arena, b, wg.schema, bw.fill[s.cur][:0])
		if err != nil {
			return err
		}
		bw.fill[s.cur] = cols
		j := &job[k]
		k ^= 1
		*j = blockJob{kind: jobBackfill, g: g, cols: cols, last: i == len(backfill)-1}
		if err := emit(j); err != nil {
			return err
		}
	}
	return nil
}

// toBackfill appends to dst the row groups written so far that lack
// leaves of final in top-level fields they have.
func (bw *BlockWriter) toBackfill(dst []int, final *parquet.Node) []int {
	for g, wg := range bw.written {
		if wg.schema != final && needsBackfill(wg.schema, final) {
			dst = append(dst, g)
		}
	}
	return dst
}

// blockEncoder is the encoding side's state of the block being written.
type blockEncoder struct {
	cw     countingWriter
	info   *BlockInfo
	errs   []*RowError
	err    error // the block's first error
	active bool
}

func (e *blockEncoder) abandon() {
	e.active = false
	e.info = nil
	e.cw.w = nil
}

// encodeJob does one job; for the block's last job it closes the file and
// returns the block's BlockInfo or error.
func (bw *BlockWriter) encodeJob(ctx context.Context, j *blockJob) (*BlockInfo, error) {
	e := &bw.enc
	if j.kind == jobAbandon {
		e.abandon()
		return nil, nil
	}
	if j.out != nil {
		e.cw = countingWriter{w: j.out}
		e.errs = e.errs[:0]
		e.info = &BlockInfo{Schema: j.b.Schema}
		e.err = bw.startFile(j.b.Schema)
		e.active = true
	}
	if !e.active {
		return nil, errors.New("engine: block job without a block")
	}
	if e.err == nil {
		e.err = ctx.Err()
	}
	switch j.kind {
	case jobGroup:
		b := j.b
		info := e.info
		info.Schema = b.Schema
		info.Rows += int64(b.Stats.Rows)
		st := &info.Stats
		st.Rows += b.Stats.Rows
		st.Rejected += b.Stats.Rejected
		st.Rescued += b.Stats.Rescued
		st.NewColumns += b.Stats.NewColumns
		st.Passes = max(st.Passes, b.Stats.Passes)
		e.errs = append(e.errs, b.Errors...)
		if e.err == nil && b.Stats.Rows > 0 {
			e.err = bw.writeGroup(b, info.RowGroups)
			info.RowGroups++
		}
	case jobBackfill:
		if e.err == nil {
			if err := bw.pw.Backfill(j.g, j.cols); err != nil {
				e.err = fmt.Errorf("engine: row group %d: new columns: %w", j.g, err)
			}
		}
	}
	if !j.last {
		return nil, e.err
	}
	info, err := e.info, e.err
	if err == nil {
		if cerr := bw.pw.Close(); cerr != nil {
			err = fmt.Errorf("engine: closing the block: %w", cerr)
		}
	}
	info.Bytes = e.cw.n
	info.Errors = e.errs
	e.abandon()
	if err != nil {
		return nil, err
	}
	return info, nil
}

// startFile starts a file with schema on the block's counting writer.
func (bw *BlockWriter) startFile(schema *parquet.Node) error {
	cw := &bw.enc.cw
	if bw.pw != nil && bw.schema != schema {
		// Extend the writer between files, writing to nothing: if it
		// cannot take schema, a new writer starts the block, which the
		// old one has then written nothing to (not even the magic).
		if bw.pw.Reset(io.Discard) == nil && bw.pw.Extend(schema) == nil {
			bw.schema = schema
		} else {
			bw.pw = nil
		}
	}
	if bw.pw != nil {
		if err := bw.pw.Reset(cw); err != nil {
			return fmt.Errorf("engine: parquet writer: %w", err)
		}
		return nil
	}
	pw, err := parquet.NewWriter(cw, schema, bw.opts.Parquet)
	if err != nil {
		return fmt.Errorf("engine: parquet writer: %w", err)
	}
	bw.pw, bw.schema = pw, schema
	return nil
}

// writeGroup writes a shredded row group, the file's g-th, and learns its
// ratio of Parquet bytes to entry bytes.
func (bw *BlockWriter) writeGroup(b *Block, g int) error {
	if b.Schema != bw.schema {
		if err := bw.pw.Extend(b.Schema); err != nil {
			return fmt.Errorf("engine: row group %d: %w", g, err)
		}
		bw.schema = b.Schema
	}
	before := bw.enc.cw.n
	if err := bw.pw.WriteRowGroup(b.Columns); err != nil {
		return fmt.Errorf("engine: row group %d: %w", g, err)
	}
	// A short row group compresses worse: weigh its ratio by its size.
	if in := b.Bytes; in > 0 && bw.opts.RowGroupBytes <= 0 {
		r := float64(bw.enc.cw.n-before) / float64(in)
		w := min(float64(in)/(4<<20), 1) / 2
		old := math.Float64frombits(bw.outPerIn.Load())
		bw.outPerIn.Store(math.Float64bits(old + (r-old)*w))
	}
	return nil
}

// Pipeline writes a sequence of blocks with shredding and encoding
// overlapped: Submit shreds a batch on the caller's goroutine, a row group
// at a time, and hands each row group to a goroutine that encodes and
// writes it while the caller shreds the next one (of the same block or of
// the next batch). It needs a BlockWriter made with BlockOptions.Pipelined.
type Pipeline struct {
	bw   *BlockWriter
	ctx  context.Context
	jobs chan *blockJob
	done chan struct{}
	err  error // first error of the encoder; read after done
}

// ErrNotPipelined is returned by Pipeline for a BlockWriter made without
// BlockOptions.Pipelined.
var ErrNotPipelined = errors.New("engine: the BlockWriter was not made with BlockOptions.Pipelined")

// Pipeline starts a pipeline. Until its Close returns, the BlockWriter
// must not be used otherwise.
func (bw *BlockWriter) Pipeline(ctx context.Context) (*Pipeline, error) {
	if !bw.opts.Pipelined {
		return nil, ErrNotPipelined
	}
	p := &Pipeline{bw: bw, ctx: ctx, jobs: make(chan *blockJob), done: make(chan struct{})}
	go p.encoder()
	return p, nil
}

func (p *Pipeline) encoder() {
	defer close(p.done)
	for j := range p.jobs {
		if j.kind == jobAbandon {
			p.bw.encodeJob(p.ctx, j)
			continue
		}
		if p.err != nil {
			// After a failure every later block fails with the same error.
			if j.last && j.then != nil {
				j.then(nil, p.err)
			}
			continue
		}
		info, err := p.bw.encodeJob(p.ctx, j)
		if err != nil {
			p.err = err
		}
		if j.last && j.then != nil {
			j.then(info, err)
		}
	}
}

// Submit shreds entries and queues their row groups to be written to out
// as one block; then, if not nil, is called on the encoder's goroutine
// with the result once the block is written (its BlockInfo is valid
// during the call). Submit returns once the block's last row group is in
// the encoder's hands. After a failure every later block fails with the
// same error. If shredding fails (ctx is cancelled or a column exceeds a
// limit), Submit returns the error, then is not called and whatever was
// written to out is to be discarded.
func (p *Pipeline) Submit(entries []cdc.Entry, out io.Writer, then func(*BlockInfo, error)) error {
	if err := p.ctx.Err(); err != nil {
		return err
	}
	err := p.bw.shredBlock(p.ctx, entries, out, func(j *blockJob) error {
		if j.last {
			j.then = then
		}
		select {
		case p.jobs <- j:
			return nil
		case <-p.done:
			return p.err
		}
	})
	if err != nil {
		select {
		case p.jobs <- &blockJob{kind: jobAbandon}:
		case <-p.done:
		}
		return err
	}
	return nil
}

// Close waits for the last block to be written and returns the first
// error the encoder met.
func (p *Pipeline) Close() error {
	close(p.jobs)
	<-p.done
	return p.err
}

// needsBackfill reports whether final adds a leaf to a top-level field
// that old has: such a leaf needs the levels of the rows of a row group
// written with old.
func needsBackfill(old, final *parquet.Node) bool {
	have := make(map[string]bool, len(old.Children))
	for _, c := range old.Children {
		have[c.Name] = true
	}
	oldLeaves := leafPaths(old)
	for _, c := range final.Children {
		if !have[c.Name] {
			continue
		}
		for _, p := range leafPathsUnder(c, []string{c.Name}, nil) {
			if !oldLeaves[parquet.PathKey(p)] {
				return true
			}
		}
	}
	return false
}

// leafPaths lists the paths of a schema's leaves, as pathKeys.
func leafPaths(root *parquet.Node) map[string]bool {
	m := make(map[string]bool)
	for _, c := range root.Children {
		for _, p := range leafPathsUnder(c, []string{c.Name}, nil) {
			m[parquet.PathKey(p)] = true
		}
	}
	return m
}

func leafPathsUnder(n *parquet.Node, path []string, dst [][]string) [][]string {
	if n.IsLeaf() {
		return append(dst, path)
	}
	for _, c := range n.Children {
		dst = leafPathsUnder(c, append(path[:len(path):len(path)], c.Name), dst)
	}
	return dst
}

// backfillColumns builds, from b (the rows of a row group written with
// the schema old, shredded again with the block's final schema), the
// columns of the leaves old lacks in the top-level fields old has. Such a
// leaf is null in every row (its value, if any, was rescued when the row
// group was written), but where it is null depends on the shape of the
// rows: its levels are those of a leaf old has under the deepest group
// the two share, cut at that group (entries inside lists below it
// dropped, definition levels capped at the group's).
func backfillColumns(a *arena.Arena, b *Block, old *parquet.Node, dst []parquet.ColumnData) ([]parquet.ColumnData, error) {
	have := leafPaths(old)
	top := make(map[string]bool, len(old.Children))
	for _, c := range old.Children {
		top[c.Name] = true
	}
	for i := range b.Columns {
		c := &b.Columns[i]
		if have[parquet.PathKey(c.Path)] || !top[c.Path[0]] {
			continue
		}
		// The deepest group of old on c's path, and a leaf of old under it.
		var tmpl *parquet.ColumnData
		depth := 0
		for k := range b.Columns {
			o := &b.Columns[k]
			if !have[parquet.PathKey(o.Path)] {
				continue
			}
			n := 0
			for n < len(o.Path) && n < len(c.Path)-1 && o.Path[n] == c.Path[n] {
				n++
			}
			if n > depth {
				tmpl, depth = o, n
			}
		}
		if tmpl == nil {
			return nil, fmt.Errorf("engine: new column %v: no column of its field in the row group", c.Path)
		}
		// Levels of the group at depth: definition and repetition.
		var def, rep uint8
		n := b.Schema
		for _, name := range c.Path[:depth] {
			n = childNamed(n, name)
			if n == nil {
				return nil, fmt.Errorf("engine: new column %v: no group %q in the schema", c.Path, name)
			}
			switch n.Repetition {
			case parquet.Optional:
				def++
			case parquet.Repeated:
				def++
				rep++
			}
		}
		defs := arena.MakeAppend[uint8](a, 0, tmpl.NumLevels)
		var reps []uint8
		if c.MaxRep > 0 {
			reps = arena.MakeAppend[uint8](a, 0, tmpl.NumLevels)
		}
		for e := range tmpl.NumLevels {
			r := uint8(0)
			if tmpl.MaxRep > 0 {
				r = tmpl.RepLevels[e]
			}
			if r > rep {
				continue // inside a list below the group
			}
			d := uint8(0)
			if tmpl.MaxDef > 0 {
				d = tmpl.DefLevels[e]
			}
			defs = append(defs, min(d, def))
			if reps != nil {
				reps = append(reps, r)
			}
		}
		dst = append(dst, parquet.ColumnData{Path: c.Path, Leaf: c.Leaf, MaxDef: c.MaxDef, MaxRep: c.MaxRep,
			NumLevels: len(defs), DefLevels: defs, RepLevels: reps})
	}
	return dst, nil
}

func childNamed(n *parquet.Node, name string) *parquet.Node {
	for _, c := range n.Children {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// BlockFile is an open block file.
type BlockFile struct {
	f *parquet.File
}

// OpenBlock opens a block file of the given size.
func OpenBlock(r io.ReaderAt, size int64) (*BlockFile, error) {
	f, err := parquet.OpenFile(r, size)
	if err != nil {
		return nil, err
	}
	return &BlockFile{f: f}, nil
}

// Schema is the block's Parquet schema.
func (b *BlockFile) Schema() *parquet.Node { return b.f.Schema() }

// NumRows is the number of rows of the block.
func (b *BlockFile) NumRows() int64 { return b.f.NumRows() }

// NumRowGroups is the number of row groups of the block.
func (b *BlockFile) NumRowGroups() int { return b.f.NumRowGroups() }

// Columns reads the leaf columns of row group i.
func (b *BlockFile) Columns(i int) ([]parquet.ColumnData, error) { return b.f.ReadRowGroup(i) }

// Rows reads every row of the block.
func (b *BlockFile) Rows(ctx context.Context) ([]Row, error) {
	var rows []Row
	for i := range b.f.NumRowGroups() {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		cols, err := b.f.ReadRowGroup(i)
		if err != nil {
			return nil, fmt.Errorf("engine: row group %d: %w", i, err)
		}
		rs, err := Rows(b.f.Schema(), cols)
		if err != nil {
			return nil, fmt.Errorf("engine: row group %d: %w", i, err)
		}
		rows = append(rows, rs...)
	}
	return rows, nil
}

// Entry turns a row back into a CDC entry of table, its data as JSON, for
// writing it again (compaction).
func (r *Row) Entry(table string) (cdc.Entry, error) {
	data, err := r.JSON()
	if err != nil {
		return cdc.Entry{}, err
	}
	return cdc.Entry{Op: r.Op, Table: table, Data: data, LSN: r.LSN, Producer: r.Producer, CommitTime: r.CommitTime}, nil
}
