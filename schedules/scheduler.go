package schedules

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"slices"
	"time"
)

// maxSleep caps one wait of the loop. Timers run on the monotonic clock,
// which stops while a host is suspended; waking at least this often means a
// fire time that passed during a suspend or a wall-clock step is noticed
// within a minute rather than a week late.
const maxSleep = time.Minute

// clockSlack is how far a job's state may be ahead of the clock before
// the scheduler takes it for a clock that was set back.
const clockSlack = time.Minute

// Options configure a Scheduler. Now and After exist so tests can drive the
// loop with a simulated clock; production code leaves them nil.
type Options struct {
	// StateFile records, per job, how far its schedule has been run and
	// which fire times failed (JSON, replaced atomically). Required.
	StateFile string
	// MetricsFile, when set, receives node_exporter textfile metrics after
	// every finished run (see RecordRun), labelled with Root.
	MetricsFile string
	// Root is the working root's real path, the root label of the jobs'
	// series in MetricsFile.
	Root string
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// After waits for a duration like time.After; nil means time.After.
	After func(d time.Duration) <-chan time.Time
	// Logger receives one line per run started and finished; nil discards.
	Logger *slog.Logger
	// Recorded is, per job name, what the audit log records of its
	// scheduled runs (Record). The state is held to it at the start
	// (rewindToRecord): it may make the scheduler run more than this
	// record says, never less. Nil trusts the state file.
	Recorded map[string]Record
}

// Scheduler is the `ledgerlens schedule run` daemon: it runs each enabled
// job at its fire times, catches up fire times missed while it was not
// running, and records progress in the state file.
//
// It computes fire times with robfig/cron's Schedule.Next but drives its own
// loop instead of cron.Cron, because catch-up needs the fire time that was
// missed (cron.Cron only ever starts jobs "now"), because the clock must be
// injectable for tests, and because shutdown must wait for the running job
// instead of leaving it behind.
//
// All runs happen one after another on the goroutine that called Run: a job
// never overlaps with itself, and a long run delays the jobs due after it
// rather than running beside them.
type Scheduler struct {
	jobs  []scheduledJob // enabled jobs, in configured order
	opts  Options
	now   func() time.Time
	after func(time.Duration) <-chan time.Time
	log   *slog.Logger
}

// scheduledJob is an enabled job with its parsed schedule.
type scheduledJob struct {
	job   Job
	sched *schedule
}

