package pipeline

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ledgerlens/ledgerlens/pipeline/audit"
	"github.com/ledgerlens/ledgerlens/pipeline/job"
)

// tamper flips one byte in the middle of path.
func tamper(t *testing.T, path string) {
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

// TestIntegrityListsEveryProblem tampers with two published artifacts: the
// check names both (not only the first), and the integrity job records
// both in its job_end event.
func TestIntegrityListsEveryProblem(t *testing.T) {
	clock := &testClock{t: time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)}
	_, env := signedRoot(t, clock)
	ctx := context.Background()
	res, err := RunWeekly(ctx, env, WeeklyOptions{Week: "2026-02-23"})
	if err != nil {
		t.Fatal(err)
	}
	pub := publicKey(t, env)
	rep, err := CheckIntegrity(ctx, env, pub)
	if err != nil || !rep.OK() {
		t.Fatalf("untampered root: %v %v", err, rep.Problems)
	}
	checked := len(rep.Artifacts)

	tamper(t, res.JSONPath)
	tamper(t, res.XLSXPath)
	for name, check := range map[string]func() (IntegrityReport, error){
		"CheckIntegrity": func() (IntegrityReport, error) { return CheckIntegrity(ctx, env, pub) },
		"RunIntegrity":   func() (IntegrityReport, error) { return RunIntegrity(ctx, env, pub) },
	} {
		rep, err := check()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(rep.Problems) != 2 || len(rep.Artifacts) != checked {
			t.Fatalf("%s: %d artifacts, problems %q; want all %d checked and 2 problems", name, len(rep.Artifacts), rep.Problems, checked)
		}
		for i, p := range []string{res.JSONPath, res.XLSXPath} {
			if rel := env.Layout.Rel(p); !strings.HasPrefix(rep.Problems[i], rel+":") || !strings.Contains(rep.Problems[i], "sha256 mismatch") {
				t.Errorf("%s: problem %d is %q, want it to name %s", name, i, rep.Problems[i], rel)
			}
		}
	}
	events := auditEvents(t, env)
	last := events[len(events)-1]
	problems, _ := last.Fields["problems"].([]any)
	if last.Event != audit.EventJobEnd || last.Fields["job"] != job.NameIntegrityCheck || len(problems) != 2 {
		t.Errorf("last event %s %v, want job_end of %s with 2 problems", last.Event, last.Fields, job.NameIntegrityCheck)
	}
}
