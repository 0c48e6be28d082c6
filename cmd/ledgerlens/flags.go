package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/ledgerlens/ledgerlens/pipeline/inputs"
	pjob "github.com/ledgerlens/ledgerlens/pipeline/job"
	"github.com/ledgerlens/ledgerlens/pipeline/rules"
	"github.com/ledgerlens/ledgerlens/schedules"
)

// parseAsOf reads --as-of: "" means now; anything else must be an RFC
// 3339 instant from 1970 on and not later than now (the clock, read when
// the command started). --as-of fixes "now" to choose or reproduce a
// report; a later instant would end periods still under way, and a final,
// write-once report of one would be published (docs/RULES.md, "Periods").
func parseAsOf(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, usagef("--as-of %q: want RFC 3339, e.g. 2026-11-23T10:00:00Z", s)
	}
	// The zero time would silently mean "now" downstream, and an instant
	// before the Unix epoch is a typo, not a reporting date.
	if t.IsZero() || t.Year() < 1970 {
		return time.Time{}, usagef("--as-of %q: not a usable date (want an instant from 1970 on, e.g. 2026-11-23T10:00:00Z; leave it out for now)", s)
	}
	if t.After(now) {
		return time.Time{}, usagef("--as-of %s is later than now (%s): it fixes \"now\" to choose or reproduce a report and cannot stand for a time that has not come; leave it out for now",
			t.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	return t, nil
}

// failOnFlag is --fail-on: findings at or above a severity make the
// command exit 3, so cron mail or CI can react. Given empty (a cron
// line's unset variable), it would turn the check off without a word:
// noEmptyFlags refuses that, as for every flag.
type failOnFlag struct{ severity string }

func (f *failOnFlag) register(fs *pflag.FlagSet, what string) {
	fs.StringVar(&f.severity, "fail-on", "", "exit 3 when "+what+" is at or above this severity (`SEVn`: SEV0 … SEV4)")
}

func (f *failOnFlag) validate() error {
	if f.severity != "" && rules.SeverityRank(f.severity) > 4 {
		return usagef("--fail-on %q: want SEV0 … SEV4", f.severity)
	}
	return nil
}

// check returns exit status 3 when any of severities is at or above the
// flag's severity; what names the findings in the log line.
func (f *failOnFlag) check(a *app, what string, severities []string) error {
	if f.severity == "" {
		return nil
	}
	n := atOrAbove(f.severity, severities)
	if n == 0 {
		return nil
	}
	return &findingsError{what: what, count: n, failOn: f.severity}
}

// atOrAbove counts the severities at or above severity (SEV0 the highest).
func atOrAbove(severity string, severities []string) int {
	rank, n := rules.SeverityRank(severity), 0
	for _, s := range severities {
		if rules.SeverityRank(s) <= rank {
			n++
		}
	}
	return n
}

// env is the job environment of a report-publishing command: a.env, and
// the witness copy --keep-head asks for.
func (p *publishFlags) env(a *app, command string) pjob.Env {
	env := a.env(command, p.lockTimeout)
	env.KeepHead = p.keepHead
	return env
}

// publishFlags are the flags every report-publishing command shares.
type publishFlags struct {
	unsigned    bool
	supersede   bool
	lockTimeout time.Duration
	metricsFile string
	keepHead    string
	failOn      failOnFlag
}

func (p *publishFlags) register(fs *pflag.FlagSet, findings string) {
	fs.BoolVar(&p.unsigned, "unsigned", false, "publish without signatures (no key needed)")
	fs.BoolVar(&p.supersede, "supersede", false, "publish a new revision when the result differs from the published one")
	fs.DurationVar(&p.lockTimeout, "lock-timeout", 0, "wait this long for another job's lock before exiting 75")
	fs.StringVar(&p.metricsFile, "metrics-file", "", "merge this run's Prometheus textfile metrics into this file")
	fs.StringVar(&p.keepHead, "keep-head", "", "write the job's closing signed checkpoint to this new file, outside the root (the witness copy)")
	p.failOn.register(fs, findings)
}

// checkMetricsFile refuses, before any job runs, a --metrics-file that
// would overwrite something other than ledgerlens's own metrics: a path in
// the working root or in a directory its jobs read or publish in (the
// ledger, the audit log, a key, a report), or a file that is not textfile
// metrics ledgerlens can merge into. A wrong path there would otherwise
// be found only once the job had run, the file already replaced.
func checkMetricsFile(a *app, path string) error {
	if path == "" {
		return nil
	}
	// Checked as the kernel will resolve it: "link/.." is the link's
	// parent to the kernel, the link's own directory once cleaned.
	if slices.Contains(strings.Split(filepath.ToSlash(path), "/"), "..") {
		return usagef("--metrics-file %s: a path with .. is refused (through a link it names another directory than it seems); give the file's own path", path)
	}
	// Where the reports go comes from the configuration: one that does
	// not load leaves that unknown (and blocks the job anyway).
	if _, _, err := inputs.LoadConfig(a.layout().Config); err != nil {
		return fmt.Errorf("--metrics-file %s: cannot be checked against the output directory: %w", path, err)
	}
	dir, err := inputs.RealPath(filepath.Dir(path))
	if err != nil {
		return usagef("--metrics-file %s: %v", path, err)
	}
	if err := outsideProtected(a.layout(), "--metrics-file", path, dir,
		"write the metrics into node_exporter's textfile directory"); err != nil {
		return err
	}
	if fi, err := os.Stat(path); err == nil && !fi.Mode().IsRegular() {
		return usagef("--metrics-file %s is not a regular file", path)
	}
	if _, err := schedules.ReadMetrics(path); err != nil {
		return usagef("--metrics-file %s: %v", path, err)
	}
	return nil
}

// metricsRoot is the root label of the series a root's jobs write to a
// metrics file: the root's real path, so the scheduler and a cron line
// that name one root by two paths (a link) write the same series.
func metricsRoot(l inputs.Layout) string {
	if p, err := inputs.RealPath(l.Root); err == nil {
		return p
	}
	return l.Root
}

// recordMetrics merges one run of job into --metrics-file, if given; a
// metrics failure is logged, never the job's outcome. notifyErr is a
// notification that --require-notify turned into the command's failure:
// the run is recorded as failed, as its exit status says, with the
// figures of what it published, as is a run that published with an
// integrity problem (published).
func (p *publishFlags) recordMetrics(a *app, job string, started time.Time, err, notifyErr error, published bool, stats func() schedules.JobStats) error {
	if p.metricsFile == "" {
		return nil
	}
	rr := schedules.RunResult{Started: started, Finished: time.Now(), Err: errors.Join(err, notifyErr)}
	if err == nil || published {
		rr.Stats = stats()
	}
	if problems, ok := integrityProblems(err); ok {
		// Published or refused with an integrity problem: the metric
		// must say so, not keep the last clean run's 0.
		n := int64(len(problems))
		rr.Stats.IntegrityProblems = &n
	}
	return recordRun(a, p.metricsFile, job, rr)
}

// recordRun merges rr, a run of job, into the metrics file at path. A
// file it cannot write is the command's error: the monitoring would say
// the last run was the one before, and it was logged at error level while
// the job ended 0 (an outside review).
func recordRun(a *app, path, job string, rr schedules.RunResult) error {
	if merr := schedules.RecordRun(path, metricsRoot(a.layout()), job, rr); merr != nil {
		return fmt.Errorf("the run's outcome is its exit status and its other messages, but --metrics-file could not be written, so monitoring still shows the run before: %w", merr)
	}
	return nil
}

// integrityCheckStats are the figures of an integrity check that found n
// problems, as the integrity-check series record them.
func integrityCheckStats(n int) schedules.JobStats {
	count := int64(n)
	return schedules.JobStats{Findings: map[string]int64{"integrity_problem": count}, IntegrityProblems: &count}
}

// publishReport runs one report job the way every publishing command does:
// it prints the result and notifies (print, which returns a notification
// failure --require-notify makes the command's), records the run in
// --metrics-file, and applies --fail-on to the severities the report
// found (what names them in the log).
func publishReport[R comparable](a *app, p *publishFlags, job string, run func() (R, error),
	stats func(R) schedules.JobStats, print func(R) error, severities func(R) []string, what string) error {
	if err := checkMetricsFile(a, p.metricsFile); err != nil {
		return err
	}
	if p.keepHead != "" {
		if err := checkNewFileOutside(a.layout(), "--keep-head", p.keepHead, "keep the witness copy off the root"); err != nil {
			return err
		}
	}
	started := time.Now()
	res, err := run()
	var none R
	var notifyErr error
	// Published, perhaps with an integrity problem: the result is shown.
	// A job refused before it produced anything (a log that fails its
	// checkpoint, a key pair out of step) has no result to show.
	published := err == nil || (errors.Is(err, pjob.ErrIntegrity) && res != none)
	if published {
		notifyErr = print(res)
	}
	metricsErr := p.recordMetrics(a, job, started, err, notifyErr, published, func() schedules.JobStats { return stats(res) })
	if err != nil {
		// An integrity problem decides the exit status (it outranks
		// --fail-on).
		return errors.Join(err, notifyErr, metricsErr)
	}
	// A metrics file not written is exit 1 (3 with findings at --fail-on).
	return errors.Join(notifyErr, metricsErr, p.failOn.check(a, what, severities(res)))
}

// from1970 refuses a period that starts before 1970, as --as-of refuses
// an instant before it: no ledger run is that old, and a final,
// write-once report of an empty period would be published for a typo.
func from1970(flag, value string, start time.Time) error {
	if start.Year() < 1970 {
		return usagef("%s %s: before 1970 (no run in a ledger is that old)", flag, value)
	}
	return nil
}

// integrityProblems are the problems err reports when it is an integrity
// problem (job.ErrIntegrity), at least one.
func integrityProblems(err error) ([]string, bool) {
	if !errors.Is(err, pjob.ErrIntegrity) {
		return nil, false
	}
	var ie *pjob.IntegrityError
	if errors.As(err, &ie) && len(ie.Problems) > 0 {
		return ie.Problems, true
	}
	return []string{err.Error()}, true
}
