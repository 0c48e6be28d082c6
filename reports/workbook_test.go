package reports

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

var (
	sampleOut      = flag.String("workbook.sample", "", "write the sample workbook to this path (for a visual check)")
	updateWorkbook = flag.Bool("update-workbook", false, "rewrite testdata/workbook golden files")
)

// updating reports whether golden files are to be rewritten: with
// -update-workbook, or with a package-wide -update flag if one is defined.
func updating() bool {
	if *updateWorkbook {
		return true
	}
	if f := flag.Lookup("update"); f != nil {
		return f.Value.String() == "true"
	}
	return false
}

func renderBook(t testing.TB, w *Weekly, opts WorkbookOptions) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := RenderWorkbook(context.Background(), w, opts, &buf); err != nil {
		t.Fatalf("RenderWorkbook: %v", err)
	}
	return buf.Bytes()
}

// TestWriteSampleWorkbook writes the sample for a look in a spreadsheet
// program: go test ./reports -run SampleWorkbook -workbook.sample /tmp/s.xlsx
func TestWriteSampleWorkbook(t *testing.T) {
	if *sampleOut == "" {
		t.Skip("no -workbook.sample path")
	}
	b := renderBook(t, sampleWeekly(smallSample), WorkbookOptions{Location: time.UTC, Signed: true})
	if err := os.WriteFile(*sampleOut, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// book is a rendered workbook opened for inspection, both through excelize
// and as the zip archive it is.
type book struct {
	t     testing.TB
	f     *excelize.File
	zr    *zip.Reader
	parts map[string]string // sheet name → worksheet part
}

func openBook(t testing.TB, raw []byte) *book {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("open workbook: %v", err)
	}
	t.Cleanup(func() { _ = f.Close() })
	zr, err := zip.NewReader(bytes.NewReader(raw), int64(len(raw)))
	if err != nil {
		t.Fatalf("open workbook zip: %v", err)
	}
	b := &book{t: t, f: f, zr: zr, parts: map[string]string{}}

	var wbx struct {
		Sheets []struct {
			Name string `xml:"name,attr"`
			RID  string `xml:"http://schemas.openxmlformats.org/officeDocument/2006/relationships id,attr"`
		} `xml:"sheets>sheet"`
	}
	var rels struct {
		Rel []struct {
			ID     string `xml:"Id,attr"`
			Target string `xml:"Target,attr"`
		} `xml:"Relationship"`
	}
	if err := xml.Unmarshal([]byte(b.part("xl/workbook.xml")), &wbx); err != nil {
		t.Fatal(err)
	}
	if err := xml.Unmarshal([]byte(b.part("xl/_rels/workbook.xml.rels")), &rels); err != nil {
		t.Fatal(err)
	}
	for _, s := range wbx.Sheets {
		for _, r := range rels.Rel {
			if r.ID == s.RID {
				b.parts[s.Name] = path.Join("xl", r.Target)
			}
		}
	}
	return b
}

// part is the content of a zip member.
func (b *book) part(name string) string {
	b.t.Helper()
	for _, zf := range b.zr.File {
		if zf.Name == name {
			rc, err := zf.Open()
			if err != nil {
				b.t.Fatal(err)
			}
			defer rc.Close()
			data, err := io.ReadAll(rc)
			if err != nil {
				b.t.Fatal(err)
			}
			return string(data)
		}
	}
	b.t.Fatalf("no part %s in workbook", name)
	return ""
}

func (b *book) partsMatching(re *regexp.Regexp) []string {
	var names []string
	for _, zf := range b.zr.File {
		if re.MatchString(zf.Name) {
			names = append(names, zf.Name)
		}
	}
	slices.Sort(names)
	return names
}

func (b *book) sheetXML(sheet string) string {
	b.t.Helper()
	p, ok := b.parts[sheet]
	if !ok {
		b.t.Fatalf("no sheet %s", sheet)
	}
	return b.part(p)
}

func (b *book) raw(sheet, ref string) string {
	b.t.Helper()
	v, err := b.f.GetCellValue(sheet, ref, excelize.Options{RawCellValue: true})
	if err != nil {
		b.t.Fatalf("%s!%s: %v", sheet, ref, err)
	}
	return v
}

func (b *book) numFmt(sheet, ref string) string {
	b.t.Helper()
	id, err := b.f.GetCellStyle(sheet, ref)
	if err != nil {
		b.t.Fatalf("%s!%s style: %v", sheet, ref, err)
	}
	st, err := b.f.GetStyle(id)
	if err != nil {
		b.t.Fatalf("%s!%s style %d: %v", sheet, ref, id, err)
	}
	if st.CustomNumFmt != nil {
		return *st.CustomNumFmt
	}
	if st.NumFmt != 0 {
		return "builtin:" + strconv.Itoa(st.NumFmt)
	}
	return ""
}

// want is an expected cell: nil (no value), a string, a number with its
// number format, or a time shown in a zone.
type want struct {
	v   any
	fmt string
}

func wText(s string) want {
	if s == "" {
		return want{}
	}
	return want{v: s}
}
func wOptText(p *string) want {
	if p == nil {
		return want{}
	}
	return want{v: *p}
}
func wNum(v float64, format string) want { return want{v: v, fmt: format} }
func wInt(v int64) want                  { return want{v: float64(v), fmt: numFmtInt} }
func wOpt(p *float64, format string) want {
	if p == nil {
		return want{}
	}
	return wNum(*p, format)
}
func wPct(v float64) want { return want{v: pctWant(v), fmt: numFmtPct} }

// pctWant is an expected percentage cell: the fraction v/100, to the last
// bit of a float64.
type pctWant float64

func wOptPct(p *float64) want {
	if p == nil {
		return want{}
	}
	return wPct(*p)
}
func wTime(t *testing.T, s string, loc *time.Location) want {
	t.Helper()
	ts, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return want{v: ts.In(loc), fmt: numFmtDateTime}
}

// checkCell asserts one cell: value, storage type and number format.
func (b *book) checkCell(t *testing.T, sheet, ref string, w want) {
	t.Helper()
	raw := b.raw(sheet, ref)
	typ, err := b.f.GetCellType(sheet, ref)
	if err != nil {
		t.Fatal(err)
	}
	numeric := typ == excelize.CellTypeUnset || typ == excelize.CellTypeNumber
	switch v := w.v.(type) {
	case nil:
		if raw != "" {
			t.Errorf("%s!%s = %q, want empty", sheet, ref, raw)
		}
	case string:
		if raw != v || numeric {
			t.Errorf("%s!%s = %q (type %v), want text %q", sheet, ref, raw, typ, v)
		}
	case float64:
		got, err := strconv.ParseFloat(raw, 64)
		if err != nil || !numeric {
			t.Errorf("%s!%s = %q (type %v), want number %v", sheet, ref, raw, typ, v)
			return
		}
		if got != v {
			t.Errorf("%s!%s = %v, want %v", sheet, ref, got, v)
		}
		if f := b.numFmt(sheet, ref); f != w.fmt {
			t.Errorf("%s!%s number format %q, want %q", sheet, ref, f, w.fmt)
		}
	case pctWant:
		got, err := strconv.ParseFloat(raw, 64)
		if err != nil || !numeric {
			t.Errorf("%s!%s = %q (type %v), want percentage %v", sheet, ref, raw, typ, float64(v))
			return
		}
		if want := float64(v) / 100; math.Abs(got-want) > 1e-15*math.Abs(want) {
			t.Errorf("%s!%s = %v, want %v/100", sheet, ref, got, float64(v))
		}
		if f := b.numFmt(sheet, ref); f != w.fmt {
			t.Errorf("%s!%s number format %q, want %q", sheet, ref, f, w.fmt)
		}
	case time.Time:
		serial, err := strconv.ParseFloat(raw, 64)
		if err != nil || !numeric {
			t.Errorf("%s!%s = %q (type %v), want a date", sheet, ref, raw, typ)
			return
		}
		got, err := excelize.ExcelDateToTime(serial, false)
		if err != nil {
			t.Fatal(err)
		}
		y, mo, d := v.Date()
		hh, mm, ss := v.Clock()
		wall := time.Date(y, mo, d, hh, mm, ss, v.Nanosecond(), time.UTC)
		if diff := got.Sub(wall); diff > time.Millisecond || diff < -time.Millisecond {
			t.Errorf("%s!%s = %s, want %s", sheet, ref, got, wall)
		}
		if f := b.numFmt(sheet, ref); f != w.fmt {
			t.Errorf("%s!%s number format %q, want %q", sheet, ref, f, w.fmt)
		}
	default:
		t.Fatalf("bad want %T", w.v)
	}
}

func (b *book) checkRow(t *testing.T, sheet string, row int, wants []want) {
	t.Helper()
	for c, w := range wants {
		b.checkCell(t, sheet, colName(c)+strconv.Itoa(row), w)
	}
}

// findRow is the first row whose column A reads text, 0 if none.
func (b *book) findRow(sheet, text string) int {
	b.t.Helper()
	return b.findRowAfter(sheet, text, 0)
}

// findRowAfter is findRow for the rows below row after.
func (b *book) findRowAfter(sheet, text string, after int) int {
	b.t.Helper()
	rows, err := b.f.GetRows(sheet)
	if err != nil {
		b.t.Fatal(err)
	}
	for i, r := range rows {
		if i >= after && len(r) > 0 && r[0] == text {
			return i + 1
		}
	}
	return 0
}

func TestWorkbookSheetsFrozenAndFiltered(t *testing.T) {
	w := sampleWeekly(smallSample)
	b := openBook(t, renderBook(t, w, WorkbookOptions{Signed: true}))

	if got, want := b.f.GetSheetList(), WorkbookSheets(); !slices.Equal(got, want) {
		t.Fatalf("sheets = %q, want %q", got, want)
	}
	if got := b.f.GetActiveSheetIndex(); got != 0 {
		t.Errorf("active sheet %d, want 0 (Summary)", got)
	}

	// Every sheet of one table: header row 1 frozen; every table sheet:
	// one auto-filter over the table — in the sheet XML and as the hidden _FilterDatabase name.
	filters := map[string]string{
		SheetTopScenarios:       "A1:P6",
		SheetScenarios:          "A1:P13",
		SheetSpikeRuns:          "A1:P26",
		SheetPolicyViolations:   "A1:I15",
		SheetBaselineCandidates: "A1:J5",
		SheetDrift:              "A1:E14",
		SheetReliability:        "A1:S4",
		SheetIncidents:          "A1:J6",
		SheetDataQuality:        "", // checked below: the rejects table
		SheetAbout:              "", // the inputs table
	}
	names := map[string]string{}
	for _, dn := range b.f.GetDefinedName() {
		if dn.Name == "_xlnm._FilterDatabase" {
			names[dn.Scope] = dn.RefersTo
		}
	}
	rejects := b.findRow(SheetDataQuality, "Line")
	filters[SheetDataQuality] = fmt.Sprintf("A%d:D%d", rejects, rejects+smallSample.rejects)
	inputs := b.findRow(SheetAbout, "Role")
	filters[SheetAbout] = fmt.Sprintf("A%d:D%d", inputs, inputs+1+len(w.Inputs.Files))

	for sheet, ref := range filters {
		panes, err := b.f.GetPanes(sheet)
		if err != nil {
			t.Fatal(err)
		}
		switch sheet {
		case SheetReliability, SheetDataQuality, SheetAbout:
			// More than one table: a frozen header would stand over
			// the next table's columns.
			if panes.Freeze {
				t.Errorf("%s holds several tables: no frozen panes, got %+v", sheet, panes)
			}
		default:
			if !panes.Freeze || panes.YSplit != 1 || panes.XSplit != 0 || panes.TopLeftCell != "A2" {
				t.Errorf("%s panes = %+v, want row 1 frozen", sheet, panes)
			}
		}
		dollar := regexp.MustCompile(`([A-Z]+)(\d+)`).ReplaceAllString(ref, "$$$1$$$2")
		if got, want := names[sheet], quoteSheet(sheet)+"!"+dollar; got != want && got != sheet+"!"+dollar {
			t.Errorf("%s filter name = %q, want %q", sheet, got, want)
		}
		xmlText := b.sheetXML(sheet)
		if n := strings.Count(xmlText, "<autoFilter "); n != 1 || !strings.Contains(xmlText, `<autoFilter ref="`+dollar+`"`) {
			t.Errorf("%s: want one <autoFilter ref=%q> in the sheet XML", sheet, dollar)
		}
	}
	if panes, _ := b.f.GetPanes(SheetSummary); panes.Freeze {
		t.Errorf("Summary is a dashboard, not a table: no frozen panes, got %+v", panes)
	}
}

func TestWorkbookFiguresMatchModel(t *testing.T) {
	w := sampleWeekly(smallSample)
	loc := time.FixedZone("UTC+1", 3600)
	b := openBook(t, renderBook(t, w, WorkbookOptions{Location: loc}))

	for i, s := range w.TopScenariosByTotal {
		b.checkRow(t, SheetTopScenarios, i+2, scenarioWants(s))
	}
	if v := b.raw(SheetTopScenarios, fmt.Sprintf("A%d", len(w.TopScenariosByTotal)+2)); v != "" {
		t.Errorf("Top scenarios has a row past the model's: %q", v)
	}
	for i, s := range w.Scenarios {
		b.checkRow(t, SheetScenarios, i+2, scenarioWants(s))
	}
	for i, s := range w.SpikeRuns {
		b.checkRow(t, SheetSpikeRuns, i+2, []want{
			wText(s.RunID), wTime(t, s.Timestamp, loc), wText(s.ScenarioID),
			wNum(s.CreditsTotal, numFmtDec2), wOpt(s.Baseline, numFmtDec2),
			wOpt(s.VarianceMultiplier, numFmtMult), wOpt(s.RecordedVarianceMultiplier, numFmtMult),
			wOptText(s.Severity), wOptText(s.RecordedSeverity), wText(s.MisconfigLikelihood),
			wNum(s.MisconfigScore, numFmtDec2), wOptText(s.RecordedMisconfig),
			wText(strings.Join(s.RiskFlags, ", ")), wText(s.Status), wOptText(s.CaseID),
			wInt(s.LineNo),
		})
	}
	for i, c := range w.BaselineCandidates {
		b.checkRow(t, SheetBaselineCandidates, i+2, []want{
			wText(c.ScenarioID), wInt(c.RunCount), wNum(c.CV, numFmtDec4), wNum(c.AvgCredits, numFmtDec2),
			wOpt(c.CurrentBaseline, numFmtDec2), wOpt(c.VarianceMultiplier, numFmtMult),
			wOpt(c.ProposedBaseline, numFmtDec2), wInt(c.SampleSize), wOptPct(c.ChangePct), wText(c.Review),
		})
	}
	rel := w.Reliability
	for i, s := range rel.Services {
		freeze := "no"
		if s.Freeze {
			freeze = "yes"
		}
		b.checkRow(t, SheetReliability, i+2, []want{
			wText(s.Service), wPct(s.UptimePct), wPct(s.UptimeMTDPct), wPct(s.SLOTargetPct),
			wNum(s.DowntimeMinutes, numFmtDec2), wNum(s.DowntimeMTDMinutes, numFmtDec2),
			wNum(s.ErrorBudgetMinutes, numFmtDec2), wPct(s.BudgetConsumedPct), wText(freeze),
			wInt(s.Incidents), wOpt(s.MTTDMinutes, numFmtDec2), wOpt(s.MTTAMinutes, numFmtDec2),
			wOpt(s.MTTRMinutes, numFmtDec2), wNum(s.RTOTargetMinutes, numFmtDec2),
			wOpt(s.RTOP50Minutes, numFmtDec2), wOpt(s.RTOP95Minutes, numFmtDec2),
			wOpt(s.RTOMaxMinutes, numFmtDec2), wText(strings.Join(s.RTOBreaches, ", ")),
			wOpt(s.RPOSeconds, numFmtDec2),
		})
	}
	// 99.95 % is stored as 0.9995 and shown as a percentage.
	if got := b.raw(SheetReliability, "B2"); got != "0.9995" {
		t.Errorf("uptime 99.95 stored as %s, want 0.9995", got)
	}
	row := b.findRow(SheetSummary, "Total credits")
	if got := b.raw(SheetSummary, "D"+strconv.Itoa(row)); got != "0.164364" {
		t.Errorf("change 16.4364 %% stored as %s, want 0.164364", got)
	}
	hdr := b.findRow(SheetReliability, "Scenario ID")
	if hdr == 0 {
		t.Fatal("Reliability has no scenario table")
	}
	for i, s := range rel.Scenarios {
		b.checkRow(t, SheetReliability, hdr+1+i, []want{
			wText(s.ScenarioID), wInt(s.FailureStreaks), wOpt(s.RecoveryP50Minutes, numFmtDec2),
			wOpt(s.RecoveryP95Minutes, numFmtDec2), wOpt(s.RecoveryMaxMinutes, numFmtDec2),
			wPct(s.AvailabilityPct),
		})
	}
	for i, x := range rel.Incidents {
		optTime := func(p *string) want {
			if p == nil {
				return want{}
			}
			return wTime(t, *p, loc)
		}
		b.checkRow(t, SheetIncidents, i+2, []want{
			wText(x.IncidentID), wText(x.Service), wText(x.Severity), wText(x.Impact),
			wTime(t, x.StartedAt, loc), optTime(x.DetectedAt), optTime(x.AcknowledgedAt),
			optTime(x.ResolvedAt), wOpt(x.DurationMinutes, numFmtDec2), wOpt(x.DataLossSeconds, numFmtDec2),
		})
	}
	if got := b.raw(SheetIncidents, "B1"); got != "Service" {
		t.Errorf("Incidents B1 = %q", got)
	}
	if got := b.raw(SheetIncidents, "E1"); got != "Started (UTC+1)" {
		t.Errorf("Incidents E1 = %q, want the zone in the header", got)
	}

	// Summary: headline figures, severity counts and the day table.
	s := w.SummaryStats
	row = b.findRow(SheetSummary, "Total credits")
	b.checkRow(t, SheetSummary, row, []want{wText("Total credits"), wNum(s.TotalCredits, numFmtDec2),
		wNum(s.PreviousWeek.TotalCredits, numFmtDec2), wOptPct(s.TotalCreditsChangePct)})
	row = b.findRow(SheetSummary, "Failed runs")
	b.checkRow(t, SheetSummary, row, []want{wText("Failed runs"), wInt(s.FailedRuns),
		wInt(s.PreviousWeek.FailedRuns), wOptPct(s.FailedRunsChangePct)})
	// Below the action-required list, which has SEV1 rows too.
	row = b.findRowAfter(SheetSummary, "SEV1", b.findRow(SheetSummary, "Runs per severity"))
	b.checkRow(t, SheetSummary, row, []want{wText("SEV1"), wInt(s.Sev1Count),
		wInt(s.RecomputedSeverityCounts.SEV1), wInt(s.PreviousWeek.RecordedSeverityCounts.SEV1),
		wInt(s.PreviousWeek.RecomputedSeverityCounts.SEV1)})
	row = b.findRow(SheetSummary, "Unknown")
	b.checkRow(t, SheetSummary, row, []want{wText("Unknown"), {},
		wInt(s.RecomputedSeverityCounts.Unknown)})
	row = b.findRow(SheetSummary, "Period start")
	b.checkRow(t, SheetSummary, row, []want{wText("Period start"), wTime(t, w.PeriodStart, loc)})
	day := b.findRow(SheetSummary, "Day")
	for i, d := range w.CreditsPerDay {
		date, _ := time.Parse(time.DateOnly, d.Date)
		b.checkRow(t, SheetSummary, day+1+i, []want{{v: date, fmt: numFmtDate},
			wNum(d.Credits, numFmtDec2), wInt(d.Runs)})
	}
}

func scenarioWants(s Scenario) []want {
	return []want{
		wText(s.ScenarioID), wText(s.ScenarioName), wNum(s.TotalCredits, numFmtDec2), wInt(s.RunCount),
		wNum(s.AvgCredits, numFmtDec2), wNum(s.MedianCredits, numFmtDec2), wNum(s.P95Credits, numFmtDec2),
		wNum(s.MaxCredits, numFmtDec2), wNum(s.CV, numFmtDec4), wOpt(s.Baseline, numFmtDec2),
		wOpt(s.VarianceMultiplier, numFmtMult), wInt(s.FailedRuns), wNum(s.PrevTotalCredits, numFmtDec2),
		wInt(s.PrevRunCount), wOptPct(s.TotalChangePct), wOptPct(s.RunCountChangePct),
	}
}

func TestWorkbookHyperlinks(t *testing.T) {
	w := sampleWeekly(smallSample)
	b := openBook(t, renderBook(t, w, WorkbookOptions{}))
	for i, s := range w.SpikeRuns {
		ref := fmt.Sprintf("A%d", i+2)
		formula, err := b.f.GetCellFormula(SheetSpikeRuns, ref)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case s.ArtifactsLink == nil:
			if formula != "" {
				t.Errorf("%s: run without a link has formula %q", ref, formula)
			}
		case strings.HasPrefix(*s.ArtifactsLink, "javascript:"):
			if formula != "" {
				t.Errorf("%s: a javascript: link became clickable: %q", ref, formula)
			}
		default:
			want := `HYPERLINK("` + strings.ReplaceAll(*s.ArtifactsLink, `"`, `""`) + `","` + s.RunID + `")`
			if formula != want {
				t.Errorf("%s formula = %q, want %q", ref, formula, want)
			}
		}
	}
	// A violation naming a linked spike run links too.
	for i, v := range w.PolicyViolations {
		if v.RunID == nil || *v.RunID != w.SpikeRuns[0].RunID {
			continue
		}
		formula, _ := b.f.GetCellFormula(SheetPolicyViolations, fmt.Sprintf("C%d", i+2))
		if !strings.HasPrefix(formula, "HYPERLINK(") {
			t.Errorf("violation for %s not linked: %q", *v.RunID, formula)
		}
	}
}

