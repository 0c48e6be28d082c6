package job

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ledgerlens/ledgerlens/pipeline/audit"
	"github.com/ledgerlens/ledgerlens/pipeline/inputs"
	"github.com/ledgerlens/ledgerlens/reports"
)

func testEnv(t *testing.T) Env {
	t0 := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	return Env{
		Layout:  inputs.NewLayout(t.TempDir()),
		Log:     slog.New(slog.NewTextHandler(io.Discard, nil)),
		Now:     func() time.Time { t0 = t0.Add(time.Second); return t0 },
		Version: "test",
		Command: "test",
	}
}

func events(t *testing.T, env Env) []audit.Entry {
	t.Helper()
	f, err := os.Open(env.Layout.AuditLog)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	entries, err := audit.ReadEntries(f)
	if err != nil {
		t.Fatal(err)
	}
	if res := audit.VerifySegment(entries, audit.ZeroHash); !res.OK() {
		t.Fatalf("audit chain: %v", res.Err())
	}
	return entries
}

// TestRunStates: the job_end or job_fail event carries the state the work
// ended in.
func TestRunStates(t *testing.T) {
	tests := []struct {
		name      string
		work      Work
		wantEvent string
		wantState string
		wantErr   bool
	}{
		{"completed", func(context.Context, *Job) (Outcome, error) { return Outcome{}, nil }, audit.EventJobEnd, StateCompleted, false},
		{"awaiting approval", func(context.Context, *Job) (Outcome, error) {
			return Outcome{State: StateAwaitingApproval, Fields: map[string]any{"pending": 1}}, nil
		}, audit.EventJobEnd, StateAwaitingApproval, false},
		{"failed", func(context.Context, *Job) (Outcome, error) { return Outcome{}, errors.New("disk full") }, audit.EventJobFail, StateFailed, true},
		{"blocked", func(context.Context, *Job) (Outcome, error) {
			return Outcome{}, Blocked(errors.New("policy.json:3: bad threshold"))
		}, audit.EventJobFail, StateBlocked, true},
		{"refused", func(context.Context, *Job) (Outcome, error) {
			return Outcome{}, Blocked(&RefusedError{Reason: "two-person rule"})
		}, audit.EventJobFail, StateBlocked, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := testEnv(t)
			err := Run(context.Background(), env, NameWeeklyReview, map[string]any{"period": "2026-11-16"}, tt.work)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err %v, want error %t", err, tt.wantErr)
			}
			ev := events(t, env)
			if len(ev) != 2 || ev[0].Event != audit.EventJobStart || ev[0].Fields["period"] != "2026-11-16" {
				t.Fatalf("events %+v", ev)
			}
			if ev[1].Event != tt.wantEvent || ev[1].Fields["state"] != tt.wantState || ev[1].Fields["job"] != NameWeeklyReview {
				t.Fatalf("last event %s %v, want %s state %s", ev[1].Event, ev[1].Fields, tt.wantEvent, tt.wantState)
			}
		})
	}
}

