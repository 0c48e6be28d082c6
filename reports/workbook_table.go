package reports

import (
	"context"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
)

// cellKind says how a cell's value is stored in the sheet and which style
// (and so which number format) shows it.
type cellKind uint8

const (
	kEmpty    cellKind = iota // no cell at all: how null is shown
	kText                     // plain text
	kLink                     // text with a HYPERLINK formula to a target
	kInt                      // integer, #,##0
	kDec2                     // credits, minutes, seconds: #,##0.00
	kDec4                     // CV, PSI: 0.0000
	kMult                     // multipliers: 0.00"×"
	kPct                      // percentages, stored as fractions: 0.00%
	kDateTime                 // Excel serial date-time in the configured zone
	kDate                     // Excel serial date
	kHeader                   // table header
	kTitle                    // sheet title (overflows; not measured)
	kSection                  // heading above a table (overflows; not measured)
	kNote                     // explanatory text (overflows; not measured)
	kCode                     // a shell command (overflows; not measured)
	kOverflow                 // plain text that may run into empty cells (not measured)
	kGood                     // "all clear" text in green (overflows; not measured)
	kIntLeft                  // integer, #,##0, left-aligned (a sequence number beside text)
	kLate                     // a delay stored in days: "2:35 h" below a day, "290.0 d" from one day on
	kindCount
)

// colouring names the conditional format a column gets.
type colouring uint8

const (
	colourNone       colouring = iota
	colourSeverity             // SEV0 dark red … SEV3 yellow, SEV4 plain
	colourDrift                // significant red, moderate amber, stable green
	colourReview               // investigate red, review amber, ok green
	colourLikelihood           // misconfig High red, Medium amber
	colourIntegrity            // modified red, ok and signed green, unsigned amber
	colourYesIsBad             // "yes" red (error-budget freeze)
	colourBelowOther           // red when below the value in column other
)

// Column widths are fitted to the longest rendered value and clamped: narrow
// columns stay clickable, and no single free-text value makes a table
// unreadably wide (a SHA-256 in hex, 64 characters, still fits).
const (
	minColWidth = 8
	maxColWidth = 70
)

// ctxCheckEvery is how many rows a sheet writes between context checks.
const ctxCheckEvery = 4096

// sheetCell is one rendered value before it reaches excelize.
type sheetCell struct {
	k    cellKind
	s    string  // text; for kLink the shown text
	v    float64 // numeric value as stored (fractions for kPct, serials for dates)
	i    int64   // kInt value, kept exact
	link string  // kLink target
}

// rowBuf collects the cells of one row. Its methods map the model's values
// — including nil pointers, which become empty cells — to cells, so the
// sheet builders read as a list of columns. A value that cannot be shown
// (an unparsable timestamp) sets err instead of panicking.
type rowBuf struct {
	cells []sheetCell
	loc   *time.Location
	links LinkResolver // nil: link targets are used as they are
	// widths: the row is only measured, so a link is not resolved (a
	// linked text is as wide as the same text unlinked).
	widths bool
	err    error
}

func (r *rowBuf) reset() {
	r.cells = r.cells[:0]
	r.err = nil
}

func (r *rowBuf) add(c sheetCell) { r.cells = append(r.cells, c) }

func (r *rowBuf) empty() { r.add(sheetCell{}) }

func (r *rowBuf) text(s string) {
	if s == "" {
		r.empty()
		return
	}
	r.add(sheetCell{k: kText, s: s})
}

func (r *rowBuf) optText(p *string) {
	if p == nil {
		r.empty()
		return
	}
	r.text(*p)
}

func (r *rowBuf) styled(k cellKind, s string) { r.add(sheetCell{k: k, s: s}) }

func (r *rowBuf) int(v int64) { r.add(sheetCell{k: kInt, i: v}) }

// intLeft is an integer shown left-aligned, so that it does not run into
// the text of the next column.
func (r *rowBuf) intLeft(v int64) { r.add(sheetCell{k: kIntLeft, i: v}) }

// optLate shows a delay given in minutes as a duration: hours and minutes
// below a day, days with one decimal from one day on. The cell holds days,
// so it sorts and sums like the minutes it came from.
func (r *rowBuf) optLate(minutes *float64) {
	if minutes == nil {
		r.empty()
		return
	}
	r.num(kLate, *minutes/1440)
}

