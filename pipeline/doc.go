// Package pipeline holds ledgerlens's jobs, one file each: ingest.go,
// weekly.go (the weekly review), sla.go (the monthly SLA report),
// baseline.go (baseline calculate, propose, approve and list), evidence.go
// (evidence export), integrity.go (the integrity check), keys.go (the
// signing key) and notify.go (the delivery of a notification, recorded as
// a job of its own), and acknowledge.go (a reviewed ledger edit).
//
// Every job runs through the runner in package job, which takes the state
// directory's lock, brackets the work with job_start and job_end (or
// job_fail, with state failed, blocked or interrupted) in the audit log,
// and runs the job's checkpointed steps, so a re-executed job resumes at
// its first unfinished step.
//
// A job file depends only on package job and on the domain packages below
// it — ledger (line parsing), store (DuckDB and the incremental ingest),
// review (the weekly analytics), inputs, baselines, slareport, evidence,
// reconcile (the published files against their records), audit, lock,
// atomicfile, reports and notify — never on another job's file
// (architecture_test.go checks this). Shared machinery does not belong
// here: it goes to package job, and shared reads go to the package that
// owns the data. See docs/ARCHITECTURE.md.
//
// Jobs take a context.Context and stop cleanly when it is cancelled; they
// never read the wall clock except through job.Env.Now, and never leave a
// partial file behind (every write is atomic).
package pipeline
