package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/ledgerlens/ledgerlens/pipeline"
)

func newIngestCmd(a *app) *cobra.Command {
	var (
		ledgerPath  string
		lockTimeout time.Duration
	)
	cmd := &cobra.Command{
		Use:   "ingest",
		Short: "Load new ledger lines into the store (incremental, transactional)",
		Long: `ingest reads the ledger lines the store has not seen yet, validates them and
loads them into .ledgerlens/ledger.duckdb in one transaction. Bad lines are
recorded as rejects, repeated run ids as duplicates, and a changed prefix of
the ledger as a ledger_modified event followed by a full reload.`,
		Example: `  ledgerlens --root /srv/ledger ingest
  ledgerlens ingest --ledger runs/CREDIT_MONITORING/ledger.jsonl`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			res, err := pipeline.RunIngest(cmd.Context(), a.env("ingest", lockTimeout), ledgerPath)
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "event=%s lines=%d loaded=%d rejected=%d duplicates=%d offset=%d..%d partial_tail_bytes=%d prefix_sha256=%s\n",
				res.Event, res.Lines, res.Loaded, res.Rejected, res.Duplicates, res.OffsetFrom, res.OffsetTo,
				res.PartialTailBytes, res.PrefixSHA256)
			if m := res.Modified; m != nil {
				a.log.Warn("ledger prefix was modified; reloaded from scratch",
					"byte_from", m.ByteFrom, "byte_to", m.ByteTo, "line_from", m.LineFrom, "line_to", m.LineTo)
			}
			a.log.Debug("ingest timings", "check", res.CheckTime, "load", res.LoadTime,
				"duplicates", res.DuplicatesTime, "commit", res.CommitTime)
			return nil
		},
	}
	cmd.Flags().StringVar(&ledgerPath, "ledger", "", "ledger path (default <root>/runs/CREDIT_MONITORING/ledger.jsonl)")
	cmd.Flags().DurationVar(&lockTimeout, "lock-timeout", 0, "wait this long for another job's lock before exiting 75")
	return cmd
}
