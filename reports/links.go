package reports

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// LinkResolver maps a link target as the ledger records it to the target
// the workbook should open, or reports (false) that there is nothing to
// open, in which case the text is shown without a link.
type LinkResolver func(target string) (string, bool)

// RelativeLinks resolves the ledger's links for a workbook published in
// dir under the working root root: a URL (http, https, file, mailto) is
// kept; a path, which the ledger gives relative to the root, becomes
// relative to dir — the workbook's own folder, which is where a
// spreadsheet program resolves relative links from — and is kept only when
// the file or folder exists. The same files on disk give the same links,
// so rendering stays reproducible. One resolver serves one rendering: it
// remembers what it found on disk (pathCache).
func RelativeLinks(root, dir string) LinkResolver {
	absRoot, errRoot := filepath.Abs(root)
	absDir, errDir := filepath.Abs(dir)
	var seen pathCache
	return func(target string) (string, bool) {
		if scheme, _, ok := strings.Cut(target, ":"); ok && len(scheme) > 1 && !strings.ContainsAny(scheme, `/\?#`) {
			return target, true
		}
		full := filepath.FromSlash(target)
		given := filepath.IsAbs(full)
		if !given {
			if errRoot != nil {
				return "", false
			}
			full = filepath.Join(absRoot, full)
		}
		if !seen.exists(full) {
			return "", false
		}
		if given {
			return target, true
		}
		if errDir != nil {
			return "", false
		}
		rel, err := filepath.Rel(absDir, full)
		if err != nil {
			return "", false
		}
		return filepath.ToSlash(rel), true
	}
}

// listAfter is how many paths in one folder are looked up one by one
// before the folder is listed instead.
const listAfter = 32

// pathCache says whether paths exist, as os.Stat would. A workbook links
// thousands of run files that share a few folders, and a stat per link was
// a fifth of a large workbook's rendering here (BENCHMARKS.md): a folder
// asked about more than listAfter times is listed once, and its names
// answer from then on. A name that is a symbolic link is still followed
// by a stat, and a folder that cannot be listed (no read permission) is
// answered by stats. It is safe for concurrent use.
type pathCache struct {
	mu   sync.Mutex
	dirs map[string]*folderNames
}

// folderNames is what pathCache knows of one folder.
type folderNames struct {
	asked  int
	listed bool
	names  map[string]fs.FileMode // its entries once listed; nil: not listed, or not listable
}

// exists reports whether path, absolute and clean, exists.
func (c *pathCache) exists(path string) bool {
	dir, name := filepath.Split(path)
	if name == "" {
		_, err := os.Stat(path)
		return err == nil
	}
	c.mu.Lock()
	if c.dirs == nil {
		c.dirs = map[string]*folderNames{}
	}
	f := c.dirs[dir]
	if f == nil {
		f = &folderNames{}
		c.dirs[dir] = f
	}
	if f.asked++; !f.listed && f.asked > listAfter {
		f.listed, f.names = true, listFolder(dir)
	}
	names := f.names
	c.mu.Unlock()
	if names == nil {
		_, err := os.Stat(path)
		return err == nil
	}
	mode, ok := names[name]
	if ok && mode&fs.ModeSymlink != 0 {
		_, err := os.Stat(path)
		return err == nil
	}
	return ok
}

// listFolder returns the names in dir with their types: none when dir does
// not exist (nor then anything in it), nil when it cannot be listed.
func listFolder(dir string) map[string]fs.FileMode {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]fs.FileMode{}
	}
	if err != nil {
		return nil
	}
	names := make(map[string]fs.FileMode, len(entries))
	for _, e := range entries {
		names[e.Name()] = e.Type()
	}
	return names
}
