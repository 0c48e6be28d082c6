package baselines

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ledgerlens/ledgerlens/pipeline/inputs"
	"github.com/ledgerlens/ledgerlens/pipeline/store"
	"github.com/ledgerlens/ledgerlens/reports"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/")

// ledgerLine is one run in the runbook's spelling.
type ledgerLine struct {
	id, scenario, status, severity string
	at                             time.Time
	credits                        float64
	retries                        int
	flags                          []string
}

func (l ledgerLine) json() string {
	m := map[string]any{"Run_ID": l.id, "Timestamp": l.at.Format(time.RFC3339), "Scenario_ID": l.scenario,
		"Status": l.status, "Credits_Total": l.credits, "retry_count": l.retries}
	if l.severity != "" {
		m["Severity"] = l.severity
	}
	if l.flags != nil {
		m["Risk_Flags"] = l.flags
	}
	b, _ := json.Marshal(m)
	return string(b)
}

// openStore ingests lines into a fresh store.
func openStore(t *testing.T, lines []ledgerLine) *store.Store {
	t.Helper()
	dir := t.TempDir()
	var b strings.Builder
	for _, l := range lines {
		b.WriteString(l.json() + "\n")
	}
	ledger := filepath.Join(dir, "ledger.jsonl")
	if err := os.WriteFile(ledger, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(context.Background(), filepath.Join(dir, "s.duckdb"), store.Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.Ingest(context.Background(), ledger); err != nil {
		t.Fatal(err)
	}
	return st
}

var day0 = time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)

func TestCalculate(t *testing.T) {
	var lines []ledgerLine
	// Healthy runs of S on days 1..9 before day0, credits 10, 20, …, 90.
	for i := 1; i <= 9; i++ {
		lines = append(lines, ledgerLine{id: fmt.Sprintf("R%d", i), scenario: "S", status: "Success",
			at: day0.AddDate(0, 0, -i), credits: float64(i * 10), retries: i % 2})
	}
	lines = append(lines,
		ledgerLine{id: "F1", scenario: "S", status: "Failed", at: day0.AddDate(0, 0, -2), credits: 5000},              // not healthy
		ledgerLine{id: "T1", scenario: "S", status: "Success", at: day0.AddDate(0, 0, -2), credits: 5000, retries: 2}, // retried
		ledgerLine{id: "O1", scenario: "S", status: "Success", at: day0.AddDate(0, 0, -40), credits: 1},               // outside
		ledgerLine{id: "N1", scenario: "S", status: "Success", at: day0, credits: 1},                                  // at the end: excluded
		ledgerLine{id: "X1", scenario: "OTHER", status: "Success", at: day0.AddDate(0, 0, -1), credits: 7},
	)
	st := openStore(t, lines)
	ctx := context.Background()

	tests := []struct {
		name    string
		days    int
		healthy []string
		median  float64
		n       int64
	}{
		{"all nine", 30, []string{"Success"}, 50, 9},
		{"four days: lower middle of an even count", 4, []string{"Success"}, 20, 4},
		{"failed counts when the policy says so", 30, []string{"Success", "Failed"}, 50, 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Calculate(ctx, st.Conn(), "S", day0, tt.days, tt.healthy)
			if err != nil {
				t.Fatal(err)
			}
			if c.Median != tt.median || c.SampleSize != tt.n || !c.WindowStart.Equal(day0.AddDate(0, 0, -tt.days)) {
				t.Fatalf("got %+v, want median %v from %d", c, tt.median, tt.n)
			}
		})
	}
	c, _ := Calculate(ctx, st.Conn(), "S", day0, 30, []string{"Success"})
	if got, want := c.String(), "Calculated baseline for S: 50.00 (from 9 healthy runs)"; got != want {
		t.Errorf("String() = %q, want the runbook's %q", got, want)
	}
	// CV of 10..90: population sd sqrt(666.67) / mean 50.
	if c.CV != 0.5164 {
		t.Errorf("CV %v, want 0.5164", c.CV)
	}
	// A misspelt id is an unknown scenario naming the closest ids, not
	// "no healthy runs"; an id with a control character is refused.
	if _, err := Calculate(ctx, st.Conn(), "OTHR", day0, 30, []string{"Success"}); !errors.Is(err, ErrUnknownScenario) ||
		!strings.Contains(err.Error(), `unknown scenario "OTHR"`) || !strings.Contains(err.Error(), "closest: OTHER, ") {
		t.Errorf("unknown scenario: %v", err)
	}
	if _, err := Calculate(ctx, st.Conn(), "S\n**Approved:** by X", day0, 30, []string{"Success"}); err == nil ||
		!strings.Contains(err.Error(), "control character") {
		t.Errorf("scenario id with a newline: %v", err)
	}
	if _, err := Calculate(ctx, st.Conn(), "S", day0.AddDate(1, 0, 0), 30, []string{"Success"}); !errors.Is(err, ErrNoHealthyRuns) {
		t.Errorf("known scenario, empty window: %v", err)
	}
	if _, err := Calculate(ctx, st.Conn(), "S", day0, 0, []string{"Success"}); err == nil {
		t.Error("a zero-day window was accepted")
	}
}

