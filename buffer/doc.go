// Package buffer is the in-process ingest path of the writer: a lock-free
// Ring that many producers publish into and one consumer drains, a CDC
// buffer that accumulates entries until a flush is due, and Backpressure
// that tells producers to pause while too many bytes wait in memory or in
// uploads.
//
// # Ring
//
// A Ring is a bounded multi-producer, single-consumer queue of values in
// sequence-numbered slots. Its invariants:
//
//   - The capacity is a power of two. Positions are claimed in runs with a
//     compare-and-swap on the tail (one position for Publish, as many as
//     fit for PublishBatch); a producer owns the positions it claimed until
//     it has written their values and stored the sequence number (first
//     position + 1) in the slot of the run's first position, which
//     publishes the whole run at once.
//   - A position is claimed only after the consumer has released the value
//     that occupied its slot one lap earlier, so a value is never
//     overwritten before it is read.
//   - The consumer reads positions in order and stops at the first run not
//     yet published, so every published value is consumed exactly once, and
//     the values of one producer come out in the order it published them.
//     (A run claimed earlier and still being written hides runs published
//     after it until it is done: the ring is FIFO, and may look empty for
//     that moment.)
//   - TryPublish never blocks; Publish waits (briefly spinning, then parked
//     until the consumer frees space) or returns when its context ends.
//   - Close fixes the last position: publishing afterwards fails with
//     ErrClosed, values published before it are still drained, and the
//     consumer then sees ErrClosed. No goroutine is left waiting.
//
// # CDC buffer
//
// CDC holds accepted entries until ShouldFlush reports a trigger (entry
// count, bytes, or the age of the oldest entry) and Drain hands them over
// as a Batch. Its invariants:
//
//   - Per producer, accepted LSNs strictly increase: an entry whose LSN is
//     not above its producer's last accepted LSN is a duplicate, counted
//     and not buffered. A Batch carries the highest LSN of each producer it
//     holds, which the commit records for exactly-once delivery.
//   - Add never makes the bytes buffered exceed MemoryLimit: it returns a
//     *MemoryLimitError instead of growing, and the entry is not buffered.
//     Requeue alone may go beyond the limit, since it gives back a batch
//     whose bytes were already held; Add then refuses until a Drain.
//   - Nothing accepted is lost: entries leave the buffer only through Drain,
//     and a Batch whose upload failed can be put back with Requeue.
//
// # Backpressure
//
// Backpressure counts the bytes buffered plus the bytes uploading. It
// pauses when that total reaches HighWaterMark and resumes only when it
// falls below LowWaterMark. It is re-evaluated on every change, including
// drains and the end of an upload, successful or not, so it cannot stay
// paused once the bytes are gone.
package buffer
