package stats

import (
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"testing"
)

func seq(from, to int) []float64 {
	x := make([]float64, 0, to-from+1)
	for i := from; i <= to; i++ {
		x = append(x, float64(i))
	}
	return x
}

func repeat(v float64, n int) []float64 {
	x := make([]float64, n)
	for i := range x {
		x[i] = v
	}
	return x
}

func TestDecileEdges(t *testing.T) {
	tests := []struct {
		name string
		ref  []float64
		want []float64
	}{
		{"empty", nil, []float64{}},
		{"1..100", seq(1, 100), []float64{10, 20, 30, 40, 50, 60, 70, 80, 90}},
		// Order of the reference does not matter.
		{"100..1", reversed(seq(1, 100)), []float64{10, 20, 30, 40, 50, 60, 70, 80, 90}},
		// 1..15: ranks ⌈1.5⌉=2, ⌈3⌉=3, ⌈4.5⌉=5, 6, ⌈7.5⌉=8, 9, ⌈10.5⌉=11, 12, ⌈13.5⌉=14.
		{"1..15", seq(1, 15), []float64{2, 3, 5, 6, 8, 9, 11, 12, 14}},
		// 20 ones then 10 twos: deciles 0.1–0.6 are 1, 0.7–0.9 are 2.
		{"ties merged", append(repeat(1, 20), repeat(2, 10)...), []float64{1, 2}},
		{"constant", repeat(4, 40), []float64{4}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := DecileEdges(tt.ref); !slices.Equal(got, tt.want) {
				t.Fatalf("DecileEdges = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestDecileEdgesIsQuantileOfSorted checks the selection against the
// definition: Quantile at 0.1…0.9 of the sorted reference, equal edges
// merged, on inputs chosen to stress a partition (ties, runs, sorted and
// reversed data, every small size) and on a reference holding a NaN. The
// reference must come back unmodified.
func TestDecileEdgesIsQuantileOfSorted(t *testing.T) {
	want := func(ref []float64) []float64 {
		s := Sorted(ref)
		var edges []float64
		for i := 1; i <= 9; i++ {
			e := Quantile(s, float64(i)/10)
			if len(edges) > 0 && (edges[len(edges)-1] == e) {
				continue
			}
			edges = append(edges, e)
		}
		return edges
	}
	rng := rand.New(rand.NewPCG(1, 2))
	var refs [][]float64
	for n := 1; n <= 300; n++ {
		refs = append(refs, randomValues(rng, n, 1000), randomValues(rng, n, 3))
	}
	for _, n := range []int{1_000, 4_097, 100_000} {
		sorted := Sorted(randomValues(rng, n, 1<<30))
		refs = append(refs, randomValues(rng, n, 1<<30), randomValues(rng, n, 7), sorted, reversed(slices.Clone(sorted)),
			append(repeat(5, n/2), randomValues(rng, n/2, 10)...))
	}
	for _, ref := range refs {
		orig := slices.Clone(ref)
		got := DecileEdges(ref)
		if w := want(ref); !slices.Equal(got, w) {
			t.Fatalf("n=%d: DecileEdges = %v, want %v", len(ref), got, w)
		}
		if !slices.Equal(ref, orig) {
			t.Fatalf("n=%d: DecileEdges modified its input", len(ref))
		}
	}
	withNaN := []float64{3, math.NaN(), 1, 2}
	got := DecileEdges(withNaN)
	if len(got) != 9 || !math.IsNaN(got[0]) || !math.IsNaN(got[8]) {
		t.Fatalf("DecileEdges with a NaN = %v, want nine NaNs (as Quantile gives)", got)
	}
}

// randomValues returns n values drawn from k distinct ones (ties when k is
// small), with a few negatives and fractions.
func randomValues(rng *rand.Rand, n int, k int) []float64 {
	x := make([]float64, n)
	for i := range x {
		x[i] = float64(rng.IntN(k)-k/10) / 4
	}
	return x
}

func reversed(x []float64) []float64 {
	slices.Reverse(x)
	return x
}

func TestBinShares(t *testing.T) {
	f := PSIShareFloor
	tests := []struct {
		name   string
		values []float64
		edges  []float64
		want   []float64
	}{
		// A value equal to an edge belongs to the bin the edge closes.
		{"edge goes left", []float64{1, 2, 2.5}, []float64{1, 2}, []float64{1.0 / 3, 1.0 / 3, 1.0 / 3}},
		{"below and above all edges", []float64{-5, 100}, []float64{1, 2}, []float64{0.5, f, 0.5}},
		{"empty bins floored", []float64{1.5, 1.5, 1.5, 1.5}, []float64{1, 2, 3}, []float64{f, 1, f, f}},
		{"no edges", []float64{1, 2, 3}, []float64{}, []float64{1}},
		{"no values", nil, []float64{1}, []float64{f, f}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := BinShares(tt.values, tt.edges); !slices.Equal(got, tt.want) {
				t.Fatalf("BinShares(%v, %v) = %v, want %v", tt.values, tt.edges, got, tt.want)
			}
		})
	}
}

// TestBinSharesIsBinarySearch checks the counting BinShares does against
// the definition it replaced: a value's bin is where a binary search for
// the first edge ≥ it lands (sort.SearchFloat64s), NaN and infinite values
// and NaN edges included.
func TestBinSharesIsBinarySearch(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, n := range []int{1, 7, 100, 4_097, 100_000} {
		for _, k := range []int{2, 10, 1 << 30} {
			values := append(randomValues(rng, n, k), math.NaN(), math.Inf(1), math.Inf(-1))
			for _, edges := range [][]float64{DecileEdges(values[:n]), {}, {0}, {math.NaN(), math.NaN()}, {math.Inf(-1), math.Inf(1)}} {
				counts := make([]int, len(edges)+1)
				for _, v := range values {
					counts[sort.SearchFloat64s(edges, v)]++
				}
				got := BinShares(values, edges)
				for i, c := range counts {
					want := PSIShareFloor
					if c > 0 {
						want = float64(c) / float64(len(values))
					}
					if got[i] != want {
						t.Fatalf("n=%d k=%d edges %v: BinShares = %v, want counts %v", n, k, edges, got, counts)
					}
				}
			}
		}
	}
}

func TestPSI(t *testing.T) {
	ln := math.Log
	f := PSIShareFloor
	tests := []struct {
		name    string
		ref     []float64
		cur     []float64
		wantOK  bool
		want    float64
		literal float64 // the hand-computed value to 4 decimals
	}{
		{"identical", seq(1, 100), seq(1, 100), true, 0, 0},
		{"same shape, shuffled", seq(1, 100), reversed(seq(1, 100)), true, 0, 0},
		// Reference deciles 10,20,…,90 → every reference bin holds 0.1.
		// Current all 5 → bin 0 holds 1, the 9 others are floored.
		{"all mass in one bin", seq(1, 100), repeat(5, 50), true,
			(1-0.1)*ln(1/0.1) + 9*(f-0.1)*ln(f/0.1), 8.2831},
		// Current 11..110: bin 0 empty (floored), bins 1–8 hold 0.1, the
		// open top bin holds 91..110 = 0.2.
		{"shift by one decile", seq(1, 100), seq(11, 110), true,
			(f-0.1)*ln(f/0.1) + (0.2-0.1)*ln(0.2/0.1), 0.7594},
		// Edges merge to [1, 2]: reference shares 2/3, 1/3 and an empty
		// top bin; current spreads evenly over the three bins.
		{"ties at decile edges", append(repeat(1, 20), repeat(2, 10)...),
			append(append(repeat(1, 10), repeat(2, 10)...), repeat(3, 10)...), true,
			(1.0/3-2.0/3)*ln((1.0/3)/(2.0/3)) + 0 + (1.0/3-f)*ln((1.0/3)/f), 2.9341},
		{"reference too small", seq(1, 29), seq(1, 100), false, 0, 0},
		{"current too small", seq(1, 100), seq(1, 29), false, 0, 0},
		{"exactly 30 each", seq(1, 30), seq(1, 30), true, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := PSI(tt.ref, tt.cur)
			if ok != tt.wantOK {
				t.Fatalf("PSI ok = %v, want %v", ok, tt.wantOK)
			}
			if math.Abs(got-tt.want) > 1e-12 {
				t.Fatalf("PSI = %.12f, want %.12f", got, tt.want)
			}
			if Round(got, 4) != tt.literal {
				t.Fatalf("PSI rounded = %v, hand-computed %v", Round(got, 4), tt.literal)
			}
		})
	}
}

func TestPSIFromShares(t *testing.T) {
	if got := PSIFromShares([]float64{0.5, 0.5}, []float64{0.5, 0.5}); got != 0 {
		t.Fatalf("equal shares: PSI = %v, want 0", got)
	}
	// A zero share is floored like an empty bin rather than giving ±Inf.
	want := (PSIShareFloor-0.5)*math.Log(PSIShareFloor/0.5) + (1-0.5)*math.Log(1/0.5)
	if got := PSIFromShares([]float64{0.5, 0.5}, []float64{0, 1}); math.Abs(got-want) > 1e-12 {
		t.Fatalf("zero share: PSI = %v, want %v", got, want)
	}
	if got := PSIFromShares([]float64{1}, []float64{0.5, 0.5}); !math.IsNaN(got) {
		t.Fatalf("length mismatch: PSI = %v, want NaN", got)
	}
}

func TestMixPSI(t *testing.T) {
	ln := math.Log
	f := PSIShareFloor
	tests := []struct {
		name     string
		ref, cur map[string]int64
		wantOK   bool
		want     float64
	}{
		{"same mix", map[string]int64{"a": 30, "b": 70}, map[string]int64{"a": 60, "b": 140}, true, 0},
		// c is new: its reference share is floored.
		{"new scenario", map[string]int64{"a": 50, "b": 50}, map[string]int64{"a": 25, "b": 25, "c": 50}, true,
			2*(0.25-0.5)*ln(0.25/0.5) + (0.5-f)*ln(0.5/f)},
		// A zero count is the same as an absent key.
		{"zero count", map[string]int64{"a": 50, "b": 50, "c": 0}, map[string]int64{"a": 25, "b": 25, "c": 50}, true,
			2*(0.25-0.5)*ln(0.25/0.5) + (0.5-f)*ln(0.5/f)},
		{"reference total too small", map[string]int64{"a": 29}, map[string]int64{"a": 100}, false, 0},
		{"current total too small", map[string]int64{"a": 100}, map[string]int64{"a": 10, "b": 19}, false, 0},
		{"empty", nil, nil, false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := MixPSI(tt.ref, tt.cur)
			if ok != tt.wantOK || math.Abs(got-tt.want) > 1e-12 {
				t.Fatalf("MixPSI = %v, %v; want %v, %v", got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

// The mix PSI must not depend on map iteration order: with many keys and
// non-integer shares, a different summation order would change low bits.
func TestMixPSIDeterministic(t *testing.T) {
	ref, cur := map[string]int64{}, map[string]int64{}
	rng := rand.New(rand.NewPCG(5, 6))
	for i := range 200 {
		k := string(rune('A'+i%26)) + string(rune('a'+i/26))
		ref[k] = 1 + rng.Int64N(1000)
		cur[k] = 1 + rng.Int64N(1000)
	}
	first, _ := MixPSI(ref, cur)
	for range 20 {
		if got, _ := MixPSI(ref, cur); got != first {
			t.Fatalf("MixPSI varies between calls: %v vs %v", got, first)
		}
	}
}

func TestDriftStatus(t *testing.T) {
	tests := []struct {
		psi  float64
		ok   bool
		want string
	}{
		{0, false, DriftInsufficientData},
		{5, false, DriftInsufficientData},
		{math.NaN(), true, DriftInsufficientData},
		{0, true, DriftStable},
		{0.0999, true, DriftStable},
		{0.1, true, DriftModerate},
		{0.1999, true, DriftModerate},
		{0.2, true, DriftSignificant},
		{8, true, DriftSignificant},
	}
	for _, tt := range tests {
		if got := DriftStatus(tt.psi, tt.ok); got != tt.want {
			t.Errorf("DriftStatus(%v, %v) = %q, want %q", tt.psi, tt.ok, got, tt.want)
		}
	}
}

func BenchmarkPSI10kVs40k(b *testing.B) {
	rng := rand.New(rand.NewPCG(7, 8))
	ref := make([]float64, 10_000)
	for i := range ref {
		ref[i] = rng.ExpFloat64() * 1000
	}
	cur := make([]float64, 40_000)
	for i := range cur {
		cur[i] = rng.ExpFloat64() * 1100
	}
	b.ReportAllocs()
	for b.Loop() {
		PSI(ref, cur)
	}
}

// BenchmarkPSI is one scenario's drift at the 1M fixture's scale: a
// 28-day reference of 8,000 runs against a week of 2,000 (the weekly
// review computes one per scenario).
func BenchmarkPSI(b *testing.B) {
	rng := rand.New(rand.NewPCG(3, 4))
	ref, cur := randomValues(rng, 8_000, 50_000), randomValues(rng, 2_000, 50_000)
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := PSI(ref, cur); !ok {
			b.Fatal("no PSI")
		}
	}
}

// BenchmarkDecileEdges and BenchmarkBinShares are PSI's two passes over
// a reference of a million values drawn from 50,000 distinct ones.
func BenchmarkDecileEdges(b *testing.B) {
	ref := randomValues(rand.New(rand.NewPCG(3, 4)), 1_000_000, 50_000)
	b.ReportAllocs()
	for b.Loop() {
		DecileEdges(ref)
	}
}

func BenchmarkBinShares(b *testing.B) {
	ref := randomValues(rand.New(rand.NewPCG(3, 4)), 1_000_000, 50_000)
	edges := DecileEdges(ref)
	b.ReportAllocs()
	for b.Loop() {
		BinShares(ref, edges)
	}
}
