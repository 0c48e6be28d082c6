package main

import (
	"context"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/ledgerlens/ledgerlens/pipeline"
)

func newBaselineCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "baseline",
		Short: "Calculate, propose, approve (maker-checker) and list scenario baselines",
		Long: `baseline automates the runbook's Baseline Update Procedure with a two-person
rule: one person proposes (a signed proposal in runs/BASELINE_UPDATES/), a
different person approves; only then is config/credit-baselines.json rewritten
and an update_<date>.md note written. Every step is in the audit log.`,
	}
	cmd.AddCommand(newBaselineCalculateCmd(a), newBaselineProposeCmd(a), newBaselineApproveCmd(a), newBaselineListCmd(a))
	return cmd
}

func newBaselineCalculateCmd(a *app) *cobra.Command {
	var opts BaselineCalculateOptions
	cmd := &cobra.Command{
		Use:   "calculate",
		Short: "Print the median credits of a scenario's healthy runs (the runbook's baseline calculator)",
		Long: `calculate ingests new ledger lines, then prints the nearest-rank median
credits of the scenario's healthy runs (status in the policy's
healthy_run_statuses, retry_count ≤ 1) over the --days days before --as-of.`,
		Example: `  ledgerlens baseline calculate --scenario BINDER_EXPORT_WEEKLY
  ledgerlens baseline calculate --scenario BINDER_EXPORT_WEEKLY --days 14 --as-of 2026-11-23T00:00:00Z`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runBaselineCalculate(cmd.Context(), a, opts)

		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.ScenarioID, "scenario", "", "scenario id")
	f.IntVar(&opts.Days, "days", 0, "window length in days (default the policy's baseline_window_days, 30)")
	f.StringVar(&opts.AsOfText, "as-of", "", "end of the window (RFC 3339); default now")
	f.DurationVar(&opts.LockTimeout, "lock-timeout", 0, "wait this long for another job's lock before exiting 75")
	return cmd
}

func newBaselineProposeCmd(a *app) *cobra.Command {
	var opts BaselineProposeOptions
	cmd := &cobra.Command{
		Use:   "propose",
		Short: "Write signed baseline proposals and print their ids, one per line",
		Long: `propose calculates a new baseline for one scenario (--scenario) or for every
baseline candidate of the newest published weekly report (--candidates) and
writes one signed proposal per scenario to runs/BASELINE_UPDATES/. stdout
carries only the proposal ids, one per line, so they can be piped to
'baseline approve' by a second person. The job ends awaiting_approval.`,
		Example: `  ledgerlens baseline propose --scenario BINDER_EXPORT_WEEKLY --by alice --rationale "prompt optimisation deployed 2026-11-15"
  ledgerlens baseline propose --candidates --by alice`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runBaselinePropose(cmd.Context(), a, opts)

		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.ScenarioID, "scenario", "", "scenario id to propose a baseline for")
	f.BoolVar(&opts.Candidates, "candidates", false, "propose every baseline candidate of the newest published weekly report")
	f.StringVar(&opts.By, "by", "", "name of the proposer (the maker)")
	f.StringVar(&opts.Rationale, "rationale", "", "why the baseline should change (one bullet per line in the update note)")
	f.IntVar(&opts.Days, "days", 0, "--scenario: window length in days (default the policy's baseline_window_days)")
	f.StringVar(&opts.AsOfText, "as-of", "", "--scenario: end of the window (RFC 3339); default now")
	f.DurationVar(&opts.LockTimeout, "lock-timeout", 0, "wait this long for another job's lock before exiting 75")
	return cmd
}

func newBaselineApproveCmd(a *app) *cobra.Command {
	var opts BaselineApproveOptions
	cmd := &cobra.Command{
		Use:   "approve PROPOSAL",
		Short: "Approve a proposal (a second person) and apply it to config/credit-baselines.json",
		Long: `approve is the checker's step. It refuses when the approver is the proposer,
when the scenario had a SEV0/SEV1 run (recorded or recomputed) in the 14 days
before now, when the baseline changed since the proposal, and when the change
exceeds 50 % unless --force-large-change is given. Otherwise it writes the
signed approval record and the update_<date>.md note and rewrites the
baselines file atomically. An approval later than 1 business day after the
proposal is an sla_breach finding in the weekly and SLA reports.`,
		Example: `  ledgerlens baseline approve BP-20261123-3fa2c1d9e0b4 --by bob
  ledgerlens baseline propose --candidates --by alice | xargs -n1 ledgerlens baseline approve --by bob`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.ProposalID = args[0]
			return runBaselineApprove(cmd.Context(), a, opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.By, "by", "", "name of the approver (the checker); must differ from the proposer")
	f.BoolVar(&opts.ForceLargeChange, "force-large-change", false, "accept a change of more than 50 %")
	f.DurationVar(&opts.LockTimeout, "lock-timeout", 0, "wait this long for another job's lock before exiting 75")
	return cmd
}

func newBaselineListCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:     "list",
		Short:   "Show the baselines in force and the proposals awaiting approval",
		Example: `  ledgerlens --root /srv/ledger baseline list`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runBaselineList(a)
		},
	}
}

