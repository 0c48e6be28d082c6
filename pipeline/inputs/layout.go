package inputs

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
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

	StateDir  string // .ledgerlens
	StoreDir  string // .ledgerlens/store, its owner's alone (store.Dir)
	StoreFile string // .ledgerlens/store/ledger.duckdb, as messages name it
	// LegacyStoreFile is where ledgerlens kept the store before it had a
	// directory of its own; the next job moves it (store.Dir.Adopt).
	LegacyStoreFile string // .ledgerlens/ledger.duckdb
	AuditLog        string // .ledgerlens/audit.jsonl
	LockFile        string // .ledgerlens/lock
	KeysDir         string // .ledgerlens/keys
	CheckpointsDir  string // .ledgerlens/checkpoints
}

// StateDirName is the name of a root's state directory: its store, audit
// log, checkpoints and keys. A directory holding one is a ledgerlens root.
const StateDirName = ".ledgerlens"

// NewLayout returns the default layout under root ("" means the working
// directory), made absolute.
func NewLayout(root string) Layout {
	if root == "" {
		root = "."
	}
	// Every path the layout holds or resolves is absolute, so that a
	// path resolved once (an output directory) and a path recorded
	// relative to the root name the same file whatever the working
	// directory: a relative --root otherwise put the root in front twice.
	if abs, err := filepath.Abs(root); err == nil {
		root = abs
	}
	j := func(elem ...string) string { return filepath.Join(append([]string{root}, elem...)...) }
	state := j(StateDirName)
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
		StoreDir:           filepath.Join(state, "store"),
		StoreFile:          filepath.Join(state, "store", "ledger.duckdb"),
		LegacyStoreFile:    filepath.Join(state, "ledger.duckdb"),
		AuditLog:           filepath.Join(state, "audit.jsonl"),
		LockFile:           filepath.Join(state, "lock"),
		KeysDir:            filepath.Join(state, "keys"),
		CheckpointsDir:     filepath.Join(state, "checkpoints"),
	}
}

// OwnDirs are the directories that hold the root's own state and inputs:
// the state directory, the ledger's and the configuration's (which holds
// the baselines too), each once. No report, bundle or query result
// belongs in one of them: the root's checks read what is there.
func (l Layout) OwnDirs() []string {
	var dirs []string
	for _, d := range []string{l.StateDir, filepath.Dir(l.Ledger), filepath.Dir(l.Config), filepath.Dir(l.Baselines)} {
		if !slices.Contains(dirs, d) {
			dirs = append(dirs, d)
		}
	}
	return dirs
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
// returned absolute and cleaned.
func (l Layout) Rel(path string) string {
	root, err1 := filepath.Abs(l.rootOrDot())
	abs, err2 := filepath.Abs(path)
	if err1 == nil && err2 == nil {
		if rel, err := filepath.Rel(root, abs); err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			return filepath.ToSlash(rel)
		}
		// Outside the root: absolute, so that one file has one name
		// whatever directory the command ran in (the record of
		// publication keys files by it).
		return filepath.ToSlash(abs)
	}
	return filepath.ToSlash(filepath.Clean(path))
}

func (l Layout) rootOrDot() string {
	if l.Root == "" {
		return "."
	}
	return l.Root
}

// NotRootError is a --root that is not a ledgerlens working root: it does
// not exist, is not a directory, or holds none of the files that mark one.
// Nothing is created under it: a mistyped --root must not grow a fresh
// state directory, store and audit log that then report "no runs".
type NotRootError struct {
	Root   string
	Reason string
}

func (e *NotRootError) Error() string {
	return fmt.Sprintf("not a ledgerlens root: %s %s (a root holds runs/CREDIT_MONITORING/ledger.jsonl — an empty file will do — or a file under config/; check --root)",
		e.Root, e.Reason)
}

// Check reports whether the root exists and looks like a working root: a
// directory holding the ledger, a configuration file (ledgerlens.json, the
// policy or the baselines) or the state directory's audit log. It creates
// nothing. Whether the ledger itself can be read is the ingest's concern.
func (l Layout) Check() error {
	root := l.rootOrDot()
	fi, err := os.Stat(root)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return &NotRootError{Root: root, Reason: "does not exist"}
	case err != nil:
		return &NotRootError{Root: root, Reason: err.Error()}
	case !fi.IsDir():
		return &NotRootError{Root: root, Reason: "is not a directory"}
	}
	for _, marker := range []string{l.Ledger, l.Config, l.Policy, l.Baselines, l.AuditLog} {
		if _, err := os.Lstat(marker); err == nil {
			return nil
		}
	}
	return &NotRootError{Root: root, Reason: "holds no ledger, configuration or ledgerlens state"}
}
