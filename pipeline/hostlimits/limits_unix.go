//go:build unix

package hostlimits

import "syscall"

// current reads the process's soft limits; one that cannot be read is
// taken as unlimited.
func current() Limits {
	l := Limits{OpenFiles: Unlimited, AddressSpace: Unlimited, Stack: Unlimited}
	var r syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &r) == nil {
		l.OpenFiles = r.Cur
	}
	if syscall.Getrlimit(syscall.RLIMIT_AS, &r) == nil {
		l.AddressSpace = r.Cur
	}
	if syscall.Getrlimit(syscall.RLIMIT_STACK, &r) == nil {
		l.Stack = r.Cur
	}
	return l
}

// raiseAddressSpace raises the soft address-space limit to min, or to the
// hard limit when that is lower, if it is below min.
func raiseAddressSpace(min uint64) {
	var r syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_AS, &r) != nil || r.Cur >= min || r.Cur >= r.Max {
		return
	}
	r.Cur = r.Max
	if r.Max > min {
		r.Cur = min
	}
	_ = syscall.Setrlimit(syscall.RLIMIT_AS, &r)
}

// boundAddressSpace lowers the soft address-space limit to max when it
// is higher, and returns the soft limit in force after (Unlimited when it
// cannot be read).
func boundAddressSpace(max uint64) uint64 {
	var r syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_AS, &r) != nil {
		return Unlimited
	}
	if r.Cur > max {
		r.Cur = max
		if syscall.Setrlimit(syscall.RLIMIT_AS, &r) != nil {
			_ = syscall.Getrlimit(syscall.RLIMIT_AS, &r)
		}
	}
	return r.Cur
}
