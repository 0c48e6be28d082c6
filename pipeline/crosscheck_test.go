package pipeline

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

// TestScenariosCrossCheck recomputes every scenario's totals, counts,
// median, p95 (nearest rank) and CV in plain Go from the raw fixture lines —
// no DuckDB, no gonum, no ledgerlens parser — and compares them with the
// report to the printed precision.
func TestScenariosCrossCheck(t *testing.T) {
	e := expected(t)
	root := copyRoot(t)
	res := runWeekly(t, root, WeeklyOptions{Week: e.FocusWeek, Unsigned: true})
	w := readReport(t, res.JSONPath)

	start, _ := time.Parse(time.DateOnly, e.FocusWeek)
	end := start.AddDate(0, 0, 7)
	rejected := map[int]bool{}
	for _, r := range e.Ledger.Rejects {
		rejected[int(r.LineNo)] = true
	}

	f, err := os.Open(filepath.Join(root, "runs", "CREDIT_MONITORING", "ledger.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	seen := map[string]bool{}
	credits := map[string][]float64{}
	lineNo := 0
	for sc.Scan() {
		lineNo++
		if rejected[lineNo] {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			// The partial last line (no newline) is also returned by
			// Scanner; it is neither loaded nor rejected.
			continue
		}
		get := func(keys ...string) any {
			for _, k := range keys {
				if v, ok := m[k]; ok {
					return v
				}
			}
			return nil
		}
		id, _ := get("Run_ID", "run_id").(string)
		if id == "" || seen[id] {
			continue
		}
		seen[id] = true
		tsText, _ := get("Timestamp", "timestamp").(string)
		ts, err := time.Parse(time.RFC3339Nano, tsText)
		if err != nil {
			t.Fatalf("line %d: %v", lineNo, err)
		}
		if ts.Before(start) || !ts.Before(end) {
			continue
		}
		scenario, _ := get("Scenario_ID", "scenario_id").(string)
		if scenario == "" {
			scenario, _ = get("Scenario_Name", "scenario_name").(string)
		}
		c, _ := get("Credits_Total", "credits_total").(float64)
		credits[scenario] = append(credits[scenario], c)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}

	if len(credits) != len(w.Scenarios) {
		t.Fatalf("plain Go finds %d scenarios in the week, the report %d", len(credits), len(w.Scenarios))
	}
	round := func(x float64, places int) float64 {
		p := math.Pow(10, float64(places))
		return math.Round(x*p) / p
	}
	nearestRank := func(sorted []float64, q float64) float64 {
		k := int(math.Ceil(q * float64(len(sorted))))
		return sorted[max(k, 1)-1]
	}
	for _, s := range w.Scenarios {
		x := credits[s.ScenarioID]
		sort.Float64s(x)
		var sum float64
		for _, v := range x {
			sum += v
		}
		mean := sum / float64(len(x))
		var ss float64
		for _, v := range x {
			ss += (v - mean) * (v - mean)
		}
		cv := 0.0
		if mean != 0 {
			cv = math.Sqrt(ss/float64(len(x))) / mean
		}
		// Counts and order statistics are values from the ledger and must
		// match exactly; sums, means and CV are float arithmetic, so they
		// must agree to within one unit of the last printed digit (a value
		// exactly on a rounding boundary may land on either side).
		exact := fmt.Sprintf("n=%d median=%.2f p95=%.2f max=%.2f", len(x), nearestRank(x, 0.5), nearestRank(x, 0.95), x[len(x)-1])
		got := fmt.Sprintf("n=%d median=%.2f p95=%.2f max=%.2f", s.RunCount, s.MedianCredits, s.P95Credits, s.MaxCredits)
		if got != exact {
			t.Errorf("scenario %s:\n report %s\n plain  %s", s.ScenarioID, got, exact)
		}
		for _, c := range []struct {
			name      string
			got, want float64
			unit      float64
		}{
			{"total", s.TotalCredits, round(sum, 2), 0.01},
			{"avg", s.AvgCredits, round(mean, 2), 0.01},
			{"cv", s.CV, round(cv, 4), 0.0001},
		} {
			if math.Abs(c.got-c.want) > c.unit*1.0001 {
				t.Errorf("scenario %s: %s report %v, plain Go %v", s.ScenarioID, c.name, c.got, c.want)
			}
		}
	}
	if !strings.HasPrefix(w.ReportID, "CREDIT_REVIEW_") {
		t.Errorf("report_id %q", w.ReportID)
	}
}
