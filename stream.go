package writer

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"time"

	"github.com/evodb/writer/cdc"
	"github.com/evodb/writer/engine"
	"github.com/evodb/writer/manifest"
)

// ErrStreamConflict is matched by the error FlushBlocks returns when a
// concurrent commit (another writer's) holds some of its entries or
// changed the table's schema: its blocks were deleted and nothing of the
// batches was committed. Flush would write such a batch again; FlushBlocks
// no longer has the entries, so the caller writes them again if it wants.
var ErrStreamConflict = errors.New("writer: a concurrent commit clashed with the streamed blocks")

// A BlockSource hands FlushBlocks the entries of one commit, a batch at a
// time. The writer calls Next and Done from its own goroutines, never two
// Nexts or two Dones at once.
type BlockSource interface {
	// Next returns the next batch of the commit, or io.EOF when the
	// commit has them all (another error fails the flush). A batch is
	// written as one block, or as several when it holds more than one
	// block's worth (InputBytesPerBlock); its entries must stay unchanged
	// until Done is called for it.
	Next(ctx context.Context) ([]cdc.Entry, error)
	// Done is called once for each batch Next returned (batch counts
	// them from 0 in the order Next returned them) when its blocks are
	// written and its entries no longer needed; rejected lists the rows
	// refused, with their indexes in the batch. Batches are mostly done
	// in order, but one whose blocks add no column to the commit may be
	// done before the ones ahead of it. After a failure, Done is not
	// called for the batches that were not done yet.
	Done(batch int, rejected []*engine.RowError)
}

// FlushBlocks writes the batches src hands out as blocks, BlockEncoders of
// them at once, and commits them all as one commit, as Flush would
// commit the batches' entries in one slice: the same duplicate filter (an
// entry whose LSN its producer committed before, or that repeats one of
// the commit's, is dropped), the same blocks and schema rules. Unlike
// Flush it holds only the batches being written, not the commit's
// entries: each is given back (Done) once its blocks are written, so the
// memory does not grow with the commit. The price: when a concurrent
// commit clashes with this one, FlushBlocks cannot write the entries
// again and fails with an error matching ErrStreamConflict (nothing of
// the batches committed). FlushResult.Rejected is nil: the rejected rows
// go to Done, batch by batch.
func (w *LakehouseWriter) FlushBlocks(ctx context.Context, src BlockSource) (FlushResult, error) {
	if w.closed.Load() {
		return FlushResult{}, ErrClosed
	}
	w.flushMu.Lock()
	defer w.flushMu.Unlock()
	if w.bw == nil {
		return FlushResult{}, ErrClosed
	}
	start := time.Now()
	res, rejected, err := w.flushBlocks(ctx, src)
	if err != nil {
		w.stats.update(func(s *Stats) {
			s.FailedFlushes++
			if errors.Is(err, manifest.ErrCommitUnknown) {
				s.Unknown++
			}
			if errors.Is(err, ErrStreamConflict) {
				s.CommitConflicts++
			}
		})
		w.cfg.Logger.Warn("writer: flush failed", "streamed", true, "err", err)
		return res, err
	}
	w.stats.update(func(s *Stats) {
		s.Flushes++
		s.Duplicates += int64(res.Duplicates)
		s.Rejected += int64(rejected)
		s.LastFlush = w.cfg.Clock()
	})
	w.cfg.Logger.Debug("writer: flush", "streamed", true, "version", res.Version, "rows", res.RowCount, "blocks", len(res.BlockPaths),
		"bytes", res.Bytes, "duplicates", res.Duplicates, "rejected", rejected, "took", time.Since(start))
	return res, nil
}

// streamBatch is a batch of a streamed flush on its way through the
// writers.
type streamBatch struct {
	entries []cdc.Entry
	kept    []cdc.Entry // entries not committed before
	index   []int       // kept's indexes in entries (nil: the same)
	blocks  []*block
	err     error
	settled bool // ahead of its turn (see finish)
}

// stream is the state of one FlushBlocks.
type stream struct {
	w      *LakehouseWriter
	src    BlockSource
	filter *lsnFilter

	nextMu sync.Mutex // guards the source's Next, the filter, seq, eof
	seq    int
	eof    bool

	doneMu  sync.Mutex // guards what follows: the batches finished
	turn    *sync.Cond // on doneMu: a batch was settled, or the flush failed
	merged  manifest.StructType
	written map[int]*streamBatch // finished, not settled in order yet
	inOrder int                  // the first batch not settled in order
	settled int                  // batches settled (Done) so far
	done    map[int][]*block     // the blocks of the batches settled
	rescued int
	rejects int
	failed  error
}

