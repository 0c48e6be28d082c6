package businesstime

import "time"

// Midnight returns the first instant of the calendar day y-m-d in loc
// (the date is normalised as time.Date normalises it, so d may run past
// the month's end): its 00:00, or, where a clock change skips 00:00
// (America/Santiago on 2026-09-06, America/Havana on 2026-03-08,
// America/Asuncion on 2023-10-01), the instant of the change. time.Date
// puts a missing 00:00 an hour into the day before, so that day and the
// one before would overlap and the day would carry the wrong date.
// Every day, week and month the reports cover begins here.
func Midnight(y int, m time.Month, d int, loc *time.Location) time.Time {
	y, m, d = time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Date()
	t := time.Date(y, m, d, 0, 0, 0, 0, loc)
	if ty, tm, td := t.Date(); ty == y && tm == m && td == d {
		return t
	}
	// The zone in effect at t ends at the change that skipped 00:00.
	_, end := t.ZoneBounds()
	return end
}
