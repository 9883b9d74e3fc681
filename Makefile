# smsgw build and test entry points. `make test` is what CI runs.
GO        ?= go
PKG       := ./...
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT    ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
DATE      ?= $(shell date -u +%Y-%m-%dT%H:%M:%SZ)
LDFLAGS   := -s -w -X main.version=$(VERSION) -X main.commit=$(COMMIT) -X main.date=$(DATE)
BIN       := bin/smsgw
# Time per fuzz target in `make fuzz` (exploration; never part of `make test`).
FUZZTIME_LONG  ?= 60s
# `make soak`: rounds of SIGKILL during bursts, and the seed that picks the kill moments.
SOAK_ROUNDS    ?= 25
SOAK_SEED      ?=
# `make fleet`: messages per scenario of the fleet tests.
FLEET_MESSAGES ?= 1000

.PHONY: all build test lint unit tidy-check fuzz bench bench-daemon soak fleet fleet-figures run clean cross deb package-check

all: build

build:
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/smsgw

# gofmt, vet, race-enabled tests. `go test` runs every fuzz target on its
# seed corpus and on the inputs saved under testdata/fuzz, so this is
# deterministic: random exploration is `make fuzz`, and the short soak
# (3 rounds) runs as part of the cmd/smsgw tests.
test: lint unit

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKG)

unit:
	$(GO) test -race -count=1 -timeout 15m $(PKG)

# Fails when go.mod or go.sum differ from what `go mod tidy` would write, so
# go.mod keeps saying what the project depends on (direct vs // indirect).
tidy-check:
	@$(GO) mod tidy -diff || { echo "go.mod/go.sum are not tidy: run 'go mod tidy' and commit the result"; exit 1; }

# Explores every fuzz target for FUZZTIME_LONG (FUZZ_PKGS limits the
# packages). A failing input is written under the package's
# testdata/fuzz/FuzzX/: commit it with the fix, and `make test` replays it
# from then on.
fuzz:
	FUZZTIME=$(FUZZTIME_LONG) bash scripts/fuzz.sh $(FUZZ_PKGS)

# The built daemon killed with SIGKILL at random moments during bursts of
# sends, restarted on the same database, SOAK_ROUNDS times; the seed is
# printed so a failing run can be replayed with SOAK_SEED=.
soak: build
	SMSGW_SOAK=1 SMSGW_SOAK_BIN=$(abspath $(BIN)) SMSGW_SOAK_ROUNDS=$(SOAK_ROUNDS) SMSGW_SOAK_SEED=$(SOAK_SEED) \
	  $(GO) test -run '^TestSoak$$' -count=1 -v -timeout 60m ./cmd/smsgw/

# Three gateways (bin/smsgw serve, two emulated modems each) on one
# PostgreSQL database (SMSGW_TEST_POSTGRES): FLEET_MESSAGES messages spread
# over six modems, a gateway killed mid-burst, a STOP across gateways, the
# database restarted mid-burst. `make test` runs the same with 200.
fleet: build
	SMSGW_FLEET=1 SMSGW_FLEET_BIN=$(abspath $(BIN)) SMSGW_FLEET_MESSAGES=$(FLEET_MESSAGES) \
	  $(GO) test -run '^TestFleet' -count=1 -v -timeout 30m ./cmd/smsgw/

# The fleet's figures on this machine (SMSGW_TEST_POSTGRES): durable
# accepts/s from 16 connections through one gateway and through three,
# claim latency with 1,000,000 queued, and the time from a gateway's death
# to its work being sent by the others.
fleet-figures: build
	SMSGW_FLEET=1 SMSGW_FLEET_FIGURES=1 SMSGW_FLEET_BIN=$(abspath $(BIN)) SMSGW_FLEET_MESSAGES=$(FLEET_MESSAGES) \
	  $(GO) test -run '^(TestFleetFigures|TestFleetGatewayKilled)$$' -count=1 -v -timeout 60m ./cmd/smsgw/

bench:
	$(GO) test -run '^$$' -bench . -benchmem -timeout 30m $(PKG)

# The whole daemon measured from outside: bin/smsgw serve on 4 emulated
# modems, driven over HTTP by the test process, one table beside the API,
# queue and gateway benchmarks run alone (see TestBenchDaemon for the
# SMSGW_BENCH_* knobs). BENCH_PROFILE=dir writes CPU and allocation
# profiles of the daemon during the accept phase.
BENCH_PROFILE  ?=
bench-daemon: build
	SMSGW_BENCH=1 SMSGW_BENCH_BIN=$(abspath $(BIN)) SMSGW_BENCH_GO=$(GO) \
	  SMSGW_BENCH_PROFILE=$(if $(BENCH_PROFILE),$(abspath $(BENCH_PROFILE))) \
	  $(GO) test -run '^TestBenchDaemon$$' -count=1 -v -timeout 30m ./cmd/smsgw/

run: build
	$(BIN) serve --simulate 2

# Raspberry Pi builds (arm64, armv7, armv6) into dist/, through Debian's cross compilers.
cross:
	scripts/cross.sh

# .deb packages for amd64, arm64 and armhf into dist/.
deb:
	scripts/deb.sh

# Cross builds, qemu-user smoke tests, lintian, unit/udev checks and a dpkg
# install/run/purge cycle (needs root or sudo).
package-check:
	scripts/ci-package.sh

clean:
	rm -rf bin dist
