package slareport

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"time"

	"github.com/ledgerlens/ledgerlens/pipeline/baselines"
	"github.com/ledgerlens/ledgerlens/pipeline/businesstime"
	"github.com/ledgerlens/ledgerlens/pipeline/inputs"
	"github.com/ledgerlens/ledgerlens/pipeline/review"
	"github.com/ledgerlens/ledgerlens/reports"
	"github.com/ledgerlens/ledgerlens/stats"
)

// Clock targets of the SRE runbook (standard in-scope changes).
const (
	OperatorReviewTarget = 4 * time.Hour  // business hours after the scheduled review
	ObservationTarget    = 24 * time.Hour // calendar hours after the exception
)

// DefaultWeeklyReviewSpec is the weekly review's schedule when the
// configuration has none enabled: Monday 10:00 (the runbook's slot).
const DefaultWeeklyReviewSpec = "0 10 * * 1"

// Month is one calendar month [Start, End) in Loc.
type Month struct {
	Start, End time.Time
	Loc        *time.Location
}

// Label is the month as YYYY-MM, the M of sla_M.json.
func (m Month) Label() string { return m.Start.Format("2006-01") }

// ParseMonth reads --month YYYY-MM in loc.
func ParseMonth(s string, loc *time.Location) (Month, error) {
	t, err := time.Parse("2006-01", s)
	if err != nil {
		return Month{}, fmt.Errorf("month %q: want YYYY-MM, e.g. 2026-11", s)
	}
	return monthOf(t.Year(), t.Month(), loc), nil
}

// PreviousMonth is the default month: the calendar month before the one
// holding now (in loc).
func PreviousMonth(now time.Time, loc *time.Location) Month {
	n := now.In(loc)
	return monthOf(n.Year(), n.Month()-1, loc)
}

// monthOf is calendar month m of year y in loc, from the first instant of
// its first day to that of the next month's (businesstime.Midnight).
func monthOf(y int, m time.Month, loc *time.Location) Month {
	return Month{Start: businesstime.Midnight(y, m, 1, loc), End: businesstime.Midnight(y, m+1, 1, loc), Loc: loc}
}

// Publication is one publish event of the audit log: when a report
// revision was published, and the entry that says so.
type Publication struct {
	Base     string // weekly_2026-11-16
	Revision int
	Time     time.Time
	Seq      int64
	Hash     string
}

// Input is everything the SLA report is computed from besides the store.
type Input struct {
	Month     Month
	AsOf      time.Time // "now": only items not yet due depend on it
	Config    inputs.Config
	Policy    inputs.Policy
	Baselines *inputs.Baselines
	Cases     []inputs.Case
	Incidents []inputs.Incident
	Records   *baselines.Records
	// Publications are the audit log's publish events; AuditStart is the
	// time of its first entry (zero for an empty log). Weekly reviews due
	// before AuditStart have no record either way and are not_tracked.
	Publications []Publication
	AuditStart   time.Time
}

// Compute builds the SLA report of in.Month. The model lacks only what the
// publishing job adds: inputs' file list, generator, signing key, revision
// and audit head.
func Compute(ctx context.Context, db *sql.Conn, in Input) (*reports.SLA, error) {
	m := in.Month
	if m.Loc == nil {
		return nil, fmt.Errorf("sla report: month without a time zone")
	}
	if in.Records == nil {
		in.Records = &baselines.Records{}
	}
	s := &reports.SLA{
		Schema:      reports.SLASchema,
		ReportID:    "SLA_" + m.Label(),
		Month:       m.Label(),
		PeriodStart: m.Start.Format(time.RFC3339),
		PeriodEnd:   m.End.Format(time.RFC3339),
		TimeZone:    m.Loc.String(),
		Provenance:  reports.Provenance{Revision: 1},
		Notes:       []string{},
	}
	s.Services = review.Services(in.Incidents, in.Config, m.Start, m.End, m.Loc)
	s.Incidents = incidents(in.Incidents, s.Services, m)

	spec, specNote, err := weeklySchedule(in.Config)
	if err != nil {
		return nil, err
	}
	if specNote != "" {
		s.Notes = append(s.Notes, specNote)
	}
	if s.OperatorReview, err = operatorReview(in, spec); err != nil {
		return nil, err
	}
	if s.MakerChecker, err = makerChecker(in); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if s.Observation, err = observation(ctx, db, in); err != nil {
		return nil, err
	}
	s.Clocks = clockSummaries(s)
	s.Breaches = breaches(s)
	s.Summary = summary(s)
	s.Definitions = definitions(m.Loc, spec)
	if !in.AsOf.IsZero() && in.AsOf.Before(m.End) {
		s.Notes = append(s.Notes, "the month was not over when this report was made: pending items may still be met")
	}
	return s, nil
}

