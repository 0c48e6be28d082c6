package stats

import (
	"slices"
	"time"
)

// Interval is the half-open span of time [Start, End), for example an outage
// from its start to its resolution. An interval whose End is not after its
// Start is empty. All arithmetic is on instants, so time zones and DST
// transitions do not affect any result.
type Interval struct {
	Start, End time.Time
}

// Duration returns End − Start, or 0 for an empty interval.
func (iv Interval) Duration() time.Duration {
	if !iv.End.After(iv.Start) {
		return 0
	}
	return iv.End.Sub(iv.Start)
}

// Merge returns the union of iv as disjoint intervals sorted by start.
// Overlapping, nested and adjacent intervals ([a,b) and [b,c)) become one;
// empty intervals are dropped. iv itself is not modified.
func Merge(iv []Interval) []Interval {
	s := make([]Interval, 0, len(iv))
	for _, v := range iv {
		if v.End.After(v.Start) {
			s = append(s, v)
		}
	}
	slices.SortFunc(s, func(a, b Interval) int {
		if c := a.Start.Compare(b.Start); c != 0 {
			return c
		}
		return a.End.Compare(b.End)
	})
	out := make([]Interval, 0, len(s))
	for _, v := range s {
		if n := len(out); n > 0 && !v.Start.After(out[n-1].End) {
			if v.End.After(out[n-1].End) {
				out[n-1].End = v.End
			}
			continue
		}
		out = append(out, v)
	}
	return out
}

// Clip returns each interval of iv intersected with window, in the order of
// iv, dropping those that do not overlap it. It does not merge: an outage's
// share of a week stays one entry per outage. Use Covered for the total.
func Clip(iv []Interval, window Interval) []Interval {
	out := make([]Interval, 0, len(iv))
	for _, v := range iv {
		c := Interval{Start: later(v.Start, window.Start), End: earlier(v.End, window.End)}
		if c.End.After(c.Start) {
			out = append(out, c)
		}
	}
	return out
}

// Covered returns how much of window is covered by the union of iv: time in
// two overlapping intervals counts once. It is 0 for an empty window.
func Covered(iv []Interval, window Interval) time.Duration {
	var d time.Duration
	for _, v := range Merge(Clip(iv, window)) {
		d += v.Duration()
	}
	return d
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func earlier(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
