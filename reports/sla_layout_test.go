package reports

import (
	"bytes"
	"context"
	"strconv"
	"testing"
	"time"
)

// TestSLAWorkbookLayout: the audit sequence number is left-aligned so it
// does not run into the hash beside it, lateness reads as hours or days,
// and the Summary prints no heading over an empty list of notes.
func TestSLAWorkbookLayout(t *testing.T) {
	render := func(s *SLA) *book {
		var buf bytes.Buffer
		if err := RenderSLAWorkbook(context.Background(), s, WorkbookOptions{Location: time.UTC}, &buf); err != nil {
			t.Fatal(err)
		}
		return openBook(t, buf.Bytes())
	}
	s := sampleSLA()
	late := 417568.15
	s.OperatorReview[0].LateMinutes = &late
	b := render(s)

	id, _ := b.f.GetCellStyle(SLASheetOperatorReview, "F2")
	st, err := b.f.GetStyle(id)
	if err != nil || st.Alignment == nil || st.Alignment.Horizontal != "left" || b.raw(SLASheetOperatorReview, "F2") != "42" {
		t.Errorf("audit seq F2: %q, style %+v %v", b.raw(SLASheetOperatorReview, "F2"), st, err)
	}
	for _, tc := range []struct {
		sheet, ref, value string
	}{
		{SLASheetOperatorReview, "H1", "Late by"},
		{SLASheetOperatorReview, "H2", strconvF(late / 1440)},
		{SLASheetMakerChecker, "I2", "1"}, // 1,440 minutes: one day
	} {
		if got := b.raw(tc.sheet, tc.ref); got != tc.value {
			t.Errorf("%s!%s = %q, want %q", tc.sheet, tc.ref, got, tc.value)
		}
	}
	if f := b.numFmt(SLASheetOperatorReview, "H2"); f != numFmtLate {
		t.Errorf("lateness format %q, want %q", f, numFmtLate)
	}
	if b.findRow(SLASheetSummary, "Notes") != 0 {
		t.Error("an empty Notes heading is printed")
	}
	s.Notes = []string{"Incidents file absent: no incidents."}
	if b := render(s); b.findRow(SLASheetSummary, "Notes") == 0 || b.findRow(SLASheetSummary, s.Notes[0]) == 0 {
		t.Error("notes not shown under their heading")
	}
}

func strconvF(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
