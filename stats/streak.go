package stats

import "time"

// Run statuses that open and close a failure streak (docs/RULES.md, "Inputs" spelling).
const (
	StatusFailed  = "Failed"
	StatusSuccess = "Success"
)

// RunEvent is one run of a scenario as failure-streak analysis sees it: when
// it happened and how it ended.
type RunEvent struct {
	At     time.Time
	Status string
}

// StreakResult is the failure-streak analysis of one scenario's runs.
type StreakResult struct {
	// Streaks counts the streaks that started, closed or still open.
	Streaks int
	// Recoveries holds, in order of occurrence, each closed streak's time
	// from its first Failed run to the Success that ended it.
	Recoveries []time.Duration
	// FailedTime is the total time spent inside streaks, an open streak
	// counting up to the period end.
	FailedTime time.Duration
}

// Streaks finds failure streaks in events, which must already be ordered
// (by time, then ledger line). A streak starts at a Failed run while no
// streak is open and ends at the next Success run; the recovery time is that
// Success's time minus the first Failed run's. Runs with any other status
// (Quarantined, Escalated, further Failed runs) neither open nor close a
// streak. A streak still open after the last event counts up to periodEnd
// for FailedTime and is not a recovery. Durations that would be negative
// (events out of order, or an open streak starting after periodEnd) count as
// zero.
func Streaks(events []RunEvent, periodEnd time.Time) StreakResult {
	res := StreakResult{Recoveries: []time.Duration{}}
	var (
		open  bool
		start time.Time
	)
	for _, e := range events {
		switch {
		case e.Status == StatusFailed && !open:
			open, start = true, e.At
			res.Streaks++
		case e.Status == StatusSuccess && open:
			d := nonNegative(e.At.Sub(start))
			res.Recoveries = append(res.Recoveries, d)
			res.FailedTime += d
			open = false
		}
	}
	if open {
		res.FailedTime += nonNegative(periodEnd.Sub(start))
	}
	return res
}

func nonNegative(d time.Duration) time.Duration {
	return max(d, 0)
}
