package reports

import (
	"strconv"
	"strings"
)

// Names of Summary blocks other code finds by name.
const (
	blockAction = "action_required"
	blockPeriod = "period"
)

// actionRequiredBlock is the Summary's first block: what needs a person this week,
// most severe first (Weekly.ActionRequired), each line coloured by
// severity and linking to the row on its sheet that holds the detail. An
// empty list says so, in green.
func (b *workbookBuilder) actionRequiredBlock() *sheetBlock {
	items := b.w.ActionRequired
	c := headers("Severity", "Go to", "What needs action this week")
	c[0].colour = colourSeverity
	blk := &sheetBlock{
		name:      blockAction,
		title:     "Weekly credit review " + b.day + " · Action required",
		titleKind: kTitle,
		cols:      c,
		n:         len(items),
		empty:     "Nothing needs action this week.",
		emptyKind: kGood,
		row: func(i int, r *rowBuf) {
			it := &items[i]
			r.text(it.Severity)
			if sheet, row, ok := b.refTarget(it.Ref); ok {
				r.internalLink(it.Subject, sheet, row)
			} else {
				r.text(it.Subject)
			}
			// The line runs on to the right: the charts sit below it.
			r.overflow(it.Text)
		},
	}
	return blk
}

// refTarget finds the sheet row showing the report entry that ref, a JSON
// pointer such as /policy_violations/3, names. ok is false for a pointer
// the workbook shows no row for.
func (b *workbookBuilder) refTarget(ref string) (sheet string, row int, ok bool) {
	path, index := ref, -1
	if i := strings.LastIndexByte(ref, '/'); i > 0 {
		if n, err := strconv.Atoi(ref[i+1:]); err == nil && n >= 0 {
			path, index = ref[:i], n
		}
	}
	find := func(sheet string, blocks func() []*sheetBlock, name string, i int) (string, int, bool) {
		// Each sheet is laid out once per rendering, not once per item:
		// building a sheet's blocks can walk every spike run.
		pl, ok := b.layouts[sheet]
		if !ok {
			pl = layoutBlocks(blocks())
			if b.layouts == nil {
				b.layouts = map[string][]placedBlock{}
			}
			b.layouts[sheet] = pl
		}
		for _, p := range pl {
			if p.b.name != name {
				continue
			}
			switch {
			case i < 0 && p.titleRow > 0:
				return sheet, p.titleRow, true
			case i < 0 && p.headerRow > 0:
				return sheet, p.headerRow, true
			case i >= 0 && i < p.b.n:
				return sheet, p.firstRow + i, true
			}
		}
		return "", 0, false
	}
	switch path {
	case "/policy_violations":
		return find(SheetPolicyViolations, b.policyViolationsBlocks, "policy_violations", index)
	case "/drift", "/drift_mix":
		want := &b.w.DriftMix
		if path == "/drift" {
			if index < 0 || index >= len(b.w.Drift) {
				return "", 0, false
			}
			want = &b.w.Drift[index]
		}
		if b.driftOrder == nil {
			b.driftOrder = map[*Drift]int{}
			for i, d := range b.driftRows() {
				b.driftOrder[d] = i
			}
		}
		if i, ok := b.driftOrder[want]; ok {
			return find(SheetDrift, b.driftBlocks, "drift", i)
		}
	case "/reliability/services":
		return find(SheetReliability, b.reliabilityBlocks, "reliability.services", index)
	case "/data_quality/late_arrivals":
		return find(SheetDataQuality, b.dataQualityBlocks, "data_quality.late_arrivals", index)
	case "/data_quality/unpublished_weeks":
		return find(SheetDataQuality, b.dataQualityBlocks, "data_quality.unpublished_weeks", index)
	case "/baseline_candidates":
		return find(SheetBaselineCandidates, b.baselineCandidatesBlocks, "baseline_candidates", index)
	case "/summary_stats/total_runs":
		return find(SheetSummary, b.summaryStatsBlocks, "headline", 1)
	case "/credits_per_day":
		return find(SheetSummary, b.summaryStatsBlocks, blockPerDay, -1)
	}
	return "", 0, false
}

// internalLink shows text as a link to a cell of this workbook.
func (r *rowBuf) internalLink(text, sheet string, row int) {
	target := "#" + quoteSheet(sheet) + "!A" + strconv.Itoa(row)
	if text == "" || !formulaString(text) || !formulaString(target) {
		r.text(text)
		return
	}
	r.add(sheetCell{k: kLink, s: text, link: target})
}
