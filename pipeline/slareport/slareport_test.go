package slareport

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	_ "time/tzdata"

	"github.com/ledgerlens/ledgerlens/pipeline/baselines"
	"github.com/ledgerlens/ledgerlens/pipeline/inputs"
	"github.com/ledgerlens/ledgerlens/pipeline/store"
	"github.com/ledgerlens/ledgerlens/reports"
)

func ts(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestMonths(t *testing.T) {
	m, err := ParseMonth("2026-03", time.UTC)
	if err != nil || m.Label() != "2026-03" || !m.End.Equal(ts("2026-04-01T00:00:00Z")) {
		t.Fatalf("ParseMonth: %+v %v", m, err)
	}
	if _, err := ParseMonth("2026-13", time.UTC); err == nil {
		t.Error("month 13 accepted")
	}
	if p := PreviousMonth(ts("2026-01-01T07:00:00Z"), time.UTC); p.Label() != "2025-12" {
		t.Errorf("previous month of January 1st: %s", p.Label())
	}
}

// TestMonthWhoseFirstMidnightIsSkipped: in America/Asuncion the clocks
// went from 00:00 to 01:00 on 2023-10-01, so October began at 01:00 and
// September's last hour was September's, not October's.
func TestMonthWhoseFirstMidnightIsSkipped(t *testing.T) {
	loc, err := time.LoadLocation("America/Asuncion")
	if err != nil {
		t.Fatal(err)
	}
	oct, err := ParseMonth("2023-10", loc)
	if err != nil {
		t.Fatal(err)
	}
	sep := PreviousMonth(ts("2023-10-15T12:00:00Z"), loc)
	for _, c := range []struct {
		m          Month
		label      string
		start, end string
	}{
		{oct, "2023-10", "2023-10-01T04:00:00Z", "2023-11-01T03:00:00Z"},
		{sep, "2023-09", "2023-09-01T04:00:00Z", "2023-10-01T04:00:00Z"},
	} {
		if c.m.Label() != c.label || !c.m.Start.Equal(ts(c.start)) || !c.m.End.Equal(ts(c.end)) {
			t.Errorf("month %s: [%s, %s), want %s [%s, %s)", c.m.Label(), c.m.Start.UTC().Format(time.RFC3339),
				c.m.End.UTC().Format(time.RFC3339), c.label, c.start, c.end)
		}
	}
}

func TestOperatorReviewClock(t *testing.T) {
	cfg := inputs.DefaultConfig()
	rs, note, err := weeklySchedule(cfg)
	if err != nil || note != "" {
		t.Fatal(err, note)
	}
	m, _ := ParseMonth("2026-03", time.UTC)
	in := Input{
		Month: m, AsOf: ts("2026-03-23T13:00:00Z"), AuditStart: ts("2026-03-01T00:00:00Z"),
		Publications: []Publication{
			{Base: "weekly_2026-02-23", Revision: 1, Time: ts("2026-03-02T10:05:00Z"), Seq: 7, Hash: "h7"},  // met
			{Base: "weekly_2026-03-02", Revision: 1, Time: ts("2026-03-09T15:30:00Z"), Seq: 9, Hash: "h9"},  // 90 min late
			{Base: "weekly_2026-03-02", Revision: 2, Time: ts("2026-03-09T11:00:00Z"), Seq: 8, Hash: "h8"},  // r2 does not count
			{Base: "weekly_2026-03-16", Revision: 1, Time: ts("2026-03-23T12:00:00Z"), Seq: 12, Hash: "h1"}, // met
		},
	}
	items, err := operatorReview(in, rs)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, it := range items {
		got[it.Week] = it.Status
	}
	want := map[string]string{
		"2026-02-23": reports.ItemMet, "2026-03-02": reports.ItemLate, "2026-03-09": reports.ItemOverdue,
		"2026-03-16": reports.ItemMet, "2026-03-23": reports.ItemPending, // due 2026-03-30 14:00, after as-of
	}
	if len(items) != len(want) {
		t.Fatalf("items %+v", items)
	}
	for w, st := range want {
		if got[w] != st {
			t.Errorf("week %s: %s, want %s", w, got[w], st)
		}
	}
	late := items[1]
	if late.DueAt != "2026-03-09T14:00:00Z" || late.LateMinutes == nil || *late.LateMinutes != 90 || *late.AuditSeq != 9 {
		t.Errorf("late item %+v", late)
	}
	// Before the audit trail began nothing can be known.
	in.AuditStart = ts("2026-03-20T00:00:00Z")
	items, _ = operatorReview(in, rs)
	if items[2].Status != reports.ItemNotTracked {
		t.Errorf("week before the audit trail: %+v", items[2])
	}
	// A configured schedule in another zone moves the clock.
	cfg.Schedules[0].Spec, cfg.Schedules[0].TimeZone = "30 8 * * 2", "UTC"
	rs, _, _ = weeklySchedule(cfg)
	items, _ = operatorReview(in, rs)
	if items[0].ScheduledAt != "2026-03-03T08:30:00Z" || items[0].DueAt != "2026-03-03T13:00:00Z" {
		t.Errorf("Tuesday 08:30 schedule: %+v", items[0])
	}
}

func TestMakerCheckerClock(t *testing.T) {
	m, _ := ParseMonth("2026-03", time.UTC)
	prop := func(id, at string) baselines.Proposal {
		return baselines.Proposal{ProposalID: id, ScenarioID: "S", ProposedBy: "alice", ProposedAt: at}
	}
	recs := &baselines.Records{
		Proposals: []baselines.Proposal{
			prop("P-ontime", "2026-03-02T09:00:00Z"),
			prop("P-late", "2026-03-06T09:00:00Z"),    // Friday: due Monday 09:00
			prop("P-open", "2026-03-10T09:00:00Z"),    // never approved
			prop("P-feb", "2026-02-27T12:00:00Z"),     // due Monday March 2
			prop("P-jan", "2026-01-05T09:00:00Z"),     // due in January: not this month
			prop("P-pending", "2026-03-31T09:00:00Z"), // due April 1: next month
		},
		Approvals: []baselines.Approval{
			{ProposalID: "P-ontime", ApprovalID: "O3-bob-1", ApprovedBy: "bob", ApprovedAt: "2026-03-03T08:00:00Z"},
			{ProposalID: "P-late", ApprovalID: "O3-bob-2", ApprovedBy: "bob", ApprovedAt: "2026-03-09T10:30:00Z"},
			{ProposalID: "P-feb", ApprovalID: "O3-bob-3", ApprovedBy: "bob", ApprovedAt: "2026-03-02T11:00:00Z"},
		},
	}
	items, err := makerChecker(Input{Month: m, AsOf: ts("2026-04-01T07:00:00Z"), Records: recs})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, it := range items {
		got = append(got, it.ProposalID+"="+it.Status)
	}
	want := "P-feb=met P-ontime=met P-late=late P-open=overdue"
	if strings.Join(got, " ") != want {
		t.Fatalf("items %v, want %s", got, want)
	}
}

func TestComputeOnAStore(t *testing.T) {
	dir := t.TempDir()
	ledger := filepath.Join(dir, "ledger.jsonl")
	lines := strings.Join([]string{
		`{"Run_ID":"R1","Timestamp":"2026-03-10T10:00:00Z","Scenario_ID":"S","Status":"Success","Credits_Total":100,"Severity":"SEV1"}`,
		`{"Run_ID":"R2","Timestamp":"2026-03-11T10:00:00Z","Scenario_ID":"S","Status":"Success","Credits_Total":900,"Severity":"SEV4"}`,
		`{"Run_ID":"R3","Timestamp":"2026-03-31T12:00:00Z","Scenario_ID":"S","Status":"Success","Credits_Total":100,"Severity":"SEV0"}`,
		`{"Run_ID":"R4","Timestamp":"2026-02-28T12:00:00Z","Scenario_ID":"S","Status":"Success","Credits_Total":100,"Severity":"SEV1"}`,
	}, "\n") + "\n"
	if err := os.WriteFile(ledger, []byte(lines), 0o644); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(context.Background(), filepath.Join(dir, "s.duckdb"), store.Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Ingest(context.Background(), ledger); err != nil {
		t.Fatal(err)
	}
	b := &inputs.Baselines{}
	b.Upsert(inputs.Baseline{ScenarioID: "S", MedianCredits: 100})
	m, _ := ParseMonth("2026-03", time.UTC)
	cfg := inputs.DefaultConfig()
	cfg.SLOTargets = map[string]float64{"quiet-service": 99.5}
	in := Input{
		Month: m, AsOf: ts("2026-04-01T07:00:00Z"), Config: cfg, Policy: inputs.DefaultPolicy(), Baselines: b,
		Cases: []inputs.Case{
			{ID: "C1", PrimaryRunID: "R1", AcknowledgedAt: ts("2026-03-10T11:00:00Z")},
			{ID: "C2", PrimaryRunID: "R2", AcknowledgedAt: ts("2026-03-13T10:00:00Z")},
			{ID: "C3", RelatedRunIDs: []string{"R2"}, AcknowledgedAt: ts("2026-03-12T09:00:00Z")},
		},
		Incidents: []inputs.Incident{{ID: "I1", Service: "api", Impact: inputs.ImpactOutage,
			StartedAt: ts("2026-03-05T10:00:00Z"), DetectedAt: ts("2026-03-05T10:05:00Z"), ResolvedAt: ts("2026-03-05T13:00:00Z")}},
	}
	s, err := Compute(context.Background(), st.Conn(), in)
	if err != nil {
		t.Fatal(err)
	}
	// R1 acknowledged in an hour; R2 (recomputed SEV1) first acknowledged
	// on the related case C3, 23 h later; R3's clock runs out in April, so
	// it is not this month's; R4 (February 28 12:00) is due March 1 12:00,
	// in March, and no case names it.
	var got []string
	for _, o := range s.Observation {
		got = append(got, o.RunID+"="+o.Status+"@"+deref(o.CaseID))
	}
	if strings.Join(got, " ") != "R4=overdue@ R1=met@C1 R2=met@C3" {
		t.Fatalf("observation %v", got)
	}
	if len(s.Services) != 2 || s.Services[0].Service != "api" || s.Services[0].DowntimeMinutes != 180 ||
		s.Services[1].Service != "quiet-service" || s.Services[1].UptimePct != 100 {
		t.Fatalf("services %+v", s.Services)
	}
	if len(s.Incidents) != 1 || !s.Incidents[0].RTOBreach || *s.Incidents[0].TTDMinutes != 5 || *s.Incidents[0].TTRMinutes != 180 {
		t.Fatalf("incidents %+v", s.Incidents)
	}
	var clocks []string
	for _, b := range s.Breaches {
		clocks = append(clocks, b.Clock+":"+b.Ref)
	}
	// api: 180 min down in March > 44.64 min budget (SLO, freeze), RTO 180 > 120.
	if want := "rto:I1 slo:api observation:R4"; strings.Join(clocks, " ") != want {
		t.Errorf("breaches %v, want %s", clocks, want)
	}
	if s.Summary.Breaches != 3 || s.Summary.ServicesInFreeze != 1 || s.Summary.ServicesMeetingSLO != 1 {
		t.Errorf("summary %+v", s.Summary)
	}
	if s.ReportID != "SLA_2026-03" || s.PeriodEnd != "2026-04-01T00:00:00Z" {
		t.Errorf("head %s %s", s.ReportID, s.PeriodEnd)
	}
}
