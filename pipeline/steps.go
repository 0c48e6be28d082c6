package pipeline

import (
	"context"
	"fmt"
	"strings"

	"github.com/ledgerlens/ledgerlens/pipeline/audit"
)

// stepRunner runs a job's checkpointed steps (SPEC §10): a step whose
// output the job run's checkpoint already holds is not run again, and every
// step is recorded in the audit log, as done or as skipped on resume.
type stepRunner struct {
	env  Env
	job  *lockedJob
	ckpt *checkpoint
	// resumed lists the steps a resumed run found already done.
	resumed []string
}

// startSteps tags the job's audit events with its run id, opens the run's
// checkpoint and records the steps a resumed run skips. The audit head at
// the first attempt's start is kept in the checkpoint, so a resumed run
// reports the same head as an uninterrupted one.
func startSteps(ctx context.Context, j *lockedJob, runID string) (*stepRunner, error) {
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
	s := &stepRunner{env: j.env, job: j, ckpt: ckpt, resumed: append([]string{}, ckpt.state.Done...)}
	if len(s.resumed) > 0 {
		j.env.Log.Info("resuming job run", "job", j.name, "job_run_id", runID, "done", strings.Join(s.resumed, ","))
		for _, name := range s.resumed {
			if err := j.audit(ctx, audit.EventJobStep, map[string]any{"step": name, "status": "skipped (already done)"}); err != nil {
				return nil, err
			}
		}
	}
	return s, nil
}

// headAtStart is the audit anchor when the run first started (trail.go).
func (s *stepRunner) headAtStart() string { return s.ckpt.state.AuditHeadAtStart }

// anchorCheckpoint is the signed checkpoint the anchor comes from.
func (s *stepRunner) anchorCheckpoint() *string { return s.ckpt.state.AuditCheckpoint }

// step runs fn unless the checkpoint already holds the step's output, in
// which case load receives the saved bytes; either way load sees the
// output, so later steps do not care whether this one was resumed.
func (s *stepRunner) step(ctx context.Context, name, file string, fn func() ([]byte, error), load func([]byte) error) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	if out, ok, err := s.ckpt.output(name, file); err != nil {
		return err
	} else if ok {
		// Reuse a saved output only if it is what the log recorded for
		// this step (docs/COMPLIANCE.md): an edited checkpoint is redone.
		recorded := s.job.trail.recordedStepDigest(s.ckpt.state.JobRunID, name)
		if got := sha256Hex(out); got == recorded {
			return load(out)
		} else if err := s.job.audit(ctx, audit.EventCheckpointMismatch, map[string]any{
			"step": name, "saved_sha256": got, "recorded_sha256": recorded,
			"action": "discarded; step redone"}); err != nil {
			return err
		}
		s.env.Log.Warn("checkpointed step output does not match the audit log; redoing the step", "step", name, "recorded_sha256", recorded)
		if err := s.ckpt.discard(name); err != nil {
			return err
		}
	}
	started := s.env.Now()
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
	if err := s.job.audit(ctx, audit.EventJobStep, map[string]any{
		"step": name, "status": "done", "output_sha256": sha256Hex(out),
		"duration_ms": s.env.Now().Sub(started).Milliseconds(),
	}); err != nil {
		return err
	}
	if s.env.AfterStep != nil {
		s.env.AfterStep(ctx, name)
	}
	return load(out)
}

// complete removes the finished run's checkpoint.
func (s *stepRunner) complete() error { return s.ckpt.complete() }
