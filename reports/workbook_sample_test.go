package reports

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"
)

// sampleSize says how big a synthetic report is.
type sampleSize struct {
	scenarios  int
	spikes     int
	violations int
	candidates int
	services   int
	incidents  int
	rejects    int
}

var smallSample = sampleSize{scenarios: 12, spikes: 25, violations: 14, candidates: 4, services: 3, incidents: 5, rejects: 3}

// sampleWeekly builds a realistic synthetic report for the week starting
// Monday 2026-11-16: deterministic (fixed seed), with unknown values (nil
// baselines, open incidents), links, a drifted scenario, a frozen service,
// late arrivals and a modified ledger, so that every formatting path runs.
func sampleWeekly(n sampleSize) *Weekly {
	rng := rand.New(rand.NewPCG(47, 2026))
	start := time.Date(2026, 11, 16, 0, 0, 0, 0, time.UTC)
	end := start.AddDate(0, 0, 7)
	r2 := func(v float64) float64 { return math.Round(v*100) / 100 }
	r4 := func(v float64) float64 { return math.Round(v*10000) / 10000 }
	f := func(v float64) *float64 { return &v }
	s := func(v string) *string { return &v }
	sevs := []string{"SEV0", "SEV1", "SEV2", "SEV3", "SEV4"}

	w := &Weekly{
		Schema:      Schema,
		ReportID:    "CREDIT_REVIEW_2026-11-16",
		PeriodStart: start.Format(time.RFC3339),
		PeriodEnd:   end.Format(time.RFC3339),
		TimeZone:    "UTC",
		SummaryStats: SummaryStats{
			TotalCredits: 1284551.37, TotalRuns: 48210, AvgCreditsPerRun: 26.64, FailedRuns: 812,
			Sev0Count: 2, Sev1Count: 9, Sev2Count: 31, Sev3Count: 120, Sev4Count: 47990,
			RecomputedSeverityCounts: SeverityCounts{SEV0: 3, SEV1: 11, SEV2: 28, SEV3: 131, SEV4: 47701, Unknown: 336},
			PreviousWeek: PeriodTotals{
				PeriodStart: start.AddDate(0, 0, -7).Format(time.RFC3339), TotalCredits: 1103220.5,
				TotalRuns: 45120, AvgCreditsPerRun: 24.45, FailedRuns: 990,
				RecordedSeverityCounts:   SeverityCounts{SEV0: 0, SEV1: 4, SEV2: 22, SEV3: 101, SEV4: 44993},
				RecomputedSeverityCounts: SeverityCounts{SEV0: 1, SEV1: 5, SEV2: 25, SEV3: 99, SEV4: 44700, Unknown: 290},
			},
			TotalCreditsChangePct: f(16.4364), TotalRunsChangePct: f(6.8484),
			AvgCreditsChangePct: f(8.9571), FailedRunsChangePct: f(-17.9798),
		},
		DriftMix: Drift{ScenarioID: "scenario_mix", PSI: f(0.0412), Status: "stable", ReferenceRuns: 180000, CurrentRuns: 48210},
		DataQuality: DataQuality{
			LinesRead: 1204331, Loaded: 1204320, Rejected: int64(n.rejects), Duplicates: 8,
			DuplicatesByKind:  map[string]int64{"duplicate_identical": 6, "duplicate_conflicting": 2},
			UnknownEnumValues: []UnknownEnum{{Field: "Job_Type", Value: "EXPORT_V2", Count: 14}, {Field: "Status", Value: "Retried", Count: 3}},
			PartialTailBytes:  117,
			AppendOnly: AppendOnly{Status: "modified", Modifications: []LedgerModification{
				{DetectedAtIngest: 41, ByteFrom: 1048576, ByteTo: 1114112, LineFrom: 2301, LineTo: 2447,
					Acknowledgment: &LedgerAck{By: "alice", Reason: "INC-42: credits corrected by finance", At: "2026-11-17T09:00:00Z",
						Record: "runs/CREDIT_REVIEWS/ledger_ack_20261117T090000Z.json"}},
			}},
			ConflictingDuplicates: []ConflictingDuplicate{
				{LineNo: 9120, FirstLineNo: 8877, RunID: "RUN-000008871"},
			},
			LateArrivals:     []LateArrival{{Week: "2026-11-09", PublishedFile: "weekly_2026-11-09.json", Count: 17, Credits: 402.5}},
			UnpublishedWeeks: []string{"2026-11-02"},
		},
		Provenance: Provenance{Revision: 1, Inputs: Inputs{
			Ledger: LedgerInput{Path: "runs/CREDIT_MONITORING/ledger.jsonl", SHA256: fmt.Sprintf("%064x", 0xabcdef), BytesCovered: 601234567, LinesCovered: 1204331},
			Files: []InputFile{
				{Role: "baselines", Path: "config/credit-baselines.json", Bytes: 18211, SHA256: fmt.Sprintf("%064x", 0x1234)},
				{Role: "cases", Path: "runs/CREDIT_MONITORING/cases.jsonl", Bytes: 90412, SHA256: fmt.Sprintf("%064x", 0x5678)},
				{Role: "incidents", Path: "runs/CREDIT_MONITORING/incidents.jsonl", Bytes: 2210, SHA256: fmt.Sprintf("%064x", 0x9abc)},
			},
			Baselines: "config/credit-baselines.json", Policy: "built-in default",
		},
			Generator:        Generator{Name: "ledgerlens", Version: "0.9.0"},
			AuditHeadAtStart: fmt.Sprintf("%064x", 0xfeedface),
			SigningKeyID:     s("3f9a0c61d2b7e845"),
		},
		Policy: PolicyThresholds{Sev0Multiplier: 10, Sev1Multiplier: 5, Sev2Multiplier: 2, Sev3Multiplier: 1.5,
			HealthyRunStatuses: []string{"Success"}, BaselineWindowDays: 30},
		Notes: []string{},
	}

	for i := range n.scenarios {
		total := r2(200000 / float64(i+1) * (0.8 + 0.4*rng.Float64()))
		runs := int64(40 + rng.IntN(4000))
		sc := Scenario{
			ScenarioID: fmt.Sprintf("SCN-%03d", i+1), ScenarioName: fmt.Sprintf("Nightly %s export %d", []string{"binder", "ledger", "filing"}[i%3], i+1),
			TotalCredits: total, RunCount: runs, AvgCredits: r2(total / float64(runs)),
			MedianCredits: r2(total / float64(runs) * 0.9), P95Credits: r2(total / float64(runs) * 2.1),
			MaxCredits: r2(total / float64(runs) * 7.3), CV: r4(0.1 + rng.Float64()),
			FailedRuns: int64(rng.IntN(30)), PrevTotalCredits: r2(total * 0.9), PrevRunCount: runs - 10,
			TotalChangePct: f(11.1111), RunCountChangePct: f(r4(1000 / float64(runs-10))),
		}
		if i%5 != 4 {
			sc.Baseline = f(r2(sc.MedianCredits * 0.95))
			sc.VarianceMultiplier = f(r4(sc.AvgCredits / *sc.Baseline))
		}
		w.Scenarios = append(w.Scenarios, sc)
	}
	w.TopScenariosByTotal = append([]Scenario{}, w.Scenarios[:min(5, len(w.Scenarios))]...)

	for i := range n.spikes {
		sc := w.Scenarios[i%max(1, len(w.Scenarios))]
		base := 10 + float64(i%7)
		mult := r4(40 - 38*float64(i)/float64(max(1, n.spikes)))
		sev := "SEV2"
		switch {
		case mult >= 10 && i%9 == 0:
			sev = "SEV0"
		case mult >= 5:
			sev = "SEV1"
		}
		sp := SpikeRun{
			RunID:      fmt.Sprintf("run-%07d", i+1),
			Timestamp:  start.Add(time.Duration(i*7) * time.Minute % (7 * 24 * time.Hour)).Format(time.RFC3339),
			ScenarioID: sc.ScenarioID, CreditsTotal: r2(base * mult), Baseline: f(base),
			VarianceMultiplier: f(mult), Severity: s(sev), RecordedSeverity: s(sevs[(i+1)%5]),
			MisconfigLikelihood: []string{"High", "Medium", "Low"}[i%3], MisconfigScore: float64(7 - i%10),
			RiskFlags: []string{"retry_loop", "unbounded_iterator"}[:i%3%2+1], Status: []string{"Success", "Failed", "Quarantined"}[i%3],
			LineNo: int64(1000 + i*17),
		}
		if i%4 != 3 {
			sp.RecordedVarianceMultiplier = f(r4(mult * 0.97))
		}
		if i%3 == 0 {
			sp.CaseID = s(fmt.Sprintf("CASE-%04d", i))
		}
		if i%2 == 0 {
			sp.ArtifactsLink = s(fmt.Sprintf("https://artifacts.invalid/runs/%s?view=\"full\"", sp.RunID))
		}
		if i == 5 {
			sp.ArtifactsLink = s("javascript:alert(1)")
		}
		w.SpikeRuns = append(w.SpikeRuns, sp)
	}
	w.TopSpikeRuns = append([]SpikeRun{}, w.SpikeRuns[:min(10, len(w.SpikeRuns))]...)

	types := []string{"missing_case", "sev0_not_quarantined", "stale_case", "sla_breach", "severity_mismatch", "missing_baseline", "drift_significant"}
	for i := range n.violations {
		v := PolicyViolation{Type: types[i%len(types)], Severity: sevs[i%4], Detail: fmt.Sprintf("finding %d: run exceeded its clock by %d min", i+1, 10+i)}
		switch v.Type {
		case "stale_case", "sla_breach":
			v.CaseID = s(fmt.Sprintf("CASE-%04d", i))
			if v.Type == "sla_breach" {
				v.Clock = &FindingClock{Clock: ClockSEV1Ack, Name: ClockName(ClockSEV1Ack),
					Start: fmt.Sprintf("2026-11-1%dT08:00:00Z", i%7), Deadline: fmt.Sprintf("2026-11-1%dT09:00:00Z", i%7)}
			}
		case "missing_baseline", "drift_significant":
			v.ScenarioID = s(fmt.Sprintf("SCN-%03d", i%max(1, n.scenarios)+1))
		default:
			v.RunID = s(fmt.Sprintf("run-%07d", i+1))
		}
		w.PolicyViolations = append(w.PolicyViolations, v)
	}

	reviews := []string{"ok", "review", "investigate"}
	for i := range n.candidates {
		c := BaselineCandidate{ScenarioID: fmt.Sprintf("SCN-%03d", i+7), RunCount: int64(120 + i*30), CV: r4(0.05 + 0.05*float64(i)),
			AvgCredits: r2(12.5 + float64(i)), SampleSize: int64(300 + i), Review: reviews[i%3],
			ProposedBaseline: f(r2(12 + float64(i)))}
		if i%4 != 3 {
			c.CurrentBaseline = f(r2(11.5 + float64(i)))
			c.VarianceMultiplier = f(r4(c.AvgCredits / *c.CurrentBaseline))
			c.ChangePct = f(r4((*c.ProposedBaseline - *c.CurrentBaseline) / *c.CurrentBaseline * 100))
		} else {
			c.Review = "review"
		}
		w.BaselineCandidates = append(w.BaselineCandidates, c)
	}

	statuses := []string{"stable", "moderate", "significant", "insufficient_data"}
	for i := range n.scenarios {
		d := Drift{ScenarioID: fmt.Sprintf("SCN-%03d", i+1), Status: statuses[i%4], ReferenceRuns: int64(100 + i), CurrentRuns: int64(30 + i)}
		if d.Status != "insufficient_data" {
			d.PSI = f([]float64{0.0312, 0.1544, 0.4871}[i%4])
		}
		w.Drift = append(w.Drift, d)
	}

	for i := range n.services {
		up := []float64{99.95, 99.2012, 100}[i%3]
		sv := ServiceReliability{Service: fmt.Sprintf("svc-%s", []string{"api", "ledger-writer", "exporter"}[i%3]),
			UptimePct: up, UptimeMTDPct: up, SLOTargetPct: 99.9, DowntimeMinutes: r2((100 - up) / 100 * 10080),
			DowntimeMTDMinutes: r2((100 - up) / 100 * 10080 * 1.5), ErrorBudgetMinutes: 43.2,
			BudgetConsumedPct: r4((100 - up) / 100 * 15120 / 43.2 * 100), Freeze: up < 99.9, Incidents: int64(i),
			RTOTargetMinutes: 120, RTOBreaches: []string{}}
		if i > 0 {
			sv.MTTDMinutes, sv.MTTAMinutes, sv.MTTRMinutes = f(4.5), f(12.25), f(80.66)
			sv.RTOP50Minutes, sv.RTOP95Minutes, sv.RTOMaxMinutes = f(61), f(145.5), f(145.5)
			sv.RTOBreaches = []string{"INC-0102"}
			sv.RPOSeconds = f(300)
		}
		w.Reliability.Services = append(w.Reliability.Services, sv)
	}
	w.Reliability.Scenarios = []ScenarioReliability{
		{ScenarioID: "SCN-002", FailureStreaks: 3, RecoveryP50Minutes: f(42), RecoveryP95Minutes: f(95.5), RecoveryMaxMinutes: f(95.5), AvailabilityPct: 98.7654},
		{ScenarioID: "SCN-004", FailureStreaks: 1, AvailabilityPct: 99.0278},
	}
	for i := range n.incidents {
		st := start.Add(time.Duration(i*31+5) * time.Hour)
		in := IncidentRow{IncidentID: fmt.Sprintf("INC-%04d", 100+i), Service: w.Reliability.Services[i%max(1, n.services)].Service,
			Severity: sevs[i%4], Impact: []string{"outage", "degraded"}[i%2], StartedAt: st.Format(time.RFC3339),
			DetectedAt: s(st.Add(4 * time.Minute).Format(time.RFC3339))}
		if i != n.incidents-1 { // the last one is still open
			in.AcknowledgedAt = s(st.Add(12 * time.Minute).Format(time.RFC3339))
			in.ResolvedAt = s(st.Add(time.Duration(60+i*30) * time.Minute).Format(time.RFC3339))
			in.DurationMinutes = f(float64(60 + i*30))
		}
		if i == 1 {
			in.DataLossSeconds = f(300)
		}
		w.Reliability.Incidents = append(w.Reliability.Incidents, in)
	}

	for d := range 7 {
		day := start.AddDate(0, 0, d)
		w.CreditsPerDay = append(w.CreditsPerDay, CreditsPerDay{Date: day.Format(time.DateOnly), Credits: r2(150000 + 30000*math.Sin(float64(d))), Runs: int64(6500 + 300*d)})
	}
	for i := range n.rejects {
		w.DataQuality.RejectsSample = append(w.DataQuality.RejectsSample, Reject{LineNo: int64(77 + i*1000), ByteOffset: int64(38000 + i*500000),
			Reason: []string{"invalid JSON: unexpected end of input", "Credits_Total is negative", "missing run id"}[i%3], LineSHA256: fmt.Sprintf("%064x", 0xdead+i)})
	}
	w.ActionRequired = sampleActions(w)
	return w
}

