package businesstime

import (
	"fmt"
	"time"
)

// Business hours of the SLA clocks: Monday to Friday, 09:00 to 17:00 in the
// configured time zone. "4 business hours (½ day)" in the SRE runbook is
// half of this 8-hour day.
const (
	businessStartHour = 9
	businessEndHour   = 17
)

// BusinessHoursText describes the business hours in loc, for the report.
func BusinessHoursText(loc *time.Location) string {
	return fmt.Sprintf("Monday–Friday %02d:00–%02d:00 %s", businessStartHour, businessEndHour, loc)
}

// AddBusinessHours returns the instant d of business time after t, counted
// in loc: time outside business hours does not count, so a clock started
// on Friday at 16:00 with 4 hours runs out on Monday at 12:00.
func AddBusinessHours(t time.Time, d time.Duration, loc *time.Location) time.Time {
	t = t.In(loc)
	for {
		t = nextBusinessInstant(t, loc)
		y, m, day := t.Date()
		closing := time.Date(y, m, day, businessEndHour, 0, 0, 0, loc)
		left := closing.Sub(t)
		if d <= left {
			return t.Add(d)
		}
		d -= left
		t = closing
	}
}

// nextBusinessInstant is t if t is within business hours, else the next
// opening time.
func nextBusinessInstant(t time.Time, loc *time.Location) time.Time {
	for {
		y, m, day := t.Date()
		opening := time.Date(y, m, day, businessStartHour, 0, 0, 0, loc)
		closing := time.Date(y, m, day, businessEndHour, 0, 0, 0, loc)
		switch {
		case t.Weekday() == time.Saturday || t.Weekday() == time.Sunday || !t.Before(closing):
			t = time.Date(y, m, day+1, businessStartHour, 0, 0, 0, loc)
		case t.Before(opening):
			return opening
		default:
			return t
		}
	}
}

// AddBusinessDays adds n business days (Monday–Friday) to t, keeping the
// time of day: the maker-checker clock of the SRE runbook. A start on a
// weekend counts from the next Monday's same time.
func AddBusinessDays(t time.Time, n int) time.Time {
	for t.Weekday() == time.Saturday || t.Weekday() == time.Sunday {
		t = t.AddDate(0, 0, 1)
	}
	for n > 0 {
		t = t.AddDate(0, 0, 1)
		if t.Weekday() != time.Saturday && t.Weekday() != time.Sunday {
			n--
		}
	}
	return t
}
