package businesstime

import (
	"testing"
	"time"
	_ "time/tzdata"
)

func ts(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestAddBusinessHours(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err) // time/tzdata is linked in: the zone always exists
	}
	tests := []struct {
		start string
		hours float64
		loc   *time.Location
		want  string
	}{
		{"2026-03-02T10:00:00Z", 4, time.UTC, "2026-03-02T14:00:00Z"},   // Monday morning
		{"2026-03-06T16:00:00Z", 4, time.UTC, "2026-03-09T12:00:00Z"},   // Friday afternoon → Monday
		{"2026-03-07T10:00:00Z", 4, time.UTC, "2026-03-09T13:00:00Z"},   // Saturday → Monday 09:00 + 4
		{"2026-03-02T07:00:00Z", 1, time.UTC, "2026-03-02T10:00:00Z"},   // before opening
		{"2026-03-02T18:00:00Z", 0.5, time.UTC, "2026-03-03T09:30:00Z"}, // after closing
		{"2026-03-02T15:00:00Z", 10, time.UTC, "2026-03-03T17:00:00Z"},  // spans a night
		// New York: 10:00 EST is 15:00Z; 4 business hours later is 14:00
		// local, across the zone's own day.
		{"2026-03-02T15:00:00Z", 4, ny, "2026-03-02T19:00:00Z"},
	}
	for _, tt := range tests {
		got := AddBusinessHours(ts(tt.start), time.Duration(tt.hours*float64(time.Hour)), tt.loc)
		if got.UTC().Format(time.RFC3339) != tt.want {
			t.Errorf("AddBusinessHours(%s, %vh, %s) = %s, want %s", tt.start, tt.hours, tt.loc, got.UTC().Format(time.RFC3339), tt.want)
		}
	}
}

func TestAddBusinessDays(t *testing.T) {
	tests := []struct{ from, want string }{
		{"2026-11-16T09:00:00Z", "2026-11-17T09:00:00Z"}, // Mon → Tue
		{"2026-11-20T09:00:00Z", "2026-11-23T09:00:00Z"}, // Fri → Mon
		{"2026-11-21T09:00:00Z", "2026-11-24T09:00:00Z"}, // Sat counts from Mon
	}
	for _, tt := range tests {
		from, _ := time.Parse(time.RFC3339, tt.from)
		if got := AddBusinessDays(from, 1).Format(time.RFC3339); got != tt.want {
			t.Errorf("AddBusinessDays(%s, 1) = %s, want %s", tt.from, got, tt.want)
		}
	}
}
