package review

import (
	"time"

	"github.com/ledgerlens/ledgerlens/reports"
)

// summaryStats fills section 1 (summary_stats.sql).
func (a *analysis) summaryStats() error {
	prevStart := a.p.Shift(-1).Start
	rows, err := a.queryRows("summary_stats", a.p.Start, a.p.End, prevStart)
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
		if err := scanNamed(rows, "summary_stats", map[string]any{
			"current": &isCur, "runs": &f.runs, "credits": &f.credits, "failed": &f.failed,
			"rec_sev0": &f.rec.SEV0, "rec_sev1": &f.rec.SEV1, "rec_sev2": &f.rec.SEV2, "rec_sev3": &f.rec.SEV3,
			"rec_sev4": &f.rec.SEV4, "rec_unknown": &f.rec.Unknown,
			"re_sev0": &f.recomp.SEV0, "re_sev1": &f.recomp.SEV1, "re_sev2": &f.recomp.SEV2, "re_sev3": &f.recomp.SEV3,
			"re_sev4": &f.recomp.SEV4, "re_unknown": &f.recomp.Unknown,
		}); err != nil {
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