func TestLinkable(t *testing.T) {
	for _, tc := range []struct {
		target string
		want   bool
	}{
		{"https://artifacts.invalid/run/1", true},
		{"http://x.invalid/a?b=c", true},
		{"file:///srv/runs/1", true},
		{"runs/CREDIT_MONITORING/artifacts/run-1/", true},
		{"/srv/runs/1", true},
		{`C:\runs\1`, true},
		{"./a:b", true},
		{"javascript:alert(1)", false},
		{"JavaScript:alert(1)", false},
		{"data:text/html,x", false},
		{"vbscript:x", false},
		{"", false},
		{"https://x.invalid/" + strings.Repeat("a", 300), false},
		{"https://x.invalid/\n", false},
	} {
		if got := linkable(tc.target); got != tc.want {
			t.Errorf("linkable(%q) = %v, want %v", tc.target, got, tc.want)
		}
	}
}

func TestWorkbookCharts(t *testing.T) {
	w := sampleWeekly(smallSample)
	b := openBook(t, renderBook(t, w, WorkbookOptions{}))

	charts := b.partsMatching(regexp.MustCompile(`^xl/charts/chart\d+\.xml$`))
	if len(charts) != 3 {
		t.Fatalf("charts = %q, want 3", charts)
	}
	var refs, texts []string
	var kinds []string
	for _, c := range charts {
		r, tx, k := chartParts(t, b.part(c))
		refs, texts, kinds = append(refs, r...), append(texts, tx...), append(kinds, k...)
	}

	sev := b.findRow(SheetSummary, "Runs per severity") + 1 // its header row
	day := b.findRow(SheetSummary, "Day")
	if sev == 0 || day == 0 {
		t.Fatalf("Summary tables not found: severity header %d, day header %d", sev, day)
	}
	n := len(w.TopScenariosByTotal)
	wantRefs := []string{
		fmt.Sprintf("'Top scenarios'!$A$2:$A$%d", n+1),
		fmt.Sprintf("'Top scenarios'!$C$2:$C$%d", n+1),
		"'Top scenarios'!$C$1",
		fmt.Sprintf("'Summary'!$A$%d:$A$%d", sev+1, sev+4), // SEV0..SEV3
		fmt.Sprintf("'Summary'!$B$%d:$B$%d", sev+1, sev+4),
		fmt.Sprintf("'Summary'!$C$%d:$C$%d", sev+1, sev+4),
		fmt.Sprintf("'Summary'!$A$%d:$A$%d", day+1, day+len(w.CreditsPerDay)),
		fmt.Sprintf("'Summary'!$B$%d:$B$%d", day+1, day+len(w.CreditsPerDay)),
	}
	for _, ref := range wantRefs {
		if !slices.Contains(refs, ref) {
			t.Errorf("no chart series reads %s (refs %q)", ref, refs)
		}
	}
	if got := b.raw(SheetSummary, fmt.Sprintf("A%d", sev+4)); got != "SEV3" {
		t.Errorf("severity chart's last category is %q, want SEV3", got)
	}
	if want := []string{"barChart/bar", "barChart/col", "lineChart"}; !slices.Equal(kinds, want) {
		t.Errorf("chart kinds %q, want %q", kinds, want)
	}
	for _, s := range []string{
		"Top scenarios by total credits", "Runs per severity, SEV0–SEV3", "Credits per day",
		"Scenario", "Credits", "Severity", "Runs", "Day (UTC)",
	} {
		if !slices.Contains(texts, s) {
			t.Errorf("charts lack the text %q (have %q)", s, texts)
		}
	}

	// The charts sit on the Summary, right of its tables, without overlap.
	if !strings.Contains(b.sheetXML(SheetSummary), "<drawing ") {
		t.Fatal("Summary has no drawing")
	}
	drawing := b.part("xl/drawings/drawing1.xml")
	var d struct {
		Anchors []struct {
			From cellAnchor `xml:"from"`
			To   cellAnchor `xml:"to"`
		} `xml:"twoCellAnchor"`
	}
	if err := xml.Unmarshal([]byte(drawing), &d); err != nil {
		t.Fatal(err)
	}
	if len(d.Anchors) != 3 {
		t.Fatalf("anchors = %d, want 3", len(d.Anchors))
	}
	for i, a := range d.Anchors {
		if a.From.Col < 6 {
			t.Errorf("chart %d starts in column %d, over the tables (A–E)", i, a.From.Col)
		}
		if a.To.Col-a.From.Col < 5 || a.To.Row-a.From.Row < 10 {
			t.Errorf("chart %d is too small: %+v", i, a)
		}
		for j := range i {
			o := d.Anchors[j]
			if a.From.Col < o.To.Col && o.From.Col < a.To.Col && a.From.Row < o.To.Row && o.From.Row < a.To.Row {
				t.Errorf("charts %d and %d overlap: %+v %+v", j, i, o, a)
			}
		}
	}
}

