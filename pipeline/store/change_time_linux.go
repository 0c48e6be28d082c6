package store

import (
	"os"
	"syscall"
	"time"
)

// changeTime returns the inode change time of the file fi describes: the
// kernel sets it on every write and metadata change, and no process can
// set it otherwise.
func changeTime(fi os.FileInfo) (time.Time, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return time.Time{}, false
	}
	return time.Unix(st.Ctim.Unix()), true
}
