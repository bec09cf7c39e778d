package writer

import (
	"math"
	"sync"

	"github.com/evodb/writer/cdc"
)

// Block sizing. The partition modes' TargetBlockBytes and MaxBlockBytes
// are sizes of Parquet blocks in the store, while the buffers and Flush's
// cuts can only count entry bytes (cdc.Entry.Size) before a block is
// encoded. The writer keeps a running estimate of the ratio of block bytes
// to entry bytes, learnt from the blocks it wrote (each block's size in the
// store against the entry bytes it was made of, weighted by bytes, halving
// the weight of the past at every block so that a change of data is
// followed within a few blocks). Before its first block it assumes
// initialBlockRatio, above the ratio of most JSON rows (zstd typically
// makes a tenth of them or less): the first blocks come out smaller than
// the target rather than larger.
//
// InputBytesPerBlock = TargetBlockBytes / ratio is the entry bytes of one
// target block; Run's buffer flushes at it and Flush cuts a large batch
// into blocks of about that size. A block that still encodes to more than
// MaxBlockBytes (data that suddenly compresses much worse) is thrown away
// and its entries written again in smaller blocks, so no block exceeds
// MaxBlockBytes unless it holds a single entry.
const (
	// initialBlockRatio is the ratio assumed before the first block.
	initialBlockRatio = 0.25
	// minBlockRatio and maxBlockRatio bound the estimate: the floor bounds
	// the entry bytes one block gathers (and so the memory of Run's
	// buffer) to 32 times the target.
	minBlockRatio = 1.0 / 32
	maxBlockRatio = 4.0
)

// ratioSums is a running estimate of block bytes per entry byte: the
// decayed sums of the entry bytes and block bytes of the blocks seen.
type ratioSums struct {
	in, out float64
}

// observe adds a block of out bytes made of in entry bytes.
func (r *ratioSums) observe(in, out int64) {
	if in <= 0 || out <= 0 {
		return
	}
	r.in = r.in/2 + float64(in)
	r.out = r.out/2 + float64(out)
}

// ratio returns the estimate, within [minBlockRatio, maxBlockRatio].
func (r ratioSums) ratio() float64 {
	if r.in == 0 {
		return initialBlockRatio
	}
	return min(max(r.out/r.in, minBlockRatio), maxBlockRatio)
}

// inputBytes returns the entry bytes that make about blockBytes of block.
func (r ratioSums) inputBytes(blockBytes int64) int64 {
	n := float64(blockBytes) / r.ratio()
	if n >= math.MaxInt64/2 {
		return math.MaxInt64 / 2
	}
	return max(int64(n), 1)
}

// blockRatio is the writer's running estimate of block bytes per entry
// byte; safe for concurrent use.
type blockRatio struct {
	mu sync.Mutex
	s  ratioSums
}

// observe adds a block of out bytes made of in entry bytes.
func (r *blockRatio) observe(in, out int64) {
	r.mu.Lock()
	r.s.observe(in, out)
	r.mu.Unlock()
}

// sums returns the estimate as it stands.
func (r *blockRatio) sums() ratioSums {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.s
}

// ratio returns the estimate, within [minBlockRatio, maxBlockRatio].
func (r *blockRatio) ratio() float64 { return r.sums().ratio() }

// inputBytes returns the entry bytes that make about blockBytes of block.
func (r *blockRatio) inputBytes(blockBytes int64) int64 { return r.sums().inputBytes(blockBytes) }

// BlockRatio returns the writer's current estimate of block bytes (in the
// store) per entry byte (cdc.Entry.Size): see InputBytesPerBlock.
func (w *LakehouseWriter) BlockRatio() float64 { return w.ratio.ratio() }

// InputBytesPerBlock returns the entry bytes (cdc.Entry.Size) that make one
// block of TargetBlockBytes at the writer's current estimate of the
// compression ratio, learnt from the blocks it wrote. It is where Run's
// buffer flushes by default; a caller batching entries itself (e.g. the
// evodb-writer load command) sizes its batches by it to get blocks of the
// target size. It changes after every Flush that writes blocks.
func (w *LakehouseWriter) InputBytesPerBlock() int64 {
	return w.ratio.inputBytes(w.cfg.limits.TargetBlockBytes)
}

// blockCuts cuts entries into blocks of about perBlock entry bytes, none
// above maxIn entry bytes (a single larger entry is a block of its own):
// the number of blocks is the batch's size in perBlock rounded to the
// nearest (at least 1, and at least what maxIn needs), and the blocks share
// the entry bytes evenly. A batch of x·perBlock entry bytes (x ≥ 0.5)
// so makes blocks of 0.75 to 1.5 perBlock.
func blockCuts(entries []cdc.Entry, perBlock, maxIn int64) [][2]int {
	var total int64
	for i := range entries {
		total += int64(entries[i].Size())
	}
	perBlock = max(min(perBlock, maxIn), 1)
	n := max((total+perBlock/2)/perBlock, (total+maxIn-1)/maxIn, 1)
	if n == 1 && total <= maxIn {
		// One block (a batch sized to one, as load's are): no second
		// pass over the entries.
		if len(entries) == 0 {
			return nil
		}
		return [][2]int{{0, len(entries)}}
	}
	// The k-th block ends near k·total/n entry bytes.
	var out [][2]int
	start, size, done := 0, int64(0), int64(0)
	for i := range entries {
		s := int64(entries[i].Size())
		k := int64(len(out)) + 1
		if i > start && (size+s > maxIn || (k < n && done+size+s/2 > total*k/n)) {
			out = append(out, [2]int{start, i})
			start, done, size = i, done+size, 0
		}
		size += s
	}
	if start < len(entries) {
		out = append(out, [2]int{start, len(entries)})
	}
	return out
}
