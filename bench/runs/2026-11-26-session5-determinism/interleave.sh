#!/bin/bash
# Interleaved rounds of bench/cli BenchmarkLoad (ours only: 2 encoders and
# --encoders 1) for two trees, under chrt -r 1 (as
# bench/runs/2026-11-26-session5-load/interleave-rt.sh). impl names get
# -before / -after. Trees (session 5, FlushBlocks determinism):
#   before = main at 28497c1, after = main at ec4cd21 (28497c1 + the change)
#   mkdir -p /tmp/vb/before /tmp/vb/after
#   git -C /work/main archive 28497c1 | tar -x -C /tmp/vb/before
#   git -C /work/main archive ec4cd21 | tar -x -C /tmp/vb/after
#   (hard-link bench/results/load-events-3000000.jsonl into both trees)
#   N=8 ./interleave.sh   (load-rt-1.txt; then N=10: load-rt-2.txt)
#   split by side and benchstat before.txt after.txt
set -e
(cd /tmp/vb/before/bench && go test -c -o /tmp/vb/cli-before.test ./cli/)
(cd /tmp/vb/after/bench && go test -c -o /tmp/vb/cli-after.test ./cli/)
: > /tmp/vb/load-rt.txt
for i in $(seq 1 ${N:-6}); do
  for side in before after; do
    (cd /tmp/vb/$side/bench/cli && chrt -r 1 /tmp/vb/cli-$side.test -test.run '^$' -test.bench 'Load/impl=evodb' -test.benchtime 1x -test.count 1 -test.timeout 0 2>&1) |
      grep -E "^Benchmark|^goos|^goarch|^pkg|^cpu" | sed "s/impl=evodb/impl=evodb-$side/" >> /tmp/vb/load-rt.txt
    echo "round $i $side $(date -u +%T) load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
  done
done
