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
	// AfterStep, when set, is called after each checkpointed step is saved
	// and recorded, on the goroutine that records the steps (steps.go):
	// the job may be computing its next step meanwhile. It is the
	// fault-injection point of the crash tests (SIGKILL or pause right
	// after a given step); production runs leave it nil.
	AfterStep func(ctx context.Context, step string)
}
