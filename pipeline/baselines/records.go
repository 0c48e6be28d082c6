package baselines

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/ledgerlens/ledgerlens/pipeline/businesstime"
	"github.com/ledgerlens/ledgerlens/pipeline/review"
)

// Records are the proposals and approvals found in a BASELINE_UPDATES
// directory.
type Records struct {
	Dir string
	// Proposals are sorted by proposed_at, then id.
	Proposals []Proposal
	// Approvals are sorted by approved_at, then proposal id.
	Approvals []Approval
	// Notes are the update note file names, sorted.
	Notes []string
}

// LoadRecords reads every proposal_*.json and approval_*.json in dir (a
// missing directory holds none). A record that does not parse, has the
// wrong schema or does not match its file name is an error naming the file:
// maker-checker evidence is never skipped silently.
func LoadRecords(dir string) (*Records, error) {
	r := &Records{Dir: dir}
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return r, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read baseline records: %w", err)
	}
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || strings.HasPrefix(name, ".") {
			continue
		}
		path := filepath.Join(dir, name)
		switch {
		case strings.HasPrefix(name, "proposal_") && strings.HasSuffix(name, ".json"):
			var p Proposal
			if err := readRecord(path, ProposalSchema, &p, func() string { return p.Schema }); err != nil {
				return nil, err
			}
			if name != ProposalBase(p.ProposalID)+".json" {
				return nil, fmt.Errorf("baseline record %s: holds proposal %q, which belongs in %s.json", path, p.ProposalID, ProposalBase(p.ProposalID))
			}
			if _, err := p.Time(); err != nil {
				return nil, fmt.Errorf("baseline record %s: %w", path, err)
			}
			r.Proposals = append(r.Proposals, p)
		case strings.HasPrefix(name, "approval_") && strings.HasSuffix(name, ".json"):
			var a Approval
			if err := readRecord(path, ApprovalSchema, &a, func() string { return a.Schema }); err != nil {
				return nil, err
			}
			if name != ApprovalBase(a.ProposalID)+".json" {
				return nil, fmt.Errorf("baseline record %s: approves proposal %q, so it belongs in %s.json", path, a.ProposalID, ApprovalBase(a.ProposalID))
			}
			if _, err := a.Time(); err != nil {
				return nil, fmt.Errorf("baseline record %s: %w", path, err)
			}
			r.Approvals = append(r.Approvals, a)
		case strings.HasPrefix(name, "update_") && strings.HasSuffix(name, ".md"):
			r.Notes = append(r.Notes, name)
		}
	}
	sort.Slice(r.Proposals, func(i, j int) bool {
		a, b := r.Proposals[i], r.Proposals[j]
		if a.ProposedAt != b.ProposedAt {
			return a.ProposedAt < b.ProposedAt
		}
		return a.ProposalID < b.ProposalID
	})
	sort.Slice(r.Approvals, func(i, j int) bool {
		a, b := r.Approvals[i], r.Approvals[j]
		if a.ApprovedAt != b.ApprovedAt {
			return a.ApprovedAt < b.ApprovedAt
		}
		return a.ProposalID < b.ProposalID
	})
	sort.Strings(r.Notes)
	return r, nil
}

func readRecord(path, schema string, v any, got func() string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read baseline record: %w", err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("baseline record %s: %w", path, err)
	}
	if s := got(); s != schema {
		return fmt.Errorf("baseline record %s: schema %q, want %q", path, s, schema)
	}
	return nil
}

// Proposal returns the proposal with the given id.
func (r *Records) Proposal(id string) (Proposal, bool) {
	for _, p := range r.Proposals {
		if p.ProposalID == id {
			return p, true
		}
	}
	return Proposal{}, false
}

// Approval returns the approval of proposal id.
func (r *Records) Approval(proposalID string) (Approval, bool) {
	for _, a := range r.Approvals {
		if a.ProposalID == proposalID {
			return a, true
		}
	}
	return Approval{}, false
}

// Pending lists the proposals without an approval, oldest first: the job
// state awaiting_approval.
func (r *Records) Pending() []Proposal {
	var out []Proposal
	for _, p := range r.Proposals {
		if _, ok := r.Approval(p.ProposalID); !ok {
			out = append(out, p)
		}
	}
	return out
}

// NextNote returns the first unused note publication name for date
// (YYYY-MM-DD) in the directory.
func (r *Records) NextNote(date string) string {
	used := map[string]bool{}
	for _, n := range r.Notes {
		used[n] = true
	}
	for n := 1; ; n++ {
		if base := NoteBase(date, n); !used[base+".md"] {
			return base
		}
	}
}

// DueAt is when the maker-checker clock of a proposal made at proposedAt
// runs out: 1 business day later (businesstime.AddBusinessDays), weekdays
// counted in loc.
func DueAt(proposedAt time.Time, loc *time.Location) time.Time {
	if loc == nil {
		loc = time.UTC
	}
	return businesstime.AddBusinessDays(proposedAt.In(loc), 1)
}

// ReviewApprovals turns the approvals into the weekly review's input for
// its maker-checker clock (review.Input.Approvals), with times in loc so
// business days are the configured zone's.
func (r *Records) ReviewApprovals(loc *time.Location) ([]review.Approval, error) {
	if loc == nil {
		loc = time.UTC
	}
	out := make([]review.Approval, 0, len(r.Approvals))
	for _, a := range r.Approvals {
		approved, err := a.Time()
		if err != nil {
			return nil, err
		}
		proposed, err := time.Parse(time.RFC3339, a.ProposedAt)
		if err != nil {
			return nil, fmt.Errorf("approval %s: proposed_at %q: %w", a.ApprovalID, a.ProposedAt, err)
		}
		out = append(out, review.Approval{ProposalID: a.ProposalID, ScenarioID: a.ScenarioID,
			ProposedAt: proposed.In(loc), ApprovedAt: approved.In(loc)})
	}
	return out, nil
}
