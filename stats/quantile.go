package stats

import (
	"math"
	"slices"

	"gonum.org/v1/gonum/stat"
)

// Quantile returns the nearest-rank q-quantile of sorted: the smallest value
// whose cumulative share of the data is ≥ q (DuckDB quantile_disc, gonum
// stat.Empirical). The median is Quantile(x, 0.5), the lower middle value for
// an even count; Quantile(x, 0) is the minimum and Quantile(x, 1) the maximum.
//
// It returns NaN when sorted is empty, when q is NaN or outside [0, 1], or
// when the data contain a NaN; it never panics. Callers are expected to pass
// ascending data (see Sorted); unsorted data are sorted on a copy rather than
// giving a wrong answer, at the cost of the copy.
func Quantile(sorted []float64, q float64) float64 {
	if len(sorted) == 0 || !(q >= 0 && q <= 1) {
		return math.NaN()
	}
	for _, v := range sorted {
		if math.IsNaN(v) {
			return math.NaN()
		}
	}
	if !slices.IsSorted(sorted) {
		sorted = Sorted(sorted)
	}
	// gonum compares the running count with q·n in float64. For the
	// quantiles ledgerlens uses (deciles, 0.25, 0.75, 0.95, 0.99) that product
	// rounds to the exact rank for every n up to at least 10^7, which the
	// tests check, so the result is the exact nearest rank.
	return stat.Quantile(q, stat.Empirical, sorted, nil)
}

// Sorted returns an ascending copy of x, leaving x untouched. NaNs sort first.
func Sorted(x []float64) []float64 {
	s := slices.Clone(x)
	slices.Sort(s)
	return s
}
