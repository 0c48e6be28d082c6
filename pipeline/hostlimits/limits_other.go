//go:build !unix

package hostlimits

// current reports no limits where the system has no setrlimit.
func current() Limits {
	return Limits{OpenFiles: Unlimited, AddressSpace: Unlimited, Stack: Unlimited}
}

// raiseAddressSpace does nothing (see current).
func raiseAddressSpace(uint64) {}

// boundAddressSpace does nothing (see current).
func boundAddressSpace(uint64) uint64 { return Unlimited }
