package slareport

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/ledgerlens/ledgerlens/pipeline/businesstime"
	"github.com/ledgerlens/ledgerlens/pipeline/inputs"
	"github.com/ledgerlens/ledgerlens/pipeline/review"
	"github.com/ledgerlens/ledgerlens/pipeline/rules"
	"github.com/ledgerlens/ledgerlens/reports"
)

// reviewSchedule is the weekly review's schedule as the operator-review
// clock reads it.
type reviewSchedule struct {
	spec  string
	loc   *time.Location
	sched cron.Schedule
}

// weeklySchedule finds the enabled weekly-review schedule of the
// configuration, or falls back to Monday 10:00 in the configured zone (and
// says so in a note).
func weeklySchedule(cfg inputs.Config) (reviewSchedule, string, error) {
	spec, zone, note := DefaultWeeklyReviewSpec, cfg.TimeZone, ""
	found := false
	for _, s := range cfg.Schedules {
		if s.Name == inputs.ScheduleWeeklyReview && s.Enabled {
			spec, zone, found = s.Spec, s.TimeZone, true
		}
	}
	if !found {
		note = "no enabled weekly-review schedule is configured: the operator-review clock assumes Monday 10:00"
	}
	loc := time.UTC
	if zone != "" {
		var err error
		if loc, err = time.LoadLocation(zone); err != nil {
			return reviewSchedule{}, "", fmt.Errorf("sla report: weekly-review schedule time zone %q: %w", zone, err)
		}
	}
	sched, err := cron.ParseStandard(spec)
	if err != nil {
		return reviewSchedule{}, "", fmt.Errorf("sla report: weekly-review schedule %q: %w", spec, err)
	}
	return reviewSchedule{spec: spec, loc: loc, sched: sched}, note, nil
}

// operatorReview lists the weekly reviews whose operator-review clock runs
// out in the month: the review of week W is scheduled at the schedule's
// first fire time at or after W's end, and due 4 business hours later; it
// is done when revision 1 of weekly_W was published (audit publish event).
func operatorReview(in Input, rs reviewSchedule) ([]reports.ReviewClockItem, error) {
	m := in.Month
	published := map[string]Publication{}
	for _, p := range in.Publications {
		if p.Revision > 1 {
			continue
		}
		if cur, ok := published[p.Base]; !ok || p.Time.Before(cur.Time) {
			published[p.Base] = p
		}
	}
	out := []reports.ReviewClockItem{}
	// Weeks ending up to three weeks before the month can still be due in
	// it only with an unusual schedule; look back far enough for any.
	for w := review.WeekOf(m.Start.AddDate(0, 0, -28), m.Loc); w.Start.Before(m.End); w = w.Shift(1) {
		scheduled := rs.sched.Next(w.End.Add(-time.Second).In(rs.loc))
		if scheduled.IsZero() {
			continue
		}
		due := businesstime.AddBusinessHours(scheduled, OperatorReviewTarget, m.Loc)
		if due.Before(m.Start) || !due.Before(m.End) {
			continue
		}
		base := "weekly_" + w.Label()
		item := reports.ReviewClockItem{
			Week: w.Label(), Report: base + ".json",
			ScheduledAt: formatTime(scheduled), DueAt: formatTime(due),
		}
		pub, ok := published[base]
		if ok {
			seq, hash := pub.Seq, pub.Hash
			item.PublishedAt, item.AuditSeq, item.AuditHash = timePtr(pub.Time), &seq, &hash
		}
		item.Status, item.LateMinutes = status(pub.Time, due, in.AsOf)
		switch {
		case item.Status == reports.ItemOverdue && (in.AuditStart.IsZero() || due.Before(in.AuditStart)):
			item.Status = reports.ItemNotTracked
			item.StatusDetail = "due before the audit trail began: no record of publication either way"
		case item.Status == reports.ItemOverdue:
			item.StatusDetail = "not published"
		case item.Status == reports.ItemLate:
			item.StatusDetail = "published after the clock ran out"
		case item.Status == reports.ItemMet:
			item.StatusDetail = "published in time"
		default:
			item.StatusDetail = "not yet due"
		}
		out = append(out, item)
	}
	return out, nil
}

