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
// remembers what it found on disk (pathCache) and the working directory.
func RelativeLinks(root, dir string) LinkResolver {
	var (
		seen    pathCache
		wdOnce  sync.Once
		wd      string
		wdErr   error
		absDir  string
		dirErr  error
		dirOnce sync.Once
	)
	// abs is filepath.Abs with the working directory read once.
	abs := func(path string) (string, error) {
		if filepath.IsAbs(path) {
			return filepath.Clean(path), nil
		}
		wdOnce.Do(func() { wd, wdErr = os.Getwd() })
		if wdErr != nil {
			return "", wdErr
		}
		return filepath.Join(wd, path), nil
	}
	return func(target string) (string, bool) {
		if scheme, _, ok := strings.Cut(target, ":"); ok && len(scheme) > 1 && !strings.ContainsAny(scheme, `/\?#`) {
			return target, true
		}
		full := filepath.FromSlash(target)
		given := filepath.IsAbs(full)
		if !given {
			full = filepath.Join(root, full)
		}
		if !seen.exists(full) {
			return "", false
		}
		if given {
			return target, true
		}
		dirOnce.Do(func() { absDir, dirErr = abs(dir) })
		absFull, err := abs(full)
		if dirErr != nil || err != nil {
			return "", false
		}
		rel, err := filepath.Rel(absDir, absFull)
		if err != nil {
			return "", false
		}
		return filepath.ToSlash(rel), true
	}
}

// listAfter is how many paths in one folder are looked up one by one
// before the folder is listed.
const listAfter = 32

// pathCache says whether paths exist, as os.Stat would. A workbook links
// thousands of run files that share a few folders, and a stat per link was
// a fifth of a large workbook's rendering here (bench/HISTORY.md). So a
// folder asked about more than listAfter times is listed once: a folder
// that does not exist holds nothing, and a name listed as a file or
// folder exists. Everything else is still a stat: a name the listing
// lacks (a file system may find it under another spelling: one that
// ignores case, or normalises Unicode), a symbolic link, a path that is
// not clean (an absolute link ending in "/.." is resolved by the file
// system, not by its text), and every path in a folder that cannot be
// listed, or listed but not searched. It is safe for concurrent use.
type pathCache struct {
	mu   sync.Mutex
	dirs map[string]*folderNames
}

// folderNames is what pathCache knows of one folder.
type folderNames struct {
	asked  int
	listed bool
	// Once listed: missing, when the folder does not exist; else names,
	// its entries' types, nil when it could not be listed or searched.
	missing bool
	names   map[string]fs.FileMode
}

// exists reports whether path exists.
func (c *pathCache) exists(path string) bool {
	stat := func() bool {
		_, err := os.Stat(path)
		return err == nil
	}
	dir, name := filepath.Split(path)
	if name == "" || name == "." || name == ".." || filepath.Clean(path) != path {
		return stat()
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
		f.listed = true
		f.names, f.missing = listFolder(dir)
	}
	names, missing := f.names, f.missing
	c.mu.Unlock()
	if missing {
		return false
	}
	if names == nil {
		return stat()
	}
	mode, ok := names[name]
	if ok && mode&fs.ModeSymlink == 0 {
		return true
	}
	return stat()
}

// listFolder returns the names in dir with their types, or missing when
// dir does not exist. names is nil for a folder that cannot be listed, or
// whose entries cannot be looked up (read permission without search
// permission).
func listFolder(dir string) (names map[string]fs.FileMode, missing bool) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, true
	}
	if err != nil {
		return nil, false
	}
	if len(entries) > 0 {
		if _, err := os.Lstat(filepath.Join(dir, entries[0].Name())); err != nil {
			return nil, false
		}
	}
	names = make(map[string]fs.FileMode, len(entries))
	for _, e := range entries {
		names[e.Name()] = e.Type()
	}
	return names, false
}
