package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestFloorCommand runs `ledgerlens-bench floor` on a small ledger cut in
// two: the cold and the appended part together cover every complete line,
// store.Ingest loaded the same rows the floors did, and every floor took
// some time.
func TestFloorCommand(t *testing.T) {
	dir := t.TempDir()
	ledger := filepath.Join(dir, "ledger.jsonl")
	var lines []string
	for i := range 600 {
		spell := `{"Run_ID":"R%d","Timestamp":"2026-02-%02dT01:00:00Z","Scenario_ID":"S%d","Credits_Total":%d.5,"Severity":"high","Risk_Flags":["a","b"]}`
		if i%3 == 0 {
			spell = `{"run_id":"R%d","timestamp":"2026-02-%02dT01:00:00Z","scenario_id":"S%d","credits_total":%d.5}`
		}
		lines = append(lines, strings.NewReplacer("%d", strconv.Itoa(i), "%02d", "1"+strconv.Itoa(i%9), "S%d", "S"+strconv.Itoa(i%7)).Replace(spell))
	}
	lines[10] = `{"Run_ID": broken`
	content := strings.Join(lines, "\n") + "\n" + `{"Run_ID":"partial`
	if err := os.WriteFile(ledger, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	cut := strings.Index(content, `"R400"`)
	cut = strings.LastIndexByte(content[:cut], '\n') + 1

	var out bytes.Buffer
	args := []string{"-ledger", ledger, "-cut", strconv.Itoa(cut), "-db", filepath.Join(dir, "db")}
	if err := cmdFloor(context.Background(), args, &out); err != nil {
		t.Fatal(err)
	}
	var got floorOutput
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("%v: %s", err, out.String())
	}
	if got.Cold.Lines != 400 || got.Warm.Lines != 200 || got.Cold.Bytes != int64(cut) {
		t.Errorf("cold %d lines %d bytes, warm %d lines: want 400 lines %d bytes, 200 lines", got.Cold.Lines, got.Cold.Bytes, got.Warm.Lines, cut)
	}
	if got.Cold.Rows != 399 || got.Warm.Rows != 200 {
		t.Errorf("rows: cold %d, warm %d; want 399 (one malformed line), 200", got.Cold.Rows, got.Warm.Rows)
	}
	for name, lf := range map[string]loadFloor{"cold": got.Cold, "warm": got.Warm} {
		if lf.ParseS <= 0 || lf.ParseArrowS <= 0 || lf.HashS <= 0 || lf.StoreWriteS <= 0 || lf.Ingest.TotalS <= 0 || lf.Ingest.LoadS <= 0 {
			t.Errorf("%s: %+v: want every phase and floor > 0", name, lf)
		}
	}
	if got.Cold.AppendOnlyCheckS != 0 || got.Warm.AppendOnlyCheckS <= 0 {
		t.Errorf("append-only check floor: cold %v, warm %v", got.Cold.AppendOnlyCheckS, got.Warm.AppendOnlyCheckS)
	}

	for _, bad := range [][]string{{"-ledger", ledger, "-db", dir}, {"-cut", "5", "-db", dir}} {
		if err := cmdFloor(context.Background(), bad, &out); err == nil {
			t.Errorf("floor %v: no usage error", bad)
		}
	}
}

