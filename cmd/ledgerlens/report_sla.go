package main

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/ledgerlens/ledgerlens/pipeline"
	"github.com/ledgerlens/ledgerlens/schedules"
)

// ReportSLAOptions are the options of `ledgerlens report sla`.
type ReportSLAOptions struct {
	Month string // YYYY-MM; "" is the previous month
	AsOf  string // RFC 3339; "" is now
	// RequireNotify makes a webhook that could not be told exit 1 (the
	// publication stands either way).
	RequireNotify bool
	publishFlags
}

func newReportSLACmd(a *app) *cobra.Command {
	var opts ReportSLAOptions
	cmd := &cobra.Command{
		Use:   "sla",
		Short: "Publish the monthly SLA report: SLOs, incidents and the three SLA clocks (JSON, XLSX, sidecars, signatures)",
		Long: `sla publishes runs/CREDIT_REVIEWS/sla_<YYYY-MM>.json and .xlsx for one month:
per service uptime against its SLO, downtime, error budget, freeze, incidents
with MTTD/MTTA/MTTR, RTO breaches and RPO; and the SRE runbook's three SLA
clocks with every breach — operator review (weekly review published within 4
business hours of its schedule), maker-checker approval (1 business day) and
observation of SEV0/SEV1 exceptions (a case acknowledged within 24 hours).
Publication is write-once like the weekly report's.`,
		Example: `  ledgerlens report sla                    # the previous month
  ledgerlens report sla --month 2026-11 --fail-on SEV2`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runReportSLA(cmd.Context(), a, opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.Month, "month", "", "month as YYYY-MM; default the previous month")
	f.StringVar(&opts.AsOf, "as-of", "", "fix \"now\" (RFC 3339): the default month, and whether an item not yet done is overdue")
	f.BoolVar(&opts.RequireNotify, "require-notify", false, "exit 1 when a configured webhook could not be notified (the publication stands)")
	opts.publishFlags.register(f, "an SLA breach")
	return cmd
}

// runReportSLA checks the options, runs the SLA job, prints what it
// published and applies --fail-on to its breaches.
func runReportSLA(ctx context.Context, a *app, opts ReportSLAOptions) error {
	asOf, err := parseAsOf(opts.AsOf, a.started)
	if err != nil {
		return err
	}
	if opts.Month != "" {
		m, err := time.Parse("2006-01", opts.Month)
		if err != nil {
			return usagef("--month %q: want YYYY-MM, e.g. 2026-11", opts.Month)
		}
		if err := from1970("--month", opts.Month, m); err != nil {
			return err
		}
	}
	if err := opts.failOn.validate(); err != nil {
		return err
	}
	pf := &opts.publishFlags
	sopts := pipeline.SLAOptions{Month: opts.Month, AsOf: asOf, Unsigned: pf.unsigned, Supersede: pf.supersede}
	return publishReport(a, pf, schedules.JobSLAReport,
		func() (*pipeline.SLAResult, error) {
			return pipeline.RunSLA(ctx, pf.env(a, "report sla"), sopts)
		},
		slaStats, func(r *pipeline.SLAResult) error {
			printSLA(a, r)
			return a.notifySLA(ctx, r, pf.lockTimeout, requireNotify(opts.RequireNotify))
		},
		slaSeverities, slaFindings)
}

// slaFindings names what --fail-on weighs in an SLA report.
const slaFindings = "SLA breaches"

// slaSeverities are the severities --fail-on weighs in an SLA report: its
// breaches'.
func slaSeverities(r *pipeline.SLAResult) (sevs []string) {
	if r.Report != nil {
		for _, b := range r.Report.Breaches {
			sevs = append(sevs, b.Severity)
		}
	}
	return sevs
}

// printSLA writes the headline figures and output paths to stdout.
func printSLA(a *app, res *pipeline.SLAResult) {
	w := a.stdout
	state := "published"
	if res.Noop {
		var publishedBy string
		if res.Report != nil {
			publishedBy = res.Report.Generator.Version
		}
		state = noopState(publishedBy)
	}
	fmt.Fprintf(w, "sla report %s: %s (revision %d)\n", res.Month, state, res.Revision)
	if r := res.Report; r != nil && r.Schema != "" {
		s := r.Summary
		fmt.Fprintf(w, "  services %d (%d meeting their SLO, %d in freeze), incidents %d, RTO breaches %d\n",
			s.Services, s.ServicesMeetingSLO, s.ServicesInFreeze, s.Incidents, s.RTOBreaches)
		for _, c := range r.Clocks {
			fmt.Fprintf(w, "  %s: %d items, %d met, %d breached, %d pending\n", c.Clock, c.Items, c.Met, c.Breached, c.Pending)
		}
		fmt.Fprintf(w, "  breaches %d\n", s.Breaches)
	}
	fmt.Fprintf(w, "  json: %s\n  xlsx: %s\n", res.JSONPath, res.XLSXPath)
}

// slaStats are the scheduler metrics of an SLA job: findings are the
// report's breaches per clock. (For the scheduler's runSLA:
// pipeline.RunSLA(ctx, env, pipeline.SLAOptions{Month: month}), then
// slaStats of the result.)
func slaStats(res *pipeline.SLAResult) schedules.JobStats {
	st := schedules.JobStats{Findings: map[string]int64{}}
	if r := res.Report; r != nil {
		for _, b := range r.Breaches {
			st.Findings["sla_"+b.Clock]++
		}
	}
	if m, err := time.Parse("2006-01", res.Month); err == nil {
		st.PublishedPeriod = m
	}
	return st
}
