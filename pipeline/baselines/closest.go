package baselines

import (
	"sort"
	"strings"
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
		cs[i] = cand{k, editDistance(strings.ToUpper(id), strings.ToUpper(k))}
	}
	sort.SliceStable(cs, func(i, j int) bool { return cs[i].dist < cs[j].dist })
	var out []string
	for i := 0; i < len(cs) && i < n; i++ {
		out = append(out, cs[i].id)
	}
	return out
}

// editDistance is the Levenshtein distance between a and b, in runes.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
