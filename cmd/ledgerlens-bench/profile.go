package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/pprof"
	"time"

	"github.com/ledgerlens/ledgerlens/pipeline"
	"github.com/ledgerlens/ledgerlens/pipeline/inputs"
	pipelinejob "github.com/ledgerlens/ledgerlens/pipeline/job"
)

// profileOutput is what `ledgerlens-bench profile` prints: the job's step
// timings as seen in-process, including the ingest's own phases.
type profileOutput struct {
	TotalS float64 `json:"total_s"`
	// Ingest phases from store.IngestResult.
	IngestCheckS float64 `json:"ingest_check_s"`
	// IngestCheckBegunEarly: the check finished digests begun before the
	// store opened (store.LedgerFile.Prehash).
	IngestCheckBegunEarly bool    `json:"ingest_check_begun_early"`
	IngestLoadS           float64 `json:"ingest_load_s"`
	IngestDuplicatesS     float64 `json:"ingest_duplicates_s"`
	IngestCommitS         float64 `json:"ingest_commit_s"`
	IngestCheckpointS     float64 `json:"ingest_checkpoint_s"`
	IngestLines           int64   `json:"ingest_lines"`
	// StepsS is the time from the job's start to the end of each
	// checkpointed step (cumulative), from Env.AfterStep.
	StepsS     map[string]float64 `json:"steps_cumulative_s"`
	CPUProfile string             `json:"cpu_profile,omitempty"`
}

// cmdProfile runs one weekly job in this process, the way `ledgerlens
// report weekly` does (pipeline.RunWeekly), optionally under the CPU
// profiler. DuckDB's own threads are C++; the profile shows their time
// under the cgo calls that wait for them.
func cmdProfile(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("profile", flag.ContinueOnError)
	root := fs.String("root", "", "working root")
	week := fs.String("week", "", "period (a Monday, YYYY-MM-DD)")
	cpu := fs.String("cpuprofile", "", "write a CPU profile here")
	if err := fs.Parse(args); err != nil {
		return usageError{err.Error()}
	}
	if *root == "" || *week == "" || fs.NArg() != 0 {
		return usageError{"profile wants -root DIR -week YYYY-MM-DD"}
	}
	out := profileOutput{StepsS: map[string]float64{}, CPUProfile: *cpu}
	began := time.Now()
	env := pipelinejob.Env{
		Layout:  inputs.NewLayout(*root),
		Log:     slog.New(slog.NewTextHandler(io.Discard, nil)),
		Now:     time.Now,
		Version: "ledgerlens-bench",
		Command: "ledgerlens-bench profile",
		// As `ledgerlens report weekly` does (cmd/ledgerlens/env.go).
		StoreOptions: pipelinejob.StoreOptions(""),
		AfterStep: func(_ context.Context, step string) {
			out.StepsS[step] = round3(time.Since(began).Seconds())
		},
	}
	if *cpu != "" {
		f, err := os.Create(*cpu)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	asOf, err := weekAsOf(*week)
	if err != nil {
		return usageError{err.Error()}
	}
	res, err := pipeline.RunWeekly(ctx, env, pipeline.WeeklyOptions{Week: *week, AsOf: asOf})
	if err != nil {
		return fmt.Errorf("weekly job in %s: %w", *root, err)
	}
	out.TotalS = round3(time.Since(began).Seconds())
	ing := res.Ingest
	out.IngestCheckS = round3(ing.CheckTime.Seconds())
	out.IngestCheckBegunEarly = ing.CheckBegunEarly
	out.IngestLoadS = round3(ing.LoadTime.Seconds())
	out.IngestDuplicatesS = round3(ing.DuplicatesTime.Seconds())
	out.IngestCommitS = round3(ing.CommitTime.Seconds())
	out.IngestCheckpointS = round3(ing.CheckpointTime.Seconds())
	out.IngestLines = ing.Lines
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
