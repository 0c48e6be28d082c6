package stats

import "math"

// Round returns x rounded to places decimal places, halves away from zero,
// computed as math.Round(x·10^places) / 10^places (for negative places,
// math.Round(x / 10^−places) · 10^−places).
//
// That is exactly DuckDB's round(DOUBLE, INTEGER), so a figure in the report
// can be re-performed with `ledgerlens query`. It also rounds the way a
// reader of the JSON expects: 0.0045 rounds to 0.005 at 3 places even though
// the float64 nearest to 0.0045 lies a hair below it, because the scaled
// product lands on the tie. NaN and ±Inf are returned unchanged, as is x when
// the scaled value would overflow; a zero result is always +0 so that JSON
// never shows "-0".
func Round(x float64, places int) float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return x
	}
	var r float64
	if places >= 0 {
		m := math.Pow10(places)
		y := x * m
		if math.IsInf(y, 0) || math.IsInf(m, 0) {
			return x + 0
		}
		r = math.Round(y) / m
	} else {
		m := math.Pow10(-places)
		r = math.Round(x/m) * m
		if math.IsInf(r, 0) || math.IsNaN(r) {
			return x + 0
		}
	}
	return r + 0 // -0 + 0 is +0
}
