package review

import (
	"database/sql"
	"fmt"
	"sort"
	"time"

	"github.com/ledgerlens/ledgerlens/pipeline/businesstime"
	"github.com/ledgerlens/ledgerlens/pipeline/inputs"
	"github.com/ledgerlens/ledgerlens/pipeline/rules"
	"github.com/ledgerlens/ledgerlens/reports"
)

// Violation types (docs/RULES.md, "Policy violations").
const (
	VMissingCase          = "missing_case"
	VSev0NotQuarantined   = "sev0_not_quarantined"
	VStaleCase            = "stale_case"
	VMissingRootCause     = "missing_root_cause"
	VSLABreach            = "sla_breach"
	VRerunWithoutApproval = "rerun_without_approval"
	VSeverityMismatch     = "severity_mismatch"
	VMissingBaseline      = "missing_baseline"
	VDuplicateConflicting = "duplicate_conflicting"
	VLedgerModified       = "ledger_modified"
	VDriftSignificant     = "drift_significant"
	VLedgerStale          = "ledger_stale"
)

func ptr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// policyViolations fills section 4 from the other sections' results, the store
// and the cases.
func (a *analysis) policyViolations() error {
	var out []reports.PolicyViolation
	add := func(typ, sev, runID, caseID, scenarioID, detail string) {
		out = append(out, reports.PolicyViolation{Type: typ, Severity: sev, RunID: ptr(runID),
			CaseID: ptr(caseID), ScenarioID: ptr(scenarioID), Detail: detail})
	}
	// clocked names the SLA clock of the finding just added (sla_breach),
	// with its start and deadline: findings of different clocks about the
	// same case must say which clock each is.
	clocked := func(clock string, start, deadline time.Time) {
		out[len(out)-1].Clock = &reports.FindingClock{Clock: clock, Name: reports.ClockName(clock),
			Start: formatTime(start), Deadline: formatTime(deadline)}
	}

	// Run-level findings (policy_violations.sql).
	rows, err := a.queryRows("policy_violations", a.p.Start, a.p.End)
	if err != nil {
		return err
	}
	for rows.Next() {
		var typ, runID, scenario string
		var recorded, recomputed, status sql.NullString
		var mult sql.NullFloat64
		if err := scanNamed(rows, "policy_violations", map[string]any{"type": &typ, "run_id": &runID, "scenario_id": &scenario,
			"severity": &recorded, "recomputed_severity": &recomputed, "status": &status, "multiplier": &mult}); err != nil {
			rows.Close()
			return err
		}
		sev := rules.HigherSeverity(recorded.String, recomputed.String)
		multText := "unknown"
		if mult.Valid {
			multText = fmt.Sprintf("%.2f×", mult.Float64)
		}
		switch typ {
		case VMissingCase:
			add(typ, sev, runID, "", scenario, fmt.Sprintf("%s run (recorded %s, recomputed %s, multiplier %s) is not referenced by any case",
				sev, orDash(recorded), orDash(recomputed), multText))
		case VSev0NotQuarantined:
			add(typ, "SEV0", runID, "", scenario, fmt.Sprintf("SEV0 run has status %s, not Quarantined", orDash(status)))
		case VSeverityMismatch:
			add(typ, sev, runID, "", scenario, fmt.Sprintf("recorded %s but recomputed %s (multiplier %s)",
				recorded.String, recomputed.String, multText))
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}

	// Scenarios without a baseline.
	rows, err = a.queryRows("policy_violations_missing_baselines", a.p.Start, a.p.End)
	if err != nil {
		return err
	}
	for rows.Next() {
		var scenario string
		var n int64
		if err := scanNamed(rows, "policy_violations_missing_baselines", map[string]any{"scenario_id": &scenario, "runs": &n}); err != nil {
			rows.Close()
			return err
		}
		add(VMissingBaseline, "SEV3", "", "", scenario,
			fmt.Sprintf("%d runs in the period and no baseline in credit-baselines.json: multipliers unknown", n))
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}

	// Conflicting duplicates of runs in the period.
	rows, err = a.queryRows("policy_violations_conflicting_duplicates", a.p.Start, a.p.End)
	if err != nil {
		return err
	}
	for rows.Next() {
		var runID, scenario string
		var line, first int64
		if err := scanNamed(rows, "policy_violations_conflicting_duplicates", map[string]any{"run_id": &runID, "line_no": &line,
			"first_line_no": &first, "scenario_id": &scenario}); err != nil {
			rows.Close()
			return err
		}
		detail := fmt.Sprintf("ledger line %d repeats the run id of line %d with different content; line %d counts", line, first, first)
		for _, d := range a.in.ConflictingDuplicates {
			if d.LineNo == line && d.RunID == runID && d.Acknowledgment != nil {
				detail += fmt.Sprintf("; acknowledged by %s: %s", d.Acknowledgment.By, d.Acknowledgment.Reason)
			}
		}
		add(VDuplicateConflicting, "SEV2", runID, "", scenario, detail)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}

	if err := a.caseViolations(add, clocked); err != nil {
		return err
	}

	if err := a.staleLedger(add); err != nil {
		return err
	}

	for _, m := range a.w.DataQuality.AppendOnly.Modifications {
		found := fmt.Sprintf("ingest %d", m.DetectedAtIngest)
		if m.DetectedAtIngest == 0 {
			// The store was rebuilt since: the audit log's record.
			found = fmt.Sprintf("the ingest of audit seq %d", m.AuditSeq)
		}
		add(VLedgerModified, "SEV1", "", "", "", fmt.Sprintf(
			"%s found the already-loaded ledger prefix changed in bytes %d–%d (lines %d–%d); the store was reloaded",
			found, m.ByteFrom, m.ByteTo, m.LineFrom, m.LineTo))
	}
	for _, d := range append(append([]reports.Drift{}, a.w.Drift...), a.w.DriftMix) {
		if d.Status == "significant" && d.PSI != nil {
			add(VDriftSignificant, "SEV3", "", "", d.ScenarioID, fmt.Sprintf(
				"PSI %.4f ≥ 0.2 (%d current vs %d reference runs)", *d.PSI, d.CurrentRuns, d.ReferenceRuns))
		}
	}
	for _, ap := range a.in.Approvals {
		if ap.ApprovedAt.Before(a.p.Start) || !ap.ApprovedAt.Before(a.p.End) {
			continue
		}
		if due := businesstime.AddBusinessDays(ap.ProposedAt, 1); ap.ApprovedAt.After(due) {
			add(VSLABreach, "SEV3", "", "", ap.ScenarioID, fmt.Sprintf(
				"baseline proposal %s approved %s, later than 1 business day after it was proposed (%s)",
				ap.ProposalID, formatTime(ap.ApprovedAt), formatTime(ap.ProposedAt)))
			clocked(reports.ClockMakerChecker, ap.ProposedAt, due)
		}
	}

	sort.SliceStable(out, func(i, j int) bool {
		x, y := out[i], out[j]
		if rx, ry := rules.SeverityRank(x.Severity), rules.SeverityRank(y.Severity); rx != ry {
			return rx < ry
		}
		if x.Type != y.Type {
			return x.Type < y.Type
		}
		for _, pair := range [][2]*string{{x.RunID, y.RunID}, {x.CaseID, y.CaseID}, {x.ScenarioID, y.ScenarioID}} {
			if a, b := deref(pair[0]), deref(pair[1]); a != b {
				return a < b
			}
		}
		return x.Detail < y.Detail
	})
	if out == nil {
		out = []reports.PolicyViolation{}
	}
	a.w.PolicyViolations = out
	return nil
}

// staleLedger adds ledger_stale (SEV1) when the period has no runs while
// earlier weeks had some, or when the newest run is older than
// stale_ledger_hours at the reference time: the period end, or "now" for a
// period not yet ended (Input.StaleAt). Both mean the upstream logger may
// have stopped; silence must not read as a quiet week. An empty ledger is
// reported as such, not as stale.
func (a *analysis) staleLedger(add func(typ, sev, runID, caseID, scenarioID, detail string)) error {
	var newest sql.NullTime
	var earlier, inPeriod int64
	if err := a.scanOne("policy_violations_ledger_staleness",
		map[string]any{"newest": &newest, "in_period": &inPeriod}, a.p.Start, a.p.End); err != nil {
		return err
	}
	// With runs in the period, the newest before its end is among them;
	// only an empty period needs the rest of the store.
	if inPeriod == 0 {
		if err := a.scanOne("policy_violations_ledger_staleness_earlier",
			map[string]any{"newest": &newest, "earlier": &earlier}, a.p.Start); err != nil {
			return err
		}
	}
	if !newest.Valid {
		return nil
	}
	at := a.p.End
	if !a.in.StaleAt.IsZero() && a.in.StaleAt.Before(at) {
		at = a.in.StaleAt
	}
	hours := a.in.Config.LedgerStaleHours
	if hours <= 0 {
		hours = inputs.DefaultLedgerStaleHours
	}
	limit := time.Duration(hours * float64(time.Hour))
	switch age := at.Sub(newest.Time); {
	case inPeriod == 0 && earlier > 0:
		add(VLedgerStale, "SEV1", "", "", "", fmt.Sprintf(
			"no runs in the period while earlier weeks had %d; the newest run is from %s: is the ledger still being written?",
			earlier, formatTime(newest.Time)))
	case age > limit:
		add(VLedgerStale, "SEV1", "", "", "", fmt.Sprintf(
			"the newest run is from %s, %.0f h before %s (limit %g h, stale_ledger_hours): is the ledger still being written?",
			formatTime(newest.Time), age.Hours(), formatTime(at), hours))
	}
	return nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func orDash(s sql.NullString) string {
	if !s.Valid || s.String == "" {
		return "—"
	}
	return s.String
}

// ackClock is the name of a case's acknowledgment clock (reports.ClockSEV0Ack
// or reports.ClockSEV1Ack).
func ackClock(severity string) string {
	if severity == "SEV0" {
		return reports.ClockSEV0Ack
	}
	return reports.ClockSEV1Ack
}

// slaClock is the acknowledgement clock per case severity (docs/RULES.md, "Policy violations").
func slaClock(severity string) (time.Duration, bool) {
	switch severity {
	case "SEV0":
		return 15 * time.Minute, true
	case "SEV1":
		return time.Hour, true
	}
	return 0, false
}

// caseViolations raises stale_case, missing_root_cause, sla_breach and
// rerun_without_approval from the cases and their runs in the store.
func (a *analysis) caseViolations(add func(typ, sev, runID, caseID, scenarioID, detail string),
	clocked func(clock string, start, deadline time.Time)) error {
	type primary struct {
		runID, scenario string
		at              time.Time
		reruns          int64
		firstRerun      sql.NullTime
	}
	primaries := map[string]primary{}
	rows, err := a.queryRows("policy_violations_case_runs_in_store", a.p.Start, a.p.End)
	if err != nil {
		return err
	}
	for rows.Next() {
		var caseID string
		var p primary
		if err := scanNamed(rows, "policy_violations_case_runs_in_store", map[string]any{"case_id": &caseID, "run_id": &p.runID, "timestamp": &p.at,
			"scenario_id": &p.scenario, "unapproved_reruns": &p.reruns, "first_unapproved": &p.firstRerun}); err != nil {
			rows.Close()
			return err
		}
		primaries[caseID] = p
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}

	end := a.p.End
	for _, c := range a.in.Cases {
		sev := c.Severity
		if !c.CreatedAt.IsZero() && !c.CreatedAt.Before(end) {
			continue // the case did not exist yet at period end
		}
		resolved := c.Status == "Resolved" && (c.ResolvedAt.IsZero() || c.ResolvedAt.Before(end))
		if !resolved {
			last := c.UpdatedAt
			if last.IsZero() {
				last = c.CreatedAt
			}
			if !last.IsZero() && end.Sub(last) > 7*24*time.Hour {
				add(VStaleCase, sev, c.PrimaryRunID, c.ID, "", fmt.Sprintf(
					"case %s is %s and was last updated %s, more than 7 days before period end",
					c.ID, c.Status, formatTime(last)))
			}
		}
		if resolved && c.RootCause == "" {
			add(VMissingRootCause, sev, c.PrimaryRunID, c.ID, "", fmt.Sprintf(
				"case %s is Resolved without a Root_Cause", c.ID))
		}
		p, known := primaries[c.ID]
		clock, hasClock := slaClock(sev)
		if known && hasClock && !p.at.Before(a.p.Start) && p.at.Before(end) {
			due := p.at.Add(clock)
			switch {
			case !c.AcknowledgedAt.IsZero() && !c.AcknowledgedAt.After(end):
				if late := c.AcknowledgedAt.Sub(p.at); late > clock {
					add(VSLABreach, sev, p.runID, c.ID, p.scenario, fmt.Sprintf(
						"%s case acknowledged %.0f min after its run; the clock is %.0f min",
						sev, late.Minutes(), clock.Minutes()))
					clocked(ackClock(sev), p.at, due)
				}
			case due.Before(end):
				add(VSLABreach, sev, p.runID, c.ID, p.scenario, fmt.Sprintf(
					"%s case still unacknowledged at period end; the %.0f min clock ran out at %s",
					sev, clock.Minutes(), formatTime(due)))
				clocked(ackClock(sev), p.at, due)
			}
		}
		if known && hasClock && p.reruns > 0 {
			add(VRerunWithoutApproval, sev, p.runID, c.ID, p.scenario, fmt.Sprintf(
				"%d later run(s) of %s in the period (first %s) while %s case %s was unresolved and had no rerun approval",
				p.reruns, p.scenario, formatTime(p.firstRerun.Time), sev, c.ID))
		}
	}
	return nil
}
