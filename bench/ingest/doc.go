// Package ingest benchmarks the writer's ingest path: buffer.Ring against
// a buffered Go channel of the same capacity, with 1, 2 and 8 producers,
// one entry at a time and in batches, and the CDC buffer's Add.
//
// One op of the ring and channel benchmarks is 256 entries consumed; read
// ns/entry (wall time), cpu-ns/entry (CPU time of all the process's
// threads, which other programs' load on a shared machine does not
// inflate) and entries/s.
//
//	go test -run '^$' -bench . -count 8 ./ingest/ | tee ingest.txt
//	benchstat -col /impl ingest.txt
package ingest
