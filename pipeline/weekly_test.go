package pipeline

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ledgerlens/ledgerlens/fixtures"
	"github.com/ledgerlens/ledgerlens/pipeline/inputs"
	"github.com/ledgerlens/ledgerlens/pipeline/job"
	"github.com/ledgerlens/ledgerlens/reports"
)

// fixtureDir is a working root generated once for the package's tests;
// tests copy it so each has its own state.
var fixtureDir string

// fixtureRuns keeps the package's tests quick while leaving every injected
// case in place (their counts do not depend on Runs).
const fixtureRuns = 50000

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "ledgerlens-fixture-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fixtureDir = dir
	_, err = fixtures.Generate(context.Background(), fixtures.Options{
		Runs: fixtureRuns, Weeks: 8, Start: time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC), Seed: 1, Out: dir,
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "generate fixtures:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func expected(t testing.TB) fixtures.Expected {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(fixtureDir, "expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	var e fixtures.Expected
	if err := json.Unmarshal(data, &e); err != nil {
		t.Fatal(err)
	}
	return e
}

// copyRoot copies the generated working root into a fresh directory.
func copyRoot(t testing.TB) string {
	t.Helper()
	dst := t.TempDir()
	err := filepath.Walk(fixtureDir, func(path string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(fixtureDir, path)
		target := filepath.Join(dst, rel)
		if info.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

func testEnv(root string) job.Env {
	return job.Env{
		Layout:  inputs.NewLayout(root),
		Log:     slog.New(slog.NewTextHandler(io.Discard, nil)),
		Now:     time.Now,
		Version: "test",
		Command: "test",
	}
}

// runWeekly runs the weekly job on a copy of the fixtures, which end it
// with exactly the integrity problem of their planted conflicting
// duplicate (wantPlanted).
func runWeekly(t testing.TB, root string, opts WeeklyOptions) *WeeklyResult {
	t.Helper()
	res, err := RunWeekly(context.Background(), testEnv(root), opts)
	wantPlanted(t, err)
	return res
}

// wantPlanted fails unless err is the integrity error (exit 4) the
// fixtures' planted conflicting duplicate causes until it is
// acknowledged: one problem per planted line, naming that line and its run
// id, and nothing else.
func wantPlanted(t testing.TB, err error) {
	t.Helper()
	e := expected(t)
	var ie *job.IntegrityError
	if !errors.As(err, &ie) {
		t.Fatalf("want the planted conflicting duplicate as an integrity error, got %v", err)
	}
	if len(ie.Problems) != len(e.Ledger.DuplicateConflicting) {
		t.Fatalf("integrity problems %q, want one per planted conflicting duplicate (lines %v)", ie.Problems, e.Ledger.DuplicateConflicting)
	}
	for i, line := range e.Ledger.DuplicateConflicting {
		p := ie.Problems[i]
		if !strings.Contains(p, fmt.Sprintf("line %d repeats run id %q", line, e.Ledger.DuplicateConflictingRunIDs[i])) ||
			!strings.Contains(p, fmt.Sprintf("--range %d-%d", line, line)) {
			t.Fatalf("integrity problem %q does not name planted line %d (%s) and its fix", p, line, e.Ledger.DuplicateConflictingRunIDs[i])
		}
	}
}

// acknowledgePlanted ingests a signed copy of the fixtures and
// acknowledges their planted conflicting duplicates, as an operator would,
// so that jobs on it end 0.
func acknowledgePlanted(t testing.TB, env job.Env) {
	t.Helper()
	_, err := RunIngest(context.Background(), env, "")
	wantPlanted(t, err)
	for _, line := range expected(t).Ledger.DuplicateConflicting {
		if _, err := AcknowledgeLedger(context.Background(), env, AcknowledgeOptions{LineFrom: line, LineTo: line,
			By: "test", Reason: "planted by the fixtures"}); err != nil {
			t.Fatal(err)
		}
	}
}

func readReport(t testing.TB, path string) *reports.Weekly {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var w reports.Weekly
	if err := json.Unmarshal(data, &w); err != nil {
		t.Fatal(err)
	}
	return &w
}

// violationKeys returns, per violation type, the sorted identifiers (run,
// else case, else scenario) the report raised.
func violationKeys(w *reports.Weekly) map[string][]string {
	out := map[string][]string{}
	for _, v := range w.PolicyViolations {
		id := ""
		switch {
		case v.Type == "sla_breach" || v.Type == "rerun_without_approval" || v.Type == "stale_case" || v.Type == "missing_root_cause":
			id = deref(v.CaseID)
		case v.RunID != nil:
			id = *v.RunID
		case v.ScenarioID != nil:
			id = *v.ScenarioID
		}
		out[v.Type] = append(out[v.Type], id)
	}
	for k := range out {
		sort.Strings(out[k])
	}
	return out
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func near(a, b float64) bool { return math.Abs(a-b) < 0.006 }

func TestWeeklyFindsEveryInjection(t *testing.T) {
	e := expected(t)
	inj := e.Injections
	root := copyRoot(t)
	res := runWeekly(t, root, WeeklyOptions{Week: e.FocusWeek, Unsigned: true})
	w := readReport(t, res.JSONPath)

	t.Run("data quality", func(t *testing.T) {
		dq := w.DataQuality
		if dq.LinesRead != e.Ledger.LinesRead || dq.Loaded != e.Ledger.Loaded || dq.Rejected != e.Ledger.Rejected ||
			dq.Duplicates != e.Ledger.Duplicates || dq.PartialTailBytes != e.Ledger.PartialTailBytes {
			t.Fatalf("data quality %+v, want %+v", dq, e.Ledger)
		}
		if dq.DuplicatesByKind["duplicate_identical"] != int64(len(e.Ledger.DuplicateIdentical)) ||
			dq.DuplicatesByKind["duplicate_conflicting"] != int64(len(e.Ledger.DuplicateConflicting)) {
			t.Fatalf("duplicates by kind %v", dq.DuplicatesByKind)
		}
		var lines []int64
		var ids []string
		for _, d := range dq.ConflictingDuplicates {
			lines, ids = append(lines, d.LineNo), append(ids, d.RunID)
			if d.Acknowledgment != nil {
				t.Errorf("conflicting duplicate at line %d acknowledged without an acknowledgment: %+v", d.LineNo, d.Acknowledgment)
			}
		}
		if !slices.Equal(lines, e.Ledger.DuplicateConflicting) || !slices.Equal(ids, e.Ledger.DuplicateConflictingRunIDs) {
			t.Fatalf("conflicting duplicates at lines %v (%v), want %v (%v)", lines, ids, e.Ledger.DuplicateConflicting, e.Ledger.DuplicateConflictingRunIDs)
		}
		// Every malformed line is a reject at its line and offset, with its code.
		data, err := os.ReadFile(res.RejectsPath)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, l := range strings.Split(strings.TrimSpace(string(data)), "\n") {
			var r reports.Reject
			if err := json.Unmarshal([]byte(l), &r); err != nil {
				t.Fatal(err)
			}
			code, _, _ := strings.Cut(r.Reason, ":")
			got = append(got, fmt.Sprintf("%d@%d:%s", r.LineNo, r.ByteOffset, code))
		}
		var want []string
		for _, r := range e.Ledger.Rejects {
			want = append(want, fmt.Sprintf("%d@%d:%s", r.LineNo, r.ByteOffset, r.Code))
		}
		if !slices.Equal(got, want) {
			t.Fatalf("rejects\n got %v\nwant %v", got, want)
		}
		if dq.AppendOnly.Status != "ok" {
			t.Fatalf("append-only %+v", dq.AppendOnly)
		}
	})

	t.Run("summary", func(t *testing.T) {
		s := w.SummaryStats
		if s.TotalRuns != e.Focus.TotalRuns || !near(s.TotalCredits, e.Focus.TotalCredits) || s.FailedRuns != e.Focus.FailedRuns {
			t.Fatalf("summary %+v, want %+v", s, e.Focus)
		}
	})

	keys := violationKeys(w)
	t.Run("violations", func(t *testing.T) {
		tests := []struct {
			typ  string
			want []string
		}{
			{"sev0_not_quarantined", []string{inj.UnquarantinedSEV0.RunID}},
			{"missing_case", []string{inj.SEV1WithoutCase.RunID}},
			{"severity_mismatch", []string{inj.SeverityMismatch.RunID}},
			{"stale_case", []string{inj.StaleCase.CaseID}},
			{"sla_breach", []string{inj.SLABreachCase.CaseID}},
			{"rerun_without_approval", []string{inj.RerunWithoutApproval.CaseID}},
			{"missing_root_cause", []string{inj.MissingRootCause.CaseID}},
			{"missing_baseline", []string{inj.MissingBaseline.ScenarioID, inj.FirstBaseline.ScenarioID}},
			{"duplicate_conflicting", e.Ledger.DuplicateConflictingRunIDs},
		}
		for _, tt := range tests {
			want := append([]string{}, tt.want...)
			sort.Strings(want)
			if !slices.Equal(keys[tt.typ], want) {
				t.Errorf("%s: got %v, want exactly %v", tt.typ, keys[tt.typ], want)
			}
		}
		var drifting []string
		for _, d := range inj.DriftSignificant {
			drifting = append(drifting, d.ScenarioID)
		}
		if inj.DriftMix.Status == "significant" {
			drifting = append(drifting, "scenario_mix")
		}
		sort.Strings(drifting)
		if !slices.Equal(keys["drift_significant"], drifting) {
			t.Errorf("drift_significant: got %v, want %v", keys["drift_significant"], drifting)
		}
		if len(keys["ledger_modified"]) != 0 {
			t.Errorf("unexpected ledger_modified: %v", keys["ledger_modified"])
		}
	})

	t.Run("spike runs", func(t *testing.T) {
		byRun := map[string]reports.SpikeRun{}
		for _, s := range w.SpikeRuns {
			byRun[s.RunID] = s
		}
		for _, ref := range []fixtures.LikelihoodRef{inj.RetryLoopMisconfig, inj.LegitBackfill} {
			s, ok := byRun[ref.RunID]
			if !ok {
				t.Fatalf("run %s is not among the spike runs", ref.RunID)
			}
			if s.MisconfigLikelihood != ref.MisconfigLikelihood || deref(s.Severity) != ref.Severity {
				t.Errorf("run %s: likelihood %s severity %s, want %s %s", ref.RunID, s.MisconfigLikelihood, deref(s.Severity), ref.MisconfigLikelihood, ref.Severity)
			}
		}
		if s := byRun[inj.UnquarantinedSEV0.RunID]; deref(s.Severity) != "SEV0" || deref(s.CaseID) != inj.UnquarantinedSEV0.CaseID {
			t.Errorf("SEV0 spike %+v", s)
		}
		for i := 1; i < len(w.SpikeRuns); i++ {
			if *w.SpikeRuns[i-1].VarianceMultiplier < *w.SpikeRuns[i].VarianceMultiplier {
				t.Fatalf("spike runs not sorted by multiplier at %d", i)
			}
		}
		if len(w.TopSpikeRuns) != min(10, len(w.SpikeRuns)) {
			t.Errorf("top_spike_runs has %d", len(w.TopSpikeRuns))
		}
	})

	t.Run("baseline candidates", func(t *testing.T) {
		var got []string
		byID := map[string]reports.BaselineCandidate{}
		for _, c := range w.BaselineCandidates {
			got = append(got, c.ScenarioID)
			byID[c.ScenarioID] = c
		}
		if !slices.Equal(got, inj.BaselineCandidates) {
			t.Fatalf("candidates %v, want %v", got, inj.BaselineCandidates)
		}
		for _, want := range inj.CandidateDetails {
			c := byID[want.ScenarioID]
			if c.RunCount != want.RunCount || !near(c.CV, want.CV) || !near(c.AvgCredits, want.AvgCredits) ||
				c.ProposedBaseline == nil || !near(*c.ProposedBaseline, want.ProposedBaseline) ||
				c.SampleSize != want.SampleSize || c.Review != want.Review {
				t.Errorf("candidate %s: got %+v, want %+v", want.ScenarioID, c, want)
			}
		}
		for _, id := range []string{inj.NearMiss.CV, inj.NearMiss.RunCount, inj.NearMiss.SEV1, inj.NearMiss.Multiplier} {
			if _, ok := byID[id]; ok {
				t.Errorf("near miss %s became a candidate", id)
			}
		}
	})

	t.Run("drift", func(t *testing.T) {
		byID := map[string]reports.Drift{}
		for _, d := range w.Drift {
			byID[d.ScenarioID] = d
		}
		for _, want := range append(append([]fixtures.DriftTruth{}, inj.DriftSignificant...), inj.DriftStable...) {
			d := byID[want.ScenarioID]
			if d.PSI == nil || math.Abs(*d.PSI-want.PSI) > 0.00011 || d.Status != want.Status ||
				d.CurrentRuns != want.CurrentRuns || d.ReferenceRuns != want.ReferenceRuns {
				t.Errorf("drift %s: got %+v (psi %v), want %+v", want.ScenarioID, d, d.PSI, want)
			}
		}
		if w.DriftMix.Status != inj.DriftMix.Status || w.DriftMix.PSI == nil || math.Abs(*w.DriftMix.PSI-inj.DriftMix.PSI) > 0.00011 {
			t.Errorf("drift mix %+v, want %+v", w.DriftMix, inj.DriftMix)
		}
	})

	t.Run("reliability", func(t *testing.T) {
		scen := map[string]reports.ScenarioReliability{}
		for _, s := range w.Reliability.Scenarios {
			scen[s.ScenarioID] = s
		}
		for _, want := range inj.Recovery {
			s, ok := scen[want.ScenarioID]
			if !ok || s.FailureStreaks != want.FailureStreaks || s.RecoveryP50Minutes == nil ||
				!near(*s.RecoveryP50Minutes, want.P50) || !near(*s.RecoveryP95Minutes, want.P95) ||
				!near(*s.RecoveryMaxMinutes, want.Max) || !near(s.AvailabilityPct, want.AvailabilityPct) {
				t.Errorf("recovery %s: got %+v, want %+v", want.ScenarioID, s, want)
			}
		}
		svc := map[string]reports.ServiceReliability{}
		for _, s := range w.Reliability.Services {
			svc[s.Service] = s
		}
		b, want := svc[inj.SLOBreach.Service], inj.SLOBreach
		if !near(b.DowntimeMinutes, want.DowntimeMinutes) || !near(b.DowntimeMTDMinutes, want.DowntimeMTDMinutes) ||
			!near(b.UptimePct, want.UptimePct) || !near(b.UptimeMTDPct, want.UptimeMTDPct) ||
			!near(b.ErrorBudgetMinutes, want.ErrorBudgetMinutes) || !near(b.BudgetConsumedPct, want.BudgetConsumedPct) ||
			b.Freeze != want.Freeze || !slices.Equal(b.RTOBreaches, want.RTOBreaches) || b.Incidents != want.Incidents ||
			b.RTOMaxMinutes == nil || !near(*b.RTOMaxMinutes, want.RTOMaxMinutes) ||
			b.RPOSeconds == nil || !near(*b.RPOSeconds, want.RPOSeconds) {
			t.Errorf("SLO breach service:\n got %+v\nwant %+v", b, want)
		}
		h := svc[inj.HealthyService.Service]
		if h.Freeze || !near(h.UptimePct, inj.HealthyService.UptimePct) || h.Incidents != inj.HealthyService.Incidents {
			t.Errorf("healthy service %+v, want %+v", h, inj.HealthyService)
		}
	})
}

// TestWeeklyModelSurvivesItsCheckpoint: the weekly job checkpoints its
// model as JSON and renders a fresh run from the model in memory and the
// checkpointed bytes, a resumed run from the decoded checkpoint; both must
// publish the same bytes, so the encoding must lose nothing. Checked on
// the fixture's full model, whose sections are all populated.
func TestWeeklyModelSurvivesItsCheckpoint(t *testing.T) {
	e := expected(t)
	res := runWeekly(t, copyRoot(t), WeeklyOptions{Week: e.FocusWeek, Unsigned: true})
	b, err := json.Marshal(res.Report)
	if err != nil {
		t.Fatal(err)
	}
	var decoded reports.Weekly
	if err := json.Unmarshal(b, &decoded); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(*res.Report, decoded) {
		want, _ := reports.MarshalWeekly(res.Report)
		got, _ := reports.MarshalWeekly(&decoded)
		t.Fatalf("the model decoded from its checkpoint differs from the model (rendered equal: %t)", bytes.Equal(want, got))
	}
	// The published JSON was indented from the checkpointed bytes; it must
	// be what encoding the model afresh gives.
	published, err := os.ReadFile(res.JSONPath)
	if err != nil {
		t.Fatal(err)
	}
	if want, err := reports.MarshalWeekly(res.Report); err != nil || !bytes.Equal(published, want) {
		t.Fatalf("the published JSON differs from MarshalWeekly of the model (%v)", err)
	}
	if len(res.Report.SpikeRuns) == 0 || len(res.Report.PolicyViolations) == 0 || len(res.Report.Drift) == 0 {
		t.Fatal("the fixture's model lacks sections; the check would prove little")
	}
}

// rootWithLedger copies the fixtures' working root and reads its ledger.
func rootWithLedger(t testing.TB) (e fixtures.Expected, root string, l inputs.Layout, ledger []byte) {
	t.Helper()
	e, root = expected(t), copyRoot(t)
	l = inputs.NewLayout(root)
	ledger, err := os.ReadFile(l.Ledger)
	if err != nil {
		t.Fatal(err)
	}
	return e, root, l, ledger
}

func TestLateArrivalsFlagPublishedWeek(t *testing.T) {
	e, root, l, full := rootWithLedger(t)
	// The previous week's report is published from the ledger as it was
	// before the late lines were appended.
	if err := os.WriteFile(l.Ledger, full[:e.Injections.LateArrivals.PublishedAtBytes], 0o644); err != nil {
		t.Fatal(err)
	}
	prev := runWeekly(t, root, WeeklyOptions{Week: e.PreviousWeek, Unsigned: true})
	if err := os.WriteFile(l.Ledger, full, 0o644); err != nil {
		t.Fatal(err)
	}
	res := runWeekly(t, root, WeeklyOptions{Week: e.FocusWeek, Unsigned: true})
	w := readReport(t, res.JSONPath)
	want := e.Injections.LateArrivals
	if len(w.DataQuality.LateArrivals) != 1 {
		t.Fatalf("late arrivals %+v, want one entry for %s", w.DataQuality.LateArrivals, want.Week)
	}
	got := w.DataQuality.LateArrivals[0]
	if got.Week != want.Week || got.Count != want.Count || !near(got.Credits, want.Credits) ||
		got.PublishedFile != filepath.Base(prev.JSONPath) {
		t.Fatalf("late arrivals %+v, want %+v", got, want)
	}
	// Re-running the previous week now gives a different result, refused
	// without --supersede; with it, revision 2 names what it supersedes.
	_, err := RunWeekly(context.Background(), testEnv(root), WeeklyOptions{Week: e.PreviousWeek, Unsigned: true})
	if !errors.Is(err, reports.ErrAlreadyPublished) || !strings.Contains(err.Error(), "--supersede") {
		t.Fatalf("re-run of a week with late arrivals: %v", err)
	}
	r2 := runWeekly(t, root, WeeklyOptions{Week: e.PreviousWeek, Unsigned: true, Supersede: true})
	w2 := readReport(t, r2.JSONPath)
	if r2.Revision != 2 || deref(w2.Supersedes) != filepath.Base(prev.JSONPath) || !strings.Contains(r2.JSONPath, ".r2.json") {
		t.Fatalf("supersede: revision %d, supersedes %v, path %s", r2.Revision, w2.Supersedes, r2.JSONPath)
	}
}

func TestWeeklyIsDeterministicAndWriteOnce(t *testing.T) {
	e := expected(t)
	a, b := copyRoot(t), copyRoot(t)
	ra := runWeekly(t, a, WeeklyOptions{Week: e.FocusWeek, Unsigned: true})
	rb := runWeekly(t, b, WeeklyOptions{Week: e.FocusWeek, Unsigned: true})
	ja, _ := os.ReadFile(ra.JSONPath)
	jb, _ := os.ReadFile(rb.JSONPath)
	if !bytes.Equal(ja, jb) || len(ja) == 0 {
		t.Fatal("two runs in different directories gave different JSON")
	}
	xa, _ := os.ReadFile(ra.XLSXPath)
	xb, _ := os.ReadFile(rb.XLSXPath)
	if !bytes.Equal(xa, xb) {
		t.Error("two runs in different directories gave different workbooks")
	}

	again := runWeekly(t, a, WeeklyOptions{Week: e.FocusWeek, Unsigned: true})
	if !again.Noop {
		t.Fatal("re-run with identical inputs was not a no-op")
	}
	after, _ := os.ReadFile(ra.JSONPath)
	if !bytes.Equal(after, ja) {
		t.Fatal("no-op re-run changed the published JSON")
	}
	// Another release of ledgerlens finding the same (the report names
	// its generator's version): a no-op too. A re-run after an upgrade
	// failed, "this run's result differs", until --supersede published a
	// revision 2 equal to revision 1 but for the version.
	upgraded := testEnv(a)
	upgraded.Version = "test-upgraded"
	res, err := RunWeekly(context.Background(), upgraded, WeeklyOptions{Week: e.FocusWeek, Unsigned: true})
	wantPlanted(t, err)
	if res == nil || !res.Noop {
		t.Fatalf("re-run by another version with identical inputs was not a no-op: %v", err)
	}
	if after, _ := os.ReadFile(ra.JSONPath); !bytes.Equal(after, ja) {
		t.Fatal("re-run by another version changed the published JSON")
	}

	// A changed input: the first baseline's median moves.
	l := inputs.NewLayout(a)
	bl, err := os.ReadFile(l.Baselines)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(bl, &doc); err != nil {
		t.Fatal(err)
	}
	entry := doc["baselines"].([]any)[0].(map[string]any)
	entry["median_credits"] = entry["median_credits"].(float64) * 3
	changed, _ := json.MarshalIndent(doc, "", "  ")
	if err := os.WriteFile(l.Baselines, changed, 0o644); err != nil {
		t.Fatal(err)
	}
	before := dirState(t, l.ReviewsDir)
	_, err = RunWeekly(context.Background(), testEnv(a), WeeklyOptions{Week: e.FocusWeek, Unsigned: true})
	if !errors.Is(err, reports.ErrAlreadyPublished) || !strings.Contains(err.Error(), "--supersede") {
		t.Fatalf("changed input without --supersede: %v", err)
	}
	if after := dirState(t, l.ReviewsDir); after != before {
		t.Fatalf("a refused run changed the output directory:\n%s\n---\n%s", before, after)
	}
}

// dirState lists a directory's files with sizes, modification times and
// hashes: any write shows up.
func dirState(t testing.TB, dir string) string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, en := range entries {
		info, _ := en.Info()
		data, _ := os.ReadFile(filepath.Join(dir, en.Name()))
		fmt.Fprintf(&b, "%s %d %d %s\n", en.Name(), info.Size(), info.ModTime().UnixNano(), reports.SHA256Hex(data))
	}
	return b.String()
}

func TestBadInputsBlockTheJob(t *testing.T) {
	e := expected(t)
	tests := []struct {
		name    string
		file    func(l inputs.Layout) string
		content func(old []byte) []byte
		want    []string // substrings of the error
	}{
		{
			name: "invalid policy",
			file: func(l inputs.Layout) string { return l.Policy },
			content: func(old []byte) []byte {
				return bytes.Replace(old, []byte(`"multiplier": 2,`), []byte(`"multiplier": 7,`), 1)
			},
			want: []string{"sintraprime-policy.json", "sev2"},
		},
		{
			name: "negative baseline",
			file: func(l inputs.Layout) string { return l.Baselines },
			content: func(old []byte) []byte {
				var doc map[string]any
				json.Unmarshal(old, &doc)
				doc["baselines"].([]any)[2].(map[string]any)["median_credits"] = -4.5
				out, _ := json.MarshalIndent(doc, "", "  ")
				return out
			},
			want: []string{"credit-baselines.json", "baselines[2].median_credits"},
		},
		{
			name: "broken case line",
			file: func(l inputs.Layout) string { return l.Cases },
			content: func(old []byte) []byte {
				lines := bytes.SplitAfter(old, []byte("\n"))
				lines[2] = []byte("{\"Case_ID\": \"CASE-X\", \n")
				return bytes.Join(lines, nil)
			},
			want: []string{"cases.jsonl:3"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := copyRoot(t)
			l := inputs.NewLayout(root)
			old, err := os.ReadFile(tt.file(l))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(tt.file(l), tt.content(old), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err = RunWeekly(context.Background(), testEnv(root), WeeklyOptions{Week: e.FocusWeek, Unsigned: true})
			var blocked *job.BlockedError
			if !errors.As(err, &blocked) {
				t.Fatalf("want a blocked job, got %v", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not name %q", err, w)
				}
			}
			if entries, _ := os.ReadDir(l.ReviewsDir); len(entries) != 0 {
				t.Fatalf("a blocked job wrote %d files", len(entries))
			}
		})
	}
}

// TestMissingLedgerIsAnError: a failed mount or a renamed ledger must
// never look like "no runs": the job fails naming the path and publishes
// nothing.
func TestMissingLedgerIsAnError(t *testing.T) {
	root := copyRoot(t)
	l := inputs.NewLayout(root)
	if err := os.Remove(l.Ledger); err != nil {
		t.Fatal(err)
	}
	_, err := RunWeekly(context.Background(), testEnv(root), WeeklyOptions{Week: expected(t).FocusWeek, Unsigned: true})
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), l.Ledger) {
		t.Fatalf("err = %v, want a missing-ledger error naming %s", err, l.Ledger)
	}
	if entries, _ := os.ReadDir(l.ReviewsDir); len(entries) != 0 {
		t.Fatalf("a job without its ledger published %d files", len(entries))
	}
}

func TestEmptyLedgerGivesEmptyValidReport(t *testing.T) {
	root := copyRoot(t)
	l := inputs.NewLayout(root)
	if err := os.WriteFile(l.Ledger, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := RunWeekly(context.Background(), testEnv(root), WeeklyOptions{Week: "2026-11-16", Unsigned: true})
	if err != nil {
		t.Fatal(err)
	}
	w := readReport(t, res.JSONPath)
	if w.SummaryStats.TotalRuns != 0 || len(w.Scenarios) != 0 || w.DataQuality.LinesRead != 0 {
		t.Fatalf("report of a missing ledger is not empty: %+v", w.SummaryStats)
	}
	if len(w.Notes) == 0 || !strings.Contains(strings.Join(w.Notes, " "), "no runs") {
		t.Fatalf("report does not say it is empty: %v", w.Notes)
	}
	if w.TopSpikeRuns == nil || w.PolicyViolations == nil || w.BaselineCandidates == nil {
		t.Fatal("empty sections must render as [], not null")
	}
}

// TestCreditsBeyondRangeAreRejected appends, in the focus week, a run that
// records 1e35 credits. The review sums credits exactly; such a value
// overflowed that sum and failed the job on an engine error naming no
// line. It must be a reject like any other bad value: recorded with its
// line, published in the cumulative rejects, and the job otherwise the
// fixtures' usual one.
func TestCreditsBeyondRangeAreRejected(t *testing.T) {
	e, root, l, full := rootWithLedger(t)
	// Before the partial last line, which is still being written.
	cut := bytes.LastIndexByte(full, '\n') + 1
	monday, err := time.Parse(time.DateOnly, e.FocusWeek)
	if err != nil {
		t.Fatal(err)
	}
	huge := fmt.Sprintf(`{"Run_ID":"RUN-HUGE","Timestamp":%q,"Scenario_ID":"SCN-HUGE","Credits_Total":1e35}`+"\n",
		monday.Add(30*time.Hour).Format(time.RFC3339))
	line := int64(bytes.Count(full[:cut], []byte{'\n'})) + 1
	ledger := append(append(append([]byte{}, full[:cut]...), huge...), full[cut:]...)
	if err := os.WriteFile(l.Ledger, ledger, 0o644); err != nil {
		t.Fatal(err)
	}
	res := runWeekly(t, root, WeeklyOptions{Week: e.FocusWeek, Unsigned: true})
	if res == nil {
		t.Fatal("the job published nothing")
	}
	w := readReport(t, res.JSONPath)
	if w.DataQuality.Rejected != e.Ledger.Rejected+1 {
		t.Errorf("rejected %d, want the fixtures' %d and the huge run", w.DataQuality.Rejected, e.Ledger.Rejected)
	}
	rejects, err := os.ReadFile(filepath.Join(filepath.Dir(res.JSONPath), "rejects_cumulative_"+e.FocusWeek+".jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, raw := range bytes.Split(bytes.TrimSpace(rejects), []byte{'\n'}) {
		var r reports.Reject
		if err := json.Unmarshal(raw, &r); err != nil {
			t.Fatal(err)
		}
		if r.LineNo == line {
			found = strings.HasPrefix(r.Reason, "credits_out_of_range")
			if !found {
				t.Errorf("line %d rejected as %q, want credits_out_of_range", line, r.Reason)
			}
		}
	}
	if !found {
		t.Errorf("line %d (credits 1e35) is not among the published rejects", line)
	}
}
