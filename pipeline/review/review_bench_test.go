package review

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"golang.org/x/sync/errgroup"

	"github.com/ledgerlens/ledgerlens/fixtures"
	"github.com/ledgerlens/ledgerlens/pipeline/inputs"
	"github.com/ledgerlens/ledgerlens/pipeline/store"
	"github.com/ledgerlens/ledgerlens/reports"
)

// Benchmarks of the analytics (docs/RULES.md) on a generated fixture store, end to
// end (Weekly) and per section, for benchstat across changes. The whole-job
// numbers are `make bench`'s; see BENCHMARKS.md.

// fixtureStore generates a fixture of runs, ingests its ledger into a new
// store and returns the store and the review input for the fixture's
// focus week, as the weekly job would build it.
func fixtureStore(tb testing.TB, runs, weeks int) (*store.Store, Input) {
	tb.Helper()
	st, in, _ := fixtureRoot(tb, runs, weeks)
	return st, in
}

// fixtureRoot is fixtureStore that also returns the fixture's working root,
// for tests that append to its ledger.
func fixtureRoot(tb testing.TB, runs, weeks int) (*store.Store, Input, inputs.Layout) {
	tb.Helper()
	ctx := context.Background()
	dir := tb.TempDir()
	exp, err := fixtures.Generate(ctx, fixtures.Options{Runs: runs, Weeks: weeks, Seed: 1, Out: dir})
	if err != nil {
		tb.Fatal(err)
	}
	l := inputs.NewLayout(dir)
	st, err := store.Open(ctx, filepath.Join(tb.TempDir(), "ledger.duckdb"), store.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	if _, err := st.Ingest(ctx, l.Ledger); err != nil {
		tb.Fatal(err)
	}
	in := rootInput(tb, l)
	loc, err := in.Config.Location()
	if err != nil {
		tb.Fatal(err)
	}
	if in.Period, err = ParseWeek(exp.FocusWeek, loc); err != nil {
		tb.Fatal(err)
	}
	return st, in, l
}

// BenchmarkWeekly50k computes the review of the focus week of a 50,000-run
// fixture (about 6,250 runs in the week, 50,000 in the store). "all" is
// Weekly end to end; each other sub-benchmark is one section, run on a
// connection where the earlier sections have already run (the review's
// tables exist), starting from the full report so every field a section
// reads is there.
func BenchmarkWeekly50k(b *testing.B) {
	if testing.Short() {
		b.Skip("generates and ingests 50,000 runs; skipped with -short")
	}
	st, in := fixtureStore(b, 50_000, 8)
	benchmarkSections(b, st, in)
}

// BenchmarkWeeklyOnRoot is BenchmarkWeekly50k on the store of an existing
// working root, for the sizes `make bench` uses: LEDGERLENS_BENCH_ROOT
// names the root (one whose ledger a job has ingested, e.g. kept with
// `ledgerlens-bench run -keep`, or after `ledgerlens ingest`) and
// LEDGERLENS_BENCH_WEEK the week (a Monday). The store is opened
// read-write, as a job opens it; the review writes only its own tables,
// in an in-memory database.
func BenchmarkWeeklyOnRoot(b *testing.B) {
	root, week := os.Getenv("LEDGERLENS_BENCH_ROOT"), os.Getenv("LEDGERLENS_BENCH_WEEK")
	if root == "" || week == "" {
		b.Skip("set LEDGERLENS_BENCH_ROOT and LEDGERLENS_BENCH_WEEK")
	}
	ctx := context.Background()
	l := inputs.NewLayout(root)
	st, err := store.Open(ctx, l.StoreFile, store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	in := rootInput(b, l)
	loc, err := in.Config.Location()
	if err != nil {
		b.Fatal(err)
	}
	if in.Period, err = ParseWeek(week, loc); err != nil {
		b.Fatal(err)
	}
	benchmarkSections(b, st, in)
}

// benchmarkSections runs "all" (Weekly end to end) and one sub-benchmark
// per section on st.
func benchmarkSections(b *testing.B, st *store.Store, in Input) {
	ctx := context.Background()
	full, err := Weekly(ctx, st, in)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("all", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := Weekly(ctx, st, in); err != nil {
				b.Fatal(err)
			}
		}
	})
	c := &computation{ctx: ctx, in: in, p: in.Period}
	a := &analysis{computation: c, st: st, db: st.Conn()}
	for _, sec := range sections() {
		b.Run(sec.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				w := *full // sections assign their fields; start each from the same model
				w.Notes = append([]string{}, full.Notes...)
				c.w = &w
				// A section's background work is part of its cost.
				a.pending = &errgroup.Group{}
				if err := a.runSection(sec); err != nil {
					b.Fatal(err)
				}
				if err := a.pending.Wait(); err != nil {
					b.Fatalf("%s: %v", sec.name, err)
				}
			}
		})
	}
}

