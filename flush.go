package writer

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/evodb/writer/cdc"
	"github.com/evodb/writer/engine"
	"github.com/evodb/writer/engine/parquet"
	"github.com/evodb/writer/manifest"
	"github.com/evodb/writer/upload"
)

// FlushResult describes what a Flush did.
type FlushResult struct {
	// BlockPath is the first block written, relative to the table
	// (data/blk_<id>.parquet); "" when nothing was written. BlockPaths
	// lists every block of the commit (more than one when the batch was
	// larger than one block of the target size: see InputBytesPerBlock).
	BlockPath  string
	BlockPaths []string
	RowCount   int64 // rows written
	Bytes      int64 // bytes of the blocks in the store
	// Version is the commit's version, or the version of the snapshot
	// the batch was checked against when nothing was committed.
	Version    int64
	Duplicate  bool // every entry was already committed: nothing written
	Duplicates int  // entries dropped as already committed
	// Rejected lists the rows refused (bad JSON etc.), with their index in
	// the entries given to Flush; the other rows were written.
	Rejected []*engine.RowError
	Rescued  int // values that went to _rescued
	// Committed maps each producer of the batch to its highest LSN now
	// durable in the table.
	Committed map[string]int64
	// Rewrites counts how often the blocks were written again after a
	// concurrent commit made them unusable.
	Rewrites int
}

// block is one uploaded block of a flush.
type block struct {
	key    string
	size   int64
	rows   int64
	schema manifest.StructType
	stats  manifest.Stats
	// written: the object exists in the store (to delete it if the
	// commit does not happen).
	written bool
	// cut is the range of the entries (given to writeBlocks) it holds.
	cut [2]int
	// rejected are its rows refused (their indexes in the Flush's
	// entries), rescued its values that went to _rescued.
	rejected []*engine.RowError
	rescued  int
	// oversize: it came out above MaxBlockBytes and was aborted.
	oversize bool
	// async, for a block of a streamed flush, writes it to the store on
	// its own goroutine: the block is stored once its wait returns nil.
	async *asyncWriter
}

// Flush writes entries into the table as one commit (see the package
// documentation). On error nothing of the batch is committed, except
// when the error matches manifest.ErrCommitUnknown: then the commit may
// have happened, and replaying the batch is safe (its txn versions filter
// what is in).
func (w *LakehouseWriter) Flush(ctx context.Context, entries []cdc.Entry) (FlushResult, error) {
	if w.closed.Load() {
		return FlushResult{}, ErrClosed
	}
	for i := range entries {
		if e := &entries[i]; e.LSN < 0 {
			return FlushResult{}, fmt.Errorf("%w: entry %d (producer %q) has the negative LSN %d; LSNs are 0 or more", ErrInvalidEntry, i, e.Producer, e.LSN)
		}
	}
	w.flushMu.Lock()
	defer w.flushMu.Unlock()
	if w.bw == nil {
		return FlushResult{}, ErrClosed
	}
	start := time.Now()
	res, err := w.flush(ctx, entries)
	if err != nil {
		w.stats.update(func(s *Stats) {
			s.FailedFlushes++
			if errors.Is(err, manifest.ErrCommitUnknown) {
				s.Unknown++
			}
		})
		w.cfg.Logger.Warn("writer: flush failed", "entries", len(entries), "err", err)
		return res, err
	}
	w.stats.update(func(s *Stats) {
		s.Flushes++
		s.Duplicates += int64(res.Duplicates)
		s.Rejected += int64(len(res.Rejected))
		s.LastFlush = w.cfg.Clock()
	})
	w.cfg.Logger.Debug("writer: flush", "version", res.Version, "rows", res.RowCount, "blocks", len(res.BlockPaths),
		"bytes", res.Bytes, "duplicates", res.Duplicates, "rejected", len(res.Rejected), "took", time.Since(start))
	return res, nil
}

