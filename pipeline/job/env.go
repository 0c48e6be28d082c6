package job

import (
	"context"
	"log/slog"
	"time"

	"github.com/ledgerlens/ledgerlens/pipeline/inputs"
	"github.com/ledgerlens/ledgerlens/pipeline/store"
)

// Env is what every job needs from its host: where things are, how to log,
// what time it is and who is running.
type Env struct {
	Layout      inputs.Layout
	Log         *slog.Logger
	Now         func() time.Time
	Version     string
	Command     string        // for the lock holder record, e.g. "report weekly"
	LockTimeout time.Duration // how long to wait for another job's lock
	// StoreOptions tune DuckDB (memory limit, threads).
	StoreOptions store.Options
	// Progress, when set, receives ingest progress (bytes done of total),
	// for a progress bar on a terminal.
	Progress func(done, total int64)
	// ProbeStore, when set, opens the store in dir in a child
	// process and returns an error wrapping ErrStoreDamaged when that
	// ended the child (the engine aborts on some damaged files). A job
	// calls it before it opens a store its newest seal does not vouch
	// for; nil skips the probe.
	ProbeStore func(ctx context.Context, dir *store.Dir) error
	// AfterStep, when set, is called after each checkpointed step is saved
	// and recorded, on the goroutine that records the steps (steps.go):
	// the job may be computing its next step meanwhile; and with
	// StepAuditLoaded and StepAuditClosed around the job's entries. It is
	// the fault-injection point of the
	// crash tests (SIGKILL or pause right after a given step); production
	// runs leave it nil.
	AfterStep func(ctx context.Context, step string)
	// KeepHead, when set, is a new file the job writes its closing signed
	// checkpoint to, from what it signed rather than from the checkpoints
	// file (sealTrail): the witness copy (docs/COMPLIANCE.md, "Keeping
	// checkpoints off-host"). It must not exist.
	KeepHead string
	// Fire, when set, is the fire time a scheduled run is for; job_start
	// records it (FieldFire), which is what the scheduler holds its state
	// file to at its next start.
	Fire time.Time
}

// FieldFire is the job_start field holding a scheduled run's fire time
// (RFC 3339, UTC).
const FieldFire = "fire"

// The step names Env.AfterStep is called with outside the job's steps:
// StepAuditLoaded once the job has verified the audit log, before it
// appends to it (and once verify all has: CheckIntegrity);
// StepInputsLoaded once the job has read its input files
// (Job.LoadInputs); StepStoreOpened once a job's store is open, before
// its ingest (Job.OpenStoreFrom); StepBundleBuilding and StepBundleBuilt before and
// after an evidence export builds its bundle; StepAuditClosed between its
// last entry and its closing checkpoint.
const (
	StepAuditLoaded    = "audit_loaded"
	StepInputsLoaded   = "inputs_loaded"
	StepStoreOpened    = "store_opened"
	StepBundleBuilding = "bundle_building"
	StepBundleBuilt    = "bundle_built"
	StepAuditClosed    = "audit_closed"
)

// StoreOptions are the store options of a job, with the runs view's
// days in zone: DuckDB's checkpoint deferred over appends
// (store.Options.DeferCheckpoint) and a buffer pool of 256 MB, half the
// store's default. A job's working set fits in either, and a larger pool
// only takes fresh memory where a smaller one reuses evicted buffers; on
// a host that charges for the first touch of a page that is time. A warm
// job on a ten-million-run ledger peaked at 640–700 MiB instead of
// 920–960 MiB, with less kernel time and no slower; at a million runs
// neither changed (bench/HISTORY.md, stop 37's round). `ledgerlens
// query` and `verify` keep the default: an analyst's aggregate may need
// more, and they touch only what they read.
func StoreOptions(zone string) store.Options {
	return store.Options{DeferCheckpoint: true, MemoryLimit: "256MB", TimeZone: zone}
}
