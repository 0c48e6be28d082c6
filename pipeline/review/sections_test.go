package review

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
)

// TestSpikeRunFieldsMayBeAbsent: a spike run that carries only the required
// fields (no status, severity, flags, link) is listed with those fields
// empty, not a failed review: docs/RULES.md, "Inputs" requires only the run id,
// timestamp, scenario and credits.
func TestSpikeRunFieldsMayBeAbsent(t *testing.T) {
	ctx := context.Background()
	st, in, layout := fixtureRoot(t, 5000, 6)
	if len(in.Baselines.Entries) == 0 {
		t.Fatal("fixture has no baselines")
	}
	b := in.Baselines.Entries[0]
	// The fixture ledger ends in a partial line; end it first.
	line := fmt.Sprintf("\n"+`{"Run_ID":"BARE-SPIKE","Timestamp":%q,"Scenario_ID":%q,"Credits_Total":%g}`+"\n",
		in.Period.Start.Add(time.Hour).UTC().Format(time.RFC3339), b.ScenarioID, b.MedianCredits*50)
	ledger := layout.Ledger
	f, err := os.OpenFile(ledger, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(line); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if _, err := st.Ingest(ctx, ledger); err != nil {
		t.Fatal(err)
	}
	w, err := Weekly(ctx, st, in)
	if err != nil {
		t.Fatalf("weekly review with a bare spike run: %v", err)
	}
	for _, s := range w.SpikeRuns {
		if s.RunID != "BARE-SPIKE" {
			continue
		}
		if s.Status != "" || s.RecordedSeverity != nil || s.ArtifactsLink != nil || len(s.RiskFlags) != 0 || s.RecordedVarianceMultiplier != nil {
			t.Errorf("bare spike run = %+v, want absent fields empty", s)
		}
		if s.VarianceMultiplier == nil || *s.VarianceMultiplier < 49 {
			t.Errorf("bare spike run multiplier = %v, want about 50", s.VarianceMultiplier)
		}
		return
	}
	t.Fatalf("BARE-SPIKE not among %d spike runs", len(w.SpikeRuns))
}

// TestUnknownEnumValuesAcrossIngests: values outside the enums of docs/RULES.md, "Inputs" are
// counted over every loaded run, summed across ingests (each counts only
// what it loaded, store/field_values.go), and a duplicate line
// does not count twice.
func TestUnknownEnumValuesAcrossIngests(t *testing.T) {
	ctx := context.Background()
	st, in, layout := fixtureRoot(t, 5000, 6)
	at := in.Period.Start.Add(2 * time.Hour).UTC().Format(time.RFC3339)
	line := func(id, jobType string) string {
		return fmt.Sprintf(`{"Run_ID":%q,"Timestamp":%q,"Scenario_ID":"ODD","Credits_Total":1,"Job_Type":%q,"Status":"Retried"}`+"\n", id, at, jobType)
	}
	appendLines := func(lines ...string) {
		t.Helper()
		f, err := os.OpenFile(layout.Ledger, os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		for _, l := range lines {
			if _, err := f.WriteString(l); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := st.Ingest(ctx, layout.Ledger); err != nil {
			t.Fatal(err)
		}
	}
	// The fixture ledger ends in a partial line; end it first.
	appendLines("\n", line("ODD-1", "EXPORT_V2"), line("ODD-2", "EXPORT_V2"))
	appendLines(line("ODD-3", "EXPORT_V2"), line("ODD-1", "EXPORT_V2")) // the last repeats ODD-1
	w, err := Weekly(ctx, st, in)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int64{}
	for _, u := range w.DataQuality.UnknownEnumValues {
		got[u.Field+"="+u.Value] = u.Count
	}
	want := map[string]int64{"job_type=EXPORT_V2": 3, "status=Retried": 3}
	for k, n := range want {
		if got[k] != n {
			t.Errorf("unknown enum %s counted %d, want %d (all: %v)", k, got[k], n, got)
		}
	}
}

// TestBackgroundWorkFailsTheReview: a section's work left to run in the
// background (later) fails the review as the section itself would. Drift
// finishes in the background. A run of a scenario seen nowhere else, in
// drift's reference window only, whose code then loses its text: only
// drift's grouping in Go reads that code, and its error must end the
// review, not leave a report without its drift section.
func TestBackgroundWorkFailsTheReview(t *testing.T) {
	ctx := context.Background()
	st, in, layout := fixtureRoot(t, 5000, 6)
	// The fixture ledger ends in a partial line; end it first.
	line := fmt.Sprintf("\n"+`{"Run_ID":"REFERENCE-ONLY","Timestamp":%q,"Scenario_ID":"REFERENCE_ONLY_SCENARIO","Credits_Total":1}`+"\n",
		in.Period.Start.AddDate(0, 0, -27).UTC().Format(time.RFC3339))
	f, err := os.OpenFile(layout.Ledger, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(line); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if _, err := st.Ingest(ctx, layout.Ledger); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Conn().ExecContext(ctx, `DELETE FROM text_codes
		WHERE field = 'scenario_id' AND value = 'REFERENCE_ONLY_SCENARIO'`); err != nil {
		t.Fatal(err)
	}
	w, err := Weekly(ctx, st, in)
	if err == nil {
		t.Fatalf("review with a scenario code that has no text succeeded (%d drift entries)", len(w.Drift))
	}
	if !strings.Contains(err.Error(), "drift") || !strings.Contains(err.Error(), "has no text") {
		t.Fatalf("review error = %v; want drift's missing-text error", err)
	}
}
