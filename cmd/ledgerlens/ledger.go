package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/ledgerlens/ledgerlens/pipeline"
	"github.com/ledgerlens/ledgerlens/pipeline/plaintext"
)

func newLedgerCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "ledger",
		Short: "Operator actions on the run ledger",
	}
	var opts LedgerAcknowledgeOptions
	ack := &cobra.Command{
		Use:   "acknowledge",
		Short: "Record a signed, audited acknowledgment of ledger modifications and conflicting duplicates within a line range",
		Long: `acknowledge records that a named operator reviewed the integrity problems
ledgerlens detected within --range — modifications of already-loaded ledger
lines, and lines repeating an earlier run id with different content
(conflicting duplicates) — and why they are acceptable. It publishes a signed
record (runs/CREDIT_REVIEWS/ledger_ack_<time>.json, -2, -3… for another in
the same second, with sidecar and signature) and a ledger_acknowledged audit
event. Until then every such problem keeps 'verify ledger', 'verify all' and
the jobs failing (exit 4 for jobs); later reports list the acknowledgment
with who and why. It covers the problems detected before it, not a later
edit of the same lines.

The range is in ledger lines, as the failure names them; it must cover at
least one unacknowledged problem. A conflicting duplicate is acknowledged by
its line and run id: if the ledger is later rewritten so that another run
sits on that line, it is a new problem.`,
		Example: `  ledgerlens --root /srv/ledger ledger acknowledge --range 5000-5000 --by alice --reason "INC-42: credits corrected by finance, ticket FIN-7"`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runLedgerAcknowledge(cmd.Context(), a, opts)
		},
	}
	f := ack.Flags()
	f.StringVar(&opts.Range, "range", "", "ledger lines FROM-TO (or one line) the acknowledgment covers")
	f.StringVar(&opts.By, "by", "", "who acknowledges (recorded and signed)")
	f.StringVar(&opts.Reason, "reason", "", "why the modification is acceptable (recorded and signed)")
	f.DurationVar(&opts.LockTimeout, "lock-timeout", 0, "wait this long for another job's lock before exiting 75")
	cmd.AddCommand(ack)
	return cmd
}

// LedgerAcknowledgeOptions are the options of `ledgerlens ledger
// acknowledge`.
type LedgerAcknowledgeOptions struct {
	Range       string // ledger lines "FROM-TO" or one line number
	By          string // who acknowledges (required)
	Reason      string // why the problems are acceptable (required)
	LockTimeout time.Duration
}

// runLedgerAcknowledge checks the options, records the acknowledgment of
// the integrity problems within the range and prints what it covered.
func runLedgerAcknowledge(ctx context.Context, a *app, opts LedgerAcknowledgeOptions) error {
	from, to, err := parseLineRange(opts.Range)
	if err != nil {
		return err
	}
	if strings.TrimSpace(opts.By) == "" || strings.TrimSpace(opts.Reason) == "" {
		return usagef("--by NAME and --reason TEXT are required")
	}
	// Recorded, signed and shown in reports as given: a control or
	// invisible formatting character is refused, not cleaned. DEL and a
	// line separator in --reason were recorded as they were, and the
	// audit log's offline recipe called the intact log broken at that
	// entry (an outside review).
	for _, f := range []struct{ flag, text string }{{"--by", opts.By}, {"--reason", opts.Reason}} {
		if err := plaintext.Check(f.flag, f.text); err != nil {
			return usagef("%v", err)
		}
	}
	ack := pipeline.AcknowledgeOptions{LineFrom: from, LineTo: to, By: opts.By, Reason: opts.Reason}
	res, err := pipeline.AcknowledgeLedger(ctx, a.env("ledger acknowledge", opts.LockTimeout), ack)
	if err != nil {
		return err
	}
	for _, m := range res.Covered {
		fmt.Fprintf(a.stdout, "acknowledged: lines %d–%d (bytes %d–%d), detected %s\n",
			m.LineFrom, m.LineTo, m.ByteFrom, m.ByteTo, m.DetectedAt)
	}
	for _, d := range res.Duplicates {
		fmt.Fprintf(a.stdout, "acknowledged: line %d, a conflicting duplicate of run %q (line %d counts)\n",
			d.LineNo, d.RunID, d.FirstLineNo)
	}
	fmt.Fprintf(a.stdout, "  record: %s\n", res.RecordPath)
	return nil
}

// parseLineRange reads --range: "FROM-TO" or a single line number.
func parseLineRange(s string) (from, to int64, err error) {
	a, b, ok := strings.Cut(strings.TrimSpace(s), "-")
	if !ok {
		b = a
	}
	from, err1 := strconv.ParseInt(strings.TrimSpace(a), 10, 64)
	to, err2 := strconv.ParseInt(strings.TrimSpace(b), 10, 64)
	if s == "" || err1 != nil || err2 != nil || from < 1 || to < from {
		return 0, 0, usagef("--range %q: want ledger lines FROM-TO (1-based, FROM ≤ TO), e.g. --range 5000-5000", s)
	}
	return from, to, nil
}
