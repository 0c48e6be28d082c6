package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// asMainEnv makes the test binary behave as ledgerlens-bench, so the
// harness can run its own `engine` and `profile` subcommands in tests.
const asMainEnv = "LEDGERLENS_BENCH_AS_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(asMainEnv) == "1" {
		os.Exit(realMain(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// TestRunEndToEnd builds ledgerlens and runs the whole harness on a small
// fixture: every phase must run, the engine and the report must agree on
// the top scenarios, and results.json must carry the fields docs/ARCHITECTURE.md, "Performance" names.
func TestRunEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds ledgerlens and runs three weekly jobs; skipped with -short")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "ledgerlens")
	build := exec.Command("go", "build", "-o", bin, "../ledgerlens")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build ledgerlens: %v\n%s", err, out)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cfg := defaultRunConfig()
	cfg.Bin, cfg.Self, cfg.SelfEnv = bin, self, []string{asMainEnv + "=1"}
	cfg.Runs, cfg.Weeks = 20_000, 6
	cfg.DataDir = filepath.Join(dir, "data")
	cfg.Out = filepath.Join(dir, "results.json")
	// -profile re-runs both jobs (fsync-heavy, slow on a busy disk); `make
	// bench BENCH_FLAGS=-profile DIR` exercises it.
	cfg.JQTimeout = time.Minute
	// The pause before each phase is for the host's memory, not for what
	// this test checks: short, but taken.
	cfg.Settle = 10 * time.Millisecond
	if _, err := exec.LookPath("jq"); err != nil {
		cfg.JQ = "none"
	}

	var out bytes.Buffer
	r, err := run(context.Background(), cfg, &out)
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if err := writeResults(cfg.Out, r); err != nil {
		t.Fatal(err)
	}
	t.Logf("\n%s", out.String())

	for _, want := range []string{"(a) engine", "(b) cold weekly job", "(c) warm weekly job", "(d) query after the warm job", "cold_ratio", "warm_peak_rss"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q", want)
		}
	}
	if r.EngineS <= 0 || r.ColdS <= 0 || r.WarmS <= 0 || r.QueryS <= 0 {
		t.Errorf("times engine %v cold %v warm %v query %v, want all positive", r.EngineS, r.ColdS, r.WarmS, r.QueryS)
	}
	for _, phase := range []string{"engine", "cold", "warm"} {
		if r.PeakRSSBytes[phase] < 1<<20 {
			t.Errorf("peak RSS of %s = %d bytes, want a real process's", phase, r.PeakRSSBytes[phase])
		}
	}
	if !r.TopMatches {
		t.Errorf("engine top %v does not match the warm report (notes %v)", topIDs(r.Engine.Top), r.Notes)
	}
	// The floors load what the two jobs loaded: the cold part's bytes and
	// the appended ones add up to the complete lines, and none of it is
	// free; every phase sits beside its floor.
	if f := r.Floor; f == nil {
		t.Errorf("no floors in the results (notes %v)", r.Notes)
	} else {
		if f.Cold.Bytes != r.Fixture.ColdBytes || f.Warm.Bytes <= 0 || f.Cold.Lines+f.Warm.Lines != r.LedgerLines ||
			f.Cold.StoreWriteS <= 0 || f.Warm.StoreWriteS <= 0 || f.Cold.ParseArrowS <= 0 || f.Warm.AppendOnlyCheckS <= 0 {
			t.Errorf("floors %+v: want the cold part's bytes, all lines, positive times", f.floorOutput)
		}
		if len(f.Phases["cold"]) == 0 || len(f.Phases["warm"]) == 0 || f.Phases["cold"][0].Phase != "job ingest step" {
			t.Errorf("phases beside floors: %+v", f.Phases)
		}
	}
	if r.Fixture.ColdBytes <= 0 || r.Fixture.AppendBytes <= 0 || r.Fixture.ColdBytes+r.Fixture.AppendBytes != r.LedgerBytes {
		t.Errorf("cut %d + %d bytes, ledger %d", r.Fixture.ColdBytes, r.Fixture.AppendBytes, r.LedgerBytes)
	}
	for _, job := range []string{"cold", "warm"} {
		st := r.Steps[job]
		if st == nil || st.IngestS <= 0 || st.AnalyseS <= 0 {
			t.Errorf("%s steps %+v, want ingest and analyse times", job, st)
		}
	}
	if r.SettleS != cfg.Settle.Seconds() {
		t.Errorf("settle_s = %v, want %v", r.SettleS, cfg.Settle.Seconds())
	}
	// A pause before each of (a), (b), (c) in the one round, and before
	// the floors.
	for _, before := range []string{"(a)", "(b)", "(c)", "the floors"} {
		if want := "== pause 10ms before " + before + "\n"; strings.Count(out.String(), want) != 1 {
			t.Errorf("output has %d lines %q, want 1", strings.Count(out.String(), want), strings.TrimSpace(want))
		}
	}
	if cfg.JQ != "none" && (r.JQ.Seconds <= 0 || r.JQ.ColdRatio == nil) {
		t.Errorf("jq ran but has no time: %+v", r.JQ)
	}
	if _, err := os.Stat(filepath.Join(cfg.DataDir, "work")); err == nil {
		t.Error("scratch working roots left behind without -keep")
	}

	data, err := os.ReadFile(cfg.Out)
	if err != nil {
		t.Fatal(err)
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(data, &fields); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"engine_s", "cold_s", "warm_s", "query_after_warm_s", "cold_ratio", "warm_ratio", "peak_rss_bytes",
		"cores", "ledger_bytes", "ledger_runs", "go_version", "when", "targets", "jq", "settle_s"} {
		if _, ok := fields[key]; !ok {
			t.Errorf("results.json lacks %s", key)
		}
	}

	// The fixture is cached: a second lookup must not regenerate it.
	marker := filepath.Join(fixtureDir(cfg), markerName)
	before, err := os.Stat(marker)
	if err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	if _, err := ensureFixture(context.Background(), cfg, func(f string, a ...any) { log.WriteString(f) }); err != nil {
		t.Fatal(err)
	}
	after, err := os.Stat(marker)
	if err != nil {
		t.Fatal(err)
	}
	if !after.ModTime().Equal(before.ModTime()) || !strings.Contains(log.String(), "cached") {
		t.Errorf("cached fixture was regenerated (log %q)", log.String())
	}

	// `weeks` on the same fixture: a cold job for 2026-01-26, then its last
	// two weeks one after another, each with a query after it.
	var weeks bytes.Buffer
	if err := cmdWeeks(context.Background(), []string{"-fixture", fixtureDir(cfg), "-bin", bin, "-from", "2026-02-02", "-n", "2",
		"-work", filepath.Join(dir, "weeks")}, &weeks); err != nil {
		t.Fatalf("weeks: %v\n%s", err, weeks.String())
	}
	t.Logf("\n%s", weeks.String())
	rows := strings.Split(strings.TrimSpace(weeks.String()), "\n")
	if len(rows) != 4 || !strings.Contains(rows[1], "2026-01-26 (cold)") || !strings.Contains(rows[2], "2026-02-02") || !strings.Contains(rows[3], "2026-02-09") {
		t.Errorf("weeks printed %q, want a header, the cold week and two weeks", rows)
	}
	// Weeks past the fixture's last are refused, not measured on nothing.
	err = cmdWeeks(context.Background(), []string{"-fixture", fixtureDir(cfg), "-bin", bin, "-from", "2026-02-09", "-n", "2",
		"-work", filepath.Join(dir, "weeks")}, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "past the fixture's last") {
		t.Errorf("weeks past the fixture: %v, want it refused", err)
	}
}

