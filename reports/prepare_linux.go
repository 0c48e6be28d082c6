package reports

import (
	"bytes"
	"errors"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// stagesAlike says whether a file made in staging and renamed into dir
// ends up as one made in dir would: both directories on one file system
// (a rename across two mounts of it still fails, and Publish then writes
// the artifact instead), and alike in what a new file takes from its
// directory — its group (a setgid directory's), its default ACL and its
// SELinux label. When they differ, Prepare writes nothing ahead.
func stagesAlike(staging, dir string) bool {
	var a, b unix.Stat_t
	if unix.Stat(staging, &a) != nil || unix.Stat(dir, &b) != nil || a.Dev != b.Dev {
		return false
	}
	if newFileGroup(&a) != newFileGroup(&b) {
		return false
	}
	for _, attr := range []string{"system.posix_acl_default", "security.selinux"} {
		x, errX := xattr(staging, attr)
		y, errY := xattr(dir, attr)
		if errX != nil || errY != nil || !bytes.Equal(x, y) {
			return false
		}
	}
	return true
}

// newFileGroup is the group a file created in the directory st describes
// gets: the directory's own when it is setgid, the process's otherwise.
func newFileGroup(st *unix.Stat_t) uint32 {
	if st.Mode&unix.S_ISGID != 0 {
		return st.Gid
	}
	return uint32(os.Getegid())
}

// xattr returns the value of the extended attribute name of path; nil
// when it has none (or the file system keeps none).
func xattr(path, name string) ([]byte, error) {
	buf := make([]byte, 256)
	for {
		n, err := unix.Getxattr(path, name, buf)
		switch {
		case errors.Is(err, unix.ENODATA), errors.Is(err, unix.ENOTSUP), errors.Is(err, syscall.EOPNOTSUPP):
			return nil, nil
		case errors.Is(err, unix.ERANGE):
			buf = make([]byte, 2*len(buf))
			continue
		case err != nil:
			return nil, err
		}
		return buf[:n], nil
	}
}
