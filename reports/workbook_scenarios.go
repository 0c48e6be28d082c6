package reports

// Columns of the scenario tables the Summary chart reads.
const (
	scenarioIDCol    = 0
	scenarioTotalCol = 2
)

// scenariosBlocks lays out the Scenarios sheet (scenarios) and, named
// "top_scenarios_by_total", the Top scenarios sheet: one table of rows.
func (b *workbookBuilder) scenariosBlocks(name string, rows []Scenario) []*sheetBlock {
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
