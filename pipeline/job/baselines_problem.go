package job

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"

	"github.com/ledgerlens/ledgerlens/pipeline/audit"
	"github.com/ledgerlens/ledgerlens/pipeline/baselines"
	"github.com/ledgerlens/ledgerlens/pipeline/inputs"
	"github.com/ledgerlens/ledgerlens/reports"
)

// BaselinesProblems says what in the record of the maker-checker flow
// (docs/COMPLIANCE.md, "Maker-checker baseline updates") does not hold:
// the baselines file is not the one the newest baseline_applied entry
// wrote (it was edited outside the flow; when no approval was ever
// applied, the baselines a root starts with are its operator's), and a
// baseline_applied entry applies an approval the log does not record as
// approved before it, or one already applied. It is empty when all hold.
// entries is the verified log (the integrity check's; a job's own is
// Job.BaselinesProblems).
func BaselinesProblems(l inputs.Layout, entries []audit.Entry) ([]string, error) {
	sum, err := BaselinesSHA256(l)
	if err != nil {
		return nil, err
	}
	return baselinesProblems(l, entries, sum), nil
}

// baselinesProblems is BaselinesProblems for the baselines file whose
// bytes hash to sum ("" for none).
func baselinesProblems(l inputs.Layout, entries []audit.Entry, sum string) []string {
	problems, last := baselinesFlowProblems(entries)
	if p := baselinesFileProblem(l, last, sum); p != "" {
		problems = append(problems, p)
	}
	return problems
}

// BaselineRecordsProblems says which proposal and approval records the
// log the job opened records (the path and SHA-256 of each
// baseline_proposed and baseline_approved entry) are missing or changed
// on disk. A report's maker-checker items are computed from the records
// the log recognises: with an approval record deleted, its proposal
// showed as pending again, and the weekly job ended 0
// (TestAttackApprovalFilesDeletedThenApprovedAgain). `verify all` needs
// no such check: it checks every file the log records as published.
func (j *Job) BaselineRecordsProblems() ([]string, error) {
	return BaselineRecordsProblemsIn(j.env.Layout, j.trail.state.Entries)
}

// BaselineRecordsProblemsIn is BaselineRecordsProblems over the entries of
// a log read without a job (`baseline verify`).
func BaselineRecordsProblemsIn(l inputs.Layout, entries []audit.Entry) ([]string, error) {
	var problems []string
	for _, r := range baselines.RecordedFiles(entries) {
		path := r.Path
		data, err := inputs.ReadRegular(l.Resolve(filepath.FromSlash(path)))
		var notRegular *inputs.NotRegularError
		switch {
		case errors.Is(err, fs.ErrNotExist):
			problems = append(problems, fmt.Sprintf("baseline record %s (%s at audit seq %d) is missing: the maker-checker items are computed from the records the log names; restore it",
				path, r.Event, r.Seq))
		case errors.As(err, &notRegular):
			// Something else in its place (a directory, a FIFO): found,
			// not a check that could not run (an outside review).
			problems = append(problems, fmt.Sprintf("baseline record %s (%s at audit seq %d) is missing, something that is not a regular file in its place: restore it",
				path, r.Event, r.Seq))
		case err != nil:
			return nil, fmt.Errorf("baseline record %s: %w", path, err)
		case reports.SHA256Hex(data) != r.SHA256:
			problems = append(problems, fmt.Sprintf("baseline record %s changed since %s at audit seq %d recorded it (sha256 %s, recorded %s): restore it",
				path, r.Event, r.Seq, ShortSum(reports.SHA256Hex(data)), ShortSum(r.SHA256)))
		}
	}
	return problems, nil
}

// baselinesFlowProblems checks that every baseline_applied entry applies
// an approval recorded before it, once; it also returns the newest
// baseline_applied entry (nil when there is none).
func baselinesFlowProblems(entries []audit.Entry) (problems []string, last *audit.Entry) {
	// An approval id names its approver and second; with the proposal it
	// names one approval.
	type approval struct{ proposal, id string }
	approved := map[approval]bool{}
	appliedAt := map[approval]int64{}
	for i := range entries {
		e := &entries[i]
		proposal, _ := e.Fields["proposal_id"].(string)
		id, _ := e.Fields["approval_id"].(string)
		key := approval{proposal, id}
		switch e.Event {
		case audit.EventBaselineApproved:
			approved[key] = true
		case audit.EventBaselineApplied:
			last = e
			switch {
			case !approved[key]:
				problems = append(problems, fmt.Sprintf("audit seq %d applies baseline approval %q of proposal %s, which the log does not record as approved before it: the approval was not made by 'baseline approve'",
					e.Seq, id, proposal))
			case appliedAt[key] != 0:
				problems = append(problems, fmt.Sprintf("audit seq %d applies baseline approval %q of proposal %s again, already applied at audit seq %d: an old approval was replayed",
					e.Seq, id, proposal, appliedAt[key]))
			default:
				appliedAt[key] = e.Seq
			}
		}
	}
	return problems, last
}

