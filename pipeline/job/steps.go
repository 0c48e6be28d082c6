package job

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ledgerlens/ledgerlens/pipeline/audit"
	"github.com/ledgerlens/ledgerlens/reports"
)

// Steps runs a job run's checkpointed steps (docs/RULES.md, "Jobs"): a
// step whose output the run's checkpoint already holds is not run again
// (a derived step, whose output the checkpoint does not hold, is computed
// again and must give the recorded bytes: StepSpec.Derived), and every
// step is recorded in the audit log, as done or as skipped on resume.
//
// A finished step's record (its output saved in the checkpoint, its
// job_step event, Env.AfterStep) is written in the background, in order,
// while the job computes its next step: at ten million runs the outputs
// were some 170 MB (some 100 MB now), and saving them durably took half a
// second of the job's critical path (bench/HISTORY.md). Nothing can tell the
// difference: every other event the job records waits for the records
// before it (Job.Audit), a step that publishes starts only once they are
// written (StepSpec.Publishes), and their first error fails the job
// (Complete, Run).
type Steps struct {
	job  *Job
	ckpt *checkpoint
	// resumed lists the steps a resumed run found already done.
	resumed []string
	// recording is closed once the records of every step finished so far
	// are written; recordErr is the first error one met, read only after
	// recording is closed.
	recording chan struct{}
	recordErr error
}

// StartSteps tags the job's audit events with the run id of key (RunID),
// opens the run's checkpoint and records the steps a resumed run skips.
// The audit head at the first attempt's start is kept in the checkpoint,
// so a resumed run reports the same head as an uninterrupted one.
func (j *Job) StartSteps(ctx context.Context, key RunKey) (*Steps, error) {
	runID := RunID(key)
	if j.fields == nil {
		j.fields = map[string]any{}
	}
	j.fields["job_run_id"] = runID
	ckpt, err := openCheckpoint(j.env.Layout.CheckpointsDir, key)
	if err != nil {
		return nil, err
	}
	if ckpt.foreign != "" {
		// Saved outputs are trusted only as this run's (savedOutput checks
		// them against this run id's records): another run's state under
		// this id is discarded whole.
		if err := j.Audit(ctx, audit.EventCheckpointMismatch, map[string]any{
			"checkpoint_state": ckpt.foreign, "action": "discarded; run started afresh"}); err != nil {
			return nil, err
		}
		j.env.Log.Warn("the run's checkpoint holds another run's state; starting afresh", "job_run_id", runID, "state", ckpt.foreign)
		if err := ckpt.restart(); err != nil {
			return nil, err
		}
	}
	if ckpt.state.AuditHeadAtStart == "" {
		ckpt.state.AuditHeadAtStart = j.headAtStart
		ckpt.state.AuditCheckpoint = j.trail.anchorNote
		if err := ckpt.writeState(); err != nil {
			return nil, err
		}
	}
	s := &Steps{job: j, ckpt: ckpt, resumed: append([]string{}, ckpt.state.Done...)}
	j.steps = s
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

// RunID is the run's id (RunID of its key).
func (s *Steps) RunID() string { return s.ckpt.state.JobRunID }

// Scratch is the run's checkpoint directory, for files a step writes
// ahead of their publication (reports.Publisher.Staging): like the
// checkpoint, they stay while the run can resume and go when it completes.
func (s *Steps) Scratch() string { return s.ckpt.dir }

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
	return s.Concurrent(ctx, StepSpec{Name: name, File: file, Fn: fn, Load: load})
}

// Publish is Step for the step that publishes (StepPublish): it starts
// only once every earlier step is recorded (StepSpec.Publishes).
func (s *Steps) Publish(ctx context.Context, file string, fn func() ([]byte, error), load func([]byte) error) error {
	return s.Concurrent(ctx, StepSpec{Name: StepPublish, File: file, Fn: fn, Load: load, Publishes: true})
}

