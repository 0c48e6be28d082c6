package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ledgerlens/ledgerlens/schedules"
)

func flipByte(t *testing.T, path string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)/2] ^= 0x20
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestIntegrityNamesEveryTamperedArtifact tampers with two published
// artifacts: `verify all` names both and exits non-zero, and the daily
// integrity job names both and sets the integrity_problem metric.
func TestIntegrityNamesEveryTamperedArtifact(t *testing.T) {
	root := copyFixture(t)
	for _, args := range [][]string{{"keys", "generate"}, {"report", "weekly", "--week", focusWeek}} {
		if r := runInProcess(t, append([]string{"--root", root}, args...)...); r.code != 0 {
			t.Fatalf("%v: exit %d\n%s", args, r.code, r.stderr)
		}
	}
	if r := runInProcess(t, "--root", root, "verify", "all"); r.code != 0 || !strings.HasSuffix(r.stdout, "OK\n") {
		t.Fatalf("untampered: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	tampered := []string{
		filepath.Join(reviews(root), "weekly_"+focusWeek+".json"),
		filepath.Join(reviews(root), "weekly_"+focusWeek+".xlsx"),
	}
	for _, p := range tampered {
		flipByte(t, p)
	}

	r := runInProcess(t, "--root", root, "verify", "all")
	if r.code != exitFailed {
		t.Fatalf("verify all: exit %d, want %d\n%s%s", r.code, exitFailed, r.stdout, r.stderr)
	}
	for _, p := range tampered {
		rel := filepath.Join("runs", "CREDIT_REVIEWS", filepath.Base(p))
		if !strings.Contains(r.stdout, "FAILED  "+rel+": ") {
			t.Errorf("verify all does not name %s:\n%s", rel, r.stdout)
		}
	}
	if !strings.Contains(r.stderr, "2 problems") {
		t.Errorf("stderr does not count 2 problems:\n%s", r.stderr)
	}

	// The daily job, as the scheduler runs it and records its metrics.
	a := newApp(&strings.Builder{}, &strings.Builder{})
	a.root = root
	started := time.Now()
	stats, err := a.integrityJob(0)(context.Background(), started)
	if err != nil {
		t.Fatal(err)
	}
	if got := stats.Findings["integrity_problem"]; got != 2 {
		t.Fatalf("integrity_problem %d, want 2", got)
	}
	metrics := filepath.Join(t.TempDir(), "ledgerlens.prom")
	if err := schedules.RecordRun(metrics, schedules.JobIntegrityCheck, schedules.RunResult{Started: started, Finished: time.Now(), Stats: stats}); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(metrics)
	if err != nil {
		t.Fatal(err)
	}
	if want := `ledgerlens_findings{job="integrity-check",type="integrity_problem"} 2`; !strings.Contains(string(data), want) {
		t.Errorf("metrics file lacks %s:\n%s", want, data)
	}
	audit, _ := os.ReadFile(filepath.Join(root, ".ledgerlens", "audit.jsonl"))
	for _, p := range tampered {
		if !strings.Contains(string(audit), filepath.Base(p)+": sha256 mismatch") {
			t.Errorf("the integrity job's job_end does not name %s", filepath.Base(p))
		}
	}
}
