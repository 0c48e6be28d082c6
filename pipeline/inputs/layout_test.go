package inputs

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestNewLayout(t *testing.T) {
	root := filepath.Join(t.TempDir(), "work")
	l := NewLayout(root)
	want := map[string]string{
		l.Ledger:             "runs/CREDIT_MONITORING/ledger.jsonl",
		l.Cases:              "runs/CREDIT_MONITORING/cases.jsonl",
		l.Incidents:          "runs/CREDIT_MONITORING/incidents.jsonl",
		l.Policy:             "config/sintraprime-policy.json",
		l.Baselines:          "config/credit-baselines.json",
		l.Config:             "config/ledgerlens.json",
		l.ReviewsDir:         "runs/CREDIT_REVIEWS",
		l.BaselineUpdatesDir: "runs/BASELINE_UPDATES",
		l.StateDir:           ".ledgerlens",
		l.StoreDir:           ".ledgerlens/store",
		l.StoreFile:          ".ledgerlens/store/ledger.duckdb",
		l.LegacyStoreFile:    ".ledgerlens/ledger.duckdb",
		l.AuditLog:           ".ledgerlens/audit.jsonl",
		l.LockFile:           ".ledgerlens/lock",
		l.KeysDir:            ".ledgerlens/keys",
		l.CheckpointsDir:     ".ledgerlens/checkpoints",
	}
	if len(want) != 16 {
		t.Fatalf("two layout paths coincide: %+v", l)
	}
	for got, rel := range want {
		if got != filepath.Join(root, filepath.FromSlash(rel)) {
			t.Errorf("path %q, want %s under %s", got, rel, root)
		}
		if r := l.Rel(got); r != rel {
			t.Errorf("Rel(%q) = %q, want %q", got, r, rel)
		}
	}
}

// TestLayoutDefaultRoot: the default root is the working directory, held
// absolute like any other, so that a path resolved from it and a path
// recorded relative to it name the same file (TestCronRelativeRoot).
func TestLayoutDefaultRoot(t *testing.T) {
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for _, root := range []string{"", ".", "./"} {
		l := NewLayout(root)
		if l.Root != wd || l.Policy != filepath.Join(wd, "config", "sintraprime-policy.json") {
			t.Fatalf("NewLayout(%q) = %+v", root, l)
		}
		if got := l.Rel(l.Cases); got != "runs/CREDIT_MONITORING/cases.jsonl" {
			t.Errorf("Rel(cases) = %q", got)
		}
	}
}

func TestLayoutResolveAndRel(t *testing.T) {
	root := t.TempDir()
	l := NewLayout(root)
	if got := l.Resolve("runs/OTHER"); got != filepath.Join(root, "runs", "OTHER") {
		t.Errorf("Resolve(relative) = %q", got)
	}
	abs := filepath.Join(t.TempDir(), "elsewhere")
	if got := l.Resolve(abs); got != abs {
		t.Errorf("Resolve(absolute) = %q", got)
	}
	if got := l.Rel(abs); got != filepath.ToSlash(abs) {
		t.Errorf("Rel(outside) = %q, want it unchanged", got)
	}
	if got := l.Rel(filepath.Join(root, "..", filepath.Base(root)+"x", "f")); got == "f" {
		t.Errorf("a sibling directory sharing the root's prefix counted as inside: %q", got)
	}
	if got := l.Rel(root); got != "." {
		t.Errorf("Rel(root) = %q", got)
	}
}

func TestLayoutCheck(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	os.WriteFile(file, nil, 0o644)
	withLedger := filepath.Join(dir, "withLedger")
	os.MkdirAll(filepath.Join(withLedger, "runs", "CREDIT_MONITORING"), 0o755)
	os.WriteFile(filepath.Join(withLedger, "runs", "CREDIT_MONITORING", "ledger.jsonl"), nil, 0o644)
	withConfig := filepath.Join(dir, "withConfig")
	os.MkdirAll(filepath.Join(withConfig, "config"), 0o755)
	os.WriteFile(filepath.Join(withConfig, "config", "sintraprime-policy.json"), []byte("{}"), 0o644)
	empty := filepath.Join(dir, "empty")
	os.MkdirAll(empty, 0o755)
	for _, tt := range []struct{ root, want string }{
		{filepath.Join(dir, "nonexistent"), "does not exist"},
		{file, "is not a directory"},
		{empty, "holds no ledger"},
		{withLedger, ""},
		{withConfig, ""},
	} {
		err := NewLayout(tt.root).Check()
		var nr *NotRootError
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%s: %v", tt.root, err)
		case tt.want != "" && (!errors.As(err, &nr) || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "not a ledgerlens root")):
			t.Errorf("%s: err = %v, want %q", tt.root, err, tt.want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "nonexistent")); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("Check created the root")
	}
	if entries, _ := os.ReadDir(empty); len(entries) != 0 {
		t.Fatal("Check created files")
	}
}
