package review

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"
)

// TestSpikeRunFieldsMayBeAbsent: a spike run that carries only the required
// fields (no status, severity, flags, link) is listed with those fields
// empty, not a failed review: SPEC §2.1 requires only the run id,
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