// baselinesFileProblem says when the baselines file, whose bytes hash to
// got ("" for none), is not the one last, the newest baseline_applied
// entry, wrote ("" when it is, or when last is nil).
func baselinesFileProblem(l inputs.Layout, last *audit.Entry, got string) string {
	if last == nil {
		return ""
	}
	want, _ := last.Fields["sha256"].(string)
	if got == want {
		return ""
	}
	return fmt.Sprintf("baselines %s changed outside the maker-checker flow: sha256 %s, but the approval %v applied at audit seq %d wrote %s — restore the file that approval wrote (no approval is applied on top of an edit)",
		l.Rel(l.Baselines), ShortSum(got), last.Fields["approval_id"], last.Seq, ShortSum(want))
}

// BaselinesSHA256 is the SHA-256 of the baselines file, "" when there is
// none.
func BaselinesSHA256(l inputs.Layout) (string, error) {
	data, err := inputs.ReadRegular(l.Baselines)
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("baselines %s: %w", l.Rel(l.Baselines), err)
	}
	return reports.SHA256Hex(data), nil
}

// ShortSum abbreviates a SHA-256 for messages; "" is no file.
func ShortSum(sum string) string {
	if sum == "" {
		return "(no file)"
	}
	return sum[:min(12, len(sum))]
}

// BaselinesProblems is BaselinesProblems over the log as the job opened
// and verified it, which the job holds already, for the baselines file
// as in read it (Inputs.SHA256): the bytes the job computes from.
func (j *Job) BaselinesProblems(in *Inputs) []string {
	return baselinesProblems(j.env.Layout, j.trail.state.Entries, in.SHA256(RoleBaselines))
}

// BaselinesFileProblem says when the baselines file, as in read it, is
// not the one the newest baseline_applied entry of the log the job
// opened wrote ("" when it is, or when no approval was ever applied): an
// approval applied on top of it would record the edit as approved.
func (j *Job) BaselinesFileProblem(in *Inputs) string {
	_, last := baselinesFlowProblems(j.trail.state.Entries)
	return baselinesFileProblem(j.env.Layout, last, in.SHA256(RoleBaselines))
}

// EditedBaselinesError is nil when the baselines file, as in read it, is
// the one the newest baseline_applied entry of the log the job opened
// wrote (or when no approval was ever applied); otherwise an integrity
// problem that refuses the job before it publishes anything. The weekly
// and SLA jobs published a report computed from such an edit and then
// exited 4; once the file was put back, every verifier passed, and the
// signed report computed from thresholds nobody approved stood as
// evidence (docs/COMPLIANCE.md, "Maker-checker baseline updates").
// `baseline propose` would sign the edit's value as the baseline in
// force.
func (j *Job) EditedBaselinesError(in *Inputs) error {
	if p := j.BaselinesFileProblem(in); p != "" {
		return &IntegrityError{Problems: []string{p + "; nothing is published from baselines no approval wrote"}}
	}
	return nil
}

// RecordedApproval returns what the log the job opened records of
// baseline approval approvalID of proposalID: its baseline_approved entry
// (nil when there is none) and whether a baseline_applied entry followed.
func (j *Job) RecordedApproval(proposalID, approvalID string) (approved *audit.Entry, applied bool) {
	for i := range j.trail.state.Entries {
		e := &j.trail.state.Entries[i]
		if e.Fields["approval_id"] != approvalID || e.Fields["proposal_id"] != proposalID {
			continue
		}
		switch e.Event {
		case audit.EventBaselineApproved:
			approved = e
		case audit.EventBaselineApplied:
			applied = true
		}
	}
	return approved, applied
}

// ProposalApproval returns the newest baseline_approved entry the log the
// job opened records for proposalID, whichever approval it names; nil
// when there is none.
func (j *Job) ProposalApproval(proposalID string) *audit.Entry {
	return ProposalApproval(j.trail.state.Entries, proposalID)
}

// ProposalApproval returns the newest baseline_approved entry of entries
// for proposalID, whichever approval it names; nil when there is none. The
// log, not the updates directory, says whether a proposal was approved.
func ProposalApproval(entries []audit.Entry, proposalID string) *audit.Entry {
	var approved *audit.Entry
	for i := range entries {
		e := &entries[i]
		if e.Event == audit.EventBaselineApproved && e.Fields["proposal_id"] == proposalID {
			approved = e
		}
	}
	return approved
}
