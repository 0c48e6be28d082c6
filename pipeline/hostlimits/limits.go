package hostlimits

import "fmt"

// Unlimited is a limit the host does not set.
const Unlimited = ^uint64(0)

// The least limits a command needs, measured on the fixture roots
// (docs/RULES.md, "Resource limits").
const (
	// MinOpenFiles: a weekly job has at most 14 descriptors open; DuckDB
	// aborted the process at 10 and 11.
	MinOpenFiles = 64
	// MinAddressSpace: a cold job over 200,000 runs reserved 2.2 GB of
	// address space (VmPeak) while using a tenth of it; the Go runtime
	// failed to reserve its heap at 1.9 GiB.
	MinAddressSpace = 4 << 30
	// MinStack: the C library gives every thread it starts (DuckDB's
	// workers) a stack of this limit's size; at 64 KiB a weekly job
	// crashed in the engine, at 100 KiB it ran.
	MinStack = 256 << 10
)

// Limits are the process's soft limits that Check compares.
type Limits struct {
	OpenFiles    uint64 // RLIMIT_NOFILE
	AddressSpace uint64 // RLIMIT_AS, in bytes
	Stack        uint64 // RLIMIT_STACK, in bytes
}

// Check returns an error naming the first limit of the current process
// below what a command needs, or nil; addressSpace says whether the
// command runs the database engine, which needs the address space (a
// command that only reads files does not). A soft limit below the minimum
// is first raised as far as its hard limit allows, as the Go runtime does
// for open files. Limits it cannot read are not checked.
func Check(addressSpace bool) error {
	if addressSpace {
		raiseAddressSpace(MinAddressSpace)
	}
	l := current()
	if !addressSpace {
		l.AddressSpace, l.Stack = Unlimited, Unlimited
	}
	return l.check()
}

// check is Check for given limits.
func (l Limits) check() error {
	if l.OpenFiles < MinOpenFiles {
		return fmt.Errorf("resource limit: open files (ulimit -n) is %d; ledgerlens needs at least %d (below that the database engine aborts the process): raise it where the job is started",
			l.OpenFiles, MinOpenFiles)
	}
	if l.Stack < MinStack {
		return fmt.Errorf("resource limit: stack size (ulimit -s) is %d KiB; ledgerlens needs at least %d KiB (the database engine's threads get stacks of that size, and crash on smaller ones): raise it where the job is started",
			l.Stack>>10, uint64(MinStack)>>10)
	}
	if l.AddressSpace < MinAddressSpace {
		return fmt.Errorf("resource limit: address space (ulimit -v) is %d MiB; ledgerlens needs at least %d MiB or no limit (the database engine and the Go runtime reserve address space well beyond what they use, and below that the process crashes): raise it where the job is started",
			l.AddressSpace>>20, uint64(MinAddressSpace)>>20)
	}
	return nil
}

// BoundAddressSpace bounds the process's address space (RLIMIT_AS) at
// limit for a command whose memory a statement it does not control
// decides: the engine's memory_limit bounds its buffers, not the strings
// and aggregate states a statement builds, and one `query` of an
// analyst's (string_agg over a million rows) took 3 GB, with nothing to
// stop it short of the host's out-of-memory killer (an outside review).
// Under the bound the engine fails the statement instead ("Out of Memory
// Error"). It is asked for, not a default: the bound is on address
// space, which the engine and the Go runtime reserve well beyond what
// they use, and a default of half the machine's memory failed a
// legitimate export of 3 million runs at 2.2 GB resident (a review).
// limit 0 asks for none. It is never below MinAddressSpace, never raises a
// limit, and returns the one in force (Unlimited when there is none or
// it cannot be read).
func BoundAddressSpace(limit uint64) uint64 {
	if limit == 0 {
		return current().AddressSpace
	}
	return boundAddressSpace(max(limit, MinAddressSpace))
}