// runBaselineList prints the baselines in force and the proposals awaiting
// approval.
func runBaselineList(a *app) error {
	res, err := pipeline.ListBaselines(a.env("baseline list", 0))
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "SCENARIO\tMEDIAN CREDITS\tSAMPLE\tCALCULATED AT\tLAST UPDATED\n")
	for _, b := range res.Baselines {
		fmt.Fprintf(tw, "%s\t%.2f\t%d\t%s\t%s\n", b.ScenarioID, b.MedianCredits, b.SampleSize, dash(b.CalculatedAt), dash(b.LastUpdated))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "\n%d proposals awaiting approval\n", len(res.Pending))
	if len(res.Pending) == 0 {
		return nil
	}
	tw = tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "PROPOSAL\tSCENARIO\tOLD\tNEW\tCHANGE\tBY\tPROPOSED AT\tDUE\n")
	for _, p := range res.Pending {
		change := "—"
		if p.ChangePct != nil {
			change = fmt.Sprintf("%+.1f%%", *p.ChangePct)
		}
		due := p.DueAt.UTC().Format(time.RFC3339)
		if p.Overdue {
			due += " (OVERDUE)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%.2f\t%s\t%s\t%s\t%s\n", p.ProposalID, p.ScenarioID, fmtOptional(p.OldBaseline),
			p.NewBaseline, change, p.ProposedBy, p.ProposedAt, due)
	}
	return tw.Flush()
}

func fmtOptional(v *float64) string {
	if v == nil {
		return "none"
	}
	return fmt.Sprintf("%.2f", *v)
}

func dash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

// BaselineCalculateOptions are the options of `ledgerlens baseline calculate`.
type BaselineCalculateOptions struct {
	pipeline.CalculateOptions
	AsOfText    string // --as-of, RFC 3339; "" is now
	LockTimeout time.Duration
}

// runBaselineCalculate runs the baseline calculate job and prints its result.
func runBaselineCalculate(ctx context.Context, a *app, opts BaselineCalculateOptions) error {
	if opts.ScenarioID == "" {
		return usagef("--scenario is required")
	}
	t, err := parseAsOf(opts.AsOfText)
	if err != nil {
		return err
	}
	opts.CalculateOptions.AsOf = t
	calc, err := pipeline.CalculateBaseline(ctx, a.env("baseline calculate", opts.LockTimeout), opts.CalculateOptions)
	if err != nil {
		return err
	}
	fmt.Fprintln(a.stdout, calc.String())
	return nil
}

// BaselineProposeOptions are the options of `ledgerlens baseline propose`.
type BaselineProposeOptions struct {
	pipeline.ProposeOptions
	AsOfText    string // --as-of, RFC 3339; "" is now
	LockTimeout time.Duration
}

// runBaselinePropose runs the baseline propose job and prints its result.
func runBaselinePropose(ctx context.Context, a *app, opts BaselineProposeOptions) error {
	if (opts.ScenarioID == "") == !opts.Candidates {
		return usagef("give exactly one of --scenario ID or --candidates")
	}
	if opts.By == "" {
		return usagef("--by NAME is required (the proposer)")
	}
	t, err := parseAsOf(opts.AsOfText)
	if err != nil {
		return err
	}
	opts.ProposeOptions.AsOf = t
	res, err := pipeline.ProposeBaselines(ctx, a.env("baseline propose", opts.LockTimeout), opts.ProposeOptions)
	if err != nil {
		return err
	}
	for _, p := range res.Proposals {
		fmt.Fprintln(a.stdout, p.ProposalID)
	}
	for _, s := range res.Skipped {
		a.log.Warn("candidate not proposed", "reason", s)
	}
	return nil
}

// BaselineApproveOptions are the options of `ledgerlens baseline approve`.
type BaselineApproveOptions struct {
	pipeline.ApproveOptions
	LockTimeout time.Duration
}

// runBaselineApprove runs the approval job and prints what it applied.
func runBaselineApprove(ctx context.Context, a *app, opts BaselineApproveOptions) error {
	if opts.By == "" {
		return usagef("--by NAME is required (the approver)")
	}
	res, err := pipeline.ApproveBaseline(ctx, a.env("baseline approve", opts.LockTimeout), opts.ApproveOptions)
	if err != nil {
		return err
	}
	ap := res.Approval
	change := "new baseline"
	if ap.ChangePct != nil {
		change = fmt.Sprintf("%+.1f%%", *ap.ChangePct)
	}
	fmt.Fprintf(a.stdout, "approved %s as %s: %s %s → %.2f (%s)\n", ap.ProposalID, ap.ApprovalID, ap.ScenarioID,
		fmtOptional(ap.OldBaseline), ap.NewBaseline, change)
	fmt.Fprintf(a.stdout, "  approval: %s\n  note: %s\n  baselines: %s\n", res.ApprovalPath, res.NotePath, a.layout().Baselines)
	if ap.Clock.Late {
		a.log.Warn("approved later than 1 business day after the proposal: an sla_breach finding", "due_at", ap.Clock.DueAt)
	}
	return nil
}
