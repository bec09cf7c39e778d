package engine

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/evodb/writer/cdc"
	"github.com/evodb/writer/engine/parquet"
)

// DefaultRowGroupBytes is the default target size of a row group, counted
// in the bytes of the entries that go into it (cdc.Entry.Size).
const DefaultRowGroupBytes = 64 << 20

// BlockOptions configures a BlockWriter. The zero value is usable: zstd
// (level 1), row groups of DefaultRowGroupBytes.
type BlockOptions struct {
	Shredder Options
	// Parquet configures the encoder. Its zero Compression (none) is taken
	// to mean zstd at ZstdLevel (default 1); set Uncompressed for none.
	Parquet parquet.WriterOptions
	// Uncompressed writes pages without compression.
	Uncompressed bool
	// RowGroupBytes is the target size of a row group in entry bytes.
	RowGroupBytes int
	// Pipelined lets the writer run a Pipeline (shredding one block while
	// encoding the one before): the shredder keeps two blocks' memory.
	Pipelined bool
}

// BlockWriter turns batches of entries of one table into Parquet blocks,
// one file per batch, keeping the table's schema from batch to batch. Not
// safe for concurrent use.
type BlockWriter struct {
	s      *Shredder
	opts   BlockOptions
	pw     *parquet.Writer
	schema *parquet.Node // the schema pw was made for
	groups []parquet.ColumnData
	cuts   []int
	// entries decoded by WriteJSONLines, reused from batch to batch
	entries []cdc.Entry
}

// BlockInfo describes a block WriteBlock wrote.
type BlockInfo struct {
	Schema    *parquet.Node // valid until the next WriteBlock
	Rows      int64
	RowGroups int
	Bytes     int64 // bytes written to the io.Writer
	Stats     Stats
	Errors    []*RowError // rows left out; valid until the next WriteBlock
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
	if opts.RowGroupBytes <= 0 {
		opts.RowGroupBytes = DefaultRowGroupBytes
	}
	return &BlockWriter{s: s, opts: opts}, nil
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
	b, err := bw.s.Shred(entries)
	if err != nil {
		return nil, err
	}
	bw.cuts = rowGroupCuts(entries, b, bw.opts.RowGroupBytes, bw.cuts[:0])
	return bw.encode(ctx, out, b, bw.cuts)
}

// rowGroupCuts splits the accepted rows of a block into row groups of
// consecutive rows up to the target size and returns the rows where they
// start, and the number of rows at the end.
func rowGroupCuts(entries []cdc.Entry, b *Block, target int, cuts []int) []int {
	cuts = append(cuts, 0)
	rejected := b.Errors
	size, row := 0, 0
	for i := range entries {
		if len(rejected) > 0 && rejected[0].Index == i {
			rejected = rejected[1:]
			continue
		}
		size += entries[i].Size()
		row++
		if size >= target && row < b.Stats.Rows {
			cuts = append(cuts, row)
			size = 0
		}
	}
	if b.Stats.Rows > 0 {
		cuts = append(cuts, b.Stats.Rows)
	}
	return cuts
}

// encode writes a shredded block as a Parquet file.
func (bw *BlockWriter) encode(ctx context.Context, out io.Writer, b *Block, cuts []int) (*BlockInfo, error) {
	cw := &countingWriter{w: out}
	if bw.pw == nil || bw.schema != b.Schema {
		pw, err := parquet.NewWriter(cw, b.Schema, bw.opts.Parquet)
		if err != nil {
			return nil, fmt.Errorf("engine: parquet writer: %w", err)
		}
		bw.pw, bw.schema = pw, b.Schema
	} else if err := bw.pw.Reset(cw); err != nil {
		return nil, fmt.Errorf("engine: parquet writer: %w", err)
	}
	info := &BlockInfo{Schema: b.Schema, Rows: int64(b.Stats.Rows), Stats: b.Stats, Errors: b.Errors}
	groups, err := splitRowGroups(b.Columns, cuts, bw.groups[:0])
	if err != nil {
		return nil, err
	}
	bw.groups = groups
	n := len(b.Columns)
	for g := 0; g+1 < len(cuts); g++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if err := bw.pw.WriteRowGroup(groups[g*n : (g+1)*n]); err != nil {
			return nil, fmt.Errorf("engine: row group %d: %w", g, err)
		}
		info.RowGroups++
	}
	if err := bw.pw.Close(); err != nil {
		return nil, fmt.Errorf("engine: closing the block: %w", err)
	}
	info.Bytes = cw.n
	return info, nil
}

