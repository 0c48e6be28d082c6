// Package job is the runner every ledgerlens job goes through: it takes the
// state directory's lock (recording lock_recovered when it takes over a
// stale one), brackets the job's work with job_start and job_end — or
// job_fail with state failed or blocked — in the audit log, runs the job's
// checkpointed steps so a re-executed run resumes at its first unfinished
// step, and derives the run id those checkpoints are filed under.
//
// It owns the job environment (Env), the job, step and state names, the
// typed errors jobs return (BlockedError, RefusedError, LockHeldError) and
// the loading of a job's validated inputs (LoadInputs).
//
// It must not know what any particular job computes: the jobs themselves
// live in package pipeline, one file each, and call Run. It never reads the
// wall clock except through Env.Now. See docs/ARCHITECTURE.md.
package job
