package stats

import (
	"math"
	"math/bits"
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
// nearest-rank quantiles at 0.1, 0.2, …, 0.9 in ascending order (the values
// Quantile gives on the sorted reference), with equal edges merged so that
// no bin is empty by construction. The outer bins are open, so the edges
// define len(edges)+1 bins. An empty reference gives no edges (one bin
// holding everything); a reference holding a NaN gives nine NaN edges, as
// Quantile would. reference is not modified and need not be sorted: the
// nine values are found by selection on a copy, not by sorting it.
func DecileEdges(reference []float64) []float64 {
	if len(reference) == 0 {
		return []float64{}
	}
	if slices.ContainsFunc(reference, math.IsNaN) {
		edges := make([]float64, 9)
		for i := range edges {
			edges[i] = math.NaN()
		}
		return edges
	}
	s := slices.Clone(reference)
	var ranks [9]int
	for i := range ranks {
		// float64(i+1)/10 is the double nearest to (i+1)/10, the same value
		// as the literal 0.i, so the ranks agree with DuckDB's quantile_disc.
		ranks[i] = nearestRank(float64(i+1)/10, len(s))
	}
	selectRanks(s, ranks[:], 2*bits.Len(uint(len(s))))
	edges := make([]float64, 0, 9)
	for _, r := range ranks {
		e := s[r]
		if len(edges) > 0 && edges[len(edges)-1] == e {
			continue
		}
		edges = append(edges, e)
	}
	return edges
}

// nearestRank is the 0-based index in n ascending values of their
// nearest-rank q-quantile: the first index i with i+1 ≥ q·n, the comparison
// made in float64 exactly as Quantile's (gonum's empirical quantile) makes it.
func nearestRank(q float64, n int) int {
	return max(int(math.Ceil(q*float64(n)))-1, 0)
}

// selectRanks reorders x so that x[r], for every r in ranks (ascending
// indices into x), holds the value a full ascending sort would put there
// (NaN-free input). It partitions around a median-of-three pivot into
// below, equal and above, and descends only into the parts holding a rank:
// linear time on average for a handful of ranks. After depth partitions
// without reaching the ranks it sorts what is left, so adversarial input
// costs at most a sort.
func selectRanks(x []float64, ranks []int, depth int) {
	selectIn(x, 0, ranks, depth)
}

// selectIn is selectRanks on part, which starts at index base of the whole
// slice the ranks index.
func selectIn(part []float64, base int, ranks []int, depth int) {
	for len(ranks) > 0 {
		if len(part) <= 16 || depth == 0 {
			slices.Sort(part)
			return
		}
		depth--
		a, b, c := part[0], part[len(part)/2], part[len(part)-1]
		pivot := max(min(a, b), min(max(a, b), c)) // median of three
		lt, gt := partition3(part, pivot)
		// Ranks below base+lt are in part[:lt]; those in [base+lt,
		// base+gt) hold the pivot, in place already.
		i := sort.SearchInts(ranks, base+lt)
		j := sort.SearchInts(ranks, base+gt)
		if i > 0 {
			selectIn(part[:lt], base, ranks[:i], depth)
		}
		part, base, ranks = part[gt:], base+gt, ranks[j:]
	}
}

// partition3 rearranges x into values below pivot, equal to it and above
// it, and returns where the equal ones begin and end. It makes two passes:
// the first moves every value, the second those not below the pivot, and
// each advances its boundary by the comparison's result rather than
// branching on it. Values in random order make a branch on each
// comparison mispredict about half the time: with the one-pass, branching
// partition, DecileEdges took about three times as long
// (BenchmarkDecileEdges).
func partition3(x []float64, pivot float64) (lt, gt int) {
	for i, v := range x { // below pivot to the front
		x[i] = x[lt]
		x[lt] = v
		lt += b2i(v < pivot)
	}
	gt = lt
	for i := lt; i < len(x); i++ { // then those equal to it
		v := x[i]
		x[i] = x[gt]
		x[gt] = v
		gt += b2i(!(v > pivot))
	}
	return lt, gt
}

// b2i is 1 for true and 0 for false; the compiler makes it a conditional
// move, not a branch.
func b2i(b bool) int {
	x := 0
	if b {
		x = 1
	}
	return x
}

// BinShares returns the share of values falling in each of the len(edges)+1
// bins defined by ascending edges. A value v belongs to bin #{e : e < v}, so
// the bins are (-∞,e1], (e1,e2], …, (ek,∞) and a value equal to an edge
// belongs to the bin that edge closes; a NaN value belongs to the last bin. A bin with no values gets
// PSIShareFloor instead of 0; other shares are left as they are, so the
// shares need not sum to exactly 1. With no values every bin gets the floor.
func BinShares(values, edges []float64) []float64 {
	counts := make([]int, len(edges)+1)
	for _, v := range values {
		// The number of edges strictly below v, counted over all of them
		// (at most nine) without a branch: twice as fast as a binary
		// search, whose branches values in random order mispredict. "Not
		// ≥" rather than "<" puts a NaN value in the last bin, as a binary
		// search for the first edge ≥ v would.
		n := 0
		for _, e := range edges {
			n += b2i(!(e >= v))
		}
		counts[n]++
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
