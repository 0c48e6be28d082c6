package stats

import (
	"math"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/stat"
)

// Description summarises one distribution the way the report's scenario rows
// need it. Median and P95 are nearest-rank (see Quantile); CV is the
// population coefficient of variation (see CV).
type Description struct {
	N      int
	Sum    float64
	Mean   float64
	Median float64
	P95    float64
	Max    float64
	CV     float64
}

// Describe summarises x, which need not be sorted: it sorts a copy. The sum,
// mean and standard deviation are computed over the sorted copy so that the
// result does not depend on the order in which the caller collected the
// values (floating-point addition is not associative).
//
// An empty x gives the zero Description (N == 0 and every figure 0) rather
// than NaNs, so that a caller cannot leak a NaN into JSON by accident.
func Describe(x []float64) Description {
	if len(x) == 0 {
		return Description{}
	}
	s := Sorted(x)
	sum := floats.Sum(s)
	return Description{
		N:      len(s),
		Sum:    sum,
		Mean:   sum / float64(len(s)),
		Median: Quantile(s, 0.5),
		P95:    Quantile(s, 0.95),
		Max:    s[len(s)-1],
		CV:     CV(s),
	}
}

// CV returns the coefficient of variation of x: population standard
// deviation divided by the mean. It is 0 for empty input and when the mean is
// 0 (a scenario that spent nothing does not vary).
func CV(x []float64) float64 {
	if len(x) == 0 {
		return 0
	}
	mean, variance := stat.PopMeanVariance(x, nil)
	if mean == 0 {
		return 0
	}
	// The two-pass algorithm can leave a tiny negative variance for
	// constant data; that is zero, not NaN.
	if variance < 0 {
		variance = 0
	}
	return math.Sqrt(variance) / mean
}
