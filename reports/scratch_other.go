//go:build !linux

package reports

import "os"

// scratchFile returns a read-write file in dir ("" is the system's
// temporary directory) that is unlinked once made (scratchFileNamed):
// unnamed files are a Linux feature.
func scratchFile(dir, pattern string) (*os.File, error) { return scratchFileNamed(dir, pattern) }