func (r *rowBuf) num(k cellKind, v float64) {
	// JSON cannot carry NaN or ±Inf either, so the model never should; if one
	// slips through it is shown as unknown rather than as a corrupt cell.
	if math.IsNaN(v) || math.IsInf(v, 0) {
		r.empty()
		return
	}
	r.add(sheetCell{k: k, v: v})
}

func (r *rowBuf) optNum(k cellKind, p *float64) {
	if p == nil {
		r.empty()
		return
	}
	r.num(k, *p)
}

func (r *rowBuf) dec2(v float64)     { r.num(kDec2, v) }
func (r *rowBuf) optDec2(p *float64) { r.optNum(kDec2, p) }
func (r *rowBuf) dec4(v float64)     { r.num(kDec4, v) }
func (r *rowBuf) optDec4(p *float64) { r.optNum(kDec4, p) }
func (r *rowBuf) optMult(p *float64) { r.optNum(kMult, p) }

// pct stores a percentage as the fraction Excel's percent format expects:
// the model's 99.95 becomes 0.9995 and shows as 99.95%. The division is done
// in decimal (the model's digits with the exponent lowered by two) so the
// cell holds 0.164364 for 16.4364, not the 0.16436399999999998 a float
// division gives, and the formula bar shows the model's figure.
func (r *rowBuf) pct(v float64) {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		r.empty()
		return
	}
	f, err := strconv.ParseFloat(strconv.FormatFloat(v, 'g', -1, 64)+"e-2", 64)
	if err != nil {
		f = v / 100 // unreachable for a finite v; keep the plain quotient
	}
	r.num(kPct, f)
}

func (r *rowBuf) optPct(p *float64) {
	if p == nil {
		r.empty()
		return
	}
	r.pct(*p)
}

// yesNo shows a flag as text: spreadsheet programs disagree on how to show
// a boolean cell (LibreOffice shows 1 and 0), while "yes" and "no" read and
// filter the same everywhere.
func (r *rowBuf) yesNo(b bool) {
	if b {
		r.add(sheetCell{k: kText, s: "yes"})
		return
	}
	r.add(sheetCell{k: kText, s: "no"})
}

// overflow shows long text (a SHA-256, a path) that is not measured for the
// column width: as the last cell of its row it runs on into empty cells
// instead of widening a column that other tables on the sheet share.
func (r *rowBuf) overflow(s string) {
	if s == "" {
		r.empty()
		return
	}
	r.add(sheetCell{k: kOverflow, s: s})
}

// link shows text as a hyperlink to target when target is safe to link to,
// and as plain text otherwise.
func (r *rowBuf) link(text string, target *string) {
	if text == "" {
		r.empty()
		return
	}
	if r.widths || target == nil || !linkable(*target) || !formulaString(text) {
		r.text(text)
		return
	}
	to := *target
	if r.links != nil {
		var ok bool
		if to, ok = r.links(to); !ok || !linkable(to) {
			r.text(text)
			return
		}
	}
	r.add(sheetCell{k: kLink, s: text, link: to})
}

// time shows an RFC 3339 timestamp as an Excel date-time in the configured
// zone.
func (r *rowBuf) time(s string) {
	if s == "" {
		r.empty()
		return
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		r.fail(fmt.Errorf("timestamp %q: %w", s, err))
		return
	}
	serial, err := excelSerial(t.In(r.loc))
	if err != nil {
		r.fail(err)
		return
	}
	r.add(sheetCell{k: kDateTime, v: serial})
}

func (r *rowBuf) optTime(p *string) {
	if p == nil {
		r.empty()
		return
	}
	r.time(*p)
}

// date shows a calendar date (YYYY-MM-DD, already in the configured zone)
// as an Excel date. An RFC 3339 value is accepted too and converted to the
// zone first.
func (r *rowBuf) date(s string) {
	if s == "" {
		r.empty()
		return
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		ts, err2 := time.Parse(time.RFC3339Nano, s)
		if err2 != nil {
			r.fail(fmt.Errorf("date %q: %w", s, err))
			return
		}
		y, m, d := ts.In(r.loc).Date()
		t = time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	}
	serial, err := excelSerial(t)
	if err != nil {
		r.fail(err)
		return
	}
	r.add(sheetCell{k: kDate, v: serial})
}

