package job

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// tombstonePrefix names a checkpoint being removed: removeAbandoned first
// renames it, so that a removal cut short leaves a name it recognises and
// finishes the next time, never a checkpoint without its state.json.
const tombstonePrefix = ".abandoned-"

// removeAbandoned removes, from the checkpoints directory dir, the
// checkpoints of runs that a run completed on the ledger prefix ledgerSHA
// in the state directory stateDir (stateDirID) has overtaken, and returns
// their ids. A run's id covers the ledger
// prefix its store covered (RunKey); a checkpoint recorded on another
// prefix is left by a run killed before the ledger grew, and holds its
// analysis and prepared renderings (tens of megabytes at millions of runs).
// It could resume only if the ledger went back to exactly those bytes (a
// restore from a backup, say), and then the run is computed afresh: no
// result is lost, only the time to compute it again.
//
// It keeps every checkpoint of the same prefix (another job, period or
// option may still resume it), any without a recorded prefix or state
// directory (made before they were recorded), any of another state
// directory (a checkpoints directory mounted into two roots), and
// anything that is not plainly this account's checkpoint: an entry that
// is not a directory, is owned by another user or is writable by others
// or sticky (a shared directory someone moved in), a directory not named
// as its state.json says, or one whose state.json is missing, oversized,
// unreadable or a symbolic link.
//
// Someone who can write the state directory must not turn it against
// files elsewhere: dir itself must be a directory, not a symbolic link
// (two roots sharing one checkpoints directory are not each other's to
// prune), and every step below happens inside the directory as opened
// (os.Root), so swapping a path for a link meanwhile changes nothing.
// Only the holder of the state directory's lock may call it: a live run's
// checkpoint is always on the current prefix, and no other job runs
// meanwhile.
//
// Removal is housekeeping: it goes on past a checkpoint it cannot remove
// and returns every such failure joined, for the caller to report; the
// completed run stands.
func removeAbandoned(dir, ledgerSHA, stateDir string) ([]string, error) {
	if ledgerSHA == "" || stateDir == "" {
		return nil, nil
	}
	root, err := openCheckpointsDir(dir)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	d, err := root.Open(".")
	if err != nil {
		return nil, fmt.Errorf("list checkpoints %s: %w", dir, err)
	}
	names, err := d.Readdirnames(-1)
	d.Close()
	if err != nil {
		return nil, fmt.Errorf("list checkpoints %s: %w", dir, err)
	}
	euid := os.Geteuid()
	var removed []string
	var errs []error
	for _, name := range names {
		if fi, err := root.Lstat(name); err != nil || !fi.IsDir() || !ownedBy(fi, euid) ||
			fi.Mode().Perm()&0o022 != 0 || fi.Mode()&os.ModeSticky != 0 {
			continue
		}
		if strings.HasPrefix(name, tombstonePrefix) {
			// A removal cut short: finish it.
			if err := root.RemoveAll(name); err != nil {
				errs = append(errs, fmt.Errorf("remove abandoned checkpoint %s: %w", filepath.Join(dir, name), err))
				continue
			}
			removed = append(removed, name)
			continue
		}
		st, ok := readState(root, filepath.Join(name, "state.json"))
		if !ok || st.JobRunID != name || st.StateDir != stateDir || st.LedgerSHA256 == "" || st.LedgerSHA256 == ledgerSHA {
			continue
		}
		tomb := tombstonePrefix + name
		if err := root.Rename(name, tomb); err != nil {
			errs = append(errs, fmt.Errorf("remove abandoned checkpoint %s: %w", filepath.Join(dir, name), err))
			continue
		}
		removed = append(removed, name)
		if err := root.RemoveAll(tomb); err != nil {
			errs = append(errs, fmt.Errorf("remove abandoned checkpoint %s: %w", filepath.Join(dir, tomb), err))
		}
	}
	return removed, errors.Join(errs...)
}

// openCheckpointsDir opens dir for removeAbandoned: a directory, not a
// symbolic link to one, and the same directory when opened as when
// looked at (os.SameFile), so a link swapped in between is refused.
func openCheckpointsDir(dir string) (*os.Root, error) {
	before, err := os.Lstat(dir)
	if err != nil {
		return nil, fmt.Errorf("checkpoints %s: %w", dir, err)
	}
	if !before.IsDir() {
		return nil, fmt.Errorf("checkpoints %s is not a directory (%s): abandoned checkpoints are not removed", dir, before.Mode().Type())
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("checkpoints %s: %w", dir, err)
	}
	if after, err := root.Stat("."); err != nil || !os.SameFile(before, after) {
		root.Close()
		return nil, fmt.Errorf("checkpoints %s changed while it was opened: abandoned checkpoints are not removed", dir)
	}
	return root, nil
}

// ownedBy reports whether fi belongs to the user uid.
func ownedBy(fi os.FileInfo, uid int) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && int(st.Uid) == uid
}

// readState reads a checkpoint's state file, name inside root, for
// removeAbandoned; ok is false for anything decodeState refuses, and for a
// symbolic link.
func readState(root *os.Root, name string) (checkpointState, bool) {
	var st checkpointState
	f, err := root.OpenFile(name, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	if err != nil {
		return st, false
	}
	defer f.Close()
	return st, decodeState(f, &st) == nil
}
