package stats

import (
	"slices"
	"testing"
	"time"
)

func TestStreaks(t *testing.T) {
	F, S := StatusFailed, StatusSuccess
	ev := func(hours float64, status string) RunEvent { return RunEvent{At: h(hours), Status: status} }
	end := h(10)
	tests := []struct {
		name       string
		events     []RunEvent
		streaks    int
		recoveries []time.Duration
		failed     time.Duration
	}{
		{"no runs", nil, 0, []time.Duration{}, 0},
		{"all success", []RunEvent{ev(1, S), ev(2, S)}, 0, []time.Duration{}, 0},
		{"one closed", []RunEvent{ev(1, F), ev(3, S)}, 1, []time.Duration{2 * time.Hour}, 2 * time.Hour},
		// Recovery runs from the first Failed run, not the last.
		{"repeated failures", []RunEvent{ev(1, F), ev(2, F), ev(4, S)}, 1, []time.Duration{3 * time.Hour}, 3 * time.Hour},
		// Quarantined and Escalated neither open nor close a streak.
		{"other statuses", []RunEvent{ev(0, "Quarantined"), ev(1, F), ev(2, "Escalated"), ev(2.5, S)}, 1,
			[]time.Duration{90 * time.Minute}, 90 * time.Minute},
		{"open at period end", []RunEvent{ev(5, F)}, 1, []time.Duration{}, 5 * time.Hour},
		{"closed then open", []RunEvent{ev(1, F), ev(2, S), ev(4, F), ev(6, F)}, 2,
			[]time.Duration{time.Hour}, time.Hour + 6*time.Hour},
		{"two closed", []RunEvent{ev(1, F), ev(1.5, S), ev(3, S), ev(7, F), ev(9, S)}, 2,
			[]time.Duration{30 * time.Minute, 2 * time.Hour}, 150 * time.Minute},
		{"same instant", []RunEvent{ev(2, F), ev(2, S)}, 1, []time.Duration{0}, 0},
		{"open, starting after period end", []RunEvent{ev(12, F)}, 1, []time.Duration{}, 0},
		{"out of order is not negative", []RunEvent{ev(5, F), ev(3, S)}, 1, []time.Duration{0}, 0},
		{"status is case-sensitive", []RunEvent{ev(1, "failed"), ev(2, "FAILED")}, 0, []time.Duration{}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Streaks(tt.events, end)
			if got.Streaks != tt.streaks || !slices.Equal(got.Recoveries, tt.recoveries) || got.FailedTime != tt.failed {
				t.Fatalf("Streaks = %+v, want {Streaks:%d Recoveries:%v FailedTime:%v}",
					got, tt.streaks, tt.recoveries, tt.failed)
			}
			if got.Recoveries == nil {
				t.Fatalf("Recoveries is nil, want an empty slice")
			}
		})
	}
}
