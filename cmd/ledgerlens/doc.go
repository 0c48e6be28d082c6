// Command ledgerlens is the batch forensics and reporting pipeline for the
// automation run ledger: it loads the ledger into an embedded DuckDB store,
// computes the weekly credit review and publishes signed, verifiable
// reports. Run `ledgerlens --help` for the commands.
//
// The package owns the command line: flags, what is printed on stdout and
// stderr, and the exit statuses, which main.go maps from typed errors in
// one place (docs/RULES.md, "Exit status"). Each command lives in a file
// named after it (query.go, report.go, verify.go, …) with an XOptions type
// and a runX function that cobra and the in-process tests both call. It must not compute or write anything itself:
// jobs live in package pipeline and run through pipeline/job; read-only
// commands (query, verify) open the store sandboxed or read-only, under the
// state directory's lock.
package main
