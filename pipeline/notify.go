package pipeline

import (
	"context"
	"errors"

	"github.com/ledgerlens/ledgerlens/notify"
	"github.com/ledgerlens/ledgerlens/pipeline/inputs"
	"github.com/ledgerlens/ledgerlens/pipeline/job"
)

// Notify delivers m to hooks as a job of its own (job.NameNotify): under
// the working root's lock, each outcome recorded in the audit log and
// signed like any job's entries, the log checkpointed at the end. A
// delivery recorded any other way would be an unsigned entry that fails
// every later check of the log.
//
// When the job cannot start — the log fails its check, which may be what
// an integrity message is about, or another job holds the lock past the
// timeout — m is still delivered, to every receiver (the unverified log
// is not asked who was told already), unrecorded, and why is logged at
// error level: people must hear of a problem even when the log is the
// problem.
// The error wraps notify.ErrFailed when a receiver could not be told.
func Notify(ctx context.Context, env job.Env, hooks []inputs.Webhook, m notify.Message) ([]notify.Result, error) {
	if len(hooks) == 0 {
		return nil, nil
	}
	opts := notify.Options{Layout: env.Layout, Hooks: hooks, Log: env.Log}
	var results []notify.Result
	started := false
	err := job.Run(ctx, env, job.NameNotify, map[string]any{"about": m.Event, "key": m.Key},
		func(ctx context.Context, j *job.Job) (job.Outcome, error) {
			started = true
			o := opts
			o.Record, o.Entries = j.Audit, j.Entries()
			if m.FoundAt != "" {
				// A late message goes to the receivers its caller chose,
				// those not told (notify.Undelivered): a receiver told
				// of the same problems before they came back is one.
				o.Entries = nil
			} else if m.Event == notify.EventIntegrityProblem {
				// A problem that went away and came back is news: who
				// was told of it before the check last found nothing
				// is told again (a ledger edited, restored, and edited
				// the same way was never posted twice: an outside
				// review).
				o.Entries = o.Entries[job.AfterLastCleanCheck(o.Entries):]
			}
			o.Budget = notify.LockBudget // the lock is held meanwhile
			var err error
			results, err = notify.Deliver(ctx, o, m)
			return job.Outcome{}, err
		})
	if started || errors.Is(err, context.Canceled) {
		return results, err
	}
	env.Log.Error("delivering the notification to every receiver without a record in the audit log: the notify job could not start", "err", err)
	return notify.Deliver(ctx, opts, m)
}
