package reports

import (
	"fmt"
	"strconv"

	"github.com/xuri/excelize/v2"
)

// Chart geometry on the Summary sheet, in pixels. Two charts sit side by side
// to the right of the tables below the action-required list (which keeps
// the full width), the day line spans both below them; a default row is
// 20 px high, so the second band starts below the first one's rows.
const (
	chartWidth     = 600
	chartHeight    = 320
	chartGap       = 20
	chartDayHeight = 300
	chartRowsBand  = chartHeight/20 + 2
	sevChartLevels = 4  // SEV0..SEV3
	defaultColPx   = 64 // a default-width column (8.43 characters of Calibri 11)
	// summaryPrintScale (percent) fits the Summary's tables on a landscape
	// page's width.
	summaryPrintScale = 55
	chartColsBand     = (chartWidth + chartGap + defaultColPx - 1) / defaultColPx
)

// Chart colours.
const (
	colourSeriesMain   = "2F5597"
	colourSeriesSecond = "9DC3E6"
)

// summaryCharts adds the Summary's three native charts. They read their data
// from cells, never from copies: the top-scenarios bar from the Top scenarios
// sheet, the day line and the severity columns from the Summary's own
// tables.
func (b *workbookBuilder) summaryCharts(pl []placedBlock) error {
	f := b.sw.f
	width := 0
	var severity, perDay placedBlock
	chartTopRow := 2
	for _, p := range pl {
		if p.b.name == blockAction {
			continue // its text runs on to the right; the charts start below it
		}
		width = max(width, len(p.b.cols))
		switch p.b.name {
		case blockPeriod:
			chartTopRow = p.titleRow + 1
		case blockSeverity:
			severity = p
		case blockPerDay:
			perDay = p
		}
	}
	// One empty column between the tables and the charts. The columns right
	// of the tables keep the default width, so the second chart is anchored
	// a whole number of default columns to the right: excelize does not carry
	// a horizontal offset over into the next columns.
	anchor := width + 1
	// The bar and column charts take the upper slots in turn, so that one
	// missing chart leaves no hole; the day line spans the band below.
	slots := []string{
		colName(anchor) + strconv.Itoa(chartTopRow),
		colName(anchor+chartColsBand) + strconv.Itoa(chartTopRow),
	}
	next := func() string {
		s := slots[0]
		slots = slots[1:]
		return s
	}
	below := colName(anchor) + strconv.Itoa(chartTopRow+chartRowsBand)
	// The print area reaches the charts: two bands of columns right of the
	// tables, down to the day line's last row.
	b.sw.printTo.col = anchor + 2*chartColsBand - 1
	b.sw.printTo.row = chartTopRow + chartRowsBand + chartDayHeight/20 + 1
	// Printed on one page's width, the tables and the charts would shrink
	// to half size. The Summary is printed at a fixed scale instead, with
	// a column break before the charts: the action list and the tables
	// fill the first page, the charts the next (spreadsheet programs
	// ignore manual breaks when fitting to pages).
	if err := f.InsertPageBreak(SheetSummary, colName(anchor)+"1"); err != nil {
		return fmt.Errorf("page break before the charts: %w", err)
	}
	if err := f.SetPageLayout(SheetSummary, &excelize.PageLayoutOptions{AdjustTo: ptrTo(uint(summaryPrintScale))}); err != nil {
		return fmt.Errorf("page layout: %w", err)
	}
	// With no runs every chart would be flat or empty; the Summary says so
	// in its notes instead.
	runs := b.w.SummaryStats.TotalRuns > 0

	title := func(s string) []excelize.RichTextRun {
		return []excelize.RichTextRun{{Text: s, Font: &excelize.Font{Bold: true, Size: 12}}}
	}
	axisTitle := func(s string) []excelize.RichTextRun {
		return []excelize.RichTextRun{{Text: s, Font: &excelize.Font{Size: 10}}}
	}
	fill := func(colour string) excelize.Fill {
		return excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{colour}}
	}
	countFmt := excelize.ChartNumFmt{CustomNumFmt: "#,##0"}
	// Credits reach millions: written out in full, the horizontal axis
	// labels of the bar chart run into each other, so they are abbreviated.
	creditsFmt := excelize.ChartNumFmt{CustomNumFmt: `[>=1000000]#,##0.0,,"M";[>=1000]#,##0,"k";#,##0`}
	// Tick labels default to a pale grey that is hard to read on screen.
	tickFont := excelize.Font{Color: "404040", Size: 9}

	if runs && len(b.w.TopScenariosByTotal) > 0 {
		tp := layoutBlocks(b.scenariosBlocks("top_scenarios_by_total", b.w.TopScenariosByTotal))[0]
		if err := f.AddChart(SheetSummary, next(), &excelize.Chart{
			Type: excelize.Bar,
			Series: []excelize.ChartSeries{{
				Name:       tp.headerRef(SheetTopScenarios, scenarioTotalCol),
				Categories: tp.absRange(SheetTopScenarios, scenarioIDCol),
				Values:     tp.absRange(SheetTopScenarios, scenarioTotalCol),
				Fill:       fill(colourSeriesMain),
			}},
			Title:  title("Top scenarios by total credits"),
			Legend: excelize.ChartLegend{Position: "none"},
			// Reversed so that the largest scenario is the top bar, as in
			// the table.
			XAxis:     excelize.ChartAxis{Title: axisTitle("Scenario"), ReverseOrder: true, Font: tickFont},
			YAxis:     excelize.ChartAxis{Title: axisTitle("Credits"), MajorGridLines: true, NumFmt: creditsFmt, Font: tickFont},
			Dimension: excelize.ChartDimension{Width: chartWidth, Height: chartHeight},
		}); err != nil {
			return fmt.Errorf("top scenarios chart: %w", err)
		}
	}

	// SEV4 runs outnumber the rest by orders of magnitude and would flatten
	// every other column, so the chart shows SEV0–SEV3 (the rows above SEV4
	// in the table, which lists all levels) with their values on the bars.
	sevChart := severity
	sevChart.lastRow = min(severity.lastRow, severity.firstRow+sevChartLevels-1)
	if runs && sevChart.hasData() {
		if err := f.AddChart(SheetSummary, next(), &excelize.Chart{
			Type: excelize.Col,
			Series: []excelize.ChartSeries{
				{
					Name:       sevChart.headerRef(SheetSummary, 1),
					Categories: sevChart.absRange(SheetSummary, 0),
					Values:     sevChart.absRange(SheetSummary, 1),
					Fill:       fill(colourSeriesSecond),
				},
				{
					Name:       sevChart.headerRef(SheetSummary, 2),
					Categories: sevChart.absRange(SheetSummary, 0),
					Values:     sevChart.absRange(SheetSummary, 2),
					Fill:       fill(colourSeriesMain),
				},
			},
			Title:     title("Runs per severity, SEV0–SEV3"),
			PlotArea:  excelize.ChartPlotArea{ShowVal: true},
			Legend:    excelize.ChartLegend{Position: "bottom"},
			XAxis:     excelize.ChartAxis{Title: axisTitle("Severity"), Font: tickFont},
			YAxis:     excelize.ChartAxis{Title: axisTitle("Runs"), MajorGridLines: true, NumFmt: countFmt, Font: tickFont},
			Dimension: excelize.ChartDimension{Width: chartWidth, Height: chartHeight},
		}); err != nil {
			return fmt.Errorf("severity chart: %w", err)
		}
	}

	if runs && perDay.hasData() {
		if err := f.AddChart(SheetSummary, below, &excelize.Chart{
			Type: excelize.Line,
			Series: []excelize.ChartSeries{{
				Name:       perDay.headerRef(SheetSummary, 1),
				Categories: perDay.absRange(SheetSummary, 0),
				Values:     perDay.absRange(SheetSummary, 1),
				Line:       excelize.ChartLine{Width: 2.25, Fill: fill(colourSeriesMain)},
				Marker:     excelize.ChartMarker{Symbol: "circle", Size: 6, Fill: fill(colourSeriesMain)},
			}},
			Title:  title("Credits per day"),
			Legend: excelize.ChartLegend{Position: "none"},
			XAxis: excelize.ChartAxis{Title: axisTitle("Day (" + b.zoneName() + ")"), Font: tickFont,
				NumFmt: excelize.ChartNumFmt{CustomNumFmt: "ddd yyyy-mm-dd"}},
			YAxis:     excelize.ChartAxis{Title: axisTitle("Credits"), MajorGridLines: true, NumFmt: countFmt, Font: tickFont},
			Dimension: excelize.ChartDimension{Width: chartColsBand*defaultColPx + chartWidth, Height: chartDayHeight},
		}); err != nil {
			return fmt.Errorf("credits per day chart: %w", err)
		}
	}
	return nil
}

// headerRef is the absolute reference of the block's header cell in column
// col, used as a chart series name so the legend matches the table.
func (p placedBlock) headerRef(sheet string, col int) string {
	return quoteSheet(sheet) + "!$" + colName(col) + "$" + strconv.Itoa(p.headerRow)
}