// With one chart missing, the others move up into its slot.
func TestWorkbookChartSlots(t *testing.T) {
	w := sampleWeekly(smallSample)
	w.TopScenariosByTotal = nil
	b := openBook(t, renderBook(t, w, WorkbookOptions{}))
	if charts := b.partsMatching(regexp.MustCompile(`^xl/charts/chart\d+\.xml$`)); len(charts) != 2 {
		t.Fatalf("charts = %q, want the severity and day charts", charts)
	}
	_, _, kinds := chartParts(t, b.part("xl/charts/chart1.xml"))
	var d struct {
		Anchors []struct {
			From cellAnchor `xml:"from"`
		} `xml:"twoCellAnchor"`
	}
	if err := xml.Unmarshal([]byte(b.part("xl/drawings/drawing1.xml")), &d); err != nil {
		t.Fatal(err)
	}
	// The charts start in the row below the Period heading, right of the
	// tables (column G); anchors count rows from 0.
	period := b.findRow(SheetSummary, "Period · "+w.ReportID)
	if !slices.Equal(kinds, []string{"barChart/col"}) || len(d.Anchors) != 2 || period == 0 || d.Anchors[0].From != (cellAnchor{Col: 6, Row: period}) {
		t.Errorf("first chart %q at %+v, want the severity columns in the first slot (G%d)", kinds, d.Anchors, period+1)
	}
	if b.findRow(SheetSummary, "No scenario totals in this report: the top-scenarios chart is omitted.") == 0 {
		t.Error("no note on the omitted chart")
	}
}

