# evodb writer — build, test and benchmark targets.
#
#   make test            the whole test suite (what CI runs)
#   make generate        regenerate the assembly from asmgen/
#   make bench-kernels   our kernels side by side with parquet-go's
#   make bench-ingest    buffer.Ring against a Go channel, CDC.Add
#   make bench-upload    the multipart uploader beside a single PUT and the SDK's transfer manager
#   make bench-load      evodb-writer load of 3 M JSON lines beside DuckDB (2 threads)
#   make bench-service   the HTTP service: 8 producers, batches of 1,000, fsync on
#   make bench           the whole side-by-side suite, then bench/REPORT.md and its charts
#   make bench-check     kernels and block writer against the committed baseline (THRESHOLD=10)
#   make bench-baseline  record that baseline on purpose (see bench/README.md)

GO        ?= go
PKGS      := ./...
QEMU      ?= qemu-aarch64-static
BENCHTIME ?= 1s
COUNT     ?= 6

.PHONY: all test test-amd64 test-race test-purego test-arm64 test-bench-module \
        vet generate check-generated fuzz-short bench-kernels bench-ingest bench-upload bench-e2e bench-load bench-service tools \
        bench bench-report bench-check bench-baseline

all: test

# test runs everything a change must pass: vet on every platform, the
# generated code up to date, the suite natively, under -race, with the
# purego tag, for arm64 under qemu-user, and the side-by-side interop tests
# of the bench module.
test: vet check-generated test-amd64 test-race test-purego test-arm64 test-bench-module fuzz-short

test-amd64:
	$(GO) test -count=1 $(PKGS)

test-race:
	$(GO) test -count=1 -race -short $(PKGS)

test-purego:
	$(GO) test -count=1 -tags purego $(PKGS)

# arm64 tests run under qemu-user; timings there mean nothing.
test-arm64:
	GOARCH=arm64 $(GO) test -count=1 -short -exec $(QEMU) $(PKGS)

test-bench-module:
	cd bench && $(GO) test -count=1 -run . -bench '^$$' ./...

vet:
	$(GO) vet $(PKGS)
	GOARCH=arm64 $(GO) vet $(PKGS)
	$(GO) vet -tags purego $(PKGS)
	cd asmgen && $(GO) vet ./...
	cd bench && $(GO) vet ./...

# generate rewrites every generated assembly file from its generator.
generate:
	$(GO) generate ./kernels/...

# check-generated fails when the committed assembly differs from what the
# generators produce now.
check-generated: generate
	@if [ -n "$$(git status --porcelain -- kernels)" ]; then \
		echo "generated files are out of date; run make generate and commit:"; \
		git status --porcelain -- kernels; git diff --stat -- kernels; exit 1; \
	fi

# fuzz-short runs every fuzz target for a few seconds beyond its seed corpus.
FUZZTIME ?= 5s
fuzz-short:
	GO=$(GO) FUZZTIME=$(FUZZTIME) bash scripts/fuzz-short.sh

# bench-kernels prints, per kernel, our ns/value, parquet-go's, and the ratio.
# bench-e2e runs the end-to-end benchmarks (BENCH_ROWS rows per table).
BENCH_ROWS ?= 1000000
bench-e2e: tools
	cd bench && EVODB_BENCH_ROWS=$(BENCH_ROWS) $(GO) test -run '^$$' -bench . -benchtime 1x -count $(COUNT) -timeout 120m ./e2e/ | tee e2e.txt
	benchstat bench/e2e.txt

bench-kernels: tools
	cd bench && $(GO) test -run '^$$' -bench 'Kernel' -benchtime $(BENCHTIME) -count $(COUNT) ./kernels/ | tee kernels.txt
	cd bench && $(GO) run ./cmd/benchreport -o - kernels.txt

# bench-ingest compares buffer.Ring with a buffered channel of the same
# capacity (1, 2, 8 producers; one entry or 64 per publish) and times
# CDC.Add. The machine is shared: read medians and ratios, and the
# cpu-ns/entry column, which other programs' load does not inflate.
bench-ingest: tools
	cd bench && $(GO) test -run '^$$' -bench 'Ring|CDCAdd' -benchtime $(BENCHTIME) -count $(COUNT) ./ingest/ | tee ingest.txt
	cd bench && benchstat -col /impl ingest.txt

# bench-upload uploads 64 MiB objects (UPLOAD_FLAGS=-upload.large adds 512
# MiB) to a versitygw on loopback: ours, one plain PutObject, the transfer
# manager. Rounds are interleaved so that a busy machine weighs on all three.
bench-upload: tools
	cd bench && for i in $$(seq $(COUNT)); do \
		$(GO) test ./upload/ -run '^$$' -bench Upload -benchtime 4x -count 1 -args $(UPLOAD_FLAGS) | grep '^Benchmark'; \
	done | tee upload.txt
	benchstat -col /how bench/upload.txt

