package baselines

import (
	"fmt"
	"strings"
	"time"

	"github.com/ledgerlens/ledgerlens/pipeline/rules"
)

// NoteBase returns the publication name (without .md) of the n-th update
// note of date (YYYY-MM-DD): update_<date> for the first, then
// update_<date>-2, update_<date>-3, … Each approval gets its own note, so a
// published note is never rewritten (it is signed like every record).
func NoteBase(date string, n int) string {
	if n <= 1 {
		return "update_" + date
	}
	return fmt.Sprintf("update_%s-%d", date, n)
}

// RenderNote writes the update note of an approval in the runbook's format
// (Baseline Update Procedure, step 3), followed by the maker-checker record
// the runbook's operators kept by hand. Dates are shown in loc.
func RenderNote(a Approval, loc *time.Location) ([]byte, error) {
	approved, err := a.Time()
	if err != nil {
		return nil, err
	}
	if loc == nil {
		loc = time.UTC
	}
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	p("# Baseline Update: %s", a.ScenarioID)
	p("")
	p("**Date:** %s", approved.In(loc).Format(time.DateOnly))
	p("**Operator:** O3 %s", a.ApprovedBy)
	p("**Approval:** %s", a.ApprovalID)
	p("")
	if a.OldBaseline != nil {
		p("**Old Baseline:** %.2f credits", *a.OldBaseline)
	} else {
		p("**Old Baseline:** none (first baseline for this scenario)")
	}
	p("**New Baseline:** %.2f credits", a.NewBaseline)
	if a.ChangePct != nil {
		p("**Change:** %+.1f%%", *a.ChangePct)
	} else {
		p("**Change:** n/a (no previous baseline)")
	}
	p("")
	p("**Rationale:**")
	lines := 0
	for _, l := range strings.Split(a.Rationale, "\n") {
		l = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(l), "- "))
		if l != "" {
			p("- %s", l)
			lines++
		}
	}
	if lines == 0 {
		p("- (none given)")
	}
	p("")
	p("**Sample Size:** %d healthy runs over %d days", a.SampleSize, a.WindowDays)
	stability := "stable"
	if a.CV >= rules.StableCV {
		stability = fmt.Sprintf("not stable: CV ≥ %g", rules.StableCV)
	}
	p("**Coefficient of Variation:** %.2f (%s)", a.CV, stability)
	p("")
	p("## Maker-checker record")
	p("")
	p("- **Proposal:** %s by %s at %s (%s, sha256 %s)", a.ProposalID, a.ProposedBy, a.ProposedAt, a.ProposalFile, a.ProposalSHA256)
	p("- **Approved:** by %s at %s", a.ApprovedBy, a.ApprovedAt)
	clock := "approved within 1 business day"
	if a.Clock.Late {
		clock = "LATE: approved after the 1 business day clock (an sla_breach finding)"
	}
	p("- **Maker-checker clock:** due %s; %s", a.Clock.DueAt, clock)
	p("- **Two-person rule:** approver differs from proposer")
	p("- **Stability:** %d SEV0/SEV1 runs of the scenario between %s and %s", a.Checks.HighSeverityRuns, a.Checks.StabilityFrom, a.Checks.StabilityTo)
	if a.Checks.LargeChange {
		p("- **Large change:** more than %.0f %%, accepted with --force-large-change", LargeChangePct)
	}
	p("- **Record:** %s.json (signed)", ApprovalBase(a.ProposalID))
	return []byte(b.String()), nil
}
