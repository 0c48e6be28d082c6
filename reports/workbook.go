package reports

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"
)

// Sheet names of the analyst workbook, in workbook order (docs/ARCHITECTURE.md, "Workbook").
const (
	SheetSummary            = "Summary"
	SheetTopScenarios       = "Top scenarios"
	SheetScenarios          = "Scenarios"
	SheetSpikeRuns          = "Spike runs"
	SheetPolicyViolations   = "Policy violations"
	SheetBaselineCandidates = "Baseline candidates"
	SheetDrift              = "Drift"
	SheetReliability        = "Reliability"
	SheetIncidents          = "Incidents"
	SheetDataQuality        = "Data quality"
	SheetAbout              = "About"
)

// WorkbookSheets returns the workbook's sheet names in workbook order.
func WorkbookSheets() []string {
	return []string{
		SheetSummary, SheetTopScenarios, SheetScenarios, SheetSpikeRuns,
		SheetPolicyViolations, SheetBaselineCandidates, SheetDrift,
		SheetReliability, SheetIncidents, SheetDataQuality, SheetAbout,
	}
}

// WorkbookOptions are the settings of one workbook rendering.
type WorkbookOptions struct {
	Location *time.Location // configured time zone for Excel dates (default UTC)
	Signed   bool           // whether a .sig will accompany the publication (for the Summary/About text)
	// Links, when set, resolves the ledger's artifact links (see
	// RelativeLinks); nil uses them as recorded.
	Links LinkResolver
	// excelizeRows writes every row through excelize, none directly
	// (directRows); onDirectRows, when set, hears of each sheet whose rows
	// are written directly. Both are for tests, which compare the two ways.
	excelizeRows bool
	onDirectRows func(sheet string)
}

// reportIDPrefix is how Weekly.ReportID starts; the rest is the Monday.
const reportIDPrefix = "CREDIT_REVIEW_"

// RenderWorkbook writes the analyst workbook weekly_<Monday>.xlsx (docs/ARCHITECTURE.md, "Workbook")
// for w to out. Every figure comes from w as it is; the workbook only chooses
// how to show it (number formats, dates in opts.Location, colours, charts).
//
// The same w and opts give byte-identical output: document properties carry
// the period end, not the clock, and the archive's parts are written in a
// fixed order with a fixed date. All sheets are streamed and the compressed
// parts wait in a temporary file, so memory stays flat however many spike
// runs or scenarios the report has; nothing is written to out until the
// workbook is complete.
func RenderWorkbook(ctx context.Context, w *Weekly, opts WorkbookOptions, out io.Writer) error {
	if w == nil {
		return errors.New("render workbook: nil report")
	}
	if out == nil {
		return errors.New("render workbook: nil writer")
	}
	if opts.Location == nil {
		opts.Location = time.UTC
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("render workbook %s: %w", w.ReportID, err)
	}
	if err := renderWorkbook(ctx, w, opts, out); err != nil {
		return fmt.Errorf("render workbook %s: %w", w.ReportID, err)
	}
	return nil
}

func renderWorkbook(ctx context.Context, w *Weekly, opts WorkbookOptions, out io.Writer) (err error) {
	f := excelize.NewFile()
	defer func() {
		// Close removes the stream writers' temporary files.
		if cerr := f.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("close: %w", cerr)
		}
	}()
	st, err := setUpWorkbook(f, WorkbookSheets(), workbookDoc{
		Title:       "Weekly credit review " + w.ReportID,
		Subject:     "Weekly credit review for the period starting " + w.PeriodStart,
		Category:    "Credit review",
		Keywords:    "credit review",
		ReportID:    w.ReportID,
		Schema:      w.Schema,
		PeriodEnd:   w.PeriodEnd,
		Provenance:  w.Provenance,
		Preliminary: w.Preliminary,
	})
	if err != nil {
		return err
	}
	var direct map[string]func(io.Writer) error
	if !opts.excelizeRows {
		direct = map[string]func(io.Writer) error{}
	}
	day := publicationDay(w, opts.Location)
	b := &workbookBuilder{
		w:    w,
		opts: opts,
		day:  day,
		base: Name(PublicationWeekly+"_"+day, w.Revision, ""),
		sw: &sheetWriter{ctx: ctx, f: f, st: st, loc: opts.Location, links: opts.Links, scaledSummary: true,
			direct: direct, onDirectRows: opts.onDirectRows},
	}
	if err := b.build(); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return writeSorted(f, out, direct)
}

// workbookDoc is what a workbook's document properties say about the report
// it renders.
type workbookDoc struct {
	Title, Subject, Category, Keywords string
	ReportID, Schema, PeriodEnd        string
	Provenance                         Provenance
	// Preliminary marks the workbook of a period that had not ended, in
	// its document properties (cp:contentStatus "Preliminary"), so that
	// `verify` can refuse it under a final report's name.
	Preliminary bool
}

// ContentStatusPreliminary is a preliminary workbook's cp:contentStatus.
const ContentStatusPreliminary = "Preliminary"

