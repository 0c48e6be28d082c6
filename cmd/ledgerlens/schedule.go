package main

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/ledgerlens/ledgerlens/pipeline"
	"github.com/ledgerlens/ledgerlens/pipeline/audit"
	"github.com/ledgerlens/ledgerlens/pipeline/hugepages"
	"github.com/ledgerlens/ledgerlens/pipeline/inputs"
	"github.com/ledgerlens/ledgerlens/pipeline/job"
	"github.com/ledgerlens/ledgerlens/pipeline/lock"
	"github.com/ledgerlens/ledgerlens/pipeline/reconcile"
	"github.com/ledgerlens/ledgerlens/schedules"
)

func newScheduleCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "schedule",
		Short: "Run the built-in scheduler, or show its jobs and their crontab equivalent",
	}
	cmd.AddCommand(newScheduleRunCmd(a), newScheduleListCmd(a), newScheduleCrontabCmd(a))
	return cmd
}

// jobSpecs reads the schedules from config/ledgerlens.json (defaults: docs/ARCHITECTURE.md, "Scheduling").
//
// Schedules another account may change are refused as every job refuses
// such rules (job.ConfigAccessProblems): moved to a day that never comes,
// the daemon started and no job ever ran, with nothing said (an outside
// review).
func (a *app) jobSpecs() ([]schedules.JobSpec, error) {
	if problems := job.ConfigAccessProblems(a.layout()); len(problems) > 0 {
		return nil, &job.IntegrityError{Problems: problems}
	}
	cfg, _, err := inputs.LoadConfig(a.layout().Config)
	if err != nil {
		return nil, err
	}
	specs := schedules.SpecsOf(cfg.Schedules)
	for _, s := range specs {
		// A schedule no job answers to is refused by every command that
		// reads them (run, list, crontab), not only when the daemon starts.
		if _, err := schedules.JobCommand(s.Name); err != nil {
			return nil, fmt.Errorf("config %s: schedule %q names no known job (%s, %s, %s)", a.layout().Config, s.Name,
				schedules.JobWeeklyReview, schedules.JobIntegrityCheck, schedules.JobSLAReport)
		}
	}
	return specs, schedules.ValidateSpecs(specs)
}

// ScheduleRunOptions are the options of `ledgerlens schedule run`.
type ScheduleRunOptions struct {
	MetricsFile string // "" writes no metrics
	// LockTimeout is how long a scheduled run waits for a lock held by
	// another job.
	LockTimeout time.Duration
}

func newScheduleRunCmd(a *app) *cobra.Command {
	var opts ScheduleRunOptions
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Run the scheduler daemon (weekly review, daily integrity check, monthly SLA report)",
		Long: `run starts a long-running scheduler with the jobs of config/ledgerlens.json
(defaults: weekly review Monday 10:00, integrity check daily 06:00, SLA report
on the 1st at 07:00, UTC). At start it catches up fire times missed while
the host was down, oldest first, each once (the integrity check, which
checks the root as it is, once for the newest). Its state file is held to
the audit log's record of the runs: a state that says more was run than the
log records (edited, or removed) is caught up, with an error saying so.
Jobs never overlap with each other or with CLI runs (file lock; a
scheduled run waits up to --lock-timeout). SIGTERM, SIGINT and SIGHUP stop it cleanly: with exit
status 0 between runs; during a run, which is abandoned and done again at
the next start, with 128+signal and a line naming it.`,
		Example: `  ledgerlens --root /srv/ledger schedule run --metrics-file /var/lib/node_exporter/textfile/ledgerlens.prom`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runScheduleRun(cmd.Context(), a, opts)
		},
	}
	cmd.Flags().StringVar(&opts.MetricsFile, "metrics-file", "", "write Prometheus textfile metrics here after every run")
	cmd.Flags().DurationVar(&opts.LockTimeout, "lock-timeout", 30*time.Minute, "how long a scheduled run waits for a lock held by another job")
	return cmd
}

