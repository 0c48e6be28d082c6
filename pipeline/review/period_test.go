package review

import (
	"testing"
	"time"
)

func mustLoad(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func TestParseWeek(t *testing.T) {
	berlin := mustLoad(t, "Europe/Berlin")
	tests := []struct {
		in        string
		loc       *time.Location
		wantStart string
		wantHours float64
		wantErr   bool
	}{
		{"2026-11-16", time.UTC, "2026-11-16T00:00:00Z", 168, false},
		{"2026-W47", time.UTC, "2026-11-16T00:00:00Z", 168, false},
		{"2026-W01", time.UTC, "2025-12-29T00:00:00Z", 168, false},
		{"2020-W53", time.UTC, "2020-12-28T00:00:00Z", 168, false},
		{"2026-W53", time.UTC, "2026-12-28T00:00:00Z", 168, false}, // 2026 starts on a Thursday: 53 ISO weeks
		{"2025-W53", time.UTC, "", 0, true},                        // 2025 has 52
		{"2026-11-17", time.UTC, "", 0, true},
		{"yesterday", time.UTC, "", 0, true},
		// The weeks holding the DST changes are an hour short and long.
		{"2026-03-23", berlin, "2026-03-23T00:00:00+01:00", 167, false},
		{"2026-10-19", berlin, "2026-10-19T00:00:00+02:00", 169, false},
	}
	for _, tt := range tests {
		t.Run(tt.in+" "+tt.loc.String(), func(t *testing.T) {
			p, err := ParseWeek(tt.in, tt.loc)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("want an error, got %v", p.Start)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := p.Start.Format(time.RFC3339); got != tt.wantStart {
				t.Errorf("start %s, want %s", got, tt.wantStart)
			}
			if h := p.End.Sub(p.Start).Hours(); h != tt.wantHours {
				t.Errorf("period is %v hours, want %v", h, tt.wantHours)
			}
			days := p.Days()
			if len(days) != 7 || !days[0][0].Equal(p.Start) || !days[6][1].Equal(p.End) {
				t.Errorf("days do not tile the period: %v", days)
			}
			for _, d := range days {
				if d[0].In(tt.loc).Hour() != 0 {
					t.Errorf("day %v does not start at local midnight", d[0])
				}
			}
		})
	}
}

func TestLastCompleteWeek(t *testing.T) {
	ny := mustLoad(t, "America/New_York")
	tests := []struct {
		now  string
		loc  *time.Location
		want string
	}{
		{"2026-11-23T10:00:00Z", time.UTC, "2026-11-16"}, // Monday 10:00: last week
		{"2026-11-23T00:00:00Z", time.UTC, "2026-11-16"}, // the very start of a week
		{"2026-11-22T23:59:59Z", time.UTC, "2026-11-09"}, // Sunday night: the week is not over
		{"2026-11-23T03:00:00Z", ny, "2026-11-09"},       // still Sunday in New York
	}
	for _, tt := range tests {
		now, _ := time.Parse(time.RFC3339, tt.now)
		if got := LastCompleteWeek(now, tt.loc).Label(); got != tt.want {
			t.Errorf("LastCompleteWeek(%s, %s) = %s, want %s", tt.now, tt.loc, got, tt.want)
		}
	}
}

// TestDaysWhereAClockChangeSkipsMidnight covers zones whose daylight
// saving time starts at 00:00, so that a day has no 00:00: the day begins
// at the change, and the days still tile the week with one date each.
func TestDaysWhereAClockChangeSkipsMidnight(t *testing.T) {
	tests := []struct {
		zone, week string
		skipped    int    // index of the day without a 00:00
		begins     string // when that day begins
		weekHours  float64
	}{
		{"America/Santiago", "2026-08-31", 6, "2026-09-06T01:00:00-03:00", 167},
		{"America/Havana", "2026-03-02", 6, "2026-03-08T01:00:00-04:00", 167},
	}
	for _, tt := range tests {
		t.Run(tt.zone, func(t *testing.T) {
			loc := mustLoad(t, tt.zone)
			p, err := ParseWeek(tt.week, loc)
			if err != nil {
				t.Fatal(err)
			}
			if h := p.End.Sub(p.Start).Hours(); h != tt.weekHours {
				t.Errorf("the week is %v hours, want %v", h, tt.weekHours)
			}
			days := p.Days()
			first, _ := time.Parse(time.DateOnly, tt.week)
			for i, d := range days {
				if want := first.AddDate(0, 0, i).Format(time.DateOnly); d[0].Format(time.DateOnly) != want {
					t.Errorf("day %d is dated %s, want %s", i, d[0].Format(time.DateOnly), want)
				}
				if i > 0 && !d[0].Equal(days[i-1][1]) {
					t.Errorf("day %d begins at %v, not where day %d ends (%v)", i, d[0], i-1, days[i-1][1])
				}
				switch {
				case i == tt.skipped:
					if got := d[0].Format(time.RFC3339); got != tt.begins {
						t.Errorf("day %d begins at %s, want %s", i, got, tt.begins)
					}
				case d[0].In(loc).Hour() != 0:
					t.Errorf("day %d begins at %v, not at local midnight", i, d[0])
				}
			}
			if !days[0][0].Equal(p.Start) || !days[6][1].Equal(p.End) {
				t.Errorf("days do not tile the period: %v", days)
			}
		})
	}
}
