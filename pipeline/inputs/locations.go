package inputs

import (
	"os"
	"path/filepath"
)

// Locations names files by where they are: their directory with every
// link resolved (absolute), so that two spellings of one directory —
// output_dir changed to a link to the directory earlier weeks were
// published in — give one name. A directory that cannot be resolved keeps
// its cleaned absolute name. The record of publication spells each file as
// the job that wrote it did; its readers match files by Locations.
type Locations struct {
	l    Layout
	dirs map[string]string // directory as given → resolved
}

// NewLocations returns an empty cache of resolved directories of l's root.
func NewLocations(l Layout) *Locations {
	return &Locations{l: l, dirs: map[string]string{}}
}

// Dir returns the resolved name of directory d, a path as the layout
// resolves it (Layout.Resolve: absolute, or relative to the working
// directory), not relative to the root.
func (w *Locations) Dir(d string) string {
	if k, ok := w.dirs[d]; ok {
		return k
	}
	k, err := RealPath(d)
	if err != nil {
		if k, err = filepath.Abs(d); err != nil {
			k = filepath.Clean(d)
		}
	}
	w.dirs[d] = k
	return k
}

// Of returns where the file at path (relative to the root, as recorded,
// or absolute) is.
func (w *Locations) Of(path string) string {
	p := w.l.Resolve(filepath.FromSlash(path))
	return filepath.Join(w.Dir(filepath.Dir(p)), filepath.Base(p))
}

// EnclosingRoot returns the nearest of dir and its parents that holds a
// .ledgerlens state directory (a ledgerlens root; the directory may be a
// link to one elsewhere), or "". dir should be a real path (RealPath).
func EnclosingRoot(dir string) string {
	for d := dir; ; d = filepath.Dir(d) {
		if fi, err := os.Stat(filepath.Join(d, StateDirName)); err == nil && fi.IsDir() {
			return d
		}
		if parent := filepath.Dir(d); parent == d {
			return ""
		}
	}
}
