package reports

import (
	"fmt"
)

// blockSeverity names the Summary block the severity chart reads from.
const blockSeverity = "severity_counts"

// summaryStatsBlocks lays out the Summary sheet: action_required first, then
// summary_stats (period, headline figures, runs per severity), the
// integrity status, credits_per_day and the notes.
func (b *workbookBuilder) summaryStatsBlocks() []*sheetBlock {
	w := b.w
	s := w.SummaryStats
	p := s.PreviousWeek

	zone := w.TimeZone
	if zone == "" {
		zone = b.zoneName()
	}
	head := rowsBlock(blockPeriod, "Period · "+w.ReportID, nil, []kvRow{
		func(r *rowBuf) { r.text("Period start"); r.time(w.PeriodStart) },
		func(r *rowBuf) { r.text("Period end (exclusive)"); r.time(w.PeriodEnd) },
		func(r *rowBuf) { r.text("Time zone"); r.text(zone) },
		func(r *rowBuf) { r.text("Previous week from"); r.time(p.PeriodStart) },
		func(r *rowBuf) {
			r.text("Revision")
			r.int(int64(max(w.Revision, 1)))
			if w.Supersedes != nil {
				r.styled(kNote, "supersedes "+*w.Supersedes)
			}
		},
	})

	headline := rowsBlock("headline", "Headline figures",
		headers("Figure", "This week", "Previous week", "Change"),
		[]kvRow{
			func(r *rowBuf) {
				r.text("Total credits")
				r.dec2(s.TotalCredits)
				r.dec2(p.TotalCredits)
				r.optPct(s.TotalCreditsChangePct)
			},
			func(r *rowBuf) {
				r.text("Runs")
				r.int(s.TotalRuns)
				r.int(p.TotalRuns)
				r.optPct(s.TotalRunsChangePct)
			},
			func(r *rowBuf) {
				r.text("Avg credits per run")
				r.dec2(s.AvgCreditsPerRun)
				r.dec2(p.AvgCreditsPerRun)
				r.optPct(s.AvgCreditsChangePct)
			},
			func(r *rowBuf) {
				r.text("Failed runs")
				r.int(s.FailedRuns)
				r.int(p.FailedRuns)
				r.optPct(s.FailedRunsChangePct)
			},
		})

	type sevRow struct {
		label                string
		rec                  *int64 // nil: not in the model
		recomp, pRec, pRecmp int64
	}
	rc, prc, pcc := s.RecomputedSeverityCounts, p.RecordedSeverityCounts, p.RecomputedSeverityCounts
	sevRows := []sevRow{
		{"SEV0", &s.Sev0Count, rc.SEV0, prc.SEV0, pcc.SEV0},
		{"SEV1", &s.Sev1Count, rc.SEV1, prc.SEV1, pcc.SEV1},
		{"SEV2", &s.Sev2Count, rc.SEV2, prc.SEV2, pcc.SEV2},
		{"SEV3", &s.Sev3Count, rc.SEV3, prc.SEV3, pcc.SEV3},
		{"SEV4", &s.Sev4Count, rc.SEV4, prc.SEV4, pcc.SEV4},
		// The model has no recorded "unknown" count for this week; the cell
		// stays empty rather than being derived here.
		{"Unknown", nil, rc.Unknown, prc.Unknown, pcc.Unknown},
	}
	sevCols := headers("Severity", "Recorded", "Recomputed", "Prev. recorded", "Prev. recomputed")
	sevCols[0].colour = colourSeverity
	severity := &sheetBlock{
		name: blockSeverity, title: "Runs per severity", cols: sevCols, n: len(sevRows),
		row: func(i int, r *rowBuf) {
			x := sevRows[i]
			r.text(x.label)
			if x.rec != nil {
				r.int(*x.rec)
			} else {
				r.empty()
			}
			r.int(x.recomp)
			r.int(x.pRec)
			r.int(x.pRecmp)
		},
	}

	dq := w.DataQuality
	integCols := headers("Integrity", "Status", "Detail")
	integCols[1].colour = colourIntegrity
	var banner []kvRow
	if w.Preliminary {
		// A preliminary report must never pass for the final one.
		banner = append(banner, func(r *rowBuf) {
			r.text("PRELIMINARY")
			r.text("preliminary")
			r.styled(kNote, "the period has not ended: figures will change; the final report is published after the period ends")
		})
	}
	integrity := rowsBlock("integrity", "Integrity", integCols, append(banner, []kvRow{
		func(r *rowBuf) {
			r.text("Append-only check")
			r.text(dq.AppendOnly.Status)
			if n := len(dq.AppendOnly.Modifications); n > 0 {
				r.styled(kNote, fmt.Sprintf("%d modified range(s): see Data quality", n))
			}
		},
		func(r *rowBuf) {
			r.text("Rejected lines")
			r.int(dq.Rejected)
			if dq.Rejected > 0 {
				r.styled(kNote, "every reject so far: "+b.rejectsFile())
			}
		},
		func(r *rowBuf) {
			r.text("Duplicate lines")
			r.int(dq.Duplicates)
			if d := kindCounts(dq.DuplicatesByKind); d != "" {
				r.styled(kNote, d)
			}
		},
		func(r *rowBuf) {
			r.text("Late arrivals (weeks)")
			r.int(int64(len(dq.LateArrivals)))
			if len(dq.LateArrivals) > 0 {
				r.styled(kNote, "earlier reports miss runs: see Data quality")
			}
		},
		func(r *rowBuf) {
			r.text("Policy violations")
			r.int(int64(len(w.PolicyViolations)))
			if by := violationsBySeverity(w.PolicyViolations); by != "" {
				r.styled(kNote, by+": see Policy violations")
			}
		},
		func(r *rowBuf) {
			r.text("Signature")
			if b.opts.Signed {
				r.text("signed")
				r.styled(kNote, "Ed25519 .sig files; verify as on About")
			} else {
				r.text("unsigned")
				r.styled(kNote, "no .sig files; SHA-256 sidecars only")
			}
		},
		func(r *rowBuf) {
			r.text("Signing key ID")
			if w.SigningKeyID != nil {
				r.text(*w.SigningKeyID)
			} else {
				r.text("unsigned")
			}
		},
	}...))

	blocks := []*sheetBlock{b.actionRequiredBlock(), head, headline, severity, integrity, b.creditsPerDayBlock()}
	var notes []string
	notes = append(notes, w.Notes...)
	switch {
	case s.TotalRuns == 0:
		notes = append(notes, "No runs in this period: the charts are omitted.")
	case len(w.TopScenariosByTotal) == 0:
		notes = append(notes, "No scenario totals in this report: the top-scenarios chart is omitted.")
	}
	if len(notes) > 0 {
		blocks = append(blocks, noteBlock("notes", "Notes", notes))
	}
	return blocks
}
