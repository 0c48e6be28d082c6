//go:build !linux

package reports

import "os"

// scratchFileIn returns a read-write file in dir that is unlinked once
// made (scratchFileNamed): unnamed files are a Linux feature.
func scratchFileIn(dir, pattern string) (*os.File, error) { return scratchFileNamed(dir, pattern) }
