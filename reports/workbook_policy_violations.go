package reports

import (
	"fmt"
	"sort"
	"strings"
)

// policyViolationsBlocks lays out the Policy violations sheet
// (policy_violations).
func (b *workbookBuilder) policyViolationsBlocks() []*sheetBlock {
	vs := b.w.PolicyViolations
	// A violation naming a spike run links to that run's artifacts, like the
	// Spike runs sheet does; the link is looked up, not derived.
	var links map[string]*string
	for _, v := range vs {
		if v.RunID != nil {
			links = make(map[string]*string)
			for i := range b.w.SpikeRuns {
				s := &b.w.SpikeRuns[i]
				if s.ArtifactsLink != nil {
					if _, dup := links[s.RunID]; !dup {
						links[s.RunID] = s.ArtifactsLink
					}
				}
			}
			break
		}
	}
	z := " (" + b.zoneName() + ")"
	c := headers("Type", "Severity", "Run ID", "Case ID", "Scenario ID", "Detail", "SLA clock", "Clock start"+z, "Deadline"+z)
	c[1].colour = colourSeverity
	return []*sheetBlock{{
		name: "policy_violations", cols: c, n: len(vs),
		empty:  "No policy violations in this period.",
		freeze: true, filter: true,
		row: func(i int, r *rowBuf) {
			v := &vs[i]
			r.text(v.Type)
			r.text(v.Severity)
			if v.RunID != nil {
				r.link(*v.RunID, links[*v.RunID])
			} else {
				r.empty()
			}
			r.optText(v.CaseID)
			r.optText(v.ScenarioID)
			r.text(v.Detail)
			if v.Clock != nil {
				r.text(v.Clock.Name)
				r.time(v.Clock.Start)
				r.time(v.Clock.Deadline)
			} else {
				r.empty()
				r.empty()
				r.empty()
			}
		},
	}}
}

// violationsBySeverity counts violations per severity, most severe first:
// "SEV0 1, SEV1 5, SEV3 2".
func violationsBySeverity(vs []PolicyViolation) string {
	counts := map[string]int{}
	for _, v := range vs {
		counts[v.Severity]++
	}
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if ri, rj := severityRank(keys[i]), severityRank(keys[j]); ri != rj {
			return ri < rj
		}
		return keys[i] < keys[j]
	})
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", k, counts[k])
	}
	return strings.Join(parts, ", ")
}

// severityRank orders severities SEV0 first, anything else last.
func severityRank(s string) int {
	if len(s) == 4 && s[:3] == "SEV" && s[3] >= '0' && s[3] <= '4' {
		return int(s[3] - '0')
	}
	return 9
}
