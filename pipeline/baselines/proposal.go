package baselines

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/ledgerlens/ledgerlens/reports"
	"github.com/ledgerlens/ledgerlens/stats"
)

// ProposalSchema is the value of Proposal.Schema.
const ProposalSchema = "ledgerlens.baseline-proposal/v1"

// Sources of a proposal.
const (
	SourceCalculate       = "calculate"        // baseline propose --scenario
	SourceWeeklyCandidate = "weekly_candidate" // baseline propose --candidates
)

// Proposal is the maker's half of a baseline change: one signed JSON file,
// runs/BASELINE_UPDATES/proposal_<id>.json. It says what the baseline is
// and what it should become, on what evidence, and who proposes it. It
// changes nothing by itself; an Approval by someone else applies it.
type Proposal struct {
	Schema             string            `json:"schema"`
	ProposalID         string            `json:"proposal_id"`
	ScenarioID         string            `json:"scenario_id"`
	OldBaseline        *float64          `json:"old_baseline"` // null: the scenario has no baseline yet
	NewBaseline        float64           `json:"new_baseline"`
	ChangePct          *float64          `json:"change_pct"` // null without an old baseline
	Review             string            `json:"review"`     // ok (< 20 %), review (≤ 50 %), investigate (> 50 %)
	CV                 float64           `json:"cv"`         // of the healthy runs the median is taken over
	SampleSize         int64             `json:"sample_size"`
	WindowStart        string            `json:"window_start"`
	WindowEnd          string            `json:"window_end"`
	WindowDays         int               `json:"window_days"`
	HealthyRunStatuses []string          `json:"healthy_run_statuses"`
	Rationale          string            `json:"rationale"`
	ProposedBy         string            `json:"proposed_by"`
	ProposedAt         string            `json:"proposed_at"`
	Source             ProposalSource    `json:"source"`
	Generator          reports.Generator `json:"generator"`
	SigningKeyID       string            `json:"signing_key_id"`
}

// ProposalSource says where a proposal's figures came from.
type ProposalSource struct {
	Kind         string  `json:"kind"`
	Report       *string `json:"report"`        // weekly_<D>.json for candidates
	ReportSHA256 *string `json:"report_sha256"` // of that report's bytes
}

// NewProposal builds a proposal from a calculation and the current
// baseline (nil when there is none); the id is derived from the content
// and proposedAt, so the same proposal made at the same instant is the
// same file.
func NewProposal(c Calculation, current *float64, by, rationale string, proposedAt time.Time, src ProposalSource,
	gen reports.Generator, keyID string) (Proposal, error) {
	by = strings.TrimSpace(by)
	if by == "" {
		return Proposal{}, fmt.Errorf("propose baseline for %s: the proposer (--by) is required", c.ScenarioID)
	}
	p := Proposal{
		Schema:             ProposalSchema,
		ScenarioID:         c.ScenarioID,
		NewBaseline:        c.Median,
		CV:                 c.CV,
		SampleSize:         c.SampleSize,
		WindowStart:        formatTime(c.WindowStart),
		WindowEnd:          formatTime(c.WindowEnd),
		WindowDays:         c.WindowDays,
		HealthyRunStatuses: append([]string{}, c.HealthyStatuses...),
		Rationale:          strings.TrimSpace(rationale),
		ProposedBy:         by,
		ProposedAt:         formatTime(proposedAt),
		Source:             src,
		Generator:          gen,
		SigningKeyID:       keyID,
	}
	if p.HealthyRunStatuses == nil {
		p.HealthyRunStatuses = []string{}
	}
	p.Review = "review"
	if current != nil {
		old := stats.Round(*current, 2)
		p.OldBaseline = &old
		if *current > 0 {
			pct := stats.Round((c.Median-*current) / *current * 100, 4)
			p.ChangePct = &pct
			p.Review = ReviewLevel(pct)
		}
	}
	id, err := proposalID(p, proposedAt)
	if err != nil {
		return Proposal{}, err
	}
	p.ProposalID = id
	return p, nil
}

// ReviewLevel grades a baseline change as the weekly report's candidates
// are graded (docs/RULES.md, "Baseline candidates"): below 20 % ok, up to 50 % review, above that
// investigate.
func ReviewLevel(changePct float64) string {
	switch a := math.Abs(changePct); {
	case a < 20:
		return "ok"
	case a <= 50:
		return "review"
	default:
		return "investigate"
	}
}

// proposalID is "BP-<yyyymmdd>-<12 hex>": the UTC date of the proposal
// and the start of the SHA-256 of its content without the id.
func proposalID(p Proposal, at time.Time) (string, error) {
	p.ProposalID = ""
	b, err := json.Marshal(p)
	if err != nil {
		return "", fmt.Errorf("proposal id: %w", err)
	}
	sum := sha256.Sum256(b)
	return "BP-" + at.UTC().Format("20060102") + "-" + hex.EncodeToString(sum[:6]), nil
}

// ProposalBase is the publication name of a proposal (without .json).
func ProposalBase(id string) string { return "proposal_" + id }

// ApprovalBase is the publication name of the approval of proposal id.
func ApprovalBase(proposalID string) string { return "approval_" + proposalID }

// Time parses ProposedAt.
func (p Proposal) Time() (time.Time, error) {
	t, err := time.Parse(time.RFC3339, p.ProposedAt)
	if err != nil {
		return time.Time{}, fmt.Errorf("proposal %s: proposed_at %q: %w", p.ProposalID, p.ProposedAt, err)
	}
	return t, nil
}

// Marshal renders a record as published: indented JSON with a final
// newline, HTML characters unescaped, fields in declaration order.
func Marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("render baseline record: %w", err)
	}
	return b.Bytes(), nil
}

// formatTime renders an instant in records: RFC 3339, UTC, whole seconds.
func formatTime(t time.Time) string { return t.UTC().Truncate(time.Second).Format(time.RFC3339) }
