package review

import (
	"fmt"
	"sort"

	"github.com/ledgerlens/ledgerlens/reports"
	"github.com/ledgerlens/ledgerlens/stats"
)

// driftSeries is one scenario's credits in the reference window and in the
// period.
type driftSeries struct {
	reference, current []float64
}

// drift fills section 6: PSI per scenario and of the scenario mix. The
// values travel from DuckDB to Go as one Arrow row per scenario holding
// both windows' credits as lists (drift.sql): a few hundred rows instead
// of one per run.
func (a *analysis) drift() error {
	refStart := a.p.Start.AddDate(0, 0, -28)
	rdr, err := a.st.Arrow().QueryContext(a.ctx, query("drift"), refStart, a.p.Start, a.p.End)
	if err != nil {
		return fmt.Errorf("drift.sql: %w", err)
	}
	defer rdr.Release()
	series := map[string]*driftSeries{}
	var order []string
	for rdr.Next() {
		c := columns{query: "drift", rec: rdr.Record()}
		ids, reference, current := c.strings(c.named("scenario_id")), c.float64Lists(c.named("reference")), c.float64Lists(c.named("current"))
		if c.err != nil {
			return c.err
		}
		for i := 0; i < int(c.rec.NumRows()); i++ {
			id := str(ids, i)
			series[id] = &driftSeries{reference: float64List(reference, i), current: float64List(current, i)}
			order = append(order, id)
		}
	}
	if err := rdr.Err(); err != nil {
		return fmt.Errorf("drift.sql: %w", err)
	}
	a.w.Drift = []reports.Drift{}
	refMix, curMix := map[string]int64{}, map[string]int64{}
	sort.Strings(order)
	for _, id := range order {
		s := series[id]
		psi, ok := stats.PSI(s.reference, s.current)
		d := reports.Drift{
			ScenarioID:    id,
			Status:        stats.DriftStatus(psi, ok),
			ReferenceRuns: int64(len(s.reference)),
			CurrentRuns:   int64(len(s.current)),
		}
		if ok {
			v := ratio(psi)
			d.PSI = &v
		}
		a.w.Drift = append(a.w.Drift, d)
		if len(s.reference) > 0 {
			refMix[id] = int64(len(s.reference))
		}
		if len(s.current) > 0 {
			curMix[id] = int64(len(s.current))
		}
	}
	var refTotal, curTotal int64
	for _, n := range refMix {
		refTotal += n
	}
	for _, n := range curMix {
		curTotal += n
	}
	psi, ok := stats.MixPSI(refMix, curMix)
	a.w.DriftMix = reports.Drift{
		ScenarioID:    "scenario_mix",
		Status:        stats.DriftStatus(psi, ok),
		ReferenceRuns: refTotal,
		CurrentRuns:   curTotal,
	}
	if ok {
		v := ratio(psi)
		a.w.DriftMix.PSI = &v
	}
	return nil
}
