#!/usr/bin/env bash
# make bench / make bench-10m: build the benchmark harness and run it on the
# cached fixture ledger of RUNS runs (generated once under bench/data/).
# See BENCHMARKS.md for what is measured and how to read the results.
#
#   ./scripts/bench.sh BIN RUNS [harness flags…]
#
# Results go to bench/results.json for the default 1,000,000 runs and to
# bench/results-RUNS.json otherwise. BENCH_FLAGS (environment, or
# `make bench BENCH_FLAGS="…"`) adds harness flags, e.g.
# "-profile bench/profiles" or "-repeat 1". The run fails only on an error,
# never on a missed target.
set -euo pipefail
bin=${1:-bin/ledgerlens} runs=${2:-1000000}
shift $(( $# < 2 ? $# : 2 ))
go=${GO:-go}

out=bench/results.json
repeat=3
if [ "$runs" != 1000000 ]; then
  out=bench/results-$runs.json
fi
# Each round regenerates the working root; at 10M runs one round already
# takes minutes.
if [ "$runs" -gt 1000000 ]; then
  repeat=1
fi

"$go" build -o bin/ledgerlens-bench ./cmd/ledgerlens-bench
# shellcheck disable=SC2086 # BENCH_FLAGS is a list of flags
exec bin/ledgerlens-bench run -bin "$bin" -runs "$runs" -repeat "$repeat" -out "$out" ${BENCH_FLAGS:-} "$@"