// StepSpec is one checkpointed step: its name (in the audit log), the
// file its output is saved as in the run's checkpoint, what computes the
// output, and what takes it in (fresh or resumed).
type StepSpec struct {
	Name, File string
	Fn         func() ([]byte, error)
	Load       func([]byte) error
	// Publishes says Fn acts outside the checkpoint (it publishes): it
	// starts only once every earlier step is recorded, so nothing is
	// published on the strength of a step whose record failed.
	Publishes bool
	// Derived says Fn's output is a function of the outputs of the steps
	// before it and nothing else: the checkpoint records that the step is
	// done, not its bytes (the weekly report, 79 MB at ten million runs,
	// is its model indented). A resumed run computes it again and must get
	// the bytes the audit log recorded for it; otherwise the run fails,
	// since the steps after it used those bytes.
	Derived bool
	// SHA256, when set, gives the SHA-256 (hex) of the output Fn just
	// returned, which Fn computed itself alongside its other work (the
	// weekly report's is, while the report is signed and written:
	// reports.Publisher.Prepare); the output is then not hashed again.
	SHA256 func() string
}

// Concurrent runs independent steps at once, as Step runs one: each one
// the checkpoint does not already hold runs its Fn in its own goroutine
// (the steps must not depend on each other's output); each output is then
// loaded, and recorded in the order given exactly as Step would one after
// the other, so the audit log and a resumed run cannot tell the
// difference. A step's duration_ms is its own Fn's time, overlapping the
// others'. If a Fn fails, Concurrent waits for the others, records none of
// the outputs after the first failure in order, and returns that error.
func (s *Steps) Concurrent(ctx context.Context, specs ...StepSpec) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%s: %w", specs[0].Name, err)
	}
	for _, sp := range specs {
		if sp.Publishes {
			if err := s.recorded(); err != nil {
				return err
			}
			break
		}
	}
	type result struct {
		out      []byte
		err      error
		saved    bool // the checkpoint held it: out is the saved output
		duration time.Duration
		sha256   string // of out, for the trail
		// again is the output digest the log recorded for a derived step
		// done before the run resumed, which it computes again.
		again string
	}
	results := make([]result, len(specs))
	for i, sp := range specs {
		if sp.Derived {
			if slices.Contains(s.resumed, sp.Name) {
				if err := s.recorded(); err != nil {
					return err
				}
				results[i].again = s.job.trail.recordedStepDigest(s.ckpt.state.JobRunID, sp.Name)
			}
			continue
		}
		out, ok, err := s.savedOutput(ctx, sp.Name, sp.File)
		if err != nil {
			return err
		}
		results[i] = result{out: out, saved: ok}
	}
	var wg sync.WaitGroup
	for i, sp := range specs {
		if results[i].saved {
			continue
		}
		run := func() {
			// The real clock, not env.Now: a step's duration is a
			// measurement, and env.Now need not be safe to call from
			// several goroutines.
			started := time.Now()
			results[i].out, results[i].err = sp.Fn()
			results[i].duration = time.Since(started)
			// Hashed here, while the other steps may still run,
			// rather than after all of them (a report can be 80 MB).
			switch {
			case results[i].err != nil:
			case sp.SHA256 != nil:
				results[i].sha256 = sp.SHA256()
			default:
				results[i].sha256 = reports.SHA256Hex(results[i].out)
			}
		}
		if len(specs) == 1 {
			run()
			continue
		}
		wg.Go(run)
	}
	wg.Wait()
	for i, sp := range specs {
		if sp.Publishes && results[i].err == nil && !results[i].saved {
			// The files are in place: their records are written whatever
			// a signal says (Job.published).
			ctx = context.WithoutCancel(ctx)
			s.job.published.Store(true)
		}
	}
	var records []stepRecord
	defer func() { s.record(ctx, records) }()
	for i, sp := range specs {
		r := results[i]
		if r.err != nil {
			return fmt.Errorf("%s: %w", sp.Name, r.err)
		}
		if r.again != "" {
			if r.sha256 != r.again {
				return fmt.Errorf("%s: computed again on resume, it gives other bytes (sha256 %s) than the audit log recorded for it (%s), which the later steps used: remove the checkpoint %s to run afresh",
					sp.Name, r.sha256, r.again, s.ckpt.dir)
			}
			r.saved = true // recorded already
		}
		if !r.saved {
			records = append(records, stepRecord{name: sp.Name, file: sp.File, out: r.out, sha256: r.sha256, duration: r.duration, derived: sp.Derived})
		}
		if err := sp.Load(r.out); err != nil {
			return err
		}
	}
	return nil
}

// stepRecord is what a finished step leaves: its output for the
// checkpoint and its job_step event.
type stepRecord struct {
	name, file string
	out        []byte
	sha256     string
	duration   time.Duration
	derived    bool // the checkpoint keeps that it is done, not out
}

