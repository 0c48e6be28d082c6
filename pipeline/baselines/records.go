package baselines

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/ledgerlens/ledgerlens/pipeline/audit"
	"github.com/ledgerlens/ledgerlens/pipeline/businesstime"
	"github.com/ledgerlens/ledgerlens/pipeline/inputs"
	"github.com/ledgerlens/ledgerlens/pipeline/review"
	"github.com/ledgerlens/ledgerlens/reports"
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
	// sums are the SHA-256 of each record's bytes as read and parsed, by
	// file name: what Recorded and Unrecorded compare with the log.
	sums map[string]string
	// unread are the files named like records that do not read as one
	// (unreadable, not JSON, another schema, under another record's
	// name), by file name, with why.
	unread map[string]error
}

// LoadRecords reads every proposal_*.json and approval_*.json in dir (a
// missing directory holds none). A file that does not read as a record
// (it does not parse, has the wrong schema or does not match its file
// name) is never skipped silently: the audit log says what it is. Planted
// (no entry records it), Recorded leaves it out and names it; a record
// the log names, NotAsRecorded says it changed; UnreadError names the
// first for a reader that takes no such file. It was an error that
// stopped the weekly job and the maker-checker commands (exit 1) for
// anyone who may write the directory (an outside review).
func LoadRecords(dir string) (*Records, error) { return loadRecords(dir, nil) }

