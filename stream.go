package writer

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"maps"
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

// ErrEndOfCommit, returned by a BlockSource's Next, ends a commit: the
// batches Next returned since the last commit are committed together, and
// FlushBlocks goes on with the next ones, writing them while that commit
// is made.
var ErrEndOfCommit = errors.New("writer: end of commit")

// A BlockSource hands FlushBlocks entries, a batch at a time, and learns
// what became of them. The writer calls its methods from its own
// goroutines: never two Nexts, two Dones or two Committeds at once.
type BlockSource interface {
	// Next returns the next batch, ErrEndOfCommit to end a commit there,
	// or io.EOF when there are no more (another error fails the flush). A
	// batch is written as one block, or as several when it holds more than
	// one block's worth (InputBytesPerBlock); its entries must stay
	// unchanged until Done is called for it.
	Next(ctx context.Context) ([]cdc.Entry, error)
	// Done is called once for each batch Next returned (batch counts
	// them from 0 in the order Next returned them) when its blocks are
	// written and its entries no longer needed; rejected lists the rows
	// refused, with their indexes in the batch. Batches are mostly done
	// in order, but one whose blocks add no column to the table may be
	// done before the ones ahead of it. After a failure, Done is not
	// called for the batches that were not done yet.
	Done(batch int, rejected []*engine.RowError)
	// Committed is called after each commit, in order, with its result:
	// the batches before batch end (those of earlier commits excepted)
	// are in the table.
	Committed(res FlushResult, end int)
}

// A BlockSizer is a BlockSource that sizes its batches by the writer's
// estimate of the entry bytes of one block (InputBytesPerBlock). FlushBlocks
// tells it, batch after batch in order, the estimate as it stands once
// the blocks of that batch and of all before it are learnt from: the
// same figures for the same batches and options, however the block
// writers ran. A source sizing each batch by the figure a fixed number of
// batches before it so hands out the same batches on every run, and
// FlushBlocks cuts them into the same blocks. Learnt is called before
// Done for the batch, or after it for a batch done ahead of its turn,
// never for two batches at once.
type BlockSizer interface {
	Learnt(batch int, inputBytesPerBlock int64)
}

// FlushBlocks writes the batches src hands out as blocks, BlockEncoders of
// them at once, and commits them a commit at each ErrEndOfCommit and at
// the end; each commit is made as Flush would commit its batches' entries
// in one slice: the same duplicate filter (an entry whose LSN its producer
// committed before, or that repeats one of the commit's, is dropped), the
// same blocks and schema rules. Unlike Flush it holds only the batches
// being written, not a commit's entries: each is given back (Done) once
// its blocks are written, so the memory does not grow with the commit,
// and the block writers go on with the next commit's batches while a
// commit is made. The price: when a concurrent commit clashes with one of
// these, FlushBlocks cannot write the entries again and fails with an
// error matching ErrStreamConflict (the commits before it stand). The
// result sums the commits' (Version is the last one's; Rejected is nil:
// the rejected rows go to Done, batch by batch).
//
// The blocks, their boundaries and bytes, depend only on the batches, the
// options and what the writer had learnt before, as Flush's do, not on
// how the block writers ran: with several, batch k is cut and written
// with the compression ratio and row-group estimates learnt, in batch
// order, from the batches before k-BlockEncoders (from the first batch at
// least, once BlockEncoders batches were handed out; a writer may wait for
// the last of those to be written), and its blocks teach the writer once
// the batches before it have. A source that sizes its batches by the
// writer's estimate learns it in the same order (BlockSizer).
func (w *LakehouseWriter) FlushBlocks(ctx context.Context, src BlockSource) (FlushResult, error) {
	if w.closed.Load() {
		return FlushResult{}, ErrClosed
	}
	w.flushMu.Lock()
	defer w.flushMu.Unlock()
	if w.bw == nil {
		return FlushResult{}, ErrClosed
	}
	res, err := w.flushBlocks(ctx, src)
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
	settled bool      // ahead of its turn (see finish)
	est     *batchEst // with several block writers: what it was written with, and learnt
}

