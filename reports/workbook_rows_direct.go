package reports

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"
)

// directRowsFrom is the size from which a table's rows may be written as
// sheet XML directly (directRows) instead of through excelize's stream
// writer: the spike-run table of a large report, whose rows are nearly all
// of the workbook's work. Smaller tables are left to excelize.
const directRowsFrom = 1024

// directRows writes the rows of the last table on a sheet, as the XML
// excelize's StreamWriter.SetRow writes for the same cells, byte for byte
// (TestDirectRowsAreExcelizeRows, TestDirectCellsAreExcelizeCells).
// excelize spends a regular expression, an XML escape into a fresh string
// and four allocations on every text cell; at ten million runs the spike
// runs are 1.5 million cells and that was two thirds of the workbook's
// time (bench/HISTORY.md, stop 34). The rows are written when excelize hands
// the sheet's part to the archive (sortedZip splices them in before
// </sheetData>), rendered from the model then, so they are never held in
// memory or in a file. Only tables whose every cell directCell accepts
// are written this way: anything excelize would transform (leading or
// trailing white space, a line break, an "_x" escape sequence, text over
// Excel's cell limit, a number that is not finite) keeps the whole table
// on excelize.
type directRows struct {
	w        *sheetWriter
	b        *sheetBlock
	firstRow int // the sheet row of the table's first row
	r        *rowBuf
}

// writeTo renders the table's rows and writes their XML to out.
func (d *directRows) writeTo(out io.Writer) error {
	b := d.b
	cols := make([]string, len(b.cols))
	for c := range cols {
		cols[c] = colName(c)
	}
	buf := make([]byte, 0, 64<<10)
	for i := range b.n {
		if i%ctxCheckEvery == 0 {
			if err := d.w.ctx.Err(); err != nil {
				return err
			}
		}
		d.r.reset()
		b.row(i, d.r)
		if d.r.err != nil {
			return fmt.Errorf("%s row %d: %w", b.name, i+1, d.r.err)
		}
		row := strconv.Itoa(d.firstRow + i)
		buf = append(append(append(buf, `<row r="`...), row...), `">`...)
		for c, cell := range d.r.cells {
			if c >= len(cols) {
				cols = append(cols, colName(c))
			}
			var err error
			if buf, err = d.w.st.appendCellXML(buf, cols[c], row, cell); err != nil {
				return fmt.Errorf("%s row %d: %w", b.name, i+1, err)
			}
		}
		buf = append(buf, `</row>`...)
		if len(buf) >= cap(buf)-4<<10 {
			if _, err := out.Write(buf); err != nil {
				return err
			}
			buf = buf[:0]
		}
	}
	_, err := out.Write(buf)
	return err
}

// directCell says whether appendCellXML writes c exactly as excelize would.
func directCell(c sheetCell) bool {
	switch c.k {
	case kEmpty, kInt, kIntLeft:
		return true
	case kText, kOverflow, kLink, kHeader, kTitle, kSection, kNote, kCode, kGood:
		return directText(c.s)
	default:
		return !math.IsNaN(c.v) && !math.IsInf(c.v, 0)
	}
}

// directText says whether excelize writes s as its XML escape and nothing
// more: no leading or trailing space, tab, CR or LF (excelize adds
// xml:space="preserve"), no line break (it undoes the escape of LF), no
// "_x" (its escape of what could read as an _xHHHH_ code), and within
// Excel's 32,767 characters a cell (it truncates).
func directText(s string) bool {
	if s == "" || len(s) > excelize.TotalCellChars {
		return s == ""
	}
	isSpace := func(b byte) bool { return b == ' ' || b == '\t' || b == '\r' || b == '\n' }
	return !isSpace(s[0]) && !isSpace(s[len(s)-1]) && strings.IndexByte(s, '\n') < 0 && !strings.Contains(s, "_x")
}

// appendCellXML appends the XML of cell c at column col of row, as
// excelize's stream writer writes the value styleSet.value gives it. The
// caller has checked directCell(c).
func (s *styleSet) appendCellXML(dst []byte, col, row string, c sheetCell) ([]byte, error) {
	start := func(style int, typ string) []byte {
		dst = append(append(append(append(dst, `<c r="`...), col...), row...), '"')
		if style != 0 {
			dst = append(strconv.AppendInt(append(dst, ` s="`...), int64(style), 10), '"')
		}
		if typ != "" {
			dst = append(append(append(dst, ` t="`...), typ...), '"')
		}
		return append(dst, '>')
	}
	inline := func(style int, text string) []byte {
		dst = start(style, "inlineStr")
		dst = appendEscaped(append(dst, `<is><t>`...), text)
		return append(dst, `</t></is></c>`...)
	}
	switch c.k {
	case kEmpty:
		return dst, nil
	case kText, kOverflow:
		return inline(0, c.s), nil
	case kLink:
		dst = start(s.sheetCell[kLink], "str")
		dst = appendEscaped(append(dst, `<f>`...), hyperlinkFormula(c.link, c.s))
		dst = append(dst, `</f>`...)
		if c.s != "" { // excelize writes no value for an empty one
			dst = append(appendEscaped(append(dst, `<v>`...), c.s), `</v>`...)
		}
		return append(dst, `</c>`...), nil
	case kHeader, kTitle, kSection, kNote, kCode, kGood:
		return inline(s.sheetCell[c.k], c.s), nil
	case kInt, kIntLeft:
		dst = start(s.sheetCell[c.k], "")
		dst = strconv.AppendInt(append(dst, `<v>`...), c.i, 10)
		return append(dst, `</v></c>`...), nil
	default:
		if math.IsNaN(c.v) || math.IsInf(c.v, 0) {
			return dst, fmt.Errorf("cell %s%s: %v cannot be written directly", col, row, c.v)
		}
		dst = start(s.sheetCell[c.k], "")
		dst = strconv.AppendFloat(append(dst, `<v>`...), c.v, 'f', -1, 64)
		return append(dst, `</v></c>`...), nil
	}
}

// appendEscaped appends s escaped as encoding/xml.EscapeText escapes it,
// which is what excelize uses; text that needs no escape is copied as it
// is.
func appendEscaped(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		switch b := s[i]; {
		case b < 0x20 || b >= 0x80 || b == '&' || b == '<' || b == '>' || b == '"' || b == '\'':
			var w bytes.Buffer
			_ = xml.EscapeText(&w, []byte(s)) // writing to a bytes.Buffer does not fail
			return append(dst, w.Bytes()...)
		}
	}
	return append(dst, s...)
}
