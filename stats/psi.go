package stats

import (
	"math"
	"slices"
	"sort"
)

// PSI parameters fixed by docs/RULES.md.
const (
	// PSIShareFloor replaces an empty bin's share so ln(cur/ref) stays finite.
	PSIShareFloor = 0.0001
	// PSIMinSamples is the fewest values either side needs for a PSI.
	PSIMinSamples = 30
	// PSIModerate is the PSI from which a distribution counts as moderately
	// shifted; below it, it is stable.
	PSIModerate = 0.1
	// PSISignificant is the PSI from which a shift is significant (an alert
	// and a policy violation).
	PSISignificant = 0.2
)

// Drift statuses, as reported in the drift section.
const (
	DriftInsufficientData = "insufficient_data"
	DriftStable           = "stable"
	DriftModerate         = "moderate"
	DriftSignificant      = "significant"
)

// DecileEdges returns the bin edges for a PSI against reference: the
// nearest-rank quantiles at 0.1, 0.2, …, 0.9 in ascending order, with equal
// edges merged so that no bin is empty by construction. The outer bins are
// open, so the edges define len(edges)+1 bins. An empty reference gives no
// edges (one bin holding everything).
func DecileEdges(reference []float64) []float64 {
	if len(reference) == 0 {
		return []float64{}
	}
	s := Sorted(reference)
	edges := make([]float64, 0, 9)
	for i := 1; i <= 9; i++ {
		// float64(i)/10 is the double nearest to i/10, the same value as the
		// literal 0.i, so the ranks agree with DuckDB's quantile_disc.
		e := Quantile(s, float64(i)/10)
		if len(edges) > 0 && edges[len(edges)-1] == e {
			continue
		}
		edges = append(edges, e)
	}
	return edges
}

// BinShares returns the share of values falling in each of the len(edges)+1
// bins defined by ascending edges. A value v belongs to bin #{e : e < v}, so
// the bins are (-∞,e1], (e1,e2], …, (ek,∞) and a value equal to an edge
// belongs to the bin that edge closes. A bin with no values gets
// PSIShareFloor instead of 0; other shares are left as they are, so the
// shares need not sum to exactly 1. With no values every bin gets the floor.
func BinShares(values, edges []float64) []float64 {
	counts := make([]int, len(edges)+1)
	for _, v := range values {
		// SearchFloat64s returns the first index whose edge is ≥ v, which
		// is the number of edges strictly below v.
		counts[sort.SearchFloat64s(edges, v)]++
	}
	shares := make([]float64, len(counts))
	for i, c := range counts {
		if c == 0 {
			shares[i] = PSIShareFloor
			continue
		}
		shares[i] = float64(c) / float64(len(values))
	}
	return shares
}

// PSIFromShares returns Σ (cur−ref)·ln(cur/ref) over paired bin shares. A
// share ≤ 0 is treated as PSIShareFloor, like an empty bin. It returns NaN
// when the two slices differ in length, since the bins would not correspond.
func PSIFromShares(ref, cur []float64) float64 {
	if len(ref) != len(cur) {
		return math.NaN()
	}
	psi := 0.0
	for i := range ref {
		r, c := floorShare(ref[i]), floorShare(cur[i])
		psi += (c - r) * math.Log(c/r)
	}
	return psi
}

// PSI returns the Population Stability Index of current against reference
// with 10 bins at the reference deciles (see DecileEdges and BinShares).
// ok is false, and psi 0, when either side has fewer than PSIMinSamples
// values: too few runs to say anything about their distribution.
func PSI(reference, current []float64) (psi float64, ok bool) {
	if len(reference) < PSIMinSamples || len(current) < PSIMinSamples {
		return 0, false
	}
	edges := DecileEdges(reference)
	return PSIFromShares(BinShares(reference, edges), BinShares(current, edges)), true
}

// MixPSI returns the PSI of the scenario mix: each key's share of the total
// count on either side, over the union of keys, with a missing or zero count
// floored at PSIShareFloor. Keys are visited in sorted order so that the sum
// is the same on every run. Negative counts are treated as 0. ok is false,
// and psi 0, when either total is below PSIMinSamples.
func MixPSI(ref, cur map[string]int64) (float64, bool) {
	refTotal, curTotal := total(ref), total(cur)
	if refTotal < PSIMinSamples || curTotal < PSIMinSamples {
		return 0, false
	}
	keys := make([]string, 0, len(ref)+len(cur))
	for k := range ref {
		keys = append(keys, k)
	}
	for k := range cur {
		if _, seen := ref[k]; !seen {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	refShares := make([]float64, len(keys))
	curShares := make([]float64, len(keys))
	for i, k := range keys {
		refShares[i] = float64(max(ref[k], 0)) / float64(refTotal)
		curShares[i] = float64(max(cur[k], 0)) / float64(curTotal)
	}
	return PSIFromShares(refShares, curShares), true
}

// DriftStatus classifies a PSI: insufficient_data when ok is false (or psi
// is NaN), stable below PSIModerate, moderate below PSISignificant,
// significant from PSISignificant up. Callers that publish a rounded PSI
// should classify the same value they publish.
func DriftStatus(psi float64, ok bool) string {
	switch {
	case !ok || math.IsNaN(psi):
		return DriftInsufficientData
	case psi < PSIModerate:
		return DriftStable
	case psi < PSISignificant:
		return DriftModerate
	default:
		return DriftSignificant
	}
}

func floorShare(s float64) float64 {
	if s <= 0 || math.IsNaN(s) {
		return PSIShareFloor
	}
	return s
}

func total(m map[string]int64) int64 {
	var t int64
	for _, v := range m {
		t += max(v, 0)
	}
	return t
}