// stream is the state of one FlushBlocks.
type stream struct {
	w   *LakehouseWriter
	src BlockSource

	nextMu sync.Mutex // guards the source's Next, cur, seq, eof
	seq    int
	eof    bool
	srcErr error         // the source's failure: ends the stream after the commits closed before it
	cur    *streamCommit // the commit the batches go to

	doneMu  sync.Mutex // guards what follows: the batches finished
	turn    *sync.Cond // on doneMu: a batch was settled, or the flush failed
	merged  manifest.StructType
	written map[int]*streamBatch // finished, not settled in order yet
	inOrder int                  // the first batch not settled in order
	settled int                  // batches settled (Done) so far
	done    map[int][]*block     // the blocks of the batches settled
	rejects map[int]int          // rows rejected, per batch settled
	commits []*streamCommit      // commits closed, in order
	closed  bool                 // no more commits
	failed  error
	// With several block writers, batch seq is written with the writer's
	// estimates as they stood once the batches before seq-lag had taught
	// theirs, in batch order, and by a block writer that knows the schema
	// merged from them: states[k] is that after batch k-1 (states[0] at
	// the start). So its cuts and bytes depend on the batches before it,
	// not on which block writer finished first or wrote what before.
	lag    int
	states map[int]streamState
}

// streamState is what a batch of a streamed flush with several block
// writers is written with (see stream.states).
type streamState struct {
	est    estimates
	schema *engine.Schema // declared to its block writer (nil: none)
}

// streamCommit is a commit of a streamed flush: batches [start, end).
type streamCommit struct {
	start, end int
	filter     *lsnFilter
}

func (w *LakehouseWriter) flushBlocks(ctx context.Context, src BlockSource) (total FlushResult, err error) {
	snap := w.latest()
	total.Version = snap.Version()
	if err := ctx.Err(); err != nil {
		return total, err
	}
	if snap.Metadata().SchemaString != w.bwSchema {
		if err := w.resetBlockWriter(snap); err != nil {
			return total, err
		}
	}
	table, err := snap.Schema()
	if err != nil {
		return total, err
	}
	// The block writers stop at the first failure; the commits closed
	// before it whose batches are all written are still made (with the
	// caller's ctx).
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	wctx = withAsyncBlocks(wctx, ctx)
	s := &stream{w: w, src: src, merged: table, written: map[int]*streamBatch{}, done: map[int][]*block{}, rejects: map[int]int{}}
	if len(w.encs) > 1 {
		s.lag = len(w.encs)
		w.estMu.Lock()
		start := estimates{ratio: w.ratio.sums(), rg: w.encs[0].Estimates()}
		if w.rgEst != nil {
			start.rg = *w.rgEst
		}
		w.estMu.Unlock()
		declared, err := declaredSchema(table, w.cfg.Schema)
		if err != nil {
			return total, err
		}
		s.states = map[int]streamState{0: {est: start, schema: declared}}
	}
	s.cur = &streamCommit{filter: newLSNFilter(snap)}
	s.turn = sync.NewCond(&s.doneMu)
	var wg sync.WaitGroup
	for i := range w.encs {
		wg.Go(func() {
			if err := s.work(wctx, i); err != nil {
				s.fail(err)
				cancel()
			}
		})
	}
	committed := make(chan struct{})
	go func() {
		defer close(committed)
		if err := s.commitAll(ctx, snap, &total); err != nil {
			s.fail(err)
			cancel()
		}
	}()
	wg.Wait()
	w.bw = w.encs[0] // replaced if it had to start over from a schema
	s.doneMu.Lock()
	s.closed = true
	s.turn.Broadcast()
	s.doneMu.Unlock()
	<-committed
	if s.failed == nil && s.srcErr != nil {
		s.failed = s.srcErr
	}
	if s.failed != nil {
		// Nothing after the commits made is committed: drop its blocks.
		var blocks []*block
		for seq := range s.seq {
			blocks = append(blocks, s.done[seq]...)
			if b := s.written[seq]; b != nil && !b.settled {
				blocks = append(blocks, b.blocks...)
			}
		}
		w.dropBlocks(blocks)
		// The block writers' state after a failure is not known: start
		// again from the table's schema.
		if rerr := w.resetBlockWriter(w.latest()); rerr != nil {
			return total, errors.Join(s.failed, rerr)
		}
		return total, s.failed
	}
	return total, nil
}

