package reports

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// kvRow is one row of a block whose rows differ in kind (labelled values).
type kvRow func(r *rowBuf)

// rowsBlock is a block whose rows are given one function each.
func rowsBlock(name, title string, cols []tableColumn, rows []kvRow) *sheetBlock {
	return &sheetBlock{
		name:  name,
		title: title,
		cols:  cols,
		n:     len(rows),
		row:   func(i int, r *rowBuf) { rows[i](r) },
	}
}

// noteBlock is a list of explanatory lines under an optional heading.
func noteBlock(name, title string, lines []string) *sheetBlock {
	return &sheetBlock{
		name:  name,
		title: title,
		n:     len(lines),
		row:   func(i int, r *rowBuf) { r.styled(kNote, lines[i]) },
	}
}

// headers makes uncoloured columns with the given header texts.
func headers(names ...string) []tableColumn {
	out := make([]tableColumn, len(names))
	for i, h := range names {
		out[i] = tableColumn{header: h}
	}
	return out
}

// zoneName names the zone the workbook's dates are shown in, for headers.
func (b *workbookBuilder) zoneName() string { return b.opts.Location.String() }

// day is the report's Monday, as in its file names.
func (b *workbookBuilder) day() string {
	d, _, _ := strings.Cut(strings.TrimPrefix(b.base, "weekly_"), ".")
	return d
}

// --- Summary ---------------------------------------------------------------

// Names of the Summary blocks the charts read from.
const (
	blockSeverity = "severity_counts"
	blockPerDay   = "credits_per_day"
)