// TestStepsResume: a run interrupted after its first step resumes at the
// second; the first step's output comes from the checkpoint, is recorded
// as skipped, and the audit head at start is the first attempt's.
func TestStepsResume(t *testing.T) {
	env := testEnv(t)
	ctx := context.Background()
	key := RunKey{Job: NameSLAReport, Period: "2026-11", LedgerSHA: "abc",
		Files: []reports.InputFile{{Role: "policy", Path: "config/policy.json", SHA256: "def"}}}
	runID := RunID(key)
	if runID != RunID(RunKey{Job: NameSLAReport, Period: "2026-11", LedgerSHA: "abc",
		Files: []reports.InputFile{{Role: "policy", Path: "config/policy.json", SHA256: "def"}}}) || len(runID) != 16 {
		t.Fatalf("run id %q is not a stable 16-digit id", runID)
	}
	if runID == RunID(RunKey{Job: NameSLAReport, Period: "2026-11", LedgerSHA: "abc", Unsigned: true,
		Files: []reports.InputFile{{Role: "policy", Path: "config/policy.json", SHA256: "def"}}}) {
		t.Fatal("the run id ignores --unsigned")
	}
	calls := map[string]int{}
	var heads []string
	attempt := func(failSecond bool) error {
		return Run(ctx, env, NameSLAReport, nil, func(ctx context.Context, j *Job) (Outcome, error) {
			s, err := j.StartSteps(ctx, key)
			if err != nil {
				return Outcome{}, err
			}
			heads = append(heads, s.HeadAtStart())
			var got string
			if err := s.Step(ctx, StepAnalyse, "a.txt", func() ([]byte, error) {
				calls[StepAnalyse]++
				return []byte("model"), nil
			}, func(b []byte) error { got = string(b); return nil }); err != nil {
				return Outcome{}, err
			}
			if err := s.Step(ctx, StepRenderJSON, "b.txt", func() ([]byte, error) {
				calls[StepRenderJSON]++
				if failSecond {
					return nil, errors.New("crash")
				}
				return []byte(got + " rendered"), nil
			}, func([]byte) error { return nil }); err != nil {
				return Outcome{}, err
			}
			return Outcome{}, s.Complete()
		})
	}
	if err := attempt(true); err == nil {
		t.Fatal("the first attempt should fail")
	}
	if err := attempt(false); err != nil {
		t.Fatal(err)
	}
	if calls[StepAnalyse] != 1 || calls[StepRenderJSON] != 2 {
		t.Errorf("step calls %v: the resumed run re-ran a finished step", calls)
	}
	if heads[0] != heads[1] {
		t.Errorf("audit head at start %q then %q", heads[0], heads[1])
	}
	var skipped int
	for _, e := range events(t, env) {
		if e.Event == audit.EventJobStep && e.Fields["status"] == "skipped (already done)" {
			skipped++
		}
		if e.Event != audit.EventJobStart && e.Fields["job_run_id"] == nil && e.Event != audit.EventJobFail && e.Event != audit.EventJobEnd {
			t.Errorf("%s lacks the job run id", e.Event)
		}
	}
	if skipped != 1 {
		t.Errorf("%d skipped steps recorded, want 1", skipped)
	}
	if _, err := os.Stat(env.Layout.CheckpointsDir + "/" + runID); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the completed run left its checkpoint (%v)", err)
	}
}

// TestStepsConcurrent: steps given to Concurrent run at once (each Fn
// waits for the other to start, which would deadlock one after the
// other), are recorded in the order given, and behave like Step on
// failure and on resume: a failed first step leaves the second unsaved,
// and the retry runs only the steps the checkpoint lacks.
func TestStepsConcurrent(t *testing.T) {
	env := testEnv(t)
	ctx := context.Background()
	key := RunKey{Job: NameWeeklyReview, Period: "2026-11-16", LedgerSHA: "abc"}
	calls := map[string]int{}
	var mu sync.Mutex
	attempt := func(failJSON bool) (map[string]string, error) {
		got := map[string]string{}
		err := Run(ctx, env, NameWeeklyReview, nil, func(ctx context.Context, j *Job) (Outcome, error) {
			s, err := j.StartSteps(ctx, key)
			if err != nil {
				return Outcome{}, err
			}
			started := map[string]chan struct{}{StepRenderJSON: make(chan struct{}), StepRenderXLSX: make(chan struct{})}
			step := func(name, other string, fail bool) StepSpec {
				return StepSpec{Name: name, File: name + ".out",
					Fn: func() ([]byte, error) {
						mu.Lock()
						calls[name]++
						mu.Unlock()
						close(started[name])
						select {
						case <-started[other]:
						case <-time.After(10 * time.Second):
							return nil, errors.New(name + " ran alone: the steps did not run at once")
						}
						if fail {
							return nil, errors.New("crash")
						}
						return []byte(name + " output"), nil
					},
					Load: func(b []byte) error { got[name] = string(b); return nil }}
			}
			if !failJSON {
				// On the retry the JSON step is redone and the workbook's
				// comes from the checkpoint: nothing to wait for.
				close(started[StepRenderXLSX])
			}
			specs := []StepSpec{step(StepRenderJSON, StepRenderXLSX, failJSON)}
			if failJSON {
				specs = append(specs, step(StepRenderXLSX, StepRenderJSON, false))
			} else {
				specs = append(specs, StepSpec{Name: StepRenderXLSX, File: StepRenderXLSX + ".out",
					Fn:   func() ([]byte, error) { t.Error("the workbook step ran again"); return nil, nil },
					Load: func(b []byte) error { got[StepRenderXLSX] = string(b); return nil }})
			}
			if err := s.Concurrent(ctx, specs...); err != nil {
				return Outcome{}, err
			}
			return Outcome{}, s.Complete()
		})
		return got, err
	}
	if _, err := attempt(true); err == nil || !strings.Contains(err.Error(), StepRenderJSON+": crash") {
		t.Fatalf("first attempt: err %v, want the JSON step's crash", err)
	}
	var done []string
	for _, e := range events(t, env) {
		if e.Event == audit.EventJobStep {
			done = append(done, e.Fields["step"].(string))
		}
	}
	if len(done) != 0 {
		t.Fatalf("after a failed first step, steps %v were recorded; want none", done)
	}
	// The workbook's output is not saved either (it follows the failure in
	// order), so the retry must redo both: make the checkpoint hold it by
	// running it alone first, as a resumed run after a crash would find.
	if err := Run(ctx, env, NameWeeklyReview, nil, func(ctx context.Context, j *Job) (Outcome, error) {
		s, err := j.StartSteps(ctx, key)
		if err != nil {
			return Outcome{}, err
		}
		return Outcome{}, s.Step(ctx, StepRenderXLSX, StepRenderXLSX+".out",
			func() ([]byte, error) { return []byte(StepRenderXLSX + " output"), nil }, func([]byte) error { return nil })
	}); err != nil {
		t.Fatal(err)
	}
	got, err := attempt(false)
	if err != nil {
		t.Fatal(err)
	}
	if got[StepRenderJSON] != StepRenderJSON+" output" || got[StepRenderXLSX] != StepRenderXLSX+" output" {
		t.Errorf("loaded %v", got)
	}
	done = done[:0]
	for _, e := range events(t, env) {
		if e.Event == audit.EventJobStep {
			done = append(done, e.Fields["step"].(string)+" "+e.Fields["status"].(string))
		}
	}
	want := []string{StepRenderXLSX + " done", StepRenderXLSX + " skipped (already done)", StepRenderJSON + " done"}
	if strings.Join(done, ", ") != strings.Join(want, ", ") {
		t.Errorf("recorded steps %q, want %q", done, want)
	}
}

