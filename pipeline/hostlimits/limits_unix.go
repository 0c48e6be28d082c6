//go:build unix

package hostlimits

import "syscall"

// current reads the process's soft limits; one that cannot be read is
// taken as unlimited.
func current() Limits {
	l := Limits{OpenFiles: Unlimited, AddressSpace: Unlimited}
	var r syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &r) == nil {
		l.OpenFiles = r.Cur
	}
	if syscall.Getrlimit(syscall.RLIMIT_AS, &r) == nil {
		l.AddressSpace = r.Cur
	}
	return l
}
