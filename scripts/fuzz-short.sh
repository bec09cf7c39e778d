#!/usr/bin/env bash
# Runs every Fuzz* target of the module for FUZZTIME (default 5s) beyond its
# seed corpus. A run that fails only with "context deadline exceeded" and no
# failing input written is not a finding: Go's fuzzing coordinator derives
# its workers' context from the -fuzztime deadline, and the deadline closes
# the parent's Done channel before it cancels the child; when the timer's
# goroutine is descheduled in between (a busy machine), the coordinator
# reports the deadline as an error. That target is run once more with an
# execution count (-fuzztime Nx, N the executions the first run reached),
# which sets no deadline and so cannot race that way; any failure with an
# input, or a second failure, fails the script.
set -uo pipefail
cd "$(dirname "$0")/.."
GO="${GO:-go}"
FUZZTIME="${FUZZTIME:-5s}"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
n=0
for pkg in $($GO list ./...); do
	for f in $($GO test -list '^Fuzz' "$pkg" | grep '^Fuzz'); do
		n=$((n + 1))
		budget="$FUZZTIME"
		for attempt in 1 2; do
			echo "fuzz $pkg $f (-fuzztime $budget)"
			if $GO test -run '^$' -fuzz "^$f\$" -fuzztime "$budget" "$pkg" >"$log" 2>&1; then
				tail -1 "$log"
				break
			fi
			cat "$log"
			if [ "$attempt" = 1 ] && grep -q "context deadline exceeded" "$log" && ! grep -q "Failing input written" "$log"; then
				execs=$(grep -o 'execs: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*' || true)
				budget="${execs:-10000}x"
				[ "$budget" = 0x ] && budget=10000x
				echo "fuzz: the coordinator reported its deadline without a failing input; running $f once more for $budget executions (no deadline)"
				continue
			fi
			exit 1
		done
	done
done
echo "fuzz: $n targets passed"
