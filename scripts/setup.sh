#!/usr/bin/env bash
# Installs everything the tests and benchmarks need on a fresh machine:
# Go modules, qemu-user-static (arm64 tests), zstd (the reference decoder
# for internal/zstdenc's tests), versitygw (S3 tests), node and
# DuckDB (@duckdb/node-api in bench/duckdb: interop tests and benchmarks).
# Safe to run again: each step is skipped when already done. Steps that
# use the network are tried up to 4 times (RETRIES), waiting 5 s, 10 s,
# 20 s in between; apt-get runs through sudo when not root.
set -euo pipefail
cd "$(dirname "$0")/.."
GOBIN="$(go env GOPATH)/bin"
RETRIES="${RETRIES:-4}"

# retry runs its arguments until they succeed, RETRIES times at most.
retry() {
	local attempt=1 wait=5
	until "$@"; do
		if [ "$attempt" -ge "$RETRIES" ]; then
			echo "setup: failed $attempt times: $*" >&2
			return 1
		fi
		echo "setup: attempt $attempt failed: $*; again in ${wait}s" >&2
		sleep "$wait"
		attempt=$((attempt + 1))
		wait=$((wait * 2))
	done
}

SUDO=
if [ "$(id -u)" != 0 ] && command -v sudo >/dev/null; then
	SUDO=sudo
fi
apt_updated=
apt_install() {
	if [ -z "$apt_updated" ]; then
		retry $SUDO apt-get update -qq
		apt_updated=1
	fi
	retry $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

if ! command -v qemu-aarch64-static >/dev/null; then
	echo "setup: installing qemu-user-static"
	apt_install qemu-user-static
fi

# the reference zstd decoder: internal/zstdenc checks its frames with it
if ! command -v zstd >/dev/null; then
	echo "setup: installing zstd"
	apt_install zstd
fi

if ! command -v versitygw >/dev/null && [ ! -x "$GOBIN/versitygw" ]; then
	echo "setup: installing versitygw v1.8.0 (S3-compatible server for the upload tests; a few minutes the first time)"
	retry env GOBIN="$GOBIN" go install github.com/versity/versitygw/cmd/versitygw@v1.8.0
fi

if ! command -v npm >/dev/null; then
	echo "setup: installing node and npm"
	apt_install nodejs npm
fi
if [ ! -d bench/duckdb/node_modules/@duckdb/node-api ]; then
	echo "setup: installing DuckDB for node into bench/duckdb"
	(cd bench/duckdb && retry npm ci --no-audit --no-fund --loglevel=error)
fi
# DuckDB must load with this node (its bindings are native): say so here
# rather than in the middle of the tests.
if ! out=$(cd bench/duckdb && echo '{"queries":["SELECT 42 AS v"]}' | node run.mjs 2>&1); then
	echo "setup: DuckDB does not run with node $(node --version): $out" >&2
	exit 1
fi

echo "setup: downloading Go modules"
retry go mod download
(cd asmgen && retry go mod download)
(cd bench && retry go mod download)
