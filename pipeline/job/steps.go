package job

import (
	"context"
	"fmt"
	"strings"

	"github.com/ledgerlens/ledgerlens/pipeline/audit"
	"github.com/ledgerlens/ledgerlens/reports"
)

// Steps runs a job run's checkpointed steps (docs/RULES.md, "Jobs"): a
// step whose output the run's checkpoint already holds is not run again,
// and every step is recorded in the audit log, as done or as skipped on
// resume.
type Steps struct {
	job  *Job
	ckpt *checkpoint
	// resumed lists the steps a resumed run found already done.
	resumed []string
}

// StartSteps tags the job's audit events with its run id, opens the run's
// checkpoint and records the steps a resumed run skips. The audit head at
// the first attempt's start is kept in the checkpoint, so a resumed run
// reports the same head as an uninterrupted one.
func (j *Job) StartSteps(ctx context.Context, runID string) (*Steps, error) {
	if j.fields == nil {
		j.fields = map[string]any{}
	}
	j.fields["job_run_id"] = runID
	ckpt, err := openCheckpoint(j.env.Layout.CheckpointsDir, runID)
	if err != nil {
		return nil, err
	}
	if ckpt.state.AuditHeadAtStart == "" {
		ckpt.state.AuditHeadAtStart = j.headAtStart
		ckpt.state.AuditCheckpoint = j.trail.anchorNote
		if err := ckpt.writeState(); err != nil {
			return nil, err
		}
	}
	s := &Steps{job: j, ckpt: ckpt, resumed: append([]string{}, ckpt.state.Done...)}
	if len(s.resumed) > 0 {
		j.env.Log.Info("resuming job run", "job", j.name, "job_run_id", runID, "done", strings.Join(s.resumed, ","))
		for _, name := range s.resumed {
			if err := j.Audit(ctx, audit.EventJobStep, map[string]any{"step": name, "status": "skipped (already done)"}); err != nil {
				return nil, err
			}
		}
	}
	return s, nil
}

// Resumed lists the steps a resumed run found already done.
func (s *Steps) Resumed() []string { return s.resumed }

// HeadAtStart is the report's audit anchor: the chain head at the newest
// signed checkpoint when the run first started (trail.go).
func (s *Steps) HeadAtStart() string { return s.ckpt.state.AuditHeadAtStart }

// AnchorCheckpoint is the signed checkpoint the anchor comes from (nil on
// a root without checkpoints).
func (s *Steps) AnchorCheckpoint() *string { return s.ckpt.state.AuditCheckpoint }

// Step runs fn unless the checkpoint already holds the step's output, in
// which case load receives the saved bytes; either way load sees the
// output, so later steps do not care whether this one was resumed.
func (s *Steps) Step(ctx context.Context, name, file string, fn func() ([]byte, error), load func([]byte) error) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	env := s.job.env
	if out, ok, err := s.ckpt.output(name, file); err != nil {
		return err
	} else if ok {
		// Reuse a saved output only if it is what the log recorded for
		// this step (docs/COMPLIANCE.md): an edited checkpoint is redone.
		recorded := s.job.trail.recordedStepDigest(s.ckpt.state.JobRunID, name)
		got := reports.SHA256Hex(out)
		if got == recorded {
			return load(out)
		}
		if err := s.job.Audit(ctx, audit.EventCheckpointMismatch, map[string]any{
			"step": name, "saved_sha256": got, "recorded_sha256": recorded,
			"action": "discarded; step redone"}); err != nil {
			return err
		}
		env.Log.Warn("checkpointed step output does not match the audit log; redoing the step", "step", name, "recorded_sha256", recorded)
		if err := s.ckpt.discard(name); err != nil {
			return err
		}
	}
	started := env.Now()
	out, err := fn()
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	if err := s.ckpt.save(name, file, out); err != nil {
		return err
	}
	if err := s.job.Audit(ctx, audit.EventJobStep, map[string]any{
		"step": name, "status": "done", "output_sha256": reports.SHA256Hex(out),
		"duration_ms": env.Now().Sub(started).Milliseconds(),
	}); err != nil {
		return err
	}
	if env.AfterStep != nil {
		env.AfterStep(ctx, name)
	}
	return load(out)
}

// Complete removes the finished run's checkpoint.
func (s *Steps) Complete() error { return s.ckpt.complete() }
