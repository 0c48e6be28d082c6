package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/ledgerlens/ledgerlens/fixtures"
)

func newFixturesCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "fixtures",
		Short: "Deterministic test data",
	}
	var (
		opts  fixtures.Options
		start string
	)
	gen := &cobra.Command{
		Use:   "generate",
		Short: "Write a deterministic working root (ledger, cases, incidents, baselines, policy, expected.json)",
		Long: `generate writes a working root in the layout of docs/ARCHITECTURE.md, 'Layout' with known injected
cases (unquarantined SEV0, SEV1 without a case, drift, SLO breaches, malformed
lines, duplicates, late arrivals, a partial last line) and expected.json with
the truths they imply. Same arguments, same bytes.`,
		Example: `  ledgerlens fixtures generate --out demo
  ledgerlens fixtures generate --runs 1000000 --weeks 8 --start 2026-01-05 --seed 7 --out bench/data`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			t, err := time.Parse(time.DateOnly, start)
			if err != nil || t.Weekday() != time.Monday {
				return usagef("--start %q: want a Monday as YYYY-MM-DD", start)
			}
			opts.Start = t
			if opts.Out == "" {
				return usagef("--out is required")
			}
			exp, err := fixtures.Generate(cmd.Context(), opts)
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "wrote %s (focus week %s)\n", opts.Out, exp.FocusWeek)
			return nil
		},
	}
	f := gen.Flags()
	f.IntVar(&opts.Runs, "runs", 200000, "number of runs")
	f.IntVar(&opts.Weeks, "weeks", 8, "weeks covered (at least 6)")
	f.StringVar(&start, "start", "2026-01-05", "first Monday (YYYY-MM-DD)")
	f.Int64Var(&opts.Seed, "seed", 1, "random seed")
	f.StringVar(&opts.Out, "out", "", "directory to write the working root into")
	cmd.AddCommand(gen)
	return cmd
}
