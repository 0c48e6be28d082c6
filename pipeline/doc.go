// Package pipeline runs ledgerlens's jobs — the weekly review, ingest, the
// integrity check, baseline maker-checker, the monthly SLA report and
// evidence export. Every job takes the state directory's lock, brackets its
// work with job_start and job_end (or job_fail, with state failed or
// blocked) in the audit log, and runs its steps through checkpoints, so a
// re-executed job resumes at its first unfinished step.
//
// The parts live in sub-packages: ledger (line parsing), store (DuckDB and
// the incremental ingest), review (the weekly analytics), inputs (policy,
// baselines, cases, incidents, config, layout), baselines, slareport and
// evidence (the compliance computations), audit, lock and atomicfile.
//
// Jobs take a context.Context and stop cleanly when it is cancelled; they
// never read the wall clock except through Env.Now, and never leave a
// partial file behind (every write is atomic).
package pipeline
