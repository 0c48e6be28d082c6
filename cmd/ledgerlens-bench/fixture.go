package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

// fixture is a cached, generated working root (read-only once written).
type fixture struct {
	Dir    string
	Ledger string // Dir/runs/CREDIT_MONITORING/ledger.jsonl
	Marker fixtureMarker
	// FocusWeek and PreviousWeek come from the fixture's expected.json.
	FocusWeek, PreviousWeek string
	// LinesRead is expected.json's count of ledger lines (runs plus
	// injected malformed lines and duplicates, without the partial tail).
	LinesRead int64
}

// fixtureMarker is written last into a cached fixture: its presence (with a
// ledger of the recorded size) says the generation completed.
type fixtureMarker struct {
	Runs        int    `json:"runs"`
	Seed        int64  `json:"seed"`
	Weeks       int    `json:"weeks"`
	Start       string `json:"start"`
	LedgerBytes int64  `json:"ledger_bytes"`
	GeneratedIn string `json:"generated_in"`
}

const markerName = "bench-fixture.json"

// fixtureDir names the cache entry: the key is every generator argument.
// The fixtures are generated with --no-conflicting-duplicate: a planted
// conflicting duplicate would end every timed job with exit 4 (an
// integrity problem) before anyone could acknowledge it.
func fixtureDir(cfg runConfig) string {
	return filepath.Join(cfg.DataDir, fmt.Sprintf("fixture-r%d-s%d-w%d-%s-noconflict", cfg.Runs, cfg.Seed, cfg.Weeks, cfg.Start))
}

// ensureFixture returns the cached fixture for cfg, generating it with
// `ledgerlens fixtures generate` first if it is missing or incomplete. The
// generator writes into a temporary sibling that is renamed into place, so
// an interrupted generation never looks complete.
func ensureFixture(ctx context.Context, cfg runConfig, logf func(string, ...any)) (*fixture, error) {
	dir := fixtureDir(cfg)
	if !cfg.Regenerate {
		if fx, err := loadFixture(dir); err == nil {
			logf("fixture: cached %s", dir)
			return fx, nil
		} else if !errors.Is(err, fs.ErrNotExist) {
			logf("fixture: regenerating %s (%v)", dir, err)
		}
	}
	if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp(cfg.DataDir, ".generating-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	logf("fixture: generating %d runs (seed %d) into %s", cfg.Runs, cfg.Seed, dir)
	started := time.Now()
	cmd := exec.CommandContext(ctx, cfg.Bin, "fixtures", "generate",
		"--runs", fmt.Sprint(cfg.Runs), "--weeks", fmt.Sprint(cfg.Weeks),
		"--start", cfg.Start, "--seed", fmt.Sprint(cfg.Seed), "--out", tmp, "--no-conflicting-duplicate")
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("generate fixture: %v: %w\n%s", cmd.Args, err, out)
	}
	st, err := os.Stat(ledgerOf(tmp))
	if err != nil {
		return nil, fmt.Errorf("generate fixture: %w", err)
	}
	m := fixtureMarker{Runs: cfg.Runs, Seed: cfg.Seed, Weeks: cfg.Weeks, Start: cfg.Start,
		LedgerBytes: st.Size(), GeneratedIn: time.Since(started).Round(time.Millisecond).String()}
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(tmp, markerName), append(data, '\n'), 0o644); err != nil {
		return nil, err
	}
	if err := os.RemoveAll(dir); err != nil {
		return nil, err
	}
	if err := os.Rename(tmp, dir); err != nil {
		return nil, err
	}
	return loadFixture(dir)
}

// ledgerRel is the ledger's place in a working root (docs/ARCHITECTURE.md, "Layout").
const ledgerRel = "runs/CREDIT_MONITORING/ledger.jsonl"

// ledgerOf is the ledger of the working root root.
func ledgerOf(root string) string { return filepath.Join(root, filepath.FromSlash(ledgerRel)) }

// loadFixture opens a cached fixture, checking that it is complete.
func loadFixture(dir string) (*fixture, error) {
	fx := &fixture{Dir: dir, Ledger: ledgerOf(dir)}
	data, err := os.ReadFile(filepath.Join(dir, markerName))
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(data, &fx.Marker); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, markerName), err)
	}
	st, err := os.Stat(fx.Ledger)
	if err != nil {
		return nil, fmt.Errorf("cached fixture: %w", err)
	}
	if st.Size() != fx.Marker.LedgerBytes {
		return nil, fmt.Errorf("cached fixture ledger %s has %d bytes, marker says %d", fx.Ledger, st.Size(), fx.Marker.LedgerBytes)
	}
	var exp struct {
		FocusWeek    string `json:"focus_week"`
		PreviousWeek string `json:"previous_week"`
		Ledger       struct {
			LinesRead int64 `json:"lines_read"`
		} `json:"ledger"`
	}
	path := filepath.Join(dir, "expected.json")
	data, err = os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("cached fixture: %w", err)
	}
	if err := json.Unmarshal(data, &exp); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if exp.FocusWeek == "" || exp.PreviousWeek == "" {
		return nil, fmt.Errorf("%s: no focus_week / previous_week", path)
	}
	fx.FocusWeek, fx.PreviousWeek, fx.LinesRead = exp.FocusWeek, exp.PreviousWeek, exp.Ledger.LinesRead
	return fx, nil
}