// runScheduleRun runs the scheduler daemon with the jobs of the
// configuration until ctx is cancelled.
func runScheduleRun(ctx context.Context, a *app, opts ScheduleRunOptions) error {
	// The daemon outlives its jobs: memory advised for huge pages
	// that a job frees is refilled with whole huge pages by the
	// kernel, and the daemon would keep its largest job's peak
	// (docs/ARCHITECTURE.md, "Memory").
	hugepages.Withdraw()
	// The start's line said what the setting asked for; this one says
	// what the daemon and its jobs get.
	a.log.Debug("memory", "huge_pages", hugepages.On(), "withdrawn", true)
	jobs, err := a.scheduledJobs(opts.LockTimeout)
	if err != nil {
		return err
	}
	if err := checkMetricsFile(a, opts.MetricsFile); err != nil {
		return err
	}
	l := a.layout()
	// As every job does before it writes (it wrote its lock and
	// state onto the bare mount point of a state directory that
	// did not come up, and started silently: an outside review).
	if err := job.CheckRecordNotLost(l); err != nil {
		return err
	}
	if err := os.MkdirAll(l.StateDir, 0o750); err != nil {
		return fmt.Errorf("create state directory: %w", err)
	}
	stateFile := filepath.Join(l.StateDir, "schedule-state.json")
	// One scheduler per root: two ran every job twice, and the
	// last to write the schedule state dropped the other's failed
	// fire times from its retries. Held for the daemon's life, on
	// a file of its own, so the jobs' lock stays free between jobs.
	own, err := lock.AcquireFile(ctx, filepath.Join(l.StateDir, "scheduler.lock"), 0, lock.CurrentHolder("schedule run", time.Now()))
	if err != nil {
		return err
	}
	defer own.Release()
	// The log is read under the jobs' read lock: a job appending to it
	// meanwhile would leave a line half written, which does not verify.
	entries, err := a.entriesUnderLock(ctx, opts.LockTimeout)
	if err != nil {
		return err
	}
	recorded := recordedFires(entries, jobs)
	if len(recorded) == 0 {
		a.warnScheduleStateLost(stateFile, entries)
	}
	sched, err := schedules.New(jobs, schedules.Options{
		StateFile:   stateFile,
		MetricsFile: opts.MetricsFile,
		Root:        metricsRoot(l),
		Logger:      a.log,
		Recorded:    recorded,
	})
	if err != nil {
		return err
	}
	// The jobs it runs by name, and those it does not: a daemon started
	// with every job disabled said "jobs=3" and ran nothing.
	var enabled, disabled []string
	for _, j := range jobs {
		if j.Enabled {
			enabled = append(enabled, j.Name)
		} else {
			disabled = append(disabled, j.Name)
		}
	}
	a.log.Info("scheduler started", "jobs", namesOrNone(enabled), "disabled", namesOrNone(disabled), "root", l.Root)
	if len(enabled) == 0 {
		// At error level, which a daemon's stderr shows by default: at
		// warning level it was not seen under systemd or cron (a review
		// of this stop's fix).
		a.log.Error("every scheduled job is disabled: the scheduler runs nothing until one is enabled in the configuration and it is restarted", "config", l.Config)
	}
	return sched.Run(ctx)
}

// namesOrNone lists names for a log line: comma-separated, or "none".
func namesOrNone(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ",")
}

// scheduledJobs are the configured schedules, each with the job it runs;
// a scheduled run waits up to lockTimeout for another job's lock.
func (a *app) scheduledJobs(lockTimeout time.Duration) ([]schedules.Job, error) {
	specs, err := a.jobSpecs()
	if err != nil {
		return nil, err
	}
	runners := map[string]schedules.Job{
		schedules.JobWeeklyReview: {Run: a.weeklyJob(lockTimeout)},
		// The check looks at the root as it is when it runs,
		// whatever its fire time: after days down, one check.
		schedules.JobIntegrityCheck: {Run: a.integrityJob(lockTimeout), LatestOnly: true},
		schedules.JobSLAReport:      {Run: a.slaJob(lockTimeout)},
	}
	var jobs []schedules.Job
	for _, s := range specs {
		j, ok := runners[s.Name]
		if !ok { // jobSpecs refused every other name
			return nil, fmt.Errorf("schedule %q: no runner for it", s.Name)
		}
		j.JobSpec = s
		jobs = append(jobs, j)
	}
	return jobs, nil
}

