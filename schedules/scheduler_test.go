package schedules

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// simClock is a simulated clock for driving Scheduler.Run: After advances
// the time at once instead of sleeping, and once the time would pass stop
// it cancels the run instead. Jobs may advance the clock to simulate their
// duration.
type simClock struct {
	mu     sync.Mutex
	now    time.Time
	stop   time.Time
	cancel context.CancelFunc
	waits  int
}

func (c *simClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *simClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func (c *simClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.waits++
	if d <= 0 || d > maxSleep {
		panic(fmt.Sprintf("scheduler asked to wait %s", d)) // the loop must cap its waits
	}
	if c.now.Add(d).After(c.stop) {
		c.cancel()
		return make(chan time.Time) // never fires; ctx.Done wins
	}
	c.now = c.now.Add(d)
	ch := make(chan time.Time, 1)
	ch <- c.now
	return ch
}

// call is one JobFunc invocation.
type call struct {
	job  string
	fire string // RFC 3339 in UTC
}

// recorder collects calls in order across jobs.
type recorder struct {
	mu    sync.Mutex
	calls []call
}

func (r *recorder) add(job string, fire time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, call{job, fire.UTC().Format(time.RFC3339)})
}

func (r *recorder) take() []call {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.calls
	r.calls = nil
	return out
}

// jobFunc returns a JobFunc that records its calls, takes a simulated
// minute, and fails when fail says so.
func (r *recorder) jobFunc(name string, clock *simClock, fail func(fire time.Time) error) JobFunc {
	return func(ctx context.Context, fire time.Time) (JobStats, error) {
		r.add(name, fire)
		clock.advance(time.Minute)
		if fail != nil {
			if err := fail(fire); err != nil {
				return JobStats{}, err
			}
		}
		return JobStats{Rows: 100, Rejects: 2, Findings: map[string]int64{"missing_case": 1}}, nil
	}
}

// simulate runs a Scheduler from start until the clock would pass stop.
func simulate(t *testing.T, jobs []Job, opts Options, clock *simClock, start, stop string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	clock.mu.Lock()
	clock.now, clock.stop, clock.cancel = mustTime(t, start), mustTime(t, stop), cancel
	clock.mu.Unlock()
	opts.Now, opts.After = clock.Now, clock.After
	s, err := New(jobs, opts)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Run did not return")
	}
}

func readState(t *testing.T, path string) *state {
	t.Helper()
	st, err := loadState(path)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func assertCalls(t *testing.T, got []call, want ...call) {
	t.Helper()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("runs:\n got  %v\n want %v", got, want)
	}
}

func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSuffix(string(p), "\n"))
	return len(p), nil
}

func TestCatchUpAfterOutage(t *testing.T) {
	dir := t.TempDir()
	opts := Options{StateFile: filepath.Join(dir, "state.json"), Logger: testLogger(t)}
	clock := &simClock{}
	rec := &recorder{}
	jobs := []Job{{JobSpec: JobSpec{Name: JobWeeklyReview, Spec: "0 10 * * 1", TimeZone: "Europe/Berlin", Enabled: true}}}
	jobs[0].Run = rec.jobFunc(JobWeeklyReview, clock, nil)

	// First start on a Monday after the 10:00 fire: no state, so that fire
	// is not back-filled and "now" becomes the baseline.
	simulate(t, jobs, opts, clock, "2026-11-02T12:00:00Z", "2026-11-02T18:00:00Z")
	assertCalls(t, rec.take())
	st := readState(t, opts.StateFile)
	if got := st.Jobs[JobWeeklyReview].ScheduledThrough.Format(time.RFC3339); got != "2026-11-02T12:00:00Z" {
		t.Errorf("baseline %s, want the first start time", got)
	}

	// Normal scheduling: the daemon is up across the next Monday 10:00 CET.
	simulate(t, jobs, opts, clock, "2026-11-09T08:00:00Z", "2026-11-09T12:00:00Z")
	assertCalls(t, rec.take(), call{JobWeeklyReview, "2026-11-09T09:00:00Z"})

	// Three-week outage: the three missed Mondays run once each, oldest
	// first, before the daemon goes back to waiting.
	simulate(t, jobs, opts, clock, "2026-11-30T12:00:00Z", "2026-11-30T18:00:00Z")
	assertCalls(t, rec.take(),
		call{JobWeeklyReview, "2026-11-16T09:00:00Z"},
		call{JobWeeklyReview, "2026-11-23T09:00:00Z"},
		call{JobWeeklyReview, "2026-11-30T09:00:00Z"})

	// A restart does not run them again.
	simulate(t, jobs, opts, clock, "2026-11-30T18:30:00Z", "2026-12-01T18:00:00Z")
	assertCalls(t, rec.take())

	st = readState(t, opts.StateFile)
	js := st.Jobs[JobWeeklyReview]
	if js.LastCompletedFire == nil || js.LastCompletedFire.Format(time.RFC3339) != "2026-11-30T09:00:00Z" {
		t.Errorf("last completed fire %v", js.LastCompletedFire)
	}
	if len(js.Failed) != 0 || js.LastRun == nil || js.LastRun.Status != "ok" {
		t.Errorf("state after successful runs: %+v", js)
	}
}