// TestRunBrokenAuditChainIsAnIntegrityProblem: a job on an audit log whose
// last entry does not verify refuses with an error that matches
// ErrIntegrity (exit status 4), and appends nothing.
func TestRunBrokenAuditChainIsAnIntegrityProblem(t *testing.T) {
	env := testEnv(t)
	if err := Run(context.Background(), env, NameIngest, nil, func(ctx context.Context, j *Job) (Outcome, error) {
		return Outcome{}, nil
	}); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(env.Layout.AuditLog)
	if err != nil {
		t.Fatal(err)
	}
	broken := bytes.Replace(data, []byte(`"job_end"`), []byte(`"job_END"`), 1)
	if err := os.WriteFile(env.Layout.AuditLog, broken, 0o644); err != nil {
		t.Fatal(err)
	}
	err = Run(context.Background(), env, NameIngest, nil, func(ctx context.Context, j *Job) (Outcome, error) {
		t.Fatal("the work ran on a broken audit chain")
		return Outcome{}, nil
	})
	if !errors.Is(err, ErrIntegrity) {
		t.Fatalf("err = %v, want ErrIntegrity", err)
	}
	if after, _ := os.ReadFile(env.Layout.AuditLog); !bytes.Equal(after, broken) {
		t.Fatal("the job appended to a broken audit log")
	}
}

// TestRunIntegrityOutcome: a job whose work reports integrity problems is
// recorded as ended (job_end with the problems) and returns an
// *IntegrityError.
func TestRunIntegrityOutcome(t *testing.T) {
	env := testEnv(t)
	err := Run(context.Background(), env, NameIngest, nil, func(ctx context.Context, j *Job) (Outcome, error) {
		return Outcome{Integrity: []string{"ledger modified"}}, nil
	})
	var ie *IntegrityError
	if !errors.As(err, &ie) || !errors.Is(err, ErrIntegrity) || len(ie.Problems) != 1 {
		t.Fatalf("err = %v", err)
	}
	data, _ := os.ReadFile(env.Layout.AuditLog)
	if !strings.Contains(string(data), `"event":"job_end"`) || !strings.Contains(string(data), `"integrity_problems":["ledger modified"]`) {
		t.Fatalf("audit log:\n%s", data)
	}
}

