package evidence

import (
	"slices"
	"testing"
	"time"
)

func TestWeeks(t *testing.T) {
	asuncion, err := time.LoadLocation("America/Asuncion")
	if err != nil {
		t.Fatal(err)
	}
	at := func(s string, loc *time.Location) time.Time {
		v, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct {
		name       string
		start, end time.Time
		want       []string // Mondays; each week begins at the first instant of its Monday
	}{
		{"one whole week", at("2026-11-16 00:00", time.UTC), at("2026-11-23 00:00", time.UTC), []string{"2026-11-16T00:00:00Z"}},
		{"a month", at("2026-11-01 00:00", time.UTC), at("2026-12-01 00:00", time.UTC),
			[]string{"2026-10-26T00:00:00Z", "2026-11-02T00:00:00Z", "2026-11-09T00:00:00Z", "2026-11-16T00:00:00Z", "2026-11-23T00:00:00Z", "2026-11-30T00:00:00Z"}},
		// 2023-10-01 has no 00:00 in Asuncion (the clocks went to 01:00):
		// the window's first day began an hour into time.Date's idea of it,
		// and the week of Monday the 2nd overlaps the window.
		{"from a day without a 00:00", at("2023-10-01 01:00", asuncion), at("2023-10-02 12:00", asuncion),
			[]string{"2023-09-25T00:00:00-04:00", "2023-10-02T00:00:00-03:00"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, w := range weeks(tt.start, tt.end) {
				got = append(got, w.Format(time.RFC3339))
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("weeks(%s, %s) = %v, want %v", tt.start, tt.end, got, tt.want)
			}
		})
	}
}