// recordedFires is, per scheduled job, what the audit log entries
// record of its runs (schedules.Record), which the schedule state is held
// to: a run is a job_start with the job's command and fire time (written
// by scheduledEnv), completed when its job_end follows, failed when its
// job_fail does or its record stops before either (killed). A fire time
// counts by its last run. Jobs hold the lock for their whole run, so a
// run's entries are not interleaved with another's. Runs recorded before
// job_start held fire times count for nothing.
func recordedFires(entries []audit.Entry, jobs []schedules.Job) map[string]schedules.Record {
	last := map[string]map[time.Time]bool{} // job → fire → completed
	var name string                         // the scheduled job whose run is open, "" for none
	var fire time.Time
	end := func(completed bool) {
		if name != "" {
			if last[name] == nil {
				last[name] = map[time.Time]bool{}
			}
			last[name][fire] = completed
		}
		name = ""
	}
	for _, e := range entries {
		switch e.Event {
		case audit.EventJobStart:
			end(false) // a run whose record stopped before its end
			cmd, _ := e.Fields["command"].(string)
			s, _ := e.Fields[job.FieldFire].(string)
			t, err := time.Parse(time.RFC3339, s)
			if err != nil {
				continue
			}
			for _, j := range jobs {
				if cmd == scheduledCommand(j.Name) {
					name, fire = j.Name, t.UTC()
				}
			}
		case audit.EventJobEnd:
			end(true)
		case audit.EventJobFail:
			end(false)
		}
	}
	end(false)
	recs := map[string]schedules.Record{}
	for job, fires := range last {
		var r schedules.Record
		for f, completed := range fires {
			switch {
			case !completed:
				r.Failed = append(r.Failed, f)
			case f.After(r.LastCompleted):
				r.LastCompleted = f
			}
		}
		slices.SortFunc(r.Failed, time.Time.Compare)
		recs[job] = r
	}
	return recs
}

// entriesUnderLock is verifiedEntries read under the jobs' read lock: a
// job appending to the log meanwhile would leave a line half written,
// which does not verify. It waits for the lock as long as it takes,
// saying so at error level after each wait of timeout: started without
// the record, the daemon held its state to nothing (an outside review),
// and its runs need the lock anyway. Only ctx ending stops the wait.
func (a *app) entriesUnderLock(ctx context.Context, timeout time.Duration) ([]audit.Entry, error) {
	if timeout <= 0 {
		timeout = time.Minute // one error line a minute, not a busy loop
	}
	for {
		lk, err := a.readLock(ctx, "schedule run", timeout)
		if err == nil {
			defer lk.Release()
			entries := a.verifiedEntries(ctx, a.layout())
			if err := ctx.Err(); err != nil {
				return nil, err // stopped while reading: nothing taken from it
			}
			return entries, nil
		}
		if !isLockHeld(err) || ctx.Err() != nil {
			return nil, err
		}
		a.log.Error("still waiting for the jobs' lock, to read the audit log the schedule state is held to", "error", err)
	}
}

// verifiedEntries are the entries of the root's audit log when it
// verifies: its chain, and against the signed checkpoints of the
// checkpoints file (reconcile.Audit). A log that does not, or cannot be
// read, is logged as an error and gives none, so that the schedule state
// is held to nothing read from it (every job refuses such a log, and the
// integrity check reports it). So is a log with signed checkpoints and no
// key to check them: its entries could have been made up.
func (a *app) verifiedEntries(ctx context.Context, l inputs.Layout) []audit.Entry {
	pub, err := job.RootPublicKey(l)
	if err != nil {
		pub = nil // an unkeyed root has no signed checkpoints either
	}
	ac, err := reconcile.Audit(ctx, l, "", pub, nil)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil // no log yet; one that should be there is the jobs' to name
	case err != nil:
		a.log.Error("the audit log cannot be read: the schedule state is not held to its record of the runs", "error", err)
		return nil
	case !ac.OK():
		a.log.Error("the audit log does not verify: the schedule state is not held to its record of the runs", "problem", ac.Problems[0])
		return nil
	}
	return ac.State.Entries
}

// warnScheduleStateLost logs as an error a schedule state missing from a
// root whose audit log entries record runs of the scheduler but not their
// fire times (an earlier ledgerlens wrote them; recordedFires finds
// none): the fire times missed before now cannot be known, and are not
// caught up (a state file deleted while the host was down over a Monday
// lost that week's run, with nothing said: an outside review). The
// scheduler starts all the same; the error says what to run by hand.
func (a *app) warnScheduleStateLost(stateFile string, entries []audit.Entry) {
	if _, err := os.Lstat(stateFile); !errors.Is(err, fs.ErrNotExist) {
		return
	}
	for i := len(entries) - 1; i >= 0; i-- {
		e := entries[i]
		if cmd, _ := e.Fields["command"].(string); e.Event == audit.EventJobStart && strings.HasPrefix(cmd, "schedule run:") {
			a.log.Error("the schedule state is missing, though the audit log records runs of the scheduler: fire times missed before now are not caught up; publish any week or month they left out by hand (report weekly --week, report sla --month)",
				"state", stateFile, "last_scheduled_run", e.Time, "command", cmd, "seq", e.Seq)
			return
		}
	}
}