// rootInput loads the review's side inputs from the working root l, as
// the weekly job does (without the period).
func rootInput(tb testing.TB, l inputs.Layout) Input {
	tb.Helper()
	var in Input
	var err error
	if in.Config, _, err = inputs.LoadConfig(l.Config); err != nil {
		tb.Fatal(err)
	}
	if in.Policy, _, err = inputs.LoadPolicy(l.Policy); err != nil {
		tb.Fatal(err)
	}
	if in.Baselines, _, err = inputs.LoadBaselines(l.Baselines); err != nil {
		tb.Fatal(err)
	}
	cases, _, err := inputs.LoadCases(l.Cases)
	if err != nil {
		tb.Fatal(err)
	}
	incidents, _, err := inputs.LoadIncidents(l.Incidents)
	if err != nil {
		tb.Fatal(err)
	}
	in.Cases, in.Incidents = cases.Cases, incidents.Incidents
	return in
}

// inOrder runs secs one after another on the store's connection, each
// with its background work, from the header of want that run() starts
// with, and returns the report they make, encoded.
func inOrder(t *testing.T, st *store.Store, in Input, want *reports.Weekly, secs []section) []byte {
	t.Helper()
	c := &computation{ctx: context.Background(), in: in, p: in.Period}
	c.w = &reports.Weekly{
		Schema: want.Schema, ReportID: want.ReportID, PeriodStart: want.PeriodStart, PeriodEnd: want.PeriodEnd,
		TimeZone: want.TimeZone, Provenance: reports.Provenance{Revision: want.Revision}, Policy: want.Policy, Notes: []string{},
	}
	a := &analysis{computation: c, st: st, db: st.Conn()}
	for _, s := range secs {
		a.pending = &errgroup.Group{}
		if err := a.runSection(s); err != nil {
			t.Fatal(err)
		}
		if err := a.pending.Wait(); err != nil {
			t.Fatal(err)
		}
	}
	return encoded(t, c.w)
}

// encoded is w's report JSON, as a job publishes it; an error fails t.
func encoded(tb testing.TB, w *reports.Weekly) []byte {
	tb.Helper()
	b, err := reports.MarshalWeekly(w)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// TestOneLaneMatchesTwo runs the sections one after another on one
// connection, in their order, from the model header run() starts with,
// and checks that the result is Weekly's, which runs them on two at once:
// the lanes change when a section runs, never what it computes. The
// per-section benchmarks run them so.
func TestOneLaneMatchesTwo(t *testing.T) {
	ctx := context.Background()
	st, in := fixtureStore(t, 5_000, 6)
	want, err := Weekly(ctx, st, in)
	if err != nil {
		t.Fatal(err)
	}
	got := inOrder(t, st, in, want, sections())
	wantJSON := encoded(t, want)
	if string(got) == string(wantJSON) {
		return
	}
	var g, w map[string]json.RawMessage
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(wantJSON, &w); err != nil {
		t.Fatal(err)
	}
	var differ []string
	for k := range w {
		if string(g[k]) != string(w[k]) {
			differ = append(differ, k)
		}
	}
	sort.Strings(differ)
	t.Fatalf("the sections in order on one lane do not reproduce Weekly (keys %v differ): "+
		"a section reads what a section it does not name in its needs writes", differ)
}