// New validates jobs and returns a Scheduler for the enabled ones. Job names
// must be unique; every enabled job needs a Run function.
func New(jobs []Job, opts Options) (*Scheduler, error) {
	if opts.StateFile == "" {
		return nil, errors.New("schedule: a state file is required (it is what lets a restart catch up missed runs)")
	}
	if opts.MetricsFile != "" && opts.Root == "" {
		return nil, errors.New("schedule: a metrics file needs the root its series are labelled with")
	}
	specs := make([]JobSpec, len(jobs))
	for i, j := range jobs {
		specs[i] = j.JobSpec
	}
	if err := ValidateSpecs(specs); err != nil {
		return nil, err
	}
	s := &Scheduler{opts: opts, now: opts.Now, after: opts.After, log: opts.Logger}
	if s.now == nil {
		s.now = time.Now
	}
	if s.after == nil {
		s.after = time.After
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	for _, j := range jobs {
		if !j.Enabled {
			continue
		}
		if j.Run == nil {
			return nil, fmt.Errorf("job %q: no function to run", j.Name)
		}
		sched, err := parseSpec(j.JobSpec)
		if err != nil {
			return nil, err
		}
		s.jobs = append(s.jobs, scheduledJob{job: j, sched: sched})
	}
	return s, nil
}

// work is one run to do: a job and the fire time it runs for.
type work struct {
	idx   int // into Scheduler.jobs
	fire  time.Time
	retry bool // a fire time that failed before
}

// Run loads the state, catches up missed and failed fire times (oldest
// first), then runs jobs at their fire times until ctx is cancelled.
//
// On first start a job has no state: its most recent past fire time is not
// back-filled; the start time becomes its baseline and only later fire times
// run. The state is first held to Options.Recorded (rewindToRecord): a job
// the audit log records runs of starts from its last recorded fire time. After that, every fire time between the last one handled and now runs
// once at start, oldest first, before normal scheduling (of a LatestOnly
// job's, the newest alone). A failed run is
// recorded with its error and retried at the next start and at the job's
// next fire time; it never holds up other jobs or the job's later fire
// times.
//
// When ctx is cancelled no new run starts; the running JobFunc is expected
// to observe ctx and return. A run that returns an error after ctx was
// cancelled is not recorded at all, so it runs again at the next start,
// and Run returns an *AbandonedError naming it: the daemon did not do
// that run, and whoever stopped it must not be told otherwise. Stopped
// between runs, or during a run that still finished, Run returns nil. It
// returns any other error only when the state file cannot be read or
// first written.
func (s *Scheduler) Run(ctx context.Context) error {
	st, err := loadState(s.opts.StateFile)
	if err != nil {
		return err
	}
	now := s.now()
	save := s.forgetZeroStates(st)
	if s.rewindToRecord(st) {
		save = true
	}
	for _, j := range s.jobs {
		if st.Jobs[j.job.Name] != nil {
			continue
		}
		st.Jobs[j.job.Name] = &jobState{ScheduledThrough: now.UTC(), Failed: []failedFire{}}
		save = true
		s.log.Info("job has no schedule state: starting from now, earlier fire times are not back-filled",
			"job", j.job.Name, "baseline", now.UTC().Format(time.RFC3339))
	}
	// A state ahead of the clock is reset now and saved, so that a
	// restart catches up from here (due resets one the clock falls behind
	// while running).
	if s.resetAhead(st, now) {
		save = true
	}
	if s.dropImpossibleFailures(st, now) {
		save = true
	}
	if save {
		if err := st.save(s.opts.StateFile); err != nil {
			return err
		}
	}
	s.seedMetrics(st)

	startup := true
	for {
		if ctx.Err() != nil {
			return nil
		}
		now := s.now()
		todo := s.due(st, now, startup)
		startup = false
		if len(todo) == 0 {
			wait, ok := s.untilNext(st, now)
			if !ok {
				s.log.Info("no job has a future fire time; waiting for shutdown")
				<-ctx.Done()
				return nil
			}
			select {
			case <-ctx.Done():
				return nil
			case <-s.after(wait):
			}
			continue
		}
		for _, w := range todo {
			if ctx.Err() != nil {
				return nil
			}
			if err := s.runOne(ctx, st, w); err != nil {
				return err
			}
		}
	}
}

// due lists the runs to do now, oldest fire time first (ties in configured
// job order): for each job, the fire times in (ScheduledThrough, now] and —
// at startup or when the job has such a new fire time — its failed ones.
func (s *Scheduler) due(st *state, now time.Time, startup bool) []work {
	var todo []work
	s.resetAhead(st, now)
	for i, j := range s.jobs {
		js := st.Jobs[j.job.Name]
		var fresh []time.Time
		failed := js.failedFires()
		for t := j.sched.next(js.ScheduledThrough); !t.IsZero() && !t.After(now); t = j.sched.next(t) {
			// A failed fire time after ScheduledThrough (a state rewound
			// to the audit log's record) runs once, as a retry.
			if !failed[t.UTC()] {
				fresh = append(fresh, t)
			}
		}
		if len(fresh) > maxCatchUp {
			skipped := fresh[:len(fresh)-maxCatchUp]
			s.log.Error("too many missed fire times: skipping the oldest",
				"job", j.job.Name, "skipped", len(skipped),
				"from", skipped[0].Format(time.RFC3339), "to", skipped[len(skipped)-1].Format(time.RFC3339))
			fresh = fresh[len(fresh)-maxCatchUp:]
			js.ScheduledThrough = skipped[len(skipped)-1].UTC()
		}
		if len(fresh) == 0 && !startup {
			continue
		}
		var mine []work
		for _, f := range js.Failed {
			mine = append(mine, work{idx: i, fire: f.Fire.In(j.sched.loc), retry: true})
		}
		for _, t := range fresh {
			mine = append(mine, work{idx: i, fire: t})
		}
		if j.job.LatestOnly && len(mine) > 1 {
			// Failed fire times are older than fresh ones (they are at or
			// before ScheduledThrough): the last is the newest. Nine days
			// down ran nine full checks one after another, each holding
			// the lock (an outside review).
			s.log.Info("several fire times due: only the newest runs, for a run checks the root as it is now",
				"job", j.job.Name, "due", len(mine), "runs", mine[len(mine)-1].fire.Format(time.RFC3339))
			mine = mine[len(mine)-1:]
		}
		todo = append(todo, mine...)
	}
	slices.SortStableFunc(todo, func(a, b work) int {
		if c := a.fire.Compare(b.fire); c != 0 {
			return c
		}
		return a.idx - b.idx
	})
	return todo
}

// resetAhead schedules from now every job whose state is ahead of the
// clock by more than clockSlack, logging each at error level, and
// reports whether it reset any. Left as it is, no fire time would come
// before the clock reached that state: the job would stay silent, and its
// metrics (success times in the future) would trip no alert.
func (s *Scheduler) resetAhead(st *state, now time.Time) bool {
	reset := false
	for _, j := range s.jobs {
		js := st.Jobs[j.job.Name]
		if js.ScheduledThrough.Sub(now) > clockSlack {
			s.log.Error("the schedule state is ahead of the clock (it was set back, or ran ahead when the state was written): scheduling from now",
				"job", j.job.Name, "scheduled_through", js.ScheduledThrough.Format(time.RFC3339), "now", now.UTC().Format(time.RFC3339))
			js.ScheduledThrough = now.UTC()
			reset = true
		}
	}
	return reset
}

// untilNext returns how long to wait for the earliest next fire time,
// capped at maxSleep; false when no job will ever fire again.
func (s *Scheduler) untilNext(st *state, now time.Time) (time.Duration, bool) {
	var next time.Time
	for _, j := range s.jobs {
		t := j.sched.next(st.Jobs[j.job.Name].ScheduledThrough)
		if !t.IsZero() && (next.IsZero() || t.Before(next)) {
			next = t
		}
	}
	if next.IsZero() {
		return 0, false
	}
	return min(max(next.Sub(now), time.Millisecond), maxSleep), true
}

// AbandonedError is Run's error when the shutdown interrupted a run: the
// run did not finish, nothing of it was recorded, and its fire time runs
// again at the next start.
type AbandonedError struct {
	Job  string
	Fire time.Time
	// Published is set when the run had published its period
	// (JobStats.PublishedPeriod) and was cut short after, announcing it.
	Published bool
	// Err is what the interrupted run returned.
	Err error
}

func (e *AbandonedError) Error() string {
	return fmt.Sprintf("the %s run for %s was abandoned by the shutdown; it runs again at the next start (%v)",
		e.Job, e.Fire.UTC().Format(time.RFC3339), e.Err)
}

func (e *AbandonedError) Unwrap() error { return e.Err }

// runOne runs one fire time of one job and records the outcome; it
// returns an *AbandonedError, recording nothing, for a run the shutdown
// interrupted.
func (s *Scheduler) runOne(ctx context.Context, st *state, w work) error {
	j := s.jobs[w.idx]
	name := j.job.Name
	log := s.log.With("job", name, "fire", w.fire.Format(time.RFC3339))
	started := s.now()
	log.Info("job started", "retry", w.retry)
	stats, err := safeRun(ctx, j.job, w.fire, log)
	finished := s.now()
	if err != nil && ctx.Err() != nil {
		// The shutdown interrupted the run. Recording it would either mark
		// an unfinished run done or count a failure that is not one; left
		// unrecorded, it runs again at the next start.
		log.Warn("job abandoned by shutdown; it runs again at the next start", "error", err)
		return &AbandonedError{Job: name, Fire: w.fire, Published: !stats.PublishedPeriod.IsZero(), Err: err}
	}

	js := st.Jobs[name]
	rec := &runRecord{
		Fire:     w.fire.UTC(),
		Started:  started.UTC(),
		Finished: finished.UTC(),
		Status:   resultOK,
	}
	if err == nil {
		rec.Rows, rec.Rejects = stats.Rows, stats.Rejects
		rec.Findings = stats.Findings
		js.clearFailure(rec.Fire)
		if j.job.LatestOnly {
			js.clearFailuresBefore(rec.Fire) // this run did their work
		}
		if js.LastCompletedFire == nil || rec.Fire.After(*js.LastCompletedFire) {
			f := rec.Fire
			js.LastCompletedFire = &f
		}
		js.LastSuccess = rec
		log.Info("job completed", "duration", finished.Sub(started), "rows", stats.Rows, "rejects", stats.Rejects)
	} else {
		rec.Status, rec.Error = resultFailed, err.Error()
		if j.job.LatestOnly {
			// Retrying this fire time retries the older ones' work.
			js.clearFailuresBefore(rec.Fire)
		}
		for _, d := range js.recordFailure(rec.Fire, rec.Finished, rec.Error) {
			log.Error("job keeps failing: giving up on an old fire time", "dropped_fire", d.Format(time.RFC3339))
		}
		log.Error("job failed; it is retried at the next start and at its next fire time", "duration", finished.Sub(started), "error", err)
	}
	js.LastRun = rec
	if rec.Fire.After(js.ScheduledThrough) {
		js.ScheduledThrough = rec.Fire
	}
	if serr := st.save(s.opts.StateFile); serr != nil {
		// Jobs are idempotent: losing this record costs a repeated run
		// after a restart, which is no reason to stop scheduling.
		log.Error("could not record the run", "error", serr)
	}
	if s.opts.MetricsFile != "" {
		res := RunResult{Started: started, Finished: finished, Err: err, Stats: stats}
		if merr := RecordRun(s.opts.MetricsFile, s.opts.Root, name, res); merr != nil {
			LogMetricsError(log, merr)
		}
	}
	return nil
}

// safeRun calls the job and turns a panic into an error, so one broken job
// cannot stop the daemon from running the others. The stack goes to the log,
// not into the error kept in the state file.
func safeRun(ctx context.Context, j Job, fire time.Time, log *slog.Logger) (stats JobStats, err error) {
	defer func() {
		if r := recover(); r != nil {
			log.Error("job panicked", "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
			err = fmt.Errorf("job %q panicked: %v", j.Name, r)
		}
	}()
	return j.Run(ctx, fire)
}

// seedMetrics makes sure every enabled job has series in the metrics file,
// taking the figures from the state when the file lacks the job (a first
// start, or a textfile directory that was wiped), so staleness alerts do not
// lose their series until the next run.
func (s *Scheduler) seedMetrics(st *state) {
	if s.opts.MetricsFile == "" {
		return
	}
	existing, err := ReadRootMetrics(s.opts.MetricsFile, s.opts.Root)
	var parseErr *parseError
	if err != nil && !errors.As(err, &parseErr) {
		s.log.Error("could not read metrics", "error", err)
		return
	}
	have := map[string]bool{}
	for _, m := range existing {
		have[m.Job] = have[m.Job] || m.Root == s.opts.Root
	}
	var add []JobMetrics
	for _, j := range s.jobs {
		if have[j.job.Name] {
			continue
		}
		m := JobMetrics{Job: j.job.Name}
		js := st.Jobs[j.job.Name]
		if r := js.LastRun; r != nil {
			m.Record(RunResult{Started: r.Started, Finished: r.Finished, Err: runErr(r)})
			m.RunsOK, m.RunsFailed = 0, 0
		}
		if r := js.LastSuccess; r != nil {
			m.LastSuccess = toMillis(r.Finished)
			m.Rows, m.Rejects = r.Rows, r.Rejects
			m.Findings = r.Findings
		}
		add = append(add, m)
	}
	if len(add) == 0 {
		return
	}
	if err := WriteMetrics(s.opts.MetricsFile, s.opts.Root, add...); err != nil {
		LogMetricsError(s.log, err)
	}
}

// runErr turns a recorded failure back into an error value.
func runErr(r *runRecord) error {
	if r.Status == resultOK {
		return nil
	}
	return errors.New(r.Error)
}
