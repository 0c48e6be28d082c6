package job

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"golang.org/x/sys/unix"
)

// TestRemoveAbandoned: after a run completes on a ledger prefix, exactly
// the checkpoints recorded on another prefix go; everything that could
// still resume, or that is not plainly a checkpoint, stays.
func TestRemoveAbandoned(t *testing.T) {
	const current, stateDir = "current-prefix", "1:2"
	state := func(id, ledger string) string {
		b, err := json.Marshal(checkpointState{JobRunID: id, Job: NameWeeklyReview, Period: "2026-11-16", LedgerSHA256: ledger, StateDir: stateDir, Done: []string{StepAnalyse}})
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
		{"another state directory", func(t *testing.T, dir string) {
			writeState(t, dir, strings.Replace(state("another state directory", "old-prefix"), stateDir, "1:3", 1))
		}, false},
		{"no recorded state directory", func(t *testing.T, dir string) {
			writeState(t, dir, strings.Replace(state("no recorded state directory", "old-prefix"), `,"state_dir":"`+stateDir+`"`, "", 1))
		}, false},
		{"writable by others", func(t *testing.T, dir string) {
			writeState(t, dir, state("writable by others", "old-prefix"))
			if err := os.Chmod(dir, 0o777); err != nil {
				t.Fatal(err)
			}
		}, false},
		{"sticky", func(t *testing.T, dir string) {
			writeState(t, dir, state("sticky", "old-prefix"))
			if err := os.Chmod(dir, 0o750|os.ModeSticky); err != nil {
				t.Fatal(err)
			}
		}, false},
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
	removed, err := removeAbandoned(root, current, stateDir)
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
	// A run without a recorded prefix or state directory removes nothing.
	for _, args := range [][2]string{{"", stateDir}, {current, ""}} {
		if removed, err := removeAbandoned(root, args[0], args[1]); err != nil || len(removed) != 0 {
			t.Errorf("removeAbandoned(%q, %q): removed %v, %v", args[0], args[1], removed, err)
		}
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

// TestRemoveAbandonedStaysInside: someone who can write the state
// directory flips the checkpoints directory with a symbolic link to
// another directory, over and over, while a job prunes; directories
// there named like the planted checkpoints must survive. (Before pruning
// worked inside the opened directory, 1–25 of 300 went.)
func TestRemoveAbandonedStaysInside(t *testing.T) {
	base := t.TempDir()
	victim := filepath.Join(base, "elsewhere")
	checkpoints := filepath.Join(base, "state", "checkpoints")
	const n = 300
	for i := range n {
		name := fmt.Sprintf("d%03d", i)
		if err := os.MkdirAll(filepath.Join(victim, name), 0o755); err != nil {
			t.Fatal(err)
		}
		b, err := json.Marshal(checkpointState{JobRunID: name, LedgerSHA256: "old-prefix", StateDir: "1:2"})
		if err != nil {
			t.Fatal(err)
		}
		writeState(t, filepath.Join(checkpoints, name), string(b))
	}
	link := filepath.Join(base, "state", "link")
	if err := os.Symlink(victim, link); err != nil {
		t.Fatal(err)
	}
	var stop atomic.Bool
	flipped := make(chan int)
	go func() {
		flips := 0
		for !stop.Load() {
			if unix.Renameat2(unix.AT_FDCWD, checkpoints, unix.AT_FDCWD, link, unix.RENAME_EXCHANGE) == nil {
				flips++
			}
		}
		flipped <- flips
	}()
	for range 20 {
		removeAbandoned(checkpoints, "current-prefix", "1:2") // refusals are expected
	}
	stop.Store(true)
	if <-flipped == 0 {
		t.Skip("the file system cannot exchange names (RENAME_EXCHANGE)")
	}
	for i := range n {
		if _, err := os.Stat(filepath.Join(victim, fmt.Sprintf("d%03d", i))); err != nil {
			t.Fatalf("a directory outside the checkpoints was removed: %v", err)
		}
	}
}

// TestRemoveAbandonedRefusesALinkedDirectory: a checkpoints directory that
// is a symbolic link (two roots sharing one) is not pruned at all.
func TestRemoveAbandonedRefusesALinkedDirectory(t *testing.T) {
	base := t.TempDir()
	shared := filepath.Join(base, "shared")
	b, err := json.Marshal(checkpointState{JobRunID: "other-root", LedgerSHA256: "its-prefix", StateDir: "1:2"})
	if err != nil {
		t.Fatal(err)
	}
	writeState(t, filepath.Join(shared, "other-root"), string(b))
	link := filepath.Join(base, "checkpoints")
	if err := os.Symlink(shared, link); err != nil {
		t.Fatal(err)
	}
	if removed, err := removeAbandoned(link, "this-prefix", "1:2"); err == nil || len(removed) != 0 {
		t.Fatalf("removed %v, error %v; want a refusal", removed, err)
	}
	if _, err := os.Stat(filepath.Join(shared, "other-root", "state.json")); err != nil {
		t.Fatal(err)
	}
}

// TestRemoveAbandonedFinishesACutRemoval: a removal cut short leaves its
// renamed directory, which the next pruning removes; a checkpoint of
// another user is left alone (run as root only: it needs chown).
func TestRemoveAbandonedFinishesACutRemoval(t *testing.T) {
	root := t.TempDir()
	tomb := filepath.Join(root, tombstonePrefix+"0123456789abcdef")
	if err := os.MkdirAll(filepath.Join(tomb, "sub"), 0o750); err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(checkpointState{JobRunID: "theirs", LedgerSHA256: "old-prefix", StateDir: "1:2"})
	if err != nil {
		t.Fatal(err)
	}
	theirs := filepath.Join(root, "theirs")
	writeState(t, theirs, string(b))
	asRoot := os.Geteuid() == 0
	if asRoot {
		if err := os.Chown(theirs, 65534, 65534); err != nil {
			t.Fatal(err)
		}
	}
	removed, err := removeAbandoned(root, "current-prefix", "1:2")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(tomb); !os.IsNotExist(err) {
		t.Errorf("the cut removal's directory is still there: %v", err)
	}
	if asRoot {
		if slices.Contains(removed, "theirs") {
			t.Errorf("removed another user's checkpoint: %v", removed)
		}
		if _, err := os.Stat(filepath.Join(theirs, "state.json")); err != nil {
			t.Error(err)
		}
	}
}
