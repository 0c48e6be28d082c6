package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ledgerlens/ledgerlens/fixtures"
	"github.com/ledgerlens/ledgerlens/pipeline"
	"github.com/ledgerlens/ledgerlens/pipeline/inputs"
	"github.com/ledgerlens/ledgerlens/reports"
)

func newDemoCmd(a *app) *cobra.Command {
	opts := fixtures.Options{Weeks: fixtures.DefaultWeeks, Seed: fixtures.DefaultSeed, Start: fixtures.DefaultStart()}
	cmd := &cobra.Command{
		Use:         "demo",
		Annotations: noRoot,
		Short:       "Generate fixtures, create a key, run the weekly job, verify it and show where everything is",
		Long: `demo builds a complete working root from deterministic fixtures, creates a
signing key (keeping an existing one), publishes the weekly review of the
fixtures' last week, verifies the sidecars, signatures, audit chain and
ledger, and prints the headline figures and output paths. Safe to re-run: a
second run finds the report already published.`,
		Example: `  ledgerlens demo --out demo
  ledgerlens demo --out /tmp/ll --runs 1000000`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if opts.Out == "" {
				return usagef("--out is required")
			}
			a.root = opts.Out
			l := inputs.NewLayout(opts.Out)
			out := a.stdout

			fmt.Fprintf(out, "== fixtures: %d runs over %d weeks from %s (seed %d)\n", opts.Runs, opts.Weeks, opts.Start.Format("2006-01-02"), opts.Seed)
			exp, err := fixtures.Generate(ctx, opts)
			if err != nil {
				return err
			}

			fmt.Fprintln(out, "== signing key")
			if _, err := os.Stat(filepath.Join(l.KeysDir, reports.PrivateKeyFile)); err == nil {
				fmt.Fprintf(out, "kept %s\n", filepath.Join(l.KeysDir, reports.PrivateKeyFile))
			} else if errors.Is(err, fs.ErrNotExist) {
				info, err := pipeline.GenerateKey(ctx, a.env("demo", 0))
				if err != nil {
					return err
				}
				fmt.Fprintf(out, "created key %s\n", info.KeyID)
			} else {
				return err
			}

			fmt.Fprintf(out, "== weekly review of %s\n", exp.FocusWeek)
			res, err := pipeline.RunWeekly(ctx, a.env("demo", 0), pipeline.WeeklyOptions{Week: exp.FocusWeek})
			if err != nil {
				return err
			}
			printWeekly(a, res)

			fmt.Fprintln(out, "== verification")
			pub, err := reports.LoadPublicKey(filepath.Join(l.KeysDir, reports.PublicKeyFile))
			if err != nil {
				return err
			}
			rep, err := pipeline.CheckIntegrity(ctx, a.env("demo", 0), pub)
			if err != nil {
				return err
			}
			for _, c := range rep.Artifacts {
				fmt.Fprintf(out, "OK  %s  sha256 %s…  signed by %s\n", l.Rel(c.Path), c.SHA256[:16], c.KeyID)
			}
			fmt.Fprintf(out, "OK  audit chain: %d entries\n", rep.Audit.Entries)
			fmt.Fprintf(out, "OK  ledger append-only: %d bytes loaded unchanged\n", rep.Ledger.CoveredBytes)
			if !rep.OK() {
				return fmt.Errorf("verification failed: %s", strings.Join(rep.Problems, "; "))
			}

			r := res.Report
			fmt.Fprintln(out, "== headline findings")
			for i, v := range r.PolicyViolations {
				if i == 8 {
					fmt.Fprintf(out, "  … and %d more (jq '.policy_violations' %s)\n", len(r.PolicyViolations)-i, res.JSONPath)
					break
				}
				fmt.Fprintf(out, "  %-5s %-22s %s\n", v.Severity, v.Type, v.Detail)
			}
			fmt.Fprintf(out, "\nOutputs are in %s; try:\n", l.ReviewsDir)
			fmt.Fprintf(out, "  jq '.top_spike_runs' %s\n", res.JSONPath)
			fmt.Fprintf(out, "  %s --root %s query \"SELECT severity, count(*) FROM runs GROUP BY 1 ORDER BY 1\"\n", os.Args[0], opts.Out)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.Out, "out", "demo", "working root to create")
	f.IntVar(&opts.Runs, "runs", fixtures.DefaultRuns, "number of fixture runs")
	return cmd
}