func (r *rowBuf) fail(err error) {
	if r.err == nil {
		r.err = err
	}
	r.empty()
}

// excelSerialEpoch is day 0 of Excel's 1900 date system as used for every
// date after 1900-02-28 (Excel's phantom 1900-02-29 shifts the epoch):
// 1899-12-30T00:00:00Z in Unix seconds.
const excelSerialEpoch = -2209161600

// excelSerial converts t's wall-clock reading (in whatever zone t carries)
// to an Excel serial date: Excel dates have no zone, so the analyst sees the
// local time of the configured zone.
func excelSerial(t time.Time) (float64, error) {
	y, m, d := t.Date()
	if y < 1900 || y > 9999 || (y == 1900 && m < time.March) {
		return 0, fmt.Errorf("time %s is outside Excel's date range", t.Format(time.RFC3339))
	}
	hh, mm, ss := t.Clock()
	wall := time.Date(y, m, d, hh, mm, ss, 0, time.UTC).Unix()
	secs := float64(wall-excelSerialEpoch) + float64(t.Nanosecond())/1e9
	return secs / 86400, nil
}

// Excel refuses string literals longer than 255 characters inside a formula.
const maxFormulaString = 255

// linkable reports whether target may become a clickable link: a relative or
// absolute path, or a URL with a scheme a browser or file manager opens. The
// ledger is input, so scripting schemes never become links.
func linkable(target string) bool {
	if target == "" || !formulaString(target) {
		return false
	}
	scheme, _, ok := strings.Cut(target, ":")
	if !ok || strings.ContainsAny(scheme, `/\?#`) {
		return true // no scheme: a path
	}
	if len(scheme) == 1 {
		return true // a drive letter: C:\…
	}
	switch strings.ToLower(scheme) {
	case "http", "https", "file", "mailto":
		return true
	}
	return false
}

// formulaString reports whether s can be a string literal in a formula.
func formulaString(s string) bool {
	if utf8.RuneCountInString(s) > maxFormulaString {
		return false
	}
	for _, c := range s {
		if c < 0x20 || c == 0x7f {
			return false
		}
	}
	return true
}

