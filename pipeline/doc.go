// Package pipeline runs ledgerlens's jobs: it loads and validates the
// inputs, takes the per-state-directory lock, ingests the ledger, runs the
// review, renders and signs the outputs, publishes them write-once and
// records every step in the audit log. Sub-packages hold the parts: ledger
// (line parsing), store (DuckDB), review (analytics), inputs (policy,
// baselines, cases, incidents, config), audit, lock and atomicfile.
//
// Jobs take a context.Context and stop cleanly when it is cancelled; they
// never read the wall clock except through Env.Now, and never leave a
// partial file behind (every write is atomic).
package pipeline
