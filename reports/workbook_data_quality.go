package reports

import (
	"fmt"
)

// dataQualityBlocks lays out the Data quality sheet (data_quality).
func (b *workbookBuilder) dataQualityBlocks() []*sheetBlock {
	dq := b.w.DataQuality
	checkCols := headers("Check", "Value", "Detail")
	checkCols[1].colour = colourIntegrity
	checks := rowsBlock("data_quality", "", checkCols, []kvRow{
		func(r *rowBuf) { r.text("Lines read"); r.int(dq.LinesRead) },
		func(r *rowBuf) { r.text("Loaded"); r.int(dq.Loaded) },
		func(r *rowBuf) {
			r.text("Rejected")
			r.int(dq.Rejected)
			if dq.Rejected > 0 {
				r.styled(kNote, "sample below; every reject of the ledger so far in "+b.rejectsFile())
			}
		},
		func(r *rowBuf) {
			r.text("Duplicates")
			r.int(dq.Duplicates)
			if d := kindCounts(dq.DuplicatesByKind); d != "" {
				r.styled(kNote, d)
			}
		},
		func(r *rowBuf) {
			r.text("Partial tail bytes")
			r.int(dq.PartialTailBytes)
			if dq.PartialTailBytes > 0 {
				r.styled(kNote, "unfinished last line: loaded once complete")
			}
		},
		func(r *rowBuf) {
			r.text("Append-only check")
			r.text(dq.AppendOnly.Status)
			if n := len(dq.AppendOnly.Modifications); n > 0 {
				r.styled(kNote, fmt.Sprintf("%d modified range(s) below", n))
			}
		},
	})
	checks.freeze = true

	mods := dq.AppendOnly.Modifications
	modifications := &sheetBlock{
		name: "data_quality.append_only", title: "Ledger modifications",
		cols: headers("Detected at ingest", "Byte from", "Byte to", "Line from", "Line to", "Acknowledged by", "Reason"),
		n:    len(mods), empty: "None: the loaded part of the ledger is unchanged.",
		row: func(i int, r *rowBuf) {
			m := &mods[i]
			r.int(m.DetectedAtIngest)
			r.int(m.ByteFrom)
			r.int(m.ByteTo)
			r.int(m.LineFrom)
			r.int(m.LineTo)
			ackCells(r, m.Acknowledgment)
		},
	}
	cd := dq.ConflictingDuplicates
	conflicting := &sheetBlock{
		name: "data_quality.conflicting_duplicates", title: "Conflicting duplicates (a run id repeated with different content)",
		cols: headers("Ledger line", "First line (counts)", "Run id", "Acknowledged by", "Reason"),
		n:    len(cd), empty: "None.",
		row: func(i int, r *rowBuf) {
			d := &cd[i]
			r.int(d.LineNo)
			r.int(d.FirstLineNo)
			r.text(d.RunID)
			ackCells(r, d.Acknowledgment)
		},
	}
	late := dq.LateArrivals
	lateArrivals := &sheetBlock{
		name: "data_quality.late_arrivals", title: "Late arrivals (runs that landed after their week's report)",
		cols: headers("Week", "Published report", "Runs", "Credits"),
		n:    len(late), empty: "None.",
		row: func(i int, r *rowBuf) {
			l := &late[i]
			r.date(l.Week)
			r.text(l.PublishedFile)
			r.int(l.Count)
			r.dec2(l.Credits)
		},
	}
	gaps := dq.UnpublishedWeeks
	unpublished := &sheetBlock{
		name: "data_quality.unpublished_weeks", title: "Weeks without a published review (since the first one)",
		cols: headers("Week"),
		n:    len(gaps), empty: "None.",
		row: func(i int, r *rowBuf) {
			r.date(gaps[i])
		},
	}
	enums := dq.UnknownEnumValues
	unknown := &sheetBlock{
		name: "data_quality.unknown_enum_values", title: "Unknown enumeration values (kept and counted)",
		cols: headers("Field", "Value", "Count"),
		n:    len(enums), empty: "None.",
		row: func(i int, r *rowBuf) {
			e := &enums[i]
			r.text(e.Field)
			r.text(e.Value)
			r.int(e.Count)
		},
	}
	rej := dq.RejectsSample
	rejects := &sheetBlock{
		name: "data_quality.rejects_sample", title: "Rejected lines (sample)",
		cols: headers("Line", "Byte offset", "Reason", "Line SHA-256"),
		n:    len(rej), empty: "None: every complete line loaded.",
		filter: true,
		row: func(i int, r *rowBuf) {
			x := &rej[i]
			r.int(x.LineNo)
			r.int(x.ByteOffset)
			r.text(x.Reason)
			r.overflow(x.LineSHA256)
		},
	}
	return []*sheetBlock{checks, modifications, conflicting, lateArrivals, unpublished, unknown, rejects}
}

// ackCells writes who acknowledged an integrity problem and why, or a
// note that nobody has (the jobs exit 4 until someone does).
func ackCells(r *rowBuf, a *LedgerAck) {
	if a == nil {
		r.styled(kNote, "not acknowledged")
		r.empty()
		return
	}
	r.text(a.By)
	r.text(a.Reason)
}