// Pipeline writes a sequence of blocks with shredding and encoding
// overlapped: Submit shreds a batch on the caller's goroutine and hands
// the block to a goroutine that encodes and writes it while the caller
// goes on to the next batch. It needs a BlockWriter made with
// BlockOptions.Pipelined.
type Pipeline struct {
	bw   *BlockWriter
	ctx  context.Context
	jobs chan pipelineJob
	done chan struct{}
	cuts [2][]int
	next int
	err  error // first error of the encoder; read after done
}

type pipelineJob struct {
	b    *Block
	cuts []int
	out  io.Writer
	then func(*BlockInfo, error)
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
	p := &Pipeline{bw: bw, ctx: ctx, jobs: make(chan pipelineJob), done: make(chan struct{})}
	go p.encoder()
	return p, nil
}

func (p *Pipeline) encoder() {
	defer close(p.done)
	for j := range p.jobs {
		var info *BlockInfo
		err := p.err
		if err == nil {
			info, err = p.bw.encode(p.ctx, j.out, j.b, j.cuts)
			if err != nil {
				p.err = err
			}
		}
		if j.then != nil {
			j.then(info, err)
		}
	}
}

// Submit shreds entries and queues the block to be written to out; then,
// if not nil, is called on the encoder's goroutine with the result once
// the block is written (its BlockInfo is valid during the call). Submit
// waits while the previous block is still being encoded. After a failure
// every later block fails with the same error.
func (p *Pipeline) Submit(entries []cdc.Entry, out io.Writer, then func(*BlockInfo, error)) error {
	if err := p.ctx.Err(); err != nil {
		return err
	}
	b, err := p.bw.s.Shred(entries)
	if err != nil {
		return err
	}
	// The cut buffers alternate like the shredder's block buffers.
	p.cuts[p.next] = rowGroupCuts(entries, b, p.bw.opts.RowGroupBytes, p.cuts[p.next][:0])
	cuts := p.cuts[p.next]
	p.next ^= 1
	select {
	case p.jobs <- pipelineJob{b: b, cuts: cuts, out: out, then: then}:
		return nil
	case <-p.done:
		return p.err
	}
}

// Close waits for the last block to be written and returns the first
// error the encoder met.
func (p *Pipeline) Close() error {
	close(p.jobs)
	<-p.done
	return p.err
}

// splitRowGroups cuts every column at the rows in cuts (increasing, from
// 0 to the number of rows) and appends, row group after row group, the
// pieces to dst. The pieces share the columns' memory.
func splitRowGroups(cols []parquet.ColumnData, cuts []int, dst []parquet.ColumnData) ([]parquet.ColumnData, error) {
	groups := max(len(cuts)-1, 0)
	base := len(dst)
	for range groups * len(cols) {
		dst = append(dst, parquet.ColumnData{})
	}
	for ci := range cols {
		c := &cols[ci]
		level, value := 0, 0
		for g := range groups {
			endRow := cuts[g+1]
			l0, v0 := level, value
			// Advance to the first level entry of row endRow.
			if c.MaxRep == 0 {
				level = endRow
			} else {
				rows := cuts[g]
				for level < c.NumLevels {
					if c.RepLevels[level] == 0 {
						if rows == endRow {
							break
						}
						rows++
					}
					level++
				}
			}
			if level > c.NumLevels {
				return nil, fmt.Errorf("engine: column %v has %d level entries, fewer than rows", c.Path, c.NumLevels)
			}
			if c.MaxDef == 0 {
				value = level
			} else {
				for _, d := range c.DefLevels[l0:level] {
					if d == c.MaxDef {
						value++
					}
				}
			}
			p := &dst[base+g*len(cols)+ci]
			*p = parquet.ColumnData{Path: c.Path, Leaf: c.Leaf, MaxDef: c.MaxDef, MaxRep: c.MaxRep, NumLevels: level - l0}
			if c.MaxDef > 0 {
				p.DefLevels = c.DefLevels[l0:level]
			}
			if c.MaxRep > 0 {
				p.RepLevels = c.RepLevels[l0:level]
			}
			switch c.Leaf.Type {
			case parquet.Boolean:
				p.Bools = c.Bools[v0:value]
			case parquet.Int32:
				p.Int32s = c.Int32s[v0:value]
			case parquet.Int64:
				p.Int64s = c.Int64s[v0:value]
			case parquet.Float:
				p.Floats = c.Floats[v0:value]
			case parquet.Double:
				p.Doubles = c.Doubles[v0:value]
			case parquet.ByteArray:
				p.Bytes = c.Bytes
				p.Offsets = c.Offsets[v0 : value+1]
			}
		}
	}
	return dst, nil
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
