package inputs

import (
	"errors"
	"io/fs"
	"path/filepath"
	"strings"
)

// RealPath is filepath.EvalSymlinks of the longest part of path that
// exists, followed by the rest, absolute: where path is, or would be once
// created, with every link followed. It is how the root's directories are
// compared with one another and with a path a user gives.
func RealPath(path string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	var rest []string
	for {
		real, err := filepath.EvalSymlinks(abs)
		if err == nil {
			return filepath.Join(append([]string{real}, rest...)...), nil
		}
		parent := filepath.Dir(abs)
		if !errors.Is(err, fs.ErrNotExist) || parent == abs {
			return "", err
		}
		rest = append([]string{filepath.Base(abs)}, rest...)
		abs = parent
	}
}

// Within reports whether path is dir or inside it (both cleaned, absolute
// or both relative to the same directory).
func Within(path, dir string) bool {
	rel, err := filepath.Rel(dir, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}