func TestCatchUpInterleavesJobsOldestFirst(t *testing.T) {
	dir := t.TempDir()
	opts := Options{StateFile: filepath.Join(dir, "state.json"), Logger: testLogger(t)}
	clock := &simClock{}
	rec := &recorder{}
	var jobs []Job
	for _, s := range defaultSpecs() {
		jobs = append(jobs, Job{JobSpec: s, Run: rec.jobFunc(s.Name, clock, nil)})
	}
	simulate(t, jobs, opts, clock, "2026-11-27T12:00:00Z", "2026-11-27T13:00:00Z") // baseline, a Friday
	assertCalls(t, rec.take())
	simulate(t, jobs, opts, clock, "2026-12-01T12:00:00Z", "2026-12-01T13:00:00Z")
	assertCalls(t, rec.take(),
		call{JobIntegrityCheck, "2026-11-28T06:00:00Z"},
		call{JobIntegrityCheck, "2026-11-29T06:00:00Z"},
		call{JobIntegrityCheck, "2026-11-30T06:00:00Z"},
		call{JobWeeklyReview, "2026-11-30T10:00:00Z"},
		call{JobIntegrityCheck, "2026-12-01T06:00:00Z"},
		call{JobSLAReport, "2026-12-01T07:00:00Z"})
}