func (b *workbookBuilder) summaryBlocks() []*sheetBlock {
	w := b.w
	s := w.SummaryStats
	p := s.PreviousWeek

	zone := w.TimeZone
	if zone == "" {
		zone = b.zoneName()
	}
	head := rowsBlock(blockPeriod, "Period · "+w.ReportID, nil, []kvRow{
		func(r *rowBuf) { r.text("Period start"); r.time(w.PeriodStart) },
		func(r *rowBuf) { r.text("Period end (exclusive)"); r.time(w.PeriodEnd) },
		func(r *rowBuf) { r.text("Time zone"); r.text(zone) },
		func(r *rowBuf) { r.text("Previous week from"); r.time(p.PeriodStart) },
		func(r *rowBuf) {
			r.text("Revision")
			r.int(int64(max(w.Revision, 1)))
			if w.Supersedes != nil {
				r.styled(kNote, "supersedes "+*w.Supersedes)
			}
		},
	})

	headline := rowsBlock("headline", "Headline figures",
		headers("Figure", "This week", "Previous week", "Change"),
		[]kvRow{
			func(r *rowBuf) {
				r.text("Total credits")
				r.dec2(s.TotalCredits)
				r.dec2(p.TotalCredits)
				r.optPct(s.TotalCreditsChangePct)
			},
			func(r *rowBuf) {
				r.text("Runs")
				r.int(s.TotalRuns)
				r.int(p.TotalRuns)
				r.optPct(s.TotalRunsChangePct)
			},
			func(r *rowBuf) {
				r.text("Avg credits per run")
				r.dec2(s.AvgCreditsPerRun)
				r.dec2(p.AvgCreditsPerRun)
				r.optPct(s.AvgCreditsChangePct)
			},
			func(r *rowBuf) {
				r.text("Failed runs")
				r.int(s.FailedRuns)
				r.int(p.FailedRuns)
				r.optPct(s.FailedRunsChangePct)
			},
		})

	type sevRow struct {
		label                string
		rec                  *int64 // nil: not in the model
		recomp, pRec, pRecmp int64
	}
	rc, prc, pcc := s.RecomputedSeverityCounts, p.RecordedSeverityCounts, p.RecomputedSeverityCounts
	sevRows := []sevRow{
		{"SEV0", &s.Sev0Count, rc.SEV0, prc.SEV0, pcc.SEV0},
		{"SEV1", &s.Sev1Count, rc.SEV1, prc.SEV1, pcc.SEV1},
		{"SEV2", &s.Sev2Count, rc.SEV2, prc.SEV2, pcc.SEV2},
		{"SEV3", &s.Sev3Count, rc.SEV3, prc.SEV3, pcc.SEV3},
		{"SEV4", &s.Sev4Count, rc.SEV4, prc.SEV4, pcc.SEV4},
		// The model has no recorded "unknown" count for this week; the cell
		// stays empty rather than being derived here.
		{"Unknown", nil, rc.Unknown, prc.Unknown, pcc.Unknown},
	}
	sevCols := headers("Severity", "Recorded", "Recomputed", "Prev. recorded", "Prev. recomputed")
	sevCols[0].colour = colourSeverity
	severity := &sheetBlock{
		name: blockSeverity, title: "Runs per severity", cols: sevCols, n: len(sevRows),
		row: func(i int, r *rowBuf) {
			x := sevRows[i]
			r.text(x.label)
			if x.rec != nil {
				r.int(*x.rec)
			} else {
				r.empty()
			}
			r.int(x.recomp)
			r.int(x.pRec)
			r.int(x.pRecmp)
		},
	}

	dq := w.DataQuality
	integCols := headers("Integrity", "Status", "Detail")
	integCols[1].colour = colourIntegrity
	var banner []kvRow
	if w.Preliminary {
		// A preliminary report must never pass for the final one.
		banner = append(banner, func(r *rowBuf) {
			r.text("PRELIMINARY")
			r.text("preliminary")
			r.styled(kNote, "the period has not ended: figures will change; the final report is published after the period ends")
		})
	}
	integrity := rowsBlock("integrity", "Integrity", integCols, append(banner, []kvRow{
		func(r *rowBuf) {
			r.text("Append-only check")
			r.text(dq.AppendOnly.Status)
			if n := len(dq.AppendOnly.Modifications); n > 0 {
				r.styled(kNote, fmt.Sprintf("%d modified range(s): see Data quality", n))
			}
		},
		func(r *rowBuf) {
			r.text("Rejected lines")
			r.int(dq.Rejected)
			if dq.Rejected > 0 {
				r.styled(kNote, "every reject so far: "+RejectsBase(b.day())+".jsonl")
			}
		},
		func(r *rowBuf) {
			r.text("Duplicate lines")
			r.int(dq.Duplicates)
			if d := kindCounts(dq.DuplicatesByKind); d != "" {
				r.styled(kNote, d)
			}
		},
		func(r *rowBuf) {
			r.text("Late arrivals (weeks)")
			r.int(int64(len(dq.LateArrivals)))
			if len(dq.LateArrivals) > 0 {
				r.styled(kNote, "earlier reports miss runs: see Data quality")
			}
		},
		func(r *rowBuf) {
			r.text("Policy violations")
			r.int(int64(len(w.PolicyViolations)))
			if by := violationsBySeverity(w.PolicyViolations); by != "" {
				r.styled(kNote, by+": see Policy violations")
			}
		},
		func(r *rowBuf) {
			r.text("Signature")
			if b.opts.Signed {
				r.text("signed")
				r.styled(kNote, "Ed25519 .sig files; verify as on About")
			} else {
				r.text("unsigned")
				r.styled(kNote, "no .sig files; SHA-256 sidecars only")
			}
		},
		func(r *rowBuf) {
			r.text("Signing key ID")
			if w.SigningKeyID != nil {
				r.text(*w.SigningKeyID)
			} else {
				r.text("unsigned")
			}
		},
	}...))

	perDay := &sheetBlock{
		name: blockPerDay, title: "Credits per day (" + b.zoneName() + ")",
		cols: headers("Day", "Credits", "Runs"), n: len(w.CreditsPerDay),
		empty: "No days in the period.",
		row: func(i int, r *rowBuf) {
			d := w.CreditsPerDay[i]
			r.date(d.Date)
			r.dec2(d.Credits)
			r.int(d.Runs)
		},
	}

	blocks := []*sheetBlock{b.actionBlock(), head, headline, severity, integrity, perDay}
	var notes []string
	notes = append(notes, w.Notes...)
	switch {
	case s.TotalRuns == 0:
		notes = append(notes, "No runs in this period: the charts are omitted.")
	case len(w.TopScenariosByTotal) == 0:
		notes = append(notes, "No scenario totals in this report: the top-scenarios chart is omitted.")
	}
	if len(notes) > 0 {
		blocks = append(blocks, noteBlock("notes", "Notes", notes))
	}
	return blocks
}

