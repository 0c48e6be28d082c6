package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/ledgerlens/ledgerlens/pipeline/audit"
	"github.com/ledgerlens/ledgerlens/pipeline/inputs"
	"github.com/ledgerlens/ledgerlens/pipeline/job"
	"github.com/ledgerlens/ledgerlens/pipeline/reconcile"
)

// outsideProtected refuses dir, the real path of the directory a flag's
// file goes in (--out of query, --metrics-file, --keep-head), when it is the working
// root or inside it, or inside a directory the root's jobs read or publish
// wherever it lies — the output directories (configured, and any the
// record of publication names), the state, ledger and configuration
// directories, which may be mounts or links elsewhere: a file written
// there, under a name a job would publish or read, would destroy, block
// or mislead that job. So is any other ledgerlens root on the host
// (inputs.EnclosingRoot): whoever runs the command chooses --root, and a file
// planted in another root's output directory blocks its next publication
// and fails its daily check. advice says where to write instead.
func outsideProtected(l inputs.Layout, flag, value, dir, advice string) error {
	protected := []struct{ what, path string }{{"the working root " + l.Root + ", which holds the ledger, the evidence and the keys", l.Root}}
	for _, d := range protectedDirs(l) {
		protected = append(protected, struct{ what, path string }{"the directory " + d + ", which the root's jobs read or publish in", d})
	}
	for _, p := range protected {
		real, err := inputs.RealPath(p.path)
		if err != nil {
			continue
		}
		if inputs.Within(dir, real) {
			return usagef("%s %s is inside %s; %s", flag, value, p.what, advice)
		}
	}
	if other := inputs.EnclosingRoot(dir); other != "" {
		return usagef("%s %s is inside the ledgerlens root %s (it holds %s); %s", flag, value, other, filepath.Join(other, ".ledgerlens"), advice)
	}
	return nil
}

// notInsideARoot refuses dir, the --out directory of a command that lays
// out a whole root (fixtures generate, demo), when it lies below a
// ledgerlens root: inside its state directory it left a second signing
// key there, and inside its output directory a planted directory that
// failed the root's daily check, exit 0 (an outside review). dir may be a
// root itself: whether an earlier fixture root may be written over is
// the caller's to decide.
func notInsideARoot(command, dir string) error {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return fmt.Errorf("%s --out %s: %w", command, dir, err)
	}
	existing := abs
	for {
		if _, err := os.Stat(existing); err == nil {
			break
		}
		parent := filepath.Dir(existing)
		if parent == existing {
			break
		}
		existing = parent
	}
	real, err := inputs.RealPath(existing)
	if err != nil {
		real = existing
	}
	if existing == abs {
		real = filepath.Dir(real) // below it, not the directory itself
	}
	if other := inputs.EnclosingRoot(real); other != "" {
		return fmt.Errorf("%s: --out %s is inside the ledgerlens root %s (it holds %s); a root is laid out in a directory of its own — choose one outside it",
			command, dir, other, filepath.Join(other, inputs.StateDirName))
	}
	return nil
}

// protectedDirs are the directories of l that jobs read or publish in:
// the output directories (configured, and recorded in the audit log), the
// state directory and the ledger's and configuration's directories.
func protectedDirs(l inputs.Layout) []string {
	dirs := job.OutputDirs(l)
	if st, err := audit.Load(l.AuditLog); err == nil {
		dirs = reconcile.WithRecordedDirs(l, dirs, st.Entries)
	}
	return append(dirs, l.OwnDirs()...)
}

// checkNewFileOutside refuses path, a file flag's new file, when it
// exists already, when its directory does not, or when it lies in the
// working root, a directory its jobs use, or another root
// (outsideProtected): the command writes it once it has done its work,
// and must not find out only then.
func checkNewFileOutside(l inputs.Layout, flag, path, advice string) error {
	if _, err := os.Lstat(path); err == nil {
		return usagef("%s %s exists; it is never replaced (choose a new name)", flag, path)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%s %s: %w", flag, path, err)
	}
	dir, err := inputs.RealPath(filepath.Dir(path))
	if err != nil {
		return usagef("%s %s: its directory: %v", flag, path, err)
	}
	return outsideProtected(l, flag, path, dir, advice)
}