# bench-load times the evodb-writer binary loading LOAD_ROWS JSON lines
# (bench/gen events) into a local table beside DuckDB converting the same
# file to Parquet with 2 threads, rounds interleaved.
LOAD_ROWS ?= 3000000
bench-load: tools
	cd bench && for i in $$(seq $(COUNT)); do \
		EVODB_BENCH_LOAD_ROWS=$(LOAD_ROWS) $(GO) test ./cli/ -run '^$$' -bench Load -benchtime 1x -count 1 -timeout 0 | grep '^Benchmark'; \
	done | tee load.txt
	benchstat -col /impl bench/load.txt

# bench-service drives the writer service over loopback: 8 producers send
# batches of 1,000 entries, acknowledged after the write-ahead log's fsync,
# into a local table; acknowledged and committed entries/s, p50/p99 ack.
SERVICE_BATCHES ?= 3000
bench-service: tools
	cd bench && $(GO) test -run '^$$' -bench ServiceIngest -benchtime $(SERVICE_BATCHES)x -count $(COUNT) -timeout 0 ./service/ | tee service.txt
	benchstat bench/service.txt

tools:
	@command -v benchstat >/dev/null || $(GO) install golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da

# ---------------------------------------------------------------------------
# The whole suite, the report and the regression check (bench/README.md).

# Raw outputs go to bench/results/ (not committed). The single-threaded
# packages (kernels, block writer) run pinned to one CPU when taskset exists
# (PIN_EXEC= turns it off); KERNELS=purego (or EVODB_KERNELS=purego) runs
# our kernels on the pure-Go reference instead of AVX2/NEON.
BW_BENCHTIME ?= 3x
UPLOAD_BENCHTIME ?= 4x
# Which benchmarks of each package make bench runs (go test -bench patterns).
BENCH_KERNELS     ?= Kernel
BENCH_BLOCKWRITER ?= WriteRowGroup
BENCH_INGEST      ?= Ring|CDCAdd
BENCH_E2E         ?= JSONLinesToParquet|TypedRowsToParquet|PeakHeap
BENCH_UPLOAD      ?= Upload
BENCH_BLOCKSIZE   ?= BlockSize
# Sizes of the service and CLI load runs inside make bench (smaller than
# the defaults of bench-service and bench-load, which run alone).
BENCH_SERVICE_BATCHES ?= 1000
BENCH_LOAD_ROWS       ?= 1000000
TASKSET      := $(shell command -v taskset 2>/dev/null)
PIN_CPU      ?= $(shell echo $$(( $$(nproc) - 1 )))
ifneq ($(TASKSET),)
PIN_EXEC     ?= -exec 'taskset -c $(PIN_CPU)'
endif
KERNELS      ?= $(EVODB_KERNELS)
BENCH_ENV    := $(if $(KERNELS),EVODB_KERNELS=$(KERNELS))

bench bench-report bench-check bench-baseline: SHELL := /bin/bash
bench bench-report bench-check bench-baseline: .SHELLFLAGS := -o pipefail -c

bench: tools
	./scripts/setup.sh
	mkdir -p bench/results
	cd bench && $(BENCH_ENV) $(GO) test $(PIN_EXEC) -run '^$$' -bench '$(BENCH_KERNELS)' -benchtime $(BENCHTIME) -count $(COUNT) -timeout 0 ./kernels/ | tee results/kernels.txt
	cd bench && $(BENCH_ENV) $(GO) test $(PIN_EXEC) -run '^$$' -bench '$(BENCH_BLOCKWRITER)' -benchtime $(BW_BENCHTIME) -count $(COUNT) -timeout 0 ./blockwriter/ | tee results/blockwriter.txt
	cd bench && $(BENCH_ENV) $(GO) test -run '^$$' -bench '$(BENCH_INGEST)' -benchtime $(BENCHTIME) -count $(COUNT) -timeout 0 ./ingest/ | tee results/ingest.txt
	cd bench && $(BENCH_ENV) EVODB_BENCH_ROWS=$(BENCH_ROWS) $(GO) test -run '^$$' -bench '$(BENCH_E2E)' -benchtime 1x -count $(COUNT) -timeout 0 ./e2e/ | tee results/e2e.txt
	cd bench && for i in $$(seq $(COUNT)); do \
		$(GO) test ./upload/ -run '^$$' -bench '$(BENCH_UPLOAD)' -benchtime $(UPLOAD_BENCHTIME) -count 1 -args $(UPLOAD_FLAGS) | grep -v '^\(PASS\|ok \)' || exit 1; \
	done | tee results/upload.txt
	cd bench && $(BENCH_ENV) EVODB_BENCH_ROWS=$(BENCH_ROWS) $(GO) test -run '^$$' -bench '$(BENCH_BLOCKSIZE)' -benchtime 1x -count $(COUNT) -timeout 0 ./e2e/ | tee results/blocksize.txt
	cd bench && for i in $$(seq $(COUNT)); do \
		$(BENCH_ENV) EVODB_BENCH_LOAD_ROWS=$(BENCH_LOAD_ROWS) $(GO) test ./cli/ -run '^$$' -bench Load -benchtime 1x -count 1 -timeout 0 | grep -v '^\(PASS\|ok \)' || exit 1; \
	done | tee results/load.txt
	cd bench && $(BENCH_ENV) $(GO) test -run '^$$' -bench ServiceIngest -benchtime $(BENCH_SERVICE_BATCHES)x -count $(COUNT) -timeout 0 ./service/ | tee results/service.txt
	$(MAKE) bench-report

