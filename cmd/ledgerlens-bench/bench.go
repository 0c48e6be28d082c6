package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/ledgerlens/ledgerlens/pipeline/hugepages"
	"github.com/ledgerlens/ledgerlens/pipeline/inputs"
)

// run performs one whole measurement (see the package doc) and returns its
// results; the caller writes them.
func run(ctx context.Context, cfg runConfig, stdout io.Writer) (*results, error) {
	logf := func(format string, args ...any) { fmt.Fprintf(stdout, "== "+format+"\n", args...) }
	r := &results{
		When:              time.Now().UTC().Format(time.RFC3339),
		GoVersion:         runtime.Version(),
		Cores:             runtime.NumCPU(),
		GOOS:              runtime.GOOS,
		GOARCH:            runtime.GOARCH,
		LedgerRuns:        cfg.Runs,
		PeakRSSBytes:      map[string]int64{},
		SysSeconds:        map[string]float64{},
		MinorFaults:       map[string]int64{},
		CPUSeconds:        map[string]float64{},
		CompactStalls:     map[string]int64{},
		HugePageFallbacks: map[string]int64{},
		Steps:             map[string]*stepTimes{},
		Notes:             []string{},
		Repeat:            cfg.Repeat,
		SettleS:           cfg.Settle.Seconds(),
	}
	work := filepath.Join(cfg.DataDir, "work")
	if err := os.RemoveAll(work); err != nil {
		return nil, err
	}
	tmp := filepath.Join(work, "tmp")
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		return nil, err
	}
	if !cfg.Keep {
		defer os.RemoveAll(work)
	}
	// Every phase runs the same ledgerlens: a snapshot of the binary, since
	// `make build` elsewhere in the tree may replace bin/ledgerlens while
	// this runs (a store written by one build and opened by another is not
	// what is being measured).
	snapshot := filepath.Join(work, "ledgerlens")
	if err := copyRange(cfg.Bin, snapshot, 0, -1, os.O_CREATE|os.O_EXCL|os.O_WRONLY); err != nil {
		return nil, fmt.Errorf("snapshot %s: %w", cfg.Bin, err)
	}
	if err := os.Chmod(snapshot, 0o755); err != nil {
		return nil, err
	}
	cfg.Bin = snapshot

	if out, err := command(ctx, nil, cfg.Bin, "--version").Output(); err == nil {
		r.Ledgerlens = strings.TrimSpace(string(out))
	}

	fx, err := ensureFixture(ctx, cfg, logf)
	if err != nil {
		return nil, err
	}
	focus, err := time.Parse(time.DateOnly, fx.FocusWeek)
	if err != nil {
		return nil, fmt.Errorf("fixture focus week: %w", err)
	}
	c, err := findCut(fx.Ledger, focus, focus.AddDate(0, 0, 7))
	if err != nil {
		return nil, err
	}
	r.LedgerBytes, r.LedgerLines = fx.Marker.LedgerBytes, fx.LinesRead
	r.Fixture = fixtureInfo{
		Dir: fx.Dir, Runs: fx.Marker.Runs, Seed: fx.Marker.Seed, Weeks: fx.Marker.Weeks, Start: fx.Marker.Start,
		PreviousWeek: fx.PreviousWeek, FocusWeek: fx.FocusWeek, CutLine: c.Line,
		ColdBytes: c.Offset, AppendBytes: fx.Marker.LedgerBytes - c.Offset,
	}
	logf("ledger %s: %.1f MiB; cold part: lines 1..%d (%.1f MiB), appended for the warm job: %.1f MiB",
		fx.Ledger, mib(r.LedgerBytes), c.Line-1, mib(c.Offset), mib(r.Fixture.AppendBytes))

	// Every phase reads its ledger from the page cache: the fixture is read
	// once here, and the working root's copies were just written.
	if err := readAll(fx.Ledger); err != nil {
		return nil, err
	}
	// Temporary files of the phases (excelize's, DuckDB's spill) stay here.
	env := []string{"TMPDIR=" + tmp}

	r.LoadAvg[0] = loadAvg()
	r.THP = hugepages.KernelMode()
	r.HugePages = "on"
	if !hugepages.On() {
		r.HugePages = "off"
	}
	// Rounds interleave the phases, so that a busy spell on the shared
	// host stretches all three alike; each phase's time is its best round.
	var rounds []round
	for i := range cfg.Repeat {
		if cfg.Repeat > 1 {
			logf("round %d of %d", i+1, cfg.Repeat)
		}
		rd, err := measureRound(ctx, cfg, env, fx, c, work, logf)
		if err != nil {
			return nil, err
		}
		rounds = append(rounds, rd)
	}
	summarize(r, rounds)
	last := rounds[len(rounds)-1]
	r.Engine = last.engineOut
	if last.topErr != nil {
		r.Notes = append(r.Notes, fmt.Sprintf("could not read the warm report's top scenarios: %v", last.topErr))
	} else {
		r.TopMatches = sameTop(r.Engine.Top, last.reportTop)
		if !r.TopMatches {
			r.Notes = append(r.Notes, fmt.Sprintf("engine top scenarios %v differ from the report's %v", topIDs(r.Engine.Top), last.reportTop))
		}
	}
	logf("floors: hash, parse, parse+Arrow and store write of the cold and appended parts, each alone")
	// After the same pause as the jobs, so that the floors' process does
	// not start on the memory the last job had just freed.
	if err := settle(ctx, cfg.Settle, logf, "the floors"); err != nil {
		return nil, err
	}
	// A reference measurement: when it fails, the note says so and the
	// rounds' results are still written.
	if floor, err := storeWriteFloor(ctx, cfg, env, work, fx.Ledger, c.Offset); err != nil {
		r.Notes = append(r.Notes, fmt.Sprintf("store-write floor not measured: %v", err))
		logf("store-write floor not measured: %v", err)
	} else {
		floor.Phases = phaseFloors(floor.floorOutput, r.Steps)
		r.Floor = floor
	}
	r.LoadAvg[1] = loadAvg()

	// The runbook's jq, for comparison.
	if r.JQ, err = runJQ(ctx, cfg, fx.Ledger, filepath.Join(work, "jq-ledger.jsonl"), logf); err != nil {
		return nil, err
	}
	if r.JQ.Seconds > 0 {
		r.PeakRSSBytes["jq"] = r.JQ.PeakRSSBytes
		r.CPUSeconds["jq"] = r.JQ.CPUSeconds
		ratio := round3(r.ColdS / r.JQ.Seconds)
		r.JQ.ColdRatio = &ratio
	}

	if cfg.ProfileDir != "" {
		if r.Profile, err = profileJobs(ctx, cfg, env, fx, c, work, logf); err != nil {
			return nil, err
		}
	}

	r.evaluate()
	fmt.Fprintln(stdout)
	r.printTable(stdout)
	return r, nil
}