func (w *LakehouseWriter) flush(ctx context.Context, entries []cdc.Entry) (FlushResult, error) {
	snap := w.latest()
	var res FlushResult
	for rewrite := 0; ; rewrite++ {
		res = FlushResult{Rewrites: rewrite}
		if ctx.Err() != nil {
			return res, ctx.Err()
		}
		if snap.Metadata().SchemaString != w.bwSchema {
			if err := w.resetBlockWriter(snap); err != nil {
				return res, err
			}
		}
		kept, index, highest, dups := filterCommitted(entries, snap)
		res.Duplicates = dups
		res.Version = snap.Version()
		if len(kept) == 0 {
			res.Duplicate = dups > 0
			res.Committed = committedOf(snap, entries)
			return res, nil
		}
		if w.source == "" {
			w.source = kept[0].Table // the table the shredder takes
		}
		table, err := snap.Schema()
		if err != nil {
			return res, err
		}
		blocks, rejected, rescued, err := w.writeBlocks(ctx, kept, index, table)
		if err != nil {
			// The block writer's state after a failure is not known:
			// start again from the table's schema.
			if rerr := w.resetBlockWriter(snap); rerr != nil {
				return res, errors.Join(err, rerr)
			}
			return res, err
		}
		res.Rejected, res.Rescued = rejected, rescued
		actions, err := w.actions(snap, blocks, highest)
		var clash *schemaClashError
		if errors.As(err, &clash) {
			// The table's schema changed under the shredder (another
			// writer typed a column first): write again with its types.
			w.dropBlocks(blocks)
			if rewrite >= w.cfg.MaxRewrites {
				return res, err
			}
			w.stats.update(func(s *Stats) { s.CommitConflicts++ })
			if snap, err = w.table.Update(ctx, snap); err != nil {
				return res, err
			}
			w.remember(snap)
			if err := w.resetBlockWriter(snap); err != nil {
				return res, err
			}
			continue
		}
		if err != nil {
			w.dropBlocks(blocks)
			return res, err
		}
		if len(actions) == 0 {
			// Every row was rejected and none has a producer: there is
			// nothing to commit.
			return res, nil
		}
		cr, err := w.commit(ctx, snap, actions, blocks)
		switch {
		case err == nil:
		case errors.Is(err, manifest.ErrDuplicate) || errors.Is(err, manifest.ErrConflict):
			// A concurrent commit holds part of the batch, or changed
			// the schema: these blocks cannot go in. Read the table
			// again, filter and write anew.
			w.dropBlocks(blocks)
			if rewrite >= w.cfg.MaxRewrites {
				return res, fmt.Errorf("writer: %d rewrites after concurrent commits: %w", rewrite, err)
			}
			w.stats.update(func(s *Stats) { s.CommitConflicts++ })
			w.cfg.Logger.Info("writer: concurrent commit, writing again", "err", err)
			next, uerr := w.table.Update(ctx, snap)
			if uerr != nil {
				return res, errors.Join(err, uerr)
			}
			snap = next
			w.remember(snap)
			if errors.Is(err, manifest.ErrConflict) {
				if rerr := w.resetBlockWriter(snap); rerr != nil {
					return res, rerr
				}
			}
			continue
		case errors.Is(err, manifest.ErrCommitUnknown):
			// The blocks may be referenced by a commit: keep them.
			return res, err
		default:
			w.dropBlocks(blocks)
			return res, err
		}
		w.committed(&res, cr, blocks)
		res.Committed = committedOf(cr.Snapshot, entries)
		return res, nil
	}
}

// committed records a commit that landed, for Flush and FlushBlocks
// alike: the writer's snapshot, a failed checkpoint in the log, the
// version, blocks, rows and bytes in res, and the stats.
func (w *LakehouseWriter) committed(res *FlushResult, cr manifest.CommitResult, blocks []*block) {
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
	w.stats.update(func(s *Stats) {
		s.Commits++
		s.BlocksWritten += int64(len(blocks))
		s.BytesWritten += res.Bytes
		s.RowsWritten += res.RowCount
		s.Rescued += int64(res.Rescued)
	})
}

// filterCommitted returns the entries not yet committed: those whose LSN is
// above their producer's txn version in snap, first occurrence of each
// (producer, LSN) in the batch. index maps kept entries to their place in
// entries (nil when nothing was dropped: kept is then entries itself); highest is the highest LSN per producer among the kept ones.
// Entries without a producer are always kept and carry no txn.
func filterCommitted(entries []cdc.Entry, snap *manifest.Snapshot) (kept []cdc.Entry, index []int, highest map[string]int64, dups int) {
	f := newLSNFilter(snap) // the streamed flush's filter, over one batch
	kept, index = f.add(entries)
	return kept, index, f.highest, f.dups
}

func committedOf(snap *manifest.Snapshot, entries []cdc.Entry) map[string]int64 {
	out := map[string]int64{}
	for i := range entries {
		p := entries[i].Producer
		if _, done := out[p]; done || p == "" {
			continue
		}
		if v, ok := snap.TxnVersion(p); ok {
			out[p] = v
		}
	}
	return out
}