// TestStepRecordOverlapsTheNextStep: a finished step's record (checkpoint
// save, job_step event, AfterStep) is written while the next step
// computes: AfterStep of the first step waits for the second step's Fn to
// start, which would deadlock if the record came before Step returned.
// The log still holds every event in the order it happened, an event the
// job records itself after the steps included.
func TestStepRecordOverlapsTheNextStep(t *testing.T) {
	env := testEnv(t)
	ctx := context.Background()
	secondStarted := make(chan struct{})
	env.AfterStep = func(_ context.Context, step string) {
		if step != StepAnalyse {
			return
		}
		select {
		case <-secondStarted:
		case <-time.After(10 * time.Second):
			t.Error("the first step's record was written before the second step could start")
		}
	}
	key := RunKey{Job: NameWeeklyReview, Period: "2026-11-16", LedgerSHA: "abc"}
	err := Run(ctx, env, NameWeeklyReview, nil, func(ctx context.Context, j *Job) (Outcome, error) {
		s, err := analysed(ctx, j, key)
		if err != nil {
			return Outcome{}, err
		}
		if err := s.Step(ctx, StepRenderJSON, "report.json", func() ([]byte, error) {
			close(secondStarted)
			return []byte("report"), nil
		}, func([]byte) error { return nil }); err != nil {
			return Outcome{}, err
		}
		if err := j.Audit(ctx, audit.EventArtifactWritten, map[string]any{"path": "report.json"}); err != nil {
			return Outcome{}, err
		}
		return Outcome{}, s.Complete()
	})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range events(t, env) {
		name := e.Event
		if step, ok := e.Fields["step"].(string); ok {
			name += " " + step
		}
		got = append(got, name)
	}
	want := []string{audit.EventJobStart, audit.EventJobStep + " " + StepAnalyse, audit.EventJobStep + " " + StepRenderJSON,
		audit.EventArtifactWritten, audit.EventJobEnd}
	if strings.Join(got, ", ") != strings.Join(want, ", ") {
		t.Errorf("events %q, want %q", got, want)
	}
}

// TestFailedStepRecordStopsPublication: when a finished step's record
// cannot be written (its checkpoint directory replaced by a file), the
// publishing step does not run, the job fails with the record's error,
// and the log holds no job_step event for the step.
func TestFailedStepRecordStopsPublication(t *testing.T) {
	env := testEnv(t)
	ctx := context.Background()
	key := RunKey{Job: NameWeeklyReview, Period: "2026-11-16", LedgerSHA: "abc"}
	runID := RunID(key)
	published := false
	err := Run(ctx, env, NameWeeklyReview, nil, func(ctx context.Context, j *Job) (Outcome, error) {
		s, err := j.StartSteps(ctx, key)
		if err != nil {
			return Outcome{}, err
		}
		dir := filepath.Join(env.Layout.CheckpointsDir, runID)
		if err := os.RemoveAll(dir); err != nil {
			return Outcome{}, err
		}
		if err := os.WriteFile(dir, []byte("not a directory"), 0o640); err != nil {
			return Outcome{}, err
		}
		if err := s.Step(ctx, StepAnalyse, "model.json", func() ([]byte, error) { return []byte("model"), nil },
			func([]byte) error { return nil }); err != nil {
			return Outcome{}, err
		}
		if err := s.Publish(ctx, "published.json", func() ([]byte, error) {
			published = true
			return []byte("{}"), nil
		}, func([]byte) error { return nil }); err != nil {
			return Outcome{}, err
		}
		return Outcome{}, s.Complete()
	})
	if err == nil || !strings.Contains(err.Error(), "checkpoint step "+StepAnalyse) {
		t.Fatalf("err %v, want the analyse step's checkpoint error", err)
	}
	if published {
		t.Error("the publishing step ran after an earlier step's record failed")
	}
	ev := events(t, env)
	for _, e := range ev {
		if e.Event == audit.EventJobStep {
			t.Errorf("job_step %v recorded although its checkpoint was not saved", e.Fields["step"])
		}
	}
	if last := ev[len(ev)-1]; last.Event != audit.EventJobFail {
		t.Errorf("last event %s, want %s", last.Event, audit.EventJobFail)
	}
}