# bench-report rewrites bench/REPORT.md and bench/charts/ from whatever raw
# outputs bench/results/ holds.
bench-report:
	rm -f bench/charts/*.svg
	cd bench && $(GO) run ./cmd/benchreport -o REPORT.md -charts charts \
		-flags "COUNT=$(COUNT) BENCHTIME=$(BENCHTIME) BW_BENCHTIME=$(BW_BENCHTIME) BENCH_ROWS=$(BENCH_ROWS) UPLOAD_BENCHTIME=$(UPLOAD_BENCHTIME) BENCH_LOAD_ROWS=$(BENCH_LOAD_ROWS) BENCH_SERVICE_BATCHES=$(BENCH_SERVICE_BATCHES) $(BENCH_ENV); -bench: kernels '$(BENCH_KERNELS)', blockwriter '$(BENCH_BLOCKWRITER)', ingest '$(BENCH_INGEST)', e2e '$(BENCH_E2E)', upload '$(BENCH_UPLOAD)', blocksize '$(BENCH_BLOCKSIZE)'" \
		-pin "$(if $(PIN_EXEC),kernels and blockwriter: $(PIN_EXEC),none)" \
		$$(for f in kernels blockwriter ingest e2e upload blocksize load service; do [ -s results/$$f.txt ] && echo results/$$f.txt; done)

# bench-check runs, for each package with a committed baseline
# (bench/baseline/<pkg>.txt), the benchmarks of ours that the baseline
# holds, and fails on a significant slowdown above THRESHOLD percent.
# CHECK_* must match what bench-baseline recorded.
THRESHOLD         ?= 10
CHECK_COUNT       ?= 6
CHECK_BENCHTIME   ?= 100ms
CHECK_KERNELS     ?= Kernel(Unpack32|Pack32|Unpack64|MinMaxInt64)/^(w=(1|8|17|32)|n=8192)$$/impl=evodb
CHECK_BLOCKWRITER ?= WriteRowGroup/^level=(0|3)$$/impl=ours
CHECK_BW_BENCHTIME ?= 2x
BASELINE_PKGS     ?= kernels blockwriter

bench-check: tools
	mkdir -p bench/results
	cd bench && old=; new=; for pkg in kernels blockwriter; do \
		[ -f baseline/$$pkg.txt ] || { echo "bench-check: no baseline/$$pkg.txt, $$pkg not checked"; continue; }; \
		if [ $$pkg = kernels ]; then filter='$(CHECK_KERNELS)' bt=$(CHECK_BENCHTIME); else filter='$(CHECK_BLOCKWRITER)' bt=$(CHECK_BW_BENCHTIME); fi; \
		echo "bench-check: $$pkg: -bench '$$filter' -benchtime $$bt -count $(CHECK_COUNT) $(BENCH_ENV)"; \
		$(BENCH_ENV) $(GO) test $(PIN_EXEC) -run '^$$' -bench "$$filter" -benchtime $$bt -count $(CHECK_COUNT) -timeout 0 ./$$pkg/ > results/check-$$pkg.txt || { cat results/check-$$pkg.txt; exit 1; }; \
		old=$$old$${old:+,}baseline/$$pkg.txt; new=$$new$${new:+,}results/check-$$pkg.txt; \
	done; \
	[ -n "$$old" ] || { echo "bench-check: no baseline in bench/baseline/; record one with make bench-baseline"; exit 1; }; \
	$(GO) run ./cmd/benchcheck -threshold $(THRESHOLD) -old $$old -new $$new

# bench-baseline records bench/baseline/<pkg>.txt for BASELINE_PKGS with
# the CHECK_* settings. Run it on purpose, on a quiet machine, and commit
# the files with a message that says why the baseline moved.
bench-baseline: tools
	mkdir -p bench/baseline
	cd bench && for pkg in $(BASELINE_PKGS); do \
		if [ $$pkg = kernels ]; then filter='$(CHECK_KERNELS)' bt=$(CHECK_BENCHTIME); else filter='$(CHECK_BLOCKWRITER)' bt=$(CHECK_BW_BENCHTIME); fi; \
		$(BENCH_ENV) $(GO) test $(PIN_EXEC) -run '^$$' -bench "$$filter" -benchtime $$bt -count $(CHECK_COUNT) -timeout 0 ./$$pkg/ | tee baseline/$$pkg.txt; \
	done
