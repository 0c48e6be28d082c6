package reports

import (
	"fmt"

	"github.com/xuri/excelize/v2"
)

// Number formats of the workbook. Credits and durations share the two-decimal
// grouped format; percentages are stored as fractions (99.95 % as 0.9995) so
// that Excel's own percent format shows them and sorting and charts see the
// true value.
const (
	numFmtInt      = "#,##0"
	numFmtDec2     = "#,##0.00"
	numFmtDec4     = "0.0000"
	numFmtMult     = `0.00"×"`
	numFmtPct      = "0.00%"
	numFmtDateTime = "yyyy-mm-dd hh:mm:ss"
	numFmtDate     = "yyyy-mm-dd"
	// numFmtLate shows a delay held in days: h:mm below one day, days
	// with one decimal from one day on.
	numFmtLate = `[<1][h]:mm" h";#,##0.0" d"`
)

// fontFamily is the workbook's default font; styles that set any font
// property name it too, or spreadsheet programs fall back to their own.
const fontFamily = "Calibri"

// Colours used by the workbook, in one place so the palette stays coherent.
const (
	colourHeaderFill = "DDE7F3"
	colourHeaderLine = "8EA9C8"
	colourTitle      = "1F3864"
	colourLink       = "0563C1"
	colourNote       = "595959"

	// Severity fills (conditional formats), strongest first.
	colourSev0 = "7B0000" // dark red
	colourSev1 = "D9262B" // red
	colourSev2 = "F4A340" // orange
	colourSev3 = "FFE27A" // yellow

	// Status fills follow Excel's own "Bad / Neutral / Good" cell styles so
	// analysts recognise them.
	colourBadFill     = "FFC7CE"
	colourBadFont     = "9C0006"
	colourNeutralFill = "FFEB9C"
	colourNeutralFont = "9C5700"
	colourGoodFill    = "C6EFCE"
	colourGoodFont    = "006100"
)

// styleSet holds the style ids one workbook uses: a cell style per value
// kind and a differential (conditional) style per colouring.
type styleSet struct {
	sheetCell [kindCount]int

	sev0, sev1, sev2, sev3 int
	bad, neutral, good     int
}