// sampleActions lists, as the review would, the sample's SEV0/SEV1
// violations, unreviewed weeks, freezes, first significant drift and late
// arrivals, plus an
// overdue approval the workbook has no row for.
func sampleActions(w *Weekly) []ActionRequiredItem {
	out := []ActionRequiredItem{}
	for _, sev := range []string{"SEV0", "SEV1"} {
		for i, v := range w.PolicyViolations {
			if v.Severity == sev && v.Type != "drift_significant" {
				subj := "ledger"
				for _, p := range []*string{v.ScenarioID, v.RunID, v.CaseID} {
					if p != nil {
						subj = *p
					}
				}
				out = append(out, ActionRequiredItem{Severity: sev, Kind: v.Type, Subject: subj, Text: v.Type + ": " + subj + " — " + v.Detail,
					Ref: fmt.Sprintf("/policy_violations/%d", i)})
			}
		}
		if sev == "SEV1" {
			for i, week := range w.DataQuality.UnpublishedWeeks {
				out = append(out, ActionRequiredItem{Severity: sev, Kind: ActionUnpublishedWeek, Subject: week,
					Text: "Week not reviewed: " + week, Ref: fmt.Sprintf("/data_quality/unpublished_weeks/%d", i)})
			}
			for i, s := range w.Reliability.Services {
				if s.Freeze {
					out = append(out, ActionRequiredItem{Severity: sev, Kind: ActionSLOFreeze, Subject: s.Service,
						Text: "Error-budget freeze: " + s.Service, Ref: fmt.Sprintf("/reliability/services/%d", i)})
				}
			}
		}
	}
	for i, l := range w.DataQuality.LateArrivals {
		out = append(out, ActionRequiredItem{Severity: "SEV2", Kind: ActionLateArrival, Subject: l.Week,
			Text: "Late arrivals: " + l.Week, Ref: fmt.Sprintf("/data_quality/late_arrivals/%d", i)})
	}
	out = append(out, ActionRequiredItem{Severity: "SEV2", Kind: ActionOverdueApproval, Subject: "SCN-999",
		Text: "Approval overdue: SCN-999 — baseline proposal BP-1 awaits a second person's approval"})
	for i, d := range w.Drift {
		if d.Status == "significant" {
			out = append(out, ActionRequiredItem{Severity: "SEV3", Kind: "drift_significant", Subject: d.ScenarioID,
				Text: "Significant drift: " + d.ScenarioID, Ref: fmt.Sprintf("/drift/%d", i)})
			break
		}
	}
	return out
}
