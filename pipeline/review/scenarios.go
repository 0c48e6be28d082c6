package review

import (
	"database/sql"

	"github.com/ledgerlens/ledgerlens/reports"
)

// scenarios fills section 2 (scenarios.sql): all scenarios, and the
// top N by total credits (ties by scenario id).
func (a *analysis) scenarios() error {
	rows, err := a.queryRows("scenarios", a.p.Start, a.p.End, a.p.Shift(-1).Start)
	if err != nil {
		return err
	}
	defer rows.Close()
	a.w.Scenarios = []reports.Scenario{}
	for rows.Next() {
		var s reports.Scenario
		var total, cv, prevTotal float64
		var baseline sql.NullFloat64
		if err := scanNamed(rows, "scenarios", map[string]any{
			"scenario_id": &s.ScenarioID, "scenario_name": &s.ScenarioName, "total": &total, "runs": &s.RunCount,
			"median": &s.MedianCredits, "p95": &s.P95Credits, "max": &s.MaxCredits, "cv": &cv, "failed": &s.FailedRuns,
			"baseline": &baseline, "prev_total": &prevTotal, "prev_runs": &s.PrevRunCount,
		}); err != nil {
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
	a.w.TopScenariosByTotal = append([]reports.Scenario{}, a.w.Scenarios[:n]...)
	return nil
}
