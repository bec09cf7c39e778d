#!/bin/bash
# Session 7: the bench/cli test binaries of main (OLD, a clone) and of the
# branch (NEW) run alternately, N rounds of 3 M lines, the order swapped
# every round; each line's name gets version=old|new.
#
#   git clone -q /work/main /tmp/base && (cd /tmp/base && git checkout -q <main's commit>)
#   ln -s /work/main/bench/duckdb/node_modules /tmp/base/bench/duckdb/   # and the data file into /tmp/base/bench/results/
#   (cd /tmp/base/bench && go test -c -o /tmp/load-old.test ./cli/)
#   (cd bench && go test -c -o /tmp/load-new.test ./cli/)
#   OLD=/tmp/base/bench NEW=$PWD/bench N=6 OUT=load.txt bench/runs/2026-11-26-session7-load/interleave.sh
#   benchstat -col /version load.txt
N=${N:-6}
OUT=${OUT:-load.txt}
: > "$OUT"
for i in $(seq 1 "$N"); do
  if [ $((i % 2)) -eq 1 ]; then order="old new"; else order="new old"; fi
  for v in $order; do
    if [ $v = old ]; then dir=$OLD/cli; else dir=$NEW/cli; fi
    (cd "$dir" && EVODB_BENCH_LOAD_ROWS=3000000 /tmp/load-$v.test -test.run '^$' -test.bench Load -test.benchtime 1x -test.count 1 -test.timeout 0) \
      | sed -E "s/^(BenchmarkLoad\/)impl=/\1version=$v\/impl=/" >> "$OUT"
  done
done
