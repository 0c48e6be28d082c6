package review

import (
	"context"
	"database/sql"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ledgerlens/ledgerlens/reports"
)

func TestActionItems(t *testing.T) {
	s := func(v string) *string { return &v }
	f := func(v float64) *float64 { return &v }
	end := time.Date(2026, 4, 6, 0, 0, 0, 0, time.UTC) // a Monday
	base := func() *reports.Weekly {
		return &reports.Weekly{
			SummaryStats: reports.SummaryStats{TotalRuns: 10},
			PolicyViolations: []reports.PolicyViolation{
				{Type: VMissingCase, Severity: "SEV1", RunID: s("RUN-2"), ScenarioID: s("A")},
				{Type: VSev0NotQuarantined, Severity: "SEV0", RunID: s("RUN-1"), ScenarioID: s("A")},
				{Type: VStaleCase, Severity: "SEV2", RunID: s("RUN-3"), CaseID: s("CASE-1")}, // not SEV0/SEV1
				{Type: VSLABreach, Severity: "SEV1", RunID: s("RUN-4"), CaseID: s("CASE-2")},
				{Type: VLedgerModified, Severity: "SEV1"},
				{Type: VDriftSignificant, Severity: "SEV3", ScenarioID: s("B")},
			},
			Drift: []reports.Drift{{ScenarioID: "A", PSI: f(0.01), Status: "stable"}, {ScenarioID: "B", PSI: f(0.5), Status: "significant"}},
			Reliability: reports.Reliability{Services: []reports.ServiceReliability{
				{Service: "ok-svc"}, {Service: "api", Freeze: true, BudgetConsumedPct: 414.43, UptimeMTDPct: 98.7, SLOTargetPct: 99.9},
			}},
			DataQuality: reports.DataQuality{LateArrivals: []reports.LateArrival{{Week: "2026-03-23", PublishedFile: "weekly_2026-03-23.json", Count: 3, Credits: 12.5}}},
		}
	}
	recent := end.Add(-time.Hour)
	type item struct{ sev, kind, subject, ref string }
	for _, tc := range []struct {
		name   string
		w      func() *reports.Weekly
		in     ActionInput
		want   []item
		inText map[string]string // kind → a phrase its line must contain
	}{
		{
			name: "findings, freeze, drift, late arrivals, overdue approval",
			w:    base,
			in: ActionInput{End: end, NewestRun: &recent, Approvals: []Approval{
				// proposed Thursday, due Friday: overdue at Monday's period end
				{ProposalID: "BP-1", ScenarioID: "C", ProposedAt: time.Date(2026, 4, 2, 9, 0, 0, 0, time.UTC)},
				// proposed Friday 10:00, due Monday 10:00: not yet overdue
				{ProposalID: "BP-2", ScenarioID: "D", ProposedAt: time.Date(2026, 4, 3, 10, 0, 0, 0, time.UTC)},
				// approved: nothing to do
				{ProposalID: "BP-3", ScenarioID: "E", ProposedAt: time.Date(2026, 3, 27, 9, 0, 0, 0, time.UTC), ApprovedAt: time.Date(2026, 3, 30, 9, 0, 0, 0, time.UTC)},
			}},
			want: []item{
				{"SEV0", VSev0NotQuarantined, "RUN-1", "/policy_violations/1"},
				{"SEV1", VLedgerModified, "ledger", "/policy_violations/4"},
				{"SEV1", VMissingCase, "RUN-2", "/policy_violations/0"},
				{"SEV1", VSLABreach, "CASE-2", "/policy_violations/3"},
				{"SEV1", reports.ActionSLOFreeze, "api", "/reliability/services/1"},
				{"SEV2", reports.ActionLateArrival, "2026-03-23", "/data_quality/late_arrivals/0"},
				{"SEV2", reports.ActionOverdueApproval, "C", ""},
				{"SEV3", VDriftSignificant, "B", "/drift/1"},
			},
			inText: map[string]string{reports.ActionSLOFreeze: "414.43 % of the April 2026 error budget", reports.ActionOverdueApproval: "BP-1", reports.ActionLateArrival: "--supersede"},
		},
		{
			// A stale ledger is the SEV1 violation (staleLedger), listed
			// like every SEV0/SEV1 finding.
			name: "stale ledger",
			w: func() *reports.Weekly {
				w := base()
				w.PolicyViolations = []reports.PolicyViolation{{Type: VLedgerStale, Severity: "SEV1", Detail: "newest run 50 hours old"}}
				w.Reliability, w.DataQuality = reports.Reliability{}, reports.DataQuality{}
				return w
			},
			in:     ActionInput{End: end, NewestRun: ptrTime(end.Add(-50 * time.Hour))},
			want:   []item{{"SEV1", VLedgerStale, "ledger", "/policy_violations/0"}},
			inText: map[string]string{VLedgerStale: "50 hours"},
		},
		{
			name: "an old newest run alone is not an item",
			w: func() *reports.Weekly {
				w := base()
				w.PolicyViolations, w.Reliability, w.DataQuality = nil, reports.Reliability{}, reports.DataQuality{}
				return w
			},
			in:   ActionInput{End: end, NewestRun: ptrTime(end.Add(-47 * time.Hour))},
			want: []item{},
		},
		{
			name: "no runs",
			w: func() *reports.Weekly {
				return &reports.Weekly{}
			},
			in:     ActionInput{End: end, NewestRun: ptrTime(end.Add(-30 * 24 * time.Hour))},
			want:   []item{{"SEV1", reports.ActionNoRuns, "ledger", "/summary_stats/total_runs"}},
			inText: map[string]string{reports.ActionNoRuns: "2026-03-07"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			items := ActionItems(tc.w(), tc.in)
			got := []item{}
			for _, it := range items {
				got = append(got, item{it.Severity, it.Kind, it.Subject, it.Ref})
				if phrase, ok := tc.inText[it.Kind]; ok && !strings.Contains(it.Text, phrase) {
					t.Errorf("%s line %q lacks %q", it.Kind, it.Text, phrase)
				}
				if it.Text == "" || strings.Contains(it.Text, "\n") {
					t.Errorf("%s: line %q is not one line", it.Kind, it.Text)
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("items\n got  %v\n want %v", got, tc.want)
			}
		})
	}
}

func ptrTime(t time.Time) *time.Time { return &t }

// TestNewestRun: the newest run before a bound (or at all) is the same
// whether the search starts at a hint holding runs, at a hint after every
// run (it then reads the whole store), or with no hint; a bound before
// every run gives none.
func TestNewestRun(t *testing.T) {
	ctx := context.Background()
	st, in := fixtureStore(t, 5_000, 6)
	want := func(before time.Time) (time.Time, bool) {
		q := `SELECT max("timestamp") FROM runs`
		var args []any
		if !before.IsZero() {
			q += ` WHERE "timestamp" < $1`
			args = append(args, before)
		}
		var newest sql.NullTime
		if err := st.Conn().QueryRowContext(ctx, q, args...).Scan(&newest); err != nil {
			t.Fatal(err)
		}
		return newest.Time.UTC(), newest.Valid
	}
	p := in.Period
	far := p.End.AddDate(1, 0, 0)
	for _, tt := range []struct {
		name         string
		from, before time.Time
	}{
		{"period", p.Start, p.End},
		{"at all, from the period", p.Start, time.Time{}},
		{"at all, no hint", time.Time{}, time.Time{}},
		{"hint after every run", far, p.End},
		{"hint after every run, at all", far, time.Time{}},
		{"previous week", p.Shift(-1).Start, p.Start},
		{"before every run", p.Start.AddDate(-1, 0, 0), p.Start.AddDate(-1, 0, 0)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, ok, err := NewestRun(ctx, st, tt.from, tt.before)
			if err != nil {
				t.Fatal(err)
			}
			w, wok := want(tt.before)
			if ok != wok || !got.Equal(w) {
				t.Fatalf("NewestRun(%v, %v) = %v, %t; want %v, %t", tt.from, tt.before, got, ok, w, wok)
			}
		})
	}
}
