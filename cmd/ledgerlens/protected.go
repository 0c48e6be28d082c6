package main

import (
	"os"
	"path/filepath"

	"github.com/ledgerlens/ledgerlens/pipeline/audit"
	"github.com/ledgerlens/ledgerlens/pipeline/inputs"
	"github.com/ledgerlens/ledgerlens/pipeline/job"
	"github.com/ledgerlens/ledgerlens/pipeline/reconcile"
)

// outsideProtected refuses dir, the real path of the directory a flag's
// file goes in (--out of query, --metrics-file), when it is the working
// root or inside it, or inside a directory the root's jobs read or publish
// wherever it lies — the output directories (configured, and any the
// record of publication names), the state, ledger and configuration
// directories, which may be mounts or links elsewhere: a file written
// there, under a name a job would publish or read, would destroy, block
// or mislead that job. So is any other ledgerlens root on the host
// (enclosingRoot): whoever runs the command chooses --root, and a file
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
	if other := enclosingRoot(dir); other != "" {
		return usagef("%s %s is inside the ledgerlens root %s (it holds %s); %s", flag, value, other, filepath.Join(other, ".ledgerlens"), advice)
	}
	return nil
}

// enclosingRoot returns the nearest of dir and its parents that holds a
// .ledgerlens state directory (a ledgerlens root; the directory may be a
// link to one elsewhere), or "".
func enclosingRoot(dir string) string {
	for d := dir; ; d = filepath.Dir(d) {
		if fi, err := os.Stat(filepath.Join(d, ".ledgerlens")); err == nil && fi.IsDir() {
			return d
		}
		if parent := filepath.Dir(d); parent == d {
			return ""
		}
	}
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