// actions builds the commit: metaData when the blocks add columns, an add
// per block, a txn per producer.
func (w *LakehouseWriter) actions(snap *manifest.Snapshot, blocks []*block, highest map[string]int64) ([]manifest.Action, error) {
	table, err := snap.Schema()
	if err != nil {
		return nil, err
	}
	merged, changed := table, false
	for _, b := range blocks {
		var ch bool
		if merged, ch, err = mergeSchema(merged, b.schema); err != nil {
			return nil, err
		}
		changed = changed || ch
	}
	var actions []manifest.Action
	if changed {
		md := snap.Metadata()
		if md.SchemaString, err = merged.SchemaString(); err != nil {
			return nil, err
		}
		actions = append(actions, manifest.Action{Metadata: &md})
	}
	now := w.cfg.Clock().UnixMilli()
	for _, b := range blocks {
		stats, err := manifest.EncodeStats(b.stats)
		if err != nil {
			return nil, fmt.Errorf("writer: stats of %s: %w", b.key, err)
		}
		actions = append(actions, manifest.Action{Add: &manifest.AddFile{
			Path: manifest.EncodePath(b.key), PartitionValues: map[string]string{},
			Size: b.size, ModificationTime: now, DataChange: true, Stats: stats,
		}})
	}
	producers := make([]string, 0, len(highest))
	for p := range highest {
		producers = append(producers, p)
	}
	sort.Strings(producers)
	for _, p := range producers {
		actions = append(actions, manifest.Action{Txn: &manifest.Txn{AppID: p, Version: highest[p]}})
	}
	return actions, nil
}

// commit commits actions on top of base. A commit of unknown outcome is
// resolved with the manifest's own recognition: the same commit id on the
// same base makes Commit read the log after base for that id before it
// writes anything, so the commit lands at most once.
// When it fails after an attempt of unknown outcome, the blocks are kept
// whatever the last attempt says (marked not written, so that no caller
// deletes them; at worst they are orphans for vacuum): never delete what
// a commit may use.
func (w *LakehouseWriter) commit(ctx context.Context, base *manifest.Snapshot, actions []manifest.Action, blocks []*block) (res manifest.CommitResult, err error) {
	resumed := false
	defer func() {
		if err != nil && resumed {
			for _, b := range blocks {
				b.written = false
			}
		}
	}()
	id, err := newID()
	if err != nil {
		return manifest.CommitResult{}, err
	}
	opts := manifest.CommitOptions{
		Operation:           "WRITE",
		OperationParameters: map[string]string{"mode": "Append", "blocks": strconv.Itoa(len(blocks))},
		CommitID:            id,
	}
	res, err = w.table.Commit(ctx, base, actions, opts)
	w.stats.update(func(s *Stats) { s.Retries += int64(max(res.Attempts-1, 0)) })
	for try := 1; err != nil && errors.Is(err, manifest.ErrCommitUnknown) && try <= w.cfg.ResolveAttempts; try++ {
		resumed = true
		w.cfg.Logger.Info("writer: commit outcome unknown, looking for it", "commit", id, "try", try, "err", err)
		if serr := w.sleep(ctx, time.Duration(try)*50*time.Millisecond); serr != nil {
			return res, errors.Join(err, serr)
		}
		w.stats.update(func(s *Stats) { s.Retries++ })
		res, err = w.table.Commit(ctx, base, actions, opts)
	}
	return res, err
}

func (w *LakehouseWriter) sleep(ctx context.Context, d time.Duration) error {
	if w.cfg.Manifest.Sleep != nil {
		return w.cfg.Manifest.Sleep(ctx, d)
	}
	return upload.Sleep(ctx, d)
}

// dropBlocks deletes blocks no commit will refer to. A block that cannot
// be deleted is an orphan for vacuum.
func (w *LakehouseWriter) dropBlocks(blocks []*block) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, b := range blocks {
		if b.async != nil {
			b.async.wait() // a close still running could store it after the Delete
		}
		if !b.written {
			continue
		}
		if err := w.store.Delete(ctx, b.key); err != nil {
			w.stats.update(func(s *Stats) { s.OrphanBlocks++ })
			w.cfg.Logger.Warn("writer: could not delete an uncommitted block; vacuum will", "block", b.key, "err", err)
		}
	}
}

