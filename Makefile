# mcpverify: build, test, benchmark.
#
#   make test                  vet, all Go tests, and the official conformance suite
#   make check                 run mcpverify check against the embedded reference server
#   make bench                 Go benchmarks (wire decoding, model.Step, one request over loopback, the stores)
#   make bench-load            load the reference server and the Go SDK server with hey; print the ratio
#   make fuzz                  run every fuzz target for FUZZTIME each, FUZZJOBS at a time
#   make conformance-official  the official MCP conformance suite against `mcpverify serve`
#   make files-official        the file checks against the official filesystem server (npm)
#   make killmatrix            every faulty server against mcpverify check and the official suite: docs/killmatrix.md
#   make mutation              mutation testing (gremlins) of the reference server's security files

GO        ?= go
CACHE     ?= $(CURDIR)/.cache
BIN       := $(CURDIR)/bin
FUZZTIME  ?= 20s
FUZZMINIMIZETIME ?= 5s
FUZZJOBS  ?= 1
FUZZTARGETS ?= .
BENCHTIME ?= 1s

.PHONY: all build test vet unit model-vs-impl race check bench bench-load fuzz conformance-official files-official killmatrix mutation clean

all: build

build:
	$(GO) build -o $(BIN)/mcpverify ./cmd/mcpverify

vet:
	$(GO) vet ./...
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { echo "gofmt needed:"; gofmt -l $$(git ls-files '*.go'); exit 1; }
	@! git grep -n -E '^(<<<<<<<|>>>>>>>) ' || { echo "merge conflict markers (above)"; exit 1; }

# The tests of the shared store start a real redis-server; here they fail
# without one instead of skipping (.ci/run installs it).
unit:
	MCPVERIFY_REQUIRE_REDIS=1 $(GO) test -count=1 ./...

# The model judges at least 10,000 generated exchanges with the reference
# server and must accept every one.
model-vs-impl:
	$(GO) test -count=1 -run TestModelVsImpl -v ./internal/vsimpl/ -args -rapid.checks=250 -rapid.steps=60

race:
	MCPVERIFY_REQUIRE_REDIS=1 $(GO) test -count=1 -race ./impl/... ./check/...

test: vet unit model-vs-impl conformance-official

check: build
	$(BIN)/mcpverify check

bench:
	$(GO) test -p 1 -run '^$$' -bench . -benchmem -benchtime $(BENCHTIME) ./wire/ ./model/ ./impl/ ./check/...

bench-load: build
	CACHE=$(CACHE) BIN=$(BIN) GO=$(GO) ./scripts/bench-load.sh

fuzz:
	GO=$(GO) FUZZTIME=$(FUZZTIME) FUZZMINIMIZETIME=$(FUZZMINIMIZETIME) FUZZJOBS=$(FUZZJOBS) FUZZTARGETS='$(FUZZTARGETS)' ./scripts/fuzz.sh

conformance-official: build
	CACHE=$(CACHE) BIN=$(BIN) ./scripts/conformance-official.sh

files-official: build
	CACHE=$(CACHE) BIN=$(BIN) ./scripts/files-official.sh

# KILLMATRIX_FLAGS: e.g. -only 'auth-' to check a subset, -budget 10s.
# Without Node (npm) the official suite's column reads "not run".
killmatrix: build
	$(GO) build -o $(BIN)/faultyserve ./check/internal/faulty/faultyserve
	CACHE=$(CACHE) ./scripts/conformance-install.sh || echo "killmatrix: the official suite could not be installed; its column will read not run"
	$(GO) run ./check/internal/faulty/killmatrix -mcpverify $(BIN)/mcpverify -faultyserve $(BIN)/faultyserve -suite-dir $(CACHE)/conformance -out docs/killmatrix.md $(KILLMATRIX_FLAGS)

# Mutation testing of impl's security code: gremlins v0.6.0 (through go
# run) mutates the security files of impl (listed in the script, chosen in
# docs/mutation.md) and runs impl's tests on each mutant; it fails when the
# efficacy (killed / (killed + lived)) is 85% or less. JSON results in
# $(CACHE)/mutation.json. Needs redis-server, as `unit` does. Settings:
# MUTATION_FILES, MUTATION_WORKERS (default 2), MUTATION_TIMEOUT (see the script).
mutation:
	CACHE=$(CACHE) GO=$(GO) ./scripts/mutation.sh

clean:
	rm -rf $(BIN)
