package schedules

import (
	"context"
	"fmt"
	"time"

	"github.com/ledgerlens/ledgerlens/pipeline/inputs"
)

// Names of the jobs ledgerlens ships (docs/ARCHITECTURE.md, "Scheduling"). The CLI maps each to the
// command that does the work; see JobCommand.
const (
	JobWeeklyReview   = inputs.ScheduleWeeklyReview
	JobIntegrityCheck = inputs.ScheduleIntegrityCheck
	JobSLAReport      = inputs.ScheduleSLAReport
)

// JobFunc runs one job for the fire time it was scheduled at; it must be idempotent
// (re-running the same fire time is a no-op) and honour ctx cancellation.
//
// A JobFunc that returns an error while ctx is cancelled is taken to have been
// abandoned by the shutdown, not to have failed: the fire is neither recorded
// as completed nor counted as a failure, and it runs again at the next start.
type JobFunc func(ctx context.Context, fire time.Time) (JobStats, error)

// JobStats are the figures a successful run reports for the metrics file:
// ledger rows it saw, rejected lines, findings per type and per type and
// severity, the newest run in the ledger and the period it published. A
// run that checked integrity reports its problems, failed or not; one
// that published and then failed (a receiver not told) reports what it
// published, PublishedPeriod set.
type JobStats struct {
	Rows, Rejects      int64
	Findings           map[string]int64
	FindingsBySeverity map[Finding]int64
	// IntegrityProblems is nil when the run did not check integrity.
	IntegrityProblems *int64
	// NewestRun is the timestamp of the ledger's newest run; zero if
	// unknown.
	NewestRun time.Time
	// PublishedPeriod is the start of the period the run published (or
	// found already published); zero if none.
	PublishedPeriod time.Time
}

// Finding is a finding's type and severity, the labels of
// ledgerlens_findings_by_severity.
type Finding struct {
	Type, Severity string
}

// JobSpec is a job's schedule as configured: a standard five-field cron
// expression (or one of @yearly, @annually, @monthly, @weekly, @daily,
// @midnight, @hourly), evaluated in TimeZone (an IANA zone name; empty means
// UTC). A disabled job is kept in the configuration but never run.
type JobSpec struct {
	Name, Spec string
	TimeZone   string
	Enabled    bool
}

// Job is a JobSpec together with the function that does its work.
type Job struct {
	JobSpec
	Run JobFunc
	// LatestOnly marks a job whose run does the same work whatever its
	// fire time (the integrity check looks at the root as it is now):
	// of its due and failed fire times only the newest runs, and its
	// success settles the older ones. Left false, every fire time runs
	// once (a weekly review publishes the week before its own fire).
	LatestOnly bool
}

// SpecsOf turns the schedules of config/ledgerlens.json (inputs.Config,
// whose DefaultConfig holds the defaults: the weekly review on Mondays at
// 10:00, the integrity check daily at 06:00 and the SLA report on the 1st
// of the month at 07:00, UTC) into the specs the daemon, `schedule list`
// and the exports evaluate. It does not validate them (ValidateSpecs).
func SpecsOf(configured []inputs.Schedule) []JobSpec {
	specs := make([]JobSpec, 0, len(configured))
	for _, s := range configured {
		specs = append(specs, JobSpec{Name: s.Name, Spec: s.Spec, TimeZone: s.TimeZone, Enabled: s.Enabled})
	}
	return specs
}

// Validate reports whether the spec can be scheduled. The error names the
// job and the offending field (name, time zone, or which cron field).
func (s JobSpec) Validate() error {
	_, err := parseSpec(s)
	return err
}

// ValidateSpecs validates every spec and refuses duplicate names, which
// would share one state entry and one set of metric series.
func ValidateSpecs(specs []JobSpec) error {
	seen := make(map[string]bool, len(specs))
	for _, s := range specs {
		if err := s.Validate(); err != nil {
			return err
		}
		if seen[s.Name] {
			return fmt.Errorf("job %q: defined more than once", s.Name)
		}
		seen[s.Name] = true
	}
	return nil
}
