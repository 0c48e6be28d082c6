package main

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/ledgerlens/ledgerlens/pipeline"
	"github.com/ledgerlens/ledgerlens/pipeline/review"
	"github.com/ledgerlens/ledgerlens/schedules"
)

func newReportCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "report",
		Short: "Produce the weekly credit review or the monthly SLA report",
	}
	cmd.AddCommand(newReportWeeklyCmd(a), newReportSLACmd(a))
	return cmd
}

// ReportWeeklyOptions are the options of `ledgerlens report weekly`.
type ReportWeeklyOptions struct {
	Week string // a Monday or an ISO week; "" is the last complete week
	AsOf string // RFC 3339; "" is now
	// RequireNotify makes a webhook that could not be told exit 1 (the
	// publication stands either way).
	RequireNotify bool
	// Preliminary publishes a period that has not ended, marked as such.
	Preliminary bool
	publishFlags
}

func newReportWeeklyCmd(a *app) *cobra.Command {
	var opts ReportWeeklyOptions
	cmd := &cobra.Command{
		Use:   "weekly",
		Short: "Ingest the ledger and publish the weekly credit review (JSON, XLSX, sidecars, signatures)",
		Long: `weekly ingests new ledger lines, computes the weekly credit review for one
period and publishes runs/CREDIT_REVIEWS/weekly_<Monday>.json and .xlsx with
SHA-256 sidecars and Ed25519 signatures. Publication is write-once: a re-run
with the same result is a no-op; a different result needs --supersede and
becomes revision r2, r3, ….`,
		Example: `  ledgerlens report weekly                       # last complete week
  ledgerlens report weekly --week 2026-11-16 --fail-on SEV1
  ledgerlens report weekly --week 2026-W47 --as-of 2026-11-23T10:00:00Z --unsigned
  ledgerlens report weekly --week 2026-11-16 --as-of 2026-11-19T12:00:00Z --preliminary   # mid-week, marked preliminary`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runReportWeekly(cmd.Context(), a, opts)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&opts.RequireNotify, "require-notify", false, "exit 1 when a configured webhook could not be notified (the publication stands)")
	f.StringVar(&opts.Week, "week", "", "period: a Monday (2026-11-16) or ISO week (2026-W47); default the last complete week")
	f.StringVar(&opts.AsOf, "as-of", "", "fix \"now\" (RFC 3339) for choosing the default week")
	f.BoolVar(&opts.Preliminary, "preliminary", false, "publish a period that has not ended as weekly_<Monday>.preliminary.json, marked preliminary (without it such a period exits 2)")
	opts.publishFlags.register(f, "a policy violation or an action-required item (a freeze, a week without runs, late arrivals, an overdue approval)")
	return cmd
}

// runReportWeekly checks the options, runs the weekly job, prints what it
// published and applies --fail-on to its policy violations.
func runReportWeekly(ctx context.Context, a *app, opts ReportWeeklyOptions) error {
	asOf, err := parseAsOf(opts.AsOf, a.started)
	if err != nil {
		return err
	}
	if opts.Week != "" {
		// The form of a week does not depend on the zone; the job parses
		// it again in the configured one.
		p, err := review.ParseWeek(opts.Week, time.UTC)
		if err != nil {
			return usagef("--week: %v", err)
		}
		if err := from1970("--week", opts.Week, p.Start); err != nil {
			return err
		}
	}
	if err := opts.failOn.validate(); err != nil {
		return err
	}
	pf := &opts.publishFlags
	wopts := pipeline.WeeklyOptions{Week: opts.Week, AsOf: asOf, Unsigned: pf.unsigned, Supersede: pf.supersede, Preliminary: opts.Preliminary}
	return publishReport(a, pf, schedules.JobWeeklyReview,
		func() (*pipeline.WeeklyResult, error) {
			r, err := pipeline.RunWeekly(ctx, pf.env(a, "report weekly"), wopts)
			if r != nil {
				a.outcome = weeklyOutcome(r)
			}
			return r, err
		},
		weeklyStats, func(r *pipeline.WeeklyResult) error {
			printWeekly(a, r)
			return a.notifyWeekly(ctx, r, pf.lockTimeout, requireNotify(opts.RequireNotify))
		},
		weeklySeverities, weeklyFindings)
}

// weeklyFindings names what --fail-on weighs in a weekly review.
const weeklyFindings = "findings (policy violations and action-required items)"

// weeklySeverities are the severities --fail-on weighs in a weekly
// review: its policy violations' and its weighed action-required items'.
func weeklySeverities(r *pipeline.WeeklyResult) (sevs []string) {
	if r.Report != nil {
		for _, v := range r.Report.PolicyViolations {
			sevs = append(sevs, v.Severity)
		}
		for _, it := range r.Report.ActionRequired {
			if it.Weighed() {
				sevs = append(sevs, it.Severity)
			}
		}
	}
	return sevs
}

// noopState says that a re-run found its result already published, and
// by which release when not this one (the version is not compared).
func noopState(publishedBy string) string {
	if publishedBy != "" && publishedBy != version() {
		return fmt.Sprintf("already published by ledgerlens %s, identical but for the generator version (no-op)", publishedBy)
	}
	return "already published, identical (no-op)"
}

// printWeekly writes the headline figures and output paths to stdout.
func printWeekly(a *app, res *pipeline.WeeklyResult) {
	w := a.stdout
	state := "published"
	if res.Noop {
		var publishedBy string
		if res.Report != nil {
			publishedBy = res.Report.Generator.Version
		}
		state = noopState(publishedBy)
	} else if res.Report != nil && res.Report.Preliminary {
		state = "published as PRELIMINARY (the period has not ended)"
	}
	fmt.Fprintf(w, "weekly review %s: %s (revision %d)\n", res.Period.Label(), state, res.Revision)
	if r := res.Report; r != nil && r.Schema != "" {
		printActionRequired(w, r.ActionRequired)
		s := r.SummaryStats
		fmt.Fprintf(w, "  runs %d, credits %.2f, avg %.2f, failed %d\n", s.TotalRuns, s.TotalCredits, s.AvgCreditsPerRun, s.FailedRuns)
		fmt.Fprintf(w, "  spike runs %d, policy violations %d, baseline candidates %d\n",
			len(r.SpikeRuns), len(r.PolicyViolations), len(r.BaselineCandidates))
		fmt.Fprintf(w, "  data quality: %d lines, %d rejected, %d duplicates, append-only %s\n",
			r.DataQuality.LinesRead, r.DataQuality.Rejected, r.DataQuality.Duplicates, r.DataQuality.AppendOnly.Status)
	}
	fmt.Fprintf(w, "  json: %s\n  xlsx: %s\n", res.JSONPath, res.XLSXPath)
	if res.RejectsPath != "" {
		fmt.Fprintf(w, "  rejects: %s\n", res.RejectsPath)
	}
}
