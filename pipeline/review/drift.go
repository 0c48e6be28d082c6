package review

import (
	"fmt"
	"sort"

	"github.com/apache/arrow/go/v17/arrow/array"

	"github.com/ledgerlens/ledgerlens/reports"
	"github.com/ledgerlens/ledgerlens/stats"
)

// driftSeries is one scenario's credits in the reference window and in the
// period.
type driftSeries struct {
	reference, current []float64
}

// drift fills section 6: PSI per scenario and of the scenario mix. The
// values travel from DuckDB to Go as Arrow batches (drift_values.sql): the
// columnar path avoids boxing a million floats through database/sql.
func (a *analysis) drift() error {
	refStart := a.p.Start.AddDate(0, 0, -28)
	rdr, err := a.st.Arrow().QueryContext(a.ctx, query("drift_values"), refStart, a.p.Start, a.p.End)
	if err != nil {
		return fmt.Errorf("drift_values.sql: %w", err)
	}
	defer rdr.Release()
	series := map[string]*driftSeries{}
	var order []string
	for rdr.Next() {
		c := columns{query: "drift_values", rec: rdr.Record()}
		ids, credits, current := c.strings(0), c.float64s(1), column[*array.Boolean](&c, 2, "bool")
		if c.err != nil {
			return c.err
		}
		for i := 0; i < int(c.rec.NumRows()); i++ {
			// Value aliases the batch's buffer, which is freed with the
			// batch: look up without copying, copy once per new scenario.
			s := series[ids.Value(i)]
			if s == nil {
				id := str(ids, i)
				s = &driftSeries{}
				series[id] = s
				order = append(order, id)
			}
			if current.Value(i) {
				s.current = append(s.current, credits.Value(i))
			} else {
				s.reference = append(s.reference, credits.Value(i))
			}
		}
	}
	if err := rdr.Err(); err != nil {
		return fmt.Errorf("drift_values.sql: %w", err)
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
