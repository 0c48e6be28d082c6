//go:build ignore

// perfshares sorts a job's CPU samples by the kind of work they belong
// to — DuckDB, the integrity work the threat model asks for, ledgerlens's
// own parsing and rendering — so that a job's CPU time can be weighed
// against the least time two cores need for it (cpu_bound in
// bench/results.json). It reads `perf script` output with call stacks:
//
//	perf record -F 1999 -g -o /tmp/job.data -- bin/ledgerlens --root ROOT report weekly --week W
//	perf script -i /tmp/job.data -F comm,tid,ip,sym,dso | go run bench/perfshares/perfshares.go
//
// Several files' output may be concatenated; the shares are of all their
// samples. A sample goes to the first kind (kinds, in order) one of whose
// patterns some frame of its stack matches. DuckDB's C++ is built without
// frame pointers, so its threads' stacks often end in an unknown frame:
// a stack with no Go frame at all is counted as DuckDB's: nearly all of
// the C a job runs is DuckDB's (the rest, cgo's thread creation and the
// huge page advice's mmap wrapper, is a handful of samples). perf's own overhead inflates the CPU time; the
// shares are what to read, not the seconds.
package main

import (
	"bufio"
	"fmt"
	"io"
	"log"
	"os"
	"regexp"
	"sort"
	"strings"
)

// kinds are the kinds of work, each with the frames that mark it, in the
// order a sample is tried against them: the integrity work first, then
// DuckDB (a query the review's Go code runs is DuckDB's work), then the rest.
var kinds = []struct {
	name, pattern string
}{
	// The append-only check and the store seal's fingerprints share
	// the chunk digester (its workers read and hash the chunks), whose
	// goroutines' stacks do not say which called.
	{"integrity: the covered ledger and the store file re-hashed (append-only check, store seal)", `store\.\(\*chunkDigester\)|store\.fileChunkDigests|store\.checkPrefix|store\.FileFingerprint`},
	{"integrity: row digests", `store\.digestRows|store\.appendRowDigests|store\.\(\*chunkFolder\)`},
	{"integrity: the new bytes' SHA-256 and chunk digests", `store\.\(\*chunkHasher\)|sha256\..*\n.*store\.\(\*Store\)\.load`},
	{"integrity: signatures and the published files' digests", `ed25519|sha512|reports\.FileDigest`},
	{"integrity: audit log", `pipeline/audit\.`},
	// Any other SHA-256 or BLAKE3 (the report's digest for its step
	// record; the BLAKE3 C code's frames, whose callers perf loses, as
	// it compiles without frame pointers).
	{"integrity: other hashing", `sha256\.|lukechampine\.com/blake3|pipeline/blake3\.|blake3_[a-z0-9_]+`},
	{"DuckDB", `duckdb::|duckdb_|go-duckdb`},
	{"ledgerlens: parse + Arrow batches", `store\.parseBlock|ledger\.Parse`},
	{"ledgerlens: reading the ledger", `store\.\(\*Store\)\.load\.func`},
	{"ledgerlens: duplicates search", `store\.repeatedHashes|store\.\(\*Store\)\.findDuplicates`},
	{"ledgerlens: workbook", `reports\.(RenderWorkbook|renderWorkbook|\(\*sheetWriter\)|\(\*workbookBuilder\)|\(\*parallelDeflate\)|\(\*directRows\))|excelize|compress/flate|klauspost/compress`},
	{"ledgerlens: report JSON", `reports\.(MarshalWeekly|appendSpikeRun|writeSorted)`},
	{"ledgerlens: review (Go)", `pipeline/review\.`},
	{"Go runtime and GC", `runtime\.(gcBgMarkWorker|bgsweep|bgscavenge|mallocgc|gcDrain|scanobject)`},
}

// goFrame marks a stack that has a Go frame in it.
var goFrame = regexp.MustCompile(`runtime\.|github\.com/|golang\.org/|lukechampine\.com/|main\.|crypto/|encoding/|internal/|sync\.|os\.|syscall\.`)

func main() {
	res := make([]*regexp.Regexp, len(kinds))
	for i, k := range kinds {
		res[i] = regexp.MustCompile(k.pattern)
	}
	counts := map[string]int{}
	kernel := map[string]int{}
	total := 0
	err := eachSample(os.Stdin, func(stack string, kernelLeaf bool) {
		kind := "other"
		for i, re := range res {
			if re.MatchString(stack) {
				kind = kinds[i].name
				break
			}
		}
		if kind == "other" && !goFrame.MatchString(stack) {
			kind = "DuckDB (C++ frames only)"
		}
		counts[kind]++
		if kernelLeaf {
			kernel[kind]++
		}
		total++
	})
	if err != nil {
		log.Fatalf("perfshares: read perf script output: %v", err)
	}
	if total == 0 {
		log.Fatal("perfshares: no samples on standard input")
	}
	names := make([]string, 0, len(counts))
	for k := range counts {
		names = append(names, k)
	}
	sort.Slice(names, func(i, j int) bool { return counts[names[i]] > counts[names[j]] })
	fmt.Printf("%d samples\n%6s  %s  %s\n", total, "share", "in the kernel", "kind")
	for _, k := range names {
		fmt.Printf("%5.1f %%  %5.1f %%         %s\n", 100*float64(counts[k])/float64(total), 100*float64(kernel[k])/float64(total), k)
	}
}

// eachSample calls fn with each sample's stack (its frame lines, leaf
// first) and whether its leaf frame is the kernel's. perf script separates
// samples by a blank line; a sample's first line names the thread.
func eachSample(r io.Reader, fn func(stack string, kernelLeaf bool)) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	var frames []string
	flush := func() {
		if len(frames) > 1 {
			fn(strings.Join(frames[1:], "\n"), strings.Contains(frames[1], "[kernel"))
		}
		frames = frames[:0]
	}
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			flush()
			continue
		}
		frames = append(frames, line)
	}
	flush()
	return sc.Err()
}
