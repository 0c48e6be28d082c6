package reports

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/xuri/excelize/v2"
)

// Sheet names of the SLA workbook, in workbook order.
const (
	SLASheetSummary        = "Summary"
	SLASheetServices       = "Services"
	SLASheetIncidents      = "Incidents"
	SLASheetOperatorReview = "Operator review"
	SLASheetMakerChecker   = "Maker-checker"
	SLASheetObservation    = "Observation"
	SLASheetBreaches       = "Breaches"
	SLASheetAbout          = "About"
)

// SLAWorkbookSheets returns the SLA workbook's sheet names in order.
func SLAWorkbookSheets() []string {
	return []string{SLASheetSummary, SLASheetServices, SLASheetIncidents, SLASheetOperatorReview,
		SLASheetMakerChecker, SLASheetObservation, SLASheetBreaches, SLASheetAbout}
}

// RenderSLAWorkbook writes sla_<YYYY-MM>.xlsx for s to out. It uses the
// weekly workbook's machinery (streamed sheets, fixed styles, sorted zip
// with a fixed date), so the same s and opts give the same bytes. Only the
// figures of s are shown; nothing is recomputed.
func RenderSLAWorkbook(ctx context.Context, s *SLA, opts WorkbookOptions, out io.Writer) (err error) {
	if s == nil || out == nil {
		return errors.New("render SLA workbook: nil report or writer")
	}
	if opts.Location == nil {
		opts.Location = time.UTC
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("render SLA workbook %s: %w", s.ReportID, err)
	}
	f := excelize.NewFile()
	defer func() {
		if cerr := f.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("render SLA workbook %s: close: %w", s.ReportID, cerr)
		}
	}()
	if err := renderSLAWorkbook(ctx, f, s, opts, out); err != nil {
		return fmt.Errorf("render SLA workbook %s: %w", s.ReportID, err)
	}
	return nil
}

func renderSLAWorkbook(ctx context.Context, f *excelize.File, s *SLA, opts WorkbookOptions, out io.Writer) (err error) {
	st, err := setUpWorkbook(f, SLAWorkbookSheets(), workbookDoc{
		Title:      "SLA report " + s.ReportID,
		Subject:    "Monthly SLA report for " + s.Month,
		Category:   "SLA report",
		Keywords:   "SLA",
		ReportID:   s.ReportID,
		Schema:     s.Schema,
		PeriodEnd:  s.PeriodEnd,
		Provenance: s.Provenance,
	})
	if err != nil {
		return err
	}
	b := &slaBuilder{s: s, opts: opts, sw: &sheetWriter{ctx: ctx, f: f, st: st, loc: opts.Location}}
	steps := []struct {
		sheet  string
		blocks []*sheetBlock
	}{
		{SLASheetSummary, b.summary()},
		{SLASheetServices, b.services()},
		{SLASheetIncidents, b.incidents()},
		{SLASheetOperatorReview, b.operatorReview()},
		{SLASheetMakerChecker, b.makerChecker()},
		{SLASheetObservation, b.observation()},
		{SLASheetBreaches, b.breaches()},
		{SLASheetAbout, b.about()},
	}
	for _, step := range steps {
		if err := b.sw.write(step.sheet, step.blocks, b.colourStatus(step.sheet, step.blocks)); err != nil {
			return err
		}
	}
	return writeSorted(f, out, nil)
}

// slaBuilder lays out the sheets of one SLA workbook.
type slaBuilder struct {
	s    *SLA
	opts WorkbookOptions
	sw   *sheetWriter
	// statusCols records, per block name, the column holding a clock
	// status, for colourStatus.
	statusCols map[string]int
}

func (b *slaBuilder) markStatus(block string, col int) {
	if b.statusCols == nil {
		b.statusCols = map[string]int{}
	}
	b.statusCols[block] = col
}

