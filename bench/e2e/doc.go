// Package e2e benchmarks the whole write path side by side with its peers
// on the same generated CDC rows (bench/gen):
//
//   - JSON lines → Parquet (zstd): ours (engine.BlockWriter.WriteJSONLines:
//     cdc.DecodeJSONLines frames the lines, the shredder validates each
//     row once; one block per batch) against DuckDB's
//     COPY (SELECT * FROM read_json(...)) TO ... (FORMAT parquet,
//     COMPRESSION zstd) with 2 threads, timed inside the node script
//     (start-up excluded);
//   - typed rows → Parquet (zstd): ours from cdc.Entry against
//     parquet-go's GenericWriter and arrow-go's pqarrow writer from Go
//     values built beforehand;
//   - the peak heap a block writer needs, against the block's size.
//
// Each sub-benchmark reports ns/row (compare these, not ns/op: the DuckDB
// one's ns/op includes starting node), MB/s of JSON input where there is
// one, out-bytes (the Parquet bytes written) and, for ours, allocs/row.
// EVODB_BENCH_ROWS sets the number of rows (default 1,000,000).
package e2e