// weeklyJob publishes the review of the last complete week before the fire
// time; re-running a fire is a no-op once its report is published.
func (a *app) weeklyJob(lockTimeout time.Duration) schedules.JobFunc {
	return func(ctx context.Context, fire time.Time) (schedules.JobStats, error) {
		res, err := pipeline.RunWeekly(ctx, a.scheduledEnv(schedules.JobWeeklyReview, fire, lockTimeout), pipeline.WeeklyOptions{AsOf: fire, KeepPublished: true})
		if err != nil {
			if res != nil && res.Report != nil && errors.Is(err, job.ErrIntegrity) {
				// Published with an integrity problem (exit 4 from the
				// command line, which announces it): announced here too,
				// beside the problem, or a receiver keeping a record of
				// publications would never hear of the report.
				err = joinNotified(err, a.notifyWeekly(ctx, res, lockTimeout, notifyFail))
				return a.publishedWithProblems(ctx, "schedule run: weekly-review: notify", err, weeklyStats(res))
			}
			return a.failedRun(ctx, "schedule run: weekly-review: notify", err)
		}
		nerr := a.notifyWeekly(ctx, res, lockTimeout, notifyFail)
		// A week that needs a person, which the crontab's weekly line
		// exits 3 on: logged as an error, as cron mails that line's
		// stderr. The week is published, so that alone does not fail
		// the run (which would retry it). It
		// was logged nowhere: a ledger feed dead for months went by
		// unseen (an outside review).
		if n := atOrAbove(schedules.WeeklyFailOn, weeklySeverities(res)); n > 0 {
			a.log.Error(fmt.Sprintf("weekly review %s needs a person: %d %s at or above %s", res.Period.Label(), n, weeklyFindings, schedules.WeeklyFailOn),
				"job", schedules.JobWeeklyReview)
		}
		if nerr != nil {
			return weeklyStats(res), unannounced("weekly review "+res.Period.Label(), nerr)
		}
		return weeklyStats(res), nil
	}
}

// unannounced is the error of a scheduled run that published what but
// could not tell a configured receiver (notifyFail): the run counts as
// failed in the schedule state and the metrics, so that the failure
// alerts fire, and it is retried like any failed run.
func unannounced(what string, err error) error {
	return fmt.Errorf("%s published, but %w; the run is retried at the scheduler's next start and at the job's next fire time, and the retry, which publishes nothing new, tells the receivers not told yet", what, err)
}

// publishedWithProblems is failedRun for a scheduled run that published
// with integrity problems (err): the figures of what it published (the
// metrics take them, schedules.JobMetrics.Record), with the problems
// failedRun counted.
func (a *app) publishedWithProblems(ctx context.Context, command string, err error, published schedules.JobStats) (schedules.JobStats, error) {
	failed, err := a.failedRun(ctx, command, err)
	published.IntegrityProblems = failed.IntegrityProblems
	return published, err
}

// joinNotified adds a failed notification to a failed run's error.
func joinNotified(err, nerr error) error {
	if nerr == nil {
		return err
	}
	return errors.Join(err, nerr)
}

func weeklyStats(res *pipeline.WeeklyResult) schedules.JobStats {
	st := schedules.JobStats{Findings: map[string]int64{}, FindingsBySeverity: map[schedules.Finding]int64{},
		NewestRun: res.NewestRun}
	if r := res.Report; r != nil && r.Schema != "" {
		st.Rows = r.DataQuality.Loaded
		st.Rejects = r.DataQuality.Rejected
		for _, v := range r.PolicyViolations {
			st.Findings[v.Type]++
			st.FindingsBySeverity[schedules.Finding{Type: v.Type, Severity: v.Severity}]++
		}
		// A modified ledger is an integrity problem the weekly run finds.
		n := int64(len(r.DataQuality.AppendOnly.Modifications))
		st.IntegrityProblems = &n
		st.PublishedPeriod = res.Period.Start
	}
	return st
}

