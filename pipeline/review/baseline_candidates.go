package review

import (
	"database/sql"

	"github.com/ledgerlens/ledgerlens/pipeline/rules"
	"github.com/ledgerlens/ledgerlens/reports"
)

// baselineCandidates fills section 5 (baseline_candidates.sql).
func (a *analysis) baselineCandidates() error {
	bwStart := a.p.End.AddDate(0, 0, -a.in.Policy.ReviewWindows.BaselineWindowDays)
	rows, err := a.queryRows("baseline_candidates", a.p.Start, a.p.End, bwStart,
		rules.HealthyStatuses(a.in.Policy.ReviewWindows.HealthyRunStatuses), rules.StableCV)
	if err != nil {
		return err
	}
	defer rows.Close()
	a.w.BaselineCandidates = []reports.BaselineCandidate{}
	for rows.Next() {
		var c reports.BaselineCandidate
		var cv, avgCredits float64
		var baseline, proposed sql.NullFloat64
		if err := scanNamed(rows, "baseline_candidates", map[string]any{
			"scenario_id": &c.ScenarioID, "runs": &c.RunCount, "cv": &cv, "avg_credits": &avgCredits,
			"baseline": &baseline, "proposed": &proposed, "sample": &c.SampleSize,
		}); err != nil {
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
