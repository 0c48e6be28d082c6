package reports

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

func sampleSLA() *SLA {
	f := func(v float64) *float64 { return &v }
	s := func(v string) *string { return &v }
	seq := int64(42)
	return &SLA{
		Schema: SLASchema, ReportID: "SLA_2026-03", Month: "2026-03",
		PeriodStart: "2026-03-01T00:00:00Z", PeriodEnd: "2026-04-01T00:00:00Z", TimeZone: "UTC",
		Provenance: Provenance{Revision: 1, Generator: Generator{Name: "ledgerlens", Version: "test"}, AuditHeadAtStart: strings.Repeat("0", 64),
			Inputs: Inputs{Files: []InputFile{{Role: "incidents", Path: "runs/CREDIT_MONITORING/incidents.jsonl", Bytes: 10, SHA256: strings.Repeat("a", 64)}}}},
		Summary: SLASummary{Services: 1, Incidents: 1, RTOBreaches: 1, ClockItems: 3, ClockBreaches: 1, Breaches: 3, ServicesInFreeze: 1},
		Services: []ServiceReliability{{Service: "ledger-api", UptimePct: 99.5856, UptimeMTDPct: 99.5856, SLOTargetPct: 99.9,
			DowntimeMinutes: 185, ErrorBudgetMinutes: 44.64, BudgetConsumedPct: 414.4265, Freeze: true, Incidents: 3,
			RTOTargetMinutes: 120, RTOBreaches: []string{"INC-0005"}, RPOSeconds: f(45)}},
		Incidents: []SLAIncident{{IncidentRow: IncidentRow{IncidentID: "INC-0005", Service: "ledger-api", Severity: "SEV1",
			Impact: "outage", StartedAt: "2026-03-01T02:10:00Z", ResolvedAt: s("2026-03-01T04:25:00Z"), DurationMinutes: f(135)},
			TTRMinutes: f(135), RTOBreach: true}},
		Clocks: []ClockSummary{{Clock: ClockOperatorReview, Items: 1, Met: 1}, {Clock: ClockMakerChecker, Items: 1, Breached: 1},
			{Clock: ClockObservation, Items: 1, Met: 1}},
		OperatorReview: []ReviewClockItem{{Week: "2026-02-23", Report: "weekly_2026-02-23.json", ScheduledAt: "2026-03-02T10:00:00Z",
			DueAt: "2026-03-02T14:00:00Z", PublishedAt: s("2026-03-02T10:30:00Z"), AuditSeq: &seq, AuditHash: s("h"), Status: ItemMet}},
		MakerChecker: []ApprovalClockItem{{ProposalID: "BP-1", ScenarioID: "S", ProposedBy: "alice", ProposedAt: "2026-03-02T09:00:00Z",
			DueAt: "2026-03-03T09:00:00Z", ApprovedBy: s("bob"), ApprovedAt: s("2026-03-04T09:00:00Z"), LateMinutes: f(1440), Status: ItemLate,
			ClockName: ClockName(ClockMakerChecker)}},
		Observation: []ObservationClockItem{{RunID: "R1", ScenarioID: "S", Severity: "SEV1", RunAt: "2026-03-05T10:00:00Z",
			DueAt: "2026-03-06T10:00:00Z", CaseID: s("C1"), AcknowledgedAt: s("2026-03-05T10:30:00Z"), Status: ItemMet}},
		Breaches: []SLABreach{{Clock: ClockSLO, Severity: "SEV2", Ref: "ledger-api", Detail: "below target"},
			{Clock: ClockRTO, Severity: "SEV2", Ref: "INC-0005", Detail: "135 min"},
			{Clock: ClockMakerChecker, Severity: "SEV3", Ref: "BP-1", Detail: "late", ClockName: ClockName(ClockMakerChecker),
				Start: s("2026-03-02T09:00:00Z"), Deadline: s("2026-03-03T09:00:00Z")}},
		Definitions: SLADefinitions{BusinessHours: "Monday–Friday 09:00–17:00 UTC"},
		Notes:       []string{},
	}
}

func TestMarshalSLA(t *testing.T) {
	a, err := MarshalSLA(sampleSLA())
	if err != nil {
		t.Fatal(err)
	}
	b, _ := MarshalSLA(sampleSLA())
	if !bytes.Equal(a, b) || !bytes.HasSuffix(a, []byte("}\n")) {
		t.Fatal("SLA JSON is not deterministic")
	}
	// The embedded incident row flattens into one object, and the model
	// round-trips.
	var back SLA
	if err := json.Unmarshal(a, &back); err != nil {
		t.Fatal(err)
	}
	if c, _ := MarshalSLA(&back); !bytes.Equal(a, c) {
		t.Error("SLA JSON does not round-trip")
	}
	if !bytes.Contains(a, []byte(`"incident_id": "INC-0005",`)) || !bytes.Contains(a, []byte(`"rto_breach": true`)) {
		t.Errorf("incident not flattened:\n%s", a)
	}
}

func TestSLAWorkbook(t *testing.T) {
	render := func(s *SLA) []byte {
		var buf bytes.Buffer
		if err := RenderSLAWorkbook(context.Background(), s, WorkbookOptions{Location: time.UTC, Signed: true}, &buf); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	a, b := render(sampleSLA()), render(sampleSLA())
	if !bytes.Equal(a, b) {
		t.Fatal("the same SLA report gave different workbooks")
	}
	f, err := excelize.OpenReader(bytes.NewReader(a))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := f.GetSheetList(); !slices.Equal(got, SLAWorkbookSheets()) {
		t.Fatalf("sheets %v", got)
	}
	rows, err := f.GetRows(SLASheetMakerChecker)
	if err != nil || len(rows) < 2 || rows[0][0] != "Proposal ID" || rows[1][0] != "BP-1" || rows[1][len(rows[1])-2] != ItemLate ||
		rows[0][len(rows[1])-1] != "SLA clock" || rows[1][len(rows[1])-1] != "maker-checker approval: 1 business day from the proposal" {
		t.Fatalf("maker-checker sheet %v %v", rows, err)
	}
	// Each breach names its clock, when it started and when it ran out;
	// the SLO breach has no start or deadline.
	breaches, err := f.GetRows(SLASheetBreaches)
	if err != nil || len(breaches) != 4 || strings.Join(breaches[0][5:], "|") != "SLA clock|Clock start (UTC)|Deadline (UTC)" {
		t.Fatalf("breaches sheet %v %v", breaches, err)
	}
	for _, row := range breaches[1:] {
		if row[0] == ClockMakerChecker && (len(row) != 8 || row[5] != ClockName(ClockMakerChecker) || row[6] == "" || row[7] == "") {
			t.Errorf("maker-checker breach row %q", row)
		}
	}
	// Times are real Excel dates, not text.
	cellType, err := f.GetCellType(SLASheetMakerChecker, "D2")
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := f.GetCellValue(SLASheetMakerChecker, "D2", excelize.Options{RawCellValue: true}); cellType == excelize.CellTypeSharedString || strings.Contains(v, "T") {
		t.Errorf("proposed-at cell is text %q", v)
	}
	// An empty month still renders every sheet.
	empty := &SLA{Schema: SLASchema, ReportID: "SLA_2026-04", Month: "2026-04", PeriodStart: "2026-04-01T00:00:00Z",
		PeriodEnd: "2026-05-01T00:00:00Z", Notes: []string{}}
	if len(render(empty)) == 0 {
		t.Error("empty workbook")
	}
}
