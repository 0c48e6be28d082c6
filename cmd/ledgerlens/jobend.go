package main

import (
	"errors"
	"time"

	"github.com/ledgerlens/ledgerlens/pipeline"
	"github.com/ledgerlens/ledgerlens/pipeline/hugepages"
	"github.com/ledgerlens/ledgerlens/pipeline/job"
)

// jobOutcome is what a command tells the end-of-job log line about the job
// it ran. Commands that leave it empty are named by their command path.
type jobOutcome struct {
	job       string
	period    string
	published []string
	findings  map[string]int // policy violations by type
}

// weeklyOutcome describes a weekly run for the end-of-job line.
func weeklyOutcome(r *pipeline.WeeklyResult) jobOutcome {
	o := jobOutcome{job: job.NameWeeklyReview, period: r.Period.Label(), findings: map[string]int{}}
	if !r.Noop {
		for _, p := range []string{r.JSONPath, r.XLSXPath, r.RejectsPath} {
			if p != "" {
				o.published = append(o.published, p)
			}
		}
	}
	if r.Report != nil {
		for _, v := range r.Report.PolicyViolations {
			o.findings[v.Type]++
		}
	}
	return o
}

// stateOf names an exit status for the end-of-job line.
func stateOf(code int) string {
	switch {
	case code == exitOK:
		return job.StateCompleted
	case code == exitFindings:
		return "completed_with_findings"
	case code == exitIntegrity:
		return "integrity_problem"
	case code == exitLocked:
		return "locked"
	case code == exitUsage:
		return "refused"
	case code > 128:
		return job.StateInterrupted
	}
	return job.StateFailed
}

// logJobEnd writes, at info level, one line per integrity problem and one
// line at the end of every command that ran: job, period, state, exit
// status, published paths, findings by type and duration. With
// --log-format json these are what a log shipper reads.
func (a *app) logJobEnd(command string, code int, err error) {
	if command == "" {
		return // the command line did not get as far as a command
	}
	o := a.outcome
	if o.job == "" {
		o.job = command
	}
	var ie *job.IntegrityError
	if errors.As(err, &ie) {
		for _, p := range ie.Problems {
			a.log.Info("integrity problem", "job", o.job, "problem", p)
		}
	}
	published := o.published
	if published == nil {
		published = []string{}
	}
	findings := o.findings
	if findings == nil {
		findings = map[string]int{}
	}
	a.log.Info("job end", "job", o.job, "period", o.period, "state", stateOf(code), "exit_status", code,
		"published", published, "findings", findings, "duration", time.Since(a.started).Round(time.Millisecond).String())
	a.log.Debug("memory", "huge_pages_advised_mib", hugepages.Advised()>>20, "huge_pages_refused", hugepages.Refused())
}
