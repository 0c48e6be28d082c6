package job

import (
	"strings"
	"testing"

	"github.com/ledgerlens/ledgerlens/pipeline/audit"
)

// TestBaselinesFlowProblems: every baseline_applied entry must apply an
// approval the log records as approved before it, once. An approval id
// names its approver and second only, so two proposals approved by one
// person in one second are two approvals.
func TestBaselinesFlowProblems(t *testing.T) {
	approved := func(seq int64, proposal, id string) audit.Entry {
		return audit.Entry{Seq: seq, Event: audit.EventBaselineApproved, Fields: map[string]any{"proposal_id": proposal, "approval_id": id}}
	}
	applied := func(seq int64, proposal, id string) audit.Entry {
		return audit.Entry{Seq: seq, Event: audit.EventBaselineApplied, Fields: map[string]any{"proposal_id": proposal, "approval_id": id, "sha256": "s"}}
	}
	for _, tc := range []struct {
		name    string
		entries []audit.Entry
		want    []string
	}{
		{"approved then applied", []audit.Entry{approved(1, "P1", "A"), applied(2, "P1", "A")}, nil},
		{"two proposals, one approval id", []audit.Entry{approved(1, "P1", "A"), applied(2, "P1", "A"), approved(3, "P2", "A"), applied(4, "P2", "A")}, nil},
		{"applied without an approval", []audit.Entry{applied(2, "P1", "A")}, []string{"audit seq 2 applies baseline approval \"A\" of proposal P1, which the log does not record as approved"}},
		{"applied before its approval", []audit.Entry{applied(1, "P1", "A"), approved(2, "P1", "A")}, []string{"audit seq 1 applies"}},
		{"another proposal's approval", []audit.Entry{approved(1, "P1", "A"), applied(2, "P2", "A")}, []string{"of proposal P2, which the log does not record"}},
		{"applied twice", []audit.Entry{approved(1, "P1", "A"), applied(2, "P1", "A"), approved(3, "P2", "B"), applied(4, "P2", "B"), applied(5, "P1", "A")},
			[]string{"audit seq 5 applies baseline approval \"A\" of proposal P1 again, already applied at audit seq 2"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, last := baselinesFlowProblems(tc.entries)
			if len(got) != len(tc.want) {
				t.Fatalf("problems %q, want %d", got, len(tc.want))
			}
			for i, w := range tc.want {
				if !strings.Contains(got[i], w) {
					t.Errorf("problem %q does not say %q", got[i], w)
				}
			}
			if last == nil || last.Event != audit.EventBaselineApplied {
				t.Errorf("last applied entry %+v", last)
			}
		})
	}
}
