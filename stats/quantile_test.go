package stats

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestQuantile(t *testing.T) {
	oneToTen := []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	oneToTwenty := make([]float64, 20)
	for i := range oneToTwenty {
		oneToTwenty[i] = float64(i + 1)
	}
	tests := []struct {
		name string
		x    []float64
		q    float64
		want float64 // NaN means "want NaN"
	}{
		{"empty", nil, 0.5, math.NaN()},
		{"empty non-nil", []float64{}, 0.95, math.NaN()},
		{"q below 0", oneToTen, -0.1, math.NaN()},
		{"q above 1", oneToTen, 1.01, math.NaN()},
		{"q NaN", oneToTen, math.NaN(), math.NaN()},
		{"NaN in data", []float64{1, math.NaN(), 3}, 0.5, math.NaN()},
		{"single", []float64{7}, 0.5, 7},
		{"single q0", []float64{7}, 0, 7},
		{"single q1", []float64{7}, 1, 7},
		{"q0 is min", oneToTen, 0, 1},
		{"q1 is max", oneToTen, 1, 10},
		// Median of an even count is the lower middle: 2/4 ≥ 0.5.
		{"median even", []float64{1, 2, 3, 4}, 0.5, 2},
		{"median odd", []float64{1, 2, 3, 4, 5}, 0.5, 3},
		{"q0.25 of 4", []float64{1, 2, 3, 4}, 0.25, 1},
		{"q0.75 of 4", []float64{1, 2, 3, 4}, 0.75, 3},
		{"p95 of 4", []float64{1, 2, 3, 4}, 0.95, 4},
		{"q0.1 of 10", oneToTen, 0.1, 1},
		{"q0.9 of 10", oneToTen, 0.9, 9},
		// 9.5 runs → rank 10.
		{"p95 of 10", oneToTen, 0.95, 10},
		// 0.95·20 = 19 exactly → rank 19, not 20.
		{"p95 of 20", oneToTwenty, 0.95, 19},
		{"median of 20", oneToTwenty, 0.5, 10},
		// 3 of 4 values are 1: the 0.75 share is reached at 1.
		{"ties", []float64{1, 1, 1, 5}, 0.75, 1},
		{"ties above", []float64{1, 1, 1, 5}, 0.76, 5},
		{"negative and zero", []float64{-3, -1, 0, 2}, 0.5, -1},
		{"unsorted is sorted on a copy", []float64{4, 1, 3, 2}, 0.5, 2},
		{"infinities", []float64{math.Inf(-1), 0, math.Inf(1)}, 1, math.Inf(1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := slices.Clone(tt.x)
			got := Quantile(tt.x, tt.q)
			if math.IsNaN(tt.want) {
				if !math.IsNaN(got) {
					t.Fatalf("Quantile(%v, %v) = %v, want NaN", tt.x, tt.q, got)
				}
			} else if got != tt.want {
				t.Fatalf("Quantile(%v, %v) = %v, want %v", tt.x, tt.q, got, tt.want)
			}
			if !slices.Equal(before, tt.x) && !hasNaN(before) {
				t.Fatalf("Quantile modified its input: %v → %v", before, tt.x)
			}
		})
	}
}

func hasNaN(x []float64) bool { return slices.ContainsFunc(x, math.IsNaN) }

// naiveQuantile is nearest rank from the definition, in exact integer
// arithmetic: q is given in thousandths, rank = ⌈q·n⌉ (at least 1).
func naiveQuantile(sorted []float64, permille int) float64 {
	n := len(sorted)
	rank := (permille*n + 999) / 1000
	rank = max(rank, 1)
	return sorted[rank-1]
}

var testPermilles = []int{0, 10, 100, 200, 250, 300, 400, 500, 600, 700, 750, 800, 900, 950, 990, 1000}

func TestQuantileMatchesNaiveNearestRank(t *testing.T) {
	rng := rand.New(rand.NewPCG(20260105, 1))
	sizes := []int{1, 2, 3, 7, 10, 19, 20, 21, 29, 30, 31, 99, 100, 101, 997, 1000, 4096}
	for range 200 {
		sizes = append(sizes, 1+rng.IntN(3000))
	}
	for _, n := range sizes {
		x := make([]float64, n)
		for i := range x {
			switch rng.IntN(3) {
			case 0: // heavy ties
				x[i] = float64(rng.IntN(5))
			case 1:
				x[i] = rng.ExpFloat64() * 1000
			default:
				x[i] = rng.NormFloat64()
			}
		}
		s := Sorted(x)
		for _, pm := range testPermilles {
			q := float64(pm) / 1000
			if got, want := Quantile(s, q), naiveQuantile(s, pm); got != want {
				t.Fatalf("n=%d q=%v: Quantile = %v, naive nearest rank = %v", n, q, got, want)
			}
		}
	}
}

// TestQuantileRankArithmetic checks the claim in Quantile's comment: gonum
// picks the first rank r with float64(r) ≥ q·n, and for the quantiles
// ledgerlens uses that is ⌈q·n⌉ in exact arithmetic for every n ≤ 10^7.
func TestQuantileRankArithmetic(t *testing.T) {
	limit := 10_000_000
	if testing.Short() {
		limit = 100_000
	}
	for _, pm := range testPermilles {
		q := float64(pm) / 1000
		for n := 1; n <= limit; n++ {
			exact := max((pm*n+999)/1000, 1)
			gonum := max(int(math.Ceil(q*float64(n))), 1)
			if exact != gonum {
				t.Fatalf("q=%v n=%d: float rank %d, exact rank %d", q, n, gonum, exact)
			}
		}
	}
}

func TestSorted(t *testing.T) {
	x := []float64{3, 1, 2}
	s := Sorted(x)
	if !slices.Equal(s, []float64{1, 2, 3}) {
		t.Fatalf("Sorted = %v", s)
	}
	if !slices.Equal(x, []float64{3, 1, 2}) {
		t.Fatalf("Sorted modified its input: %v", x)
	}
	if got := Sorted(nil); len(got) != 0 {
		t.Fatalf("Sorted(nil) = %v", got)
	}
}