// TestPhaseFloors checks the phases-beside-floors table: each floor is
// made of the right parts and the ratio is time over floor.
func TestPhaseFloors(t *testing.T) {
	f := floorOutput{
		Cold: loadFloor{HashS: 0.4, ParseS: 0.6, ParseArrowS: 0.8, InsertS: 1, CommitS: 0.1, CheckpointS: 0.1, StoreWriteS: 1.2,
			Ingest: ingestPhases{CheckS: 0.01, LoadS: 2.2, CommitS: 0.3, TotalS: 2.4}},
		Warm: loadFloor{AppendOnlyCheckS: 0.2, HashS: 0.05, ParseS: 0.1, ParseArrowS: 0.1, InsertS: 0.3, CommitS: 0.05, CheckpointS: 0.5, StoreWriteS: 0.35,
			Ingest: ingestPhases{CheckS: 0.3, LoadS: 0.5, CommitS: 0.1, TotalS: 1}},
	}
	steps := map[string]*stepTimes{"cold": {IngestS: 2.4 * 1.5}}
	got := phaseFloors(f, steps)
	find := func(job, phase string) phaseFloor {
		for _, p := range got[job] {
			if p.Phase == phase {
				return p
			}
		}
		t.Fatalf("%s: no phase %q in %+v", job, phase, got[job])
		return phaseFloor{}
	}
	tests := []struct {
		job, phase  string
		s, floor, r float64
	}{
		{"cold", "job ingest step", 3.6, 2.4, 1.5},
		{"cold", "store.Ingest", 2.4, 2.4, 1},
		{"cold", "load", 2.2, 2.2, 1},
		{"cold", "commit", 0.3, 0.2, 1.5},
		{"cold", "parse+Arrow (floor)", 0.8, 0.6, 1.333},
		{"warm", "append-only check", 0.3, 0.2, 1.5},
		{"warm", "commit", 0.1, 0.05, 2},
		{"warm", "store.Ingest", 1, 0.7, 1.429},
	}
	for _, tt := range tests {
		p := find(tt.job, tt.phase)
		if p.S != tt.s || p.FloorS != tt.floor || p.Ratio != tt.r {
			t.Errorf("%s %s: %+v, want s %v floor %v ratio %v", tt.job, tt.phase, p, tt.s, tt.floor, tt.r)
		}
	}
	for _, p := range got["warm"] {
		if p.Phase == "job ingest step" {
			t.Errorf("warm has a job ingest step without step times: %+v", p)
		}
	}
}

// TestIngestFloorTargets checks that each job's ingest step is held to
// 1.5× its floor once the floors were measured.
func TestIngestFloorTargets(t *testing.T) {
	r := &results{LedgerRuns: 1_000_000, EngineS: 1, ColdS: 3, WarmS: 1, PeakRSSBytes: map[string]int64{},
		Floor: &storeFloor{Phases: map[string][]phaseFloor{
			"cold": {{Phase: "job ingest step", S: 2.8, FloorS: 2, Ratio: 1.4}, {Phase: "load", S: 9, FloorS: 1, Ratio: 9}},
			"warm": {{Phase: "job ingest step", S: 1.6, FloorS: 1, Ratio: 1.6}},
		}}}
	r.evaluate()
	got := map[string]bool{}
	for _, tg := range r.Targets {
		got[tg.Name] = tg.Pass
		if tg.NotMeasured != "" {
			t.Errorf("%s was measured, but says not measured: %q", tg.Name, tg.NotMeasured)
		}
	}
	if pass, ok := got["cold_ingest_vs_floor"]; !ok || !pass {
		t.Errorf("cold_ingest_vs_floor at 1.4×: %v (present %v), want PASS", pass, ok)
	}
	if pass, ok := got["warm_ingest_vs_floor"]; !ok || pass {
		t.Errorf("warm_ingest_vs_floor at 1.6×: %v (present %v), want FAIL", pass, ok)
	}
	if _, ok := got["load_vs_floor"]; ok {
		t.Error("only the ingest step is a target")
	}
}

// TestIngestFloorTargetsNotMeasured checks that a run whose floors could
// not be measured (the floor's copy of the ledger ran out of disk, say)
// still lists both ingest targets, as not measured and not passed,
// instead of leaving them out.
func TestIngestFloorTargetsNotMeasured(t *testing.T) {
	for _, tt := range []struct {
		name  string
		floor *storeFloor
	}{
		{"no floors", nil},
		{"no ingest step floor", &storeFloor{Phases: map[string][]phaseFloor{"cold": {{Phase: "load", S: 1, FloorS: 1, Ratio: 1}}}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := &results{LedgerRuns: 10_000_000, EngineS: 1, ColdS: 3, WarmS: 1, PeakRSSBytes: map[string]int64{}, Floor: tt.floor}
			r.evaluate()
			for _, name := range []string{"cold_ingest_vs_floor", "warm_ingest_vs_floor"} {
				i := slices.IndexFunc(r.Targets, func(tg target) bool { return tg.Name == name })
				if i < 0 {
					t.Fatalf("%s missing from the targets: %+v", name, r.Targets)
				}
				if tg := r.Targets[i]; tg.Pass || tg.NotMeasured == "" {
					t.Errorf("%s = %+v, want not passed and not measured", name, tg)
				}
			}
			var out strings.Builder
			r.printTable(&out)
			if !strings.Contains(out.String(), "NOT MEASURED  cold_ingest_vs_floor") {
				t.Errorf("the table does not say the floors were not measured:\n%s", out.String())
			}
		})
	}
}
