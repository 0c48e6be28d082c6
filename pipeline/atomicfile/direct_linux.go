package atomicfile

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// setDirect turns O_DIRECT on or off for f's descriptor. An error means
// the file system does not take it. (tmpfs takes it since Linux 6.6, and
// its pages stay in memory either way: the write is correct, only not
// cheaper.)
func setDirect(f *os.File, on bool) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var ferr error
	err = rc.Control(func(fd uintptr) {
		flags, err := unix.FcntlInt(fd, unix.F_GETFL, 0)
		if err != nil {
			ferr = err
			return
		}
		if on {
			flags |= unix.O_DIRECT
		} else {
			flags &^= unix.O_DIRECT
		}
		_, ferr = unix.FcntlInt(fd, unix.F_SETFL, flags)
	})
	return errors.Join(err, ferr)
}

// directRefused says whether a direct write failed only because the file
// system or device would not take this buffer directly (nothing was
// written), so that the bytes can go through the page cache instead.
func directRefused(err error) bool { return errors.Is(err, unix.EINVAL) }