// violationsBySeverity counts violations per severity, most severe first:
// "SEV0 1, SEV1 5, SEV3 2".
func violationsBySeverity(vs []Violation) string {
	counts := map[string]int{}
	for _, v := range vs {
		counts[v.Severity]++
	}
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if ri, rj := severityRank(keys[i]), severityRank(keys[j]); ri != rj {
			return ri < rj
		}
		return keys[i] < keys[j]
	})
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", k, counts[k])
	}
	return strings.Join(parts, ", ")
}

// severityRank orders severities SEV0 first, anything else last.
func severityRank(s string) int {
	if len(s) == 4 && s[:3] == "SEV" && s[3] >= '0' && s[3] <= '4' {
		return int(s[3] - '0')
	}
	return 9
}

// kindCounts renders a map of counts as "a: 1, b: 2" in key order.
func kindCounts(m map[string]int64) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s: %d", k, m[k])
	}
	return strings.Join(parts, ", ")
}

// --- Top scenarios, Scenarios ----------------------------------------------

// Columns of the scenario tables the Summary chart reads.
const (
	scenarioIDCol    = 0
	scenarioTotalCol = 2
)

func (b *workbookBuilder) scenarioBlocks(name string, rows []ScenarioStats) []*sheetBlock {
	return []*sheetBlock{{
		name: name,
		cols: headers("Scenario ID", "Scenario name", "Total credits", "Runs", "Avg credits",
			"Median credits", "P95 credits", "Max credits", "CV", "Baseline",
			"Variance multiplier", "Failed runs", "Prev. total credits", "Prev. runs",
			"Total change", "Runs change"),
		n:      len(rows),
		empty:  "No scenario ran in this period.",
		freeze: true, filter: true,
		row: func(i int, r *rowBuf) {
			s := &rows[i]
			r.text(s.ScenarioID)
			r.text(s.ScenarioName)
			r.dec2(s.TotalCredits)
			r.int(s.RunCount)
			r.dec2(s.AvgCredits)
			r.dec2(s.MedianCredits)
			r.dec2(s.P95Credits)
			r.dec2(s.MaxCredits)
			r.dec4(s.CV)
			r.optDec2(s.Baseline)
			r.optMult(s.VarianceMultiplier)
			r.int(s.FailedRuns)
			r.dec2(s.PrevTotalCredits)
			r.int(s.PrevRunCount)
			r.optPct(s.TotalChangePct)
			r.optPct(s.RunCountChangePct)
		},
	}}
}

// --- Spike runs --------------------------------------------------------------