func TestHighSeverityRuns(t *testing.T) {
	at := func(h int) time.Time { return day0.Add(time.Duration(h) * time.Hour) }
	lines := []ledgerLine{
		{id: "A", scenario: "S", status: "Success", severity: "SEV1", at: at(1), credits: 100},                                   // recorded
		{id: "B", scenario: "S", status: "Success", severity: "SEV4", at: at(2), credits: 600},                                   // recomputed 6× → SEV1
		{id: "C", scenario: "S", status: "Success", severity: "SEV4", at: at(3), credits: 1200},                                  // 12×, no PII → SEV1
		{id: "D", scenario: "S", status: "Success", severity: "SEV4", at: at(4), credits: 1200, flags: []string{"pii_exposure"}}, // → SEV0
		{id: "E", scenario: "S", status: "Success", severity: "SEV3", at: at(5), credits: 150},                                   // not high
		{id: "F", scenario: "T", status: "Success", severity: "SEV0", at: at(6), credits: 1},                                     // other scenario
		{id: "G", scenario: "U", status: "Success", at: at(7), credits: 1e6},                                                     // no baseline: unknown
		{id: "H", scenario: "S", status: "Success", severity: "SEV0", at: at(48), credits: 1},                                    // outside
	}
	st := openStore(t, lines)
	b := &inputs.Baselines{}
	for _, e := range []inputs.Baseline{{ScenarioID: "S", MedianCredits: 100}, {ScenarioID: "T", MedianCredits: 1}} {
		if err := b.Upsert(e); err != nil {
			t.Fatal(err)
		}
	}
	q := HighSeverityQuery{From: day0, To: day0.Add(24 * time.Hour), Baselines: b, Policy: inputs.DefaultPolicy()}
	all, err := HighSeverityRuns(context.Background(), st.Conn(), q)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range all {
		got = append(got, r.RunID+":"+r.Severity())
	}
	if want := []string{"A:SEV1", "B:SEV1", "C:SEV1", "D:SEV0", "F:SEV0"}; !slices.Equal(got, want) {
		t.Fatalf("high-severity runs %v, want %v", got, want)
	}
	q.ScenarioID = "T"
	one, err := HighSeverityRuns(context.Background(), st.Conn(), q)
	if err != nil || len(one) != 1 || one[0].RunID != "F" || one[0].Recorded != "SEV0" || one[0].Recomputed != "" {
		t.Fatalf("scenario T: %+v %v", one, err)
	}
}

func TestNewProposal(t *testing.T) {
	calc := Calculation{ScenarioID: "S", Median: 1425.75, SampleSize: 28, CV: 0.18, WindowStart: day0.AddDate(0, 0, -30),
		WindowEnd: day0, WindowDays: 30, HealthyStatuses: []string{"Success"}}
	old := 1250.50
	at := time.Date(2026, 3, 2, 9, 15, 0, 0, time.UTC)
	gen := reports.Generator{Name: "ledgerlens", Version: "test"}
	p, err := NewProposal(calc, &old, " alice ", "prompt grew", at, ProposalSource{Kind: SourceCalculate}, gen, "k")
	if err != nil {
		t.Fatal(err)
	}
	if p.ChangePct == nil || *p.ChangePct != 14.0144 || p.Review != "ok" || p.ProposedBy != "alice" ||
		!strings.HasPrefix(p.ProposalID, "BP-20260302-") || len(p.ProposalID) != len("BP-20260302-")+12 {
		t.Fatalf("proposal %+v", p)
	}
	again, _ := NewProposal(calc, &old, "alice", "prompt grew", at, ProposalSource{Kind: SourceCalculate}, gen, "k")
	later, _ := NewProposal(calc, &old, "alice", "prompt grew", at.Add(time.Second), ProposalSource{Kind: SourceCalculate}, gen, "k")
	if again.ProposalID != p.ProposalID || later.ProposalID == p.ProposalID {
		t.Errorf("ids: same content and time %s / %s, a second later %s", p.ProposalID, again.ProposalID, later.ProposalID)
	}
	if _, err := NewProposal(calc, nil, "  ", "", at, ProposalSource{}, gen, "k"); err == nil {
		t.Error("a proposal without a proposer was accepted")
	}
	first, _ := NewProposal(calc, nil, "alice", "", at, ProposalSource{}, gen, "k")
	if first.OldBaseline != nil || first.ChangePct != nil || first.Review != "review" {
		t.Errorf("first baseline: %+v", first)
	}
	for _, tt := range []struct {
		pct  float64
		want string
	}{{19.99, "ok"}, {-20, "review"}, {50, "review"}, {-50.01, "investigate"}} {
		if got := ReviewLevel(tt.pct); got != tt.want {
			t.Errorf("ReviewLevel(%v) = %s, want %s", tt.pct, got, tt.want)
		}
	}
}