// record writes recs in the background, after the records before them:
// each output is saved in the checkpoint, then its job_step event is
// appended, then Env.AfterStep is called. A record that fails stops those
// after it; recorded returns the error.
func (s *Steps) record(ctx context.Context, recs []stepRecord) {
	if len(recs) == 0 {
		return
	}
	prev, done := s.recording, make(chan struct{})
	s.recording = done
	go func() {
		defer close(done)
		if prev != nil {
			<-prev
			if s.recordErr != nil {
				return
			}
		}
		for _, r := range recs {
			if err := s.write(ctx, r); err != nil {
				s.recordErr = err
				return
			}
		}
	}()
}

// write saves one step's record; see record.
func (s *Steps) write(ctx context.Context, r stepRecord) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%s: %w", r.name, err)
	}
	save := s.ckpt.save
	if r.derived {
		save = func(step, _ string, _ []byte) error { return s.ckpt.markDone(step) }
	}
	if err := save(r.name, r.file, r.out); err != nil {
		return err
	}
	// Saved, the step is recorded whatever a signal says meanwhile: a
	// job_step entry cut short left a checkpoint the log did not vouch
	// for, and the next run warned that it did not match and redid the
	// step.
	if err := s.job.append(context.WithoutCancel(ctx), audit.EventJobStep, map[string]any{
		"step": r.name, "status": "done", "output_sha256": r.sha256,
		"duration_ms": r.duration.Milliseconds(),
	}); err != nil {
		return err
	}
	if after := s.job.env.AfterStep; after != nil {
		after(ctx, r.name)
	}
	return nil
}

// recorded waits until every finished step is recorded and returns the
// first error a record met. It is safe on a nil *Steps.
func (s *Steps) recorded() error {
	if s == nil || s.recording == nil {
		return nil
	}
	<-s.recording
	return s.recordErr
}

// savedOutput returns the step's output from the run's checkpoint when it
// holds one and it is what the audit log recorded for the step
// (docs/COMPLIANCE.md); an edited checkpoint is recorded, discarded and
// the step redone.
func (s *Steps) savedOutput(ctx context.Context, name, file string) ([]byte, bool, error) {
	if !slices.Contains(s.resumed, name) {
		return nil, false, nil // only a step done before the run resumed can be
	}
	// The checkpoint's state is the records' to change until they are written.
	if err := s.recorded(); err != nil {
		return nil, false, err
	}
	out, ok, err := s.ckpt.output(name, file)
	if errors.Is(err, fs.ErrNotExist) {
		// The state says finished but the output is gone (removed by hand,
		// or a kill part-way through an older run's removal of its
		// checkpoint): redone, as an output that does not match is.
		s.job.env.Log.Warn("checkpointed step output is missing; redoing the step", "step", name)
		return nil, false, s.ckpt.discard(name)
	}
	if err != nil || !ok {
		return nil, false, err
	}
	recorded := s.job.trail.recordedStepDigest(s.ckpt.state.JobRunID, name)
	got := reports.SHA256Hex(out)
	if got == recorded {
		return out, true, nil
	}
	if err := s.job.Audit(ctx, audit.EventCheckpointMismatch, map[string]any{
		"step": name, "saved_sha256": got, "recorded_sha256": recorded,
		"action": "discarded; step redone"}); err != nil {
		return nil, false, err
	}
	s.job.env.Log.Warn("checkpointed step output does not match the audit log; redoing the step", "step", name, "recorded_sha256", recorded)
	if err := s.ckpt.discard(name); err != nil {
		return nil, false, err
	}
	return nil, false, nil
}

// Complete waits for the steps' records and removes the finished run's
// checkpoint, and those of runs it has overtaken (removeAbandoned).
func (s *Steps) Complete() error {
	if err := s.recorded(); err != nil {
		return err
	}
	if err := s.ckpt.complete(); err != nil {
		return err
	}
	// Housekeeping: the run is complete (and may have published), so a
	// checkpoint that cannot be removed is reported, not the run failed.
	removed, err := removeAbandoned(filepath.Dir(s.ckpt.dir), s.ckpt.key.LedgerSHA, s.ckpt.stateDir)
	for _, id := range removed {
		s.job.env.Log.Info("removed the checkpoint of a run overtaken by a longer ledger", "job_run_id", id)
	}
	if err != nil {
		s.job.env.Log.Warn("abandoned checkpoints not removed", "error", err)
	}
	return nil
}
