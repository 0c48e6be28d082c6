package review

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Period is one review week: [Start, End) with Start a Monday 00:00 in Loc.
type Period struct {
	Start, End time.Time
	Loc        *time.Location
}

// WeekOf returns the week starting at the Monday 00:00 (in loc) on or before t.
func WeekOf(t time.Time, loc *time.Location) Period {
	t = t.In(loc)
	back := (int(t.Weekday()) + 6) % 7 // days since Monday
	start := time.Date(t.Year(), t.Month(), t.Day()-back, 0, 0, 0, 0, loc)
	return Period{Start: start, End: start.AddDate(0, 0, 7), Loc: loc}
}

// LastCompleteWeek is the default period: the last week that ended at or
// before now.
func LastCompleteWeek(now time.Time, loc *time.Location) Period {
	return WeekOf(now, loc).Shift(-1)
}

// Shift moves the period by n weeks (calendar weeks in Loc, so DST
// changes keep Monday midnight).
func (p Period) Shift(n int) Period {
	start := time.Date(p.Start.Year(), p.Start.Month(), p.Start.Day()+7*n, 0, 0, 0, 0, p.Loc)
	return Period{Start: start, End: start.AddDate(0, 0, 7), Loc: p.Loc}
}

// Days returns the period's calendar days in Loc as [start, end) pairs.
func (p Period) Days() [][2]time.Time {
	out := make([][2]time.Time, 0, 7)
	for d := range 7 {
		s := time.Date(p.Start.Year(), p.Start.Month(), p.Start.Day()+d, 0, 0, 0, 0, p.Loc)
		out = append(out, [2]time.Time{s, s.AddDate(0, 0, 1)})
	}
	return out
}

// Label is the period's Monday as YYYY-MM-DD, the D of weekly_D.json.
func (p Period) Label() string { return p.Start.Format(time.DateOnly) }

// ParseWeek reads --week: a Monday as 2026-11-16, or an ISO week 2026-W47.
func ParseWeek(s string, loc *time.Location) (Period, error) {
	if y, w, ok := strings.Cut(s, "-W"); ok {
		year, err1 := strconv.Atoi(y)
		week, err2 := strconv.Atoi(w)
		if err1 != nil || err2 != nil || week < 1 || week > 53 {
			return Period{}, fmt.Errorf("week %q: want YYYY-MM-DD (a Monday) or YYYY-Www", s)
		}
		// ISO week 1 holds January 4th.
		jan4 := time.Date(year, 1, 4, 0, 0, 0, 0, loc)
		p := WeekOf(jan4, loc).Shift(week - 1)
		if _, isoWeek := p.Start.ISOWeek(); isoWeek != week {
			return Period{}, fmt.Errorf("week %q: %d has no ISO week %d", s, year, week)
		}
		return p, nil
	}
	d, err := time.ParseInLocation(time.DateOnly, s, loc)
	if err != nil {
		return Period{}, fmt.Errorf("week %q: want YYYY-MM-DD (a Monday) or YYYY-Www", s)
	}
	if d.Weekday() != time.Monday {
		return Period{}, fmt.Errorf("week %q: %s is a %s, not a Monday", s, s, d.Weekday())
	}
	return WeekOf(d, loc), nil
}
