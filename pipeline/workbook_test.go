package pipeline

import (
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/ledgerlens/ledgerlens/reports"
)

// table reads the first table on sheet whose header row starts with
// firstHeader into one map per data row, keyed by header, raw cell values.
func table(t *testing.T, f *excelize.File, sheet, firstHeader string) []map[string]string {
	t.Helper()
	rows, err := f.GetRows(sheet, excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range rows {
		if len(r) == 0 || r[0] != firstHeader {
			continue
		}
		var out []map[string]string
		for _, d := range rows[i+1:] {
			if len(d) == 0 || d[0] == "" {
				break
			}
			m := map[string]string{}
			for c, h := range r {
				if c < len(d) {
					m[h] = d[c]
				}
			}
			out = append(out, m)
		}
		return out
	}
	t.Fatalf("sheet %s has no table headed %q", sheet, firstHeader)
	return nil
}

func number(t *testing.T, s string) float64 {
	t.Helper()
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatalf("cell %q is not a number", s)
	}
	return v
}

// TestWorkbookMatchesJSON opens the published workbook as an analyst's tool
// would and checks its figures against the published JSON, which the
// workbook must render, never recompute.
func TestWorkbookMatchesJSON(t *testing.T) {
	e := expected(t)
	root := copyRoot(t)
	res := runWeekly(t, root, WeeklyOptions{Week: e.FocusWeek, Unsigned: true})
	w := readReport(t, res.JSONPath)
	f, err := excelize.OpenFile(res.XLSXPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := strings.Join(f.GetSheetList(), ","); got != strings.Join(reports.WorkbookSheets(), ",") {
		t.Fatalf("sheets %s", got)
	}

	top := table(t, f, reports.SheetTopScenarios, "Scenario ID")
	if len(top) != len(w.TopScenariosByTotal) {
		t.Fatalf("top scenarios: %d rows, JSON has %d", len(top), len(w.TopScenariosByTotal))
	}
	for i, s := range w.TopScenariosByTotal {
		r := top[i]
		if r["Scenario ID"] != s.ScenarioID || number(t, r["Total credits"]) != s.TotalCredits ||
			number(t, r["Runs"]) != float64(s.RunCount) || number(t, r["P95 credits"]) != s.P95Credits ||
			number(t, r["CV"]) != s.CV {
			t.Errorf("top scenario %d: %v vs %+v", i, r, s)
		}
	}

	spikes := table(t, f, reports.SheetSpikeRuns, "Run ID")
	if len(spikes) != len(w.SpikeRuns) {
		t.Fatalf("spike runs: %d rows, JSON has %d", len(spikes), len(w.SpikeRuns))
	}
	for i, s := range w.SpikeRuns {
		r := spikes[i]
		if number(t, r["Ledger line"]) != float64(s.LineNo) || number(t, r["Credits"]) != s.CreditsTotal ||
			number(t, r["Multiplier"]) != *s.VarianceMultiplier || r["Severity"] != deref(s.Severity) {
			t.Errorf("spike run %d: %v vs %+v", i, r, s)
		}
	}

	cands := table(t, f, reports.SheetBaselineCandidates, "Scenario ID")
	if len(cands) != len(w.BaselineCandidates) {
		t.Fatalf("candidates: %d rows, JSON has %d", len(cands), len(w.BaselineCandidates))
	}
	for i, c := range w.BaselineCandidates {
		r := cands[i]
		if r["Scenario ID"] != c.ScenarioID || number(t, r["Runs"]) != float64(c.RunCount) || number(t, r["CV"]) != c.CV {
			t.Errorf("candidate %d: %v vs %+v", i, r, c)
		}
	}

	svc := table(t, f, reports.SheetReliability, "Service")
	if len(svc) != len(w.Reliability.Services) {
		t.Fatalf("services: %d rows, JSON has %d", len(svc), len(w.Reliability.Services))
	}
	for i, s := range w.Reliability.Services {
		r := svc[i]
		if r["Service"] != s.Service || number(t, r["Downtime (min)"]) != s.DowntimeMinutes {
			t.Errorf("service %d: %v vs %+v", i, r, s)
		}
	}
}
