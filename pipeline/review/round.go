package review

import (
	"database/sql"

	"github.com/ledgerlens/ledgerlens/stats"
)

// Rounding of docs/RULES.md: money and durations 2 places, ratios and
// percentages 4.
func money(x float64) float64 { return stats.Round(x, 2) }
func ratio(x float64) float64 { return stats.Round(x, 4) }

func ratioPtr(x sql.NullFloat64) *float64 {
	if !x.Valid {
		return nil
	}
	v := ratio(x.Float64)
	return &v
}

func moneyPtr(x sql.NullFloat64) *float64 {
	if !x.Valid {
		return nil
	}
	v := money(x.Float64)
	return &v
}

func strPtr(x sql.NullString) *string {
	if !x.Valid {
		return nil
	}
	v := x.String
	return &v
}

// changePct is (cur − prev) / prev × 100, nil when prev is 0.
func changePct(cur, prev float64) *float64 {
	if prev == 0 {
		return nil
	}
	v := ratio((cur - prev) / prev * 100)
	return &v
}

func avg(total float64, n int64) float64 {
	if n == 0 {
		return 0
	}
	return total / float64(n)
}
