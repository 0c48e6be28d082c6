package stats

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestDescribe(t *testing.T) {
	tests := []struct {
		name string
		x    []float64
		want Description
	}{
		{"empty", nil, Description{}},
		{"single", []float64{3}, Description{N: 1, Sum: 3, Mean: 3, Median: 3, P95: 3, Max: 3, CV: 0}},
		// Mean 5, population variance 4 → σ 2 → CV 0.4; median is the
		// lower middle (rank 4 of 8), p95 is rank ⌈7.6⌉ = 8.
		{"textbook", []float64{9, 4, 2, 4, 5, 4, 7, 5},
			Description{N: 8, Sum: 40, Mean: 5, Median: 4, P95: 9, Max: 9, CV: 0.4}},
		{"all zero", []float64{0, 0, 0}, Description{N: 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Describe(tt.x)
			if got.N != tt.want.N || got.Sum != tt.want.Sum || got.Mean != tt.want.Mean ||
				got.Median != tt.want.Median || got.P95 != tt.want.P95 || got.Max != tt.want.Max ||
				math.Abs(got.CV-tt.want.CV) > 1e-12 {
				t.Fatalf("Describe(%v) = %+v, want %+v", tt.x, got, tt.want)
			}
		})
	}
}

func TestDescribeIsOrderIndependent(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	x := make([]float64, 5000)
	for i := range x {
		x[i] = rng.ExpFloat64() * 123.456
	}
	want := Describe(x)
	for range 5 {
		rng.Shuffle(len(x), func(i, j int) { x[i], x[j] = x[j], x[i] })
		if got := Describe(x); got != want {
			t.Fatalf("Describe depends on input order: %+v vs %+v", got, want)
		}
	}
}

func TestCV(t *testing.T) {
	tests := []struct {
		name string
		x    []float64
		want float64
	}{
		{"empty", nil, 0},
		{"single", []float64{5}, 0},
		{"mean zero", []float64{-1, 1}, 0},
		{"two values", []float64{1, 3}, 0.5}, // mean 2, σ 1
		{"textbook", []float64{2, 4, 4, 4, 5, 5, 7, 9}, 0.4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := CV(tt.x); math.Abs(got-tt.want) > 1e-12 {
				t.Fatalf("CV(%v) = %v, want %v", tt.x, got, tt.want)
			}
		})
	}
}

// Constant data whose mean is not exactly representable must give a CV of
// (nearly) zero, never NaN from a rounding-negative variance.
func TestCVConstantNeverNaN(t *testing.T) {
	for _, v := range []float64{0.1, 0.3, 1.0 / 3, 1e-9, 123456.789} {
		for n := 1; n <= 50; n++ {
			x := make([]float64, n)
			for i := range x {
				x[i] = v
			}
			got := CV(x)
			if math.IsNaN(got) || got > 1e-12 {
				t.Fatalf("CV of %d × %v = %v, want ≈ 0", n, v, got)
			}
		}
	}
}

func BenchmarkDescribe100k(b *testing.B) {
	rng := rand.New(rand.NewPCG(3, 4))
	x := make([]float64, 100_000)
	for i := range x {
		x[i] = rng.ExpFloat64() * 1000
	}
	b.ReportAllocs()
	for b.Loop() {
		Describe(x)
	}
}