// hyperlinkFormula is a HYPERLINK call showing text and opening target. The
// function is used rather than sheet hyperlink records because those cost a
// relationship each — excelize adds them in quadratic time and Excel caps a
// sheet at 65,530 — while a formula streams like any other cell.
func hyperlinkFormula(target, text string) string {
	q := func(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
	return "HYPERLINK(" + q(target) + "," + q(text) + ")"
}

// tableColumn is one column of a block's table.
type tableColumn struct {
	header string
	colour colouring
	other  int // colourBelowOther: index of the column compared against
}

// sheetBlock is one titled table (or list of lines) on a sheet. Sheets are laid
// out as blocks top to bottom with a blank row between them, which is what
// lets every sheet be written by the stream writer in row order.
type sheetBlock struct {
	name      string   // names the block in error messages
	title     string   // heading row above the table; "" for none
	titleKind cellKind // kSection unless set
	cols      []tableColumn
	n         int
	row       func(i int, r *rowBuf)
	empty     string   // note shown when n == 0
	emptyKind cellKind // how the note is shown: kNote unless set
	freeze    bool     // freeze the sheet below this block's header row
	filter    bool     // this block's range carries the sheet's auto-filter
}

// placedBlock is where layoutBlocks put a block.
type placedBlock struct {
	b         *sheetBlock
	titleRow  int // 0 when the block has no title
	headerRow int // 0 when the block has no header
	firstRow  int // first data row
	lastRow   int // last data row; < firstRow when there are none
	noteRow   int // row of the "empty" note; 0 when not shown
}

// dataRange is the block's data cells in column col (0-based), e.g. "C5:C9".
func (p placedBlock) dataRange(col int) string {
	c := colName(col)
	return c + strconv.Itoa(p.firstRow) + ":" + c + strconv.Itoa(p.lastRow)
}

// absRange is the same range with absolute references on sheet, as charts
// want it: 'Top scenarios'!$A$2:$A$6.
func (p placedBlock) absRange(sheet string, col int) string {
	c := colName(col)
	return quoteSheet(sheet) + "!$" + c + "$" + strconv.Itoa(p.firstRow) + ":$" + c + "$" + strconv.Itoa(p.lastRow)
}

func (p placedBlock) hasData() bool { return p.lastRow >= p.firstRow }

func layoutBlocks(blocks []*sheetBlock) []placedBlock {
	out := make([]placedBlock, len(blocks))
	row := 1
	for i, b := range blocks {
		p := placedBlock{b: b}
		if b.title != "" {
			p.titleRow = row
			row++
		}
		if b.cols != nil {
			p.headerRow = row
			row++
		}
		p.firstRow = row
		p.lastRow = row + b.n - 1
		row += b.n
		if b.n == 0 && b.empty != "" {
			p.noteRow = row
			row++
		}
		row++ // blank row between blocks
		out[i] = p
	}
	return out
}

// sheetWriter streams sheets of one workbook.
type sheetWriter struct {
	ctx   context.Context
	f     *excelize.File
	st    *styleSet
	loc   *time.Location
	links LinkResolver
	// scaledSummary: the weekly workbook's Summary prints at a fixed scale
	// (its charts set it up), not fitted to the page.
	scaledSummary bool
	// printTo, when set by a sheet's extra step (the Summary's charts), is
	// the bottom-right cell the print area must reach beyond the tables,
	// as 0-based column and 1-based row.
	printTo struct{ col, row int }
	// direct, when set, takes the rows a sheet's last table writes as XML
	// of its own (directRows), by the sheet's part in the archive, for
	// sortedZip to splice in; nil: every row goes through excelize.
	direct       map[string]func(io.Writer) error
	onDirectRows func(sheet string) // see WorkbookOptions
}

// write lays out blocks on sheet name, fits the column widths, freezes the
// header row, sets the auto-filter and conditional formats, then streams the
// rows. extra, when set, runs after layout and before the sheet is flushed
// (it adds the Summary's charts).
func (w *sheetWriter) write(name string, blocks []*sheetBlock, extra func(pl []placedBlock) error) error {
	if err := w.ctx.Err(); err != nil {
		return err
	}
	pl := layoutBlocks(blocks)
	r := &rowBuf{loc: w.loc, links: w.links}

	widths, direct, err := w.measure(pl, r)
	if err != nil {
		return fmt.Errorf("sheet %s: %w", name, err)
	}
	// Printed, a sheet is landscape and one page wide. The fit-to-page flag
	// lives in the sheet properties, which the stream writer writes when it
	// is created, so it is set first.
	// The weekly Summary, which has charts beside its tables, prints at a
	// fixed scale with a break before the charts (see summaryCharts).
	fit := !(extra != nil && name == SheetSummary && w.scaledSummary)
	if err := w.f.SetSheetProps(name, &excelize.SheetPropsOptions{FitToPage: ptrTo(fit)}); err != nil {
		return fmt.Errorf("sheet %s: properties: %w", name, err)
	}
	if err := w.f.SetPageLayout(name, &excelize.PageLayoutOptions{
		Orientation: ptrTo("landscape"), FitToWidth: ptrTo(1), FitToHeight: ptrTo(0),
	}); err != nil {
		return fmt.Errorf("sheet %s: page layout: %w", name, err)
	}
	sw, err := w.f.NewStreamWriter(name)
	if err != nil {
		return fmt.Errorf("sheet %s: %w", name, err)
	}
	// Everything that lives in the worksheet's XML after <sheetData> (filter,
	// conditional formats, drawing) must be set before Flush: Flush writes it
	// out from the worksheet the stream writer shares with the File.
	// excelize puts each new width in front of the earlier ones, and Excel
	// wants <col> elements in ascending order: so the last column goes first.
	for c := len(widths) - 1; c >= 0; c-- {
		if err := sw.SetColWidth(c+1, c+1, widths[c]); err != nil {
			return fmt.Errorf("sheet %s: column %s width: %w", name, colName(c), err)
		}
	}
	if err := w.decorate(sw, name, pl); err != nil {
		return fmt.Errorf("sheet %s: %w", name, err)
	}
	w.printTo.col, w.printTo.row = 0, 0
	if extra != nil {
		if err := extra(pl); err != nil {
			return fmt.Errorf("sheet %s: %w", name, err)
		}
	}
	if err := w.printSetup(name, pl, max(len(widths), w.printTo.col+1)); err != nil {
		return fmt.Errorf("sheet %s: %w", name, err)
	}
	if err := w.stream(sw, name, pl, r, direct); err != nil {
		return fmt.Errorf("sheet %s: %w", name, err)
	}
	if err := sw.Flush(); err != nil {
		return fmt.Errorf("sheet %s: flush: %w", name, err)
	}
	return nil
}

// printSetup names the sheet's print area (every laid-out row, across the
// measured columns, and the charts) and, on a sheet whose header row is
// frozen, that row as the one repeated at the top of every printed page.
// The page itself (landscape, one page wide) is set in write.
func (w *sheetWriter) printSetup(name string, pl []placedBlock, cols int) error {
	last, header := w.printTo.row, 0
	for _, p := range pl {
		last = max(last, p.lastRow, p.noteRow, p.headerRow, p.titleRow)
		if p.b.freeze && p.headerRow > 0 && header == 0 {
			header = p.headerRow
		}
	}
	if last == 0 || cols == 0 {
		return nil
	}
	q := quoteSheet(name)
	area := q + "!$A$1:$" + colName(cols-1) + "$" + strconv.Itoa(last)
	if err := w.f.SetDefinedName(&excelize.DefinedName{Name: "_xlnm.Print_Area", RefersTo: area, Scope: name}); err != nil {
		return fmt.Errorf("print area: %w", err)
	}
	if header > 0 {
		titles := q + "!$" + strconv.Itoa(header) + ":$" + strconv.Itoa(header)
		if err := w.f.SetDefinedName(&excelize.DefinedName{Name: "_xlnm.Print_Titles", RefersTo: titles, Scope: name}); err != nil {
			return fmt.Errorf("print titles: %w", err)
		}
	}
	return nil
}

// measure returns the width of each column: the longest rendered value or
// header, plus padding, clamped. Titles, notes and commands overflow into
// empty neighbours and are not measured.
//
// It also says, for each block, whether directRows can write all its
// cells (directCell).
func (w *sheetWriter) measure(pl []placedBlock, r *rowBuf) ([]float64, []bool, error) {
	r.widths = true
	defer func() { r.widths = false }()
	var chars []float64
	direct := make([]bool, len(pl))
	grow := func(c int, v float64) {
		for len(chars) <= c {
			chars = append(chars, 0)
		}
		chars[c] = max(chars[c], v)
	}
	var scratch [64]byte
	for k, p := range pl {
		b := p.b
		direct[k] = true
		for c, col := range b.cols {
			v := float64(utf8.RuneCountInString(col.header)) * 1.1 // bold
			if b.filter {
				v += 2 // the filter drop-down button
			}
			grow(c, v)
		}
		if err := eachRow(w.ctx, b, r, func(int) error {
			for c, cl := range r.cells {
				grow(c, float64(displayWidth(cl, scratch[:0])))
				direct[k] = direct[k] && directCell(cl)
			}
			return nil
		}); err != nil {
			return nil, nil, err
		}
	}
	widths := make([]float64, len(chars))
	for c, v := range chars {
		widths[c] = math.Round(min(max(v+2, minColWidth), maxColWidth)*4) / 4
	}
	return widths, direct, nil
}

// decorate sets the frozen pane, the auto-filter and the conditional formats
// of a laid-out sheet.
//
// A header is frozen only on a sheet with one table: a frozen header of
// the first of two tables stood over the second's columns once the reader
// scrolled down to it (an outside review).
func (w *sheetWriter) decorate(sw *excelize.StreamWriter, name string, pl []placedBlock) error {
	tables := 0
	for _, p := range pl {
		if p.headerRow > 0 {
			tables++
		}
	}
	for _, p := range pl {
		b := p.b
		if b.freeze && p.headerRow > 0 && tables == 1 {
			below := "A" + strconv.Itoa(p.headerRow+1)
			if err := sw.SetPanes(&excelize.Panes{
				Freeze: true, YSplit: p.headerRow, TopLeftCell: below, ActivePane: "bottomLeft",
				Selection: []excelize.Selection{{SQRef: below, ActiveCell: below, Pane: "bottomLeft"}},
			}); err != nil {
				return fmt.Errorf("freeze panes: %w", err)
			}
		}
		if b.filter && p.headerRow > 0 && len(b.cols) > 0 {
			// An empty table still gets a filter over its header and one row,
			// so the sheet behaves the same whether or not it has data.
			last := max(p.lastRow, p.headerRow+1)
			ref := "A" + strconv.Itoa(p.headerRow) + ":" + colName(len(b.cols)-1) + strconv.Itoa(last)
			if err := w.f.AutoFilter(name, ref, nil); err != nil {
				return fmt.Errorf("auto-filter %s: %w", ref, err)
			}
		}
		if !p.hasData() {
			continue
		}
		for c, col := range b.cols {
			if col.colour == colourNone {
				continue
			}
			topLeft := colName(c) + strconv.Itoa(p.firstRow)
			other := colName(col.other) + strconv.Itoa(p.firstRow)
			rules := w.st.rules(col.colour, topLeft, other)
			if err := w.f.SetConditionalFormat(name, p.dataRange(c), rules); err != nil {
				return fmt.Errorf("conditional format %s: %w", p.dataRange(c), err)
			}
		}
	}
	return nil
}

// stream writes the rows of every block in order. The rows of a large last
// block whose cells directRows can all write (direct, from measure) may be
// left to it instead (leaveRows).
func (w *sheetWriter) stream(sw *excelize.StreamWriter, name string, pl []placedBlock, r *rowBuf, direct []bool) error {
	var vals []any
	var styled []excelize.Cell // the row's styled cells, which vals points into
	setRow := func(row int, cells []sheetCell, opts ...excelize.RowOpts) error {
		vals = vals[:0]
		if len(styled) < len(cells) {
			styled = make([]excelize.Cell, len(cells))
		}
		for i, c := range cells {
			vals = append(vals, w.st.value(c, &styled[i]))
		}
		return sw.SetRow("A"+strconv.Itoa(row), vals, opts...)
	}
	for at, p := range pl {
		b := p.b
		if p.titleRow > 0 {
			k := b.titleKind
			if k == kEmpty {
				k = kSection
			}
			// Rows are not auto-fitted on load, so the larger heading fonts
			// get their height here.
			height := 18.0
			if k == kTitle {
				height = 24
			}
			if err := setRow(p.titleRow, []sheetCell{{k: k, s: b.title}}, excelize.RowOpts{Height: height}); err != nil {
				return fmt.Errorf("%s title: %w", b.name, err)
			}
		}
		if p.headerRow > 0 {
			hdr := make([]sheetCell, len(b.cols))
			for c, col := range b.cols {
				hdr[c] = sheetCell{k: kHeader, s: col.header}
			}
			if err := setRow(p.headerRow, hdr); err != nil {
				return fmt.Errorf("%s header: %w", b.name, err)
			}
		}
		if direct[at] && at == len(pl)-1 && w.leaveRows(name, p, r) {
			continue
		}
		if err := eachRow(w.ctx, b, r, func(i int) error {
			return setRow(p.firstRow+i, r.cells)
		}); err != nil {
			return err
		}
		if p.noteRow > 0 {
			k := b.emptyKind
			if k == kEmpty {
				k = kNote
			}
			if err := setRow(p.noteRow, []sheetCell{{k: k, s: b.empty}}); err != nil {
				return fmt.Errorf("%s note: %w", b.name, err)
			}
		}
	}
	return nil
}

// leaveRows leaves the rows of p, the last block of sheet name, whose
// cells directRows can all write, to directRows, and says whether it did:
// when direct rows are wanted, the block is large (directRowsFrom), no
// note follows its rows, and the sheet's part in the archive is known
// (excelize keeps a sheet it created as xl/worksheets/sheet<ID>.xml, its
// ID from the workbook).
func (w *sheetWriter) leaveRows(name string, p placedBlock, r *rowBuf) bool {
	if w.direct == nil || p.b.n < directRowsFrom || p.noteRow > 0 {
		return false
	}
	for id, sheet := range w.f.GetSheetMap() {
		if sheet != name {
			continue
		}
		part := "xl/worksheets/sheet" + strconv.Itoa(id) + ".xml"
		if _, taken := w.direct[part]; taken {
			return false
		}
		w.direct[part] = (&directRows{w: w, b: p.b, firstRow: p.firstRow, r: r}).writeTo
		if w.onDirectRows != nil {
			w.onDirectRows(name)
		}
		return true
	}
	return false
}

// eachRow renders the block's rows into r one at a time and calls fn with
// each row's index, checking ctx every ctxCheckEvery rows. An error names
// the block and the row.
func eachRow(ctx context.Context, b *sheetBlock, r *rowBuf, fn func(i int) error) error {
	for i := range b.n {
		if i%ctxCheckEvery == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		r.reset()
		b.row(i, r)
		if r.err != nil {
			return fmt.Errorf("%s row %d: %w", b.name, i+1, r.err)
		}
		if err := fn(i); err != nil {
			return fmt.Errorf("%s row %d: %w", b.name, i+1, err)
		}
	}
	return nil
}

// value is the excelize value of a cell: nil (no cell) for empty, a plain
// string for unstyled text, and otherwise a styled excelize.Cell, which it
// fills in cell and returns a pointer to. Passing excelize a pointer to a
// cell reused from row to row instead of a Cell value saves one
// allocation per cell: a large workbook has millions of them.
func (s *styleSet) value(c sheetCell, cell *excelize.Cell) any {
	switch c.k {
	case kEmpty:
		return nil
	case kText, kOverflow:
		return c.s
	case kLink:
		*cell = excelize.Cell{StyleID: s.sheetCell[kLink], Formula: hyperlinkFormula(c.link, c.s), Value: c.s}
	case kInt, kIntLeft:
		*cell = excelize.Cell{StyleID: s.sheetCell[c.k], Value: c.i}
	case kHeader, kTitle, kSection, kNote, kCode, kGood:
		*cell = excelize.Cell{StyleID: s.sheetCell[c.k], Value: c.s}
	default:
		*cell = excelize.Cell{StyleID: s.sheetCell[c.k], Value: c.v}
	}
	return cell
}

// displayWidth estimates how many characters the cell shows with its number
// format. scratch is reused to avoid an allocation per cell.
func displayWidth(c sheetCell, scratch []byte) int {
	switch c.k {
	case kText, kLink, kHeader:
		return utf8.RuneCountInString(c.s)
	case kInt, kIntLeft:
		return groupedLen(strconv.AppendInt(scratch, c.i, 10))
	case kLate:
		if c.v < 1 {
			return len("23:59 h")
		}
		return groupedLen(strconv.AppendFloat(scratch, c.v, 'f', 1, 64)) + 2
	case kDec2:
		return groupedLen(strconv.AppendFloat(scratch, c.v, 'f', 2, 64))
	case kDec4:
		return len(strconv.AppendFloat(scratch, c.v, 'f', 4, 64))
	case kMult:
		return len(strconv.AppendFloat(scratch, c.v, 'f', 2, 64)) + 1
	case kPct:
		return len(strconv.AppendFloat(scratch, c.v*100, 'f', 2, 64)) + 1
	case kDateTime:
		return len(numFmtDateTime)
	case kDate:
		return len(numFmtDate)
	}
	return 0
}

// groupedLen is the length of a formatted number once thousands separators
// are added to its integer part.
func groupedLen(num []byte) int {
	digits := 0
	for _, ch := range num {
		if ch == '.' {
			break
		}
		if ch >= '0' && ch <= '9' {
			digits++
		}
	}
	if digits == 0 {
		return len(num)
	}
	return len(num) + (digits-1)/3
}

// colName is the column letter(s) of a 0-based column index: 0 → A,
// 26 → AA.
func colName(c int) string {
	var buf [8]byte
	i := len(buf)
	for n := c + 1; n > 0; n = (n - 1) / 26 {
		i--
		buf[i] = byte('A' + (n-1)%26)
	}
	return string(buf[i:])
}

// quoteSheet quotes a sheet name for use in a reference.
func quoteSheet(name string) string {
	return "'" + strings.ReplaceAll(name, "'", "''") + "'"
}
