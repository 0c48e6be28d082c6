package review

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ledgerlens/ledgerlens/pipeline/businesstime"
	"github.com/ledgerlens/ledgerlens/pipeline/rules"
	"github.com/ledgerlens/ledgerlens/pipeline/store"
	"github.com/ledgerlens/ledgerlens/reports"
)

// Severities of the action items that are not policy violations.
const (
	sevSLOFreeze       = "SEV1" // the error budget is spent: changes stop
	sevNoRuns          = "SEV1" // nothing to review at all
	sevLateArrival     = "SEV2" // a published report misses runs
	sevOverdueApproval = "SEV2" // the maker-checker clock ran out
	sevUnpublished     = "SEV1" // a week nobody reviewed
)

// actionTitle is the first words of an item's line for its kind.
func actionTitle(kind string) string {
	switch kind {
	case VMissingCase:
		return "Open a case"
	case VSev0NotQuarantined:
		return "Quarantine the run"
	case VStaleCase:
		return "Update the stale case"
	case VMissingRootCause:
		return "Record the root cause"
	case VSLABreach:
		return "Acknowledgement SLA breached"
	case VRerunWithoutApproval:
		return "Rerun without approval"
	case VSeverityMismatch:
		return "Check the recorded severity"
	case VMissingBaseline:
		return "Set a baseline"
	case VDuplicateConflicting:
		return "Resolve the conflicting duplicate"
	case VLedgerModified:
		return "Ledger modified"
	case VDriftSignificant:
		return "Significant drift"
	case reports.ActionSLOFreeze:
		return "Error-budget freeze"
	case VLedgerStale:
		return "Ledger stale"
	case reports.ActionNoRuns:
		return "No runs"
	case reports.ActionLateArrival:
		return "Late arrivals"
	case reports.ActionOverdueApproval:
		return "Approval overdue"
	case reports.ActionUnpublishedWeek:
		return "Week not reviewed"
	}
	return kind
}

// NewestRun returns the timestamp of the newest run in the store before
// before, or of the newest run at all when before is zero; ok is false when
// there is none. from is where to look first: when a run exists in
// [from, before), only the rows from there on are read (the store skips
// older row groups by their timestamps); otherwise, or with a zero from,
// the whole store is.
func NewestRun(ctx context.Context, st *store.Store, from, before time.Time) (t time.Time, ok bool, err error) {
	bound := func(t time.Time) any {
		if t.IsZero() {
			return nil
		}
		return t
	}
	var newest sql.NullTime
	if !from.IsZero() {
		if err := st.Conn().QueryRowContext(ctx, query("action_required_newest_run"), bound(before), from).Scan(&newest); err != nil {
			return time.Time{}, false, fmt.Errorf("action_required_newest_run.sql: %w", err)
		}
	}
	if !newest.Valid {
		if err := st.Conn().QueryRowContext(ctx, query("action_required_newest_run"), bound(before), nil).Scan(&newest); err != nil {
			return time.Time{}, false, fmt.Errorf("action_required_newest_run.sql: %w", err)
		}
	}
	if !newest.Valid {
		return time.Time{}, false, nil
	}
	return newest.Time.UTC(), true, nil
}

// actionRequired fills the report's action_required list from the other
// sections, which it must run after.
func (a *analysis) actionRequired() error {
	newest, ok, err := NewestRun(a.ctx, a.st, a.p.Start, a.p.End)
	if err != nil {
		return err
	}
	var newestPtr *time.Time
	if ok {
		newestPtr = &newest
	}
	a.w.ActionRequired = ActionItems(a.w, ActionInput{End: a.p.End, NewestRun: newestPtr, Approvals: a.in.Approvals})
	return nil
}

// ActionInput is what the action-required list needs besides the report.
type ActionInput struct {
	End       time.Time  // period end (exclusive)
	NewestRun *time.Time // newest run before End; nil when the store has none
	Approvals []Approval // applied and pending baseline proposals
}

