package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/ledgerlens/ledgerlens/pipeline/audit"
	"github.com/ledgerlens/ledgerlens/pipeline/lock"
	"github.com/ledgerlens/ledgerlens/pipeline/store"
	"github.com/ledgerlens/ledgerlens/reports"
)

// Job names of the compliance jobs, as recorded in the audit log.
const (
	JobWeeklyReview      = "weekly-review"
	JobBaselineCalculate = "baseline-calculate"
	JobBaselinePropose   = "baseline-propose"
	JobBaselineApprove   = "baseline-approve"
	JobSLAReport         = "sla-report"
	JobEvidenceExport    = "evidence-export"
)

// lockedJob is one run of a job (weekly review, baseline, SLA report,
// evidence export): it holds the state directory's lock for its whole
// run and brackets its work with job_start and job_end (or job_fail, with
// state failed or blocked) in the audit log.
type lockedJob struct {
	env         Env
	name        string
	log         *audit.Log
	trail       *trail
	headAtStart string
	// recorded maps a published file's path to the digest of its newest
	// artifact_written record (publication.go).
	recorded map[string]string
	// fields are added to every event of the job (the job run id).
	fields map[string]any
}

// jobOutcome is what a job's work reports for its job_end event.
type jobOutcome struct {
	state  string // StateCompleted unless set
	fields map[string]any
}

// runLocked takes the lock, opens the audit log, records job_start and runs
// work; it records job_end with work's outcome, or job_fail with the error.
func runLocked(ctx context.Context, env Env, name string, start map[string]any,
	work func(ctx context.Context, j *lockedJob) (jobOutcome, error)) (err error) {
	l := env.Layout
	if err := os.MkdirAll(l.StateDir, 0o750); err != nil {
		return fmt.Errorf("create state directory: %w", err)
	}
	lk, err := lock.Acquire(ctx, l.LockFile, env.LockTimeout, lock.CurrentHolder(env.Command, env.Now()))
	if err != nil {
		return err
	}
	defer lk.Release()
	tr, err := openTrail(ctx, env) // verified against the newest signed checkpoint (trail.go)
	if err != nil {
		return err
	}
	// Every job, completed, failed or blocked, ends with a signed
	// checkpoint of the log (trail.go).
	defer func() {
		if serr := sealTrail(env, name); serr != nil {
			if err == nil {
				err = serr
			} else {
				env.Log.Warn("no audit checkpoint signed at the end of the failed job", "error", serr)
			}
		}
	}()
	j := &lockedJob{env: env, name: name, log: tr.log, trail: tr, headAtStart: tr.anchorHead}
	if lk.Recovered != nil {
		if err := j.audit(ctx, audit.EventLockRecovered, map[string]any{"previous_holder": lk.Recovered.String()}); err != nil {
			return err
		}
	}
	fields := map[string]any{"job": name, "command": env.Command}
	for k, v := range start {
		fields[k] = v
	}
	if err := j.audit(ctx, audit.EventJobStart, fields); err != nil {
		return err
	}
	out, err := work(ctx, j)
	if err != nil {
		state := StateFailed
		var blocked *BlockedError
		if errors.As(err, &blocked) {
			state = StateBlocked
		}
		// Recorded even when ctx was cancelled: a clean abandon is an event.
		if aerr := j.audit(context.WithoutCancel(ctx), audit.EventJobFail, map[string]any{
			"job": name, "state": state, "error": err.Error()}); aerr != nil {
			err = errors.Join(err, aerr)
		}
		return err
	}
	if out.state == "" {
		out.state = StateCompleted
	}
	end := map[string]any{"job": name, "state": out.state}
	for k, v := range out.fields {
		end[k] = v
	}
	return j.audit(ctx, audit.EventJobEnd, end)
}

func (j *lockedJob) audit(ctx context.Context, event string, fields map[string]any) error {
	for k, v := range j.fields {
		fields[k] = v
	}
	_, err := j.log.Append(ctx, event, fields)
	return err
}

// openStore opens the store and ingests the ledger's new lines, recording
// the ingest in the audit log as the weekly job does, so the job's queries
// see the ledger as it is now.
func (j *lockedJob) openStore(ctx context.Context) (*store.Store, store.IngestResult, error) {
	l := j.env.Layout
	st, err := store.Open(ctx, l.StoreFile, j.env.StoreOptions)
	if err != nil {
		return nil, store.IngestResult{}, err
	}
	st.Progress = j.env.Progress
	ing, err := st.Ingest(ctx, l.Ledger)
	if err == nil {
		err = recordIngest(ctx, j.log, j.fields, l.Rel(l.Ledger), ing)
	}
	if err != nil {
		st.Close()
		return nil, ing, err
	}
	return st, ing, nil
}

// signer loads the signing key; a missing key blocks the job with the
// command that makes one, followed by hint (", or pass --unsigned" where
// the job can run without signing).
func (j *lockedJob) signer(hint string) (*reports.Signer, error) {
	l := j.env.Layout
	keyPath := filepath.Join(l.KeysDir, reports.PrivateKeyFile)
	s, err := reports.LoadSigner(keyPath)
	if err != nil {
		if _, statErr := os.Stat(keyPath); errors.Is(statErr, fs.ErrNotExist) {
			return nil, &BlockedError{fmt.Errorf("no signing key at %s: create one with `ledgerlens keys generate --root %s`%s",
				keyPath, l.Root, hint)}
		}
		return nil, &BlockedError{err}
	}
	if err := checkKeyPair(l, s); err != nil {
		return nil, err
	}
	return s, nil
}

// publishRecord publishes one signed record write-once and records every
// file written in the audit log.
func (j *lockedJob) publishRecord(ctx context.Context, pub *reports.Publisher, base string, a reports.Artifact) (reports.PublishResult, error) {
	if err := os.MkdirAll(pub.Dir, 0o755); err != nil {
		return reports.PublishResult{}, fmt.Errorf("create %s: %w", pub.Dir, err)
	}
	res, err := pub.Publish(ctx, base, 1, []reports.Artifact{a})
	if err != nil {
		return res, err
	}
	if err := j.recordPublished(ctx, pub.Dir, base, 1, a.Ext); err != nil {
		return res, err
	}
	return res, nil
}