// storeWriteFloor runs `ledgerlens-bench floor` on the ledger cut where
// the cold job's part ends.
func storeWriteFloor(ctx context.Context, cfg runConfig, env []string, work, ledger string, cut int64) (*storeFloor, error) {
	dir := filepath.Join(work, "floor")
	defer os.RemoveAll(dir)
	p, err := measure(ctx, "floor", command(ctx, append(env, cfg.SelfEnv...), cfg.Self,
		"floor", "-ledger", ledger, "-cut", strconv.FormatInt(cut, 10), "-db", dir))
	if err != nil {
		return nil, err
	}
	if p.ExitCode != 0 {
		return nil, p.failed()
	}
	f := &storeFloor{}
	if err := json.Unmarshal(p.Stdout, &f.floorOutput); err != nil {
		return nil, fmt.Errorf("floor output: %w", err)
	}
	return f, nil
}

// round is one measurement of each phase.
type round struct {
	engine, cold, warm   phase
	query                phase // (d), after the warm job
	engineOut            engineOutput
	coldSteps, warmSteps *stepTimes
	stepErr              []string
	reportTop            []string
	topErr               error
}

// measureRound runs (a), then (b) on a fresh working root, then appends
// the rest of the ledger and runs (c).
func measureRound(ctx context.Context, cfg runConfig, env []string, fx *fixture, c cut, work string, logf func(string, ...any)) (round, error) {
	var rd round
	var err error
	logf("(a) engine reference: read_json over the whole ledger + top scenarios of %s", fx.FocusWeek)
	db := filepath.Join(work, "engine")
	if err := settle(ctx, cfg.Settle, logf, "(a)"); err != nil {
		return rd, err
	}
	rd.engine, err = measure(ctx, "engine", command(ctx, append(env, cfg.SelfEnv...), cfg.Self,
		"engine", "-db", db, fx.Ledger, fx.FocusWeek))
	if err != nil {
		return rd, err
	}
	if rd.engine.ExitCode != 0 {
		return rd, rd.engine.failed()
	}
	if err := json.Unmarshal(rd.engine.Stdout, &rd.engineOut); err != nil {
		return rd, fmt.Errorf("engine output: %w", err)
	}
	if err := os.RemoveAll(db); err != nil {
		return rd, err
	}

	// (b) cold job on an empty state directory.
	root := filepath.Join(work, "root")
	if err := os.RemoveAll(root); err != nil {
		return rd, err
	}
	if err := newRoot(fx, root, c.Offset); err != nil {
		return rd, err
	}
	if err := ledgerlens(ctx, cfg, env, root, "keys", "generate"); err != nil {
		return rd, err
	}
	// Flush what the setup wrote, so the job does not pay for it.
	syscall.Sync()
	if err := settle(ctx, cfg.Settle, logf, "(b)"); err != nil {
		return rd, err
	}
	logf("(b) cold weekly job: report weekly --week %s on an empty state directory", fx.PreviousWeek)
	if rd.cold, err = job(ctx, cfg, env, "cold", root, fx.PreviousWeek); err != nil {
		return rd, err
	}
	rd.coldSteps = stepsOf(&rd, root, rd.cold)

	// (c) warm job after the focus week was appended.
	if err := appendRest(fx, root, c.Offset); err != nil {
		return rd, err
	}
	syscall.Sync()
	if err := settle(ctx, cfg.Settle, logf, "(c)"); err != nil {
		return rd, err
	}
	logf("(c) warm weekly job: %.1f MiB appended, report weekly --week %s", mib(fx.Marker.LedgerBytes-c.Offset), fx.FocusWeek)
	if rd.warm, err = job(ctx, cfg, env, "warm", root, fx.FocusWeek); err != nil {
		return rd, err
	}
	rd.warmSteps = stepsOf(&rd, root, rd.warm)
	rd.reportTop, rd.topErr = reportTop(root, fx.FocusWeek)

	// (d) an analyst's query on what the warm job left: a read-only open
	// replays the store's WAL, and must succeed.
	logf("(d) query after the warm job: ledgerlens query on the store it left")
	rd.query, err = measure(ctx, "query", command(ctx, env, cfg.Bin, "--root", root, "query", "SELECT count(*) FROM runs"))
	if err != nil {
		return rd, err
	}
	if rd.query.ExitCode != 0 {
		return rd, rd.query.failed()
	}
	return rd, nil
}

