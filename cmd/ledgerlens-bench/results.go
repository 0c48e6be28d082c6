package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
)

// results is bench/results.json: a measurement record (it carries the time
// it was taken; unlike the product's reports it is not meant to be
// reproducible byte for byte).
type results struct {
	When        string `json:"when"` // UTC, RFC 3339
	GoVersion   string `json:"go_version"`
	Cores       int    `json:"cores"`
	GOOS        string `json:"goos"`
	GOARCH      string `json:"goarch"`
	Ledgerlens  string `json:"ledgerlens"` // `ledgerlens --version`
	LedgerBytes int64  `json:"ledger_bytes"`
	LedgerRuns  int    `json:"ledger_runs"`
	LedgerLines int64  `json:"ledger_lines"`
	// LoadAvg is /proc/loadavg's 1-minute figure before and after the
	// phases: the host is shared, and a busy one stretches every time.
	LoadAvg [2]float64 `json:"load_avg_1m"`
	// THP is the host's transparent huge page mode (Linux's
	// /sys/kernel/mm/transparent_hugepage/enabled, the selected one; ""
	// when unknown). On a virtual machine that backs memory on demand it
	// moves the jobs' times by a fifth or more (bench/HISTORY.md).
	THP string `json:"transparent_hugepages"`
	// HugePages says whether the processes measured (the engine reference,
	// the floors and the jobs alike) advised huge pages for their large
	// mappings: "on" under LEDGERLENS_HUGEPAGES=on and the kernel's madvise
	// mode, else "off" (pipeline/hugepages).
	HugePages string `json:"hugepages"`

	// Repeat is how many rounds of (a), (b), (c) ran; each *_s is the
	// phase's best round, Samples has them all.
	Repeat int `json:"repeat"`
	// SettleS is the pause before each of (a), (b), (c) and the floors,
	// in seconds (settle).
	SettleS float64              `json:"settle_s"`
	Samples map[string][]float64 `json:"samples_s"`
	EngineS float64              `json:"engine_s"`
	ColdS   float64              `json:"cold_s"`
	WarmS   float64              `json:"warm_s"`
	// QueryS is (d): an analyst's read-only `ledgerlens query` on the
	// store the warm job left, which opens it and so replays its WAL.
	QueryS    float64 `json:"query_after_warm_s"`
	ColdRatio float64 `json:"cold_ratio"`
	WarmRatio float64 `json:"warm_ratio"`
	// PeakRSSBytes per phase: engine, cold, warm (and jq when it ran).
	PeakRSSBytes map[string]int64 `json:"peak_rss_bytes"`
	// CPUSeconds per phase (user + system): how much of the 2 cores a
	// phase used.
	CPUSeconds map[string]float64 `json:"cpu_s"`
	// SysSeconds and MinorFaults per phase, of its best round: the
	// kernel's share of CPUSeconds and the page faults behind most of it.
	SysSeconds  map[string]float64 `json:"sys_s"`
	MinorFaults map[string]int64   `json:"minor_page_faults"`
	// CompactStalls and HugePageFallbacks per phase, of its best round:
	// the host's direct compactions and huge page faults served with
	// small pages while it ran (phase.CompactStalls).
	CompactStalls map[string]int64 `json:"compact_stalls"`
	// CompactStallSamples are every round's, in round order (as Samples).
	CompactStallSamples map[string][]int64 `json:"compact_stalls_samples"`
	HugePageFallbacks   map[string]int64   `json:"huge_page_fallbacks"`
	Targets             []target           `json:"targets"`

	Fixture fixtureInfo `json:"fixture"`
	// Steps split the cold and warm jobs' times (from their audit logs).
	Steps map[string]*stepTimes `json:"steps,omitempty"`
	// Engine is the reference's answer; TopMatches says whether the warm
	// job's top_scenarios_by_total names the same scenarios in the same
	// order (both computed the same thing).
	Engine     engineOutput `json:"engine"`
	TopMatches bool         `json:"engine_top_matches_report"`
	JQ         *jqResult    `json:"jq"`
	// Floor is DuckDB writing the stored rows and nothing else (floor.go):
	// measured once, after the rounds, on the last round's store.
	Floor *storeFloor `json:"store_write_floor,omitempty"`
	// Profile holds the in-process re-runs under the CPU profiler (-profile).
	Profile map[string]*profileOutput `json:"profile,omitempty"`
	Notes   []string                  `json:"notes"`
}