func TestApprovalIDAndPeople(t *testing.T) {
	at := time.Date(2026, 3, 2, 10, 15, 30, 0, time.FixedZone("CET", 3600))
	for _, tt := range []struct{ name, want string }{
		{"bob", "O3-bob-20260302T091530Z"},
		{"Zoë van Dijk", "O3-Zo-van-Dijk-20260302T091530Z"},
		{"  ", "O3-unknown-20260302T091530Z"},
	} {
		if got := ApprovalID(tt.name, at); got != tt.want {
			t.Errorf("ApprovalID(%q) = %s, want %s", tt.name, got, tt.want)
		}
	}
	if !SamePerson("Alice", " alice ") || SamePerson("alice", "bob") {
		t.Error("SamePerson")
	}
	if NoteBase("2026-03-02", 1) != "update_2026-03-02" || NoteBase("2026-03-02", 3) != "update_2026-03-02-3" {
		t.Error("NoteBase")
	}
}

func sampleApproval() Approval {
	old, pct := 1250.50, 14.0144
	return Approval{
		Schema: ApprovalSchema, ApprovalID: "O3-bob-20260302T101500Z", ProposalID: "BP-20260302-0123456789ab",
		ProposalFile: "proposal_BP-20260302-0123456789ab.json", ProposalSHA256: strings.Repeat("ab", 32),
		ScenarioID: "BINDER_EXPORT_WEEKLY", OldBaseline: &old, NewBaseline: 1425.75, ChangePct: &pct, CV: 0.18,
		SampleSize: 28, WindowDays: 30, Rationale: "Prompt optimization deployed on 2026-02-15\n- New prompt increases context window by 15%",
		ProposedBy: "alice", ProposedAt: "2026-03-02T09:15:00Z", ApprovedBy: "bob", ApprovedAt: "2026-03-02T10:15:00Z",
		Checks: ApprovalChecks{TwoPerson: true, StabilityFrom: "2026-02-16T10:15:00Z", StabilityTo: "2026-03-02T10:15:00Z", BaselineUnchanged: true},
		Clock:  ApprovalClock{DueAt: "2026-03-03T09:15:00Z"}, Note: "update_2026-03-02.md",
	}
}

func TestRenderNoteGolden(t *testing.T) {
	got, err := RenderNote(sampleApproval(), time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "update_note.golden.md")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("note differs from %s (go test -update if intended):\n%s", golden, got)
	}
	// The runbook's fields, in its words.
	for _, line := range []string{"# Baseline Update: BINDER_EXPORT_WEEKLY", "**Operator:** O3 bob", "**Approval:** O3-bob-20260302T101500Z",
		"**Old Baseline:** 1250.50 credits", "**New Baseline:** 1425.75 credits", "**Change:** +14.0%",
		"**Sample Size:** 28 healthy runs over 30 days", "**Coefficient of Variation:** 0.18 (stable)"} {
		if !bytes.Contains(got, []byte(line+"\n")) {
			t.Errorf("note lacks %q", line)
		}
	}
}

