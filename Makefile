# ledgerlens — see README.md. Everything here needs only Go (with cgo) and gcc.
GO        ?= go
BIN       := bin/ledgerlens
DEMO      ?= demo
BENCH_RUNS ?= 1000000
# staticcheck, pinned; `go run` fetches it through the module proxy.
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2

.PHONY: all build test test-short demo bench bench-10m fuzz lint clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/ledgerlens

# Unit, integration and end-to-end tests, plus the fuzz seed corpora.
test: lint
	$(GO) test -count=1 -timeout 20m ./...

test-short:
	$(GO) test -short ./...

# Build, generate fixtures, create a signing key, run the weekly job, verify
# its outputs and print where they are.
demo: build
	./scripts/demo.sh $(BIN) $(DEMO)

bench: build
	./scripts/bench.sh $(BIN) $(BENCH_RUNS)

bench-10m: build
	./scripts/bench.sh $(BIN) 10000000

fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzParseAgrees$$' -fuzztime 60s ./pipeline/ledger

lint:
	@out=$$(gofmt -l cmd pipeline stats reports schedules fixtures); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...

clean:
	rm -rf bin $(DEMO)
