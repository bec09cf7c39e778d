# evodb writer — build, test and benchmark targets.
#
#   make test            the whole test suite (what CI runs)
#   make generate        regenerate the assembly from asmgen/
#   make bench-kernels   our kernels side by side with parquet-go's
#   make bench-ingest    buffer.Ring against a Go channel, CDC.Add
#   make bench-upload    the multipart uploader beside a single PUT and the SDK's transfer manager

GO        ?= go
PKGS      := ./...
QEMU      ?= qemu-aarch64-static
BENCHTIME ?= 1s
COUNT     ?= 6

.PHONY: all test test-amd64 test-race test-purego test-arm64 test-bench-module \
        vet generate check-generated fuzz-short bench-kernels bench-ingest bench-upload bench-e2e tools

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
	@for pkg in $$($(GO) list ./... ); do \
		for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
			echo "fuzz $$pkg $$f"; \
			$(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
		done; \
	done

# bench-kernels prints, per kernel, our ns/value, parquet-go's, and the ratio.
# bench-e2e runs the end-to-end benchmarks (BENCH_ROWS rows per table).
BENCH_ROWS ?= 1000000
bench-e2e: tools
	cd bench && EVODB_BENCH_ROWS=$(BENCH_ROWS) $(GO) test -run '^$$' -bench . -benchtime 1x -count $(COUNT) -timeout 120m ./e2e/ | tee e2e.txt
	benchstat bench/e2e.txt

bench-kernels: tools
	cd bench && $(GO) test -run '^$$' -bench 'Kernel' -benchtime $(BENCHTIME) -count $(COUNT) ./kernels/ | tee kernels.txt
	cd bench && $(GO) run ./cmd/kernelreport kernels.txt

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

tools:
	@command -v benchstat >/dev/null || $(GO) install golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da