type cellAnchor struct {
	Col int `xml:"col"`
	Row int `xml:"row"`
}

// chartParts reads a chart part: the cell references its series use, its
// texts (title, axis titles) and its kind ("barChart/col", "lineChart").
func chartParts(t *testing.T, chartXML string) (refs, texts, kinds []string) {
	t.Helper()
	dec := xml.NewDecoder(strings.NewReader(chartXML))
	var stack []string
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		switch tk := tok.(type) {
		case xml.StartElement:
			stack = append(stack, tk.Name.Local)
			switch tk.Name.Local {
			case "lineChart":
				kinds = append(kinds, "lineChart")
			case "barDir":
				for _, a := range tk.Attr {
					if a.Name.Local == "val" {
						kinds = append(kinds, "barChart/"+a.Value)
					}
				}
			}
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) == 0 {
				continue
			}
			switch stack[len(stack)-1] {
			case "f":
				refs = append(refs, string(tk))
			case "t":
				texts = append(texts, string(tk))
			}
		}
	}
}

func TestWorkbookConditionalFormats(t *testing.T) {
	w := sampleWeekly(smallSample)
	b := openBook(t, renderBook(t, w, WorkbookOptions{}))
	sev := b.findRow(SheetSummary, "Runs per severity") + 1 // its header row
	for _, tc := range []struct {
		sheet, ref string
		values     []string
	}{
		{SheetSpikeRuns, "H2:H26", []string{`"SEV0"`, `"SEV1"`, `"SEV2"`, `"SEV3"`}},
		{SheetSpikeRuns, "I2:I26", []string{`"SEV0"`, `"SEV1"`, `"SEV2"`, `"SEV3"`}},
		{SheetPolicyViolations, "B2:B15", []string{`"SEV0"`, `"SEV1"`, `"SEV2"`, `"SEV3"`}},
		{SheetIncidents, "C2:C6", []string{`"SEV0"`, `"SEV1"`, `"SEV2"`, `"SEV3"`}},
		{SheetSummary, fmt.Sprintf("A%d:A%d", sev+1, sev+6), []string{`"SEV0"`, `"SEV1"`, `"SEV2"`, `"SEV3"`}},
		{SheetDrift, "C2:C14", []string{`"significant"`, `"moderate"`, `"stable"`}},
		{SheetBaselineCandidates, "J2:J5", []string{`"investigate"`, `"review"`, `"ok"`}},
		{SheetReliability, "I2:I4", []string{`"yes"`}},
	} {
		cfs, err := b.f.GetConditionalFormats(tc.sheet)
		if err != nil {
			t.Fatal(err)
		}
		rules, ok := cfs[tc.ref]
		if !ok {
			t.Errorf("%s: no conditional format on %s (have %v)", tc.sheet, tc.ref, sortedKeys(cfs))
			continue
		}
		var got []string
		for _, r := range rules {
			if r.Type != "cell" || r.Format == nil {
				t.Errorf("%s %s: rule %+v", tc.sheet, tc.ref, r)
			}
			got = append(got, r.Value)
		}
		if !slices.Equal(got, tc.values) {
			t.Errorf("%s %s: rules for %q, want %q", tc.sheet, tc.ref, got, tc.values)
		}
	}
	// The severity fills: SEV0 dark red, SEV1 red, SEV2 orange, SEV3 yellow.
	cfs, _ := b.f.GetConditionalFormats(SheetSpikeRuns)
	wantFill := []string{colourSev0, colourSev1, colourSev2, colourSev3}
	for i, r := range cfs["H2:H26"] {
		st, err := b.f.GetConditionalStyle(*r.Format)
		if err != nil {
			t.Fatal(err)
		}
		if len(st.Fill.Color) != 1 || !strings.EqualFold(strings.TrimPrefix(st.Fill.Color[0], "FF"), wantFill[i]) &&
			!strings.EqualFold(st.Fill.Color[0], wantFill[i]) {
			t.Errorf("rule %d fill %v, want %s", i, st.Fill.Color, wantFill[i])
		}
	}
	// Uptime below target is an expression rule relative to its first row.
	cfs, _ = b.f.GetConditionalFormats(SheetReliability)
	if r := cfs["B2:B4"]; len(r) != 1 || !strings.Contains(r[0].Criteria, "B2<D2") {
		t.Errorf("uptime rule = %+v", r)
	}
}