// TestDerivedStep: a derived step's output is not saved in the checkpoint,
// only that the step is done; a resumed run computes it again and goes on
// when it gets the bytes the audit log recorded, and fails, naming the
// step, when it does not (the steps after it used the recorded bytes).
func TestDerivedStep(t *testing.T) {
	env := testEnv(t)
	ctx := context.Background()
	key := RunKey{Job: NameWeeklyReview, Period: "2026-11-16", LedgerSHA: "derived"}
	runID := RunID(key)
	calls := map[string]int{}
	attempt := func(rendered string, failSign bool) error {
		return Run(ctx, env, NameWeeklyReview, nil, func(ctx context.Context, j *Job) (Outcome, error) {
			s, err := j.StartSteps(ctx, key)
			if err != nil {
				return Outcome{}, err
			}
			if err := s.Step(ctx, StepAnalyse, "model.txt", func() ([]byte, error) {
				calls[StepAnalyse]++
				return []byte("model"), nil
			}, func([]byte) error { return nil }); err != nil {
				return Outcome{}, err
			}
			var report string
			if err := s.Concurrent(ctx, StepSpec{Name: StepRenderJSON, File: "report.txt", Derived: true,
				Fn: func() ([]byte, error) {
					calls[StepRenderJSON]++
					return []byte(rendered), nil
				},
				Load: func(b []byte) error { report = string(b); return nil }}); err != nil {
				return Outcome{}, err
			}
			if report != rendered {
				t.Errorf("the derived step loaded %q, want %q", report, rendered)
			}
			if err := s.Step(ctx, StepSign, "sig.txt", func() ([]byte, error) {
				calls[StepSign]++
				if failSign {
					return nil, errors.New("crash")
				}
				return []byte("sig of " + report), nil
			}, func([]byte) error { return nil }); err != nil {
				return Outcome{}, err
			}
			return Outcome{}, s.Complete()
		})
	}
	if err := attempt("report", true); err == nil {
		t.Fatal("the first attempt should fail")
	}
	dir := filepath.Join(env.Layout.CheckpointsDir, runID)
	if _, err := os.Stat(filepath.Join(dir, "report.txt")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the derived step's output was saved in the checkpoint (%v)", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "model.txt")); err != nil {
		t.Errorf("the analyse step's output was not saved: %v", err)
	}
	// Computed again with other bytes than the log recorded: the run fails.
	err := attempt("another report", false)
	if err == nil || !strings.Contains(err.Error(), StepRenderJSON) || !strings.Contains(err.Error(), "computed again") {
		t.Fatalf("resumed with other bytes: %v, want an error naming %s", err, StepRenderJSON)
	}
	// Computed again with the recorded bytes: the run goes on and ends.
	if err := attempt("report", false); err != nil {
		t.Fatal(err)
	}
	if calls[StepAnalyse] != 1 || calls[StepRenderJSON] != 3 || calls[StepSign] != 2 {
		t.Errorf("step calls %v", calls)
	}
	var done int
	for _, e := range events(t, env) {
		if e.Event == audit.EventJobStep && e.Fields["step"] == StepRenderJSON && e.Fields["status"] == "done" {
			done++
		}
	}
	if done != 1 {
		t.Errorf("the derived step was recorded done %d times, want once", done)
	}
}