// colourStatus returns the hook that colours the status columns of a
// sheet's blocks: breaches red, met green, pending amber.
func (b *slaBuilder) colourStatus(sheet string, blocks []*sheetBlock) func([]placedBlock) error {
	return func(pl []placedBlock) error {
		st := b.sw.st
		for _, p := range pl {
			col, ok := b.statusCols[p.b.name]
			if !ok || !p.hasData() {
				continue
			}
			eq := func(value string, format int) excelize.ConditionalFormatOptions {
				return excelize.ConditionalFormatOptions{Type: "cell", Criteria: "==", Value: `"` + value + `"`, Format: ptrTo(format)}
			}
			rules := []excelize.ConditionalFormatOptions{
				eq(ItemLate, st.bad), eq(ItemOverdue, st.bad), eq("breached", st.bad),
				eq(ItemPending, st.neutral), eq(ItemMet, st.good), eq("met", st.good),
			}
			if err := b.sw.f.SetConditionalFormat(sheet, p.dataRange(col), rules); err != nil {
				return fmt.Errorf("status colours %s: %w", p.dataRange(col), err)
			}
		}
		return nil
	}
}

func (b *slaBuilder) summary() []*sheetBlock {
	s := b.s
	head := rowsBlock("period", "SLA report · "+s.ReportID, nil, []kvRow{
		func(r *rowBuf) { r.text("Month"); r.text(s.Month) },
		func(r *rowBuf) { r.text("Period start"); r.time(s.PeriodStart) },
		func(r *rowBuf) { r.text("Period end (exclusive)"); r.time(s.PeriodEnd) },
		func(r *rowBuf) { r.text("Time zone"); r.text(s.TimeZone) },
		func(r *rowBuf) {
			r.text("Revision")
			r.int(int64(max(s.Revision, 1)))
			if s.Supersedes != nil {
				r.styled(kNote, "supersedes "+*s.Supersedes)
			}
		},
	})
	head.titleKind = kTitle
	sum := s.Summary
	figures := rowsBlock("summary", "Headline figures", headers("Figure", "Value"), []kvRow{
		func(r *rowBuf) { r.text("Services"); r.int(sum.Services) },
		func(r *rowBuf) { r.text("Services meeting their SLO"); r.int(sum.ServicesMeetingSLO) },
		func(r *rowBuf) { r.text("Services in error-budget freeze"); r.int(sum.ServicesInFreeze) },
		func(r *rowBuf) { r.text("Incidents"); r.int(sum.Incidents) },
		func(r *rowBuf) { r.text("RTO breaches"); r.int(sum.RTOBreaches) },
		func(r *rowBuf) { r.text("Clocked items"); r.int(sum.ClockItems) },
		func(r *rowBuf) { r.text("Clock breaches"); r.int(sum.ClockBreaches) },
		func(r *rowBuf) { r.text("All breaches"); r.int(sum.Breaches) },
	})
	figures.freeze = true
	clocks := &sheetBlock{
		name: "clocks", title: "SLA clocks",
		cols: headers("Clock", "Target", "Escalate to", "Items", "Met", "Breached", "Pending", "Not tracked"),
		n:    len(s.Clocks), empty: "No clocks.",
		row: func(i int, r *rowBuf) {
			c := &s.Clocks[i]
			r.text(c.Clock)
			r.text(c.Target)
			r.text(c.EscalateTo)
			r.int(c.Items)
			r.int(c.Met)
			r.int(c.Breached)
			r.int(c.Pending)
			r.int(c.NotTracked)
		},
	}
	blocks := []*sheetBlock{head, figures, clocks}
	if len(s.Notes) > 0 { // no heading over nothing
		blocks = append(blocks, noteBlock("notes", "Notes", s.Notes))
	}
	return blocks
}

