package job

import (
	"fmt"
	"os"

	"github.com/ledgerlens/ledgerlens/pipeline/audit"
	"github.com/ledgerlens/ledgerlens/pipeline/inputs"
	"github.com/ledgerlens/ledgerlens/reports"
)

// BaselinesProblem says when the baselines file is not the one the newest
// baseline_applied entry wrote: it was edited outside the maker-checker
// flow (docs/COMPLIANCE.md, "Maker-checker baseline updates"). It is ""
// when the file matches, or when no approval was ever applied (the
// baselines a root starts with are its operator's).
// entries is the verified log (the integrity check's; a job's own is
// Job.BaselinesProblem).
func BaselinesProblem(l inputs.Layout, entries []audit.Entry) (string, error) {
	for i := len(entries) - 1; i >= 0; i-- {
		e := entries[i]
		if e.Event != audit.EventBaselineApplied {
			continue
		}
		want, _ := e.Fields["sha256"].(string)
		data, err := os.ReadFile(l.Baselines)
		if err != nil {
			return "", fmt.Errorf("baselines %s: %w", l.Rel(l.Baselines), err)
		}
		if got := reports.SHA256Hex(data); got != want {
			return fmt.Sprintf("baselines %s changed outside the maker-checker flow: sha256 %s, but the approval %v applied at audit seq %d wrote %s — restore it or propose and approve the change",
				l.Rel(l.Baselines), got[:min(12, len(got))], e.Fields["approval_id"], e.Seq, want[:min(12, len(want))]), nil
		}
		return "", nil
	}
	return "", nil
}

// BaselinesProblem is BaselinesProblem over the log as the job opened and
// verified it, which the job holds already.
func (j *Job) BaselinesProblem() (string, error) {
	return BaselinesProblem(j.env.Layout, j.trail.state.Entries)
}
