package reports

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/xuri/excelize/v2"
)

// fill is the solid fill colour of a cell's style ("" without one).
func (b *book) fill(sheet, ref string) string {
	b.t.Helper()
	id, err := b.f.GetCellStyle(sheet, ref)
	if err != nil {
		b.t.Fatal(err)
	}
	st, err := b.f.GetStyle(id)
	if err != nil {
		b.t.Fatal(err)
	}
	if len(st.Fill.Color) == 0 {
		return ""
	}
	return strings.TrimPrefix(strings.ToUpper(st.Fill.Color[0]), "FF")
}

// internalTarget splits a HYPERLINK formula to a cell of the workbook into
// the sheet and row it opens.
var internalLinkRe = regexp.MustCompile(`^HYPERLINK\("#'((?:[^']|'')+)'!A(\d+)","(.*)"\)$`)

func internalTarget(t *testing.T, formula string) (sheet string, row int, text string) {
	t.Helper()
	m := internalLinkRe.FindStringSubmatch(formula)
	if m == nil {
		t.Fatalf("formula %q is not a link into the workbook", formula)
	}
	row, _ = strconv.Atoi(m[2])
	return strings.ReplaceAll(m[1], "''", "'"), row, m[3]
}

func TestWorkbookActionRequired(t *testing.T) {
	w := sampleWeekly(smallSample)
	b := openBook(t, renderBook(t, w, WorkbookOptions{}))
	if got := b.raw(SheetSummary, "A1"); got != "Weekly credit review 2026-11-16 · Action required" {
		t.Fatalf("Summary A1 = %q", got)
	}
	if got := []string{b.raw(SheetSummary, "A2"), b.raw(SheetSummary, "B2"), b.raw(SheetSummary, "C2")}; !slices.Equal(got, []string{"Severity", "Go to", "What needs action this week"}) {
		t.Fatalf("action header %q", got)
	}
	// One row per item, in the model's order, linking to the row of the
	// entry its ref names; an item without a row is plain text.
	for i, it := range w.ActionRequired {
		r := strconv.Itoa(3 + i)
		if got := b.raw(SheetSummary, "A"+r); got != it.Severity {
			t.Errorf("row %s severity %q, want %q", r, got, it.Severity)
		}
		if got := b.raw(SheetSummary, "C"+r); got != it.Text {
			t.Errorf("row %s text %q, want %q", r, got, it.Text)
		}
		formula, _ := b.f.GetCellFormula(SheetSummary, "B"+r)
		if it.Ref == "" {
			if formula != "" || b.raw(SheetSummary, "B"+r) != it.Subject {
				t.Errorf("row %s: item without a ref: formula %q", r, formula)
			}
			continue
		}
		sheet, row, text := internalTarget(t, formula)
		if text != it.Subject {
			t.Errorf("row %s link text %q, want %q", r, text, it.Subject)
		}
		// The row linked to shows the entry the ref names.
		var want string
		switch {
		case strings.HasPrefix(it.Ref, "/policy_violations/"):
			i, _ := strconv.Atoi(strings.TrimPrefix(it.Ref, "/policy_violations/"))
			want = w.PolicyViolations[i].Detail
		case strings.HasPrefix(it.Ref, "/drift/"):
			i, _ := strconv.Atoi(strings.TrimPrefix(it.Ref, "/drift/"))
			want = w.Drift[i].ScenarioID
		case strings.HasPrefix(it.Ref, "/reliability/services/"):
			i, _ := strconv.Atoi(strings.TrimPrefix(it.Ref, "/reliability/services/"))
			want = w.Reliability.Services[i].Service
		case strings.HasPrefix(it.Ref, "/data_quality/late_arrivals/"):
			i, _ := strconv.Atoi(strings.TrimPrefix(it.Ref, "/data_quality/late_arrivals/"))
			want = w.DataQuality.LateArrivals[i].PublishedFile
		case strings.HasPrefix(it.Ref, "/data_quality/unpublished_weeks/"):
			i, _ := strconv.Atoi(strings.TrimPrefix(it.Ref, "/data_quality/unpublished_weeks/"))
			want = w.DataQuality.UnpublishedWeeks[i]
		default:
			t.Fatalf("sample ref %s not covered", it.Ref)
		}
		cells, err := b.f.GetRows(sheet)
		if err != nil || row > len(cells) || !slices.Contains(cells[row-1], want) {
			t.Errorf("row %s links to %s!A%d, which does not show %q", r, sheet, row, want)
		}
	}
	// The severity column is coloured by severity.
	cfs, _ := b.f.GetConditionalFormats(SheetSummary)
	ref := "A3:A" + strconv.Itoa(2+len(w.ActionRequired))
	if rules := cfs[ref]; len(rules) != 4 || rules[0].Value != `"SEV0"` {
		t.Errorf("action severity colours on %s: %+v", ref, rules)
	}
	// The Integrity block breaks the violations down by severity.
	row := b.findRow(SheetSummary, "Policy violations")
	if got := b.raw(SheetSummary, "C"+strconv.Itoa(row)); !strings.HasPrefix(got, "SEV0 ") || !strings.HasSuffix(got, ": see Policy violations") {
		t.Errorf("policy violations detail %q", got)
	}
}