func (w *LakehouseWriter) flushBlocks(ctx context.Context, src BlockSource) (res FlushResult, rejected int, err error) {
	snap := w.latest()
	res.Version = snap.Version()
	if err := ctx.Err(); err != nil {
		return res, 0, err
	}
	if snap.Metadata().SchemaString != w.bwSchema {
		if err := w.resetBlockWriter(snap); err != nil {
			return res, 0, err
		}
	}
	table, err := snap.Schema()
	if err != nil {
		return res, 0, err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	s := &stream{w: w, src: src, filter: newLSNFilter(snap), merged: table, written: map[int]*streamBatch{}, done: map[int][]*block{}}
	s.turn = sync.NewCond(&s.doneMu)
	var wg sync.WaitGroup
	for _, bw := range w.encs {
		wg.Go(func() {
			if err := s.work(ctx, bw); err != nil {
				s.fail(err)
				cancel()
			}
		})
	}
	wg.Wait()
	var blocks []*block
	for seq := range s.seq {
		blocks = append(blocks, s.done[seq]...)
		if b := s.written[seq]; b != nil && !b.settled {
			blocks = append(blocks, b.blocks...) // after a failure
		}
	}
	if s.failed != nil {
		w.dropBlocks(blocks)
		// The block writers' state after a failure is not known: start
		// again from the table's schema.
		if rerr := w.resetBlockWriter(snap); rerr != nil {
			return res, s.rejects, errors.Join(s.failed, rerr)
		}
		return res, s.rejects, s.failed
	}
	res.Duplicates = s.filter.dups
	res.Rescued = s.rescued
	highest := s.filter.highest
	if len(highest) == 0 && len(blocks) == 0 {
		res.Duplicate = res.Duplicates > 0
		res.Committed = s.filter.committed(snap)
		return res, s.rejects, nil
	}
	actions, err := w.actions(snap, blocks, highest)
	if err != nil {
		w.dropBlocks(blocks)
		var clash *schemaClashError
		if errors.As(err, &clash) {
			err = fmt.Errorf("%w: %w", ErrStreamConflict, err)
		}
		return res, s.rejects, err
	}
	if len(actions) == 0 {
		return res, s.rejects, nil
	}
	cr, resumed, err := w.commit(ctx, snap, actions, len(blocks))
	if err != nil && resumed {
		// As in flush: never delete what a commit may use.
		for _, b := range blocks {
			b.written = false
		}
	}
	switch {
	case err == nil:
	case errors.Is(err, manifest.ErrDuplicate) || errors.Is(err, manifest.ErrConflict):
		w.dropBlocks(blocks)
		if next, uerr := w.table.Update(context.WithoutCancel(ctx), snap); uerr == nil {
			w.remember(next)
		}
		return res, s.rejects, fmt.Errorf("%w: %w", ErrStreamConflict, err)
	case errors.Is(err, manifest.ErrCommitUnknown):
		return res, s.rejects, err
	default:
		w.dropBlocks(blocks)
		return res, s.rejects, err
	}
	w.remember(cr.Snapshot)
	if cr.CheckpointErr != nil {
		w.cfg.Logger.Warn("writer: checkpoint failed; the table is intact", "version", cr.Version, "err", cr.CheckpointErr)
	}
	res.Version = cr.Version
	for _, b := range blocks {
		res.BlockPaths = append(res.BlockPaths, b.key)
		res.RowCount += b.rows
		res.Bytes += b.size
	}
	if len(res.BlockPaths) > 0 {
		res.BlockPath = res.BlockPaths[0]
	}
	res.Committed = s.filter.committed(cr.Snapshot)
	w.stats.update(func(st *Stats) {
		st.Commits++
		st.BlocksWritten += int64(len(blocks))
		st.BytesWritten += res.Bytes
		st.RowsWritten += res.RowCount
		st.Rescued += int64(res.Rescued)
	})
	return res, s.rejects, nil
}

func (s *stream) fail(err error) {
	s.doneMu.Lock()
	if s.failed == nil {
		s.failed = err
	}
	s.turn.Broadcast()
	s.doneMu.Unlock()
}

// work takes batches from the source and writes them with bw until the
// source has no more or something fails.
func (s *stream) work(ctx context.Context, bw *engine.BlockWriter) error {
	w := s.w
	for {
		b, seq, err := s.next(ctx)
		if err != nil || b == nil {
			return err
		}
		if len(b.kept) > 0 {
			b.blocks, b.err = w.writeCuts(ctx, b.kept, b.index, nil, []*engine.BlockWriter{bw}, len(w.encs) == 1)
		}
		if err := s.finish(ctx, seq, b); err != nil {
			return err
		}
	}
}

// next takes the source's next batch and filters it; nil at the end.
func (s *stream) next(ctx context.Context) (*streamBatch, int, error) {
	s.nextMu.Lock()
	defer s.nextMu.Unlock()
	if s.eof {
		return nil, 0, nil
	}
	// Hold at most one batch beyond those the block writers write: a
	// batch written before the one ahead of it may wait for it (to be
	// settled in order), and a writer racing ahead would otherwise take
	// batch after batch meanwhile.
	s.doneMu.Lock()
	for s.seq-s.settled > len(s.w.encs) && s.failed == nil {
		s.turn.Wait()
	}
	failed := s.failed != nil
	s.doneMu.Unlock()
	if failed {
		s.eof = true
		return nil, 0, nil
	}
	if err := ctx.Err(); err != nil {
		s.eof = true
		return nil, 0, err
	}
	entries, err := s.src.Next(ctx)
	if err == io.EOF {
		s.eof = true
		return nil, 0, nil
	}
	if err != nil {
		s.eof = true
		return nil, 0, err
	}
	for i := range entries {
		if e := &entries[i]; e.LSN < 0 {
			s.eof = true
			return nil, 0, fmt.Errorf("%w: entry %d of batch %d (producer %q) has the negative LSN %d; LSNs are 0 or more", ErrInvalidEntry, i, s.seq+1, e.Producer, e.LSN)
		}
	}
	b := &streamBatch{entries: entries}
	b.kept, b.index = s.filter.add(entries)
	if s.w.source == "" && len(b.kept) > 0 {
		// The table new block writers take; they are made while batches
		// are settled, under doneMu.
		s.doneMu.Lock()
		s.w.source = b.kept[0].Table
		s.doneMu.Unlock()
	}
	seq := s.seq
	s.seq++
	return b, seq, nil
}

// finish records a written batch and settles the batches it can:
// in order, each batch's blocks' schemas are merged onto the table's and
// those of the blocks before them, and a block that clashes is written
// again under the merged types (see settleSchemas); a batch written ahead
// of its turn whose blocks add nothing to the schema merged so far is
// settled at once (whatever the batches before it add, it cannot clash
// with them: it has only columns merged already, of their types). The
// source is told a batch is done once it is settled.
func (s *stream) finish(ctx context.Context, seq int, b *streamBatch) error {
	s.doneMu.Lock()
	defer s.doneMu.Unlock()
	s.written[seq] = b
	if b.err != nil {
		return b.err
	}
	if s.failed != nil {
		return nil // the flush failed: leave the batches to be dropped
	}
	if seq != s.inOrder && s.addsNothing(b) {
		b.settled = true
		s.settle(seq, b, b.blocks)
	}
	for {
		b, ok := s.written[s.inOrder]
		if !ok || b.err != nil {
			return nil
		}
		seq := s.inOrder
		delete(s.written, seq)
		s.inOrder++
		if b.settled {
			continue
		}
		blocks, err := s.w.settleSchemas(ctx, b.kept, b.index, s.merged, b.blocks)
		if err != nil {
			s.done[seq] = blocks // what settleSchemas stored, to drop
			return err
		}
		for _, blk := range blocks {
			if !blk.written {
				continue
			}
			if s.merged, _, err = mergeSchema(s.merged, blk.schema); err != nil {
				s.done[seq] = blocks
				return err
			}
		}
		s.settle(seq, b, blocks)
	}
}

// addsNothing reports whether the blocks of b have only columns merged
// already, of the same types.
func (s *stream) addsNothing(b *streamBatch) bool {
	for _, blk := range b.blocks {
		if !blk.written {
			continue
		}
		if _, changed, err := mergeSchema(s.merged, blk.schema); err != nil || changed {
			return false
		}
	}
	return true
}

// settle records the blocks of batch seq and tells the source it is done.
func (s *stream) settle(seq int, b *streamBatch, blocks []*block) {
	var rejected []*engine.RowError
	var kept []*block
	for _, blk := range blocks {
		rejected = append(rejected, blk.rejected...)
		s.rescued += blk.rescued
		if blk.written { // else every row was rejected: no file
			kept = append(kept, blk)
		}
	}
	slices.SortFunc(rejected, func(a, c *engine.RowError) int { return a.Index - c.Index })
	s.done[seq] = kept
	s.rejects += len(rejected)
	s.settled++
	s.turn.Broadcast()
	s.src.Done(seq, rejected)
}

// lsnFilter drops, batch after batch, the entries of a commit that
// filterCommitted would drop from all of them at once: those whose LSN
// their producer committed before (in snap), and repeats of a (producer,
// LSN) kept before in the commit. It remembers the LSNs kept per producer
// (as steps of a byte or two while a producer's LSNs rise, a set once
// they do not).
type lsnFilter struct {
	snap    *manifest.Snapshot
	highest map[string]int64 // per producer, of the kept entries
	prods   map[string]*lsnProducer
	dups    int
}

type lsnProducer struct {
	txn    int64
	hasTxn bool
	// rising holds the LSNs kept while they rise, as uvarint steps from
	// the one before (the first from 0): a byte or two an entry. Once an
	// LSN falls back, set holds them instead.
	rising []byte
	set    map[int64]bool
	last   int64 // the highest kept
	any    bool  // one was kept
}

func newLSNFilter(snap *manifest.Snapshot) *lsnFilter {
	return &lsnFilter{snap: snap, highest: map[string]int64{}, prods: map[string]*lsnProducer{}}
}

// add filters a batch: kept is entries itself (index nil) when nothing
// is dropped, a copy otherwise, with index mapping it to entries.
func (f *lsnFilter) add(entries []cdc.Entry) (kept []cdc.Entry, index []int) {
	var (
		cur     *lsnProducer
		curName string
	)
	copying := false
	for i := range entries {
		e := &entries[i]
		drop := false
		if e.Producer != "" {
			if cur == nil || e.Producer != curName {
				if cur != nil && cur.any {
					f.highest[curName] = cur.last
				}
				p, ok := f.prods[e.Producer]
				if !ok {
					p = &lsnProducer{}
					p.txn, p.hasTxn = f.snap.TxnVersion(e.Producer)
					f.prods[e.Producer] = p
				}
				cur, curName = p, e.Producer
			}
			drop = cur.seen(e.LSN)
		}
		if drop {
			f.dups++
			if !copying {
				copying = true
				kept = append(make([]cdc.Entry, 0, len(entries)-1), entries[:i]...)
				index = make([]int, i, len(entries)-1)
				for j := range index {
					index[j] = j
				}
			}
			continue
		}
		if copying {
			kept = append(kept, *e)
			index = append(index, i)
		}
	}
	if cur != nil && cur.any {
		f.highest[curName] = cur.last
	}
	if !copying {
		return entries, nil
	}
	return kept, index
}

// seen reports whether lsn is to be dropped, and records it if not.
func (p *lsnProducer) seen(lsn int64) bool {
	if p.hasTxn && lsn <= p.txn {
		return true
	}
	if !p.any || lsn > p.last {
		if p.set != nil {
			p.set[lsn] = true
		} else {
			p.rising = binary.AppendUvarint(p.rising, uint64(lsn-p.last))
		}
		p.last, p.any = lsn, true
		return false
	}
	if p.set == nil {
		p.set = map[int64]bool{}
		v := int64(0)
		for b := p.rising; len(b) > 0; {
			d, n := binary.Uvarint(b)
			v += int64(d)
			p.set[v] = true
			b = b[n:]
		}
		p.rising = nil
	}
	if p.set[lsn] {
		return true
	}
	p.set[lsn] = true
	return false
}

// committed maps each producer the filter met to its txn version in snap.
func (f *lsnFilter) committed(snap *manifest.Snapshot) map[string]int64 {
	out := map[string]int64{}
	for p := range f.prods {
		if v, ok := snap.TxnVersion(p); ok {
			out[p] = v
		}
	}
	return out
}
