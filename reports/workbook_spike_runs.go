package reports

import (
	"strings"
)

// spikeRunsBlocks lays out the Spike runs sheet (spike_runs).
func (b *workbookBuilder) spikeRunsBlocks() []*sheetBlock {
	runs := b.w.SpikeRuns
	c := headers("Run ID", "Timestamp ("+b.zoneName()+")", "Scenario ID", "Credits", "Baseline",
		"Multiplier", "Recorded multiplier", "Severity", "Recorded severity",
		"Misconfig likelihood", "Misconfig score", "Recorded misconfig", "Risk flags",
		"Status", "Case ID", "Ledger line")
	c[7].colour, c[8].colour = colourSeverity, colourSeverity
	c[9].colour, c[11].colour = colourLikelihood, colourLikelihood
	return []*sheetBlock{{
		name: "spike_runs", cols: c, n: len(runs),
		empty:  "No spike runs in this period.",
		freeze: true, filter: true,
		row: func(i int, r *rowBuf) {
			s := &runs[i]
			r.link(s.RunID, s.ArtifactsLink)
			r.time(s.Timestamp)
			r.text(s.ScenarioID)
			r.dec2(s.CreditsTotal)
			r.optDec2(s.Baseline)
			r.optMult(s.VarianceMultiplier)
			r.optMult(s.RecordedVarianceMultiplier)
			r.optText(s.Severity)
			r.optText(s.RecordedSeverity)
			r.text(s.MisconfigLikelihood)
			r.dec2(s.MisconfigScore)
			r.optText(s.RecordedMisconfig)
			r.text(strings.Join(s.RiskFlags, ", "))
			r.text(s.Status)
			r.optText(s.CaseID)
			r.int(s.LineNo)
		},
	}}
}
