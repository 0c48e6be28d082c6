// Package job is the runner every ledgerlens job goes through: it takes the
// state directory's lock (recording lock_recovered when it takes over a
// stale one), brackets the job's work with job_start and job_end — or
// job_fail with state failed, blocked or interrupted — in the audit log, runs the job's
// checkpointed steps so a re-executed run resumes at its first unfinished
// step, derives the run id those checkpoints are filed under, and removes
// the checkpoints a completed run has overtaken (removeAbandoned).
//
// It also keeps the audit trail honest (docs/COMPLIANCE.md): before a job
// appends anything it repairs a torn last line, verifies the chain and
// checks the log against the newest signed checkpoint, refusing a log that
// fails (ErrIntegrity, exit 4); at the end of every job it signs a
// checkpoint of the log (trail.go), and job_start records the
// checkpoints file's lines as the job found them (checkpoints_file.go).
// What a job reads of the log (its ledger record, the entries an export
// ships) comes from the log as it verified it, with its own entries
// (EntriesSoFar), never from the file read again; what it checks of an
// input file is the bytes it read (Inputs.SHA256). A resumed step's saved output is
// reused only if it matches the digest the log recorded for it, otherwise
// it is redone (checkpoint_mismatch), and a checkpoint whose state names
// another run is discarded whole. Published files are recorded with
// RecordPublished, the record of publication `verify all` reconciles
// against; a private key that does not match signing.pub is refused.
//
// It owns the job environment (Env), the job, step and state names, the
// typed errors jobs return (BlockedError, RefusedError, LockHeldError,
// PeriodNotEndedError, and IntegrityError, which matches ErrIntegrity: a
// job that completed but found an integrity problem), the loading of a
// job's validated inputs (LoadInputs), and the reading of the ledger
// modifications and acknowledgments the audit log records
// (LedgerRecordOf), which with the store's conflicting duplicates decide
// those integrity problems (LedgerRecord.Problems, LedgerProblems). It
// holds the store to the audit log before a job ingests and before it
// publishes — the rows, derived tables and bookkeeping each recorded
// ingest vouched for (store_checks.go) — and exports those checks to the
// verifiers (StoreRowsAgainstLog, StoreBookkeepingAgainstLog). Before any
// job runs it refuses rules another account may write (a configuration
// file, or a directory or link on the way to one: ConfigAccessProblems,
// which `verify all` reports too).
//
// It must not know what any particular job computes: the jobs themselves
// live in package pipeline, one file each, and call Run. It never reads the
// wall clock except through Env.Now. See docs/ARCHITECTURE.md.
package job
