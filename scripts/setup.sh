#!/usr/bin/env bash
# Installs everything the tests and benchmarks need on a fresh machine:
# Go modules, qemu-user-static (arm64 tests), versitygw (S3 tests), node and
# DuckDB (@duckdb/node-api in bench/duckdb: interop tests and benchmarks).
# Safe to run again: each step is skipped when already done.
set -euo pipefail
cd "$(dirname "$0")/.."
GOBIN="$(go env GOPATH)/bin"

if ! command -v qemu-aarch64-static >/dev/null; then
	echo "setup: installing qemu-user-static"
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq qemu-user-static >/dev/null
fi

if ! command -v versitygw >/dev/null && [ ! -x "$GOBIN/versitygw" ]; then
	echo "setup: installing versitygw v1.8.0 (S3-compatible server for the upload tests; a few minutes the first time)"
	GOBIN="$GOBIN" go install github.com/versity/versitygw/cmd/versitygw@v1.8.0
fi

if ! command -v npm >/dev/null; then
	echo "setup: installing node and npm"
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
fi
if [ ! -d bench/duckdb/node_modules/@duckdb/node-api ]; then
	echo "setup: installing DuckDB for node into bench/duckdb"
	(cd bench/duckdb && npm ci --no-audit --no-fund --loglevel=error)
fi

echo "setup: downloading Go modules"
go mod download
(cd asmgen && go mod download)
(cd bench && go mod download)
