package baselines

import (
	"fmt"
	"strings"
	"time"

	"github.com/ledgerlens/ledgerlens/reports"
)

// ApprovalSchema is the value of Approval.Schema.
const ApprovalSchema = "ledgerlens.baseline-approval/v1"

// StabilityWindow is how far back an approval looks for SEV0/SEV1 runs of
// the scenario (runbook: "no SEV0/SEV1 in last 2 weeks").
const StabilityWindow = 14 * 24 * time.Hour

// LargeChangePct is the change above which an approval needs
// --force-large-change (runbook: "If >50% change, investigate further").
const LargeChangePct = 50.0

// Approval is the checker's half of a baseline change: one signed JSON
// file, runs/BASELINE_UPDATES/approval_<proposal id>.json, written before
// the baselines file is rewritten. It repeats the proposal's figures (and
// pins the proposal file by hash), names both people, and records the
// checks that were made and the maker-checker clock.
type Approval struct {
	Schema         string   `json:"schema"`
	ApprovalID     string   `json:"approval_id"`
	ProposalID     string   `json:"proposal_id"`
	ProposalFile   string   `json:"proposal_file"`
	ProposalSHA256 string   `json:"proposal_sha256"`
	ScenarioID     string   `json:"scenario_id"`
	OldBaseline    *float64 `json:"old_baseline"`
	NewBaseline    float64  `json:"new_baseline"`
	ChangePct      *float64 `json:"change_pct"`
	CV             float64  `json:"cv"`
	SampleSize     int64    `json:"sample_size"`
	WindowDays     int      `json:"window_days"`
	Rationale      string   `json:"rationale"`
	SampleNote     string   `json:"sample_note"`
	ProposedBy     string   `json:"proposed_by"`
	ProposedAt     string   `json:"proposed_at"`
	// ProposerKey is the fingerprint of the key whose SSH signature of the
	// proposal was verified; the approver's own key is in the
	// approval_<id>.sshsig next to this record and must differ from it.
	ProposerKey string `json:"proposer_key"`
	// ApproversSHA256 pins the approvers file both signatures were checked
	// against.
	ApproversSHA256 string            `json:"approvers_sha256"`
	ApprovedBy      string            `json:"approved_by"`
	ApprovedAt      string            `json:"approved_at"`
	Checks          ApprovalChecks    `json:"checks"`
	Clock           ApprovalClock     `json:"clock"`
	Note            string            `json:"note"` // file name of the update note
	Generator       reports.Generator `json:"generator"`
	SigningKeyID    string            `json:"signing_key_id"`
}

// ApprovalChecks are the maker-checker checks an approval passed.
type ApprovalChecks struct {
	// TwoPerson: approver and proposer are different principals
	// (compared trimmed, ignoring letter case), each identified by the
	// SSH key that signed their record; their keys differ too.
	TwoPerson bool `json:"two_person"`
	// StabilityWindow is the span searched for SEV0/SEV1 runs of the
	// scenario, recorded or recomputed against the baseline in force;
	// HighSeverityRuns is what was found (0 for an approval).
	StabilityFrom    string `json:"stability_from"`
	StabilityTo      string `json:"stability_to"`
	HighSeverityRuns int64  `json:"high_severity_runs"`
	// NewestRun is the scenario's newest run before the approval, inside
	// the window's last day: the window held data, so "no SEV0/SEV1" was
	// shown, not assumed.
	NewestRun string `json:"newest_run"`
	// LargeChange is |change| > 50 %; ForceLargeChange says the approver
	// accepted it explicitly.
	LargeChange      bool `json:"large_change"`
	ForceLargeChange bool `json:"force_large_change"`
	// BaselineUnchanged: the baseline in force still equals the proposal's
	// old baseline (nobody changed it in between).
	BaselineUnchanged bool `json:"baseline_unchanged"`
}

// ApprovalClock is the maker-checker clock of the SRE runbook: an approval
// is due 1 business day after the proposal.
type ApprovalClock struct {
	DueAt string `json:"due_at"`
	Late  bool   `json:"late"`
}

// ApprovalID is the runbook's approval reference, O3-<name>-<timestamp>:
// the approver's name (letters, digits, '.', '_' and '-'; anything else
// becomes '-') and the approval instant in UTC.
func ApprovalID(approver string, at time.Time) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.TrimSpace(approver) {
		ok := r == '.' || r == '_' || r == '-' || '0' <= r && r <= '9' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z'
		switch {
		case ok:
			b.WriteRune(r)
			dash = false
		case !dash:
			b.WriteByte('-')
			dash = true
		}
	}
	name := strings.Trim(b.String(), "-")
	if name == "" {
		name = "unknown"
	}
	return fmt.Sprintf("O3-%s-%s", name, at.UTC().Format("20060102T150405Z"))
}

// SamePerson reports whether two names denote the same person for the
// two-person rule: equal after trimming, ignoring letter case.
func SamePerson(a, b string) bool {
	return strings.EqualFold(strings.TrimSpace(a), strings.TrimSpace(b))
}

// Time parses ApprovedAt.
func (a Approval) Time() (time.Time, error) {
	t, err := time.Parse(time.RFC3339, a.ApprovedAt)
	if err != nil {
		return time.Time{}, fmt.Errorf("approval %s: approved_at %q: %w", a.ApprovalID, a.ApprovedAt, err)
	}
	return t, nil
}
