# smsgw build and test entry points. `make test` is what CI runs.
GO        ?= go
PKG       := ./...
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT    ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
DATE      ?= $(shell date -u +%Y-%m-%dT%H:%M:%SZ)
LDFLAGS   := -s -w -X main.version=$(VERSION) -X main.commit=$(COMMIT) -X main.date=$(DATE)
BIN       := bin/smsgw
# Seconds per fuzz target: short in `make test`, long in `make fuzz`.
FUZZTIME_SHORT ?= 4s
FUZZTIME_LONG  ?= 60s

.PHONY: all build test lint unit fuzz-short fuzz bench run clean cross deb package-check

all: build

build:
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/smsgw

# gofmt, vet, race-enabled tests, then a short run of every fuzz target.
test: lint unit fuzz-short

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKG)

unit:
	$(GO) test -race -count=1 -timeout 15m $(PKG)

fuzz-short:
	FUZZTIME=$(FUZZTIME_SHORT) bash scripts/fuzz.sh

fuzz:
	FUZZTIME=$(FUZZTIME_LONG) bash scripts/fuzz.sh

bench:
	$(GO) test -run '^$$' -bench . -benchmem -timeout 30m $(PKG)

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
