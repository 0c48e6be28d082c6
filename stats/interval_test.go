package stats

import (
	"slices"
	"testing"
	"time"
	_ "time/tzdata" // the DST test needs America/New_York on any host
)

var t0 = time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)

// h returns t0 plus hours.
func h(hours float64) time.Time { return t0.Add(time.Duration(hours * float64(time.Hour))) }

func iv(from, to float64) Interval { return Interval{h(from), h(to)} }

func sameIntervals(a, b []Interval) bool {
	return slices.EqualFunc(a, b, func(x, y Interval) bool { return x.Start.Equal(y.Start) && x.End.Equal(y.End) })
}

func TestMerge(t *testing.T) {
	tests := []struct {
		name string
		in   []Interval
		want []Interval
	}{
		{"none", nil, []Interval{}},
		{"single", []Interval{iv(1, 2)}, []Interval{iv(1, 2)}},
		{"overlapping", []Interval{iv(0, 2), iv(1, 3)}, []Interval{iv(0, 3)}},
		{"nested", []Interval{iv(0, 10), iv(2, 3)}, []Interval{iv(0, 10)}},
		{"nested, inner first", []Interval{iv(2, 3), iv(0, 10)}, []Interval{iv(0, 10)}},
		{"adjacent", []Interval{iv(0, 1), iv(1, 2)}, []Interval{iv(0, 2)}},
		{"disjoint, unsorted", []Interval{iv(5, 6), iv(0, 1)}, []Interval{iv(0, 1), iv(5, 6)}},
		{"same start", []Interval{iv(0, 4), iv(0, 2)}, []Interval{iv(0, 4)}},
		{"empty dropped", []Interval{iv(3, 3), iv(0, 1)}, []Interval{iv(0, 1)}},
		{"reversed dropped", []Interval{iv(4, 2)}, []Interval{}},
		{"chain", []Interval{iv(0, 2), iv(6, 8), iv(1, 5), iv(5, 6), iv(9, 10)}, []Interval{iv(0, 8), iv(9, 10)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := slices.Clone(tt.in)
			got := Merge(tt.in)
			if !sameIntervals(got, tt.want) {
				t.Fatalf("Merge = %v, want %v", got, tt.want)
			}
			if !sameIntervals(in, tt.in) {
				t.Fatalf("Merge modified its input")
			}
		})
	}
}

func TestClip(t *testing.T) {
	w := iv(10, 20)
	tests := []struct {
		name string
		in   []Interval
		want []Interval
	}{
		{"inside", []Interval{iv(12, 13)}, []Interval{iv(12, 13)}},
		{"over both ends", []Interval{iv(0, 30)}, []Interval{iv(10, 20)}},
		{"over start", []Interval{iv(5, 12)}, []Interval{iv(10, 12)}},
		{"over end", []Interval{iv(18, 25)}, []Interval{iv(18, 20)}},
		{"before", []Interval{iv(0, 5)}, []Interval{}},
		{"touching start", []Interval{iv(5, 10)}, []Interval{}},
		{"touching end", []Interval{iv(20, 25)}, []Interval{}},
		// Clip keeps one entry per input interval, in input order.
		{"not merged", []Interval{iv(15, 19), iv(11, 16)}, []Interval{iv(15, 19), iv(11, 16)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Clip(tt.in, w); !sameIntervals(got, tt.want) {
				t.Fatalf("Clip = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestCovered(t *testing.T) {
	w := iv(0, 24)
	tests := []struct {
		name   string
		in     []Interval
		window Interval
		want   time.Duration
	}{
		{"nothing", nil, w, 0},
		{"one", []Interval{iv(1, 3)}, w, 2 * time.Hour},
		{"overlap counts once", []Interval{iv(1, 3), iv(2, 4)}, w, 3 * time.Hour},
		{"nested counts once", []Interval{iv(1, 10), iv(2, 3), iv(4, 5)}, w, 9 * time.Hour},
		{"adjacent", []Interval{iv(1, 2), iv(2, 3)}, w, 2 * time.Hour},
		{"clipped both sides", []Interval{iv(-5, 2), iv(23, 30)}, w, 3 * time.Hour},
		{"whole window", []Interval{iv(-100, 100)}, w, 24 * time.Hour},
		{"outside", []Interval{iv(30, 40)}, w, 0},
		{"empty window", []Interval{iv(0, 10)}, iv(5, 5), 0},
		{"reversed window", []Interval{iv(0, 10)}, iv(8, 2), 0},
		{"sub-second", []Interval{{h(1), h(1).Add(1500 * time.Millisecond)}}, w, 1500 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Covered(tt.in, tt.window); got != tt.want {
				t.Fatalf("Covered = %v, want %v", got, tt.want)
			}
		})
	}
}

// Interval math is on instants: a local calendar day that is 23 hours long
// (DST starts) covers 23 hours, and the same instants written in different
// zones give the same answer.
func TestCoveredIgnoresTimeZones(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	day := Interval{time.Date(2026, 3, 8, 0, 0, 0, 0, ny), time.Date(2026, 3, 9, 0, 0, 0, 0, ny)}
	outage := []Interval{{day.Start.Add(-time.Hour), day.End.Add(time.Hour)}}
	if got := Covered(outage, day); got != 23*time.Hour {
		t.Fatalf("DST day covered %v, want 23h", got)
	}
	// 01:30 to 03:30 local on that day is one hour of real time.
	gap := []Interval{{time.Date(2026, 3, 8, 1, 30, 0, 0, ny), time.Date(2026, 3, 8, 3, 30, 0, 0, ny)}}
	if got := Covered(gap, day); got != time.Hour {
		t.Fatalf("across the DST gap covered %v, want 1h", got)
	}
	tokyo := time.FixedZone("UTC+9", 9*3600)
	mixed := []Interval{
		{gap[0].Start.In(tokyo), gap[0].End.In(time.UTC)},
		{gap[0].Start.In(time.UTC), gap[0].End.In(tokyo)},
	}
	if got := Covered(mixed, Interval{day.Start.UTC(), day.End.In(tokyo)}); got != time.Hour {
		t.Fatalf("mixed zones covered %v, want 1h", got)
	}
	if got := Merge(mixed); len(got) != 1 {
		t.Fatalf("equal instants in different zones did not merge: %v", got)
	}
}