func TestFailedRunIsRetriedAndBlocksNothing(t *testing.T) {
	dir := t.TempDir()
	opts := Options{
		StateFile:   filepath.Join(dir, "state.json"),
		MetricsFile: filepath.Join(dir, "ledgerlens.prom"),
		Root:        testRoot,
		Logger:      testLogger(t),
	}
	clock := &simClock{}
	rec := &recorder{}
	broken := true
	failWeekly := func(fire time.Time) error {
		if broken {
			return errors.New("policy file invalid")
		}
		return nil
	}
	jobs := []Job{
		{JobSpec: JobSpec{Name: JobWeeklyReview, Spec: "0 10 * * 1", Enabled: true}},
		{JobSpec: JobSpec{Name: JobIntegrityCheck, Spec: "0 11 * * 1", Enabled: true}},
	}
	jobs[0].Run = rec.jobFunc(JobWeeklyReview, clock, failWeekly)
	jobs[1].Run = rec.jobFunc(JobIntegrityCheck, clock, nil)

	simulate(t, jobs, opts, clock, "2026-11-13T00:00:00Z", "2026-11-13T01:00:00Z") // baseline
	// The weekly run fails; the integrity check after it still runs, and
	// the failure is not retried until the next start or fire.
	simulate(t, jobs, opts, clock, "2026-11-16T09:00:00Z", "2026-11-20T00:00:00Z")
	assertCalls(t, rec.take(),
		call{JobWeeklyReview, "2026-11-16T10:00:00Z"},
		call{JobIntegrityCheck, "2026-11-16T11:00:00Z"})
	js := readState(t, opts.StateFile).Jobs[JobWeeklyReview]
	if len(js.Failed) != 1 || js.Failed[0].Fire.Format(time.RFC3339) != "2026-11-16T10:00:00Z" ||
		js.Failed[0].LastError != "policy file invalid" || js.Failed[0].Attempts != 1 {
		t.Fatalf("failed fires recorded as %+v", js.Failed)
	}
	if js.LastRun.Status != "failed" || js.LastRun.Error != "policy file invalid" || js.LastRun.Finished.Format(time.RFC3339) != "2026-11-16T10:01:00Z" {
		t.Errorf("last run recorded as %+v", js.LastRun)
	}
	if js.LastCompletedFire != nil {
		t.Errorf("a failed run was recorded as completed: %v", js.LastCompletedFire)
	}

	// Next start: retried first (still failing: attempts grow), once.
	simulate(t, jobs, opts, clock, "2026-11-20T00:00:00Z", "2026-11-20T01:00:00Z")
	assertCalls(t, rec.take(), call{JobWeeklyReview, "2026-11-16T10:00:00Z"})
	if js := readState(t, opts.StateFile).Jobs[JobWeeklyReview]; len(js.Failed) != 1 || js.Failed[0].Attempts != 2 {
		t.Fatalf("after a second failure: %+v", js.Failed)
	}

	// Fixed: the next start retries the old fire time at once, then the
	// job's next fire runs as usual.
	broken = false
	simulate(t, jobs, opts, clock, "2026-11-23T09:00:00Z", "2026-11-23T12:00:00Z")
	assertCalls(t, rec.take(),
		call{JobWeeklyReview, "2026-11-16T10:00:00Z"},
		call{JobWeeklyReview, "2026-11-23T10:00:00Z"},
		call{JobIntegrityCheck, "2026-11-23T11:00:00Z"})
	js = readState(t, opts.StateFile).Jobs[JobWeeklyReview]
	if len(js.Failed) != 0 || js.LastCompletedFire.Format(time.RFC3339) != "2026-11-23T10:00:00Z" {
		t.Errorf("after recovery: failed %+v, last completed %v", js.Failed, js.LastCompletedFire)
	}

	ms, err := ReadMetrics(opts.MetricsFile)
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 2 || ms[1].Job != JobWeeklyReview || ms[1].RunsFailed != 2 || ms[1].RunsOK != 2 || !ms[1].LastOK ||
		ms[1].LastSuccess.Format(time.RFC3339) != "2026-11-23T10:01:00Z" {
		t.Errorf("metrics %+v", ms)
	}
}

func TestFailureRetriedAtNextFireWithinOneProcess(t *testing.T) {
	dir := t.TempDir()
	opts := Options{StateFile: filepath.Join(dir, "state.json"), Logger: testLogger(t)}
	clock := &simClock{}
	rec := &recorder{}
	attempts := map[string]int{}
	jobs := []Job{{JobSpec: JobSpec{Name: JobIntegrityCheck, Spec: "0 6 * * *", Enabled: true}}}
	jobs[0].Run = rec.jobFunc(JobIntegrityCheck, clock, func(fire time.Time) error {
		k := fire.UTC().Format(time.RFC3339)
		attempts[k]++
		if k == "2026-11-17T06:00:00Z" && attempts[k] == 1 {
			return errors.New("disk full")
		}
		return nil
	})
	simulate(t, jobs, opts, clock, "2026-11-16T12:00:00Z", "2026-11-16T13:00:00Z") // baseline
	simulate(t, jobs, opts, clock, "2026-11-16T13:00:00Z", "2026-11-19T12:00:00Z")
	assertCalls(t, rec.take(),
		call{JobIntegrityCheck, "2026-11-17T06:00:00Z"}, // fails
		call{JobIntegrityCheck, "2026-11-17T06:00:00Z"}, // retried at the next fire, before it
		call{JobIntegrityCheck, "2026-11-18T06:00:00Z"},
		call{JobIntegrityCheck, "2026-11-19T06:00:00Z"})
}