// newID returns a block or commit id that sorts by creation time: 16 hex
// digits of Unix nanoseconds, then 16 random hex digits.
func newID() (string, error) {
	var r [8]byte
	if _, err := rand.Read(r[:]); err != nil {
		return "", fmt.Errorf("writer: random id: %w", err)
	}
	return fmt.Sprintf("%016x-%s", time.Now().UnixNano(), hex.EncodeToString(r[:])), nil
}

// writeBlocks shreds, encodes and uploads entries as one or more blocks of
// about the target size (see blockCuts and InputBytesPerBlock): with
// several BlockEncoders, that many blocks at once, each by its own block
// writer; with one, through a pipeline that shreds the next block while
// the one before is encoded and uploaded. A block that came out above
// MaxBlockBytes is deleted and its entries written again in smaller
// blocks. Blocks written at once infer the columns new to the table each
// on its own: a block whose types clash with those of the table and the
// blocks before it is written again under them (see settleSchemas), so
// that the blocks of one commit agree. On error every block it wrote is
// deleted again (or counted an orphan).
func (w *LakehouseWriter) writeBlocks(ctx context.Context, entries []cdc.Entry, index []int, table manifest.StructType) (blocks []*block, rejected []*engine.RowError, rescued int, err error) {
	blocks, err = w.writeCuts(ctx, entries, index, nil, w.encs, w.cfg.BlockEncoders == 1, nil)
	if err != nil {
		return nil, nil, 0, err
	}
	if len(w.encs) > 1 {
		if blocks, err = w.settleSchemas(ctx, entries, index, table, blocks); err != nil {
			w.dropBlocks(blocks)
			return nil, nil, 0, err
		}
	}
	// Blocks all of whose rows were rejected were not stored.
	kept := blocks[:0]
	for _, b := range blocks {
		rejected = append(rejected, b.rejected...)
		rescued += b.rescued
		if b.written {
			kept = append(kept, b)
		}
	}
	sort.Slice(rejected, func(i, j int) bool { return rejected[i].Index < rejected[j].Index })
	return kept, rejected, rescued, nil
}

// writeCuts writes the blocks cuts name (nil: blockCuts of all entries)
// with encs, in rounds: a block that comes out above MaxBlockBytes has its
// entries cut again, with the estimate its encoding just taught, into at
// least two blocks each, written in the next round. pipelined runs encs[0]
// as a Pipeline. The blocks come back in entry order.
//
// The cuts and the blocks' row groups follow the writer's estimates (its
// compression ratio and row-group estimates), which the blocks refine;
// with est they follow est instead, and what the blocks teach goes to est
// (see batchEst), not to the writer.
func (w *LakehouseWriter) writeCuts(ctx context.Context, entries []cdc.Entry, index []int, cuts [][2]int, encs []*engine.BlockWriter, pipelined bool, est *batchEst) (blocks []*block, err error) {
	lim := w.cfg.limits
	ratio := func() ratioSums {
		if est != nil {
			return est.ratio
		}
		return w.ratio.sums()
	}
	if cuts == nil {
		r := ratio()
		maxIn := max(r.inputBytes(lim.MaxBlockBytes)*4/5, 1)
		cuts = blockCuts(entries, r.inputBytes(lim.TargetBlockBytes), maxIn)
	}
	for round := 0; len(cuts) > 0; round++ {
		var (
			got  []*block
			redo [][2]int
			rerr error
		)
		if pipelined {
			got, redo, rerr = w.pipelineRound(ctx, encs[0], entries, index, cuts)
		} else {
			got, redo, rerr = w.parallelRound(ctx, encs, entries, index, cuts, est)
		}
		blocks = append(blocks, got...)
		if rerr == nil && len(redo) > 0 && round >= 64 {
			rerr = fmt.Errorf("writer: blocks still above MaxBlockBytes %d after %d rounds of cutting", lim.MaxBlockBytes, round)
		}
		if rerr != nil {
			w.dropBlocks(blocks)
			return nil, rerr
		}
		cuts = cuts[:0:0]
		rs := ratio()
		maxIn := max(rs.inputBytes(lim.MaxBlockBytes)*4/5, 1)
		for _, r := range redo {
			part := entries[r[0]:r[1]]
			var in int64
			for i := range part {
				in += int64(part[i].Size())
			}
			for _, c := range blockCuts(part, rs.inputBytes(lim.TargetBlockBytes), min(maxIn, max(in/2, 1))) {
				cuts = append(cuts, [2]int{r[0] + c[0], r[0] + c[1]})
			}
		}
		if len(redo) > 0 {
			w.cfg.Logger.Info("writer: blocks above MaxBlockBytes written again smaller", "blocks", len(redo), "max", lim.MaxBlockBytes)
		}
	}
	sort.SliceStable(blocks, func(i, j int) bool { return blocks[i].cut[0] < blocks[j].cut[0] })
	return blocks, nil
}

