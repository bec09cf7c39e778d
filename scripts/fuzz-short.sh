#!/usr/bin/env bash
# Runs every Fuzz* target of the module for FUZZTIME (default 5s) beyond its
# seed corpus. A run that fails only because the fuzzing engine itself timed
# out coordinating its workers on a busy machine ("context deadline
# exceeded" with no failing input written) is run once more; any failure
# with an input, or a second failure, fails the script.
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
		for attempt in 1 2; do
			echo "fuzz $pkg $f"
			if $GO test -run '^$' -fuzz "^$f\$" -fuzztime "$FUZZTIME" "$pkg" >"$log" 2>&1; then
				tail -1 "$log"
				break
			fi
			cat "$log"
			if [ "$attempt" = 1 ] && grep -q "context deadline exceeded" "$log" && ! grep -q "Failing input written" "$log"; then
				echo "fuzz: the engine timed out without a failing input; running $f once more"
				continue
			fi
			exit 1
		done
	done
done
echo "fuzz: $n targets passed"