// settle pauses for d before the timed phase named by before, saying so
// through logf. A job that cron starts finds an idle host, and this host
// hands the memory a process frees back to its hypervisor within a second
// or two (free page reporting): the first touch of that memory costs far
// more than of memory freed a moment ago, most of all for huge pages
// (BENCHMARKS.md, "The host's first touches"). Without the pause each
// phase ran on what the one before it had just freed, as no job that cron
// starts does. d <= 0 pauses not at all and says nothing.
func settle(ctx context.Context, d time.Duration, logf func(string, ...any), before string) error {
	if d <= 0 {
		return nil
	}
	logf("pause %s before %s", d, before)
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// job runs one measured `ledgerlens report weekly`, which must succeed.
// It passes --as-of a day after the week ends, so the result does not
// depend on the wall clock: a fixture reaching past today would otherwise
// be an unfinished week (refused with exit 2).
func job(ctx context.Context, cfg runConfig, env []string, name, root, week string) (phase, error) {
	asOf, err := weekAsOf(week)
	if err != nil {
		return phase{}, err
	}
	p, err := measure(ctx, name, command(ctx, env, cfg.Bin, "--root", root, "report", "weekly", "--week", week,
		"--as-of", asOf.Format(time.RFC3339)))
	if err != nil {
		return p, err
	}
	if p.ExitCode != 0 {
		return p, p.failed()
	}
	return p, nil
}

// weekAsOf is the instant a benchmark reports week (a Monday) as of: eight
// days after it begins, after the week's end in any time zone.
func weekAsOf(week string) (time.Time, error) {
	d, err := time.Parse(time.DateOnly, week)
	if err != nil {
		return time.Time{}, fmt.Errorf("week %q: %w", week, err)
	}
	return d.AddDate(0, 0, 8), nil
}

// summarize puts the rounds into r: each phase's best time, its peak RSS
// over all rounds, and the best round's CPU time and steps.
func summarize(r *results, rounds []round) {
	best := func(get func(round) phase) (phase, int) {
		bi := 0
		for i, rd := range rounds {
			if get(rd).Seconds < get(rounds[bi]).Seconds {
				bi = i
			}
		}
		return get(rounds[bi]), bi
	}
	r.Samples = map[string][]float64{}
	r.CompactStallSamples = map[string][]int64{}
	for _, ph := range []struct {
		key string
		get func(round) phase
		dst *float64
	}{
		{"engine", func(rd round) phase { return rd.engine }, &r.EngineS},
		{"cold", func(rd round) phase { return rd.cold }, &r.ColdS},
		{"warm", func(rd round) phase { return rd.warm }, &r.WarmS},
		{"query", func(rd round) phase { return rd.query }, &r.QueryS},
	} {
		p, bi := best(ph.get)
		*ph.dst = round3(p.Seconds)
		r.CPUSeconds[ph.key] = round3(p.UserS + p.SysS)
		r.SysSeconds[ph.key] = round3(p.SysS)
		r.MinorFaults[ph.key] = p.MinorFaults
		r.CompactStalls[ph.key] = p.CompactStalls
		r.HugePageFallbacks[ph.key] = p.HugePageFallbacks
		for _, rd := range rounds {
			q := ph.get(rd)
			r.Samples[ph.key] = append(r.Samples[ph.key], round3(q.Seconds))
			r.CompactStallSamples[ph.key] = append(r.CompactStallSamples[ph.key], q.CompactStalls)
			r.PeakRSSBytes[ph.key] = max(r.PeakRSSBytes[ph.key], q.MaxRSS)
		}
		switch ph.key {
		case "cold":
			r.Steps["cold"] = rounds[bi].coldSteps
		case "warm":
			r.Steps["warm"] = rounds[bi].warmSteps
		}
	}
	for _, rd := range rounds {
		r.Notes = append(r.Notes, rd.stepErr...)
	}
}

// stepsOf reads a job's step times, noting (not failing) when it cannot.
func stepsOf(rd *round, root string, p phase) *stepTimes {
	st, err := readStepTimes(root, p.Started, p.Seconds)
	if err != nil {
		rd.stepErr = append(rd.stepErr, fmt.Sprintf("%s job: no step times: %v", p.Name, err))
		return nil
	}
	return st
}

// ledgerlens runs an untimed ledgerlens command on root.
func ledgerlens(ctx context.Context, cfg runConfig, env []string, root string, args ...string) error {
	cmd := command(ctx, env, cfg.Bin, append([]string{"--root", root}, args...)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%v: %w\n%s", cmd.Args, err, out)
	}
	return nil
}

// profileJobs re-runs the cold and warm jobs on a fresh root inside
// `ledgerlens-bench profile`, writing CPU profiles to cfg.ProfileDir.
func profileJobs(ctx context.Context, cfg runConfig, env []string, fx *fixture, c cut, work string, logf func(string, ...any)) (map[string]*profileOutput, error) {
	dir, err := filepath.Abs(cfg.ProfileDir)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	root := filepath.Join(work, "profile-root")
	if err := newRoot(fx, root, c.Offset); err != nil {
		return nil, err
	}
	if err := ledgerlens(ctx, cfg, env, root, "keys", "generate"); err != nil {
		return nil, err
	}
	out := map[string]*profileOutput{}
	for _, job := range []struct{ name, week string }{{"cold", fx.PreviousWeek}, {"warm", fx.FocusWeek}} {
		if job.name == "warm" {
			if err := appendRest(fx, root, c.Offset); err != nil {
				return nil, err
			}
		}
		prof := filepath.Join(dir, job.name+".pprof")
		logf("profile: %s job in-process, CPU profile %s", job.name, prof)
		p, err := measure(ctx, "profile "+job.name, command(ctx, append(env, cfg.SelfEnv...), cfg.Self,
			"profile", "-root", root, "-week", job.week, "-cpuprofile", prof))
		if err != nil {
			return nil, err
		}
		if p.ExitCode != 0 {
			return nil, p.failed()
		}
		var po profileOutput
		if err := json.Unmarshal(p.Stdout, &po); err != nil {
			return nil, fmt.Errorf("profile output: %w", err)
		}
		out[job.name] = &po
	}
	return out, nil
}

// reportTop reads the scenario ids of top_scenarios_by_total from the
// published weekly report of week.
func reportTop(root, week string) ([]string, error) {
	path := filepath.Join(inputs.NewLayout(root).ReviewsDir, "weekly_"+week+".json")
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var w struct {
		Top []struct {
			ScenarioID string `json:"scenario_id"`
		} `json:"top_scenarios_by_total"`
	}
	if err := json.Unmarshal(data, &w); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	ids := make([]string, 0, len(w.Top))
	for _, t := range w.Top {
		ids = append(ids, t.ScenarioID)
	}
	return ids, nil
}

func topIDs(top []engineTop) []string {
	ids := make([]string, 0, len(top))
	for _, t := range top {
		ids = append(ids, t.ScenarioID)
	}
	return ids
}

// readAll reads a file to the end, leaving it in the page cache.
func readAll(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(io.Discard, f)
	return err
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }
