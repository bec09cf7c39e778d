// Package writer is the main API of evodb writer: a LakehouseWriter that
// turns batches of CDC entries into Parquet blocks in a Delta Lake table,
// each batch one all-or-nothing commit.
//
// # Flush
//
// Flush takes one batch of entries and
//
//  1. drops the entries whose producer has already committed their LSN (the
//     table's txn action per producer, the Delta way of exactly-once
//     delivery) and repeats of a (producer, LSN) inside the batch;
//  2. shreds the rest into columns and encodes them as Parquet, streaming
//     the bytes into the store while they are produced (data/blk_<id>.parquet,
//     a multipart upload on S3); the blocks of a large batch are written
//     Options.BlockEncoders at a time (default: one per CPU), each by its
//     own block writer on its own goroutine (with one encoder: through one
//     pipeline that shreds the next block while the one before is encoded
//     and uploaded);
//  3. commits, in one put-if-absent of the next log file, an add action per
//     block (with Delta statistics: numRecords, minValues, maxValues,
//     nullCount), one txn action per producer (version: its highest LSN in
//     the batch) and, when the blocks added columns, a metaData action with
//     the wider schema.
//
// Block sizes (TargetBlockBytes, MaxBlockBytes) are sizes in the store.
// The writer estimates the compression ratio from the blocks it wrote and
// turns the target into the entry bytes of one block (InputBytesPerBlock):
// a batch of more than about 1.5 times that is cut into blocks of about
// the target, all added by the same commit (a batch is committed whole or
// not at all, which is what makes its txn versions true). A block that
// encodes to more than MaxBlockBytes is written again in smaller blocks.
//
// Blocks written at once type the columns new to the table each from its
// own rows, and may disagree (one block saw only integers in a column,
// another a fraction). The blocks of a commit must agree: their schemas
// are merged in entry order on top of the table's, and a block that
// clashes with the merge so far is deleted and written again by a block
// writer that knows the merged types, which puts its values that do not
// fit into _rescued, as a single writer writing the blocks in turn would
// have done (Stats.SchemaRewrites counts these blocks). Columns that only
// some blocks have are added as nullable columns.
//
// A LakehouseWriter writes one table: the entries' Table names the source
// table, and entries of another source table than the first one seen are
// rejected rows. Entries without a Producer are always written and carry
// no txn: exactly-once needs a producer and increasing LSNs.
//
// Rows that cannot be shredded (bad JSON, too deep, not an object, ...) are
// reported in FlushResult.Rejected; the other rows are written. A rejected
// row's LSN still counts for its producer's txn version: replaying it would
// be rejected again.
//
// # Concurrency and failures
//
// Flushes of one LakehouseWriter are serialised. Several writers, in one
// process or many, may write the same table: commits are optimistic (see
// package manifest). A commit that lost the race to another append is
// retried by the manifest on top of it. When the race shows that a
// concurrent commit may hold some of the batch (a txn of one of its
// producers: at or above ours a *manifest.DuplicateError, below it a
// *manifest.ConflictError, as the batch was filtered against an older
// table) or changed the schema in a way that clashes with the blocks
// written, Flush drops its blocks, re-reads the
// table, filters the batch again and writes it anew, so no row is ever
// committed twice. A commit whose outcome is unknown (the store did not
// answer, manifest.ErrCommitUnknown) is resolved by reading the log back and
// looking for the commit's own id, never by committing again blindly; if it
// stays unknown Flush returns an error matching manifest.ErrCommitUnknown and
// the caller replays the batch later: the txn versions then tell which
// entries are already in.
//
// Blocks written for a commit that did not happen (a crash between upload
// and commit, a lost race) are orphans: no snapshot refers to them and
// Vacuum removes them.
//
// # Run
//
// Run is the ingest loop: it drains a buffer.Ring into a buffer.CDC, flushes
// when one of the buffer's triggers holds (entries, bytes, age), puts a
// failed batch back into the buffer and tries again later, and flushes what
// is left when the ring is closed or its context ends.
//
// # Reading
//
// ReadRows returns the rows of a snapshot, file by file: what a reader of
// the table sees at that version (time travel with Table().SnapshotAt).
package writer