func sortedKeys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func TestWorkbookDeterministic(t *testing.T) {
	w := sampleWeekly(smallSample)
	first := renderBook(t, w, WorkbookOptions{Signed: true})
	// excelize writes streamed sheets in map order; several renders in one
	// process would see different orders if that leaked into the bytes.
	for i := range 5 {
		if again := renderBook(t, w, WorkbookOptions{Signed: true}); !bytes.Equal(first, again) {
			t.Fatalf("render %d differs from the first", i+2)
		}
	}
	b := openBook(t, first)
	var names []string
	for _, zf := range b.zr.File {
		names = append(names, zf.Name)
		if zf.ModifiedDate != zipDOSDate1980 || zf.ModifiedTime != 0 || len(zf.Extra) != 0 {
			t.Errorf("%s: date %d time %d extra %x: want the fixed 1980-01-01 and no extra fields",
				zf.Name, zf.ModifiedDate, zf.ModifiedTime, zf.Extra)
		}
	}
	if !slices.IsSorted(names) || names[0] != "[Content_Types].xml" {
		t.Errorf("parts not in name order: %q", names)
	}
	props, err := b.f.GetDocProps()
	if err != nil {
		t.Fatal(err)
	}
	if props.Created != "2026-11-23T00:00:00Z" || props.Modified != "2026-11-23T00:00:00Z" {
		t.Errorf("doc props created %q modified %q, want the period end", props.Created, props.Modified)
	}
	if props.Identifier != w.ReportID || props.Creator != "ledgerlens 0.9.0" {
		t.Errorf("doc props %+v", props)
	}

	// The options are part of the input: another zone gives other bytes.
	if other := renderBook(t, w, WorkbookOptions{Signed: true, Location: time.FixedZone("X", 3600)}); bytes.Equal(first, other) {
		t.Error("a different time zone gave the same bytes")
	}
}