// loadRecords is LoadRecords, handing each record that cannot be read to
// bad instead when bad is not nil (VerifyRecords: a problem of that
// record, the others still checked).
func loadRecords(dir string, bad func(name string, err error)) (*Records, error) {
	r := &Records{Dir: dir, sums: map[string]string{}, unread: map[string]error{}}
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
		if err := r.add(dir, name); err != nil {
			if bad == nil {
				r.unread[name] = err
				continue
			}
			bad(name, err)
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

// add reads the file name in dir into r, when it is a record or a note.
func (r *Records) add(dir, name string) error {
	path := filepath.Join(dir, name)
	switch {
	case strings.HasPrefix(name, "proposal_") && strings.HasSuffix(name, ".json"):
		var p Proposal
		sum, err := readRecord(path, ProposalSchema, &p, func() string { return p.Schema })
		if err != nil {
			return err
		}
		r.sums[name] = sum
		if name != ProposalBase(p.ProposalID)+".json" {
			return fmt.Errorf("baseline record %s: holds proposal %q, which belongs in %s.json", path, p.ProposalID, ProposalBase(p.ProposalID))
		}
		if _, err := p.Time(); err != nil {
			return fmt.Errorf("baseline record %s: %w", path, err)
		}
		r.Proposals = append(r.Proposals, p)
	case strings.HasPrefix(name, "approval_") && strings.HasSuffix(name, ".json"):
		var a Approval
		sum, err := readRecord(path, ApprovalSchema, &a, func() string { return a.Schema })
		if err != nil {
			return err
		}
		r.sums[name] = sum
		if name != ApprovalBase(a.ProposalID)+".json" {
			return fmt.Errorf("baseline record %s: approves proposal %q, so it belongs in %s.json", path, a.ProposalID, ApprovalBase(a.ProposalID))
		}
		if _, err := a.Time(); err != nil {
			return fmt.Errorf("baseline record %s: %w", path, err)
		}
		r.Approvals = append(r.Approvals, a)
	case strings.HasPrefix(name, "update_") && strings.HasSuffix(name, ".md"):
		r.Notes = append(r.Notes, name)
	}
	return nil
}

// Recorded returns the records of r that the audit log entries record: a
// proposal whose file's SHA-256 a baseline_proposed entry of its id names,
// an approval whose file's a baseline_approved entry of its proposal and
// approval names. A record planted in the directory, or changed since, is
// left out, so that it can neither hide a proposal from the maker-checker
// clock nor add one; the names of those left out are returned (verify all
// names them as unrecorded files).
func (r *Records) Recorded(entries []audit.Entry) (*Records, []string, error) {
	proposed := map[string]string{} // proposal id → sha256
	approved := map[[2]string]string{}
	for _, e := range entries {
		str := func(k string) string { v, _ := e.Fields[k].(string); return v }
		switch e.Event {
		case audit.EventBaselineProposed:
			proposed[str("proposal_id")] = str("sha256")
		case audit.EventBaselineApproved:
			approved[[2]string{str("proposal_id"), str("approval_id")}] = str("sha256")
		}
	}
	// The bytes parsed, not the file read again: a record swapped in
	// for the one read and put back before a second read gave a signed
	// report its dates (an outside review).
	sum := func(base string) (string, error) {
		got, ok := r.sums[base+".json"]
		if !ok {
			return "", fmt.Errorf("baseline record %s: not read", filepath.Join(r.Dir, base+".json"))
		}
		return got, nil
	}
	out := &Records{Dir: r.Dir, Notes: r.Notes, sums: r.sums, unread: r.unread}
	var left []string
	named := map[string]bool{}
	for _, f := range RecordedFiles(entries) {
		named[filepath.Base(filepath.FromSlash(f.Path))] = true
	}
	for _, name := range slices.Sorted(maps.Keys(r.unread)) {
		if !named[name] {
			left = append(left, name)
		}
	}
	for _, p := range r.Proposals {
		got, err := sum(ProposalBase(p.ProposalID))
		if err != nil {
			return nil, nil, err
		}
		if want, ok := proposed[p.ProposalID]; ok && want == got {
			out.Proposals = append(out.Proposals, p)
		} else {
			left = append(left, ProposalBase(p.ProposalID)+".json")
		}
	}
	for _, a := range r.Approvals {
		got, err := sum(ApprovalBase(a.ProposalID))
		if err != nil {
			return nil, nil, err
		}
		if want, ok := approved[[2]string{a.ProposalID, a.ApprovalID}]; ok && want == got {
			out.Approvals = append(out.Approvals, a)
		} else {
			left = append(left, ApprovalBase(a.ProposalID)+".json")
		}
	}
	return out, left, nil
}

// Planted names the files of r that no baseline_proposed or
// baseline_approved entry of entries names: records put in the
// directory, not made by the flow. (A record the log names that changed
// since is NotAsRecorded's.)
func (r *Records) Planted(entries []audit.Entry) ([]string, error) {
	_, left, err := r.Recorded(entries)
	if err != nil {
		return nil, err
	}
	named := map[string]bool{}
	for _, f := range RecordedFiles(entries) {
		named[filepath.Base(filepath.FromSlash(f.Path))] = true
	}
	var planted []string
	for _, f := range left {
		if !named[f] {
			planted = append(planted, f)
		}
	}
	return planted, nil
}

// NotAsRecorded lists, one line each, the records the audit log entries
// name (each baseline_proposed and baseline_approved entry's path and
// SHA-256; the newest per file) that r does not hold as the log recorded
// them: missing when r was read, or read with other bytes. A job's
// maker-checker items are computed from r: a record moved away or
// swapped for the one read, and put back after, passed the check of the
// directory made before it, and a signed report showed the proposal
// pending, or the forged record's dates (an outside review).
func (r *Records) NotAsRecorded(entries []audit.Entry) []string {
	var problems []string
	for _, want := range RecordedFiles(entries) {
		name := filepath.Base(filepath.FromSlash(want.Path))
		got, ok := r.sums[name]
		switch why, unread := r.unread[name]; {
		case unread:
			problems = append(problems, fmt.Sprintf("baseline record %s (%s at audit seq %d) no longer reads as the record the log recorded (%v): restore it",
				want.Path, want.Event, want.Seq, why))
		case !ok:
			problems = append(problems, fmt.Sprintf("baseline record %s (%s at audit seq %d) was missing when the job read the records: the maker-checker items are computed from the records the log names; restore it",
				want.Path, want.Event, want.Seq))
		case got != want.SHA256:
			// Worded as the job's check of the directory words it
			// (job.BaselineRecordsProblems): both find it, and it is
			// said once.
			problems = append(problems, fmt.Sprintf("baseline record %s changed since %s at audit seq %d recorded it (sha256 %s, recorded %s): restore it",
				want.Path, want.Event, want.Seq, got[:min(12, len(got))], want.SHA256[:min(12, len(want.SHA256))]))
		}
	}
	return problems
}

// UnreadError is the first file named like a record that did not read as
// one (nil when every one did), for a reader that must not leave one out
// (an evidence bundle's).
func (r *Records) UnreadError() error {
	for _, name := range slices.Sorted(maps.Keys(r.unread)) {
		return r.unread[name]
	}
	return nil
}

// RecordedFile is a record file as the audit log records it: the newest
// baseline_proposed or baseline_approved entry that names its path.
type RecordedFile struct {
	Path   string // as recorded: relative to the root, with slashes
	SHA256 string
	Event  string
	Seq    int64
}

// RecordedFiles lists the record files the entries name, in the order
// first named, each as its newest entry records it.
func RecordedFiles(entries []audit.Entry) []RecordedFile {
	newest := map[string]int{} // path → index in out
	var out []RecordedFile
	for _, e := range entries {
		if e.Event != audit.EventBaselineProposed && e.Event != audit.EventBaselineApproved {
			continue
		}
		rel, _ := e.Fields["path"].(string)
		sum, _ := e.Fields["sha256"].(string)
		if rel == "" {
			continue
		}
		f := RecordedFile{Path: rel, SHA256: sum, Event: e.Event, Seq: e.Seq}
		if i, seen := newest[rel]; seen {
			out[i] = f
			continue
		}
		newest[rel] = len(out)
		out = append(out, f)
	}
	return out
}

// readRecord parses the record at path into v and returns the SHA-256
// of the bytes it parsed.
func readRecord(path, schema string, v any, got func() string) (string, error) {
	data, err := inputs.ReadRegular(path)
	if err != nil {
		return "", fmt.Errorf("read baseline record: %w", err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		return "", fmt.Errorf("baseline record %s: %w", path, err)
	}
	if s := got(); s != schema {
		return "", fmt.Errorf("baseline record %s: schema %q, want %q", path, s, schema)
	}
	return reports.SHA256Hex(data), nil
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

// ReviewApprovals turns the approvals, and the pending proposals (with a
// zero ApprovedAt), into the weekly review's input for its maker-checker
// clock (review.Input.Approvals), with times in loc so business days are
// the configured zone's.
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
	// Pending proposals, with no approval time, for the action-required
	// list's overdue approvals.
	for _, p := range r.Pending() {
		proposed, err := p.Time()
		if err != nil {
			return nil, err
		}
		out = append(out, review.Approval{ProposalID: p.ProposalID, ScenarioID: p.ScenarioID, ProposedAt: proposed.In(loc)})
	}
	return out, nil
}

// ParseProposal reads a proposal record's bytes (as printed by `baseline
// propose --print-record` and signed by its maker).
func ParseProposal(data []byte) (Proposal, error) {
	var p Proposal
	if err := json.Unmarshal(data, &p); err != nil {
		return p, fmt.Errorf("proposal record: %w", err)
	}
	if p.Schema != ProposalSchema {
		return p, fmt.Errorf("proposal record: schema %q, want %q", p.Schema, ProposalSchema)
	}
	if err := CheckID("scenario id", p.ScenarioID); err != nil {
		return p, fmt.Errorf("proposal record: %w", err)
	}
	return p, nil
}

// ApproversPath is the approvers file of a root: config/approvers, next
// to the baselines file.
func ApproversPath(baselinesFile string) string {
	return filepath.Join(filepath.Dir(baselinesFile), ApproversFile)
}

// VerifySigner checks the person's signature published next to a record
// (base + SignatureExt in dir) and that it is by principal: the check an
// approval makes of its proposal, and an auditor of both.
func (a *Approvers) VerifySigner(dir, base, principal string, at time.Time) (Identity, error) {
	data, err := inputs.ReadRegular(filepath.Join(dir, base+".json"))
	if err != nil {
		return Identity{}, fmt.Errorf("read baseline record: %w", err)
	}
	sigPath := filepath.Join(dir, base+SignatureExt)
	sig, err := inputs.ReadRegular(sigPath)
	if errors.Is(err, fs.ErrNotExist) {
		return Identity{}, refusef("%s.json has no SSH signature by its author (%s is missing)", base, filepath.Base(sigPath))
	}
	if err != nil {
		return Identity{}, fmt.Errorf("read signature: %w", err)
	}
	id, err := a.Verify(data, sig, principal, at)
	if err != nil {
		var r *Refusal
		if errors.As(err, &r) {
			return id, refusef("%s.json, which names %s: %s", base, principal, r.Reason)
		}
		return id, err
	}
	return id, nil
}

// ValidProposalID reports whether id has the form of a proposal id,
// BP-<yyyymmdd>-<12 hex>; anything else is refused before it is used in a
// file name or a note.
func ValidProposalID(id string) error {
	ok := len(id) == len("BP-20060102-")+12 && strings.HasPrefix(id, "BP-") && id[11] == '-'
	for i, r := range id {
		if !ok {
			break
		}
		switch {
		case i < 3 || i == 11:
		case i < 11:
			ok = '0' <= r && r <= '9'
		default:
			ok = '0' <= r && r <= '9' || 'a' <= r && r <= 'f'
		}
	}
	if !ok {
		return fmt.Errorf("proposal id %q: want BP-<yyyymmdd>-<12 hex digits>, as `baseline propose` prints", id)
	}
	return nil
}

func parseRecordTime(v string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, fmt.Errorf("record time %q: %w", v, err)
	}
	return t, nil
}
