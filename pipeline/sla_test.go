package pipeline

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ledgerlens/ledgerlens/pipeline/baselines"
	"github.com/ledgerlens/ledgerlens/reports"
)

func readSLA(t *testing.T, path string) *reports.SLA {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var s reports.SLA
	if err := json.Unmarshal(data, &s); err != nil {
		t.Fatal(err)
	}
	return &s
}

// TestComplianceFlow drives one working root through a month of the
// compliance features with an injected clock: a baseline approval two
// days after its proposal (late), the weekly review that reports it, the
// SLA reports of February and March, and an evidence bundle of both
// months (see evidence_test.go for the bundle's own checks).
func TestComplianceFlow(t *testing.T) {
	e := expected(t)
	inj := e.Injections
	cand := inj.CandidateDetails[0]
	clock := &testClock{}
	_, env := signedRoot(t, clock)
	k := sshKeys(t, env.Layout)
	ctx := context.Background()

	// Proposed on Monday at 09:00, due Tuesday 09:00, approved Wednesday.
	clock.Set("2026-02-23T09:00:00Z")
	p := propose(t, env, cand.ScenarioID, k.alice, "2026-02-23T00:00:00Z")
	clock.Set("2026-02-25T15:00:00Z")
	ap, err := ApproveBaseline(ctx, env, ApproveOptions{ProposalID: p.ProposalID, Signing: baselines.Signing{KeyFile: k.bob}})
	if err != nil {
		t.Fatal(err)
	}
	if !ap.Approval.Clock.Late || ap.Approval.Clock.DueAt != "2026-02-24T09:00:00Z" {
		t.Fatalf("approval clock %+v", ap.Approval.Clock)
	}

	// The weekly review is published Monday 10:30, within its 4 business
	// hours, and reports the late approval.
	clock.Set("2026-03-02T10:30:00Z")
	wres, err := RunWeekly(ctx, env, WeeklyOptions{Week: e.FocusWeek})
	if err != nil {
		t.Fatal(err)
	}
	t.Run("late approval in the weekly review", func(t *testing.T) {
		w := readReport(t, wres.JSONPath)
		var found bool
		for _, v := range w.PolicyViolations {
			if v.Type == "sla_breach" && deref(v.ScenarioID) == cand.ScenarioID && strings.Contains(v.Detail, p.ProposalID) {
				found = v.Severity == "SEV3"
			}
		}
		if !found {
			t.Fatalf("no SEV3 sla_breach for proposal %s in %v", p.ProposalID, violationKeys(w))
		}
		// Each sla_breach names its clock, start and deadline: the late
		// approval the maker-checker clock, the case its acknowledgment clock.
		for _, v := range w.PolicyViolations {
			if v.Type != "sla_breach" {
				if v.Clock != nil {
					t.Errorf("%s finding carries a clock %+v", v.Type, v.Clock)
				}
				continue
			}
			var want reports.FindingClock
			switch {
			case strings.Contains(v.Detail, p.ProposalID):
				want = reports.FindingClock{Clock: reports.ClockMakerChecker, Name: "maker-checker approval: 1 business day from the proposal",
					Start: "2026-02-23T09:00:00Z", Deadline: "2026-02-24T09:00:00Z"}
			case deref(v.CaseID) == inj.SLABreachCase.CaseID:
				ack := reports.ClockSEV1Ack
				if inj.SLABreachCase.Severity == "SEV0" {
					ack = reports.ClockSEV0Ack
				}
				want = reports.FindingClock{Clock: ack, Name: reports.ClockName(ack)}
				if v.Clock != nil {
					start, _ := time.Parse(time.RFC3339Nano, v.Clock.Start)
					deadline, _ := time.Parse(time.RFC3339Nano, v.Clock.Deadline)
					if d := deadline.Sub(start); ack == reports.ClockSEV1Ack && d != time.Hour || ack == reports.ClockSEV0Ack && d != 15*time.Minute {
						t.Errorf("case clock %+v runs %v", v.Clock, d)
					}
					want.Start, want.Deadline = v.Clock.Start, v.Clock.Deadline
				}
			default:
				continue
			}
			if v.Clock == nil || *v.Clock != want || want.Name == "" {
				t.Errorf("sla_breach %q clock %+v, want %+v", v.Detail, v.Clock, want)
			}
		}
		// The case SLA breach of the fixture is still there beside it.
		if keys := violationKeys(w)["sla_breach"]; !slices.Contains(keys, inj.SLABreachCase.CaseID) {
			t.Errorf("case sla_breach missing: %v", keys)
		}
	})

	// The weekly review's baseline candidates are proposed in one go; nobody
	// approves them, so they are overdue in March.
	clock.Set("2026-03-02T10:45:00Z")
	cands, err := ProposeBaselines(ctx, env, ProposeOptions{Candidates: true, Signing: baselines.Signing{KeyFile: k.alice}})
	if err != nil {
		t.Fatal(err)
	}
	t.Run("candidates proposed", func(t *testing.T) {
		var got []string
		for _, c := range cands.Proposals {
			got = append(got, c.ScenarioID)
			if c.Source.Kind != "weekly_candidate" || deref(c.Source.Report) != "weekly_"+e.FocusWeek+".json" ||
				c.WindowEnd != "2026-03-02T00:00:00Z" || !strings.Contains(c.Rationale, "Baseline candidate in weekly_") {
				t.Errorf("candidate proposal %+v", c)
			}
		}
		if !slices.Equal(got, inj.BaselineCandidates) || len(cands.Pending) != len(got) {
			t.Fatalf("proposed %v (pending %v), want the candidates %v", got, cands.Pending, inj.BaselineCandidates)
		}
	})

	clock.Set("2026-03-02T11:00:00Z")
	feb, err := RunSLA(ctx, env, SLAOptions{Month: "2026-02"})
	if err != nil {
		t.Fatal(err)
	}
	t.Run("february SLA report", func(t *testing.T) {
		s := readSLA(t, feb.JSONPath)
		if len(s.MakerChecker) != 1 || s.MakerChecker[0].ProposalID != p.ProposalID || s.MakerChecker[0].Status != reports.ItemLate ||
			s.MakerChecker[0].LateMinutes == nil || *s.MakerChecker[0].LateMinutes != 30*60 {
			t.Fatalf("maker-checker clock %+v", s.MakerChecker)
		}
		var obs []string
		for _, o := range s.Observation {
			obs = append(obs, o.RunID)
			if o.RunID == inj.SEV1WithoutCase.RunID && o.Status != reports.ItemOverdue {
				t.Errorf("the SEV1 without a case is %s, want overdue", o.Status)
			}
			if o.RunID == inj.SLABreachCase.RunID && o.Status != reports.ItemMet {
				t.Errorf("case %s acknowledged in %v min is %s on the 24 h clock", inj.SLABreachCase.CaseID, inj.SLABreachCase.AckMinutes, o.Status)
			}
		}
		slices.Sort(obs)
		if !slices.Equal(obs, inj.SpikeRunsSEV01) {
			t.Errorf("observed exceptions %v, want the SEV0/SEV1 runs %v", obs, inj.SpikeRunsSEV01)
		}
		refs := map[string]bool{}
		for _, b := range s.Breaches {
			refs[b.Clock+":"+b.Ref] = true
			if b.ClockName == "" || b.ClockName != reports.ClockName(b.Clock) {
				t.Errorf("breach %s %s names its clock %q", b.Clock, b.Ref, b.ClockName)
			}
			if b.Clock == reports.ClockMakerChecker && (deref(b.Start) != "2026-02-23T09:00:00Z" || deref(b.Deadline) != "2026-02-24T09:00:00Z") {
				t.Errorf("maker-checker breach runs %s → %s", deref(b.Start), deref(b.Deadline))
			}
		}
		for _, o := range s.Observation {
			if o.ClockName != "third-party observation: 24 h from the SEV0/SEV1 run" {
				t.Errorf("observation item %s names its clock %q", o.RunID, o.ClockName)
			}
		}
		for _, want := range []string{"maker_checker:" + p.ProposalID, "observation:" + inj.SEV1WithoutCase.RunID} {
			if !refs[want] {
				t.Errorf("breach %s missing from %v", want, refs)
			}
		}
		// The records the maker-checker item rests on are listed as inputs.
		var roles []string
		for _, f := range s.Inputs.Files {
			if strings.HasPrefix(f.Role, "baseline_") {
				roles = append(roles, f.Role)
			}
		}
		if strings.Join(roles, ",") != "baseline_approval,baseline_proposal" || s.Inputs.Ledger.LinesCovered != e.Ledger.LinesRead {
			t.Errorf("inputs %+v", s.Inputs)
		}
	})

	clock.Set("2026-04-01T07:00:00Z")
	mar, err := RunSLA(ctx, env, SLAOptions{}) // the previous month
	if err != nil {
		t.Fatal(err)
	}
	t.Run("march SLA report", func(t *testing.T) {
		if mar.Month != "2026-03" || mar.Revision != 1 {
			t.Fatalf("default month %s revision %d", mar.Month, mar.Revision)
		}
		s := readSLA(t, mar.JSONPath)
		want := inj.SLOBreach
		var svc *reports.ServiceReliability
		for i := range s.Services {
			if s.Services[i].Service == want.Service {
				svc = &s.Services[i]
			}
		}
		// The fixture's breach falls in March: its month-to-date figures
		// in the weekly report are the March report's.
		if svc == nil || !near(svc.DowntimeMinutes, want.DowntimeMTDMinutes) || !near(svc.ErrorBudgetMinutes, want.ErrorBudgetMinutes) ||
			!near(svc.BudgetConsumedPct, want.BudgetConsumedPct) || svc.Freeze != want.Freeze ||
			!slices.Equal(svc.RTOBreaches, want.RTOBreaches) || svc.RPOSeconds == nil || !near(*svc.RPOSeconds, want.RPOSeconds) {
			t.Fatalf("service %+v, want %+v", svc, want)
		}
		refs := map[string]string{}
		for _, b := range s.Breaches {
			refs[b.Clock+":"+b.Ref] = b.Severity
		}
		if refs["slo:"+want.Service] != "SEV2" || refs["rto:"+want.RTOBreaches[0]] != "SEV2" || refs["slo:"+inj.HealthyService.Service] != "" {
			t.Errorf("breaches %v", refs)
		}
		var overdue int
		for _, it := range s.MakerChecker {
			if it.Status == reports.ItemOverdue {
				overdue++
			}
		}
		if overdue != len(cands.Proposals) {
			t.Errorf("maker-checker %+v: want the %d unapproved candidates overdue", s.MakerChecker, len(cands.Proposals))
		}
		// The week of 2026-02-23 was published at 10:30, due 14:00.
		if len(s.OperatorReview) == 0 || s.OperatorReview[0].Week != e.FocusWeek || s.OperatorReview[0].Status != reports.ItemMet ||
			s.OperatorReview[0].AuditSeq == nil {
			t.Fatalf("operator review %+v", s.OperatorReview)
		}
		for _, it := range s.OperatorReview[1:] { // no later week was ever published
			if it.Status != reports.ItemOverdue || !strings.Contains(refsString(refs), "operator_review:"+it.Week) {
				t.Errorf("week %s: %s", it.Week, it.Status)
			}
		}
		for _, f := range []string{mar.JSONPath, mar.XLSXPath} {
			if _, err := reports.VerifyFile(f, publicKey(t, env)); err != nil {
				t.Errorf("%s: %v", f, err)
			}
		}
	})
	t.Run("write-once", func(t *testing.T) {
		before, _ := os.ReadFile(mar.JSONPath)
		clock.Set("2026-04-01T08:00:00Z")
		again, err := RunSLA(ctx, env, SLAOptions{Month: "2026-03"})
		if err != nil || !again.Noop || again.Revision != 1 {
			t.Fatalf("re-run: %+v %v", again, err)
		}
		if after, _ := os.ReadFile(mar.JSONPath); !bytes.Equal(before, after) {
			t.Fatal("a no-op re-run changed the report")
		}
		// Another release of ledgerlens finding the same: a no-op too,
		// not "differs" (the report names its generator's version).
		upgraded := env
		upgraded.Version = env.Version + "-upgraded"
		if again, err := RunSLA(ctx, upgraded, SLAOptions{Month: "2026-03"}); err != nil || !again.Noop {
			t.Fatalf("re-run by another version: %+v %v", again, err)
		}
		// A later publication of a March week changes the result: refused
		// without --supersede, revision 2 with it.
		clock.Set("2026-04-01T09:00:00Z")
		if _, err := RunWeekly(ctx, env, WeeklyOptions{Week: "2026-03-02"}); err != nil {
			t.Fatal(err)
		}
		if _, err := RunSLA(ctx, env, SLAOptions{Month: "2026-03"}); !errors.Is(err, reports.ErrAlreadyPublished) {
			t.Fatalf("changed result without --supersede: %v", err)
		}
		r2, err := RunSLA(ctx, env, SLAOptions{Month: "2026-03", Supersede: true})
		if err != nil || r2.Revision != 2 || !strings.HasSuffix(r2.JSONPath, "sla_2026-03.r2.json") {
			t.Fatalf("supersede: %+v %v", r2, err)
		}
		s2 := readSLA(t, r2.JSONPath)
		if deref(s2.Supersedes) != "sla_2026-03.json" || s2.OperatorReview[1].Status != reports.ItemLate {
			t.Errorf("revision 2: supersedes %v, week 2026-03-02 %+v", s2.Supersedes, s2.OperatorReview[1])
		}
	})

	evidenceRoundTrip(t, env, clock)
}

func refsString(m map[string]string) string {
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	return strings.Join(keys, " ")
}
