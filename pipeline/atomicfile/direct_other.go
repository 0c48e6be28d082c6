//go:build !linux

package atomicfile

import (
	"errors"
	"os"
)

// setDirect reports that direct writes are not used on this system: every
// write goes through the page cache.
func setDirect(*os.File, bool) error { return errors.ErrUnsupported }

func directRefused(error) bool { return false }
