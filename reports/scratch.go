package reports

import (
	"fmt"
	"os"
)

// scratchFile returns a read-write file in dir, "" for the system's
// temporary directory, that lives only through its descriptor
// (scratchFileIn). When the temporary directory cannot hold one, the error
// names TMPDIR, which sets it: the path alone does not tell an operator
// where it came from.
func scratchFile(dir, pattern string) (*os.File, error) {
	if dir != "" {
		return scratchFileIn(dir, pattern)
	}
	dir = os.TempDir()
	f, err := scratchFileIn(dir, pattern)
	if err != nil {
		return nil, fmt.Errorf("make a scratch file in the temporary directory %s (TMPDIR; set it to a writable directory on a local file system): %w", dir, err)
	}
	return f, nil
}

// scratchFileNamed makes a file in dir after pattern (os.CreateTemp) and
// unlinks it at once, so that it lives only through its descriptor. A
// process killed between the two leaves it behind, empty.
func scratchFileNamed(dir, pattern string) (*os.File, error) {
	f, err := os.CreateTemp(dir, pattern)
	if err != nil {
		return nil, err
	}
	if err := os.Remove(f.Name()); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}