func (b *workbookBuilder) spikeBlocks() []*sheetBlock {
	runs := b.w.SpikeRuns
	c := headers("Run ID", "Timestamp ("+b.zoneName()+")", "Scenario ID", "Credits", "Baseline",
		"Multiplier", "Recorded multiplier", "Severity", "Recorded severity",
		"Misconfig likelihood", "Misconfig score", "Recorded misconfig", "Risk flags",
		"Status", "Case ID", "Ledger line")
	c[7].colour, c[8].colour = colourSeverity, colourSeverity
	c[9].colour, c[11].colour = colourLikelihood, colourLikelihood
	return []*sheetBlock{{
		name: "spike_runs", cols: c, n: len(runs),
		empty:  "No spike runs in this period.",
		freeze: true, filter: true,
		row: func(i int, r *rowBuf) {
			s := &runs[i]
			r.link(s.RunID, s.ArtifactsLink)
			r.time(s.Timestamp)
			r.text(s.ScenarioID)
			r.dec2(s.CreditsTotal)
			r.optDec2(s.Baseline)
			r.optMult(s.VarianceMultiplier)
			r.optMult(s.RecordedVarianceMultiplier)
			r.optText(s.Severity)
			r.optText(s.RecordedSeverity)
			r.text(s.MisconfigLikelihood)
			r.dec2(s.MisconfigScore)
			r.optText(s.RecordedMisconfig)
			r.text(strings.Join(s.RiskFlags, ", "))
			r.text(s.Status)
			r.optText(s.CaseID)
			r.int(s.LineNo)
		},
	}}
}

// --- Policy violations ---------------------------------------------------------

func (b *workbookBuilder) violationBlocks() []*sheetBlock {
	vs := b.w.PolicyViolations
	// A violation naming a spike run links to that run's artifacts, like the
	// Spike runs sheet does; the link is looked up, not derived.
	var links map[string]*string
	for _, v := range vs {
		if v.RunID != nil {
			links = make(map[string]*string)
			for i := range b.w.SpikeRuns {
				s := &b.w.SpikeRuns[i]
				if s.ArtifactsLink != nil {
					if _, dup := links[s.RunID]; !dup {
						links[s.RunID] = s.ArtifactsLink
					}
				}
			}
			break
		}
	}
	z := " (" + b.zoneName() + ")"
	c := headers("Type", "Severity", "Run ID", "Case ID", "Scenario ID", "Detail", "SLA clock", "Clock start"+z, "Deadline"+z)
	c[1].colour = colourSeverity
	return []*sheetBlock{{
		name: "policy_violations", cols: c, n: len(vs),
		empty:  "No policy violations in this period.",
		freeze: true, filter: true,
		row: func(i int, r *rowBuf) {
			v := &vs[i]
			r.text(v.Type)
			r.text(v.Severity)
			if v.RunID != nil {
				r.link(*v.RunID, links[*v.RunID])
			} else {
				r.empty()
			}
			r.optText(v.CaseID)
			r.optText(v.ScenarioID)
			r.text(v.Detail)
			if v.Clock != nil {
				r.text(v.Clock.Name)
				r.time(v.Clock.Start)
				r.time(v.Clock.Deadline)
			} else {
				r.empty()
				r.empty()
				r.empty()
			}
		},
	}}
}

// --- Baseline candidates ------------------------------------------------------

func (b *workbookBuilder) candidateBlocks() []*sheetBlock {
	cs := b.w.BaselineCandidates
	c := headers("Scenario ID", "Runs", "CV", "Avg credits", "Current baseline",
		"Variance multiplier", "Proposed baseline", "Sample size", "Change", "Review")
	c[9].colour = colourReview
	return []*sheetBlock{
		{
			name: "baseline_candidates", cols: c, n: len(cs),
			empty:  "No baseline candidates in this period.",
			freeze: true, filter: true,
			row: func(i int, r *rowBuf) {
				x := &cs[i]
				r.text(x.ScenarioID)
				r.int(x.RunCount)
				r.dec4(x.CV)
				r.dec2(x.AvgCredits)
				r.optDec2(x.CurrentBaseline)
				r.optMult(x.VarianceMultiplier)
				r.optDec2(x.ProposedBaseline)
				r.int(x.SampleSize)
				r.optPct(x.ChangePct)
				r.text(x.Review)
			},
		},
		noteBlock("candidate_rules", "", []string{
			fmt.Sprintf("Proposed baseline: median credits of healthy runs (status %s, retry_count ≤ 1) over the %d days ending at the period end.",
				strings.Join(b.w.Policy.HealthyRunStatuses, " or "), b.w.Policy.BaselineWindowDays),
			"Review: ok below 20 % change, review up to 50 %, investigate above. Apply with: ledgerlens baseline propose, then approve by a second person.",
		}),
	}
}

