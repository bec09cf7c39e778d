// Package server is the evodb writer service: producers POST batches of CDC
// entries over HTTP, the server acknowledges each batch once it is durable in
// a local write-ahead log, and flushes the entries into Delta tables through
// a writer.LakehouseWriter per table.
//
//	s, err := server.New(ctx, server.Config{DataDir: "/var/lib/evodb", Token: token})
//	...
//	err = s.ListenAndServe(ctx) // returns after a graceful shutdown when ctx ends
//
// # Endpoints
//
//	POST /v1/tables/{table}/cdc      a batch; answers {"acked": {producer: lsn}, "lsn", "accepted", "duplicates"}
//	GET  /v1/tables/{table}          snapshot version, files (rows, sizes), schema, producers' LSNs, buffer, writer stats
//	POST /v1/tables/{table}/flush    commit what the table has buffered now
//	POST /v1/tables/{table}/compact  merge small blocks (writer.LakehouseWriter.Compact)
//	GET  /healthz                    liveness; needs no token
//	GET  /metrics                    Prometheus metrics (evodb_*, Go runtime, process)
//
// Every request but /healthz carries "Authorization: Bearer <token>" when
// Config.Token (or TokenFile) is set; a wrong or missing token is answered
// 401. Table names are 1 to 128 of A-Z a-z 0-9 _ -; anything else (an
// encoded slash, "..") is answered 400. Errors are JSON: {"error": "..."},
// with "line" and "offset" for a bad line of a batch.
//
// # Batches
//
// A batch body is JSON lines (Content-Type application/x-ndjson, or none) or
// the binary batch format of package cdc (application/x-evodb-batch), sent
// plain or with Content-Encoding gzip or zstd; it may be at most
// Config.MaxBodyBytes long both as sent and decompressed (else 413). The
// header X-Evodb-Producer names the producer of entries that name none;
// an entry naming another producer, or another table than the URL, is an
// error. A batch is accepted whole or not at all: one bad line refuses it
// with 400 naming the line and byte offset of the first bad line (and up to
// 20 of them in "errors"). Within a batch, each producer's LSNs must
// increase.
//
// # Acknowledgements and exactly once
//
// An accepted batch is buffered for its table and appended, as it was sent
// (decompressed), to the write-ahead log; the answer (200) is sent after the
// log was fsynced up to it. Concurrent batches share fsyncs (group commit).
// "acked" gives, for each producer of the batch, its highest LSN that is
// durable: in the log or already committed to the table.
//
// The rule is: an acknowledgement means the rows are durable. The server
// never acknowledges an entry it did not accept. For each producer a table
// remembers the LSN ranges it accepted: the span first..last of the
// producer's entries in each accepted batch (the LSNs a batch skips between
// its first and last are taken as not existing), merged when adjacent, and
// a floor at or below which every LSN counts as accepted. An entry above
// the producer's highest accepted LSN is new. An entry inside an accepted
// range or at or below the floor is a duplicate (a retry): it is counted,
// dropped and acknowledged. An entry below the highest accepted LSN but in
// a gap between the ranges was never accepted: its whole batch is refused
// with 409 Conflict, {"error", "producer", "first", "last", "acked"} naming
// the LSNs that fall in gaps. This happens when a producer's batch arrives
// after a later batch of the same producer was accepted (concurrent
// requests, or a retry after a timeout while the next batch went through):
// a producer sends its batches in LSN order, one at a time, retrying a
// batch until it is answered.
//
// The ranges are kept in memory, at most 1024 per producer: past that the
// oldest fold into the floor, so a gap older than the producer's last 1024
// accepted batches is answered as a duplicate. Before each commit of a
// table in which some producer has a gap (and from then on), the ranges as
// of the commit's entries are saved to DataDir/lsn-ranges/<table>.json
// (written to a temporary file, fsynced, renamed). At start-up a producer's
// floor and ranges are the saved ones, or else its floor is the LSN of its
// last commit to the table (its txn version); the log replay then adds the
// ranges of the batches not committed yet. A gap therefore survives commits
// and restarts.
//
// Each table is flushed (one commit of its buffered entries, with a txn per
// producer) when its buffer reaches Config.FlushEntries or FlushInputBytes
// (bytes of the entries as received, not of the Parquet written), every
// Config.FlushInterval, on POST .../flush, and at shutdown. A failed flush
// keeps the entries buffered and logged and is tried again with backoff.
// After a commit, the log segments whose records are all committed are
// deleted. At start-up New replays the log into the buffers (entries the
// table already holds are duplicates by its txn versions), commits them, and
// truncates the log.
//
// If writing or syncing the log fails, the log stops: no batch is
// acknowledged any more (503), /healthz answers 503, and the process must be
// restarted (what was acknowledged before is intact and is replayed).
//
// While the bytes buffered and being flushed in all tables are above
// Config.HighWater, batches are answered 429 with Retry-After, until they
// fall below LowWater.
//
// Shutdown (or the end of Serve's context, e.g. on SIGTERM) stops accepting
// connections, lets the requests in progress finish, flushes and commits
// every table, and closes the log; whatever could not be committed stays in
// the log for the next start.
package server
