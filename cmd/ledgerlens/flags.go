package main

import (
	"time"

	"github.com/spf13/pflag"

	"github.com/ledgerlens/ledgerlens/pipeline/review"
)

// parseAsOf reads --as-of: "" means now.
func parseAsOf(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, usagef("--as-of %q: want RFC 3339, e.g. 2026-11-23T10:00:00Z", s)
	}
	return t, nil
}

// failOnFlag is --fail-on: findings at or above a severity make the
// command exit 3, so cron mail or CI can react.
type failOnFlag struct{ severity string }

func (f *failOnFlag) register(fs *pflag.FlagSet, what string) {
	fs.StringVar(&f.severity, "fail-on", "", "exit 3 when "+what+" is at or above this severity (SEV0 … SEV4)")
}

func (f *failOnFlag) validate() error {
	if f.severity != "" && review.SeverityRank(f.severity) > 4 {
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
	rank, n := review.SeverityRank(f.severity), 0
	for _, s := range severities {
		if review.SeverityRank(s) <= rank {
			n++
		}
	}
	if n == 0 {
		return nil
	}
	a.log.Warn(what+" at or above the --fail-on severity", "fail_on", f.severity, "count", n)
	return &exitError{code: exitFindings}
}
