package reports

import (
	"errors"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// scratchFileIn returns a read-write file in dir that has no name: it is made unnamed (O_TMPFILE),
// so a process killed at any moment, SIGKILL or the out-of-memory killer
// included, leaves nothing behind. A file made named and unlinked at once
// left an empty one when the kill came in between. A file system without
// unnamed files (EOPNOTSUPP; EISDIR on kernels that predate the flag)
// gets a named file, unlinked at once (scratchFileNamed).
func scratchFileIn(dir, pattern string) (*os.File, error) {
	fd, err := unix.Open(dir, unix.O_RDWR|unix.O_TMPFILE|unix.O_EXCL|unix.O_CLOEXEC, 0o600)
	if errors.Is(err, unix.EOPNOTSUPP) || errors.Is(err, unix.EISDIR) || errors.Is(err, unix.EINVAL) {
		return scratchFileNamed(dir, pattern)
	}
	if err != nil {
		return nil, &os.PathError{Op: "open unnamed file in", Path: dir, Err: err}
	}
	return os.NewFile(uintptr(fd), filepath.Join(dir, "(unnamed)")), nil
}
