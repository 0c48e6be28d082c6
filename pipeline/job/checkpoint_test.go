package job

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestRemoveAbandoned: after a run completes on a ledger prefix, exactly
// the checkpoints recorded on another prefix go; everything that could
// still resume, or that is not plainly a checkpoint, stays.
func TestRemoveAbandoned(t *testing.T) {
	const current = "current-prefix"
	state := func(id, ledger string) string {
		b, err := json.Marshal(checkpointState{JobRunID: id, Job: NameWeeklyReview, Period: "2026-11-16", LedgerSHA256: ledger, Done: []string{StepAnalyse}})
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	elsewhere := t.TempDir() // a symbolic link's target, outside the checkpoints
	if err := os.WriteFile(filepath.Join(elsewhere, "state.json"), []byte(state("linked", "old-prefix")), 0o640); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		make func(t *testing.T, dir string)
		gone bool
	}{
		{"older prefix", func(t *testing.T, dir string) { writeState(t, dir, state("older prefix", "old-prefix")) }, true},
		{"older prefix, prepared files", func(t *testing.T, dir string) {
			writeState(t, dir, state("older prefix, prepared files", "old-prefix"))
			if err := os.WriteFile(filepath.Join(dir, ".weekly.json.tmp"), []byte("{}"), 0o640); err != nil {
				t.Fatal(err)
			}
		}, true},
		{"same prefix", func(t *testing.T, dir string) { writeState(t, dir, state("same prefix", current)) }, false},
		{"no recorded prefix", func(t *testing.T, dir string) { writeState(t, dir, `{"job_run_id":"no recorded prefix","done":[]}`) }, false},
		{"named otherwise", func(t *testing.T, dir string) { writeState(t, dir, state("another name", "old-prefix")) }, false},
		{"corrupt state", func(t *testing.T, dir string) { writeState(t, dir, `{"job_run_id":`) }, false},
		{"no state", func(t *testing.T, dir string) {
			if err := os.Mkdir(dir, 0o750); err != nil {
				t.Fatal(err)
			}
		}, false},
		{"oversized state", func(t *testing.T, dir string) {
			writeState(t, dir, strings.Replace(state("oversized state", "old-prefix"), "{", `{"pad":"`+strings.Repeat("x", maxStateSize)+`",`, 1))
		}, false},
		{"state is a link", func(t *testing.T, dir string) {
			if err := os.Mkdir(dir, 0o750); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(filepath.Join(elsewhere, "state.json"), filepath.Join(dir, "state.json")); err != nil {
				t.Fatal(err)
			}
		}, false},
		{"linked", func(t *testing.T, dir string) {
			if err := os.Symlink(elsewhere, dir); err != nil {
				t.Fatal(err)
			}
		}, false},
		{"a file", func(t *testing.T, dir string) {
			if err := os.WriteFile(dir, []byte(state("a file", "old-prefix")), 0o640); err != nil {
				t.Fatal(err)
			}
		}, false},
	}
	root := t.TempDir()
	for _, c := range cases {
		c.make(t, filepath.Join(root, c.name))
	}
	removed, err := removeAbandoned(root, current)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		_, err := os.Lstat(filepath.Join(root, c.name))
		if gone := os.IsNotExist(err); gone != c.gone {
			t.Errorf("%s: removed %t, want %t (%v)", c.name, gone, c.gone, err)
		}
		if slices.Contains(removed, c.name) != c.gone {
			t.Errorf("%s: reported removed %t, want %t", c.name, !c.gone, c.gone)
		}
	}
	if _, err := os.Stat(filepath.Join(elsewhere, "state.json")); err != nil {
		t.Errorf("a symbolic link was followed: %v", err)
	}
	// A run without a recorded prefix removes nothing.
	if removed, err := removeAbandoned(root, ""); err != nil || len(removed) != 0 {
		t.Errorf("without a prefix: removed %v, %v", removed, err)
	}
}

func writeState(t *testing.T, dir, data string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "state.json"), []byte(data), 0o640); err != nil {
		t.Fatal(err)
	}
}
