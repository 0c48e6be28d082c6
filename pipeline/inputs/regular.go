package inputs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"
)

// NotRegularError is an input path that exists but is not a regular file
// (nor a symbolic link to one): a FIFO, a device, a socket or a directory.
// Reading a FIFO would block until some writer appears, holding the job's
// lock; a device may never end. Such a path is refused at once.
type NotRegularError struct {
	Path string
	Mode fs.FileMode
}

func (e *NotRegularError) Error() string {
	return fmt.Sprintf("%s is not a regular file (%s); ledgerlens reads its inputs only from regular files", e.Path, FileKind(e.Mode))
}

// FileKind names a file's type that is not a regular file ("a FIFO",
// "a directory", …), for messages.
func FileKind(m fs.FileMode) string {
	switch t := m.Type(); {
	case t&fs.ModeDir != 0:
		return "a directory"
	case t&fs.ModeNamedPipe != 0:
		return "a FIFO"
	case t&fs.ModeSocket != 0:
		return "a socket"
	case t&fs.ModeCharDevice != 0:
		return "a character device"
	case t&fs.ModeDevice != 0:
		return "a block device"
	default:
		return "mode " + t.String()
	}
}

// OpenRegular opens path for reading when it is a regular file or a
// symbolic link to one. Anything else is a *NotRegularError, returned
// without blocking: the file is opened with O_NONBLOCK, so a FIFO without a
// writer does not hang the open, and checked with fstat before any read. A
// missing file is the *fs.PathError of os.Open (errors.Is fs.ErrNotExist),
// for the caller to decide whether missing is allowed.
func OpenRegular(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if errors.Is(err, syscall.ENXIO) {
		// A socket fails the open itself ("no such device or address"):
		// it is no file to read either, and said as such (an outside
		// review: a socket in the ledger's place hid the other problems).
		if fi, serr := os.Stat(path); serr == nil && !fi.Mode().IsRegular() {
			return nil, &NotRegularError{Path: path, Mode: fi.Mode()}
		}
	}
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, &NotRegularError{Path: path, Mode: fi.Mode()}
	}
	return f, nil
}

// CheckRegular reports, without reading, whether path can be read as an
// input: nil for a regular file (or a symbolic link to one), the
// fs.ErrNotExist error of a missing path, a *NotRegularError otherwise.
func CheckRegular(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return &NotRegularError{Path: path, Mode: fi.Mode()}
	}
	return nil
}

// ReadRegular reads the whole of path, as os.ReadFile does, when it is a
// regular file or a symbolic link to one (OpenRegular): a FIFO or a device
// put where a report, a signature, the audit log or a key is expected is
// a *NotRegularError at once, not a job hung with its lock held.
func ReadRegular(path string) ([]byte, error) {
	f, err := OpenRegular(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var b bytes.Buffer
	if fi, err := f.Stat(); err == nil && fi.Size() > 0 && fi.Size() < 1<<40 {
		b.Grow(int(fi.Size()) + 1)
	}
	if _, err := b.ReadFrom(f); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// Gone reports whether err says a path a record names is not there: the
// file or its directory missing, or its directory replaced by a regular
// file (ENOTDIR: a careless mv, a mount point left as a file) or by a
// link that loops (ELOOP). Checks of
// what was recorded as published use it, so that an output directory
// replaced by a file loses its recorded files, as a removed one does: an
// integrity problem, not a configuration error. Inputs do not: a missing
// optional input is absent, but one under a file stays an error.
func Gone(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) || errors.Is(err, syscall.ELOOP)
}

// ContextReader is r, read until ctx ends: each Read first returns ctx's
// error once it has one. A reader of a file of gigabytes (a ledger
// hashed, a store re-derived) stops when a signal cancels its command.
func ContextReader(ctx context.Context, r io.Reader) io.Reader { return contextReader{ctx, r} }

type contextReader struct {
	ctx context.Context
	r   io.Reader
}

func (c contextReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
