package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/ledgerlens/ledgerlens/pipeline"
	"github.com/ledgerlens/ledgerlens/pipeline/inputs"
	"github.com/ledgerlens/ledgerlens/pipeline/job"
)

// IngestOptions are the options of `ledgerlens ingest`.
type IngestOptions struct {
	Ledger      string // "" is the layout's ledger
	LockTimeout time.Duration
}

func newIngestCmd(a *app) *cobra.Command {
	var opts IngestOptions
	cmd := &cobra.Command{
		Use:   "ingest",
		Short: "Load new ledger lines into the store (incremental, transactional)",
		Long: `ingest reads the ledger lines the store has not seen yet, validates them and
loads them into .ledgerlens/store/ledger.duckdb in one transaction. Bad lines are
recorded as rejects, repeated run ids as duplicates, and a changed prefix of
the ledger as a ledger_modified event followed by a full reload.`,
		Example: `  ledgerlens --root /srv/ledger ingest
  ledgerlens ingest --ledger runs/CREDIT_MONITORING/ledger.jsonl`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runIngest(cmd.Context(), a, opts)
		},
	}
	cmd.Flags().StringVar(&opts.Ledger, "ledger", "", "the root's ledger (<root>/runs/CREDIT_MONITORING/ledger.jsonl, the default); any other file is refused")
	cmd.Flags().DurationVar(&opts.LockTimeout, "lock-timeout", 0, "wait this long for another job's lock before exiting 75")
	return cmd
}

// runIngest runs the ingest job and prints its figures on a's stdout.
//
// --ledger may name only the root's own ledger: the reports read that
// one, and a store loaded from another file (a typo: cases.jsonl) was
// recorded as a modification of the ledger, an integrity problem every
// job then reported until someone acknowledged it (an outside review).
func runIngest(ctx context.Context, a *app, opts IngestOptions) error {
	if opts.Ledger != "" {
		own, oerr := inputs.RealPath(a.layout().Ledger)
		given, gerr := inputs.RealPath(opts.Ledger)
		if oerr != nil || gerr != nil || own != given {
			return usagef("--ledger %s is not this root's ledger (%s): the reports read that one, and loading another file into the store would be recorded as a modification of it; give --root the root that holds the ledger", opts.Ledger, a.layout().Ledger)
		}
		// The root's own: read by its own path, not through a link the
		// check followed, which could be pointed elsewhere meanwhile.
		opts.Ledger = ""
	}
	res, err := pipeline.RunIngest(ctx, a.env("ingest", opts.LockTimeout), opts.Ledger)
	a.outcome = jobOutcome{job: job.NameIngest}
	integrity := errors.Is(err, job.ErrIntegrity) // loaded, but the ledger was modified
	if err != nil && !integrity {
		return err
	}
	if res.Event == "" {
		// Refused before it loaded anything (a broken audit log, an
		// edited store): there is no result to print, only the error.
		return err
	}
	fmt.Fprintf(a.stdout, "event=%s lines=%d loaded=%d rejected=%d duplicates=%d offset=%d..%d partial_tail_bytes=%d prefix_sha256=%s\n",
		res.Event, res.Lines, res.Loaded, res.Rejected, res.Duplicates, res.OffsetFrom, res.OffsetTo,
		res.PartialTailBytes, res.PrefixSHA256)
	if m := res.Modified; m != nil {
		a.log.Warn("ledger prefix was modified; reloaded from scratch",
			"byte_from", m.ByteFrom, "byte_to", m.ByteTo, "line_from", m.LineFrom, "line_to", m.LineTo)
	}
	return err
}
