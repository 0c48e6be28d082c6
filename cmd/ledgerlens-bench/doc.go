// Command ledgerlens-bench is the benchmark harness behind `make bench`
// (docs/ARCHITECTURE.md, "Performance"). It generates (once, cached under bench/data/) a fixture
// ledger, then measures on that one ledger, each phase as its own
// subprocess so that peak RSS is per phase:
//
//   - (a) the engine reference: DuckDB's read_json scan of the whole ledger
//     plus a top-scenarios-by-credits aggregate for one week
//     (`ledgerlens-bench engine`, run by the harness itself);
//   - (b) a cold weekly job: `ledgerlens report weekly` on a fresh working
//     root whose ledger is the fixture ledger up to the first line of the
//     focus week (so it reports the previous week);
//   - (c) a warm weekly job: the rest of the ledger appended to that root,
//     then `ledgerlens report weekly` for the focus week;
//   - (d) an analyst's `ledgerlens query` on the store the warm job left
//     (a read-only open, which replays the store's WAL), which must
//     succeed;
//   - and, when jq is installed, the runbook's `jq -s` query for the top
//     scenarios by credit spend, the way operators answered it before.
//
// Each of (a), (b) and (c), and the floors below, starts after a pause
// (-settle, three seconds), as a job that cron starts finds an idle host: a
// host that hands the memory a process frees back to its hypervisor
// charges more for touching it again than for memory the phase before
// had freed a moment ago. (d), jq and -profile's in-process runs follow
// without one.
//
// After the rounds, `ledgerlens-bench floor` times each of ingest's phases
// alone (append-only check, hashing, parsing, parse + Arrow, the store
// write on the job's own Arrow path) for the cold part and the appended
// part of the ledger, beside store.Ingest's phases on the same bytes.
//
// It prints a table, PASS/FAIL per target, and writes bench/results.json.
// `ledgerlens-bench profile` runs one weekly job in-process under the CPU
// profiler, for finding what dominates a phase. `ledgerlens-bench weeks`
// runs weekly jobs one after another on one root, as cron does, each
// followed by a query: what each job leaves to the next ones, which one
// warm job on a freshly loaded store cannot show. `ledgerlens-bench touch`
// times a first and a second write to fresh memory: what the host charges
// a job for the memory it uses, which varies between runs on a host that
// hands free memory back to its hypervisor.
//
// It is a measuring tool, not part of the product: it must never modify the
// cached fixture (the working roots get hard links of the read-only inputs
// and their own copy of the ledger), must not fail `make bench` on a missed
// target (only on an error), and must not be imported by the product.
package main
