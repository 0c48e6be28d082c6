package businesstime

import (
	"testing"
	"time"
)

func TestMidnight(t *testing.T) {
	load := func(name string) *time.Location {
		loc, err := time.LoadLocation(name)
		if err != nil {
			t.Fatal(err)
		}
		return loc
	}
	tests := []struct {
		name string
		y    int
		m    time.Month
		d    int
		loc  *time.Location
		want string
	}{
		{"an ordinary day", 2026, 11, 16, time.UTC, "2026-11-16T00:00:00Z"},
		{"a day past the month's end", 2026, 12, 32, time.UTC, "2027-01-01T00:00:00Z"},
		{"a day before the month's start", 2026, 3, 0, time.UTC, "2026-02-28T00:00:00Z"},
		{"the day of a change at 02:00", 2026, 3, 29, load("Europe/Berlin"), "2026-03-29T00:00:00+01:00"},
		{"Santiago skips 00:00", 2026, 9, 6, load("America/Santiago"), "2026-09-06T01:00:00-03:00"},
		{"Havana skips 00:00", 2026, 3, 8, load("America/Havana"), "2026-03-08T01:00:00-04:00"},
		{"Asuncion skips the month's 00:00", 2023, 10, 1, load("America/Asuncion"), "2023-10-01T01:00:00-03:00"},
		{"Beirut skips 00:00 (time.Date moves it forward)", 2026, 3, 29, load("Asia/Beirut"), "2026-03-29T01:00:00+03:00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Midnight(tt.y, tt.m, tt.d, tt.loc)
			if s := got.Format(time.RFC3339); s != tt.want {
				t.Errorf("Midnight(%d, %d, %d, %s) = %s, want %s", tt.y, tt.m, tt.d, tt.loc, s, tt.want)
			}
			if got.Location() != tt.loc {
				t.Errorf("Midnight is in %s, want %s", got.Location(), tt.loc)
			}
			// No earlier instant has the same date in loc.
			if before := got.Add(-time.Second).In(tt.loc); before.Format(time.DateOnly) == got.Format(time.DateOnly) {
				t.Errorf("%s is not the day's first instant: %s has its date too", got, before)
			}
		})
	}
}