func TestWorkbookDriftOrder(t *testing.T) {
	w := sampleWeekly(smallSample)
	b := openBook(t, renderBook(t, w, WorkbookOptions{}))
	rows, err := b.f.GetRows(SheetDrift, excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	rank := map[string]int{"significant": 0, "moderate": 1, "stable": 2, "insufficient_data": 4}
	prevRank, prevPSI, n := -1, 0.0, 0
	for _, r := range rows[1:] {
		if len(r) < 3 || r[2] == "" {
			break
		}
		n++
		rk, ok := rank[r[2]]
		if !ok {
			t.Fatalf("status %q", r[2])
		}
		psi := -1.0
		if r[1] != "" {
			psi, _ = strconv.ParseFloat(r[1], 64)
		}
		if rk < prevRank || (rk == prevRank && psi > prevPSI) {
			t.Errorf("drift row %v out of order (after rank %d, PSI %v)", r, prevRank, prevPSI)
		}
		prevRank, prevPSI = rk, psi
	}
	if n != len(w.Drift)+1 {
		t.Errorf("drift rows %d, want %d scenarios and the mix", n, len(w.Drift)+1)
	}
	if got := b.raw(SheetDrift, "C2"); got != "significant" {
		t.Errorf("first drift row %q, want significant", got)
	}
}

func TestWorkbookMTDNamesMonth(t *testing.T) {
	w := sampleWeekly(smallSample) // 2026-11-16 … 2026-11-23: November
	b := openBook(t, renderBook(t, w, WorkbookOptions{}))
	if got := b.raw(SheetReliability, "C1"); got != "Uptime Nov 2026 MTD" {
		t.Errorf("Reliability C1 = %q", got)
	}
	// A week ending on a Monday 1st: the month to date is the new month.
	w.PeriodStart, w.PeriodEnd = "2026-02-23T00:00:00Z", "2026-03-02T00:00:00Z"
	b = openBook(t, renderBook(t, w, WorkbookOptions{}))
	if got := b.raw(SheetReliability, "F1"); got != "Downtime Mar 2026 MTD (min)" {
		t.Errorf("Reliability F1 = %q", got)
	}
}

func TestWorkbookPrintSetup(t *testing.T) {
	w := sampleWeekly(smallSample)
	b := openBook(t, renderBook(t, w, WorkbookOptions{}))
	names := map[string]string{}
	for _, d := range b.f.GetDefinedName() {
		names[d.Scope+" "+d.Name] = d.RefersTo
	}
	for _, sheet := range WorkbookSheets() {
		area, ok := names[sheet+" _xlnm.Print_Area"]
		if !ok || !strings.HasPrefix(area, quoteSheet(sheet)+"!$A$1:$") {
			t.Errorf("%s: print area %q", sheet, area)
		}
		// A sheet with one main table repeats its header on every page;
		// the Summary's blocks each have their own.
		if _, ok := names[sheet+" _xlnm.Print_Titles"]; ok != (sheet != SheetSummary) {
			t.Errorf("%s: print titles %t", sheet, ok)
		}
		xml := b.sheetXML(sheet)
		wants := []string{`orientation="landscape"`, `fitToWidth="1"`, `fitToHeight="0"`, `fitToPage="true"`}
		if sheet == SheetSummary {
			// A fixed scale and a column break before the charts: the
			// action list and tables on one page, the charts on the next.
			wants = []string{`orientation="landscape"`, `scale="55"`, `<colBreaks count="1" manualBreakCount="1"><brk id="6" `}
			if strings.Contains(xml, `fitToPage="true"`) {
				t.Errorf("Summary fits to the page, which would ignore the break before the charts")
			}
		}
		for _, want := range wants {
			if !strings.Contains(xml, want) {
				t.Errorf("%s: page setup lacks %s", sheet, want)
			}
		}
	}
	if got := names[SheetSpikeRuns+" _xlnm.Print_Titles"]; got != "'Spike runs'!$1:$1" {
		t.Errorf("Spike runs print titles %q, want the header row", got)
	}
	// The Summary's print area takes in the charts right of the tables.
	if got := names[SheetSummary+" _xlnm.Print_Area"]; !strings.HasPrefix(got, "'Summary'!$A$1:$Z$") {
		t.Errorf("Summary print area %q, want it to reach the charts (column V)", got)
	}
	last := strconv.Itoa(1 + len(w.SpikeRuns))
	if got := names[SheetSpikeRuns+" _xlnm.Print_Area"]; !strings.HasSuffix(got, "$"+last) {
		t.Errorf("Spike runs print area %q, want it to end at row %s", got, last)
	}
}

func TestWorkbookRelativeLinks(t *testing.T) {
	root := t.TempDir()
	out := filepath.Join(root, "runs", "CREDIT_REVIEWS")
	art := filepath.Join(root, "runs", "CREDIT_MONITORING", "2026-11-16")
	for _, d := range []string{out, art} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(art, "run_a.json"), []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	links := RelativeLinks(root, out)
	for _, tc := range []struct {
		target, want string
		ok           bool
	}{
		{"runs/CREDIT_MONITORING/2026-11-16/run_a.json", "../CREDIT_MONITORING/2026-11-16/run_a.json", true},
		{"runs/CREDIT_MONITORING/2026-11-16/run_missing.json", "", false},
		{"https://artifacts.invalid/run_a", "https://artifacts.invalid/run_a", true},
		{filepath.Join(art, "run_a.json"), filepath.Join(art, "run_a.json"), true},
	} {
		got, ok := links(tc.target)
		if got != tc.want || ok != tc.ok {
			t.Errorf("RelativeLinks(%q) = %q, %t; want %q, %t", tc.target, got, ok, tc.want, tc.ok)
		}
	}

	w := sampleWeekly(smallSample)
	w.SpikeRuns[0].ArtifactsLink = ptrTo("runs/CREDIT_MONITORING/2026-11-16/run_a.json")
	w.SpikeRuns[1].ArtifactsLink = ptrTo("runs/CREDIT_MONITORING/2026-11-16/run_missing.json")
	b := openBook(t, renderBook(t, w, WorkbookOptions{Links: links}))
	if f, _ := b.f.GetCellFormula(SheetSpikeRuns, "A2"); f != `HYPERLINK("../CREDIT_MONITORING/2026-11-16/run_a.json","`+w.SpikeRuns[0].RunID+`")` {
		t.Errorf("existing artifact link %q", f)
	}
	if f, _ := b.f.GetCellFormula(SheetSpikeRuns, "A3"); f != "" || b.raw(SheetSpikeRuns, "A3") != w.SpikeRuns[1].RunID {
		t.Errorf("missing artifact: formula %q, want plain text", f)
	}
}

// TestRelativeLinksAnswerAsStatDoes asks a resolver about many paths in a
// few folders, each twice, so that a folder's first answers come from
// stats and its later ones from its listing: every answer must be what
// os.Stat says — of files, folders, symbolic links live and dangling, a
// missing folder, a path through a file, absolute links ending in "/." or
// "/..", a file created after its folder was listed — and the link the
// same as one resolved by stats alone, with the root given absolute and
// relative to the working directory.
func TestRelativeLinksAnswerAsStatDoes(t *testing.T) {
	top := t.TempDir()
	root := filepath.Join(top, "root")
	art := filepath.Join(root, "runs", "CREDIT_MONITORING", "2026-11-16")
	if err := os.MkdirAll(filepath.Join(art, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(top, "outside.json"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	var targets []string
	for i := range 3 * listAfter {
		name := fmt.Sprintf("run_%03d.json", i)
		switch i % 4 {
		case 0: // a file
			if err := os.WriteFile(filepath.Join(art, name), nil, 0o644); err != nil {
				t.Fatal(err)
			}
		case 1: // a live symbolic link
			if err := os.Symlink("sub", filepath.Join(art, name)); err != nil {
				t.Fatal(err)
			}
		case 2: // a dangling one
			if err := os.Symlink("nowhere", filepath.Join(art, name)); err != nil {
				t.Fatal(err)
			}
		}
		targets = append(targets, "runs/CREDIT_MONITORING/2026-11-16/"+name, "runs/CREDIT_MONITORING/2026-12-01/"+name)
	}
	targets = append(targets, "runs/CREDIT_MONITORING/2026-11-16/sub", "runs/CREDIT_MONITORING/2026-11-16/run_000.json/x",
		"../outside.json", "runs/../../outside.json")
	for range listAfter + 1 {
		targets = append(targets, art+"/sub/..", art+"/.", art+"/nowhere/..", art+"/run_001.json/..")
	}
	late := "runs/CREDIT_MONITORING/2026-11-16/late.json"
	targets = append(targets, late)

	// The links a resolver that only stats would give.
	statLink := func(root, target string) (string, bool) {
		full := filepath.FromSlash(target)
		if filepath.IsAbs(full) {
			_, err := os.Stat(full)
			return target, err == nil
		}
		full = filepath.Join(root, full)
		if _, err := os.Stat(full); err != nil {
			return "", false
		}
		absDir, _ := filepath.Abs(filepath.Join(root, "runs", "CREDIT_REVIEWS"))
		absFull, _ := filepath.Abs(full)
		rel, err := filepath.Rel(absDir, absFull)
		return filepath.ToSlash(rel), err == nil
	}
	t.Chdir(top)
	for _, r := range []string{root, "root"} {
		if err := os.Remove(filepath.Join(art, "late.json")); err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		links := RelativeLinks(r, filepath.Join(r, "runs", "CREDIT_REVIEWS"))
		for pass := range 2 {
			if pass == 1 {
				// After every folder was listed.
				if err := os.WriteFile(filepath.Join(art, "late.json"), nil, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			for _, target := range targets {
				want, wantOK := statLink(r, target)
				if !wantOK {
					want = ""
				}
				if got, ok := links(target); got != want || ok != wantOK {
					t.Errorf("root %s, pass %d: %s resolved to %q, %t; by stats %q, %t", r, pass+1, target, got, ok, want, wantOK)
				}
			}
		}
	}
}

// TestRelativeLinksInAFolderThatCannotBeSearched: a folder its user may
// read but not search (r--) lists its names while a stat of any of them
// fails; a resolver must then answer as the stat does, before and after
// the folder is asked about often enough to be listed. Root searches every
// folder, so under root the test runs again as another user.
func TestRelativeLinksInAFolderThatCannotBeSearched(t *testing.T) {
	if os.Geteuid() == 0 {
		runAsAnotherUser(t)
		return
	}
	root := t.TempDir()
	dir := filepath.Join(root, "runs", "nox")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	var targets []string
	for i := range 2 * listAfter {
		name := fmt.Sprintf("run_%03d.json", i)
		if err := os.WriteFile(filepath.Join(dir, name), nil, 0o644); err != nil {
			t.Fatal(err)
		}
		targets = append(targets, "runs/nox/"+name)
	}
	if err := os.Chmod(dir, 0o444); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.Chmod(dir, 0o755) })
	links := RelativeLinks(root, filepath.Join(root, "out"))
	for _, target := range targets {
		_, err := os.Stat(filepath.Join(root, target))
		if _, ok := links(target); ok != (err == nil) {
			t.Errorf("%s resolved %t, but stat says %v", target, ok, err)
		}
	}
}

// runAsAnotherUser runs the calling test again, in a copy of this test
// binary, as user and group 65534 (nobody), and fails unless it passed
// there. It needs root, to switch users.
func runAsAnotherUser(t *testing.T) {
	t.Helper()
	const nobody = 65534
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	// A directory the other user can enter, holding a binary it can run.
	dir, err := os.MkdirTemp("", "ledgerlens-as-nobody-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	bin := filepath.Join(dir, "reports.test")
	data, err := os.ReadFile(self)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, data, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	// And a temporary directory of its own.
	tmp := filepath.Join(dir, "tmp")
	if err := os.Mkdir(tmp, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(tmp, nobody, nobody); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-test.run", "^"+t.Name()+"$", "-test.v", "-test.count", "1")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "TMPDIR="+tmp, "HOME="+tmp)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody}}
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: "+t.Name()) {
		t.Fatalf("%s as user %d: %v\n%s", t.Name(), nobody, err, out)
	}
}
