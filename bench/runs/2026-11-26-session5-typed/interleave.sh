#!/bin/sh
# Interleaved rounds of bench/e2e BenchmarkTypedRowsToParquet (ours and
# parquet-go; ours/pipelined skipped) or, with P set, another pattern, for
# two trees, pinned to one core, under chrt -r 1 (as
# bench/runs/2026-11-26-session5-load). Trees (session 5, typed write path):
#   before = main at 049117b, after = main at 5133bc2 (049117b + the
#   three commits: codec kept uncompressed across files, dictionary page
#   reuse and small word table, list item addresses)
#   mkdir -p /tmp/tb/before /tmp/tb/after
#   git -C /work/main archive 049117b | tar -x -C /tmp/tb/before
#   git -C /work/main archive 5133bc2 | tar -x -C /tmp/tb/after
#   (cd /tmp/tb/before/bench && go test -c -o /tmp/tb/before.test ./e2e/)
#   (cd /tmp/tb/after/bench && go test -c -o /tmp/tb/after.test ./e2e/)
#   R=6 ./interleave.sh; benchstat /tmp/tb/before.txt /tmp/tb/after.txt
# typed-*.txt: R=6 C=2, default pattern; json-orders-*.txt: R=4 C=2,
# P='JSONLinesToParquet/orders/ours/(zstd1|zstd3)$'. benchstat outputs: *-benchstat.txt.
P=${P:-'TypedRowsToParquet/(ours|parquet-go)$'}
: > /tmp/tb/before.txt
: > /tmp/tb/after.txt
for i in $(seq ${R:-8}); do
  for side in before after; do
    EVODB_BENCH_ROWS=1000000 chrt -r 1 taskset -c 1 /tmp/tb/$side.test -test.run '^$' -test.bench "$P" \
      -test.skip 'TypedRowsToParquet/ours/pipelined' -test.benchtime 1x -test.count ${C:-2} -test.timeout 60m >> /tmp/tb/$side.txt
  done
done
