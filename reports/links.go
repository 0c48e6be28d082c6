package reports

import (
	"os"
	"path/filepath"
	"strings"
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
// so rendering stays reproducible.
func RelativeLinks(root, dir string) LinkResolver {
	return func(target string) (string, bool) {
		if scheme, _, ok := strings.Cut(target, ":"); ok && len(scheme) > 1 && !strings.ContainsAny(scheme, `/\?#`) {
			return target, true
		}
		full := filepath.FromSlash(target)
		if !filepath.IsAbs(full) {
			full = filepath.Join(root, full)
		}
		if _, err := os.Stat(full); err != nil {
			return "", false
		}
		if filepath.IsAbs(filepath.FromSlash(target)) {
			return target, true
		}
		absDir, err1 := filepath.Abs(dir)
		absFull, err2 := filepath.Abs(full)
		if err1 != nil || err2 != nil {
			return "", false
		}
		rel, err := filepath.Rel(absDir, absFull)
		if err != nil {
			return "", false
		}
		return filepath.ToSlash(rel), true
	}
}
