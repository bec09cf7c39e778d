package writer

import (
	"sync"
	"time"
)

// Stats are the counters of a LakehouseWriter since Open.
type Stats struct {
	// BlocksWritten, BytesWritten and RowsWritten count the blocks of
	// successful commits, their bytes in the store and their rows.
	BlocksWritten, BytesWritten, RowsWritten int64
	// AvgBlockBytes is BytesWritten / BlocksWritten.
	AvgBlockBytes float64
	// CompactionsPending is the number of blocks a compaction of the
	// latest snapshot this writer knows would make with
	// Options.Compaction (BlockCompactor.Pending): 0 when the table has
	// too few small blocks.
	CompactionsPending int

	Flushes    int64 // Flush calls that returned without error
	Duplicates int64 // entries dropped as already committed
	Rescued    int64 // values that went to _rescued
	Rejected   int64 // rows refused (bad JSON etc.)
	// Retries counts extra commit attempts: puts that lost a race, and
	// commits of unknown outcome looked for again.
	Retries int64
	Commits int64 // commits written
	// CommitConflicts counts flushes whose blocks had to be written again
	// because a concurrent commit held a txn of the batch or changed the
	// schema.
	CommitConflicts int64
	// SchemaRewrites counts blocks written again within a Flush because
	// blocks encoded at once typed a new column differently (see
	// Options.BlockEncoders).
	SchemaRewrites int64
	// Unknown counts commits whose outcome stayed unknown (Flush failed
	// with manifest.ErrCommitUnknown).
	Unknown int64
	// OrphanBlocks counts blocks uploaded for commits that did not happen
	// and that could not be deleted (vacuum removes them).
	OrphanBlocks int64
	// FailedFlushes counts Flush calls that returned an error.
	FailedFlushes int64

	LastFlush   time.Time // when the last successful Flush returned
	LastVersion int64     // the latest table version this writer has seen
}

// counters is the writer's Stats behind a mutex.
type counters struct {
	mu sync.Mutex
	s  Stats
}

func (c *counters) update(f func(s *Stats)) {
	c.mu.Lock()
	f(&c.s)
	c.mu.Unlock()
}

func (c *counters) snapshot() Stats {
	c.mu.Lock()
	s := c.s
	c.mu.Unlock()
	if s.BlocksWritten > 0 {
		s.AvgBlockBytes = float64(s.BytesWritten) / float64(s.BlocksWritten)
	}
	return s
}

// Stats returns a snapshot of the writer's counters.
func (w *LakehouseWriter) Stats() Stats {
	s := w.stats.snapshot()
	s.CompactionsPending = w.compactionsPending()
	return s
}