// commitAll makes the commits of the stream in order, each once its
// batches are settled, starting from snap, until one fails or a failure
// of the block writers left one unfinished; total sums their results.
func (s *stream) commitAll(ctx context.Context, snap *manifest.Snapshot, total *FlushResult) error {
	w := s.w
	for k := 0; ; k++ {
		s.doneMu.Lock()
		for !(k < len(s.commits) && s.inOrder >= s.commits[k].end) {
			if s.closed && (k >= len(s.commits) || s.failed != nil) {
				// No more commits, or a failure before this one's
				// batches were all written.
				s.doneMu.Unlock()
				return nil
			}
			s.turn.Wait()
		}
		c := s.commits[k]
		var blocks []*block
		rejected := 0
		for seq := c.start; seq < c.end; seq++ {
			blocks = append(blocks, s.done[seq]...)
			delete(s.done, seq)
			rejected += s.rejects[seq]
		}
		s.doneMu.Unlock()
		start := time.Now()
		res, next, err := w.commitBlocks(ctx, snap, blocks, c.filter)
		if err != nil {
			return err
		}
		snap = next
		w.stats.update(func(st *Stats) {
			st.Flushes++
			st.Duplicates += int64(res.Duplicates)
			st.Rejected += int64(rejected)
			st.LastFlush = w.cfg.Clock()
		})
		w.cfg.Logger.Debug("writer: flush", "streamed", true, "version", res.Version, "rows", res.RowCount, "blocks", len(res.BlockPaths),
			"bytes", res.Bytes, "duplicates", res.Duplicates, "rejected", rejected, "took", time.Since(start))
		total.Version = res.Version
		total.BlockPaths = append(total.BlockPaths, res.BlockPaths...)
		if total.BlockPath == "" {
			total.BlockPath = res.BlockPath
		}
		total.RowCount += res.RowCount
		total.Bytes += res.Bytes
		total.Duplicates += res.Duplicates
		total.Rescued += res.Rescued
		total.Duplicate = total.RowCount == 0 && total.Duplicates > 0
		if total.Committed == nil {
			total.Committed = map[string]int64{}
		}
		maps.Copy(total.Committed, res.Committed)
		s.src.Committed(res, c.end)
	}
}

// commitBlocks commits the blocks of a streamed commit, whose entries
// filter let through, on top of snap; next is the snapshot after it (snap
// when nothing was to commit). On error its blocks are deleted, unless
// the commit may have happened.
func (w *LakehouseWriter) commitBlocks(ctx context.Context, snap *manifest.Snapshot, blocks []*block, filter *lsnFilter) (res FlushResult, next *manifest.Snapshot, err error) {
	res.Version = snap.Version()
	res.Duplicates = filter.dups
	for _, b := range blocks {
		res.Rescued += b.rescued
	}
	// The blocks were written on their own goroutines (asyncWriter):
	// commit them once they are all stored.
	for _, b := range blocks {
		if err := b.async.wait(); err != nil {
			w.dropBlocks(blocks)
			return res, snap, fmt.Errorf("writer: block %s: %w", b.key, err)
		}
	}
	highest := filter.highest
	if len(highest) == 0 && len(blocks) == 0 {
		res.Duplicate = res.Duplicates > 0
		res.Committed = filter.committed(snap)
		return res, snap, nil
	}
	actions, err := w.actions(snap, blocks, highest)
	if err != nil {
		w.dropBlocks(blocks)
		var clash *schemaClashError
		if errors.As(err, &clash) {
			err = fmt.Errorf("%w: %w", ErrStreamConflict, err)
		}
		return res, snap, err
	}
	if len(actions) == 0 {
		return res, snap, nil
	}
	cr, err := w.commit(ctx, snap, actions, blocks)
	switch {
	case err == nil:
	case errors.Is(err, manifest.ErrDuplicate) || errors.Is(err, manifest.ErrConflict):
		w.dropBlocks(blocks)
		if next, uerr := w.table.Update(context.WithoutCancel(ctx), snap); uerr == nil {
			w.remember(next)
		}
		return res, snap, fmt.Errorf("%w: %w", ErrStreamConflict, err)
	case errors.Is(err, manifest.ErrCommitUnknown):
		return res, snap, err
	default:
		w.dropBlocks(blocks)
		return res, snap, err
	}
	w.committed(&res, cr, blocks)
	res.Committed = filter.committed(cr.Snapshot)
	return res, cr.Snapshot, nil
}

