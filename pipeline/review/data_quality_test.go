package review

import (
	"fmt"
	"testing"
	"time"

	"github.com/ledgerlens/ledgerlens/reports"
)

// TestUnpublishedWeeks: the weeks after the first published review and
// before this one without a review, as the Mondays of their file names,
// also after the time zone moved west (a week published in UTC starts on
// Sunday evening in New York: it is still the week of its Monday).
func TestUnpublishedWeeks(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	pub := func(days ...string) []reports.PublishedWeek {
		var out []reports.PublishedWeek
		for _, d := range days {
			w, _ := time.Parse(time.DateOnly, d)
			out = append(out, reports.PublishedWeek{Week: w, File: "weekly_" + d + ".json"})
		}
		return out
	}
	for _, tc := range []struct {
		name      string
		published []reports.PublishedWeek
		week      string
		loc       *time.Location
		since     string
		want      string
	}{
		{"nothing published", nil, "2026-02-23", time.UTC, "", "[]"},
		{"every week", pub("2026-02-02", "2026-02-09", "2026-02-16"), "2026-02-23", time.UTC, "", "[]"},
		{"two gaps", pub("2026-02-02", "2026-02-16"), "2026-03-02", time.UTC, "", "[2026-02-09 2026-02-23]"},
		{"an earlier week re-run", pub("2026-02-02", "2026-02-16"), "2026-02-09", time.UTC, "", "[]"},
		{"zone moved west", pub("2026-02-02", "2026-02-09", "2026-02-16"), "2026-02-23", ny, "", "[]"},
		{"zone moved west, a gap", pub("2026-02-02", "2026-02-16"), "2026-03-02", ny, "", "[2026-02-09 2026-02-23]"},
		{"a later revision's name", []reports.PublishedWeek{{File: "weekly_2026-02-02.r2.json"}}, "2026-02-16", time.UTC, "", "[2026-02-09]"},
		// A week published once for an auditor, long before the reviews
		// were in force, and the configured first week.
		{"an old week published once", pub("2026-01-05", "2026-02-09", "2026-02-16"), "2026-02-23", time.UTC, "2026-02-09", "[]"},
		{"required since, a gap after", pub("2026-01-05", "2026-02-16"), "2026-02-23", time.UTC, "2026-02-09", "[2026-02-09]"},
		{"required since, nothing published yet", nil, "2026-02-23", time.UTC, "2026-02-09", "[2026-02-09 2026-02-16]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			start, _ := time.ParseInLocation(time.DateOnly, tc.week, tc.loc)
			got := fmt.Sprint(UnpublishedWeeks(tc.published, Period{Start: start, End: start.AddDate(0, 0, 7), Loc: tc.loc}, tc.since))
			if got != tc.want {
				t.Errorf("UnpublishedWeeks = %s, want %s", got, tc.want)
			}
		})
	}
}