func TestWorkbookNamesAndSignature(t *testing.T) {
	for _, tc := range []struct {
		name      string
		revision  int
		signed    bool
		keyID     *string
		base      string
		signature string
	}{
		{"signed r1", 1, true, ptrTo("3f9a0c61d2b7e845"), "weekly_2026-11-16", "signed"},
		{"unsigned r3", 3, false, nil, "weekly_2026-11-16.r3", "unsigned"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := sampleWeekly(smallSample)
			w.Revision, w.SigningKeyID = tc.revision, tc.keyID
			if tc.revision > 1 {
				w.Supersedes = ptrTo("weekly_2026-11-16.json")
			}
			b := openBook(t, renderBook(t, w, WorkbookOptions{Signed: tc.signed}))

			row := b.findRow(SheetSummary, "Signature")
			if got := b.raw(SheetSummary, fmt.Sprintf("B%d", row)); got != tc.signature {
				t.Errorf("Summary signature %q, want %q", got, tc.signature)
			}
			row = b.findRow(SheetSummary, "Signing key ID")
			wantKey := "unsigned"
			if tc.keyID != nil {
				wantKey = *tc.keyID
			}
			if got := b.raw(SheetSummary, fmt.Sprintf("B%d", row)); got != wantKey {
				t.Errorf("Summary key id %q, want %q", got, wantKey)
			}

			rows, err := b.f.GetRows(SheetAbout)
			if err != nil {
				t.Fatal(err)
			}
			var text strings.Builder
			for _, r := range rows {
				text.WriteString(strings.Join(r, "\t") + "\n")
			}
			about := text.String()
			for _, cmd := range []string{
				"sha256sum -c " + tc.base + ".json.sha256",
				"ledgerlens verify --pubkey /path/to/your/signing.pub runs/CREDIT_REVIEWS/" + tc.base + ".json runs/CREDIT_REVIEWS/" + tc.base + ".xlsx",
				"ledgerlens audit verify",
				w.AuditHeadAtStart,
				w.Inputs.Ledger.SHA256,
				w.Inputs.Files[0].SHA256,
			} {
				if !strings.Contains(about, cmd) {
					t.Errorf("About lacks %q", cmd)
				}
			}
			openssl := "s=$(mktemp) && base64 -d " + tc.base + ".json.sig > \"$s\" && openssl pkeyutl -verify -pubin -inkey ../../.ledgerlens/keys/signing.pub -rawin -in " + tc.base + ".json -sigfile \"$s\""
			if got := strings.Contains(about, openssl); got != tc.signed {
				t.Errorf("About has the OpenSSL recipe: %v, want %v", got, tc.signed)
			}
		})
	}
}

