package inputs

import (
	"path/filepath"
	"strings"
)

// Layout is where ledgerlens finds its inputs and keeps its outputs and
// state under one working root (docs/ARCHITECTURE.md, "Layout"). NewLayout fills in the defaults;
// a caller that takes a path from a flag or the configuration overwrites the
// field, so everything downstream reads paths from the Layout only.
type Layout struct {
	Root string

	Ledger    string // runs/CREDIT_MONITORING/ledger.jsonl
	Cases     string // runs/CREDIT_MONITORING/cases.jsonl
	Incidents string // runs/CREDIT_MONITORING/incidents.jsonl
	Policy    string // config/sintraprime-policy.json
	Baselines string // config/credit-baselines.json
	Config    string // config/ledgerlens.json

	ReviewsDir         string // runs/CREDIT_REVIEWS
	BaselineUpdatesDir string // runs/BASELINE_UPDATES

	StateDir       string // .ledgerlens
	StoreFile      string // .ledgerlens/ledger.duckdb
	AuditLog       string // .ledgerlens/audit.jsonl
	LockFile       string // .ledgerlens/lock
	KeysDir        string // .ledgerlens/keys
	CheckpointsDir string // .ledgerlens/checkpoints
}

// NewLayout returns the default layout under root ("" means ".").
func NewLayout(root string) Layout {
	if root == "" {
		root = "."
	}
	j := func(elem ...string) string { return filepath.Join(append([]string{root}, elem...)...) }
	state := j(".ledgerlens")
	return Layout{
		Root:               root,
		Ledger:             j("runs", "CREDIT_MONITORING", "ledger.jsonl"),
		Cases:              j("runs", "CREDIT_MONITORING", "cases.jsonl"),
		Incidents:          j("runs", "CREDIT_MONITORING", "incidents.jsonl"),
		Policy:             j("config", "sintraprime-policy.json"),
		Baselines:          j("config", "credit-baselines.json"),
		Config:             j("config", "ledgerlens.json"),
		ReviewsDir:         j("runs", "CREDIT_REVIEWS"),
		BaselineUpdatesDir: j("runs", "BASELINE_UPDATES"),
		StateDir:           state,
		StoreFile:          filepath.Join(state, "ledger.duckdb"),
		AuditLog:           filepath.Join(state, "audit.jsonl"),
		LockFile:           filepath.Join(state, "lock"),
		KeysDir:            filepath.Join(state, "keys"),
		CheckpointsDir:     filepath.Join(state, "checkpoints"),
	}
}

// Resolve returns path as used on disk: absolute paths are kept, relative
// ones (from flags or the configuration, such as output_dir) are taken
// relative to the root.
func (l Layout) Resolve(path string) string {
	if filepath.IsAbs(path) {
		return filepath.Clean(path)
	}
	return filepath.Join(l.rootOrDot(), path)
}

// Rel returns path relative to the root with forward slashes, the form the
// report records, so that the same inputs under different roots (or
// operating systems) give byte-identical reports. A path outside the root is
// returned cleaned but otherwise unchanged.
func (l Layout) Rel(path string) string {
	root, err1 := filepath.Abs(l.rootOrDot())
	abs, err2 := filepath.Abs(path)
	if err1 == nil && err2 == nil {
		if rel, err := filepath.Rel(root, abs); err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			return filepath.ToSlash(rel)
		}
	}
	return filepath.ToSlash(filepath.Clean(path))
}

func (l Layout) rootOrDot() string {
	if l.Root == "" {
		return "."
	}
	return l.Root
}
