package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ledgerlens/ledgerlens/fixtures"
)

// TestOperatorCommands runs the everyday commands in process on one
// working root, in the order an operator would: what each prints and how
// each exits.
func TestOperatorCommands(t *testing.T) {
	root := copyFixture(t)
	in := func(args ...string) []string { return append([]string{"--root", root}, args...) }

	ing := mustRunIn(t, in("ingest")...)
	if !strings.HasPrefix(ing.stdout, "event=") || !strings.Contains(ing.stdout, "loaded=") {
		t.Errorf("ingest printed %q", ing.stdout)
	}
	again := mustRunIn(t, in("--log-format", "json", "--log-level", "debug", "ingest")...)
	if !strings.Contains(again.stdout, "loaded=0") || !strings.Contains(again.stderr, `"msg":"ingest timings"`) {
		t.Errorf("second ingest printed %q, logged %q", again.stdout, again.stderr)
	}

	if r := mustRunIn(t, in("verify", "ledger")...); !strings.HasPrefix(r.stdout, "OK ") {
		t.Errorf("verify ledger printed %q", r.stdout)
	}
	if r := mustRunIn(t, in("audit", "verify")...); !strings.Contains(r.stdout, "entries, head seq") {
		t.Errorf("audit verify printed %q", r.stdout)
	}

	mustRunIn(t, in("keys", "generate")...)
	if r := runInProcess(t, in("keys", "generate")...); r.code != exitFailed {
		t.Errorf("a second keys generate must refuse to replace the key: exit %d", r.code)
	}
	week := mustRunIn(t, in("report", "weekly", "--week", focusWeek)...)
	if !strings.Contains(week.stdout, "weekly review "+focusWeek+": published (revision 1)") {
		t.Errorf("report weekly printed %q", week.stdout)
	}
	jsonPath := filepath.Join(reviews(root), "weekly_"+focusWeek+".json")
	xlsxPath := filepath.Join(reviews(root), "weekly_"+focusWeek+".xlsx")
	if r := mustRunIn(t, in("verify", jsonPath, xlsxPath)...); strings.Count(r.stdout, "OK ") != 2 {
		t.Errorf("verify printed %q", r.stdout)
	}
	prom := filepath.Join(t.TempDir(), "m.prom") // outside the root (TestCarelessMetricsFile)
	noop := runInProcess(t, in("report", "weekly", "--week", focusWeek, "--fail-on", "SEV1", "--metrics-file", prom)...)
	if noop.code != exitFindings || !strings.Contains(noop.stdout, "no-op") {
		t.Errorf("re-run with --fail-on SEV1: exit %d\n%s%s", noop.code, noop.stdout, noop.stderr)
	}
	if data, err := os.ReadFile(prom); err != nil || !strings.Contains(string(data), `job="weekly-review"`) {
		t.Errorf("--metrics-file: %v\n%s", err, data)
	}

	// A tampered file: verify names it and exits 4, as for any integrity
	// problem; the audit log, edited, no longer verifies. A key that is not
	// there is a check that could not run: exit 1.
	flipByte(t, xlsxPath)
	if r := runInProcess(t, in("verify", jsonPath, xlsxPath)...); r.code != exitIntegrity || !strings.Contains(r.stdout, "FAILED  "+xlsxPath) {
		t.Errorf("tampered xlsx: exit %d\n%s", r.code, r.stdout)
	}
	if r := runInProcess(t, in("verify", "--pubkey", filepath.Join(root, "nope.pub"), jsonPath)...); r.code != exitFailed {
		t.Errorf("missing --pubkey: exit %d", r.code)
	}
	auditCopy := filepath.Join(t.TempDir(), "audit.jsonl")
	data, err := os.ReadFile(filepath.Join(root, ".ledgerlens", "audit.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(auditCopy, []byte(strings.Replace(string(data), `"job":"ingest"`, `"job":"ingesT"`, 1)), 0o644)
	if r := runInProcess(t, in("audit", "verify", auditCopy)...); r.code != exitIntegrity {
		t.Errorf("edited audit log: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	for _, args := range [][]string{
		{"query", "--format", "json", "SELECT severity, count(*) AS runs FROM runs GROUP BY 1 ORDER BY 1 NULLS FIRST"},
		{"query", "--format", "csv", "SELECT run_id, credits_total FROM runs ORDER BY 1 LIMIT 3"},
		{"query", "SELECT scenario_id, max(\"timestamp\") AS last, any_value(risk_flags) AS flags FROM runs GROUP BY 1 ORDER BY 1 LIMIT 3"},
	} {
		r := mustRunIn(t, in(args...)...)
		if r.stdout == "" {
			t.Errorf("%v printed nothing", args)
		}
		if args[1] == "json" {
			var rows []map[string]any
			if err := json.Unmarshal([]byte(r.stdout), &rows); err != nil || len(rows) == 0 {
				t.Errorf("query json: %v\n%s", err, r.stdout)
			}
		}
	}

	list := mustRunIn(t, in("schedule", "list", "-n", "2")...)
	for _, job := range []string{"weekly-review", "integrity-check", "sla-report"} {
		if !strings.Contains(list.stdout, job) {
			t.Errorf("schedule list lacks %s:\n%s", job, list.stdout)
		}
	}
	if strings.Count(list.stdout, "  next  ") != 6 {
		t.Errorf("schedule list -n 2 shows %d fire times, want 6:\n%s", strings.Count(list.stdout, "  next  "), list.stdout)
	}
	if r := mustRunIn(t, in("schedule", "crontab")...); !strings.Contains(r.stdout, "verify all --quiet") {
		t.Errorf("crontab printed %q", r.stdout)
	}
	if r := mustRunIn(t, in("schedule", "crontab", "--systemd")...); !strings.Contains(r.stdout, "OnCalendar=") {
		t.Errorf("crontab --systemd printed %q", r.stdout)
	}
}

// TestDemo builds a demo root in process from a small fixture: every
// stage reports, and a second run finds the report already published.
func TestDemo(t *testing.T) {
	out := filepath.Join(t.TempDir(), "demo")
	r := mustRunIn(t, "demo", "--out", out, "--runs", "3000")
	for _, want := range []string{"== fixtures", "created key", "== weekly review", "OK  audit chain", "== headline findings"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("demo output lacks %q:\n%s", want, r.stdout)
		}
	}
	r = mustRunIn(t, "demo", "--out", out, "--runs", "3000")
	if !strings.Contains(r.stdout, "kept the fixtures") || !strings.Contains(r.stdout, "no-op") {
		t.Errorf("second demo run:\n%s", r.stdout)
	}
	// A line appended to its ledger since: a run with the same options
	// keeps the fixtures as they are (it generated them again, dropping
	// the line: a second outside review); the week's result then differs
	// from the one published, which it says.
	ledgerFile := filepath.Join(out, "runs", "CREDIT_MONITORING", "ledger.jsonl")
	f, err := os.OpenFile(ledgerFile, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(`{"Run_ID":"RUN-APPENDED"}` + "\n"); err != nil {
		t.Fatal(err)
	}
	f.Close()
	grown := readFile(t, ledgerFile)
	if r := runInProcess(t, "demo", "--out", out, "--runs", "3000"); !strings.Contains(r.stdout, "kept the fixtures") || !strings.Contains(r.stderr, "already published and this run's result differs") {
		t.Errorf("demo run over a grown ledger: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if !bytes.Equal(readFile(t, ledgerFile), grown) {
		t.Errorf("the demo run rewrote the ledger")
	}
	// Other options over it would regenerate the ledger its reports were
	// published from: the run ended 4, a modified ledger, where the help
	// said "safe to re-run" (an outside review). Refused, exit 2, nothing
	// written.
	before := readFile(t, ledgerFile)
	if r := runInProcess(t, "demo", "--out", out, "--runs", "4000"); r.code != exitUsage || !strings.Contains(r.stderr, "holds a demo of 3000 runs") {
		t.Errorf("demo with other options over a demo: exit %d, want %d\n%s%s", r.code, exitUsage, r.stdout, r.stderr)
	}
	if !bytes.Equal(readFile(t, ledgerFile), before) {
		t.Errorf("the refused demo changed the ledger")
	}
}

// TestDemoRefusesALiveRoot: demo --out pointed at a working root that is
// not an earlier demo replaced its ledger with the fixtures' (the runs it
// recorded were gone, and the exit status came after the damage). It is
// refused before anything is written.
func TestDemoRefusesALiveRoot(t *testing.T) {
	root := copyFixture(t)
	if err := os.Remove(filepath.Join(root, fixtures.ExpectedPath)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
	ledger := filepath.Join(root, "runs", "CREDIT_MONITORING", "ledger.jsonl")
	if err := os.WriteFile(ledger, []byte(`{"Run_ID":"R-1","Timestamp":"2026-02-24T10:00:00Z","Scenario_ID":"S","Credits_Total":1}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	before, err := os.ReadFile(ledger)
	if err != nil {
		t.Fatal(err)
	}
	r := runInProcess(t, "demo", "--out", root, "--runs", "3000")
	if r.code != 1 || !strings.Contains(r.stderr, "is not an earlier demo root") {
		t.Errorf("demo over a live root: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if after, err := os.ReadFile(ledger); err != nil || !bytes.Equal(after, before) {
		t.Errorf("the live root's ledger changed (%v)", err)
	}
}

// TestRunFunctions calls the commands' run functions directly, as cobra
// does, with the options a command line would set.
func TestRunFunctions(t *testing.T) {
	root := copyFixture(t)
	var out, errb strings.Builder
	a := newApp(&out, &errb)
	a.root = root
	ctx := context.Background()

	if err := runIngest(ctx, a, IngestOptions{}); err != nil || !strings.HasPrefix(out.String(), "event=") {
		t.Fatalf("runIngest: %v\n%s", err, out.String())
	}
	var usage usageError
	if err := runReportWeekly(ctx, a, ReportWeeklyOptions{Week: "2026-11-17"}); !errors.As(err, &usage) {
		t.Errorf("runReportWeekly with a Tuesday: %v, want a usage error", err)
	}
	if err := runReportSLA(ctx, a, ReportSLAOptions{Month: "11/2026"}); !errors.As(err, &usage) {
		t.Errorf("runReportSLA with a bad month: %v, want a usage error", err)
	}
	out.Reset()
	opts := ReportWeeklyOptions{Week: focusWeek}
	opts.unsigned = true
	if err := runReportWeekly(ctx, a, opts); err != nil || !strings.Contains(out.String(), "published (revision 1)") {
		t.Fatalf("runReportWeekly: %v\n%s", err, out.String())
	}
	out.Reset()
	if n, err := runVerifyAll(ctx, a, nil, true, 0); err != nil || n != 0 || !strings.HasSuffix(out.String(), "OK\n") {
		t.Errorf("runVerifyAll: %d problems, %v\n%s", n, err, out.String())
	}
	calc := BaselineCalculateOptions{AsOfText: "2026-03-02T00:00:00Z"}
	calc.ScenarioID = fixtureCandidate(t)
	out.Reset()
	if err := runBaselineCalculate(ctx, a, calc); err != nil || !strings.HasPrefix(out.String(), "Calculated baseline for "+calc.ScenarioID) {
		t.Errorf("runBaselineCalculate: %v\n%s", err, out.String())
	}
}
