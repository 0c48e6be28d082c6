package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/ledgerlens/ledgerlens/pipeline"
	"github.com/ledgerlens/ledgerlens/pipeline/baselines"
	"github.com/ledgerlens/ledgerlens/pipeline/job"
	"github.com/ledgerlens/ledgerlens/pipeline/reconcile"
	"github.com/ledgerlens/ledgerlens/reports"
)

// signingFlags adds the flags that say how a person signs a proposal or
// an approval (docs/COMPLIANCE.md).
func signingFlags(f *pflag.FlagSet, s *baselines.Signing) {
	f.StringVar(&s.KeyFile, "sign-with", "", "sign with this OpenSSH private key (listed in config/approvers); default: the key in ssh-agent (SSH_AUTH_SOCK)")
	f.StringVar(&s.SignatureFile, "signature", "", "the signature `FILE` that 'ssh-keygen -Y sign -n "+baselines.Namespace+"' made over the record --print-record printed")
	f.StringVar(&s.RecordFile, "record", "", "with --signature: the signed record (default: the signature's name without .sig)")
	f.BoolVar(&s.PrintRecord, "print-record", false, "print the record to sign (needs --by) and change nothing")
}

// personSigning checks how a person signs (--print-record needs --by, the
// name the record is made out to) and fills in the ssh-agent socket from
// SSH_AUTH_SOCK.
func personSigning(s baselines.Signing, by string) (baselines.Signing, error) {
	if s.PrintRecord && by == "" {
		return s, usagef("--print-record needs --by NAME (your name in config/approvers)")
	}
	s.AgentSocket = os.Getenv("SSH_AUTH_SOCK")
	return s, nil
}

func newBaselineCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "baseline",
		Short: "Calculate, propose, approve (maker-checker) and list scenario baselines",
		Long: `baseline automates the runbook's Baseline Update Procedure with a two-person
rule: one person proposes (a signed proposal in runs/BASELINE_UPDATES/), a
different person approves; only then is config/credit-baselines.json rewritten
and an update_<date>.md note written. Every step is in the audit log.

People are identified by their SSH keys: config/approvers is an OpenSSH
allowed_signers file, and each proposal and approval carries its author's
SSH signature (namespace ledgerlens-baseline) next to it, which stock
ssh-keygen -Y verify checks offline. Sign with --sign-with KEY, through
ssh-agent, or with --print-record, ssh-keygen -Y sign and --signature.`,
	}
	cmd.AddCommand(newBaselineCalculateCmd(a), newBaselineProposeCmd(a), newBaselineApproveCmd(a), newBaselineListCmd(a),
		newBaselineVerifyCmd(a))
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
		Example: `  ledgerlens baseline calculate --scenario BINDER_EXPORT_WEEKLY --days 30
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
		Example: `  ledgerlens baseline propose --scenario BINDER_EXPORT_WEEKLY --sign-with ~/.ssh/id_ed25519 --rationale "prompt optimisation deployed 2026-11-15"
  ledgerlens baseline propose --candidates --sign-with ~/.ssh/id_ed25519
  ledgerlens baseline propose --scenario BINDER_EXPORT_WEEKLY --by alice --print-record > proposal.json
  ssh-keygen -Y sign -f ~/.ssh/id_ed25519 -n ledgerlens-baseline proposal.json
  ledgerlens baseline propose --signature proposal.json.sig`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runBaselinePropose(cmd.Context(), a, opts)

		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.ScenarioID, "scenario", "", "scenario id to propose a baseline for")
	f.BoolVar(&opts.Candidates, "candidates", false, "propose every baseline candidate of the newest published weekly report")
	f.StringVar(&opts.By, "by", "", "your name in config/approvers (the maker); only needed with --print-record or a key listed for several names")
	f.StringVar(&opts.Rationale, "rationale", "", "why the baseline should change (one bullet per line in the update note)")
	f.IntVar(&opts.Days, "days", 0, "--scenario: window length in days (default the policy's baseline_window_days)")
	f.StringVar(&opts.AsOfText, "as-of", "", "--scenario: end of the window (RFC 3339); default now")
	f.DurationVar(&opts.LockTimeout, "lock-timeout", 0, "wait this long for another job's lock before exiting 75")
	signingFlags(f, &opts.Signing)
	return cmd
}

func newBaselineApproveCmd(a *app) *cobra.Command {
	var opts BaselineApproveOptions
	cmd := &cobra.Command{
		Use:   "approve PROPOSAL",
		Short: "Approve a proposal (a second person) and apply it to config/credit-baselines.json",
		Long: `approve is the checker's step. The approver is whoever's SSH key signs the