func TestWorkbookColumnWidths(t *testing.T) {
	w := sampleWeekly(smallSample)
	w.Scenarios[0].ScenarioName = strings.Repeat("very long scenario name ", 10)
	b := openBook(t, renderBook(t, w, WorkbookOptions{}))
	for _, sheet := range WorkbookSheets() {
		cols, err := b.f.GetCols(sheet)
		if err != nil {
			t.Fatal(err)
		}
		for c := range cols {
			name := colName(c)
			width, err := b.f.GetColWidth(sheet, name)
			if err != nil {
				t.Fatal(err)
			}
			if width < minColWidth || width > maxColWidth {
				t.Errorf("%s column %s width %v outside [%d, %d]", sheet, name, width, minColWidth, maxColWidth)
			}
		}
	}
	// Fitted to content: the run ids and timestamps fit, the long name is
	// clamped.
	for _, tc := range []struct {
		sheet, col string
		atLeast    float64
	}{
		{SheetSpikeRuns, "A", float64(len("run-0000001"))},
		{SheetSpikeRuns, "B", float64(len("2026-11-16 00:00:00"))},
		{SheetScenarios, "B", maxColWidth},
		{SheetAbout, "A", float64(len("SEV2 multiplier (spike threshold)"))},
	} {
		width, _ := b.f.GetColWidth(tc.sheet, tc.col)
		if width < tc.atLeast {
			t.Errorf("%s column %s width %v, want ≥ %v", tc.sheet, tc.col, width, tc.atLeast)
		}
	}
}

func TestWorkbookEmptyReport(t *testing.T) {
	w := &Weekly{
		Schema: Schema, ReportID: "CREDIT_REVIEW_2026-01-05",
		PeriodStart: "2026-01-05T00:00:00Z", PeriodEnd: "2026-01-12T00:00:00Z",
		Provenance: Provenance{Revision: 1}, Notes: []string{"The ledger is empty: nothing to review."},
	}
	b := openBook(t, renderBook(t, w, WorkbookOptions{}))
	if got := b.f.GetSheetList(); !slices.Equal(got, WorkbookSheets()) {
		t.Fatalf("sheets = %q", got)
	}
	// No runs: no charts, and a note saying why.
	if charts := b.partsMatching(regexp.MustCompile(`^xl/(charts|drawings)/`)); len(charts) != 0 {
		t.Errorf("charts = %q, want none", charts)
	}
	if b.findRow(SheetSummary, "No runs in this period: the charts are omitted.") == 0 {
		t.Error("no note on the omitted charts")
	}
	if got := b.raw(SheetSpikeRuns, "A2"); got != "No spike runs in this period." {
		t.Errorf("Spike runs A2 = %q", got)
	}
	if b.findRow(SheetSummary, "The ledger is empty: nothing to review.") == 0 {
		t.Error("the report's note is not on the Summary")
	}
	if got := b.raw(SheetSummary, "A1"); got != "Weekly credit review 2026-01-05 · Action required" {
		t.Errorf("Summary A1 = %q", got)
	}
	// Nothing to act on is said, in the green "good" style.
	if got := b.raw(SheetSummary, "A3"); got != "Nothing needs action this week." {
		t.Errorf("Summary A3 = %q, want the empty action list's note", got)
	}
	if fill := b.fill(SheetSummary, "A3"); !strings.EqualFold(fill, colourGoodFill) {
		t.Errorf("empty action list fill %q, want green %s", fill, colourGoodFill)
	}
}

func TestRenderWorkbookErrors(t *testing.T) {
	ctx := context.Background()
	if err := RenderWorkbook(ctx, nil, WorkbookOptions{}, io.Discard); err == nil {
		t.Error("nil report: no error")
	}

	w := sampleWeekly(smallSample)
	w.SpikeRuns[2].Timestamp = "16/11/2026 10:00"
	var buf bytes.Buffer
	err := RenderWorkbook(ctx, w, WorkbookOptions{}, &buf)
	if err == nil || !strings.Contains(err.Error(), "Spike runs") || !strings.Contains(err.Error(), "spike_runs row 3") ||
		!strings.Contains(err.Error(), "16/11/2026 10:00") {
		t.Errorf("bad timestamp: error %v, want one naming the sheet, row and value", err)
	}
	if buf.Len() != 0 {
		t.Errorf("a failed render wrote %d bytes", buf.Len())
	}

	w = sampleWeekly(smallSample)
	w.PeriodEnd = "not a time"
	if err := RenderWorkbook(ctx, w, WorkbookOptions{}, io.Discard); err == nil || !strings.Contains(err.Error(), "period_end") {
		t.Errorf("bad period end: %v", err)
	}

	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if err := RenderWorkbook(cancelled, sampleWeekly(smallSample), WorkbookOptions{}, io.Discard); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: %v", err)
	}

	// A value JSON could not carry either is shown as unknown, not as a
	// corrupt cell.
	w = sampleWeekly(smallSample)
	w.Scenarios[0].CV = math.NaN()
	b := openBook(t, renderBook(t, w, WorkbookOptions{}))
	if got := b.raw(SheetScenarios, "I2"); got != "" {
		t.Errorf("NaN CV shown as %q", got)
	}
}

