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