// TestStepDigestFromFn: a step whose Fn hashes its own output (SHA256)
// is recorded with that digest, and its output is not hashed again — so
// the digest recorded is the one the step gave, even a wrong one (which
// verify exists to catch; the weekly report's is its published SHA-256).
func TestStepDigestFromFn(t *testing.T) {
	env := testEnv(t)
	ctx := context.Background()
	key := RunKey{Job: NameWeeklyReview, Period: "2026-11-16", LedgerSHA: "own digest"}
	given := strings.Repeat("ab", 32)
	err := Run(ctx, env, NameWeeklyReview, nil, func(ctx context.Context, j *Job) (Outcome, error) {
		s, err := j.StartSteps(ctx, key)
		if err != nil {
			return Outcome{}, err
		}
		if err := s.Concurrent(ctx,
			StepSpec{Name: StepRenderJSON, File: "report.txt", Derived: true,
				Fn:     func() ([]byte, error) { return []byte("report"), nil },
				SHA256: func() string { return given },
				Load:   func([]byte) error { return nil }},
			StepSpec{Name: StepRenderXLSX, File: "report.xlsx",
				Fn:   func() ([]byte, error) { return []byte("workbook"), nil },
				Load: func([]byte) error { return nil }}); err != nil {
			return Outcome{}, err
		}
		return Outcome{}, s.Complete()
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{StepRenderJSON: given, StepRenderXLSX: reports.SHA256Hex([]byte("workbook"))}
	got := map[string]string{}
	for _, e := range events(t, env) {
		if e.Event == audit.EventJobStep && e.Fields["status"] == "done" {
			got[e.Fields["step"].(string)], _ = e.Fields["output_sha256"].(string)
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("recorded digests %v, want %v", got, want)
	}
}

// TestSignalAfterThePublication: a SIGTERM that arrived once the publish
// step had put the files in place failed the step's record ("context
// canceled") and the job: job_fail, state interrupted, and the command
// said "interrupted: nothing published" (exit 143) over a complete,
// recorded publication. The publication's records and the job's end are
// now written whatever the signal, and the job completes.
func TestSignalAfterThePublication(t *testing.T) {
	env := testEnv(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	key := RunKey{Job: NameWeeklyReview, Period: "2026-11-16", LedgerSHA: "signal"}
	err := Run(ctx, env, NameWeeklyReview, nil, func(ctx context.Context, j *Job) (Outcome, error) {
		s, err := analysed(ctx, j, key)
		if err != nil {
			return Outcome{}, err
		}
		if err := s.Publish(ctx, "published.json", func() ([]byte, error) {
			cancel() // the files are in place when the signal comes
			return []byte("{}"), nil
		}, func([]byte) error { return nil }); err != nil {
			return Outcome{}, err
		}
		return Outcome{}, s.Complete()
	})
	if err != nil {
		t.Fatalf("a signal after the publication: %v", err)
	}
	ev := events(t, env)
	var steps []string
	for _, e := range ev {
		if e.Event == audit.EventJobStep {
			steps = append(steps, fmt.Sprint(e.Fields["step"]))
		}
	}
	if !slices.Contains(steps, StepPublish) {
		t.Errorf("no job_step for %s: %v", StepPublish, steps)
	}
	if last := ev[len(ev)-1]; last.Event != audit.EventJobEnd {
		t.Errorf("last event %s, want %s", last.Event, audit.EventJobEnd)
	}
}

// analysed starts the job's steps and runs the analyse step, whose output
// is "model": what the tests of the later steps start from.
func analysed(ctx context.Context, j *Job, key RunKey) (*Steps, error) {
	s, err := j.StartSteps(ctx, key)
	if err != nil {
		return nil, err
	}
	return s, s.Step(ctx, StepAnalyse, "model.json", func() ([]byte, error) { return []byte("model"), nil },
		func([]byte) error { return nil })
}

// TestFailureAfterPublishingSaysSo: a job that published, recorded its
// files and then failed (the publish step's checkpoint on a full disk)
// said only the failure, which reads as nothing published (an outside
// review). The error says the job published first, and only when the
// publication's every file is recorded: a record that failed part-way
// withdraws what it did not record, and that is no publication.
func TestFailureAfterPublishingSaysSo(t *testing.T) {
	for _, tc := range []struct {
		name      string
		sidecar   bool // written: the record can be made
		published bool
	}{
		{"recorded, then the checkpoint failed", true, true},
		{"the record failed", false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := testEnv(t)
			ctx := context.Background()
			key := RunKey{Job: NameWeeklyReview, Period: "2026-11-16", LedgerSHA: "published"}
			dir := filepath.Join(env.Layout.CheckpointsDir, RunID(key))
			out := filepath.Join(env.Layout.Root, "runs", "CREDIT_REVIEWS")
			err := Run(ctx, env, NameWeeklyReview, nil, func(ctx context.Context, j *Job) (Outcome, error) {
				s, err := j.StartSteps(ctx, key)
				if err != nil {
					return Outcome{}, err
				}
				if err := s.Publish(ctx, "published.json", func() ([]byte, error) {
					report := filepath.Join(out, "weekly_2026-11-16.json")
					if err := os.MkdirAll(out, 0o755); err != nil {
						return nil, err
					}
					if err := os.WriteFile(report, []byte("{}"), 0o644); err != nil {
						return nil, err
					}
					if tc.sidecar {
						if err := os.WriteFile(report+".sha256", []byte("x\n"), 0o644); err != nil {
							return nil, err
						}
					}
					if err := j.RecordPublished(ctx, out, "weekly_2026-11-16", 1, nil, ".json"); err != nil {
						return nil, err
					}
					// Then the checkpoint cannot take the step.
					if err := os.RemoveAll(dir); err != nil {
						return nil, err
					}
					return []byte("{}"), os.WriteFile(dir, []byte("not a directory"), 0o640)
				}, func([]byte) error { return nil }); err != nil {
					return Outcome{}, err
				}
				return Outcome{}, s.Complete()
			})
			said := err != nil && strings.HasPrefix(err.Error(), "published, and recorded in the audit log, then failed: ")
			if err == nil || said != tc.published {
				t.Fatalf("err %v; want it to say the job published: %t", err, tc.published)
			}
		})
	}
}
