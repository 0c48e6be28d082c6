package reports

import (
	"fmt"
	"strings"
)

// baselineCandidatesBlocks lays out the Baseline candidates sheet
// (baseline_candidates) and the rules behind it.
func (b *workbookBuilder) baselineCandidatesBlocks() []*sheetBlock {
	cs := b.w.BaselineCandidates
	c := headers("Scenario ID", "Runs", "CV", "Avg credits", "Current baseline",
		"Variance multiplier", "Proposed baseline", "Sample size", "Change", "Review")
	c[9].colour = colourReview
	return []*sheetBlock{
		{
			name: "baseline_candidates", cols: c, n: len(cs),
			empty:  "No baseline candidates in this period.",
			freeze: true, filter: true,
			row: func(i int, r *rowBuf) {
				x := &cs[i]
				r.text(x.ScenarioID)
				r.int(x.RunCount)
				r.dec4(x.CV)
				r.dec2(x.AvgCredits)
				r.optDec2(x.CurrentBaseline)
				r.optMult(x.VarianceMultiplier)
				r.optDec2(x.ProposedBaseline)
				r.int(x.SampleSize)
				r.optPct(x.ChangePct)
				r.text(x.Review)
			},
		},
		noteBlock("candidate_rules", "", []string{
			fmt.Sprintf("Proposed baseline: median credits of healthy runs (status %s, retry_count ≤ 1) over the %d days ending at the period end.",
				strings.Join(b.w.Policy.HealthyRunStatuses, " or "), b.w.Policy.BaselineWindowDays),
			"Review: ok below 20 % change, review up to 50 %, investigate above. Apply with: ledgerlens baseline propose, then approve by a second person.",
		}),
	}
}