// TestEngineCommand runs phase (a) on a hand-written ledger in both
// spellings: the answer must count every line of the week, whichever
// spelling it uses, and skip malformed ones.
func TestEngineCommand(t *testing.T) {
	dir := t.TempDir()
	ledger := filepath.Join(dir, "ledger.jsonl")
	lines := []string{
		`{"Run_ID":"R1","Timestamp":"2026-02-23T01:00:00Z","Scenario_ID":"A","Credits_Total":10}`,
		`{"run_id":"R2","timestamp":"2026-02-23T02:00:00Z","scenario_id":"A","credits_total":5.5}`,
		`{"run_id":"R3","timestamp":"2026-02-24T00:00:00+02:00","scenario_id":"B","credits_total":7}`,
		`{"Run_ID":"R4","Timestamp":"2026-02-22T23:59:59Z","Scenario_ID":"B","Credits_Total":100}`,
		`{"Run_ID":"R5","Timestamp":"2026-03-02T00:00:00Z","Scenario_ID":"C","Credits_Total":100}`,
		`{"Run_ID":"R6","Timestamp":"2026-02-25T00:00:00Z","Scenario_ID":"C","Credits_Total":1}`,
		"{\"Run_ID\":\"R7\",\"Timestamp\":\"2026-02-25T00:00:00Z\",\"Scenario_ID\":\"\x01C\"",
		`{"run_id":"R8","timestamp":"2026-02-25T00:00:00Z","scenario_id":"B"`,
	}
	if err := os.WriteFile(ledger, []byte(strings.Join(lines, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := cmdEngine(context.Background(), []string{"-db", filepath.Join(dir, "db"), ledger, "2026-02-23"}, &out); err != nil {
		t.Fatal(err)
	}
	var got engineOutput
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("%v: %s", err, out.String())
	}
	want := []engineTop{{"A", 15.5, 2}, {"B", 7, 1}, {"C", 1, 1}}
	if len(got.Top) != len(want) {
		t.Fatalf("top %+v, want %+v", got.Top, want)
	}
	for i := range want {
		if got.Top[i] != want[i] {
			t.Errorf("row %d: %+v, want %+v", i, got.Top[i], want[i])
		}
	}
}

// TestSettle: the pause takes its time, says so, and ends early with its
// context; no pause says nothing; a negative -settle is a usage error.
func TestSettle(t *testing.T) {
	var said []string
	logf := func(f string, a ...any) { said = append(said, fmt.Sprintf(f, a...)) }
	began := time.Now()
	if err := settle(context.Background(), 50*time.Millisecond, logf, "(a)"); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(began); took < 50*time.Millisecond {
		t.Errorf("a 50ms pause took %s", took)
	}
	if err := settle(context.Background(), 0, logf, "(b)"); err != nil {
		t.Fatal(err)
	}
	if len(said) != 1 || said[0] != "pause 50ms before (a)" {
		t.Errorf("said %q, want only the 50ms pause", said)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := settle(ctx, time.Hour, logf, "(c)"); !errors.Is(err, context.Canceled) {
		t.Errorf("a cancelled pause returned %v, want context.Canceled", err)
	}
	for _, args := range [][]string{{"run", "-settle", "-1s"}, {"run", "-settle", "3"}, {"weeks", "-fixture", "x", "-from", "2026-01-05", "-settle", "-1s"}} {
		var stderr bytes.Buffer
		if code := realMain(context.Background(), args, io.Discard, &stderr); code != 2 {
			t.Errorf("%v: exit %d, want 2 (a usage error)\n%s", args, code, stderr.String())
		}
	}
}