func (s *stream) fail(err error) {
	s.doneMu.Lock()
	if s.failed == nil {
		s.failed = err
	}
	s.turn.Broadcast()
	s.doneMu.Unlock()
}

// work takes batches from the source and writes them with the block
// writer w.encs[i] until the source has no more or something fails. With
// several, a batch whose schema (see stream.states) is not exactly what
// the block writer knows (it knows columns the batches before have not
// brought yet, or misses some they brought) is written by a new block
// writer that knows that schema, which then replaces it.
func (s *stream) work(ctx context.Context, i int) error {
	w := s.w
	bw := w.encs[i]
	for {
		b, seq, err := s.next(ctx)
		if err != nil || b == nil {
			return err
		}
		if s.states != nil {
			st, ok := s.stateFor(seq)
			if !ok {
				return nil // the flush failed
			}
			if !sameSchema(bw.Shredder().Schema(), st.schema) {
				s.doneMu.Lock() // for w.source, set by next
				nbw, err := w.newBlockWriter(st.schema, false)
				s.doneMu.Unlock()
				if err != nil {
					return err
				}
				bw, w.encs[i] = nbw, nbw
				w.cfg.Logger.Debug("writer: a block writer starts over from the schema merged in batch order", "batch", seq)
			}
			b.est = &batchEst{estimates: st.est}
		}
		if len(b.kept) > 0 {
			b.blocks, b.err = w.writeCuts(ctx, b.kept, b.index, nil, []*engine.BlockWriter{bw}, len(w.encs) == 1, b.est)
		}
		if err := s.finish(ctx, seq, b); err != nil {
			return err
		}
	}
}

// stateFor returns what batch seq is written with, once the batches
// before seq-lag have taught theirs; false if the flush failed meanwhile.
// The first lag batches, written at once, start from the writer's state
// before the flush; the next lag from the state after the first batch,
// so that the estimates of the start, which the first blocks correct
// most, are left soon (the writer waits for the first batch at most once).
func (s *stream) stateFor(seq int) (streamState, bool) {
	k := 0
	if seq >= s.lag {
		k = max(seq-s.lag, 1)
	}
	s.doneMu.Lock()
	defer s.doneMu.Unlock()
	for {
		if s.failed != nil {
			return streamState{}, false
		}
		if st, ok := s.states[k]; ok {
			if k > 1 {
				delete(s.states, k) // batch seq is the only one to start from it
			}
			return st, true
		}
		s.turn.Wait()
	}
}

// sameSchema reports whether a and b declare the same columns, in the
// same order, of the same types (nil: none).
func sameSchema(a, b *engine.Schema) bool {
	if a == nil {
		a = &engine.Schema{}
	}
	if b == nil {
		b = &engine.Schema{}
	}
	return a.Strict == b.Strict && sameFields(a.Fields, b.Fields)
}

func sameFields(a, b []engine.Field) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := &a[i], &b[i]
		if x.Name != y.Name || x.Type != y.Type || !sameFields(x.Fields, y.Fields) || (x.Elem == nil) != (y.Elem == nil) {
			return false
		}
		if x.Elem != nil && !sameFields([]engine.Field{*x.Elem}, []engine.Field{*y.Elem}) {
			return false
		}
	}
	return true
}

