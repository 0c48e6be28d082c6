package review

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ledgerlens/ledgerlens/pipeline/businesstime"
)

// Period is one review week: [Start, End) with Start a Monday 00:00 in Loc.
type Period struct {
	Start, End time.Time
	Loc        *time.Location
}

// WeekOf returns the week starting at the Monday 00:00 (in loc) on or before t.
func WeekOf(t time.Time, loc *time.Location) Period {
	t = t.In(loc)
	y, m, d := t.Date()
	return weekFrom(y, m, d-(int(t.Weekday())+6)%7, loc) // back to Monday
}

// weekFrom is the week that begins on the calendar day y-m-d (a Monday) in
// loc, from that day's first instant to the first instant seven days on
// (businesstime.Midnight).
func weekFrom(y int, m time.Month, d int, loc *time.Location) Period {
	return Period{Start: businesstime.Midnight(y, m, d, loc), End: businesstime.Midnight(y, m, d+7, loc), Loc: loc}
}

// LastCompleteWeek is the default period: the last week that ended at or
// before now.
func LastCompleteWeek(now time.Time, loc *time.Location) Period {
	return WeekOf(now, loc).Shift(-1)
}

// Shift moves the period by n weeks (calendar weeks in Loc, so DST
// changes keep Monday midnight).
func (p Period) Shift(n int) Period {
	y, m, d := p.Start.In(p.Loc).Date()
	return weekFrom(y, m, d+7*n, p.Loc)
}

// Days returns the period's calendar days in Loc as [start, end) pairs,
// each start in Loc (its date is the day's).
func (p Period) Days() [][2]time.Time {
	y, m, d := p.Start.In(p.Loc).Date()
	out := make([][2]time.Time, 0, 7)
	for i := range 7 {
		out = append(out, [2]time.Time{businesstime.Midnight(y, m, d+i, p.Loc), businesstime.Midnight(y, m, d+i+1, p.Loc)})
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
		jan4 := businesstime.Midnight(year, 1, 4, loc)
		p := WeekOf(jan4, loc).Shift(week - 1)
		if _, isoWeek := p.Start.ISOWeek(); isoWeek != week {
			return Period{}, fmt.Errorf("week %q: %d has no ISO week %d", s, year, week)
		}
		return p, nil
	}
	// The date is read as a calendar date; its first instant in loc is
	// businesstime.Midnight's (ParseInLocation would normalise a skipped
	// 00:00 into the day before).
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return Period{}, fmt.Errorf("week %q: want YYYY-MM-DD (a Monday) or YYYY-Www", s)
	}
	if d.Weekday() != time.Monday {
		return Period{}, fmt.Errorf("week %q: %s is a %s, not a Monday", s, s, d.Weekday())
	}
	return WeekOf(businesstime.Midnight(d.Year(), d.Month(), d.Day(), loc), loc), nil
}