func TestRecords(t *testing.T) {
	dir := t.TempDir()
	a := sampleApproval()
	p := Proposal{Schema: ProposalSchema, ProposalID: a.ProposalID, ScenarioID: a.ScenarioID, ProposedBy: "alice", ProposedAt: a.ProposedAt}
	p2 := Proposal{Schema: ProposalSchema, ProposalID: "BP-20260301-ffffffffffff", ScenarioID: "T", ProposedBy: "carol", ProposedAt: "2026-03-01T09:00:00Z"}
	write := func(name string, v any) {
		data, err := Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(ProposalBase(p.ProposalID)+".json", p)
	write(ProposalBase(p2.ProposalID)+".json", p2)
	write(ApprovalBase(a.ProposalID)+".json", a)
	os.WriteFile(filepath.Join(dir, "update_2026-03-02.md"), []byte("note"), 0o644)
	os.WriteFile(filepath.Join(dir, "proposal_x.json.sha256"), []byte("sidecar"), 0o644) // companions are not records

	r, err := LoadRecords(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Proposals) != 2 || r.Proposals[0].ProposalID != p2.ProposalID || len(r.Approvals) != 1 {
		t.Fatalf("records %+v", r)
	}
	if pend := r.Pending(); len(pend) != 1 || pend[0].ProposalID != p2.ProposalID {
		t.Errorf("pending %+v", pend)
	}
	if got := r.NextNote("2026-03-02"); got != "update_2026-03-02-2" {
		t.Errorf("NextNote = %s", got)
	}
	if got := r.NextNote("2026-03-03"); got != "update_2026-03-03" {
		t.Errorf("NextNote = %s", got)
	}
	ra, err := r.ReviewApprovals(time.UTC)
	// The applied approval, then the pending proposal without an approval time.
	if err != nil || len(ra) != 2 || ra[0].ProposalID != a.ProposalID || !ra[0].ApprovedAt.Equal(time.Date(2026, 3, 2, 10, 15, 0, 0, time.UTC)) ||
		ra[1].ProposalID != p2.ProposalID || !ra[1].ApprovedAt.IsZero() || ra[1].ProposedAt.IsZero() {
		t.Errorf("review approvals %+v %v", ra, err)
	}
	// Monday 09:15 → due Tuesday 09:15; Friday → Monday; Saturday → Tuesday.
	for _, tt := range []struct{ at, due string }{
		{"2026-03-02T09:15:00Z", "2026-03-03T09:15:00Z"},
		{"2026-03-06T16:00:00Z", "2026-03-09T16:00:00Z"},
		{"2026-03-07T11:00:00Z", "2026-03-10T11:00:00Z"},
	} {
		at, _ := time.Parse(time.RFC3339, tt.at)
		if got := DueAt(at, time.UTC).UTC().Format(time.RFC3339); got != tt.due {
			t.Errorf("DueAt(%s) = %s, want %s", tt.at, got, tt.due)
		}
	}

	// A record in the wrong file, or not parsable, is never skipped
	// silently: UnreadError names it, and Recorded leaves it out and
	// names it when no entry records it.
	for _, tt := range []struct{ name, data, want string }{
		{ProposalBase("BP-20260303-000000000000") + ".json", "", "BP-20260303-000000000000"},
		{ApprovalBase("BP-bad") + ".json", "{", "approval_BP-bad.json"},
	} {
		if tt.data == "" {
			write(tt.name, p)
		} else {
			os.WriteFile(filepath.Join(dir, tt.name), []byte(tt.data), 0o644)
		}
		r, err := LoadRecords(dir)
		if err != nil || r.UnreadError() == nil || !strings.Contains(r.UnreadError().Error(), tt.want) {
			t.Errorf("%s: %v, unread %v", tt.name, err, r.UnreadError())
		} else if _, left, err := r.Recorded(nil); err != nil || !slices.Contains(left, tt.name) {
			t.Errorf("%s: left out %q (%v)", tt.name, left, err)
		}
		os.Remove(filepath.Join(dir, tt.name))
	}
	if r, err := LoadRecords(filepath.Join(dir, "missing")); err != nil || len(r.Proposals) != 0 {
		t.Errorf("missing directory: %v", err)
	}
}

func TestNoteCannotBeForgedByItsContent(t *testing.T) {
	forged := "\n- **Approved:** by FORGED-AUDITOR at 2026-03-02T10:15:00Z\n"
	a := sampleApproval()
	a.ScenarioID = "BINDER_EXPORT_WEEKLY" + forged
	a.ProposedBy = "alice" + forged
	a.ApprovedBy = "bob\r" + forged
	a.ProposalID = "BP-x\u2028**Approved:** by FORGED-AUDITOR"
	a.Rationale = "fine\n**Approved:** by FORGED-AUDITOR\n<br>**Approved:** by FORGED-AUDITOR\n# Baseline Update: OTHER"
	note, err := RenderNote(a, time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(note), "\n")
	approved := 0
	for _, l := range lines {
		if strings.Contains(l, "**Approved:** by FORGED") || strings.Contains(l, "<br>") {
			t.Errorf("forged markup reached the note: %q", l)
		}
		if strings.HasPrefix(l, "- **Approved:**") {
			approved++
		}
		if strings.HasPrefix(l, "#") && !strings.HasPrefix(l, `# Baseline Update: BINDER\_EXPORT\_WEEKLY\u000A`) && l != "## Maker-checker record" {
			t.Errorf("extra heading %q", l)
		}
	}
	if approved != 1 {
		t.Errorf("%d Approved lines, want 1:\n%s", approved, note)
	}
	plain, _ := RenderNote(sampleApproval(), time.UTC)
	if got, want := len(lines), len(strings.Split(string(plain), "\n"))+2; got != want {
		t.Errorf("note has %d lines, want %d (4 rationale bullets instead of 2, no other line added):\n%s", got, want, note)
	}
	if err := CheckID("scenario id", "A\nB"); err == nil {
		t.Error("a scenario id with a newline was accepted")
	}
	if err := CheckID("scenario id", "BINDER_EXPORT_WEEKLY"); err != nil {
		t.Error(err)
	}
}
