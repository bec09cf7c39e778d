#!/bin/bash
# Interleaved rounds of bench/cli BenchmarkLoad: OLD and NEW are the bench/
# folders of two checkouts; the impl names get -old / -new (DuckDB's stay).
#   OLD=/tmp/base/bench NEW=/work/main/bench ROWS=3000000 N=6 OUT=load.txt ./interleave.sh
ROWS=${ROWS:-3000000}
N=${N:-6}
OUT=${OUT:-load.txt}
: > "$OUT"
for i in $(seq 1 "$N"); do
  for side in old new; do
    if [ $side = old ]; then dir=$OLD; else dir=$NEW; fi
    (cd "$dir" && EVODB_BENCH_LOAD_ROWS=$ROWS go test ./cli/ -run '^$' -bench Load -benchtime 1x -count 1 -timeout 0 2>&1) |
      grep -E "^Benchmark|^goos|^goarch|^pkg|^cpu" | sed "s/impl=evodb/impl=evodb-$side/" >> "$OUT"
    echo "round $i $side $(date -u +%T) load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
  done
done