// fixtureInfo says what was measured.
type fixtureInfo struct {
	Dir          string `json:"dir"`
	Runs         int    `json:"runs"`
	Seed         int64  `json:"seed"`
	Weeks        int    `json:"weeks"`
	Start        string `json:"start"`
	PreviousWeek string `json:"previous_week"` // what the cold job reports
	FocusWeek    string `json:"focus_week"`    // what the warm job reports
	CutLine      int64  `json:"cut_line"`      // first line of the focus week
	ColdBytes    int64  `json:"cold_ledger_bytes"`
	AppendBytes  int64  `json:"appended_bytes"`
}

// storeFloor is ingest's floors (floor.go) with the store-write floor's
// ratios to the engine reference, and each measured phase beside its floor.
type storeFloor struct {
	floorOutput
	// ColdRatio is the cold part's store write (insert, commit with
	// checkpoint) over engine_s; WarmRatio the appended part's (insert,
	// commit; its deferred checkpoint is warm.checkpoint_s) over engine_s.
	ColdRatio float64 `json:"cold_ratio"`
	WarmRatio float64 `json:"warm_ratio"`
	// Phases lists, for "cold" and "warm", each phase beside its floor.
	Phases map[string][]phaseFloor `json:"phases"`
}

// phaseFloor is one phase's time beside its floor.
type phaseFloor struct {
	Phase  string  `json:"phase"`
	S      float64 `json:"s"`
	FloorS float64 `json:"floor_s"`
	// Ratio is S / FloorS (0 when the floor is 0).
	Ratio float64 `json:"ratio"`
	// Floor says what the floor is made of.
	Floor string `json:"floor"`
}

// phaseFloors puts the jobs' ingest step and store.Ingest's phases beside
// their floors. The ingest step and the load overlap hashing, parsing and
// inserting on all cores, and a warm ingest's append-only check runs
// while its load does, so their floor (the parts' sum, each measured
// alone) can be beaten, and the check's own time, shared cores and all,
// exceeds its floor; every other floor is one operation.
func phaseFloors(f floorOutput, steps map[string]*stepTimes) map[string][]phaseFloor {
	row := func(phase string, s, floor float64, what string) phaseFloor {
		p := phaseFloor{Phase: phase, S: round3(s), FloorS: round3(floor), Floor: what}
		if floor > 0 {
			p.Ratio = round3(s / floor)
		}
		return p
	}
	out := map[string][]phaseFloor{}
	for _, job := range []struct {
		name string
		lf   loadFloor
	}{{"cold", f.Cold}, {"warm", f.Warm}} {
		lf, name := job.lf, job.name
		commitFloor, commitWhat := lf.CommitS, "COMMIT alone (checkpoint deferred)"
		if name == "cold" {
			commitFloor, commitWhat = lf.CommitS+lf.CheckpointS, "COMMIT with checkpoint + CHECKPOINT, alone"
		}
		ingestFloor := lf.AppendOnlyCheckS + lf.HashS + lf.ParseArrowS + lf.StoreWriteS
		var rows []phaseFloor
		if st := steps[name]; st != nil {
			rows = append(rows, row("job ingest step", st.IngestS, ingestFloor,
				"append-only check + hash + parse+Arrow + store write, each alone"))
		}
		rows = append(rows,
			row("store.Ingest", lf.Ingest.TotalS, ingestFloor, "append-only check + hash + parse+Arrow + store write, each alone"),
			row("append-only check", lf.Ingest.CheckS, lf.AppendOnlyCheckS, "BLAKE3 chunk digests of the covered prefix, all cores (in the ingest: while the load runs)"),
			row("load", lf.Ingest.LoadS, lf.HashS+lf.ParseArrowS+lf.InsertS, "hash + parse+Arrow + INSERT from the registered view, each alone"),
			row("commit", lf.Ingest.CommitS+lf.Ingest.CheckpointS, commitFloor, commitWhat),
			row("parse+Arrow (floor)", lf.ParseArrowS, lf.ParseS, "ledger.Parse alone, all cores"),
		)
		out[name] = rows
	}
	return out
}