// --- Drift ---------------------------------------------------------------------

// driftStatusOrder ranks drift statuses as the Drift sheet lists them:
// what needs a look first, too little data last.
func driftStatusOrder(status string) int {
	switch status {
	case "significant":
		return 0
	case "moderate":
		return 1
	case "stable":
		return 2
	case "insufficient_data":
		return 4
	}
	return 3
}

// driftRows are the Drift sheet's rows: the scenarios and the scenario mix,
// significant first, then moderate, stable and insufficient_data, each by
// PSI from the highest, then by scenario.
func (b *workbookBuilder) driftRows() []*Drift {
	ds := b.w.Drift
	rows := make([]*Drift, 0, len(ds)+1)
	for i := range ds {
		rows = append(rows, &ds[i])
	}
	if b.w.DriftMix.ScenarioID != "" || b.w.DriftMix.Status != "" {
		rows = append(rows, &b.w.DriftMix)
	}
	sort.SliceStable(rows, func(i, j int) bool {
		x, y := rows[i], rows[j]
		if ox, oy := driftStatusOrder(x.Status), driftStatusOrder(y.Status); ox != oy {
			return ox < oy
		}
		switch {
		case x.PSI != nil && y.PSI != nil && *x.PSI != *y.PSI:
			return *x.PSI > *y.PSI
		case (x.PSI == nil) != (y.PSI == nil):
			return x.PSI != nil
		}
		return x.ScenarioID < y.ScenarioID
	})
	return rows
}

func (b *workbookBuilder) driftBlocks() []*sheetBlock {
	rows := b.driftRows()
	c := headers("Scenario ID", "PSI", "Status", "Reference runs", "Current runs")
	c[2].colour = colourDrift
	return []*sheetBlock{
		{
			name: "drift", cols: c, n: len(rows),
			empty:  "No scenarios to compare.",
			freeze: true, filter: true,
			row: func(i int, r *rowBuf) {
				d := rows[i]
				r.text(d.ScenarioID)
				r.optDec4(d.PSI)
				r.text(d.Status)
				r.int(d.ReferenceRuns)
				r.int(d.CurrentRuns)
			},
		},
		noteBlock("drift_rules", "", []string{
			"PSI of each scenario's credit distribution: this period against the 28 days before it (10 bins at the reference deciles).",
			"stable < 0.1 ≤ moderate < 0.2 ≤ significant (a policy violation); insufficient_data when either side has fewer than 30 runs.",
			"scenario_mix compares the share of runs per scenario. Rows: significant first, then moderate, stable, insufficient_data; each by PSI, highest first.",
		}),
	}
}

// --- Reliability -----------------------------------------------------------------

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

// --- Incidents -------------------------------------------------------------------

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