approval (listed in config/approvers); the proposal's own SSH signature is
checked too. It refuses when the approver is the proposer or signs with the
proposer's key, when --by names someone other than the key's owner, when the
scenario had a SEV0/SEV1 run (recorded or recomputed) in the 14 days before
now or has no run in the last day of those 14 (stability cannot be shown),
when the baseline changed since the proposal, and when the change exceeds
50 % unless --force-large-change is given. Otherwise it writes the
signed approval record and the update_<date>.md note and rewrites the
baselines file atomically. An approval later than 1 business day after the
proposal is an sla_breach finding in the weekly and SLA reports.`,
		Example: `  ledgerlens baseline approve BP-20261123-3fa2c1d9e0b4 --sign-with ~/.ssh/id_ed25519
  ledgerlens baseline approve BP-20261123-3fa2c1d9e0b4 --by bob --print-record > approval.json
  ssh-keygen -Y sign -f ~/.ssh/id_ed25519 -n ledgerlens-baseline approval.json
  ledgerlens baseline approve BP-20261123-3fa2c1d9e0b4 --signature approval.json.sig`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.ProposalID = args[0]
			return runBaselineApprove(cmd.Context(), a, opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.By, "by", "", "your name in config/approvers (the checker); must be the signing key's owner and differ from the proposer")
	f.BoolVar(&opts.ForceLargeChange, "force-large-change", false, "accept a change of more than 50 %")
	f.DurationVar(&opts.LockTimeout, "lock-timeout", 0, "wait this long for another job's lock before exiting 75")
	signingFlags(f, &opts.Signing)
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
	for _, f := range res.Unrecorded {
		a.log.Error("a baseline record the audit log does not record is left out (planted, or changed since it was made: run 'ledgerlens verify all')", "file", f)
	}
	for _, m := range res.ApprovalMissing {
		a.log.Error("a proposal the audit log records as approved has no approval record on disk: it is not pending (the record was deleted: run 'ledgerlens verify all')",
			"proposal", m.ProposalID, "approval", m.Approved.Fields["approval_id"], "approved_by", m.Approved.Fields["approved_by"], "audit_seq", m.Approved.Seq)
	}
	fmt.Fprintf(a.stdout, "\n%d proposals awaiting approval\n", len(res.Pending))
	// A record the log names, damaged or gone, is not pending nor
	// approved to the listing: it said "0 proposals awaiting approval",
	// exit 0 (a review of this stop's fixes). Listed, then exit 4.
	var changed error
	if len(res.NotAsRecorded) > 0 {
		for _, p := range res.NotAsRecorded {
			fmt.Fprintf(a.stderr, "FAILED  %s\n", escapeControl(p)) // beside the listing's other warnings
		}
		changed = checkFailed("%s", summarize(res.NotAsRecorded))
	}
	if len(res.Pending) == 0 {
		return changed
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
	if err := tw.Flush(); err != nil {
		return err
	}
	return changed
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
	t, err := parseAsOf(opts.AsOfText, a.started)
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
	if opts.Signing.SignatureFile == "" && (opts.ScenarioID == "") == !opts.Candidates {
		return usagef("give exactly one of --scenario ID or --candidates")
	}
	var err error
	if opts.Signing, err = personSigning(opts.Signing, opts.By); err != nil {
		return err
	}
	t, err := parseAsOf(opts.AsOfText, a.started)
	if err != nil {
		return err
	}
	opts.ProposeOptions.AsOf = t
	res, err := pipeline.ProposeBaselines(ctx, a.env("baseline propose", opts.LockTimeout), opts.ProposeOptions)
	if err != nil {
		return err
	}
	if res.Printed != nil {
		_, err := a.stdout.Write(res.Printed)
		return err
	}
	for _, p := range res.Proposals {
		fmt.Fprintln(a.stdout, p.ProposalID)
	}
	// A candidate already proposed from the same report: its pending
	// proposal's id, so that the ids piped to 'baseline approve' are
	// every candidate's, as on the first run.
	for _, p := range res.AlreadyPending {
		fmt.Fprintln(a.stdout, p.ProposalID)
		a.log.Info("candidate already proposed; awaiting approval", "scenario_id", p.ScenarioID, "proposal_id", p.ProposalID)
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
	var err error
	if opts.Signing, err = personSigning(opts.Signing, opts.By); err != nil {
		return err
	}
	res, err := pipeline.ApproveBaseline(ctx, a.env("baseline approve", opts.LockTimeout), opts.ApproveOptions)
	if err != nil {
		return err
	}
	if res.Printed != nil {
		_, err := a.stdout.Write(res.Printed)
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

// BaselineVerifyOptions are the flags of `baseline verify`.
type BaselineVerifyOptions struct {
	// Approvers is the allowed_signers file; "" is <root>/config/approvers.
	Approvers string
	// PubKey is the public key that signed the audit log's checkpoints;
	// "" is the root's, <root>/.ledgerlens/keys/signing.pub.
	PubKey string
	// Kept are checkpoint files kept elsewhere (a witness copy) that the
	// log is checked against too, as `audit verify --checkpoint` does.
	Kept []string
}

func newBaselineVerifyCmd(a *app) *cobra.Command {
	var opts BaselineVerifyOptions
	cmd := &cobra.Command{
		Use:   "verify",
		Short: "Check who made and who approved each baseline change (the people's SSH signatures)",
		Long: `verify checks every proposal and approval in runs/BASELINE_UPDATES/ against