// settleSchemas makes the blocks of a commit agree on their columns'
// types. The shredders of blocks written at once each type the columns new
// to the table from their own rows, so two blocks may type a new column
// differently (one saw only integers, the other a fraction; one only
// times, the other any string). The blocks' schemas are merged in entry
// order on top of the table's; a block that clashes with the merge so far
// is deleted and written again by a new block writer that knows the merged
// types, as a single writer would have written it after the blocks before
// it: its values that do not fit go to _rescued. New columns (nullable)
// merge without a rewrite.
func (w *LakehouseWriter) settleSchemas(ctx context.Context, entries []cdc.Entry, index []int, table manifest.StructType, blocks []*block) ([]*block, error) {
	merged := table
	var keep, clashing []*block
	for _, b := range blocks {
		if !b.written {
			keep = append(keep, b)
			continue
		}
		m, _, err := mergeSchema(merged, b.schema)
		var clash *schemaClashError
		switch {
		case errors.As(err, &clash):
			clashing = append(clashing, b)
			continue
		case err != nil:
			return blocks, err
		}
		merged = m
		keep = append(keep, b)
	}
	if len(clashing) == 0 {
		return blocks, nil
	}
	w.dropBlocks(clashing)
	w.stats.update(func(s *Stats) { s.SchemaRewrites += int64(len(clashing)) })
	w.cfg.Logger.Info("writer: blocks typed a new column differently; writing them again with the types of the blocks before", "blocks", len(clashing))
	declared, err := declaredSchema(merged, w.cfg.Schema)
	if err != nil {
		return keep, err
	}
	rw, err := w.newBlockWriter(declared, false)
	if err != nil {
		return keep, err
	}
	cuts := make([][2]int, len(clashing))
	for i, b := range clashing {
		cuts[i] = b.cut
	}
	// One writer for all of them: each knows the columns the ones before
	// it added.
	again, err := w.writeCuts(ctx, entries, index, cuts, []*engine.BlockWriter{rw}, false, nil)
	if err != nil {
		return keep, err
	}
	keep = append(keep, again...)
	sort.SliceStable(keep, func(i, j int) bool { return keep[i].cut[0] < keep[j].cut[0] })
	return keep, nil
}

