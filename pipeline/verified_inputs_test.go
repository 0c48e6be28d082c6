package pipeline

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ledgerlens/ledgerlens/pipeline/baselines"
	"github.com/ledgerlens/ledgerlens/pipeline/job"
)

// approvedRoot is a signed copy of the fixtures on which a baseline was
// proposed by alice and approved and applied by bob: from then on the
// baselines file must be the one that approval wrote. It returns the
// environment, the keys and the file's bytes as applied.
func approvedRoot(t *testing.T) (job.Env, keys, []byte) {
	t.Helper()
	clock := &testClock{}
	clock.Set("2026-03-02T09:00:00Z")
	_, env := signedRoot(t, clock)
	k := sshKeys(t, env.Layout)
	cand := expected(t).Injections.CandidateDetails[0]
	p := propose(t, env, cand.ScenarioID, k.alice, "2026-03-02T00:00:00Z")
	if _, err := ApproveBaseline(context.Background(), env, ApproveOptions{ProposalID: p.ProposalID, By: "bob",
		Signing: baselines.Signing{KeyFile: k.bob}}); err != nil {
		t.Fatal(err)
	}
	applied, err := os.ReadFile(env.Layout.Baselines)
	if err != nil {
		t.Fatal(err)
	}
	return env, k, applied
}

// editedWhileRead edits another scenario's baseline (×1000) by hand, and
// has env put the applied file back once the job has read its inputs:
// someone who may write the baselines file, racing the job.
func editedWhileRead(t *testing.T, env *job.Env, applied []byte) {
	t.Helper()
	other := expected(t).Injections.CandidateDetails[1]
	setBaseline(t, env.Layout, other.ScenarioID, *other.CurrentBaseline*1000)
	env.AfterStep = func(_ context.Context, step string) {
		if step == job.StepInputsLoaded {
			if err := os.WriteFile(env.Layout.Baselines, applied, 0o644); err != nil {
				t.Error(err)
			}
		}
	}
}

// TestAttackBaselinesEditedWhileAWeeklyReads: the baselines file edited
// outside the flow while the weekly job read it, and put back before
// the job checked it against the newest approval. The check read the
// file a second time: the report, computed from the edit (every spike
// gone), was published, signed, exit 0, and no verifier found it after
// (an outside review). The job checks the bytes it computed from: exit 4.
func TestAttackBaselinesEditedWhileAWeeklyReads(t *testing.T) {
	env, _, applied := approvedRoot(t)
	editedWhileRead(t, &env, applied)
	_, err := RunWeekly(context.Background(), env, WeeklyOptions{Week: expected(t).FocusWeek})
	var ie *job.IntegrityError
	if !errors.As(err, &ie) || !strings.Contains(err.Error(), "changed outside the maker-checker flow") {
		t.Fatalf("weekly job over baselines edited while it read them: %v; want exit 4 naming the edit", err)
	}
}

// TestAttackApprovalAppliedOverAnEditWhileRead: the same race against
// `baseline approve`. It applied the approval to the edited file it had
// read, and checked a second read against the newest approval: the edit
// was written back with the approval, and its signed baseline_applied
// entry recorded it as approved (an outside review). The approval is
// refused, exit 4, and the baselines file is left as it was.
func TestAttackApprovalAppliedOverAnEditWhileRead(t *testing.T) {
	env, k, applied := approvedRoot(t)
	cand := expected(t).Injections.CandidateDetails[0]
	p := propose(t, env, cand.ScenarioID, k.alice, "2026-02-23T00:00:00Z")
	editedWhileRead(t, &env, applied)
	_, err := ApproveBaseline(context.Background(), env, ApproveOptions{ProposalID: p.ProposalID, By: "bob",
		Signing: baselines.Signing{KeyFile: k.bob}})
	var ie *job.IntegrityError
	if !errors.As(err, &ie) || !strings.Contains(err.Error(), "refusing to approve on top of it") {
		t.Fatalf("approval over baselines edited while it read them: %v; want exit 4, refused", err)
	}
	if now, _ := os.ReadFile(env.Layout.Baselines); !bytes.Equal(now, applied) {
		t.Error("the refused approval wrote the baselines file")
	}
}

// TestAttackApprovalMovedOutOfAnExportedRange: an applied approval's
// record edited to date it a year before the range an evidence export
// covers. The export chose the records to bundle by the dates inside
// them and checked only those it chose: the approval was left out of
// the signed bundle, exit 0 (an outside review, from the code). Every
// record the log names must be as it recorded it: exit 4, nothing
// exported.
func TestAttackApprovalMovedOutOfAnExportedRange(t *testing.T) {
	env, _, _ := approvedRoot(t)
	env.Now = func() time.Time { return time.Date(2026, 4, 2, 8, 0, 0, 0, time.UTC) }
	approvals, err := filepath.Glob(filepath.Join(env.Layout.BaselineUpdatesDir, "approval_*.json"))
	if err != nil || len(approvals) != 1 {
		t.Fatalf("approval records %v, %v; want one", approvals, err)
	}
	data, err := os.ReadFile(approvals[0])
	if err != nil {
		t.Fatal(err)
	}
	moved := regexp.MustCompile(`"approved_at":\s*"2026-`).ReplaceAll(data, []byte(`"approved_at": "2025-`))
	if bytes.Equal(moved, data) {
		t.Fatalf("no approved_at in 2026 in %s", data)
	}
	if err := os.WriteFile(approvals[0], moved, 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "march.zip")
	_, err = ExportEvidence(context.Background(), env, EvidenceOptions{From: "2026-03-01", To: "2026-03-31", Out: out})
	var ie *job.IntegrityError
	if !errors.As(err, &ie) || !strings.Contains(err.Error(), filepath.Base(approvals[0])) {
		t.Fatalf("export with an approval dated out of the range: %v; want exit 4 naming the record", err)
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("the bundle was exported")
	}
}