// target is one docs/ARCHITECTURE.md, "Performance" goal and whether this run met it.
type target struct {
	Name  string  `json:"name"`
	Value float64 `json:"value"`
	Limit float64 `json:"limit"`
	Unit  string  `json:"unit"`
	Pass  bool    `json:"pass"`
	// NotMeasured says why a target's value could not be measured in this
	// run; such a target does not pass. A missing measurement is kept in
	// the list rather than dropped from it, so that a run that measured
	// less cannot look like a run that passed more.
	NotMeasured string `json:"not_measured,omitempty"`
	// CPUBound, on a ratio target, is the least ratio the job's own CPU
	// time allows on the run's cores: the CPU seconds (user + system) of
	// the round whose time is reported (the fastest), divided by the
	// cores, against the engine reference. A job cannot finish sooner than
	// that even with every core busy from its start to its end, so a
	// CPUBound above Limit says the target needs less CPU time from the
	// job (or more cores), not less waiting. Omitted when the cores, the
	// CPU time or the engine reference are unknown.
	CPUBound float64 `json:"cpu_bound,omitempty"`
}

// rssLimit is the peak-RSS target of docs/ARCHITECTURE.md, "Performance": 1 GiB at 1M runs, 2 GiB for the
// 10M-run ledger (and anything above 1M).
func rssLimit(runs int) int64 {
	if runs > 1_000_000 {
		return 2 << 30
	}
	return 1 << 30
}

// ratioLimits are the cold and warm ratio targets of docs/ARCHITECTURE.md,
// "Performance": cold ≤ 4× at 1,000,000 runs; warm ≤ 1.5× on the 8-week
// ledger (an eighth appended), ≤ 0.5× on a year's ledger (a 52nd
// appended) and ≤ 2.5× at 10,000,000 runs. Above 1,000,000 runs no cold
// ratio is set (cold is 0): the results still carry cold_ratio.
func ratioLimits(runs, weeks int) (cold, warm float64) {
	switch {
	case runs > 1_000_000:
		return 0, 2.5
	case weeks >= 52:
		return 4, 0.5
	default:
		return 4, 1.5
	}
}

// phaseFloorLimit is how far above its floor a job's ingest may be.
const phaseFloorLimit = 1.5