// ActionItems lists what in w needs a person this week, most severe first:
// every SEV0/SEV1 policy violation, every significant drift, every
// error-budget freeze, a week without runs or a stale ledger, late arrivals
// into published weeks, earlier weeks nobody published a review of, and
// baseline proposals whose approval is overdue at the period end. Items of one severity are ordered by kind, then subject.
func ActionItems(w *reports.Weekly, in ActionInput) []reports.ActionRequiredItem {
	out := []reports.ActionRequiredItem{}
	add := func(sev, kind, subject, detail, ref string) {
		text := actionTitle(kind)
		if subject != "" {
			text += ": " + subject
		}
		if detail != "" {
			text += " — " + detail
		}
		out = append(out, reports.ActionRequiredItem{Severity: sev, Kind: kind, Subject: subject, Text: text, Ref: ref})
	}

	for i, v := range w.PolicyViolations {
		ref := "/policy_violations/" + strconv.Itoa(i)
		switch {
		case v.Type == VDriftSignificant:
			// The Drift entry is where the figures are.
			ref = driftRef(w, deref(v.ScenarioID), ref)
		case rules.SeverityRank(v.Severity) > 1:
			continue
		}
		add(v.Severity, v.Type, violationSubject(v), v.Detail, ref)
	}
	// The month-to-date figures are of the month holding the period's last
	// instant (reliability.go); End carries the report's zone.
	month := in.End.Add(-time.Nanosecond).Format("January 2006")
	for i, s := range w.Reliability.Services {
		if s.Freeze {
			add(sevSLOFreeze, reports.ActionSLOFreeze, s.Service, fmt.Sprintf(
				"%.2f %% of the %s error budget consumed (uptime %s to date %.2f %%, target %.2f %%): changes are frozen",
				s.BudgetConsumedPct, month, month, s.UptimeMTDPct, s.SLOTargetPct), "/reliability/services/"+strconv.Itoa(i))
		}
	}
	// A stale ledger is the SEV1 violation ledger_stale (violations.go,
	// configurable age), listed above with the other SEV0/SEV1 findings.
	if w.SummaryStats.TotalRuns == 0 {
		detail := "the ledger has no runs in this period"
		if in.NewestRun != nil {
			detail += "; its newest run is from " + in.NewestRun.UTC().Format(time.RFC3339)
		}
		add(sevNoRuns, reports.ActionNoRuns, "ledger", detail, "/summary_stats/total_runs")
	}
	for i, l := range w.DataQuality.LateArrivals {
		add(sevLateArrival, reports.ActionLateArrival, l.Week, fmt.Sprintf(
			"%d run(s), %.2f credits landed after %s was published: publish a new revision with --supersede",
			l.Count, l.Credits, l.PublishedFile), "/data_quality/late_arrivals/"+strconv.Itoa(i))
	}
	for i, week := range w.DataQuality.UnpublishedWeeks {
		add(sevUnpublished, reports.ActionUnpublishedWeek, week, fmt.Sprintf(
			"no weekly review of %s is published: run `ledgerlens report weekly --week %s`", week, week),
			"/data_quality/unpublished_weeks/"+strconv.Itoa(i))
	}
	for _, ap := range in.Approvals {
		if !ap.ApprovedAt.IsZero() || !ap.ProposedAt.Before(in.End) {
			continue
		}
		if due := businesstime.AddBusinessDays(ap.ProposedAt, 1); due.Before(in.End) {
			ref := ""
			for i, c := range w.BaselineCandidates {
				if c.ScenarioID == ap.ScenarioID {
					ref = "/baseline_candidates/" + strconv.Itoa(i)
					break
				}
			}
			add(sevOverdueApproval, reports.ActionOverdueApproval, ap.ScenarioID, fmt.Sprintf(
				"baseline proposal %s of %s awaits a second person's approval, due %s",
				ap.ProposalID, formatTime(ap.ProposedAt), formatTime(due)), ref)
		}
	}

	slices.SortStableFunc(out, func(x, y reports.ActionRequiredItem) int {
		if c := rules.SeverityRank(x.Severity) - rules.SeverityRank(y.Severity); c != 0 {
			return c
		}
		if c := strings.Compare(x.Kind, y.Kind); c != 0 {
			return c
		}
		return strings.Compare(x.Subject, y.Subject)
	})
	return out
}

// violationSubject names what a violation is about: its case, else its
// run, else its scenario; the ledger when it names none.
func violationSubject(v reports.PolicyViolation) string {
	for _, s := range []*string{v.CaseID, v.RunID, v.ScenarioID} {
		if s != nil && *s != "" {
			return *s
		}
	}
	return "ledger"
}

// driftRef points at the drift entry of scenario, or returns fallback.
func driftRef(w *reports.Weekly, scenario, fallback string) string {
	for i, d := range w.Drift {
		if d.ScenarioID == scenario {
			return "/drift/" + strconv.Itoa(i)
		}
	}
	if w.DriftMix.ScenarioID == scenario && scenario != "" {
		return "/drift_mix"
	}
	return fallback
}
