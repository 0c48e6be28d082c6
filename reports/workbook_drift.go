package reports

import (
	"sort"
)

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

// driftBlocks lays out the Drift sheet (drift and drift_mix, in
// driftRows order) and the rules behind it.
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