// incidents lists the incidents overlapping the month with their own
// detection, acknowledgement and recovery times.
func incidents(all []inputs.Incident, services []reports.ServiceReliability, m Month) []reports.SLAIncident {
	byID := map[string]inputs.Incident{}
	for _, inc := range all {
		byID[inc.ID] = inc
	}
	breach := map[string]bool{}
	for _, s := range services {
		for _, id := range s.RTOBreaches {
			breach[id] = true
		}
	}
	rows := review.IncidentRows(all, m.Start, m.End)
	out := make([]reports.SLAIncident, 0, len(rows))
	for _, row := range rows {
		inc := byID[row.IncidentID]
		out = append(out, reports.SLAIncident{
			IncidentRow: row,
			TTDMinutes:  since(inc.StartedAt, inc.DetectedAt),
			TTAMinutes:  since(inc.StartedAt, inc.AcknowledgedAt),
			TTRMinutes:  since(inc.StartedAt, inc.ResolvedAt),
			RTOBreach:   breach[row.IncidentID],
		})
	}
	return out
}

// since is the minutes from start to t (2 decimals), nil when t is unset.
func since(start, t time.Time) *float64 {
	if t.IsZero() {
		return nil
	}
	v := stats.Round(t.Sub(start).Minutes(), 2)
	return &v
}

// status judges one clocked item: done (zero: not done) against due, at
// asOf.
func status(done, due, asOf time.Time) (string, *float64) {
	switch {
	case !done.IsZero() && !done.After(due):
		return reports.ItemMet, nil
	case !done.IsZero():
		return reports.ItemLate, since(due, done)
	case asOf.IsZero() || !asOf.Before(due):
		return reports.ItemOverdue, nil
	default:
		return reports.ItemPending, nil
	}
}

func breached(status string) bool { return status == reports.ItemLate || status == reports.ItemOverdue }

func formatTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func timePtr(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := formatTime(t)
	return &s
}

func strPtr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// makerChecker lists the proposals whose 1-business-day clock runs out in
// the month.
func makerChecker(in Input) ([]reports.ApprovalClockItem, error) {
	out := []reports.ApprovalClockItem{}
	for _, p := range in.Records.Proposals {
		proposed, err := p.Time()
		if err != nil {
			return nil, err
		}
		due := baselines.DueAt(proposed, in.Month.Loc)
		if due.Before(in.Month.Start) || !due.Before(in.Month.End) {
			continue
		}
		item := reports.ApprovalClockItem{
			ProposalID: p.ProposalID, ScenarioID: p.ScenarioID, ProposedBy: p.ProposedBy,
			ProposedAt: formatTime(proposed), DueAt: formatTime(due),
			ClockName: reports.ClockName(reports.ClockMakerChecker),
		}
		var done time.Time
		if a, ok := in.Records.Approval(p.ProposalID); ok {
			if done, err = a.Time(); err != nil {
				return nil, err
			}
			item.ApprovalID, item.ApprovedBy, item.ApprovedAt = strPtr(a.ApprovalID), strPtr(a.ApprovedBy), timePtr(done)
		}
		item.Status, item.LateMinutes = status(done, due, in.AsOf)
		out = append(out, item)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].DueAt != out[j].DueAt {
			return out[i].DueAt < out[j].DueAt
		}
		return out[i].ProposalID < out[j].ProposalID
	})
	return out, nil
}

// observation lists the SEV0/SEV1 runs (recorded, or recomputed against the
// baselines in force) whose 24-hour observation clock runs out in the
// month. A run is observed when a case naming it (as primary or related
// run) was acknowledged; the earliest acknowledgement counts.
func observation(ctx context.Context, db *sql.Conn, in Input) ([]reports.ObservationClockItem, error) {
	m := in.Month
	runs, err := baselines.HighSeverityRuns(ctx, db, baselines.HighSeverityQuery{
		From: m.Start.Add(-ObservationTarget), To: m.End.Add(-ObservationTarget),
		Baselines: in.Baselines, Policy: in.Policy,
	})
	if err != nil {
		return nil, fmt.Errorf("sla report: observation clock: %w", err)
	}
	type seen struct {
		caseID string
		ack    time.Time
	}
	byRun := map[string]seen{}
	for _, c := range in.Cases { // sorted by id
		for _, id := range c.RunIDs() {
			cur, ok := byRun[id]
			switch {
			case !ok:
				byRun[id] = seen{c.ID, c.AcknowledgedAt}
			case !c.AcknowledgedAt.IsZero() && (cur.ack.IsZero() || c.AcknowledgedAt.Before(cur.ack)):
				byRun[id] = seen{c.ID, c.AcknowledgedAt}
			}
		}
	}
	out := make([]reports.ObservationClockItem, 0, len(runs))
	for _, r := range runs {
		due := r.Timestamp.Add(ObservationTarget)
		obs := byRun[r.RunID]
		item := reports.ObservationClockItem{
			RunID: r.RunID, ScenarioID: r.ScenarioID, Severity: r.Severity(),
			RunAt: formatTime(r.Timestamp), DueAt: formatTime(due),
			CaseID: strPtr(obs.caseID), AcknowledgedAt: timePtr(obs.ack),
			ClockName: reports.ClockName(reports.ClockObservation),
		}
		item.Status, item.LateMinutes = status(obs.ack, due, in.AsOf)
		out = append(out, item)
	}
	return out, nil
}
