package pipeline

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/ledgerlens/ledgerlens/fixtures"
	"github.com/ledgerlens/ledgerlens/reports"
)

var internalLink = regexp.MustCompile(`^HYPERLINK\("#'((?:[^']|'')+)'!A(\d+)","(.*)"\)$`)

// TestActionRequiredFirstOnSummary renders the fixture's weekly workbook
// and checks that the Summary opens with exactly the fixture's expected
// action items (expected.json), in severity order, each linking to a row
// of its sheet that shows the item's subject; and that the JSON carries
// the same list.
func TestActionRequiredFirstOnSummary(t *testing.T) {
	e := expected(t)
	if len(e.ActionRequired) == 0 {
		t.Fatal("expected.json lists no action items")
	}
	root := copyRoot(t)
	res := runWeekly(t, root, WeeklyOptions{Week: e.FocusWeek, Unsigned: true})
	w := readReport(t, res.JSONPath)

	got := make([]fixtures.ActionTruth, len(w.ActionRequired))
	for i, it := range w.ActionRequired {
		got[i] = fixtures.ActionTruth{Severity: it.Severity, Kind: it.Kind, Subject: it.Subject}
	}
	if !slices.Equal(got, e.ActionRequired) {
		t.Fatalf("JSON action_required\n got  %v\n want %v", got, e.ActionRequired)
	}

	f, err := excelize.OpenFile(res.XLSXPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cell := func(sheet, ref string) string {
		v, err := f.GetCellValue(sheet, ref)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	if a1 := cell(reports.SheetSummary, "A1"); !strings.HasSuffix(a1, "Action required") {
		t.Fatalf("Summary A1 = %q, want the action-required heading", a1)
	}
	if h := cell(reports.SheetSummary, "A2"); h != "Severity" {
		t.Fatalf("Summary A2 = %q, want the list's header", h)
	}
	prevRank := -1
	for i, want := range e.ActionRequired {
		r := strconv.Itoa(3 + i)
		sev := cell(reports.SheetSummary, "A"+r)
		if sev != want.Severity {
			t.Errorf("Summary row %s severity %q, want %q", r, sev, want.Severity)
		}
		rank, _ := strconv.Atoi(strings.TrimPrefix(sev, "SEV"))
		if rank < prevRank {
			t.Errorf("Summary row %s: %s after a less severe item", r, sev)
		}
		prevRank = rank
		if text := cell(reports.SheetSummary, "C"+r); !strings.Contains(text, want.Subject) {
			t.Errorf("Summary row %s text %q does not name %s", r, text, want.Subject)
		}
		formula, err := f.GetCellFormula(reports.SheetSummary, "B"+r)
		if err != nil {
			t.Fatal(err)
		}
		m := internalLink.FindStringSubmatch(formula)
		if m == nil {
			t.Errorf("Summary row %s: %q is not a link into the workbook", r, formula)
			continue
		}
		sheet := strings.ReplaceAll(m[1], "''", "'")
		if m[3] != want.Subject {
			t.Errorf("Summary row %s link text %q, want %q", r, m[3], want.Subject)
		}
		// The row linked to exists and shows the subject.
		row, _ := strconv.Atoi(m[2])
		rows, err := f.GetRows(sheet)
		if err != nil {
			t.Fatalf("row %s links to sheet %q: %v", r, sheet, err)
		}
		if row < 1 || row > len(rows) || !slices.Contains(rows[row-1], want.Subject) {
			t.Errorf("Summary row %s (%s %s) links to %s!A%d, which does not show it", r, want.Kind, want.Subject, sheet, row)
		}
		wantSheet := reports.SheetPolicyViolations
		switch want.Kind {
		case "slo_freeze":
			wantSheet = reports.SheetReliability
		case "drift_significant":
			wantSheet = reports.SheetDrift
		}
		if sheet != wantSheet {
			t.Errorf("Summary row %s links to sheet %s, want %s", r, sheet, wantSheet)
		}
	}
	// Exactly these: the row after the list is the blank row between blocks.
	if after := cell(reports.SheetSummary, fmt.Sprintf("A%d", 3+len(e.ActionRequired))); after != "" {
		t.Errorf("Summary lists more than the expected items: %q", after)
	}
	// The significant drift is the Drift sheet's first row.
	if got := cell(reports.SheetDrift, "C2"); got != "significant" {
		t.Errorf("Drift C2 = %q, want the significant scenario first", got)
	}
}

// A week published before reports had an action-required list is still
// "already published, identical" when nothing else changed: the additive
// key must not force a new revision.
func TestSameAsPublishedWithoutActionList(t *testing.T) {
	pub := &reports.Publisher{Dir: t.TempDir()}
	w := &reports.Weekly{Schema: reports.Schema, ReportID: "CREDIT_REVIEW_2026-02-23", Notes: []string{},
		ActionRequired: []reports.ActionRequiredItem{{Severity: "SEV1", Kind: "slo_freeze", Subject: "api", Text: "Error-budget freeze: api", Ref: "/reliability/services/0"}}}
	old := *w
	old.ActionRequired = nil
	data, err := reports.MarshalWeekly(&old)
	if err != nil {
		t.Fatal(err)
	}
	// As an older version wrote it: no action_required key at all.
	data = []byte(strings.Replace(string(data), "  \"action_required\": null,\n", "", 1))
	if strings.Contains(string(data), "action_required") {
		t.Fatalf("test report still has the key:\n%s", data)
	}
	if _, err := pub.Publish(t.Context(), "weekly_2026-02-23", 1, []reports.Artifact{{Ext: ".json", Data: data}}); err != nil {
		t.Fatal(err)
	}
	same, err := sameAsPublished(pub, "weekly_2026-02-23", 1, w)
	if err != nil || !same {
		t.Fatalf("sameAsPublished = %t, %v; want the older report to count as identical", same, err)
	}
	// Anything else that differs still differs.
	w.Notes = []string{"changed"}
	if same, err := sameAsPublished(pub, "weekly_2026-02-23", 1, w); err != nil || same {
		t.Fatalf("sameAsPublished = %t, %v after a real change", same, err)
	}
}