// integrityJob is the daily check, run as a job (lock and audit bracket):
// ledger append-only, audit chain, every published artifact. Every problem
// found is logged, counted in the integrity-problems metric, and sent to
// the webhooks; a problem fails the job, and so does a check that could
// not run.
func (a *app) integrityJob(lockTimeout time.Duration) schedules.JobFunc {
	return func(ctx context.Context, fire time.Time) (schedules.JobStats, error) {
		pub, err := job.RootPublicKey(a.layout())
		if err != nil {
			return schedules.JobStats{}, err
		}
		env := a.scheduledEnv(schedules.JobIntegrityCheck, fire, lockTimeout)
		rep, err := pipeline.RunIntegrity(ctx, env, pub)
		if err != nil && rep.AuditCheck.State == nil && !isLockHeld(err) && ctx.Err() == nil {
			// Refused before the check ran (a key the jobs refuse, a keys
			// directory gone): the refusal is one problem, and the check
			// still runs read-only, as verify all does, so that what it
			// finds (an edited ledger beside the missing key) is counted
			// and sent too, not hidden behind the refusal.
			return a.refusedIntegrityCheck(ctx, env, pub, lockTimeout, err)
		}
		if err != nil {
			// A log or key pair the job refuses to start on is the problem
			// itself: counted and sent like any other, not read as none.
			return a.failedRun(ctx, "schedule run: integrity-check: notify", err)
		}
		for _, p := range rep.Problems {
			a.log.Error("integrity problem", "problem", p)
		}
		st := integrityCheckStats(len(rep.Problems))
		var nerr error
		if !rep.OK() {
			nerr = a.notifyIntegrity(ctx, rep.Problems, "schedule run: integrity-check: notify", notifyFail)
		}
		// Earlier problems whose post failed are told now, found or not
		// by this check.
		rerr := a.redeliverIntegrity(ctx, rep.AuditCheck.State.Entries, rep.Problems)
		if !rep.OK() {
			return st, joinNotified(joinNotified(fmt.Errorf("integrity check: %s", problemCount(len(rep.Problems))), nerr), rerr)
		}
		if rerr != nil {
			return st, fmt.Errorf("integrity check: no problem now, but earlier problems are still not told: %w", rerr)
		}
		return st, rep.Incomplete()
	}
}

// refusedIntegrityCheck is the scheduled integrity check when its job was
// refused with refusal before it checked anything: the check runs under
// the read lock without the job's audit bracket (which would need the
// key), and its problems, after the refusal's own, are logged, counted
// and sent. The run fails with the refusal.
func (a *app) refusedIntegrityCheck(ctx context.Context, env job.Env, pub ed25519.PublicKey, lockTimeout time.Duration, refusal error) (schedules.JobStats, error) {
	problems, ok := integrityProblems(refusal)
	if !ok {
		problems = []string{refusal.Error()}
	}
	lk, err := a.readLock(ctx, "schedule run: integrity-check", lockTimeout)
	if err == nil {
		rep, cerr := pipeline.CheckIntegrity(ctx, env, pub)
		lk.Release()
		if cerr != nil {
			problems = append(problems, "the check itself could not run: "+cerr.Error())
		} else {
			problems = append(problems, rep.Problems...)
		}
	}
	for _, p := range problems {
		a.log.Error("integrity problem", "problem", p)
	}
	nerr := a.notifyIntegrity(ctx, problems, "schedule run: integrity-check: notify", notifyFail)
	return integrityCheckStats(len(problems)), joinNotified(refusal, nerr)
}

// isLockHeld reports whether err is another process holding the lock
// (the run is retried, nothing is wrong with the root).
func isLockHeld(err error) bool {
	var held *job.LockHeldError
	var overdue *lock.OverdueError
	return errors.As(err, &held) || errors.As(err, &overdue)
}

// failedRun is the outcome of a scheduled run that failed with err: when
// err is an integrity problem (a job that published and found one, or
// refused to start on a broken log or key pair) its problems are counted
// in the integrity-problems metric and sent to the webhooks, so that a
// refusal is never read as "no problems", and a receiver not told is
// added to the error; any other failure leaves the count as it was (the
// run's status says it failed).
func (a *app) failedRun(ctx context.Context, command string, err error) (schedules.JobStats, error) {
	problems, ok := integrityProblems(err)
	if !ok {
		return schedules.JobStats{}, err
	}
	for _, p := range problems {
		a.log.Error("integrity problem", "problem", p)
	}
	nerr := a.notifyIntegrity(ctx, problems, command, notifyFail)
	return integrityCheckStats(len(problems)), joinNotified(err, nerr)
}

// maxListedFires bounds schedule list --next: a year of a job firing every
// minute is half a million lines, and a typo wrote gigabytes.
const maxListedFires = 10000

