package evidence

import (
	"slices"
	"testing"
	"time"

	"github.com/ledgerlens/ledgerlens/pipeline/audit"
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

// TestWhyMissing: what a bundle's index says of a week without a final
// report. A week with only a preliminary report was said to have been
// "published … but no longer in the reports directory", in signed
// evidence, with the preliminary files still there.
func TestWhyMissing(t *testing.T) {
	written := func(seq int64, path string) audit.Entry {
		return audit.Entry{Seq: seq, Event: audit.EventArtifactWritten, Fields: map[string]any{"path": path}}
	}
	for _, tc := range []struct {
		name    string
		entries []audit.Entry
		want    string
	}{
		{"only a preliminary report", []audit.Entry{written(7, "runs/CREDIT_REVIEWS/weekly_2026-03-02.preliminary.xlsx")},
			"only a preliminary report was published (audit seq 7, runs/CREDIT_REVIEWS/weekly_2026-03-02.preliminary.xlsx); no final report of the week"},
		{"a final report gone", []audit.Entry{written(7, "runs/CREDIT_REVIEWS/weekly_2026-03-02.preliminary.json"), written(9, "runs/CREDIT_REVIEWS/weekly_2026-03-02.json")},
			"published (audit seq 9, runs/CREDIT_REVIEWS/weekly_2026-03-02.json) but no longer in the reports directory"},
		{"nothing", nil, "the audit log records no weekly review of this week"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := whyMissing(tc.entries, "2026-03-02"); got != tc.want {
				t.Errorf("whyMissing = %q, want %q", got, tc.want)
			}
		})
	}
}
