package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/ledgerlens/ledgerlens/fixtures"
)

func newFixturesCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "fixtures",
		Short: "Deterministic test data",
	}
	var opts FixturesGenerateOptions
	gen := &cobra.Command{
		Use:         "generate",
		Annotations: noRoot,
		Short:       "Write a deterministic working root (ledger, cases, incidents, baselines, policy, expected.json)",
		Long: `generate writes a working root in the layout of docs/ARCHITECTURE.md, 'Layout' with known injected
cases (unquarantined SEV0, SEV1 without a case, drift, SLO breaches, malformed
lines, duplicates, late arrivals, a partial last line) and expected.json with
the truths they imply. Same arguments, same bytes.

--out must be a new or empty directory: generating over a live working root
would silently replace its ledger, cases, policy and baselines. --force
allows it (for regenerating a fixture root).`,
		Example: `  ledgerlens fixtures generate --out demo
  ledgerlens fixtures generate --runs 1000000 --weeks 8 --start 2026-01-05 --seed 7 --out bench/data
  ledgerlens fixtures generate --out demo --force   # regenerate over an earlier fixture root`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runFixturesGenerate(cmd.Context(), a, opts)
		},
	}
	f := gen.Flags()
	f.IntVar(&opts.Runs, "runs", 200000, "number of runs, roughly: the planted cases' runs come on top of a floor of background runs, so a small number gives more (about 16,000 at least)")
	f.IntVar(&opts.Weeks, "weeks", 8, "weeks covered (at least 6)")
	f.StringVar(&opts.Start, "start", "2026-01-05", "first Monday (YYYY-MM-DD)")
	f.Int64Var(&opts.Seed, "seed", 1, "random seed")
	f.StringVar(&opts.Out, "out", "", "directory to write the working root into (new or empty)")
	f.BoolVar(&opts.NoConflictingDuplicate, "no-conflicting-duplicate", false,
		"write the focus week's planted duplicate as an identical repeat, so jobs on the fixtures end 0 (a conflicting duplicate is an integrity problem: exit 4 until acknowledged)")
	f.BoolVar(&opts.Force, "force", false, "write into a non-empty --out, replacing its ledger, cases, incidents, policy and baselines")
	cmd.AddCommand(gen)
	return cmd
}

// FixturesGenerateOptions are the options of `ledgerlens fixtures
// generate`.
type FixturesGenerateOptions struct {
	Out   string // the working root to write (new or empty; required)
	Runs  int    // number of runs, roughly
	Weeks int    // weeks covered
	Start string // the first Monday, YYYY-MM-DD
	Seed  int64
	// NoConflictingDuplicate plants the focus week's duplicate as an
	// identical repeat.
	NoConflictingDuplicate bool
	// Force writes into a non-empty Out, if it is an earlier fixture root.
	Force bool
}

// runFixturesGenerate checks the options, writes the fixtures' working
// root and prints where it is.
func runFixturesGenerate(ctx context.Context, a *app, opts FixturesGenerateOptions) error {
	t, err := time.Parse(time.DateOnly, opts.Start)
	if err != nil || t.Weekday() != time.Monday {
		return usagef("--start %q: want a Monday as YYYY-MM-DD", opts.Start)
	}
	if opts.Out == "" {
		return usagef("--out is required")
	}
	if err := notInsideARoot("fixtures generate", opts.Out); err != nil {
		return err
	}
	if err := checkEmptyOut(opts.Out, opts.Force); err != nil {
		return err
	}
	exp, err := fixtures.Generate(ctx, fixtures.Options{Runs: opts.Runs, Weeks: opts.Weeks, Start: t, Seed: opts.Seed,
		Out: opts.Out, NoConflictingDuplicate: opts.NoConflictingDuplicate})
	if errors.Is(err, fixtures.ErrInvalidOptions) {
		return usagef("%v", err)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "wrote %s (focus week %s)\n", opts.Out, exp.FocusWeek)
	return nil
}

// checkEmptyOut refuses an --out directory that already holds anything,
// unless force: fixtures over a live root would replace its inputs.
func checkEmptyOut(dir string, force bool) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("fixtures generate --out %s: %w", dir, err)
	}
	if len(entries) > 0 && !force {
		return fmt.Errorf("fixtures generate: --out %s is not empty (it holds %s…); refusing to replace its files — choose a new directory, or pass --force to overwrite a fixture root",
			dir, entries[0].Name())
	}
	// --force overwrites an earlier fixture root only: over a live root
	// it replaced the ledger, with exit 0, and the runs it held were gone.
	if len(entries) > 0 && !isFixtureRoot(dir) {
		return fmt.Errorf("fixtures generate: --out %s is not an earlier fixture root (it holds %s… but no %s); --force overwrites only a fixture root, never a live root's ledger — choose a new directory",
			dir, entries[0].Name(), fixtures.ExpectedPath)
	}
	return nil
}

// isFixtureRoot reports whether dir is an earlier fixture or demo root:
// one holding the fixtures' expected.json.
func isFixtureRoot(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, fixtures.ExpectedPath))
	return err == nil
}
