package reports

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"io"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

// TestDirectRowsAreExcelizeRows renders workbooks whose large last tables
// (the spike runs) are written directly, and the same workbooks with every
// row through excelize: the bytes are the same, for tables around the
// size from which rows are written directly, with links resolved, in
// another zone, and with a spike run whose text excelize would transform
// (which keeps its table on excelize).
func TestDirectRowsAreExcelizeRows(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	links := func(target string) (string, bool) { return "runs/" + target, !strings.HasSuffix(target, "7") }
	size := func(spikes int) sampleSize {
		return sampleSize{scenarios: 40, spikes: spikes, violations: 30, candidates: 2, services: 2, incidents: 2, rejects: 2}
	}
	for _, tc := range []struct {
		name   string
		size   sampleSize
		opts   WorkbookOptions
		change func(*Weekly)
		direct bool // whether rows are written directly
	}{
		{"below the size", size(directRowsFrom - 1), WorkbookOptions{}, nil, false},
		{"at the size", size(directRowsFrom), WorkbookOptions{Signed: true}, nil, true},
		{"links and zone", size(5000), WorkbookOptions{Location: berlin, Links: links}, nil, true},
		{"text with a line break", size(3000), WorkbookOptions{}, func(w *Weekly) { w.SpikeRuns[1500].Status = "Failed\nagain" }, false},
		{"text with an escape code", size(3000), WorkbookOptions{}, func(w *Weekly) { w.SpikeRuns[2999].ScenarioID = "S_x0041_" }, false},
		{"text to escape", size(3000), WorkbookOptions{}, func(w *Weekly) {
			w.SpikeRuns[7].ScenarioID = `<a href="x">&'é` + "\t\x01\uFFFE"
			w.SpikeRuns[8].Status = "naïve ünïcode ✓"
		}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := sampleWeekly(tc.size)
			if tc.change != nil {
				tc.change(w)
			}
			var direct, viaExcelize bytes.Buffer
			if err := RenderWorkbook(t.Context(), w, tc.opts, &direct); err != nil {
				t.Fatal(err)
			}
			opts := tc.opts
			opts.excelizeRows = true
			if err := RenderWorkbook(t.Context(), w, opts, &viaExcelize); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(direct.Bytes(), viaExcelize.Bytes()) {
				t.Fatalf("rows written directly gave another workbook (%d bytes against %d)", direct.Len(), viaExcelize.Len())
			}
			// Whether the rows went the direct way is seen in what the
			// render cost excelize: its rows' cells.
			if got := directlyWritten(t, w, tc.opts); got != tc.direct {
				t.Errorf("rows written directly: %v, want %v", got, tc.direct)
			}
		})
	}
}

// directlyWritten says whether rendering w left rows to directRows.
func directlyWritten(t *testing.T, w *Weekly, opts WorkbookOptions) bool {
	t.Helper()
	var n int
	opts.onDirectRows = func(string) { n++ }
	if err := RenderWorkbook(t.Context(), w, opts, io.Discard); err != nil {
		t.Fatal(err)
	}
	return n > 0
}