// evaluate fills in the ratios and the targets.
func (r *results) evaluate() {
	if r.EngineS > 0 {
		r.ColdRatio = round3(r.ColdS / r.EngineS)
		r.WarmRatio = round3(r.WarmS / r.EngineS)
		if r.Floor != nil {
			r.Floor.ColdRatio = round3(r.Floor.Cold.StoreWriteS / r.EngineS)
			r.Floor.WarmRatio = round3(r.Floor.Warm.StoreWriteS / r.EngineS)
		}
	}
	limit := rssLimit(r.LedgerRuns)
	mib := func(b int64) float64 { return round3(float64(b) / (1 << 20)) }
	coldLimit, warmLimit := ratioLimits(r.LedgerRuns, r.Fixture.Weeks)
	r.Targets = nil
	if coldLimit > 0 {
		r.Targets = append(r.Targets, target{Name: "cold_ratio", Value: r.ColdRatio, Limit: coldLimit, Unit: "×",
			Pass: r.ColdRatio <= coldLimit, CPUBound: r.cpuBound("cold")})
	}
	r.Targets = append(r.Targets,
		target{Name: "warm_ratio", Value: r.WarmRatio, Limit: warmLimit, Unit: "×",
			Pass: r.WarmRatio <= warmLimit, CPUBound: r.cpuBound("warm")},
		target{Name: "cold_peak_rss", Value: mib(r.PeakRSSBytes["cold"]), Limit: mib(limit), Unit: "MiB", Pass: r.PeakRSSBytes["cold"] <= limit},
		target{Name: "warm_peak_rss", Value: mib(r.PeakRSSBytes["warm"]), Limit: mib(limit), Unit: "MiB", Pass: r.PeakRSSBytes["warm"] <= limit},
	)
	for _, job := range []string{"cold", "warm"} {
		t := target{Name: job + "_ingest_vs_floor", Limit: phaseFloorLimit, Unit: "×",
			NotMeasured: "the floors were not measured (see notes)"}
		if r.Floor != nil {
			t.NotMeasured = "no floor for the " + job + " job's ingest step"
			for _, p := range r.Floor.Phases[job] {
				if p.Phase == "job ingest step" && p.FloorS > 0 {
					t.Value, t.Pass, t.NotMeasured = p.Ratio, p.Ratio <= phaseFloorLimit, ""
				}
			}
		}
		r.Targets = append(r.Targets, t)
	}
}

// cpuBound is target.CPUBound for the job of phase key.
func (r *results) cpuBound(key string) float64 {
	cpu := r.CPUSeconds[key]
	if r.Cores <= 0 || r.EngineS <= 0 || cpu <= 0 {
		return 0
	}
	return round3(cpu / float64(r.Cores) / r.EngineS)
}

