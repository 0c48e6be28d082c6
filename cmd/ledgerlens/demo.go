package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/ledgerlens/ledgerlens/fixtures"
	"github.com/ledgerlens/ledgerlens/pipeline"
	"github.com/ledgerlens/ledgerlens/pipeline/inputs"
	"github.com/ledgerlens/ledgerlens/pipeline/job"
	"github.com/ledgerlens/ledgerlens/reports"
)

func newDemoCmd(a *app) *cobra.Command {
	var opts DemoOptions
	cmd := &cobra.Command{
		Use:         "demo",
		Annotations: noRoot,
		Short:       "Generate fixtures, create a key, run the weekly job, verify it and show where everything is",
		Long: `demo builds a complete working root from deterministic fixtures, creates a
signing key (keeping an existing one), publishes the weekly review of the
fixtures' last week, verifies the sidecars, signatures, audit chain and
ledger, and prints the headline figures and output paths. Safe to re-run
with the same options: a second run keeps the fixtures as they are and
finds the report already published. Over a demo made with other options
it is refused (its ledger would be regenerated under the reports
published from it).`,
		Example: `  ledgerlens demo --out demo
  ledgerlens demo --out /tmp/ll --runs 1000000`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runDemo(cmd.Context(), a, opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.Out, "out", "demo", "working root to create")
	f.IntVar(&opts.Runs, "runs", fixtures.DefaultRuns, "number of fixture runs, roughly (the planted cases need about 16,000 at least)")
	return cmd
}

// DemoOptions are the options of `ledgerlens demo`.
type DemoOptions struct {
	Out  string // the working root to create (required)
	Runs int    // number of fixture runs, roughly
}

// fixtureOptions are the options of the demo's fixtures: opts' runs over the
// default weeks, start and seed.
func (opts DemoOptions) fixtureOptions() fixtures.Options {
	return fixtures.Options{Runs: opts.Runs, Weeks: fixtures.DefaultWeeks, Seed: fixtures.DefaultSeed,
		Start: fixtures.DefaultStart(), Out: opts.Out}
}

// runDemo builds a working root from fixtures in opts.Out, publishes the
// weekly review of the fixtures' focus week, verifies it and prints each
// step and where the outputs are.
func runDemo(ctx context.Context, a *app, opts DemoOptions) error {
	if opts.Out == "" {
		return usagef("--out is required")
	}
	if err := notInsideARoot("demo", opts.Out); err != nil {
		return err
	}
	fopts := opts.fixtureOptions()
	earlier, err := checkDemoOut(opts.Out, fopts)
	if err != nil {
		return err
	}
	a.root = opts.Out
	l := inputs.NewLayout(opts.Out)
	out := a.stdout

	exp, err := demoFixtures(ctx, a, fopts, earlier)
	if err != nil {
		return err
	}
	if err := demoSigningKey(ctx, a, l); err != nil {
		return err
	}
	if err := demoIngest(ctx, a, exp); err != nil {
		return err
	}

	fmt.Fprintf(out, "== weekly review of %s\n", exp.FocusWeek)
	res, err := pipeline.RunWeekly(ctx, a.env("demo", 0), pipeline.WeeklyOptions{Week: exp.FocusWeek})
	if err != nil {
		return err
	}
	printWeekly(a, res)

	if err := demoVerify(ctx, a, l); err != nil {
		return err
	}
	printDemoFindings(a, l, res, opts.Out)
	return nil
}

// demoFixtures generates the demo's fixtures, or keeps those of an
// earlier demo made with the same options (earlier, its expected.json),
// and returns what they plant.
func demoFixtures(ctx context.Context, a *app, opts fixtures.Options, earlier *fixtures.Expected) (*fixtures.Expected, error) {
	out := a.stdout
	fmt.Fprintf(out, "== fixtures: %d runs over %d weeks from %s (seed %d)\n", opts.Runs, opts.Weeks, opts.Start.Format("2006-01-02"), opts.Seed)
	if earlier != nil {
		// Generated again, they would replace what was done with
		// the demo since: lines appended to its ledger, edited
		// baselines (an outside review).
		fmt.Fprintf(out, "kept the fixtures of %s, made with these options\n", opts.Out)
		return earlier, nil
	}
	exp, err := fixtures.Generate(ctx, opts)
	if errors.Is(err, fixtures.ErrInvalidOptions) {
		return nil, usagef("%v", err)
	}
	if err != nil {
		return nil, err
	}
	return exp, nil
}

// demoSigningKey creates the demo root's signing key, keeping an
// existing one.
func demoSigningKey(ctx context.Context, a *app, l inputs.Layout) error {
	out := a.stdout
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
	return nil
}

// demoIngest loads the fixtures' ledger and acknowledges the conflicting
// duplicates they plant (exp), as an operator would.
func demoIngest(ctx context.Context, a *app, exp *fixtures.Expected) error {
	out := a.stdout
	fmt.Fprintln(out, "== ingest")
	ing, err := pipeline.RunIngest(ctx, a.env("demo", 0), "")
	var ie *job.IntegrityError
	if err != nil && !errors.As(err, &ie) {
		return err
	}
	fmt.Fprintf(out, "%s: %d lines loaded, %d rejected, %d duplicates\n", ing.Event, ing.Loaded, ing.Rejected, ing.Duplicates)
	if ie != nil {
		// The fixtures plant a conflicting duplicate; under cron
		// the job just ended with exit 4. The demo shows the
		// operator's answer: review, then a signed acknowledgment.
		return acknowledgePlanted(ctx, a, ie, exp.Ledger.DuplicateConflicting)
	}
	return nil
}

// demoVerify checks the demo root's sidecars, signatures, audit chain and
// ledger, printing what it checked.
func demoVerify(ctx context.Context, a *app, l inputs.Layout) error {
	out := a.stdout
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
	return nil
}

// printDemoFindings prints the weekly review's headline findings and
// where to look next; root is the demo's --out.
func printDemoFindings(a *app, l inputs.Layout, res *pipeline.WeeklyResult, root string) {
	out := a.stdout
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
	fmt.Fprintf(out, "  %s --root %s query \"SELECT severity, count(*) FROM runs GROUP BY 1 ORDER BY 1\"\n", os.Args[0], root)
}

// acknowledgePlanted prints the integrity problems the demo's weekly job
// ended with and acknowledges the conflicting duplicates the fixtures
// planted (lines), as an operator would after reviewing them. Any other
// problem is returned: the demo never acknowledges what it did not plant.
func acknowledgePlanted(ctx context.Context, a *app, ie *job.IntegrityError, lines []int64) error {
	out := a.stdout
	fmt.Fprintln(out, "== integrity problems (under cron: exit 4)")
	for _, p := range ie.Problems {
		fmt.Fprintf(out, "  %s\n", p)
	}
	if len(ie.Problems) != len(lines) {
		return ie
	}
	fmt.Fprintln(out, "== acknowledging the duplicate the fixtures planted, as an operator would after review")
	for _, line := range lines {
		opts := pipeline.AcknowledgeOptions{LineFrom: line, LineTo: line, By: "ledgerlens demo",
			Reason: "planted by the fixture generator to show conflicting-duplicate detection"}
		fmt.Fprintf(out, "$ ledgerlens --root %s ledger acknowledge --range %d-%d --by %q --reason %q\n",
			a.root, line, line, opts.By, opts.Reason)
		res, err := pipeline.AcknowledgeLedger(ctx, a.env("demo", 0), opts)
		if err != nil {
			return err
		}
		for _, d := range res.Duplicates {
			fmt.Fprintf(out, "acknowledged: line %d, run %q (line %d counts)\n", d.LineNo, d.RunID, d.FirstLineNo)
		}
		fmt.Fprintf(out, "  record: %s\n", res.RecordPath)
	}
	return nil
}

// checkDemoOut refuses an --out that holds anything but an earlier demo
// or fixture root (one with the fixtures' expected.json): the demo writes
// the fixtures' ledger, cases and incidents over whatever is there, and
// pointed at a live root it would replace the runs it records. An earlier
// demo made with the same options is returned (its expected.json): its
// fixtures are kept, not generated again over what was done with it
// since. One made with other options is refused: regenerated, its ledger
// is no longer the one its reports were published from, and the run
// ended in exit 4, a modified ledger, where the help said "safe to
// re-run" (an outside review).
func checkDemoOut(dir string, opts fixtures.Options) (*fixtures.Expected, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) || (err == nil && len(entries) == 0) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("demo --out %s: %w", dir, err)
	}
	if !isFixtureRoot(dir) {
		return nil, fmt.Errorf("demo: --out %s is not empty and is not an earlier demo root (it holds %s but no %s); refusing to replace its ledger — choose a new directory",
			dir, entries[0].Name(), fixtures.ExpectedPath)
	}
	data, err := os.ReadFile(filepath.Join(dir, fixtures.ExpectedPath))
	if err != nil {
		return nil, fmt.Errorf("demo --out %s: %w", dir, err)
	}
	var exp fixtures.Expected
	if err := json.Unmarshal(data, &exp); err != nil {
		return nil, fmt.Errorf("demo --out %s: %s: %w", dir, fixtures.ExpectedPath, err)
	}
	want := fixtures.Params{Runs: opts.Runs, Weeks: opts.Weeks, Start: opts.Start.Format(time.DateOnly), Seed: opts.Seed}
	if exp.Params != want {
		return nil, usagef("demo: --out %s holds a demo of %d runs over %d weeks from %s (seed %d); these options would regenerate its ledger under the reports published from it: give the same options, remove it, or choose a new directory",
			dir, exp.Params.Runs, exp.Params.Weeks, exp.Params.Start, exp.Params.Seed)
	}
	return &exp, nil
}
