package review

import (
	"database/sql"
	"fmt"
	"time"

	"github.com/ledgerlens/ledgerlens/pipeline/rules"
	"github.com/ledgerlens/ledgerlens/reports"
	"github.com/ledgerlens/ledgerlens/stats"
)

// Rounding of docs/RULES.md: money and durations 2 places, ratios and
// percentages 4.
func money(x float64) float64 { return stats.Round(x, 2) }
func ratio(x float64) float64 { return stats.Round(x, 4) }

func ratioPtr(x sql.NullFloat64) *float64 {
	if !x.Valid {
		return nil
	}
	v := ratio(x.Float64)
	return &v
}

func moneyPtr(x sql.NullFloat64) *float64 {
	if !x.Valid {
		return nil
	}
	v := money(x.Float64)
	return &v
}

func strPtr(x sql.NullString) *string {
	if !x.Valid {
		return nil
	}
	v := x.String
	return &v
}

// changePct is (cur − prev) / prev × 100, nil when prev is 0.
func changePct(cur, prev float64) *float64 {
	if prev == 0 {
		return nil
	}
	v := ratio((cur - prev) / prev * 100)
	return &v
}

func avg(total float64, n int64) float64 {
	if n == 0 {
		return 0
	}
	return total / float64(n)
}

// summary fills section 1 (summary.sql).
func (a *analysis) summary() error {
	prevStart := a.p.Shift(-1).Start
	rows, err := a.queryRows("summary", a.p.Start, a.p.End, prevStart)
	if err != nil {
		return err
	}
	defer rows.Close()
	type figures struct {
		runs, failed int64
		credits      float64
		rec, recomp  reports.SeverityCounts
	}
	var cur, prev figures
	for rows.Next() {
		var isCur bool
		var f figures
		if err := rows.Scan(&isCur, &f.runs, &f.credits, &f.failed,
			&f.rec.SEV0, &f.rec.SEV1, &f.rec.SEV2, &f.rec.SEV3, &f.rec.SEV4, &f.rec.Unknown,
			&f.recomp.SEV0, &f.recomp.SEV1, &f.recomp.SEV2, &f.recomp.SEV3, &f.recomp.SEV4, &f.recomp.Unknown); err != nil {
			return err
		}
		if isCur {
			cur = f
		} else {
			prev = f
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	curAvg, prevAvg := avg(cur.credits, cur.runs), avg(prev.credits, prev.runs)
	a.w.SummaryStats = reports.SummaryStats{
		TotalCredits:             money(cur.credits),
		TotalRuns:                cur.runs,
		AvgCreditsPerRun:         money(curAvg),
		FailedRuns:               cur.failed,
		Sev0Count:                cur.rec.SEV0,
		Sev1Count:                cur.rec.SEV1,
		Sev2Count:                cur.rec.SEV2,
		Sev3Count:                cur.rec.SEV3,
		Sev4Count:                cur.rec.SEV4,
		RecomputedSeverityCounts: cur.recomp,
		PreviousWeek: reports.PeriodTotals{
			PeriodStart:              prevStart.Format(time.RFC3339),
			TotalCredits:             money(prev.credits),
			TotalRuns:                prev.runs,
			AvgCreditsPerRun:         money(prevAvg),
			FailedRuns:               prev.failed,
			RecordedSeverityCounts:   prev.rec,
			RecomputedSeverityCounts: prev.recomp,
		},
		TotalCreditsChangePct: changePct(cur.credits, prev.credits),
		TotalRunsChangePct:    changePct(float64(cur.runs), float64(prev.runs)),
		AvgCreditsChangePct:   changePct(curAvg, prevAvg),
		FailedRunsChangePct:   changePct(float64(cur.failed), float64(prev.failed)),
	}
	if cur.runs == 0 {
		a.w.Notes = append(a.w.Notes, "no runs in the period: the ledger is empty, missing, or has no lines for this week")
	}
	return nil
}

// scenarios fills section 2 (scenario_stats.sql): all scenarios, and the
// top N by total credits (ties by scenario id).
func (a *analysis) scenarios() error {
	rows, err := a.queryRows("scenario_stats", a.p.Start, a.p.End, a.p.Shift(-1).Start)
	if err != nil {
		return err
	}
	defer rows.Close()
	a.w.Scenarios = []reports.ScenarioStats{}
	for rows.Next() {
		var s reports.ScenarioStats
		var total, cv, prevTotal float64
		var baseline sql.NullFloat64
		if err := rows.Scan(&s.ScenarioID, &s.ScenarioName, &total, &s.RunCount, &s.MedianCredits,
			&s.P95Credits, &s.MaxCredits, &cv, &s.FailedRuns, &baseline, &prevTotal, &s.PrevRunCount); err != nil {
			return err
		}
		s.TotalCredits = money(total)
		s.AvgCredits = money(avg(total, s.RunCount))
		s.MedianCredits = money(s.MedianCredits)
		s.P95Credits = money(s.P95Credits)
		s.MaxCredits = money(s.MaxCredits)
		s.CV = ratio(cv)
		s.Baseline = moneyPtr(baseline)
		if baseline.Valid && baseline.Float64 > 0 {
			v := ratio(avg(total, s.RunCount) / baseline.Float64)
			s.VarianceMultiplier = &v
		}
		s.PrevTotalCredits = money(prevTotal)
		s.TotalChangePct = changePct(total, prevTotal)
		s.RunCountChangePct = changePct(float64(s.RunCount), float64(s.PrevRunCount))
		a.w.Scenarios = append(a.w.Scenarios, s)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	n := min(a.in.Config.TopN, len(a.w.Scenarios))
	a.w.TopScenariosByTotal = append([]reports.ScenarioStats{}, a.w.Scenarios[:n]...)
	return nil
}

// spikes fills section 3 (spike_runs.sql) and scores each spike's
// misconfiguration likelihood from its flags.
func (a *analysis) spikes() error {
	rdr, err := a.st.Arrow().QueryContext(a.ctx, query("spike_runs"), a.p.Start, a.p.End, a.in.Policy.SeverityPolicy.Sev2.Multiplier)
	if err != nil {
		return fmt.Errorf("spike_runs.sql: %w", err)
	}
	defer rdr.Release()
	a.w.SpikeRuns = []reports.SpikeRun{}
	for rdr.Next() {
		c := columns{query: "spike_runs", rec: rdr.Record()}
		runID, ts, scenario, credits := c.strings(0), c.timestamps(1), c.strings(2), c.float64s(3)
		baseline, mult, recMult := c.float64s(4), c.float64s(5), c.float64s(6)
		sev, recSev, recMis := c.strings(7), c.strings(8), c.strings(9)
		flags, status, caseID, link, lineNo := c.stringLists(10), c.strings(11), c.strings(12), c.strings(13), c.int64s(14)
		if c.err != nil {
			return c.err
		}
		for i := 0; i < int(c.rec.NumRows()); i++ {
			s := reports.SpikeRun{
				RunID:                      str(runID, i),
				Timestamp:                  formatTime(microsUTC(ts, i)),
				ScenarioID:                 str(scenario, i),
				CreditsTotal:               money(credits.Value(i)),
				Baseline:                   moneyPtr(nullFloat(baseline, i)),
				VarianceMultiplier:         ratioPtr(nullFloat(mult, i)),
				RecordedVarianceMultiplier: ratioPtr(nullFloat(recMult, i)),
				Severity:                   strPtr(nullString(sev, i)),
				RecordedSeverity:           strPtr(nullString(recSev, i)),
				RecordedMisconfig:          strPtr(nullString(recMis, i)),
				RiskFlags:                  stringList(flags, i),
				Status:                     nullString(status, i).String,
				CaseID:                     strPtr(nullString(caseID, i)),
				ArtifactsLink:              strPtr(nullString(link, i)),
				LineNo:                     lineNo.Value(i),
			}
			if s.RiskFlags == nil {
				s.RiskFlags = []string{}
			}
			score := a.in.Policy.MisconfigScore(s.RiskFlags)
			s.MisconfigScore = ratio(score)
			s.MisconfigLikelihood = a.in.Policy.Likelihood(score)
			a.w.SpikeRuns = append(a.w.SpikeRuns, s)
		}
	}
	if err := rdr.Err(); err != nil {
		return fmt.Errorf("spike_runs.sql: %w", err)
	}
	n := min(a.in.Config.SpikeTopN, len(a.w.SpikeRuns))
	a.w.TopSpikeRuns = append([]reports.SpikeRun{}, a.w.SpikeRuns[:n]...)
	return nil
}

// candidates fills section 5 (baseline_candidates.sql).
func (a *analysis) candidates() error {
	bwStart := a.p.End.AddDate(0, 0, -a.in.Policy.ReviewWindows.BaselineWindowDays)
	rows, err := a.queryRows("baseline_candidates", a.p.Start, a.p.End, bwStart,
		rules.HealthyStatuses(a.in.Policy.ReviewWindows.HealthyRunStatuses), rules.StableCV)
	if err != nil {
		return err
	}
	defer rows.Close()
	a.w.BaselineCandidates = []reports.Candidate{}
	for rows.Next() {
		var c reports.Candidate
		var cv, avgCredits float64
		var baseline, proposed sql.NullFloat64
		if err := rows.Scan(&c.ScenarioID, &c.RunCount, &cv, &avgCredits, &baseline, &proposed, &c.SampleSize); err != nil {
			return err
		}
		c.CV = ratio(cv)
		c.AvgCredits = money(avgCredits)
		c.CurrentBaseline = moneyPtr(baseline)
		c.ProposedBaseline = moneyPtr(proposed)
		c.Review = "review"
		if baseline.Valid && baseline.Float64 > 0 {
			m := ratio(avgCredits / baseline.Float64)
			c.VarianceMultiplier = &m
			if proposed.Valid {
				pct := (proposed.Float64 - baseline.Float64) / baseline.Float64 * 100
				c.ChangePct = changePct(proposed.Float64, baseline.Float64)
				c.Review = reviewLevel(pct)
			}
		}
		a.w.BaselineCandidates = append(a.w.BaselineCandidates, c)
	}
	return rows.Err()
}

// reviewLevel grades a proposed baseline change (docs/RULES.md, "Baseline candidates").
func reviewLevel(changePct float64) string {
	if changePct < 0 {
		changePct = -changePct
	}
	switch {
	case changePct < 20:
		return "ok"
	case changePct <= 50:
		return "review"
	default:
		return "investigate"
	}
}

// creditsPerDay fills the per-day series the workbook charts.
func (a *analysis) creditsPerDay() error {
	rows, err := a.queryRows("credits_per_day")
	if err != nil {
		return err
	}
	defer rows.Close()
	a.w.CreditsPerDay = []reports.DayCredits{}
	for rows.Next() {
		var d reports.DayCredits
		if err := rows.Scan(&d.Date, &d.Credits, &d.Runs); err != nil {
			return err
		}
		d.Credits = money(d.Credits)
		a.w.CreditsPerDay = append(a.w.CreditsPerDay, d)
	}
	return rows.Err()
}