func TestCancelDuringRun(t *testing.T) {
	dir := t.TempDir()
	state := filepath.Join(dir, "state.json")
	metrics := filepath.Join(dir, "ledgerlens.prom")
	clock := &simClock{}
	started := make(chan struct{})
	var once sync.Once
	jobs := []Job{{JobSpec: JobSpec{Name: JobWeeklyReview, Spec: "0 10 * * 1", Enabled: true},
		Run: func(ctx context.Context, fire time.Time) (JobStats, error) {
			once.Do(func() { close(started) })
			<-ctx.Done() // a long step that observes cancellation
			return JobStats{}, fmt.Errorf("render workbook: %w", ctx.Err())
		}}}
	// Baseline, then start during the outage so the missed fire runs.
	rec := &recorder{}
	simulate(t, []Job{{JobSpec: jobs[0].JobSpec, Run: rec.jobFunc(JobWeeklyReview, clock, nil)}},
		Options{StateFile: state}, clock, "2026-11-13T00:00:00Z", "2026-11-13T01:00:00Z")
	before, err := os.ReadFile(state)
	if err != nil {
		t.Fatal(err)
	}

	clock.now, clock.stop = mustTime(t, "2026-11-17T00:00:00Z"), mustTime(t, "2026-12-31T00:00:00Z")
	s, err := New(jobs, Options{StateFile: state, MetricsFile: metrics, Root: testRoot, Now: clock.Now, After: clock.After, Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	clock.cancel = cancel
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	select {
	case <-started:
	case <-time.After(10 * time.Second):
		t.Fatal("job never started")
	}
	cancel()
	select {
	case err := <-done:
		var abandoned *AbandonedError
		if !errors.As(err, &abandoned) || abandoned.Job != JobWeeklyReview ||
			!abandoned.Fire.Equal(mustTime(t, "2026-11-16T10:00:00Z")) || !errors.Is(err, context.Canceled) {
			t.Fatalf("Run returned %v, want the abandoned run named", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("Run did not return promptly after cancellation")
	}

	after, err := os.ReadFile(state)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(before, after) {
		t.Errorf("a cancelled run changed the state:\n%s", after)
	}
	ms, err := ReadMetrics(metrics)
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 1 || ms[0].RunsOK != 0 || ms[0].RunsFailed != 0 || !ms[0].LastRun.IsZero() {
		t.Errorf("a cancelled run reached the metrics: %+v", ms)
	}

	// The next start runs the abandoned fire time again.
	simulate(t, []Job{{JobSpec: jobs[0].JobSpec, Run: rec.jobFunc(JobWeeklyReview, clock, nil)}},
		Options{StateFile: state}, clock, "2026-11-17T01:00:00Z", "2026-11-17T02:00:00Z")
	assertCalls(t, rec.take(), call{JobWeeklyReview, "2026-11-16T10:00:00Z"})
}

func TestCancelWhileWaitingAndDoneJobsCount(t *testing.T) {
	// A job that finishes its work although ctx was cancelled meanwhile did
	// complete: it is recorded, and Run then stops without starting more.
	dir := t.TempDir()
	state := filepath.Join(dir, "state.json")
	clock := &simClock{}
	rec := &recorder{}
	spec := JobSpec{Name: JobIntegrityCheck, Spec: "0 6 * * *", Enabled: true}
	simulate(t, []Job{{JobSpec: spec, Run: rec.jobFunc(spec.Name, clock, nil)}}, Options{StateFile: state}, clock,
		"2026-11-10T12:00:00Z", "2026-11-10T13:00:00Z")

	ctx, cancel := context.WithCancel(context.Background())
	clock.now, clock.stop, clock.cancel = mustTime(t, "2026-11-14T12:00:00Z"), mustTime(t, "2026-11-15T00:00:00Z"), cancel
	n := 0
	job := Job{JobSpec: spec, Run: func(ctx context.Context, fire time.Time) (JobStats, error) {
		n++
		cancel() // shutdown requested while the first run finishes
		return JobStats{}, nil
	}}
	s, err := New([]Job{job}, Options{StateFile: state, Now: clock.Now, After: clock.After})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Run(ctx); err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Errorf("%d runs started after the shutdown request, want 1", n)
	}
	js := readState(t, state).Jobs[spec.Name]
	if js.LastCompletedFire == nil || js.LastCompletedFire.Format(time.RFC3339) != "2026-11-11T06:00:00Z" {
		t.Errorf("completed run not recorded: %+v", js)
	}
}

func TestPanickingJobIsAFailure(t *testing.T) {
	dir := t.TempDir()
	opts := Options{StateFile: filepath.Join(dir, "state.json"), Logger: slog.New(slog.DiscardHandler)}
	clock := &simClock{}
	rec := &recorder{}
	jobs := []Job{
		{JobSpec: JobSpec{Name: "a", Spec: "0 6 * * *", Enabled: true}, Run: func(context.Context, time.Time) (JobStats, error) {
			var m map[string]int
			//lint:ignore SA5000 the runtime panic of a real bug is what this test needs.
			m["boom"]++ // a bug in a job function
			return JobStats{}, nil
		}},
		{JobSpec: JobSpec{Name: "b", Spec: "0 7 * * *", Enabled: true}, Run: rec.jobFunc("b", clock, nil)},
	}
	simulate(t, jobs, opts, clock, "2026-11-10T12:00:00Z", "2026-11-10T13:00:00Z")
	simulate(t, jobs, opts, clock, "2026-11-11T12:00:00Z", "2026-11-11T13:00:00Z")
	assertCalls(t, rec.take(), call{"b", "2026-11-11T07:00:00Z"})
	js := readState(t, opts.StateFile).Jobs["a"]
	if len(js.Failed) != 1 || !strings.Contains(js.Failed[0].LastError, "panicked") {
		t.Errorf("panic not recorded as a failure: %+v", js.Failed)
	}
}

func TestDisabledJobsDoNotRun(t *testing.T) {
	dir := t.TempDir()
	clock := &simClock{}
	rec := &recorder{}
	jobs := []Job{
		{JobSpec: JobSpec{Name: "on", Spec: "0 6 * * *", Enabled: true}, Run: rec.jobFunc("on", clock, nil)},
		{JobSpec: JobSpec{Name: "off", Spec: "0 6 * * *", Enabled: false}}, // no Run needed
	}
	opts := Options{StateFile: filepath.Join(dir, "state.json")}
	simulate(t, jobs, opts, clock, "2026-11-10T12:00:00Z", "2026-11-10T13:00:00Z")
	simulate(t, jobs, opts, clock, "2026-11-10T13:00:00Z", "2026-11-12T12:00:00Z")
	assertCalls(t, rec.take(), call{"on", "2026-11-11T06:00:00Z"}, call{"on", "2026-11-12T06:00:00Z"})
	if _, ok := readState(t, opts.StateFile).Jobs["off"]; ok {
		t.Error("a disabled job got a state entry")
	}
}

func TestStateIsDeterministic(t *testing.T) {
	run := func() []byte {
		dir := t.TempDir()
		opts := Options{StateFile: filepath.Join(dir, "state.json"), MetricsFile: filepath.Join(dir, "m.prom"), Root: testRoot}
		clock := &simClock{}
		rec := &recorder{}
		var jobs []Job
		for _, s := range defaultSpecs() {
			jobs = append(jobs, Job{JobSpec: s, Run: rec.jobFunc(s.Name, clock, func(fire time.Time) error {
				if fire.Day() == 3 {
					return errors.New("boom")
				}
				return nil
			})})
		}
		simulate(t, jobs, opts, clock, "2026-11-27T12:00:00Z", "2026-11-27T13:00:00Z")
		simulate(t, jobs, opts, clock, "2026-12-01T12:00:00Z", "2026-12-08T13:00:00Z")
		st, err := os.ReadFile(opts.StateFile)
		if err != nil {
			t.Fatal(err)
		}
		m, err := os.ReadFile(opts.MetricsFile)
		if err != nil {
			t.Fatal(err)
		}
		return append(st, m...)
	}
	a, b := run(), run()
	if !bytes.Equal(a, b) {
		t.Errorf("two identical simulations wrote different files:\n%s\n---\n%s", a, b)
	}
	var probe struct {
		Version int `json:"version"`
	}
	if err := json.NewDecoder(bytes.NewReader(a)).Decode(&probe); err != nil || probe.Version != stateVersion {
		t.Errorf("state file is not versioned JSON: %v %d", err, probe.Version)
	}
}

func TestNewRejects(t *testing.T) {
	run := func(context.Context, time.Time) (JobStats, error) { return JobStats{}, nil }
	ok := Options{StateFile: filepath.Join(t.TempDir(), "s.json")}
	tests := []struct {
		name string
		jobs []Job
		opts Options
		want string
	}{
		{"no state file", []Job{{JobSpec: defaultSpecs()[0], Run: run}}, Options{}, "state file is required"},
		{"no run func", []Job{{JobSpec: defaultSpecs()[0]}}, ok, `job "weekly-review": no function to run`},
		{"bad spec", []Job{{JobSpec: JobSpec{Name: "x", Spec: "0 25 * * *", Enabled: true}, Run: run}}, ok, `job "x": spec "0 25 * * *": hour field`},
		{"duplicate", []Job{{JobSpec: defaultSpecs()[0], Run: run}, {JobSpec: defaultSpecs()[0], Run: run}}, ok, "defined more than once"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.jobs, tc.opts)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

func TestCorruptStateIsRefused(t *testing.T) {
	dir := t.TempDir()
	state := filepath.Join(dir, "state.json")
	if err := os.WriteFile(state, []byte("{\n  \"version\": 1,\n  \"jobs\": {\n    \"weekly-review\": {\"scheduled_through\": \"2026-11-16T10:00:00Z\",}\n  }\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := New([]Job{{JobSpec: defaultSpecs()[0], Run: func(context.Context, time.Time) (JobStats, error) {
		t.Error("a job ran despite unreadable state")
		return JobStats{}, nil
	}}}, Options{StateFile: state})
	if err != nil {
		t.Fatal(err)
	}
	err = s.Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), state+":4:") {
		t.Fatalf("got %v, want an error naming %s line 4", err, state)
	}
	if err := os.WriteFile(state, []byte(`{"version": 1, "jobs": {"weekly-review": {"scheduled_through": 5}}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := s.Run(context.Background()); err == nil || !strings.Contains(err.Error(), state) {
		t.Fatalf("wrong type: %v", err)
	}
	if err := os.WriteFile(state, []byte(`{"version": 9, "jobs": {}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := s.Run(context.Background()); err == nil || !strings.Contains(err.Error(), "version 9") {
		t.Fatalf("unknown version: %v", err)
	}
	// A FIFO in the state file's place held the scheduler at its start,
	// with nothing said (an outside review): refused at once.
	if err := os.Remove(state); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(state, 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.Run(ctx); err == nil || !strings.Contains(err.Error(), "not a regular file") || ctx.Err() != nil {
		t.Fatalf("a FIFO as the state file: %v (context: %v)", err, ctx.Err())
	}
	// A symbolic link to nothing (a state kept on a mount that did not
	// come up) read as no state, and the scheduler started from nothing
	// with nothing said (an outside review): refused too.
	if err := os.Remove(state); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(dir, "mnt", "state.json"), state); err != nil {
		t.Fatal(err)
	}
	if err := s.Run(ctx); err == nil || !strings.Contains(err.Error(), "symbolic link") || ctx.Err() != nil {
		t.Fatalf("a link to nothing as the state file: %v (context: %v)", err, ctx.Err())
	}
}

func TestWaitsAreCapped(t *testing.T) {
	// A monthly job on a host whose clock jumps: the loop must wake at least
	// every maxSleep (simClock.After panics otherwise) and notice the jump.
	dir := t.TempDir()
	clock := &simClock{}
	rec := &recorder{}
	jobs := []Job{{JobSpec: JobSpec{Name: JobSLAReport, Spec: "0 7 1 * *", Enabled: true}, Run: rec.jobFunc(JobSLAReport, clock, nil)}}
	opts := Options{StateFile: filepath.Join(dir, "state.json")}
	simulate(t, jobs, opts, clock, "2026-11-10T12:00:00Z", "2026-11-10T13:00:00Z")
	assertCalls(t, rec.take())
	if clock.waits < 59 {
		t.Errorf("waited %d times in an hour, want about one per minute", clock.waits)
	}
}

func TestCatchUpIsBounded(t *testing.T) {
	// A per-minute job after a 10-hour outage runs only the newest
	// maxCatchUp fire times, and the skipped ones are not tried again.
	dir := t.TempDir()
	clock := &simClock{}
	var fires []time.Time
	jobs := []Job{{JobSpec: JobSpec{Name: "minutely", Spec: "* * * * *", Enabled: true},
		Run: func(_ context.Context, fire time.Time) (JobStats, error) {
			fires = append(fires, fire)
			return JobStats{}, nil
		}}}
	opts := Options{StateFile: filepath.Join(dir, "state.json"), Logger: slog.New(slog.DiscardHandler)}
	simulate(t, jobs, opts, clock, "2026-11-10T00:00:00Z", "2026-11-10T00:00:30Z")
	simulate(t, jobs, opts, clock, "2026-11-10T10:00:00Z", "2026-11-10T10:00:30Z")
	if len(fires) != maxCatchUp {
		t.Fatalf("%d runs, want %d", len(fires), maxCatchUp)
	}
	if got := fires[0].UTC().Format(time.RFC3339); got != "2026-11-10T01:41:00Z" {
		t.Errorf("oldest run %s, want the 500th-newest fire time", got)
	}
	if got := fires[len(fires)-1].UTC().Format(time.RFC3339); got != "2026-11-10T10:00:00Z" {
		t.Errorf("newest run %s", got)
	}
	fires = nil
	simulate(t, jobs, opts, clock, "2026-11-10T10:00:30Z", "2026-11-10T10:00:50Z")
	if len(fires) != 0 {
		t.Errorf("skipped fire times ran after a restart: %d", len(fires))
	}
}

// TestClockSetBackDoesNotSilenceTheSchedule: a state written while the
// clock ran ahead (before NTP synced, say) had every job scheduled through
// a future instant, and a daemon on the right clock then ran nothing, and
// logged nothing, until the clock caught up — months, for a wrong year.
// A state ahead of the clock is now reset to it, with an error in the
// log, and the fire times from then on run.
func TestClockSetBackDoesNotSilenceTheSchedule(t *testing.T) {
	dir := t.TempDir()
	opts := Options{StateFile: filepath.Join(dir, "state.json"), Logger: testLogger(t)}
	clock := &simClock{}
	rec := &recorder{}
	jobs := []Job{{JobSpec: JobSpec{Name: JobIntegrityCheck, Spec: "0 * * * *", TimeZone: "UTC", Enabled: true}}}
	jobs[0].Run = rec.jobFunc(JobIntegrityCheck, clock, nil)

	simulate(t, jobs, opts, clock, "2027-06-01T00:30:00Z", "2027-06-01T02:30:00Z")
	assertCalls(t, rec.take(), call{JobIntegrityCheck, "2027-06-01T01:00:00Z"}, call{JobIntegrityCheck, "2027-06-01T02:00:00Z"})

	// Started at 10:30 on the right clock and stopped at once: the reset
	// is saved, so the next start catches up from 10:30.
	simulate(t, jobs, opts, clock, "2026-12-05T10:30:00Z", "2026-12-05T10:30:30Z")
	assertCalls(t, rec.take())
	if got := readState(t, opts.StateFile).Jobs[JobIntegrityCheck].ScheduledThrough.Format(time.RFC3339); got != "2026-12-05T10:30:00Z" {
		t.Errorf("state after the reset: scheduled through %s, want the start", got)
	}
	simulate(t, jobs, opts, clock, "2026-12-05T12:30:00Z", "2026-12-05T13:30:00Z")
	assertCalls(t, rec.take(),
		call{JobIntegrityCheck, "2026-12-05T11:00:00Z"},
		call{JobIntegrityCheck, "2026-12-05T12:00:00Z"},
		call{JobIntegrityCheck, "2026-12-05T13:00:00Z"})
}

// TestLatestOnlyRunsTheNewestDueFire: a daily check that does the same
// work whatever its fire time ran once per missed day after an outage,
// and once more per failed day, one after another (nine full checks
// after nine days down, each holding the lock: an outside review). A
// LatestOnly job runs only its newest due fire time, and its success
// settles the older ones.
func TestLatestOnlyRunsTheNewestDueFire(t *testing.T) {
	dir := t.TempDir()
	opts := Options{StateFile: filepath.Join(dir, "state.json"), Logger: testLogger(t)}
	clock := &simClock{}
	rec := &recorder{}
	failing := map[string]bool{"2026-11-20T06:00:00Z": true}
	spec := JobSpec{Name: JobIntegrityCheck, Spec: "0 6 * * *", Enabled: true}
	jobs := []Job{{JobSpec: spec, LatestOnly: true, Run: rec.jobFunc(spec.Name, clock, func(fire time.Time) error {
		if failing[fire.UTC().Format(time.RFC3339)] {
			return errors.New("disk full")
		}
		return nil
	})}}
	simulate(t, jobs, opts, clock, "2026-11-10T12:00:00Z", "2026-11-10T13:00:00Z") // baseline

	// Nine days down: one run, for the newest fire time.
	simulate(t, jobs, opts, clock, "2026-11-19T12:00:00Z", "2026-11-19T13:00:00Z")
	assertCalls(t, rec.take(), call{spec.Name, "2026-11-19T06:00:00Z"})

	// A failure, then the next fire: the newest alone runs, not the
	// failed one before it, and its success clears the failure.
	simulate(t, jobs, opts, clock, "2026-11-20T05:00:00Z", "2026-11-21T12:00:00Z")
	assertCalls(t, rec.take(), call{spec.Name, "2026-11-20T06:00:00Z"}, call{spec.Name, "2026-11-21T06:00:00Z"})
	if js := readState(t, opts.StateFile).Jobs[spec.Name]; len(js.Failed) != 0 {
		t.Errorf("failed fire times left after a later run succeeded: %+v", js.Failed)
	}

	// A failed fire, then a restart with no new fire due: it is retried
	// once; two failures in a row keep only the newer for retry.
	failing["2026-11-22T06:00:00Z"], failing["2026-11-23T06:00:00Z"] = true, true
	simulate(t, jobs, opts, clock, "2026-11-22T05:00:00Z", "2026-11-23T12:00:00Z")
	assertCalls(t, rec.take(), call{spec.Name, "2026-11-22T06:00:00Z"}, call{spec.Name, "2026-11-23T06:00:00Z"})
	js := readState(t, opts.StateFile).Jobs[spec.Name]
	if len(js.Failed) != 1 || js.Failed[0].Fire.Format(time.RFC3339) != "2026-11-23T06:00:00Z" {
		t.Errorf("failed fire times kept: %+v, want the newest alone", js.Failed)
	}
	delete(failing, "2026-11-23T06:00:00Z")
	simulate(t, jobs, opts, clock, "2026-11-23T13:00:00Z", "2026-11-23T14:00:00Z")
	assertCalls(t, rec.take(), call{spec.Name, "2026-11-23T06:00:00Z"})
	if js := readState(t, opts.StateFile).Jobs[spec.Name]; len(js.Failed) != 0 {
		t.Errorf("failed fire times after the retry succeeded: %+v", js.Failed)
	}
}

// TestAbandonedAfterPublishing: a run stopped while it announced what it
// had published was reported as one that "did not finish" (an outside
// review): the abandonment says it published.
func TestAbandonedAfterPublishing(t *testing.T) {
	dir := t.TempDir()
	state := filepath.Join(dir, "state.json")
	clock := &simClock{}
	spec := JobSpec{Name: JobWeeklyReview, Spec: "0 10 * * 1", Enabled: true}
	rec := &recorder{}
	simulate(t, []Job{{JobSpec: spec, Run: rec.jobFunc(spec.Name, clock, nil)}}, Options{StateFile: state}, clock,
		"2026-11-13T00:00:00Z", "2026-11-13T01:00:00Z")

	ctx, cancel := context.WithCancel(context.Background())
	clock.now, clock.stop, clock.cancel = mustTime(t, "2026-11-17T00:00:00Z"), mustTime(t, "2026-12-31T00:00:00Z"), cancel
	job := Job{JobSpec: spec, Run: func(ctx context.Context, fire time.Time) (JobStats, error) {
		cancel() // the stop comes while the publication is announced
		return JobStats{PublishedPeriod: fire.AddDate(0, 0, -8)}, fmt.Errorf("notify: %w", ctx.Err())
	}}
	s, err := New([]Job{job}, Options{StateFile: state, Now: clock.Now, After: clock.After})
	if err != nil {
		t.Fatal(err)
	}
	var abandoned *AbandonedError
	if err := s.Run(ctx); !errors.As(err, &abandoned) || !abandoned.Published {
		t.Fatalf("Run: %v, want an abandonment that says it published", err)
	}
}
