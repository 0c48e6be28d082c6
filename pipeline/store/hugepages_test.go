package store

// The binaries link pipeline/hugepages (docs/ARCHITECTURE.md, "Memory"),
// so this package's tests and benchmarks run under the same memory policy
// as the jobs: LEDGERLENS_HUGEPAGES=on measures them with huge pages.
import _ "github.com/ledgerlens/ledgerlens/pipeline/hugepages"