func (b *slaBuilder) services() []*sheetBlock {
	ss := b.s.Services
	c := headers(append([]string{"Service", "Uptime", "SLO target", "Downtime (min)"}, serviceRecoveryHeaders()...)...)
	c[1].colour, c[1].other = colourBelowOther, 2
	c[6].colour = colourYesIsBad
	return []*sheetBlock{{
		name: "services", cols: c, n: len(ss),
		empty:  "No services: no incidents and no configured SLOs.",
		freeze: true, filter: true,
		row: func(i int, r *rowBuf) {
			s := &ss[i]
			r.text(s.Service)
			r.pct(s.UptimePct)
			r.pct(s.SLOTargetPct)
			r.dec2(s.DowntimeMinutes)
			serviceRecoveryCells(r, s)
		},
	}}
}

func (b *slaBuilder) zone() string { return " (" + b.opts.Location.String() + ")" }

func (b *slaBuilder) incidents() []*sheetBlock {
	is := b.s.Incidents
	c := incidentColumns(b.zone(), "TTD (min)", "TTA (min)", "TTR (min)", "RTO breach", "Data loss (s)")
	c[11].colour = colourYesIsBad
	return []*sheetBlock{{
		name: "incidents", cols: c, n: len(is),
		empty:  "No incidents overlap this month.",
		freeze: true, filter: true,
		row: func(i int, r *rowBuf) {
			x := &is[i]
			incidentCells(r, &x.IncidentRow)
			r.optDec2(x.TTDMinutes)
			r.optDec2(x.TTAMinutes)
			r.optDec2(x.TTRMinutes)
			r.yesNo(x.RTOBreach)
			r.optDec2(x.DataLossSeconds)
		},
	}}
}

func (b *slaBuilder) operatorReview() []*sheetBlock {
	items := b.s.OperatorReview
	z := b.zone()
	b.markStatus("operator_review", 8)
	return []*sheetBlock{
		{
			name: "operator_review",
			cols: headers("Week", "Report", "Scheduled"+z, "Due"+z, "Published"+z, "Audit seq", "Audit hash", "Late by", "Status", "Detail", "SLA clock"),
			n:    len(items), empty: "No weekly review was due this month.",
			freeze: true, filter: true,
			row: func(i int, r *rowBuf) {
				x := &items[i]
				r.date(x.Week)
				r.text(x.Report)
				r.time(x.ScheduledAt)
				r.time(x.DueAt)
				r.optTime(x.PublishedAt)
				if x.AuditSeq != nil {
					r.intLeft(*x.AuditSeq)
				} else {
					r.empty()
				}
				r.optText(x.AuditHash)
				r.optLate(x.LateMinutes)
				r.text(x.Status)
				r.text(x.StatusDetail)
				r.text(x.ClockName)
			},
		},
		noteBlock("operator_review_rule", "", []string{b.s.Definitions.OperatorReview, b.s.Definitions.BusinessHours}),
	}
}

func (b *slaBuilder) makerChecker() []*sheetBlock {
	items := b.s.MakerChecker
	z := b.zone()
	b.markStatus("maker_checker", 9)
	return []*sheetBlock{
		{
			name: "maker_checker",
			cols: headers("Proposal ID", "Scenario ID", "Proposed by", "Proposed"+z, "Due"+z, "Approval ID",
				"Approved by", "Approved"+z, "Late by", "Status", "SLA clock"),
			n: len(items), empty: "No baseline proposal was due this month.",
			freeze: true, filter: true,
			row: func(i int, r *rowBuf) {
				x := &items[i]
				r.text(x.ProposalID)
				r.text(x.ScenarioID)
				r.text(x.ProposedBy)
				r.time(x.ProposedAt)
				r.time(x.DueAt)
				r.optText(x.ApprovalID)
				r.optText(x.ApprovedBy)
				r.optTime(x.ApprovedAt)
				r.optLate(x.LateMinutes)
				r.text(x.Status)
				r.text(x.ClockName)
			},
		},
		noteBlock("maker_checker_rule", "", []string{b.s.Definitions.MakerChecker}),
	}
}