// TestDirectCellsAreExcelizeCells writes random cells of every kind, with
// text drawn from characters excelize treats specially, both ways: each
// cell directCell accepts gives excelize's bytes; those it refuses are
// the ones excelize writes otherwise than escaped (seen by writing them).
func TestDirectCellsAreExcelizeCells(t *testing.T) {
	f := excelize.NewFile()
	defer f.Close()
	st, err := newStyleSet(f)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(11, 12))
	pieces := []string{"a", "Z", "0", " ", "\t", "\n", "\r", "_", "x", "_x", "_x0041_", "_x005F_", "&", "<", ">", `"`, "'", "é", "✓", "\x01", "\uFFFE", "\xff", "HYPERLINK", "-", ".", "/"}
	text := func() string {
		var b strings.Builder
		for range rng.IntN(8) {
			b.WriteString(pieces[rng.IntN(len(pieces))])
		}
		return b.String()
	}
	kinds := []cellKind{kText, kOverflow, kLink, kHeader, kTitle, kSection, kNote, kCode, kGood, kInt, kIntLeft, kDec2, kDec4, kMult, kPct, kDateTime, kDate, kLate}
	floats := []float64{0, math.Copysign(0, -1), 1, -1.5, 0.1, 1e-7, 123456789.123, 1e21, 46000.5, math.MaxFloat64, math.SmallestNonzeroFloat64}
	cells := make([]sheetCell, 4000)
	for i := range cells {
		c := sheetCell{k: kinds[rng.IntN(len(kinds))], s: text(), link: "runs/" + text(), i: rng.Int64N(1<<40) - 1<<39, v: floats[rng.IntN(len(floats))] * rng.Float64()}
		if c.k == kLink && c.s == "" {
			c.s = "x"
		}
		cells[i] = c
	}
	// Each cell in a row of its own, through excelize's stream writer.
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		t.Fatal(err)
	}
	var cell excelize.Cell
	for i, c := range cells {
		if err := sw.SetRow("A"+strconv.Itoa(i+1), []any{st.value(c, &cell)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := sw.Flush(); err != nil {
		t.Fatal(err)
	}
	rows := sheetRows(t, f, "Sheet1")
	accepted := 0
	for i, c := range cells {
		row := strconv.Itoa(i + 1)
		want, ok := rows[row]
		if !ok {
			t.Fatalf("cell %d: no row %s in the sheet", i, row)
		}
		got, err := st.appendCellXML(nil, "A", row, c)
		same := err == nil && string(got) == want
		switch {
		case directCell(c) && !same:
			t.Fatalf("cell %d %+v: written\n%s\nexcelize writes\n%s", i, c, got, want)
		case directCell(c):
			accepted++
		case same && directText(c.s):
			t.Fatalf("cell %d %+v: refused, yet its text is plain", i, c)
		}
	}
	if accepted < 1000 {
		t.Errorf("only %d of 4000 cells were written directly: the test draws too few plain ones", accepted)
	}
}

// sheetRows is the XML inside each <row> of sheet in f's archive, by row
// number.
func sheetRows(t *testing.T, f *excelize.File, sheet string) map[string]string {
	t.Helper()
	buf, err := f.WriteToBuffer()
	if err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	id := 0
	for k, name := range f.GetSheetMap() {
		if name == sheet {
			id = k
		}
	}
	part, err := zr.Open("xl/worksheets/sheet" + strconv.Itoa(id) + ".xml")
	if err != nil {
		t.Fatal(err)
	}
	defer part.Close()
	data, err := io.ReadAll(part)
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]string{}
	for _, r := range strings.Split(string(data), "<row r=\"")[1:] {
		num, rest, _ := strings.Cut(r, "\">")
		cells, _, _ := strings.Cut(rest, "</row>")
		rows[num] = cells
	}
	return rows
}

// A row that cannot be rendered when the archive is written fails the
// workbook with its table and row; a rendering cancelled then ends with
// the context's error.
func TestDirectRowsFail(t *testing.T) {
	w := sampleWeekly(sampleSize{scenarios: 40, spikes: 3000, violations: 3, candidates: 2, services: 2, incidents: 2, rejects: 2})
	calls := 0
	links := func(target string) (string, bool) {
		calls++
		return target, true
	}
	// Links are resolved only when rows are written, not measured: the
	// first call is the first written row's.
	err := RenderWorkbook(t.Context(), w, WorkbookOptions{Links: func(target string) (string, bool) {
		if calls == 0 {
			w.SpikeRuns[2100].Timestamp = "yesterday" // after the measure pass
		}
		return links(target)
	}}, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "spike_runs row 2101") {
		t.Errorf("error %v, want one naming spike_runs row 2101", err)
	}
	w.SpikeRuns[2100].Timestamp = w.SpikeRuns[2099].Timestamp
	ctx, cancel := context.WithCancel(t.Context())
	err = RenderWorkbook(ctx, w, WorkbookOptions{Links: func(target string) (string, bool) {
		cancel()
		return target, true
	}}, io.Discard)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled rendering: %v, want context.Canceled", err)
	}
}
