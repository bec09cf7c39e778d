#!/usr/bin/env bash
# Installs everything the tests and benchmarks need on a fresh machine:
# Go modules, qemu-user-static (arm64 tests), versitygw (S3 tests).
# Safe to run again: each step is skipped when already done.
set -euo pipefail
cd "$(dirname "$0")/.."
GOBIN="$(go env GOPATH)/bin"

if ! command -v qemu-aarch64-static >/dev/null; then
	echo "setup: installing qemu-user-static"
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq qemu-user-static >/dev/null
fi

echo "setup: downloading Go modules"
go mod download
(cd asmgen && go mod download)
(cd bench && go mod download)
