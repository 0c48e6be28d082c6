package review

import "github.com/ledgerlens/ledgerlens/reports"

// creditsPerDay fills the per-day series the workbook charts.
func (a *analysis) creditsPerDay() error {
	days := a.p.Days()
	rows, err := a.queryRows("credits_per_day", days[0][0], days[len(days)-1][1])
	if err != nil {
		return err
	}
	defer rows.Close()
	a.w.CreditsPerDay = []reports.CreditsPerDay{}
	for rows.Next() {
		var d reports.CreditsPerDay
		if err := scanNamed(rows, "credits_per_day", map[string]any{"day": &d.Date, "credits": &d.Credits, "runs": &d.Runs}); err != nil {
			return err
		}
		d.Credits = money(d.Credits)
		a.w.CreditsPerDay = append(a.w.CreditsPerDay, d)
	}
	return rows.Err()
}