// Escalation paths of the SRE runbook's clock table.
const (
	escalateControlOwner = "control owner"
	escalateProcessOwner = "process owner"
	escalateFinding      = "SEV-2/3 finding for the control owner"
	escalateService      = "service owner (error-budget policy)"
)

func clockSummaries(s *reports.SLA) []reports.ClockSummary {
	count := func(c *reports.ClockSummary, st string) {
		c.Items++
		switch {
		case st == reports.ItemMet:
			c.Met++
		case breached(st):
			c.Breached++
		case st == reports.ItemPending:
			c.Pending++
		case st == reports.ItemNotTracked:
			c.NotTracked++
		}
	}
	op := reports.ClockSummary{Clock: reports.ClockOperatorReview, EscalateTo: escalateControlOwner,
		Target: "weekly review published within 4 business hours of its scheduled time"}
	for _, x := range s.OperatorReview {
		count(&op, x.Status)
	}
	mc := reports.ClockSummary{Clock: reports.ClockMakerChecker, EscalateTo: escalateProcessOwner,
		Target: "baseline proposal approved within 1 business day"}
	for _, x := range s.MakerChecker {
		count(&mc, x.Status)
	}
	ob := reports.ClockSummary{Clock: reports.ClockObservation, EscalateTo: escalateFinding,
		Target: "SEV0/SEV1 exception acknowledged on a case within 24 hours"}
	for _, x := range s.Observation {
		count(&ob, x.Status)
	}
	return []reports.ClockSummary{op, mc, ob}
}

