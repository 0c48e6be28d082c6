package reports

import "os"

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
