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
// runs of both windows travel from DuckDB to Go as Arrow batches of three
// fixed-width columns (drift.sql), grouped here by the scenario's store
// code; only the scenarios are decoded. The grouping and the PSI, all in
// Go and growing with the five weeks read, run in the background (later)
// while the next sections query the store; policy violations, which read
// the result, start after it (sections).
func (a *analysis) drift() error {
	ids, err := a.st.CodeTexts(a.ctx, "scenario_id")
	if err != nil {
		return err
	}
	refStart := a.p.Start.AddDate(0, 0, -28)
	res, err := a.queryBatches("drift", refStart, a.p.Start, a.p.End)
	if err != nil {
		return err
	}
	a.later("drift", func() error {
		defer res.Release()
		return a.driftFrom(ids, res)
	})
	return nil
}

// driftFrom computes section 6 from drift.sql's batches, ids being the
// scenario texts by store code. It does not use the connection.
func (a *analysis) driftFrom(ids []string, res *batches) error {
	// Every row is counted first, so each series is allocated once at its
	// size.
	type batch struct {
		codes   *array.Uint32
		credits *array.Float64
		current *array.Boolean
	}
	cols := make([]batch, len(res.recs))
	refN, curN := make([]int, len(ids)), make([]int, len(ids))
	for k, rec := range res.recs {
		c := columns{query: "drift", rec: rec}
		b := batch{c.uint32s(c.named("scenario_id")), c.float64s(c.named("credits_total")), c.bools(c.named("current"))}
		if c.err != nil {
			return c.err
		}
		cols[k] = b
		for i := 0; i < b.codes.Len(); i++ {
			code := int(b.codes.Value(i))
			if code >= len(ids) {
				return fmt.Errorf("drift.sql: scenario code %d has no text in the store's text_codes", code)
			}
			if b.current.Value(i) {
				curN[code]++
			} else {
				refN[code]++
			}
		}
	}
	byCode := make([]driftSeries, len(ids))
	for code := range byCode {
		byCode[code] = driftSeries{reference: make([]float64, 0, refN[code]), current: make([]float64, 0, curN[code])}
	}
	for _, b := range cols {
		for i := 0; i < b.codes.Len(); i++ {
			s := &byCode[b.codes.Value(i)]
			if b.current.Value(i) {
				s.current = append(s.current, b.credits.Value(i))
			} else {
				s.reference = append(s.reference, b.credits.Value(i))
			}
		}
	}
	series := map[string]*driftSeries{}
	var order []string
	for code := range byCode {
		s := &byCode[code]
		if len(s.reference) == 0 && len(s.current) == 0 {
			continue
		}
		id := ids[code]
		if _, seen := series[id]; seen {
			return fmt.Errorf("drift: scenario %q has two codes in the store's text_codes", id)
		}
		series[id] = s
		order = append(order, id)
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
