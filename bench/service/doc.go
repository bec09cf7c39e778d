// Package service benchmarks the writer service end to end: a load
// generator in this process drives a server.Server over loopback HTTP with
// batches of 1,000 CDC entries from 8 producers, each acknowledged only
// after the write-ahead log was fsynced, while the server flushes the
// entries into a local Delta table. It reports acknowledged entries per
// second and the 99th percentile of the ack latency.
package service
