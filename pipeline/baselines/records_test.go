package baselines

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ledgerlens/ledgerlens/pipeline/audit"
	"github.com/ledgerlens/ledgerlens/reports"
)

// TestRecordsAreTheBytesRead: a job reads the records, and the log's
// record of them is compared with the bytes it parsed, not with the files
// read again. An approval swapped for a forged one (its approved_at
// moved) while the job read the records, and put back before a second
// read for its SHA-256, passed as recorded, and the forged dates reached
// a signed report; one moved away while the job read them showed its
// proposal pending (an outside review).
func TestRecordsAreTheBytesRead(t *testing.T) {
	a := sampleApproval()
	p := Proposal{Schema: ProposalSchema, ProposalID: a.ProposalID, ScenarioID: a.ScenarioID, ProposedBy: "alice", ProposedAt: a.ProposedAt}
	forged := a
	forged.ApprovedAt = "2026-03-09T10:15:00Z"
	mustMarshal := func(v any) []byte {
		data, err := Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	propName, apprName := ProposalBase(p.ProposalID)+".json", ApprovalBase(a.ProposalID)+".json"
	entries := []audit.Entry{
		{Seq: 1, Event: audit.EventBaselineProposed, Fields: map[string]any{"proposal_id": p.ProposalID,
			"path": "runs/BASELINE_UPDATES/" + propName, "sha256": reports.SHA256Hex(mustMarshal(p))}},
		{Seq: 2, Event: audit.EventBaselineApproved, Fields: map[string]any{"proposal_id": a.ProposalID, "approval_id": a.ApprovalID,
			"path": "runs/BASELINE_UPDATES/" + apprName, "sha256": reports.SHA256Hex(mustMarshal(a))}},
	}
	for _, tc := range []struct {
		name    string
		atRead  func(path string) // the approval file while the records are read
		problem string
	}{
		{"swapped for a forged one", func(path string) { os.WriteFile(path, mustMarshal(forged), 0o644) }, "changed since baseline_approved at audit seq 2"},
		{"moved away", func(path string) { os.Remove(path) }, "was missing when the job read the records"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			os.WriteFile(filepath.Join(dir, propName), mustMarshal(p), 0o644)
			tc.atRead(filepath.Join(dir, apprName))
			r, err := LoadRecords(dir)
			if err != nil {
				t.Fatal(err)
			}
			// Put back as it was, before anything reads it again.
			if err := os.WriteFile(filepath.Join(dir, apprName), mustMarshal(a), 0o644); err != nil {
				t.Fatal(err)
			}
			got, _, err := r.Recorded(entries)
			if err != nil {
				t.Fatal(err)
			}
			if len(got.Approvals) != 0 {
				t.Errorf("Recorded took the approval read (approved_at %s) for the one the log recorded", got.Approvals[0].ApprovedAt)
			}
			problems := r.NotAsRecorded(entries)
			if !slices.ContainsFunc(problems, func(s string) bool { return strings.Contains(s, apprName) && strings.Contains(s, tc.problem) }) {
				t.Errorf("NotAsRecorded: %q; want %s named (%q)", problems, apprName, tc.problem)
			}
		})
	}
}
