// Package ingest benchmarks the writer's ingest path: buffer.Ring against
// a buffered Go channel of the same capacity, with 1, 2 and 8 producers,
// one entry at a time and in batches, and the CDC buffer's Add.
//
//	go test -run '^$' -bench . -count 8 ./ingest/ | tee ingest.txt
//	benchstat -col /impl ingest.txt
package ingest
