package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ledgerlens/ledgerlens/pipeline/audit"
	"github.com/ledgerlens/ledgerlens/pipeline/inputs"
)

func TestEvaluateTargets(t *testing.T) {
	const mib = 1 << 20
	tests := []struct {
		name               string
		runs, weeks        int
		engine, cold, warm float64
		coldRSS, warmRSS   int64
		want               map[string]bool
	}{
		{"all met", 1_000_000, 8, 2, 8, 3, 900 * mib, 700 * mib,
			map[string]bool{"cold_ratio": true, "warm_ratio": true, "cold_peak_rss": true, "warm_peak_rss": true}},
		{"just over", 1_000_000, 8, 2, 8.01, 3.01, 1024*mib + 1, 1024 * mib,
			map[string]bool{"cold_ratio": false, "warm_ratio": false, "cold_peak_rss": false, "warm_peak_rss": true}},
		{"52 weeks wants warm ≤ 0.5", 1_000_000, 52, 2, 8, 1.01, 900 * mib, 700 * mib,
			map[string]bool{"cold_ratio": true, "warm_ratio": false, "cold_peak_rss": true, "warm_peak_rss": true}},
		{"52 weeks met", 1_000_000, 52, 2, 8, 1, 900 * mib, 700 * mib,
			map[string]bool{"cold_ratio": true, "warm_ratio": true, "cold_peak_rss": true, "warm_peak_rss": true}},
		{"10M allows 2 GiB and sets no cold ratio", 10_000_000, 8, 20, 180, 50, 2048 * mib, 1500 * mib,
			map[string]bool{"warm_ratio": true, "cold_peak_rss": true, "warm_peak_rss": true}},
		{"10M over 2 GiB", 10_000_000, 8, 20, 81, 51, 2049 * mib, 1500 * mib,
			map[string]bool{"warm_ratio": false, "cold_peak_rss": false, "warm_peak_rss": true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &results{LedgerRuns: tt.runs, Fixture: fixtureInfo{Weeks: tt.weeks}, EngineS: tt.engine, ColdS: tt.cold, WarmS: tt.warm,
				PeakRSSBytes: map[string]int64{"cold": tt.coldRSS, "warm": tt.warmRSS}}
			r.evaluate()
			got := map[string]bool{}
			for _, tg := range r.Targets {
				// These cases measure no floors: the ingest targets are
				// listed as not measured (TestIngestFloorTargetsNotMeasured).
				if tg.NotMeasured == "" {
					got[tg.Name] = tg.Pass
				}
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("targets %v, want %v", got, tt.want)
			}
			if want := round3(tt.cold / tt.engine); r.ColdRatio != want {
				t.Errorf("cold_ratio %v, want %v", r.ColdRatio, want)
			}
		})
	}
}

// TestRatioTargetsCarryCPUBound: a ratio target says the least ratio the
// job's CPU time allows on the run's cores (stop 39's committed 8-week run:
// cold 4.403 CPU-s, warm 1.506, engine 0.485 s, 2 cores), and says nothing
// when the cores or the CPU time are unknown. The table prints it.
func TestRatioTargetsCarryCPUBound(t *testing.T) {
	tests := []struct {
		name       string
		cores      int
		cpu        map[string]float64
		cold, warm float64 // want
	}{
		{"two cores", 2, map[string]float64{"cold": 4.403, "warm": 1.506}, 4.539, 1.553},
		{"one core", 1, map[string]float64{"cold": 4.403, "warm": 1.506}, 9.078, 3.105},
		{"cores unknown", 0, map[string]float64{"cold": 4.403, "warm": 1.506}, 0, 0},
		{"warm job's CPU not recorded", 2, map[string]float64{"cold": 4.403}, 4.539, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &results{LedgerRuns: 1_000_000, Fixture: fixtureInfo{Weeks: 8}, Cores: tt.cores,
				EngineS: 0.485, ColdS: 2.581, WarmS: 1.006, CPUSeconds: tt.cpu, PeakRSSBytes: map[string]int64{}}
			r.evaluate()
			got := map[string]float64{}
			for _, tg := range r.Targets {
				if tg.CPUBound != 0 {
					got[tg.Name] = tg.CPUBound
				}
			}
			want := map[string]float64{}
			if tt.cold > 0 {
				want["cold_ratio"] = tt.cold
			}
			if tt.warm > 0 {
				want["warm_ratio"] = tt.warm
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("CPU bounds %v, want %v", got, want)
			}
			var b bytes.Buffer
			r.printTable(&b)
			if say := "allows"; strings.Contains(b.String(), say) != (len(want) > 0) {
				t.Errorf("table says %q: %v, want %v:\n%s", say, strings.Contains(b.String(), say), len(want) > 0, b.String())
			}
		})
	}
}