// learn makes the writer learn what the blocks of batch seq taught, once
// those of every batch before it have been learnt (and its schema merged),
// and records what the batch seq+lag starts from; it tells the source the
// entry bytes per block now estimated (BlockSizer). Caller holds doneMu.
func (s *stream) learn(seq int, b *streamBatch) error {
	w := s.w
	if b.est != nil {
		w.estMu.Lock()
		for _, l := range b.est.lessons {
			w.ratio.observe(l.in, l.out)
			w.rgEst = &l.est
		}
		next := estimates{ratio: w.ratio.sums(), rg: s.states[0].est.rg}
		if w.rgEst != nil {
			next.rg = *w.rgEst
		}
		w.estMu.Unlock()
		declared, err := declaredSchema(s.merged, w.cfg.Schema)
		if err != nil {
			return err
		}
		s.states[seq+1] = streamState{est: next, schema: declared}
		s.turn.Broadcast()
	}
	if sz, ok := s.src.(BlockSizer); ok {
		sz.Learnt(seq, w.InputBytesPerBlock())
	}
	return nil
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
	for err == ErrEndOfCommit {
		s.closeCommit()
		entries, err = s.src.Next(ctx)
	}
	if err == io.EOF {
		s.closeCommit()
		s.eof = true
		return nil, 0, nil
	}
	if err != nil {
		// The batches handed out before are written, and the commits
		// closed before are made; the rest is dropped (see flushBlocks).
		s.eof, s.srcErr = true, err
		return nil, 0, nil
	}
	for i := range entries {
		if e := &entries[i]; e.LSN < 0 {
			s.eof = true
			s.srcErr = fmt.Errorf("%w: entry %d of batch %d (producer %q) has the negative LSN %d; LSNs are 0 or more", ErrInvalidEntry, i, s.seq+1, e.Producer, e.LSN)
			return nil, 0, nil
		}
	}
	b := &streamBatch{entries: entries}
	b.kept, b.index = s.cur.filter.add(entries)
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

// closeCommit ends the commit the batches go to (if it has any) and
// starts the next, whose filter takes the LSNs this one commits as
// committed. Caller holds nextMu.
func (s *stream) closeCommit() {
	c := s.cur
	if c.start == s.seq {
		return
	}
	c.end = s.seq
	s.cur = &streamCommit{start: s.seq, filter: c.filter.after()}
	s.doneMu.Lock()
	s.commits = append(s.commits, c)
	s.turn.Broadcast()
	s.doneMu.Unlock()
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
		if b.settled {
			if err := s.learn(seq, b); err != nil {
				return err
			}
			s.inOrder++
			continue
		}
		// inOrder moves past seq only once it is settled: a commit whose
		// batches are all in order is made, and one of them failing here
		// must keep it from that.
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
		if err := s.learn(seq, b); err != nil {
			s.done[seq] = blocks
			return err
		}
		s.inOrder++
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
		if blk.written { // else every row was rejected: no file
			kept = append(kept, blk)
		}
	}
	slices.SortFunc(rejected, func(a, c *engine.RowError) int { return a.Index - c.Index })
	s.done[seq] = kept
	s.rejects[seq] = len(rejected)
	s.settled++
	s.turn.Broadcast()
	s.src.Done(seq, rejected)
}

// lsnFilter drops, batch after batch, the entries of a commit that are
// duplicates: those whose LSN their producer committed before (in snap),
// and repeats of a (producer, LSN) kept before in the commit. Flush uses
// it over one batch (filterCommitted). It remembers the LSNs kept per producer
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

// after returns the filter of the next commit: the LSNs this one keeps
// count as committed.
func (f *lsnFilter) after() *lsnFilter {
	n := &lsnFilter{snap: f.snap, highest: map[string]int64{}, prods: make(map[string]*lsnProducer, len(f.prods))}
	for name, p := range f.prods {
		// The steps buffer goes on to the next commit's producer (this
		// commit's filter no longer adds): a load's commits of hundreds
		// of thousands of entries each do not grow one afresh.
		np := &lsnProducer{txn: p.txn, hasTxn: p.hasTxn, rising: p.rising[:0]}
		p.rising = nil
		if p.any && (!np.hasTxn || p.last > np.txn) {
			np.txn, np.hasTxn = p.last, true
		}
		n.prods[name] = np
	}
	return n
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
