#!/bin/bash
# Interleaved rounds of bench/cli BenchmarkLoad for two checkouts, each run
# under SCHED_RR priority 1 (chrt -r 1): on the shared 2-core machine the
# other engineers' processes sit in other cgroups, so nice does not give a
# process the cores, a real-time policy does (the kernel still keeps 5 % of
# each second for others). DuckDB (a child process) runs at the same
# priority. OLD and NEW are bench/ folders; impl names get -old / -new.
#   OLD=/tmp/base-main/bench NEW=/work/main/bench N=6 OUT=load-rt.txt ./interleave-rt.sh
#   benchstat -col /impl load-rt.txt
# Without RT=0 the rounds run at normal priority (as make bench-load does).
N=${N:-6}
OUT=${OUT:-load-rt.txt}
PFX="chrt -r 1"
[ "${RT:-1}" = 0 ] && PFX=
set -e
(cd "$OLD" && go test -c -o /tmp/cli-old.test ./cli/)
(cd "$NEW" && go test -c -o /tmp/cli-new.test ./cli/)
: > "$OUT"
for i in $(seq 1 "$N"); do
  for side in old new; do
    if [ $side = old ]; then dir=$OLD; else dir=$NEW; fi
    (cd "$dir/cli" && EVODB_BENCH_LOAD_ROWS=${ROWS:-3000000} $PFX /tmp/cli-$side.test -test.run '^$' -test.bench Load -test.benchtime 1x -test.count 1 -test.timeout 0 2>&1) |
      grep -E "^Benchmark|^goos|^goarch|^pkg|^cpu" | sed "s/impl=evodb/impl=evodb-$side/" >> "$OUT"
    echo "round $i $side $(date -u +%T) load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
  done
done
