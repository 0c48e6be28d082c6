package baselines

import (
	"sort"
	"strings"

	"github.com/agnivade/levenshtein"
)

// closest returns up to n of known, nearest to id first by edit distance
// (ignoring letter case), ties in known's order.
func closest(id string, known []string, n int) []string {
	type cand struct {
		id   string
		dist int
	}
	cs := make([]cand, len(known))
	for i, k := range known {
		cs[i] = cand{k, levenshtein.ComputeDistance(strings.ToUpper(id), strings.ToUpper(k))}
	}
	sort.SliceStable(cs, func(i, j int) bool { return cs[i].dist < cs[j].dist })
	var out []string
	for i := 0; i < len(cs) && i < n; i++ {
		out = append(out, cs[i].id)
	}
	return out
}
