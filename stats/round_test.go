package stats

import (
	"math"
	"math/rand/v2"
	"strconv"
	"testing"
)

func TestRound(t *testing.T) {
	tests := []struct {
		x      float64
		places int
		want   float64
	}{
		{2.5, 0, 3},
		{-2.5, 0, -3},
		{0.5, 0, 1},
		{1.5, 0, 2}, // away from zero, not to even
		{0.125, 2, 0.13},
		{-0.125, 2, -0.13},
		{2.345, 2, 2.35},
		{0.0045, 3, 0.005}, // the scaled product lands on the tie
		{1.005, 2, 1},      // 100.49999999999999: below the tie
		{123.456, 2, 123.46},
		{123.454, 2, 123.45},
		{1.23456789, 4, 1.2346},
		{8.28308935, 4, 8.2831},
		{99.99999, 2, 100},
		{7, 2, 7},
		{125, -1, 130},
		{-125, -1, -130},
		{124.9, -1, 120},
		{1e20, 2, 1e20},
		{1e300, 10, 1e300}, // scaled value overflows: returned as is
		{5e-324, 2, 0},
	}
	for _, tt := range tests {
		got := Round(tt.x, tt.places)
		if got != tt.want {
			t.Errorf("Round(%v, %d) = %v, want %v", tt.x, tt.places, got, tt.want)
		}
	}
}

func TestRoundSpecialValues(t *testing.T) {
	if got := Round(math.NaN(), 2); !math.IsNaN(got) {
		t.Errorf("Round(NaN) = %v", got)
	}
	if got := Round(math.Inf(1), 2); !math.IsInf(got, 1) {
		t.Errorf("Round(+Inf) = %v", got)
	}
	if got := Round(math.Inf(-1), 2); !math.IsInf(got, -1) {
		t.Errorf("Round(-Inf) = %v", got)
	}
	// Results that are zero must print as "0", never "-0".
	for _, x := range []float64{-0.001, -0.4, math.Copysign(0, -1), -1e-300} {
		for _, places := range []int{0, 2, 4} {
			if math.Abs(x) >= 0.5*math.Pow10(-places) {
				continue // not a zero result
			}
			got := Round(x, places)
			if got != 0 || math.Signbit(got) {
				t.Errorf("Round(%v, %d) = %v (signbit %v), want +0", x, places, got, math.Signbit(got))
			}
			if s := strconv.FormatFloat(got, 'f', -1, 64); s != "0" {
				t.Errorf("Round(%v, %d) prints as %q", x, places, s)
			}
		}
	}
}

// The rounded value prints with no more than the requested decimals, for
// values of every magnitude the report carries.
func TestRoundPrintsShort(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for range 100_000 {
		x := (rng.Float64() - 0.2) * math.Pow10(rng.IntN(9))
		places := rng.IntN(5)
		s := strconv.FormatFloat(Round(x, places), 'f', -1, 64)
		frac := 0
		for i := len(s) - 1; i >= 0 && s[i] != '.'; i-- {
			frac++
		}
		if !containsDot(s) {
			frac = 0
		}
		if frac > places {
			t.Fatalf("Round(%v, %d) = %s: too many decimals", x, places, s)
		}
		// And it is within half a unit of the last place.
		if d := math.Abs(Round(x, places) - x); d > 0.5*math.Pow10(-places)*(1+1e-9) {
			t.Fatalf("Round(%v, %d) is %v away", x, places, d)
		}
	}
}

func containsDot(s string) bool {
	for i := range len(s) {
		if s[i] == '.' {
			return true
		}
	}
	return false
}