func (b *slaBuilder) observation() []*sheetBlock {
	items := b.s.Observation
	z := b.zone()
	c := headers("Run ID", "Scenario ID", "Severity", "Run"+z, "Due"+z, "Case ID", "Acknowledged"+z, "Late by", "Status", "SLA clock")
	c[2].colour = colourSeverity
	b.markStatus("observation", 8)
	return []*sheetBlock{
		{
			name: "observation", cols: c, n: len(items),
			empty:  "No SEV0/SEV1 exception was due for observation this month.",
			freeze: true, filter: true,
			row: func(i int, r *rowBuf) {
				x := &items[i]
				r.text(x.RunID)
				r.text(x.ScenarioID)
				r.text(x.Severity)
				r.time(x.RunAt)
				r.time(x.DueAt)
				r.optText(x.CaseID)
				r.optTime(x.AcknowledgedAt)
				r.optLate(x.LateMinutes)
				r.text(x.Status)
				r.text(x.ClockName)
			},
		},
		noteBlock("observation_rule", "", []string{b.s.Definitions.Observation}),
	}
}

func (b *slaBuilder) breaches() []*sheetBlock {
	bs := b.s.Breaches
	z := b.zone()
	c := headers("Clock", "Severity", "Ref", "Escalate to", "Detail", "SLA clock", "Clock start"+z, "Deadline"+z)
	c[1].colour = colourSeverity
	return []*sheetBlock{{
		name: "breaches", cols: c, n: len(bs),
		empty:  "No breaches this month.",
		freeze: true, filter: true,
		row: func(i int, r *rowBuf) {
			x := &bs[i]
			r.text(x.Clock)
			r.text(x.Severity)
			r.text(x.Ref)
			r.text(x.EscalateTo)
			r.text(x.Detail)
			r.text(x.ClockName)
			r.optTime(x.Start)
			r.optTime(x.Deadline)
		},
	}}
}

func (b *slaBuilder) about() []*sheetBlock {
	s := b.s
	d := s.Definitions
	report := rowsBlock("about", "", headers("Field", "Value"), []kvRow{
		func(r *rowBuf) { r.text("Report ID"); r.text(s.ReportID) },
		func(r *rowBuf) { r.text("Revision"); r.int(int64(max(s.Revision, 1))) },
		func(r *rowBuf) { r.text("Supersedes"); r.optText(s.Supersedes) },
		func(r *rowBuf) { r.text("Schema"); r.text(s.Schema) },
		func(r *rowBuf) { r.text("Generator"); r.text(s.Generator.Name + " " + s.Generator.Version) },
		func(r *rowBuf) {
			r.text("Signing key ID")
			if s.SigningKeyID != nil {
				r.text(*s.SigningKeyID)
			} else {
				r.text("unsigned")
			}
		},
		func(r *rowBuf) { r.text("Audit head at start"); r.overflow(s.AuditHeadAtStart) },
		func(r *rowBuf) { r.text("Business hours"); r.text(d.BusinessHours) },
		func(r *rowBuf) { r.text("Weekly review schedule"); r.text(d.WeeklyReviewSchedule) },
		func(r *rowBuf) { r.text("Month assignment"); r.text(d.MonthAssignment) },
		func(r *rowBuf) { r.text("Service level objective"); r.text(d.ServiceLevelObjective) },
	})
	report.freeze = true
	inputs := inputsBlock(s.Inputs, false)
	base := Name(PublicationSLA+"_"+s.Month, s.Revision, "")
	verify := noteBlock("verify", "How to verify", []string{
		"sha256sum -c " + base + ".json.sha256 && sha256sum -c " + base + ".xlsx.sha256",
		"ledgerlens verify --pubkey /path/to/your/signing.pub runs/CREDIT_REVIEWS/" + base + ".json runs/CREDIT_REVIEWS/" + base + ".xlsx",
		"Each operator-review item names the audit entry (seq, hash) of its publication: check it with ledgerlens audit verify.",
	})
	return []*sheetBlock{report, inputs, verify}
}