the approvers file, offline: each record's .sshsig is a valid signature of its
bytes by a key listed for the person it names (namespace ledgerlens-baseline),
and each approval names someone other than its proposer, was signed with
another key, records the key that signed the proposal, and pins the
proposal's SHA-256. Every record the audit log says was proposed or approved
must still be there, unchanged; the log itself is first checked against its
hash chain and signed checkpoints, with --pubkey and --checkpoint as in
` + "`ledgerlens audit verify`" + `. It exits 4 if any record or the log fails, and 1
if the log's checkpoints cannot be checked for want of a key.
` + "`ledgerlens verify`" + ` checks the same files' sidecars and host signatures;
docs/COMPLIANCE.md shows the same checks with stock ssh-keygen -Y verify.`,
		Example: `  ledgerlens --root /srv/ledger baseline verify
  ledgerlens baseline verify --approvers approvers-2026-q3
  ledgerlens baseline verify --pubkey witness/signing.pub --checkpoint witness/audit.checkpoints`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runBaselineVerify(cmd.Context(), a, opts)
		},
	}
	cmd.Flags().StringVar(&opts.Approvers, "approvers", "", "allowed_signers file to check against (default <root>/config/approvers)")
	cmd.Flags().StringVar(&opts.PubKey, "pubkey", "", "public key PEM that signed the audit log's checkpoints (default <root>/.ledgerlens/keys/signing.pub)")
	cmd.Flags().StringArrayVar(&opts.Kept, "checkpoint", nil, "also check the audit log against this kept checkpoint file (the signed note, or checkpoint lines); repeatable")
	return cmd
}

// runBaselineVerify checks the people's signatures on the records on disk
// (baselines.VerifyRecords), the audit log against its chain and signed
// checkpoints (reconcile.Audit), and that the records the log names are
// there, unchanged (job.BaselineRecordsProblemsIn): a pending proposal
// deleted, or both files of an approval, left only records that verified,
// and the command passed.
func runBaselineVerify(ctx context.Context, a *app, opts BaselineVerifyOptions) error {
	l := a.layout()
	approversPath := opts.Approvers
	if approversPath == "" {
		approversPath = baselines.ApproversPath(l.Baselines)
	}
	approvers, err := baselines.LoadApprovers(approversPath)
	if err != nil {
		return err
	}
	checks, err := baselines.VerifyRecords(l.BaselineUpdatesDir, approvers)
	if err != nil {
		return err
	}
	var problems []string
	for _, c := range checks {
		if c.OK() {
			fmt.Fprintf(a.stdout, "OK      %s signed by %s (%s)\n", c.File, c.Principal, c.Fingerprint)
			continue
		}
		problems = append(problems, fmt.Sprintf("%s: %s", c.File, strings.Join(c.Problems, "; ")))
	}
	a.printFailed(problems)
	failed := len(problems)
	// The log that names the records is held to its chain and signed
	// checkpoints first, as audit verify holds it: a record deleted with
	// its line in the log, or with the whole log, passed.
	keyPath := opts.PubKey
	if keyPath == "" {
		keyPath = filepath.Join(l.KeysDir, reports.PublicKeyFile)
	}
	pub, err := reports.LoadPublicKey(keyPath)
	if err != nil && (opts.PubKey != "" || !errors.Is(err, fs.ErrNotExist)) {
		return err
	}
	// A key given that is not the root's own is held to it, as audit
	// verify holds it: a genuine log of a rotated root failed (a review).
	held, pub := holdLogKey(l, opts.PubKey, pub, a.stderr)
	trail, err := reconcile.Audit(ctx, l, job.OutputDirs(l)[0], pub, opts.Kept)
	if err != nil {
		return err
	}
	trail.Problems = append(trail.Problems, held.problems(trail.State.Entries, trail.OK(), a.stderr)...)
	logged := trail.Problems
	// No key for the checkpoints found: the people's signatures are
	// checked all the same, but the log cannot be, and passing on the
	// people's checks alone let a record deleted with the log cut back
	// pass once the keys directory was moved away (a second outside
	// review): the command cannot say the records are whole (exit 1).
	unchecked := ""
	switch {
	case len(logged) == 1 && trail.Unchecked != "":
		unchecked = fmt.Sprintf("audit log %s: its signed checkpoints cannot be checked without %s (or a key given with --pubkey), so records deleted from %s together with their lines in it cannot be told",
			l.AuditLog, keyPath, l.BaselineUpdatesDir)
		logged = nil
	case !trail.State.Exists && len(logged) == 0 && len(checks) > 0:
		// Every proposal and approval is recorded in the log as it is
		// made: records with no log beside them lost it.
		logged = append(logged, fmt.Sprintf("audit log %s is missing, though %s holds %d records that it records as they are made", l.AuditLog, l.BaselineUpdatesDir, len(checks)))
	}
	missing, err := job.BaselineRecordsProblemsIn(l, trail.State.Entries)
	if err != nil {
		return err
	}
	logged = append(logged, missing...)
	// And the records there that the log does not name: an approval
	// signed with an approver's key since retired, dated before its
	// retirement and dropped beside a pending proposal, passed (a review
	// of the stock recipe's fix).
	if trail.State.Exists {
		recs, err := baselines.LoadRecords(l.BaselineUpdatesDir)
		if err != nil {
			return err
		}
		planted, err := recs.Planted(trail.State.Entries)
		if err != nil {
			return err
		}
		for _, f := range planted {
			logged = append(logged, fmt.Sprintf("%s: the audit log records no such record (planted)", filepath.Join(l.BaselineUpdatesDir, f)))
		}
	}
	a.printFailed(logged)
	problems = append(problems, logged...)
	if len(problems) == 0 {
		if unchecked != "" {
			return errors.New(unchecked) // could not check: exit 1
		}
		return nil
	}
	var what []string
	if failed > 0 {
		what = append(what, fmt.Sprintf("%d of %d baseline records on disk failed verification", failed, len(checks)))
	}
	if len(logged) > 0 {
		what = append(what, problemCount(len(logged))+" with the audit log or the records it names")
	}
	return checkFailed("%s: %s", strings.Join(what, "; "), summarize(problems))
}