func (b *workbookBuilder) incidentBlocks() []*sheetBlock {
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

// --- Data quality -----------------------------------------------------------------

func (b *workbookBuilder) dataQualityBlocks() []*sheetBlock {
	dq := b.w.DataQuality
	checkCols := headers("Check", "Value", "Detail")
	checkCols[1].colour = colourIntegrity
	checks := rowsBlock("data_quality", "", checkCols, []kvRow{
		func(r *rowBuf) { r.text("Lines read"); r.int(dq.LinesRead) },
		func(r *rowBuf) { r.text("Loaded"); r.int(dq.Loaded) },
		func(r *rowBuf) {
			r.text("Rejected")
			r.int(dq.Rejected)
			if dq.Rejected > 0 {
				r.styled(kNote, "sample below; every reject of the ledger so far in "+RejectsBase(b.day())+".jsonl")
			}
		},
		func(r *rowBuf) {
			r.text("Duplicates")
			r.int(dq.Duplicates)
			if d := kindCounts(dq.DuplicatesByKind); d != "" {
				r.styled(kNote, d)
			}
		},
		func(r *rowBuf) {
			r.text("Partial tail bytes")
			r.int(dq.PartialTailBytes)
			if dq.PartialTailBytes > 0 {
				r.styled(kNote, "unfinished last line: loaded once complete")
			}
		},
		func(r *rowBuf) {
			r.text("Append-only check")
			r.text(dq.AppendOnly.Status)
			if n := len(dq.AppendOnly.Modifications); n > 0 {
				r.styled(kNote, fmt.Sprintf("%d modified range(s) below", n))
			}
		},
	})
	checks.freeze = true

	mods := dq.AppendOnly.Modifications
	modifications := &sheetBlock{
		name: "data_quality.append_only", title: "Ledger modifications",
		cols: headers("Detected at ingest", "Byte from", "Byte to", "Line from", "Line to"),
		n:    len(mods), empty: "None: the loaded part of the ledger is unchanged.",
		row: func(i int, r *rowBuf) {
			m := &mods[i]
			r.int(m.DetectedAtIngest)
			r.int(m.ByteFrom)
			r.int(m.ByteTo)
			r.int(m.LineFrom)
			r.int(m.LineTo)
		},
	}
	late := dq.LateArrivals
	lateArrivals := &sheetBlock{
		name: "data_quality.late_arrivals", title: "Late arrivals (runs that landed after their week's report)",
		cols: headers("Week", "Published report", "Runs", "Credits"),
		n:    len(late), empty: "None.",
		row: func(i int, r *rowBuf) {
			l := &late[i]
			r.date(l.Week)
			r.text(l.PublishedFile)
			r.int(l.Count)
			r.dec2(l.Credits)
		},
	}
	enums := dq.UnknownEnumValues
	unknown := &sheetBlock{
		name: "data_quality.unknown_enum_values", title: "Unknown enumeration values (kept and counted)",
		cols: headers("Field", "Value", "Count"),
		n:    len(enums), empty: "None.",
		row: func(i int, r *rowBuf) {
			e := &enums[i]
			r.text(e.Field)
			r.text(e.Value)
			r.int(e.Count)
		},
	}
	rej := dq.RejectsSample
	rejects := &sheetBlock{
		name: "data_quality.rejects_sample", title: "Rejected lines (sample)",
		cols: headers("Line", "Byte offset", "Reason", "Line SHA-256"),
		n:    len(rej), empty: "None: every complete line loaded.",
		filter: true,
		row: func(i int, r *rowBuf) {
			x := &rej[i]
			r.int(x.LineNo)
			r.int(x.ByteOffset)
			r.text(x.Reason)
			r.overflow(x.LineSHA256)
		},
	}
	return []*sheetBlock{checks, modifications, lateArrivals, unknown, rejects}
}

// --- About -------------------------------------------------------------------------

func (b *workbookBuilder) aboutBlocks() []*sheetBlock {
	w := b.w
	pol := w.Policy
	report := rowsBlock("about", "", headers("Field", "Value"), []kvRow{
		func(r *rowBuf) { r.text("Report ID"); r.text(w.ReportID) },
		func(r *rowBuf) { r.text("Revision"); r.int(int64(max(w.Revision, 1))) },
		func(r *rowBuf) { r.text("Supersedes"); r.optText(w.Supersedes) },
		func(r *rowBuf) { r.text("Schema"); r.text(w.Schema) },
		func(r *rowBuf) { r.text("Period start"); r.time(w.PeriodStart) },
		func(r *rowBuf) { r.text("Period end (exclusive)"); r.time(w.PeriodEnd) },
		func(r *rowBuf) { r.text("Report time zone"); r.text(w.TimeZone) },
		func(r *rowBuf) { r.text("Workbook dates shown in"); r.text(b.zoneName()) },
		func(r *rowBuf) { r.text("Generator"); r.text(w.Generator.Name) },
		func(r *rowBuf) { r.text("Generator version"); r.text(w.Generator.Version) },
		func(r *rowBuf) {
			r.text("Signing key ID")
			if w.SigningKeyID != nil {
				r.text(*w.SigningKeyID)
			} else {
				r.text("unsigned")
			}
		},
		func(r *rowBuf) { r.text("Audit head at start"); r.overflow(w.AuditHeadAtStart) },
		func(r *rowBuf) { r.text("Ledger lines covered"); r.int(w.Inputs.Ledger.LinesCovered) },
		func(r *rowBuf) { r.text("Baselines source"); r.text(w.Inputs.Baselines) },
		func(r *rowBuf) { r.text("Policy source"); r.text(w.Inputs.Policy) },
		func(r *rowBuf) { r.text("SEV0 multiplier (PII/regulatory)"); r.num(kMult, pol.Sev0Multiplier) },
		func(r *rowBuf) { r.text("SEV1 multiplier"); r.num(kMult, pol.Sev1Multiplier) },
		func(r *rowBuf) { r.text("SEV2 multiplier (spike threshold)"); r.num(kMult, pol.Sev2Multiplier) },
		func(r *rowBuf) { r.text("SEV3 multiplier"); r.num(kMult, pol.Sev3Multiplier) },
		func(r *rowBuf) { r.text("Healthy run statuses"); r.text(strings.Join(pol.HealthyRunStatuses, ", ")) },
		func(r *rowBuf) { r.text("Baseline window (days)"); r.int(int64(pol.BaselineWindowDays)) },
	})
	report.freeze = true

	led := w.Inputs.Ledger
	files := w.Inputs.Files
	inputs := &sheetBlock{
		name: "inputs", title: "Inputs",
		cols: headers("Role", "Path", "Bytes", "SHA-256"), n: 1 + len(files),
		filter: true,
		row: func(i int, r *rowBuf) {
			if i == 0 {
				// The ledger as far as this report covers it.
				r.text("ledger (covered)")
				r.text(led.Path)
				r.int(led.BytesCovered)
				r.overflow(led.SHA256)
				return
			}
			x := &files[i-1]
			r.text(x.Role)
			r.text(x.Path)
			r.int(x.Bytes)
			r.overflow(x.SHA256)
		},
	}

	base := b.base
	type step struct{ what, cmd string }
	steps := []step{
		{"JSON report hash", "sha256sum -c " + base + ".json.sha256"},
		{"Workbook hash", "sha256sum -c " + base + ".xlsx.sha256"},
		{"Hashes and signatures", "ledgerlens verify runs/CREDIT_REVIEWS/" + base + ".json runs/CREDIT_REVIEWS/" + base + ".xlsx"},
	}
	if b.opts.Signed {
		for _, ext := range []string{".json", ".xlsx"} {
			f := base + ext
			steps = append(steps, step{"Signature of " + ext[1:] + " (OpenSSL)",
				"base64 -d " + f + ".sig > s.bin; openssl pkeyutl -verify -pubin -inkey .ledgerlens/keys/signing.pub -rawin -in " + f + " -sigfile s.bin"})
		}
	} else {
		steps = append(steps, step{"Signature", "none: published unsigned, no .sig files"})
	}
	steps = append(steps, step{"Audit trail", "ledgerlens audit verify"})
	verify := &sheetBlock{
		name: "verify", title: "How to verify",
		cols: headers("Check", "Command"), n: len(steps),
		row: func(i int, r *rowBuf) {
			r.text(steps[i].what)
			r.styled(kCode, steps[i].cmd)
		},
	}
	where := noteBlock("verify_notes", "", []string{
		"Run sha256sum and openssl in runs/CREDIT_REVIEWS/ (or wherever the files were copied, with the public key at .ledgerlens/keys/signing.pub);",
		"run ledgerlens from the working root. The audit head above must appear in the verified audit log.",
	})
	return []*sheetBlock{report, inputs, verify, where}
}