// parallelRound writes the blocks cuts name with up to len(encs) of them
// at once, one goroutine per block writer taking the next cut until none
// is left. redo lists the cuts (of more than one entry) whose block came
// out above MaxBlockBytes: those blocks were aborted and are not in
// blocks. The first failure cancels the others and deletes what the round
// stored. The blocks start from est's estimates and teach est, when it is
// not nil, instead of the writer's.
func (w *LakehouseWriter) parallelRound(ctx context.Context, encs []*engine.BlockWriter, entries []cdc.Entry, index []int, cuts [][2]int, est *batchEst) (blocks []*block, redo [][2]int, err error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		made     = make([]*block, len(cuts))
		over     = make([]bool, len(cuts))
		learnt   = make([]learnt, len(cuts))
		next     atomic.Int64
		mu       sync.Mutex
		firstErr error
		wg       sync.WaitGroup
	)
	fail := func(err error) {
		mu.Lock()
		if firstErr == nil {
			firstErr = err
		}
		mu.Unlock()
		cancel()
	}
	// Every block starts from the same row-group estimates, whichever
	// block writer takes it, and what the blocks teach (those estimates,
	// the compression ratio) is learnt in entry order once the round is
	// over: a block's bytes, and the cuts of the next round or Flush, do
	// not depend on how the goroutines ran.
	start := encs[0].Estimates()
	hint := 0.0 // block bytes per entry byte, to size the stores' writes
	if est != nil {
		start, hint = est.rg, est.ratio.ratio()
	} else {
		w.estMu.Lock()
		if w.rgEst != nil {
			start = *w.rgEst
		}
		w.estMu.Unlock()
		hint = w.ratio.ratio()
	}
	for _, bw := range encs[:min(len(encs), len(cuts))] {
		wg.Go(func() {
			for {
				j := int(next.Add(1) - 1)
				if j >= len(cuts) {
					return
				}
				if err := ctx.Err(); err != nil {
					fail(err)
					return
				}
				bw.SetEstimates(start)
				b, oversize, err := w.writeOne(ctx, bw, entries, index, cuts[j], hint, &learnt[j])
				made[j], over[j] = b, oversize
				learnt[j].est = bw.Estimates()
				if err != nil {
					fail(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if firstErr == nil && est != nil {
		for j := range learnt {
			if l := &learnt[j]; made[j] != nil && l.in > 0 {
				est.learn(*l)
			}
		}
	} else if firstErr == nil {
		w.estMu.Lock()
		for j := range learnt {
			if l := &learnt[j]; made[j] != nil && l.in > 0 {
				w.ratio.observe(l.in, l.out)
				w.rgEst = &l.est
			}
		}
		w.estMu.Unlock()
	}
	for j, b := range made {
		switch {
		case b == nil:
		case over[j]:
			redo = append(redo, cuts[j])
		default:
			blocks = append(blocks, b)
		}
	}
	if firstErr != nil {
		w.dropBlocks(blocks)
		return nil, nil, firstErr
	}
	return blocks, redo, nil
}

// learnt is what writing a block of a parallel round taught: its entry
// bytes in and block bytes out (for the compression estimate) and the
// block writer's row-group estimates after it.
type learnt struct {
	in, out int64
	est     engine.RowGroupEstimates
}

// estimates are, besides its entries and the block writer's schema, what
// the blocks of a batch depend on: the compression ratio its cuts are
// made by and the row-group estimates its block writers start from.
type estimates struct {
	ratio ratioSums
	rg    engine.RowGroupEstimates
}

// batchEst are the estimates a batch of a streamed flush with several
// block writers is written with: frozen for it when it starts (see
// stream.estimatesFor), then refined by its own blocks, round after round
// in entry order; lessons keeps what each block taught, for the writer to
// learn once the batches before it have taught theirs. So its blocks do
// not depend on how the block writers ran.
type batchEst struct {
	estimates
	lessons []learnt
}

// learn takes in what a block of the batch taught.
func (e *batchEst) learn(l learnt) {
	e.ratio.observe(l.in, l.out)
	e.rg = l.est
	e.lessons = append(e.lessons, l)
}

// writeOne shreds, encodes and uploads the entries of one cut with bw,
// recording in l what the block teaches (see finishWrite); ratio, block
// bytes per entry byte, sizes the store's write. oversize reports a block
// above MaxBlockBytes (of more than one entry), aborted. On error b, if
// not nil, may be stored: the caller deletes it.
func (w *LakehouseWriter) writeOne(ctx context.Context, bw *engine.BlockWriter, entries []cdc.Entry, index []int, cut [2]int, ratio float64, l *learnt) (b *block, oversize bool, err error) {
	chunk := entries[cut[0]:cut[1]]
	id, err := newID()
	if err != nil {
		return nil, false, err
	}
	b = &block{key: "data/blk_" + id + ".parquet", cut: cut}
	var size int64
	for i := range chunk {
		size += int64(chunk[i].Size())
	}
	cctx, async := asyncBlocks(ctx)
	out, err := w.create(cctx, b.key, int64(float64(size)*ratio))
	if err != nil {
		return nil, false, fmt.Errorf("writer: create %s: %w", b.key, err)
	}
	if async {
		b.async = newAsyncWriter(out)
		out = b.async
	}
	tw := &tailWriter{w: out, ctx: ctx, store: w.store, key: b.key}
	info, err := bw.WriteBlock(ctx, tw, chunk)
	oversize, err = w.finishWrite(b, tw, size, info, err, index, func(in, out int64) { l.in, l.out = in, out })
	return b, oversize, err
}

// finishWrite ends the write of block b of size entry bytes, made of the
// entries of b.cut, once the block writer returned info and err: a block
// above MaxBlockBytes (of more than one entry) is aborted and reported
// oversize; otherwise the block is completed and its rejected rows (their
// indexes in the Flush's entries) and rescued values recorded on b. A
// block of rows gives observe its entry and block bytes, for the
// compression estimate.
func (w *LakehouseWriter) finishWrite(b *block, tw *tailWriter, size int64, info *engine.BlockInfo, err error, index []int, observe func(in, out int64)) (oversize bool, _ error) {
	defer tw.release() // the footer was read (or the block dropped)
	if err == nil && info.Rows > 0 {
		observe(size, info.Bytes)
		if info.Bytes > w.cfg.limits.MaxBlockBytes && b.cut[1]-b.cut[0] > 1 {
			tw.abort()
			return true, nil
		}
	}
	if err == nil {
		err = w.finishBlock(b, tw, info)
	}
	if err != nil {
		tw.abort()
		return false, fmt.Errorf("writer: block %s: %w", b.key, err)
	}
	for _, re := range info.Errors {
		c := *re
		c.Index = b.cut[0] + re.Index
		if index != nil {
			c.Index = index[c.Index]
		}
		b.rejected = append(b.rejected, &c)
	}
	b.rescued = info.Stats.Rescued
	return false, nil
}

// pipelineRound writes the blocks cuts name through one pipeline of bw;
// redo and blocks as in parallelRound.
func (w *LakehouseWriter) pipelineRound(ctx context.Context, bw *engine.BlockWriter, entries []cdc.Entry, index []int, cuts [][2]int) (blocks []*block, redo [][2]int, err error) {
	pipe, err := bw.Pipeline(ctx)
	if err != nil {
		return nil, nil, err
	}
	var (
		mu       sync.Mutex // firstErr and redo: set on the encoder goroutine too
		firstErr error
		open     []*tailWriter // writers not closed yet, to abort on failure
	)
	fail := func(err error) {
		mu.Lock()
		if firstErr == nil {
			firstErr = err
		}
		mu.Unlock()
	}
	for _, cut := range cuts {
		chunk := entries[cut[0]:cut[1]]
		id, err := newID()
		if err != nil {
			fail(err)
			break
		}
		b := &block{key: "data/blk_" + id + ".parquet", cut: cut}
		var size int64
		for i := range chunk {
			size += int64(chunk[i].Size())
		}
		cctx, async := asyncBlocks(ctx)
		out, err := w.create(cctx, b.key, int64(float64(size)*w.ratio.ratio()))
		if err != nil {
			fail(fmt.Errorf("writer: create %s: %w", b.key, err))
			break
		}
		if async {
			b.async = newAsyncWriter(out)
			out = b.async
		}
		tw := &tailWriter{w: out, ctx: ctx, store: w.store, key: b.key}
		open = append(open, tw)
		blocks = append(blocks, b)
		serr := pipe.Submit(chunk, tw, func(info *engine.BlockInfo, err error) {
			// On the encoder goroutine, one block at a time.
			oversize, err := w.finishWrite(b, tw, size, info, err, index, w.ratio.observe)
			mu.Lock()
			defer mu.Unlock()
			if oversize {
				redo = append(redo, cut)
				b.oversize = true
			}
			if err != nil && firstErr == nil {
				firstErr = err
			}
		})
		if serr != nil {
			fail(fmt.Errorf("writer: block %s: %w", b.key, serr))
			break
		}
	}
	if cerr := pipe.Close(); cerr != nil {
		fail(fmt.Errorf("writer: encoding blocks: %w", cerr))
	}
	if firstErr != nil {
		for _, tw := range open {
			tw.abort()
		}
		w.dropBlocks(blocks)
		return nil, nil, firstErr
	}
	kept := blocks[:0]
	for _, b := range blocks {
		if !b.oversize {
			kept = append(kept, b)
		}
	}
	return kept, redo, nil
}

// finishBlock completes the upload of a block and reads its statistics.
func (w *LakehouseWriter) finishBlock(b *block, tw *tailWriter, info *engine.BlockInfo) error {
	if info.Rows == 0 {
		tw.abort() // every row was rejected: no file
		return nil
	}
	schema, err := blockSchema(info.Schema)
	if err != nil {
		return err
	}
	// A Close whose answer was lost may have stored the block: from here
	// on it is deleted if the commit does not happen (deleting a missing
	// key is no error).
	b.written = true
	if err := tw.close(); err != nil {
		return err
	}
	b.size, b.rows, b.schema = tw.n, info.Rows, schema
	f, err := parquet.OpenFile(tw, tw.n)
	if err != nil {
		return fmt.Errorf("reading back the footer: %w", err)
	}
	if b.stats, err = deltaStats(f); err != nil {
		return err
	}
	return nil
}

// create starts the streamed write of a block: on S3 with Options.PartSize
// or UploadConcurrency set, a multipart upload with them; otherwise the
// store's own Create (on S3: the store's multipart options).
func (w *LakehouseWriter) create(ctx context.Context, key string, sizeHint int64) (upload.Writer, error) {
	if w.s3 != nil && (w.cfg.PartSize != 0 || w.cfg.UploadConcurrency != 0) {
		return w.s3.CreateMultipart(ctx, w.s3Prefix+key, upload.PutOptions{SizeHint: sizeHint},
			upload.MultipartOptions{PartSize: w.cfg.PartSize, Concurrency: w.cfg.UploadConcurrency})
	}
	return w.store.Create(ctx, key, upload.PutOptions{SizeHint: sizeHint})
}

// tailWriter passes a block's bytes to the store's writer and keeps its
// first bytes and its last tailKeep bytes, where the Parquet footer is, so
// the statistics can be read without downloading the block. As an
// io.ReaderAt (after close) it serves those bytes and reads any other range
// from the store.
type tailWriter struct {
	w      upload.Writer
	ctx    context.Context
	store  upload.Store
	key    string
	n      int64
	head   [4]byte
	tail   []byte // the last bytes written; tail ends at offset n
	closed bool
	done   bool // closed or aborted
	// released: the tail went back to tailBuffers; ReadAt reads from the
	// store.
	released bool
}

// release gives the tail buffer back for other blocks once the footer
// has been read; reads after it go to the store.
func (t *tailWriter) release() {
	if t.released {
		return
	}
	t.released = true
	if t.tail != nil && cap(t.tail) == 2*tailKeep {
		b := t.tail[:0]
		tailBuffers.Put(&b)
	}
	t.tail = nil
}

const (
	tailKeep  = 256 << 10
	tailSmall = 64 << 10
)

// tailBuffers keeps the tail buffers of blocks whose footer was read (see
// tailWriter.release), 2*tailKeep bytes each, for the next blocks: a new
// one grown by append for every block was megabytes of fresh memory per
// block for the kernel to fault in. The tail of a block of up to
// tailSmall bytes grows by append (a small block needs no such buffer).
var tailBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 2*tailKeep); return &b }}

func (t *tailWriter) Write(p []byte) (int, error) {
	if t.n < int64(len(t.head)) {
		copy(t.head[t.n:], p)
	}
	n, err := t.w.Write(p)
	t.n += int64(n)
	p = p[:n]
	// A tail that outgrows tailSmall (the block is not a small one) moves
	// to a buffer of tailBuffers, which holds the most it keeps.
	if want := min(len(t.tail)+len(p), 2*tailKeep); want > cap(t.tail) && want > tailSmall && !t.released {
		t.tail = append((*tailBuffers.Get().(*[]byte))[:0], t.tail...)
	}
	if len(p) >= tailKeep {
		t.tail = append(t.tail[:0], p[len(p)-tailKeep:]...)
	} else {
		if len(t.tail)+len(p) > 2*tailKeep {
			keep := tailKeep - len(p)
			copy(t.tail, t.tail[len(t.tail)-keep:])
			t.tail = t.tail[:keep]
		}
		t.tail = append(t.tail, p...)
	}
	return n, err
}

func (t *tailWriter) close() error {
	if t.done {
		return upload.ErrClosed
	}
	t.done = true
	if err := t.w.Close(); err != nil {
		return err
	}
	t.closed = true
	return nil
}

func (t *tailWriter) abort() {
	if t.done {
		return
	}
	t.done = true
	_ = t.w.Abort()
}

// ReadAt implements io.ReaderAt over the written block.
func (t *tailWriter) ReadAt(p []byte, off int64) (int, error) {
	end := off + int64(len(p))
	if off < 0 || end > t.n {
		return 0, fmt.Errorf("writer: read of [%d, %d) outside a block of %d bytes", off, end, t.n)
	}
	if end <= int64(len(t.head)) {
		return copy(p, t.head[off:end]), nil
	}
	if start := t.n - int64(len(t.tail)); off >= start {
		return copy(p, t.tail[off-start:]), nil
	}
	if !t.closed {
		return 0, fmt.Errorf("writer: read of [%d, %d) before the block is stored", off, end)
	}
	if a, ok := t.w.(*asyncWriter); ok {
		if err := a.wait(); err != nil {
			return 0, err
		}
	}
	data, err := t.store.GetRange(t.ctx, t.key, off, int64(len(p)))
	if err != nil {
		return 0, err
	}
	if len(data) != len(p) {
		return copy(p, data), fmt.Errorf("writer: %s: short read at %d", t.key, off)
	}
	return copy(p, data), nil
}