// newStyleSet registers every style of the workbook in a fixed order, so that
// style ids — and so the bytes of styles.xml — are the same on every run.
func newStyleSet(f *excelize.File) (*styleSet, error) {
	s := &styleSet{}
	custom := func(format string) *excelize.Style {
		return &excelize.Style{CustomNumFmt: &format}
	}
	cellStyles := []struct {
		k     cellKind
		style *excelize.Style
	}{
		{kInt, custom(numFmtInt)},
		{kDec2, custom(numFmtDec2)},
		{kDec4, custom(numFmtDec4)},
		{kMult, custom(numFmtMult)},
		{kPct, custom(numFmtPct)},
		{kDateTime, &excelize.Style{CustomNumFmt: ptrTo(numFmtDateTime), Alignment: &excelize.Alignment{Horizontal: "left"}}},
		{kDate, &excelize.Style{CustomNumFmt: ptrTo(numFmtDate), Alignment: &excelize.Alignment{Horizontal: "left"}}},
		{kLink, &excelize.Style{Font: &excelize.Font{Family: fontFamily, Color: colourLink, Underline: "single"}}},
		{kHeader, &excelize.Style{
			Font:      &excelize.Font{Family: fontFamily, Bold: true},
			Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{colourHeaderFill}},
			Border:    []excelize.Border{{Type: "bottom", Color: colourHeaderLine, Style: 1}},
			Alignment: &excelize.Alignment{Vertical: "center"},
		}},
		{kTitle, &excelize.Style{Font: &excelize.Font{Family: fontFamily, Bold: true, Size: 16, Color: colourTitle}}},
		{kSection, &excelize.Style{Font: &excelize.Font{Family: fontFamily, Bold: true, Size: 12, Color: colourTitle}}},
		{kNote, &excelize.Style{Font: &excelize.Font{Family: fontFamily, Italic: true, Color: colourNote}}},
		{kCode, &excelize.Style{Font: &excelize.Font{Family: "Courier New", Size: 10}}},
		{kIntLeft, &excelize.Style{CustomNumFmt: ptrTo(numFmtInt), Alignment: &excelize.Alignment{Horizontal: "left"}}},
		{kLate, custom(numFmtLate)},
		{kGood, &excelize.Style{
			Font: &excelize.Font{Family: fontFamily, Bold: true, Color: colourGoodFont},
			Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{colourGoodFill}},
		}},
	}
	for _, cs := range cellStyles {
		id, err := f.NewStyle(cs.style)
		if err != nil {
			return nil, fmt.Errorf("workbook style %d: %w", cs.k, err)
		}
		s.sheetCell[cs.k] = id
	}

	dxf := []struct {
		dst        *int
		fill, font string
		bold       bool
	}{
		{&s.sev0, colourSev0, "FFFFFF", true},
		{&s.sev1, colourSev1, "FFFFFF", true},
		{&s.sev2, colourSev2, "000000", false},
		{&s.sev3, colourSev3, "000000", false},
		{&s.bad, colourBadFill, colourBadFont, false},
		{&s.neutral, colourNeutralFill, colourNeutralFont, false},
		{&s.good, colourGoodFill, colourGoodFont, false},
	}
	for i, d := range dxf {
		id, err := f.NewConditionalStyle(&excelize.Style{
			Font: &excelize.Font{Color: d.font, Bold: d.bold},
			Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{d.fill}},
		})
		if err != nil {
			return nil, fmt.Errorf("workbook conditional style %d: %w", i, err)
		}
		*d.dst = id
	}
	return s, nil
}

// rules returns the conditional-format rules that colour a column of the
// given colouring. Text comparisons in Excel are case-insensitive, which is
// what an analyst expects of "sev1" versus "SEV1".
func (s *styleSet) rules(c colouring, topLeft string, other string) []excelize.ConditionalFormatOptions {
	eq := func(value string, format int) excelize.ConditionalFormatOptions {
		return excelize.ConditionalFormatOptions{
			Type: "cell", Criteria: "==", Value: `"` + value + `"`, Format: ptrTo(format),
		}
	}
	switch c {
	case colourSeverity:
		// SEV4 deliberately has no rule: it is the "nothing to see" level.
		return []excelize.ConditionalFormatOptions{
			eq("SEV0", s.sev0), eq("SEV1", s.sev1), eq("SEV2", s.sev2), eq("SEV3", s.sev3),
		}
	case colourDrift:
		return []excelize.ConditionalFormatOptions{
			eq("significant", s.bad), eq("moderate", s.neutral), eq("stable", s.good),
		}
	case colourReview:
		return []excelize.ConditionalFormatOptions{
			eq("investigate", s.bad), eq("review", s.neutral), eq("ok", s.good),
		}
	case colourLikelihood:
		return []excelize.ConditionalFormatOptions{
			eq("High", s.bad), eq("Medium", s.neutral),
		}
	case colourIntegrity:
		return []excelize.ConditionalFormatOptions{
			eq("modified", s.bad), eq("ok", s.good), eq("unsigned", s.neutral), eq("signed", s.good),
		}
	case colourYesIsBad:
		return []excelize.ConditionalFormatOptions{eq("yes", s.bad)}
	case colourBelowOther:
		// Relative references: the formula is written for the range's
		// top-left cell and Excel shifts it down the column.
		return []excelize.ConditionalFormatOptions{{
			Type: "formula", Criteria: "AND(ISNUMBER(" + topLeft + ")," + topLeft + "<" + other + ")", Format: ptrTo(s.bad),
		}}
	}
	return nil
}

func ptrTo[T any](v T) *T { return &v }