// breaches lists every breach: services below their SLO, outages over the
// RTO target, and clocked items late or overdue; sorted by severity, clock,
// then reference.
func breaches(s *reports.SLA) []reports.SLABreach {
	out := []reports.SLABreach{}
	for _, svc := range s.Services {
		if svc.UptimePct >= svc.SLOTargetPct {
			continue
		}
		sev, freeze := "SEV3", ""
		if svc.Freeze {
			sev, freeze = "SEV2", "; error-budget freeze"
		}
		out = append(out, reports.SLABreach{Clock: reports.ClockSLO, Severity: sev, Ref: svc.Service, EscalateTo: escalateService,
			Detail: fmt.Sprintf("uptime %.4f%% below the %.4g%% target: %.2f min down, error budget %.2f min, %.2f%% consumed%s",
				svc.UptimePct, svc.SLOTargetPct, svc.DowntimeMinutes, svc.ErrorBudgetMinutes, svc.BudgetConsumedPct, freeze)})
	}
	for _, inc := range s.Incidents {
		if !inc.RTOBreach || inc.TTRMinutes == nil {
			continue
		}
		target := 0.0
		for _, svc := range s.Services {
			if svc.Service == inc.Service {
				target = svc.RTOTargetMinutes
			}
		}
		out = append(out, reports.SLABreach{Clock: reports.ClockRTO, Severity: "SEV2", Ref: inc.IncidentID, EscalateTo: escalateService,
			Detail: fmt.Sprintf("%s outage recovered in %.2f min, over the %.2f min RTO target", inc.Service, *inc.TTRMinutes, target)})
	}
	late := func(p *float64) string {
		if p == nil {
			return ""
		}
		return fmt.Sprintf(", %.2f min late", *p)
	}
	for _, x := range s.OperatorReview {
		if breached(x.Status) {
			out = append(out, reports.SLABreach{Clock: reports.ClockOperatorReview, Severity: "SEV3", Ref: x.Week, EscalateTo: escalateControlOwner,
				Detail: fmt.Sprintf("weekly review %s due %s: %s%s", x.Report, x.DueAt, x.StatusDetail, late(x.LateMinutes))})
		}
	}
	for _, x := range s.MakerChecker {
		if breached(x.Status) {
			what := "still awaiting approval"
			if x.ApprovedAt != nil {
				what = "approved " + *x.ApprovedAt + " by " + deref(x.ApprovedBy)
			}
			out = append(out, reports.SLABreach{Clock: reports.ClockMakerChecker, Severity: "SEV3", Ref: x.ProposalID, EscalateTo: escalateProcessOwner,
				Detail: fmt.Sprintf("baseline proposal for %s by %s (%s) due %s: %s%s", x.ScenarioID, x.ProposedBy, x.ProposedAt, x.DueAt, what, late(x.LateMinutes))})
		}
	}
	for _, x := range s.Observation {
		if breached(x.Status) {
			sev := "SEV3"
			if x.Severity == "SEV0" {
				sev = "SEV2"
			}
			what := "no case naming the run was acknowledged"
			if x.AcknowledgedAt != nil {
				what = "case " + deref(x.CaseID) + " acknowledged " + *x.AcknowledgedAt
			} else if x.CaseID != nil {
				what = "case " + *x.CaseID + " not acknowledged"
			}
			out = append(out, reports.SLABreach{Clock: reports.ClockObservation, Severity: sev, Ref: x.RunID, EscalateTo: escalateFinding,
				Detail: fmt.Sprintf("%s run of %s at %s due for observation %s: %s%s", x.Severity, x.ScenarioID, x.RunAt, x.DueAt, what, late(x.LateMinutes))})
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if ra, rb := rules.SeverityRank(a.Severity), rules.SeverityRank(b.Severity); ra != rb {
			return ra < rb
		}
		if a.Clock != b.Clock {
			return a.Clock < b.Clock
		}
		return a.Ref < b.Ref
	})
	return out
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func summary(s *reports.SLA) reports.SLASummary {
	sum := reports.SLASummary{Services: int64(len(s.Services)), Incidents: int64(len(s.Incidents)),
		Breaches: int64(len(s.Breaches))}
	for _, svc := range s.Services {
		if svc.UptimePct >= svc.SLOTargetPct {
			sum.ServicesMeetingSLO++
		}
		if svc.Freeze {
			sum.ServicesInFreeze++
		}
	}
	for _, inc := range s.Incidents {
		if inc.RTOBreach {
			sum.RTOBreaches++
		}
	}
	for _, c := range s.Clocks {
		sum.ClockItems += c.Items
		sum.ClockBreaches += c.Breached
	}
	return sum
}

func definitions(loc *time.Location, rs reviewSchedule) reports.SLADefinitions {
	return reports.SLADefinitions{
		BusinessHours: "business hours are " + businesstime.BusinessHoursText(loc) + "; business days are Monday–Friday",
		OperatorReview: "the review of a week is scheduled at the weekly-review schedule's first fire time at or after the week's end " +
			"and is due 4 business hours later; it is done when revision 1 of weekly_<Monday>.json was published (the audit log's publish event)",
		MakerChecker: "a baseline proposal is due for approval 1 business day after proposed_at (same time of day, weekends skipped); " +
			"it is done when its approval record was written (approved_at)",
		Observation: "an exception is a run that is SEV0 or SEV1 by its recorded severity or by the severity recomputed against the baselines in force; " +
			"it is observed when a case naming it (primary or related run) was acknowledged (Acknowledged_At), due 24 hours after the run",
		MonthAssignment: "an item belongs to the month in which its clock runs out (its due time), so the report of a finished month judges every item in it; " +
			"late = done after the due time, overdue = not done and past due at report time (both breaches), pending = not yet due",
		WeeklyReviewSchedule: strings.TrimSpace(rs.spec + " (" + rs.loc.String() + ")"),
		ServiceLevelObjective: "uptime over the calendar month against the service's SLO target (default 99.9 %); error budget = (1 − target) × minutes in the month; " +
			"freeze when downtime exceeds 1.1 × budget; RTO breaches are outages started in the month recovered later than the RTO target",
	}
}