func newScheduleListCmd(a *app) *cobra.Command {
	var n int
	cmd := &cobra.Command{
		Use:     "list",
		Short:   "Show each scheduled job and its next fire times",
		Example: `  ledgerlens schedule list -n 5`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if n < 1 || n > maxListedFires {
				return usagef("--next %d: give 1 to %d fire times", n, maxListedFires)
			}
			specs, err := a.jobSpecs()
			if err != nil {
				return err
			}
			now := time.Now()
			for _, s := range specs {
				state := "enabled"
				if !s.Enabled {
					state = "disabled"
				}
				fmt.Fprintf(a.stdout, "%s  %q  %s  %s\n", s.Name, s.Spec, s.TimeZone, state)
				fires, err := schedules.NextFires(s, now, n)
				if err != nil {
					return err
				}
				for _, f := range fires {
					fmt.Fprintf(a.stdout, "  next  %s\n", f.Format(time.RFC3339))
				}
			}
			return nil
		},
	}
	cmd.Flags().IntVarP(&n, "next", "n", 3, "how many fire times to show per job")
	return cmd
}

func newScheduleCrontabCmd(a *app) *cobra.Command {
	var systemd bool
	cmd := &cobra.Command{
		Use:   "crontab",
		Short: "Print the system crontab lines (or systemd units) equivalent to the scheduler",
		Long: `crontab prints lines for 'crontab -e' that run the same jobs at the same times
as 'ledgerlens schedule run', with the full binary path and --root. System
cron has no per-line time zone: each line is preceded by CRON_TZ=<zone>,
which cronie honours per entry; on a cron without CRON_TZ run the host in
the jobs' zone or use --systemd, whose OnCalendar carries the zone.`,
		Example: `  ledgerlens --root /srv/ledger schedule crontab | crontab -
  ledgerlens --root /srv/ledger schedule crontab --systemd`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			specs, err := a.jobSpecs()
			if err != nil {
				return err
			}
			bin, err := os.Executable()
			if err != nil {
				return err
			}
			if bin, err = filepath.Abs(bin); err != nil {
				return err
			}
			root, err := filepath.Abs(a.layout().Root)
			if err != nil {
				return err
			}
			if !systemd {
				out, err := schedules.Crontab(specs, bin, root)
				if err != nil {
					return err
				}
				fmt.Fprint(a.stdout, out)
				return nil
			}
			for _, s := range specs {
				if !s.Enabled {
					continue
				}
				u, err := schedules.SystemdTimer(s, bin, root)
				if err != nil {
					return err
				}
				fmt.Fprintf(a.stdout, "# /etc/systemd/system/%s.service\n%s\n# /etc/systemd/system/%s.timer\n%s\n", u.Name, u.Service, u.Name, u.Timer)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&systemd, "systemd", false, "print systemd .service/.timer pairs instead")
	return cmd
}

// slaJob publishes the monthly SLA report of the month before the fire.
func (a *app) slaJob(lockTimeout time.Duration) schedules.JobFunc {
	return func(ctx context.Context, fire time.Time) (schedules.JobStats, error) {
		res, err := pipeline.RunSLA(ctx, a.scheduledEnv(schedules.JobSLAReport, fire, lockTimeout),
			// The month is the last complete one as of the fire, in the
			// configured zone the report's periods are in (RunSLA): the
			// schedule's own zone only says when it fires, and a month
			// picked in a zone ahead of that one has not ended there yet.
			pipeline.SLAOptions{AsOf: fire, KeepPublished: true})
		if err != nil {
			if res != nil && res.Report != nil && errors.Is(err, job.ErrIntegrity) {
				err = joinNotified(err, a.notifySLA(ctx, res, lockTimeout, notifyFail)) // as the weekly job does
				return a.publishedWithProblems(ctx, "schedule run: sla-report: notify", err, slaStats(res))
			}
			return a.failedRun(ctx, "schedule run: sla-report: notify", err)
		}
		// As `report sla` does: the scheduler published reports no
		// receiver ever heard of (an outside review).
		nerr := a.notifySLA(ctx, res, lockTimeout, notifyFail)
		// A month that needs a person, which the crontab's monthly line
		// exits 3 on: logged as an error, as the weekly job logs its week.
		if n := atOrAbove(schedules.SLAFailOn, slaSeverities(res)); n > 0 {
			a.log.Error(fmt.Sprintf("SLA report %s needs a person: %d %s at or above %s", res.Month, n, slaFindings, schedules.SLAFailOn),
				"job", schedules.JobSLAReport)
		}
		if nerr != nil {
			return slaStats(res), unannounced("SLA report "+res.Report.Month, nerr)
		}
		return slaStats(res), nil
	}
}