// setUpWorkbook names the workbook's sheets in order, fills its document
// properties and creates its styles: what every rendered workbook starts with.
func setUpWorkbook(f *excelize.File, sheets []string, doc workbookDoc) (*styleSet, error) {
	if err := f.SetSheetName("Sheet1", sheets[0]); err != nil {
		return nil, err
	}
	for _, name := range sheets[1:] {
		if _, err := f.NewSheet(name); err != nil {
			return nil, fmt.Errorf("sheet %s: %w", name, err)
		}
	}
	if err := setDocProps(f, doc); err != nil {
		return nil, err
	}
	return newStyleSet(f)
}

// setDocProps fills the document properties. Created and Modified are the
// period end, so no clock reading reaches the file.
func setDocProps(f *excelize.File, d workbookDoc) error {
	stamp := ""
	if d.PeriodEnd != "" {
		end, err := time.Parse(time.RFC3339Nano, d.PeriodEnd)
		if err != nil {
			return fmt.Errorf("period_end %q: %w", d.PeriodEnd, err)
		}
		stamp = end.UTC().Format("2006-01-02T15:04:05Z")
	}
	g := d.Provenance.Generator
	gen := strings.TrimSpace(g.Name + " " + g.Version)
	status := ""
	if d.Preliminary {
		status = ContentStatusPreliminary
	}
	if err := f.SetDocProps(&excelize.DocProperties{
		ContentStatus:  status,
		Title:          d.Title,
		Subject:        d.Subject,
		Description:    "Analyst workbook rendered from " + d.ReportID + " (" + d.Schema + "); the signed JSON report is the record.",
		Identifier:     d.ReportID,
		Keywords:       "ledgerlens; " + d.Keywords + "; " + d.ReportID,
		Category:       d.Category,
		Creator:        gen,
		LastModifiedBy: gen,
		Revision:       strconv.Itoa(max(d.Provenance.Revision, 1)),
		Version:        g.Version,
		Language:       "en",
		Created:        stamp,
		Modified:       stamp,
	}); err != nil {
		return fmt.Errorf("document properties: %w", err)
	}
	return nil
}

// writeSorted writes the finished workbook to out byte-for-byte
// reproducibly. Adding a drawing makes excelize register the image content
// types in map order; their order carries no meaning, so it is fixed here.
// excelize hands every part to the ZipWriter; sortedZip writes them to out
// in a fixed order when excelize closes it. The buffer excelize offers the
// writer is left unused, so the finished archive is never held in memory.
func writeSorted(f *excelize.File, out io.Writer, rows map[string]func(io.Writer) error) (err error) {
	if ct := f.ContentTypes; ct != nil {
		sort.Slice(ct.Defaults, func(i, j int) bool { return ct.Defaults[i].Extension < ct.Defaults[j].Extension })
	}
	zw := newSortedZip(out, "", rows)
	defer func() {
		if cerr := zw.cleanup(); cerr != nil && err == nil {
			err = cerr
		}
	}()
	f.SetZipWriter(func(io.Writer) excelize.ZipWriter { return zw })
	if _, err := f.WriteToBuffer(); err != nil {
		return fmt.Errorf("write: %w", err)
	}
	return nil
}

// publicationDay is the report's Monday as in its file names (from its
// report id; from its period start, or "unknown", without one).
func publicationDay(w *Weekly, loc *time.Location) string {
	day, ok := strings.CutPrefix(w.ReportID, reportIDPrefix)
	if !ok || day == "" {
		day = "unknown"
		if t, err := time.Parse(time.RFC3339Nano, w.PeriodStart); err == nil {
			day = t.In(loc).Format(time.DateOnly)
		}
	}
	return day
}

// workbookBuilder renders the sheets of one workbook.
type workbookBuilder struct {
	w    *Weekly
	opts WorkbookOptions
	// day is the report's Monday, base its file name without extension,
	// revision aware: weekly_D for revision 1, weekly_D.rK for revision K.
	day  string
	base string
	sw   *sheetWriter
	// layouts and driftOrder cache what the action-required links look
	// up: each sheet's laid-out blocks, and each drift entry's row.
	layouts    map[string][]placedBlock
	driftOrder map[*Drift]int
}

func (b *workbookBuilder) build() error {
	steps := []struct {
		sheet  string
		blocks func() []*sheetBlock
		extra  func([]placedBlock) error
	}{
		{SheetSummary, b.summaryStatsBlocks, b.summaryCharts},
		{SheetTopScenarios, func() []*sheetBlock { return b.scenariosBlocks("top_scenarios_by_total", b.w.TopScenariosByTotal) }, nil},
		{SheetScenarios, func() []*sheetBlock { return b.scenariosBlocks("scenarios", b.w.Scenarios) }, nil},
		{SheetSpikeRuns, b.spikeRunsBlocks, nil},
		{SheetPolicyViolations, b.policyViolationsBlocks, nil},
		{SheetBaselineCandidates, b.baselineCandidatesBlocks, nil},
		{SheetDrift, b.driftBlocks, nil},
		{SheetReliability, b.reliabilityBlocks, nil},
		{SheetIncidents, b.reliabilityIncidentsBlocks, nil},
		{SheetDataQuality, b.dataQualityBlocks, nil},
		{SheetAbout, b.aboutBlocks, nil},
	}
	for _, s := range steps {
		if err := b.sw.write(s.sheet, s.blocks(), s.extra); err != nil {
			return err
		}
	}
	return nil
}