func TestExcelSerial(t *testing.T) {
	for _, tc := range []struct {
		t    time.Time
		want float64
	}{
		{time.Date(1900, 3, 1, 0, 0, 0, 0, time.UTC), 61},
		{time.Date(2026, 11, 16, 0, 0, 0, 0, time.UTC), 46342},
		{time.Date(2026, 11, 16, 18, 0, 0, 0, time.UTC), 46342.75},
		// The wall clock of the zone, not the instant: 23:00Z is 00:00 the
		// next day at +01:00.
		{time.Date(2026, 11, 15, 23, 0, 0, 0, time.UTC).In(time.FixedZone("", 3600)), 46342},
	} {
		got, err := excelSerial(tc.t)
		if err != nil || math.Abs(got-tc.want) > 1e-9 {
			t.Errorf("excelSerial(%s) = %v, %v; want %v", tc.t, got, err, tc.want)
		}
	}
	if _, err := excelSerial(time.Date(1899, 1, 1, 0, 0, 0, 0, time.UTC)); err == nil {
		t.Error("1899: no error")
	}
}

func TestGroupedLen(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int
	}{
		{"0.00", 4}, {"999.00", 6}, {"1000.00", 8}, {"-1234567.89", 13}, {"12", 2}, {"1234", 5},
	} {
		if got := groupedLen([]byte(tc.in)); got != tc.want {
			t.Errorf("groupedLen(%s) = %d, want %d", tc.in, got, tc.want)
		}
	}
	if got := colName(0) + colName(25) + colName(26) + colName(701) + colName(702); got != "AZAAZZAAA" {
		t.Errorf("colName = %s", got)
	}
}

// TestWorkbookGolden compares a text dump of every cell (value, type,
// number format, formula) of the sample with testdata/workbook/sample.txt.
// Rewrite it with -update-workbook after an intended change, and review
// the diff.
func TestWorkbookGolden(t *testing.T) {
	w := sampleWeekly(smallSample)
	b := openBook(t, renderBook(t, w, WorkbookOptions{Signed: true}))
	got := dumpBook(t, b)
	golden := filepath.Join("testdata", "workbook", "sample.txt")
	if updating() {
		if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	wantBytes, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update-workbook to create it)", err)
	}
	if want := string(wantBytes); got != want {
		gl, wl := strings.Split(got, "\n"), strings.Split(want, "\n")
		for i := range max(len(gl), len(wl)) {
			var g, w string
			if i < len(gl) {
				g = gl[i]
			}
			if i < len(wl) {
				w = wl[i]
			}
			if g != w {
				t.Fatalf("%s differs at line %d:\n got: %s\nwant: %s", golden, i+1, g, w)
			}
		}
	}
}

func dumpBook(t *testing.T, b *book) string {
	t.Helper()
	var out strings.Builder
	for _, sheet := range b.f.GetSheetList() {
		panes, _ := b.f.GetPanes(sheet)
		fmt.Fprintf(&out, "== %s (frozen rows %d)\n", sheet, panes.YSplit)
		rows, err := b.f.GetRows(sheet, excelize.Options{RawCellValue: true})
		if err != nil {
			t.Fatal(err)
		}
		for r, row := range rows {
			for c, v := range row {
				ref := colName(c) + strconv.Itoa(r+1)
				formula, _ := b.f.GetCellFormula(sheet, ref)
				if v == "" && formula == "" {
					continue
				}
				typ, _ := b.f.GetCellType(sheet, ref)
				line := fmt.Sprintf("%s %s %q", ref, cellTypeName(typ), v)
				if f := b.numFmt(sheet, ref); f != "" {
					line += " fmt=" + f
				}
				if formula != "" {
					line += " =" + formula
				}
				out.WriteString(line + "\n")
			}
		}
		cfs, _ := b.f.GetConditionalFormats(sheet)
		for _, ref := range sortedKeys(cfs) {
			var rules []string
			for _, r := range cfs[ref] {
				rules = append(rules, r.Type+":"+r.Value+r.Criteria)
			}
			fmt.Fprintf(&out, "cf %s %s\n", ref, strings.Join(rules, " "))
		}
	}
	return out.String()
}

func cellTypeName(t excelize.CellType) string {
	switch t {
	case excelize.CellTypeUnset, excelize.CellTypeNumber:
		return "num"
	case excelize.CellTypeInlineString, excelize.CellTypeSharedString:
		return "str"
	case excelize.CellTypeFormula:
		return "formula"
	case excelize.CellTypeBool:
		return "bool"
	}
	return fmt.Sprint(int(t))
}

// TestWorkbookNamesItsRevisionsRejectsFile: a later revision publishes its
// own rejects file (rejects_cumulative_D.rK.jsonl), and its workbook must
// send the reader there, not to the first revision's file, which lacks the
// rejects found since (an outside review).
func TestWorkbookNamesItsRevisionsRejectsFile(t *testing.T) {
	for _, tt := range []struct {
		revision int
		want     string
	}{
		{1, "rejects_cumulative_2026-11-16.jsonl"},
		{2, "rejects_cumulative_2026-11-16.r2.jsonl"},
		{3, "rejects_cumulative_2026-11-16.r3.jsonl"},
	} {
		w := sampleWeekly(smallSample)
		w.Revision = tt.revision
		b := openBook(t, renderBook(t, w, WorkbookOptions{Location: time.UTC, Signed: true}))
		for _, sheet := range []string{SheetSummary, SheetDataQuality} {
			rows, err := b.f.GetRows(sheet)
			if err != nil {
				t.Fatal(err)
			}
			var named []string
			for _, r := range rows {
				for _, c := range r {
					if i := strings.Index(c, "rejects_cumulative_"); i >= 0 {
						named = append(named, c[i:])
					}
				}
			}
			if len(named) == 0 || slices.ContainsFunc(named, func(s string) bool { return s != tt.want }) {
				t.Errorf("revision %d, %s names %q, want only %q", tt.revision, sheet, named, tt.want)
			}
		}
	}
}
