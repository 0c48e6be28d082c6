package reports

import (
	"strings"
	"time"
)

// serviceRecoveryHeaders name the columns serviceRecoveryCells writes: the
// error budget and recovery figures that end a services table in both the
// weekly and the SLA workbook.
func serviceRecoveryHeaders() []string {
	return []string{"Error budget (min)", "Budget consumed", "Freeze", "Incidents",
		"MTTD (min)", "MTTA (min)", "MTTR (min)", "RTO target (min)", "RTO p50 (min)",
		"RTO p95 (min)", "RTO max (min)", "RTO breaches", "RPO (s)"}
}

func serviceRecoveryCells(r *rowBuf, s *ServiceReliability) {
	r.dec2(s.ErrorBudgetMinutes)
	r.pct(s.BudgetConsumedPct)
	r.yesNo(s.Freeze)
	r.int(s.Incidents)
	r.optDec2(s.MTTDMinutes)
	r.optDec2(s.MTTAMinutes)
	r.optDec2(s.MTTRMinutes)
	r.dec2(s.RTOTargetMinutes)
	r.optDec2(s.RTOP50Minutes)
	r.optDec2(s.RTOP95Minutes)
	r.optDec2(s.RTOMaxMinutes)
	r.text(strings.Join(s.RTOBreaches, ", "))
	r.optDec2(s.RPOSeconds)
}

// mtdMonth names the month the month-to-date figures cover: the month
// holding the period's last instant, in the report's zone ("Mar 2026").
func (b *workbookBuilder) mtdMonth() string {
	end, err := time.Parse(time.RFC3339Nano, b.w.PeriodEnd)
	if err != nil {
		return "month"
	}
	loc := b.opts.Location
	if l, err := time.LoadLocation(b.w.TimeZone); err == nil && b.w.TimeZone != "" {
		loc = l
	}
	return end.Add(-time.Nanosecond).In(loc).Format("Jan 2006")
}

// reliabilityBlocks lays out the Reliability sheet (reliability.services
// and reliability.scenarios).
func (b *workbookBuilder) reliabilityBlocks() []*sheetBlock {
	rel := b.w.Reliability
	mtd := b.mtdMonth()
	sc := headers(append([]string{"Service", "Uptime", "Uptime " + mtd + " MTD", "SLO target", "Downtime (min)",
		"Downtime " + mtd + " MTD (min)"}, serviceRecoveryHeaders()...)...)
	sc[1].colour, sc[1].other = colourBelowOther, 3
	sc[2].colour, sc[2].other = colourBelowOther, 3
	sc[8].colour = colourYesIsBad
	services := &sheetBlock{
		name: "reliability.services", cols: sc, n: len(rel.Services),
		empty:  "No services: no incidents and no configured SLOs.",
		freeze: true, filter: true,
		row: func(i int, r *rowBuf) {
			s := &rel.Services[i]
			r.text(s.Service)
			r.pct(s.UptimePct)
			r.pct(s.UptimeMTDPct)
			r.pct(s.SLOTargetPct)
			r.dec2(s.DowntimeMinutes)
			r.dec2(s.DowntimeMTDMinutes)
			serviceRecoveryCells(r, s)
		},
	}
	scenarios := &sheetBlock{
		name: "reliability.scenarios", title: "Scenario recovery (from the ledger)",
		cols: headers("Scenario ID", "Failure streaks", "Recovery p50 (min)", "Recovery p95 (min)",
			"Recovery max (min)", "Availability"),
		n:     len(rel.Scenarios),
		empty: "No failure streaks in this period.",
		row: func(i int, r *rowBuf) {
			s := &rel.Scenarios[i]
			r.text(s.ScenarioID)
			r.int(s.FailureStreaks)
			r.optDec2(s.RecoveryP50Minutes)
			r.optDec2(s.RecoveryP95Minutes)
			r.optDec2(s.RecoveryMaxMinutes)
			r.pct(s.AvailabilityPct)
		},
	}
	return []*sheetBlock{services, scenarios}
}

// incidentColumns are the leading columns of an incident table — the
// incident as the incidents file records it — with times in the zone that
// zoneSuffix names (" (UTC)"). The weekly and SLA workbooks append their
// own figures after them.
func incidentColumns(zoneSuffix string, more ...string) []tableColumn {
	z := zoneSuffix
	c := headers(append([]string{"Incident ID", "Service", "Severity", "Impact", "Started" + z, "Detected" + z,
		"Acknowledged" + z, "Resolved" + z}, more...)...)
	c[2].colour = colourSeverity
	return c
}

// incidentCells writes the cells of incidentColumns.
func incidentCells(r *rowBuf, x *IncidentRow) {
	r.text(x.IncidentID)
	r.text(x.Service)
	r.text(x.Severity)
	r.text(x.Impact)
	r.time(x.StartedAt)
	r.optTime(x.DetectedAt)
	r.optTime(x.AcknowledgedAt)
	r.optTime(x.ResolvedAt)
}

// reliabilityIncidentsBlocks lays out the Incidents sheet
// (reliability.incidents).
func (b *workbookBuilder) reliabilityIncidentsBlocks() []*sheetBlock {
	is := b.w.Reliability.Incidents
	c := incidentColumns(" ("+b.zoneName()+")", "Duration (min)", "Data loss (s)")
	return []*sheetBlock{{
		name: "reliability.incidents", cols: c, n: len(is),
		empty:  "No incidents overlap this period.",
		freeze: true, filter: true,
		row: func(i int, r *rowBuf) {
			x := &is[i]
			incidentCells(r, x)
			r.optDec2(x.DurationMinutes)
			r.optDec2(x.DataLossSeconds)
		},
	}}
}