// printTable writes the phase table and the targets.
func (r *results) printTable(w io.Writer) {
	mib := func(b int64) string { return fmt.Sprintf("%.1f", float64(b)/(1<<20)) }
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "phase\tseconds\tratio to (a)\tpeak RSS MiB\tCPU s\tof it kernel s\tpage faults\tcompactions\t")
	row := func(name string, s float64, key string) {
		ratio := "-"
		if r.EngineS > 0 {
			ratio = fmt.Sprintf("%.2f", s/r.EngineS)
		}
		sys, faults, stalls := "-", "-", "-" // not measured for jq
		if f, ok := r.MinorFaults[key]; ok {
			sys, faults = fmt.Sprintf("%.1f", r.SysSeconds[key]), strconv.FormatInt(f, 10)
		}
		if c, ok := r.CompactStalls[key]; ok && c >= 0 {
			stalls = strconv.FormatInt(c, 10)
		}
		fmt.Fprintf(tw, "%s\t%.2f\t%s\t%s\t%.1f\t%s\t%s\t%s\t\n", name, s, ratio, mib(r.PeakRSSBytes[key]), r.CPUSeconds[key], sys, faults, stalls)
	}
	row("(a) engine: read_json + top scenarios", r.EngineS, "engine")
	row("(b) cold weekly job "+r.Fixture.PreviousWeek, r.ColdS, "cold")
	row("(c) warm weekly job "+r.Fixture.FocusWeek, r.WarmS, "warm")
	row("(d) query after the warm job", r.QueryS, "query")
	if r.JQ != nil && r.JQ.Seconds > 0 {
		row("runbook jq -s (top scenarios)", r.JQ.Seconds, "jq")
	}
	tw.Flush()
	if f := r.Floor; f != nil {
		fmt.Fprintf(w, "\nstore-write floor (Arrow batches → registered view → INSERT, the job's settings): cold part's %d rows %.2f s (%.2f× (a)), appended %d rows %.2f s (%.2f× (a); its deferred checkpoint %.2f s more)\n",
			f.Cold.Rows, f.Cold.StoreWriteS, f.ColdRatio, f.Warm.Rows, f.Warm.StoreWriteS, f.WarmRatio, f.Warm.CheckpointS)
		for _, job := range []string{"cold", "warm"} {
			fmt.Fprintf(w, "%s phases beside their floors:\n", job)
			ptw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
			fmt.Fprintln(ptw, "  phase\tseconds\tfloor s\t× floor\t")
			for _, p := range f.Phases[job] {
				fmt.Fprintf(ptw, "  %s\t%.2f\t%.2f\t%.2f\t\n", p.Phase, p.S, p.FloorS, p.Ratio)
			}
			ptw.Flush()
		}
	}

	fmt.Fprintf(w, "\nledger: %d runs, %d lines, %.1f MiB; %d cores; %s; load average %.2f before, %.2f after; transparent huge pages %q, advised %s; a pause of %gs before each phase\n",
		r.LedgerRuns, r.LedgerLines, float64(r.LedgerBytes)/(1<<20), r.Cores, r.GoVersion, r.LoadAvg[0], r.LoadAvg[1], r.THP, r.HugePages, r.SettleS)
	fmt.Fprintln(w, "\ntargets (docs/ARCHITECTURE.md, 'Performance'):")
	for _, t := range r.Targets {
		if t.NotMeasured != "" {
			fmt.Fprintf(w, "  NOT MEASURED  %-14s ≤ %.2f %s: %s\n", t.Name, t.Limit, t.Unit, t.NotMeasured)
			continue
		}
		verdict := "FAIL"
		if t.Pass {
			verdict = "PASS"
		}
		fmt.Fprintf(w, "  %-4s  %-14s %10.2f %-3s ≤ %.2f", verdict, t.Name, t.Value, t.Unit, t.Limit)
		if t.CPUBound > 0 {
			fmt.Fprintf(w, "   (its CPU time on %d cores allows %.2f %s at best)", r.Cores, t.CPUBound, t.Unit)
		}
		fmt.Fprintln(w)
	}
	switch {
	case r.JQ == nil:
	case r.JQ.ColdRatio != nil:
		fmt.Fprintf(w, "\nrunbook jq: %.2f s; the cold weekly job takes %.2f× jq's time (and does every section, not one query)\n",
			r.JQ.Seconds, *r.JQ.ColdRatio)
	default:
		fmt.Fprintf(w, "\nrunbook jq: %s\n", r.JQ.Note)
	}
	if r.JQ != nil && r.JQ.RawLedger != nil && r.JQ.RawLedger.ExitCode != 0 {
		fmt.Fprintf(w, "runbook jq on the raw ledger fails: %s\n", r.JQ.RawLedger.Error)
	}
	for name, st := range r.Steps {
		if st == nil {
			continue
		}
		fmt.Fprintf(w, "%s job steps: startup %.2f, ingest %.2f, analyse %.2f, render %.2f (json %.2f and xlsx %.2f at once), sign %.2f, publish %.2f, other %.2f s\n",
			name, st.StartupS, st.IngestS, st.AnalyseS, st.RenderS, st.RenderJSONS, st.RenderXLSXS, st.SignS, st.PublishS, st.OtherS)
	}
	for _, n := range r.Notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
}

// writeResults writes path atomically (temporary file and rename), so a
// stopped run never leaves a truncated results file.
func writeResults(path string, r *results) error {
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, ".results-*.json")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(append(data, '\n')); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

func round3(v float64) float64 { return math.Round(v*1000) / 1000 }

// sameTop reports whether the report's top scenarios start with the
// engine's, in order.
func sameTop(engine []engineTop, report []string) bool {
	if len(engine) == 0 || len(report) < len(engine) {
		return false
	}
	for i, e := range engine {
		if !strings.EqualFold(e.ScenarioID, report[i]) {
			return false
		}
	}
	return true
}

// loadAvg is the 1-minute load average (Linux); 0 where unknown.
func loadAvg() float64 {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	fields := strings.Fields(string(data))
	if len(fields) == 0 {
		return 0
	}
	v, _ := strconv.ParseFloat(fields[0], 64)
	return v
}
