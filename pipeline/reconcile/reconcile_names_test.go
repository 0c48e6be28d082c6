package reconcile

import (
	"testing"
	"time"
)

// TestLabelPeriod: the days a period a file name gives covers, in each
// form people write one.
func TestLabelPeriod(t *testing.T) {
	for _, tc := range []struct {
		name     string
		from, to string // "" when it is no period
	}{
		{"weekly_2026-02-23.json", "2026-02-23", "2026-02-23"},
		{"weekly_2026_03_02.json", "2026-03-02", "2026-03-02"},
		{"weekly_2026-W10.json", "2026-03-02", "2026-03-08"},
		{"weekly_2026-w01.json", "2025-12-29", "2026-01-04"},
		{"sla_2026-02.json", "2026-02-01", "2026-02-28"},
		{"weekly_2026-13-01.json", "", ""},
		{"weekly_2026-W54.json", "", ""},
	} {
		m := periodLabel.FindStringSubmatch(dashes.Replace(tc.name))
		var from, to time.Time
		ok := false
		if m != nil {
			from, to, ok = labelPeriod(m)
		}
		if tc.from == "" {
			if ok {
				t.Errorf("%s: a period %v–%v, want none", tc.name, from, to)
			}
			continue
		}
		if !ok || from.Format(time.DateOnly) != tc.from || to.Format(time.DateOnly) != tc.to {
			t.Errorf("%s: %v–%v (%t), want %s–%s", tc.name, from.Format(time.DateOnly), to.Format(time.DateOnly), ok, tc.from, tc.to)
		}
	}
}
