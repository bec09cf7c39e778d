#!/bin/bash
# Quick A/B of evodb-writer binaries (or environment variants of one) on the
# 3 M line file, each run under chrt -r 1 (see interleave-rt.sh); prints the
# wall and CPU seconds and the peak RSS of every run, per label.
#   ./abx.sh 8 "base:X=1:/tmp/old/evodb-writer" "gc:X=1:/tmp/new/evodb-writer" "gogcoff:GOGC=off:/tmp/old/evodb-writer"
N=$1; shift
D=${DATA:-bench/results/load-events-3000000.jsonl}
T=$(mktemp -d)
for i in $(seq $N); do
  for spec in "$@"; do
    IFS=: read label envs b <<< "$spec"
    rm -rf $T/t
    env $envs /usr/bin/time -f "$label %e %U %S %M" -o $T/time.out chrt -r 1 $b load --table $T/t --json --progress never $D >/dev/null || exit 1
    cat $T/time.out
  done
done | awk '{w[$1]=w[$1]" "$2; c[$1]=c[$1]" "($3+$4); r[$1]=r[$1]" "int($5/1024)} END {for (k in w) print k, "wall:" w[k], "| cpu:" c[k], "| rssMB:" r[k]}' | sort
rm -rf $T
