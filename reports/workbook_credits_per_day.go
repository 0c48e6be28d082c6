package reports

// blockPerDay names the Summary block of credits_per_day, which the
// per-day chart reads from.
const blockPerDay = "credits_per_day"

// creditsPerDayBlock shows credits_per_day on the Summary sheet.
func (b *workbookBuilder) creditsPerDayBlock() *sheetBlock {
	w := b.w
	return &sheetBlock{
		name: blockPerDay, title: "Credits per day (" + b.zoneName() + ")",
		cols: headers("Day", "Credits", "Runs"), n: len(w.CreditsPerDay),
		empty: "No days in the period.",
		row: func(i int, r *rowBuf) {
			d := w.CreditsPerDay[i]
			r.date(d.Date)
			r.dec2(d.Credits)
			r.int(d.Runs)
		},
	}
}