func TestPrintTableSaysPassAndFail(t *testing.T) {
	r := &results{LedgerRuns: 1_000_000, EngineS: 2, ColdS: 8.2, WarmS: 1,
		PeakRSSBytes: map[string]int64{"cold": 512 << 20, "warm": 256 << 20}, CPUSeconds: map[string]float64{}}
	r.evaluate()
	var b bytes.Buffer
	r.printTable(&b)
	out := b.String()
	for _, want := range []string{"FAIL  cold_ratio", "PASS  warm_ratio", "PASS  cold_peak_rss", "(a) engine", "(b) cold weekly job", "(c) warm weekly job"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
}

func TestSpellings(t *testing.T) {
	names := []string{"run_id", "timestamp", "scenario_id", "credits_total", "deployment_timestamp",
		"Run_ID_1", "Timestamp_1", "Scenario_ID_1", "Credits_Total_1", "Scenario_Name_1", "timestamp_x"}
	tests := []struct {
		key  string
		want []string
	}{
		{"scenario_id", []string{"scenario_id", "Scenario_ID_1"}},
		{"timestamp", []string{"timestamp", "Timestamp_1"}},
		{"credits_total", []string{"credits_total", "Credits_Total_1"}},
		{"model", nil},
	}
	for _, tt := range tests {
		if got := spellings(names, tt.key); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("spellings(%s) = %v, want %v", tt.key, got, tt.want)
		}
	}
}

func TestSameTop(t *testing.T) {
	top := []engineTop{{ScenarioID: "A"}, {ScenarioID: "B"}}
	tests := []struct {
		report []string
		want   bool
	}{
		{[]string{"A", "B"}, true},
		{[]string{"A", "B", "C"}, true},
		{[]string{"B", "A"}, false},
		{[]string{"A"}, false},
	}
	for _, tt := range tests {
		if got := sameTop(top, tt.report); got != tt.want {
			t.Errorf("sameTop(%v) = %v, want %v", tt.report, got, tt.want)
		}
	}
	if sameTop(nil, nil) {
		t.Error("an empty engine answer matched")
	}
}

func TestWriteResults(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sub", "results.json")
	r := &results{When: "2026-01-01T00:00:00Z", EngineS: 1.5, PeakRSSBytes: map[string]int64{"cold": 42}}
	if err := writeResults(path, r); err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatal(err)
	}
	if got["engine_s"] != 1.5 || got["when"] != "2026-01-01T00:00:00Z" {
		t.Errorf("results %v", got)
	}
	left, _ := os.ReadDir(filepath.Dir(path))
	if len(left) != 1 {
		t.Errorf("temporary files left: %v", left)
	}
}

// TestReadStepTimes writes a real audit log the way a weekly job does and
// reads the step split back.
func TestReadStepTimes(t *testing.T) {
	root := t.TempDir()
	l := inputs.NewLayout(root)
	if err := os.MkdirAll(l.StateDir, 0o755); err != nil {
		t.Fatal(err)
	}
	started := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	now := started
	log, err := audit.Open(l.AuditLog, func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	add := func(at time.Duration, event string, fields map[string]any) {
		t.Helper()
		now = started.Add(at)
		if _, err := log.Append(ctx, event, fields); err != nil {
			t.Fatal(err)
		}
	}
	// An earlier job in the same log must be ignored.
	add(-time.Hour, audit.EventJobStart, map[string]any{"job": "weekly-review"})
	add(-time.Hour+time.Second, audit.EventIngest, map[string]any{"lines": 1})
	add(-time.Hour+2*time.Second, audit.EventJobEnd, map[string]any{})

	add(100*time.Millisecond, audit.EventJobStart, map[string]any{"job": "weekly-review"})
	add(2100*time.Millisecond, audit.EventIngest, map[string]any{"lines": 10})
	add(3*time.Second, audit.EventJobStep, map[string]any{"step": "analyse", "duration_ms": 800})
	add(3100*time.Millisecond, audit.EventJobStep, map[string]any{"step": "render_json", "duration_ms": 50})
	add(3300*time.Millisecond, audit.EventJobStep, map[string]any{"step": "render_xlsx", "duration_ms": 150})
	add(3320*time.Millisecond, audit.EventJobStep, map[string]any{"step": "sign", "duration_ms": 10})
	add(3400*time.Millisecond, audit.EventJobStep, map[string]any{"step": "publish", "duration_ms": 60})
	add(3500*time.Millisecond, audit.EventJobEnd, map[string]any{})

	st, err := readStepTimes(root, started, 4)
	if err != nil {
		t.Fatal(err)
	}
	// The two render steps run at once: rendering takes the longer one.
	want := stepTimes{StartupS: 0.1, IngestS: 2, AnalyseS: 0.8, RenderJSONS: 0.05, RenderXLSXS: 0.15, RenderS: 0.15, SignS: 0.01, PublishS: 0.06}
	want.OtherS = 4 - (0.1 + 2 + 0.8 + 0.15 + 0.01 + 0.06)
	if round3(st.OtherS) != round3(want.OtherS) {
		t.Errorf("other %v, want %v", st.OtherS, want.OtherS)
	}
	st.OtherS = want.OtherS
	if *st != want {
		t.Errorf("steps %+v, want %+v", *st, want)
	}

	if _, err := readStepTimes(t.TempDir(), started, 4); err == nil {
		t.Error("no error for a root without an audit log")
	}
}
