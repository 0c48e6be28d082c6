// Package lock lets one ledgerlens job at a time work on a state directory,
// across processes (docs/ARCHITECTURE.md, "Scheduling": the scheduler never overlaps a job with itself
// or with a CLI run).
//
// The lock is flock(2) on a lock file and on the directory holding it (a
// removed lock file must not let a second job in). The kernel releases it when the
// holding process exits for any reason, including SIGKILL, so a crashed job
// never leaves a stale lock behind. The file also records who holds it (pid,
// start time, command, host) so that a waiting job can say who it waits
// for (a holder that left no record — a reader under another account,
// another program — is named from the kernel's /proc/locks: pid, account,
// command line, stopped or not), and so that the next holder can tell that the previous one ended
// without releasing — Lock.Recovered — and write a lock_recovered audit
// event. A holder that promises to release the lock by a time (Holder.Until:
// a query and its time limit) is waited for beyond the waiter's own
// timeout, so a scheduled job started during an analyst's query runs after
// it instead of exiting 75.
//
// The lock file is opened without following symbolic links and must be a
// regular file: a job running as root must not truncate whatever a planted
// symlink points to, nor hang on a FIFO.
//
// flock is advisory and, on network file systems, only as reliable as the
// server's lock support: keep the state directory on a local disk.
//
// AcquireFile takes a lock file alone, for a lock held beside the jobs'
// (the scheduler's: one per state directory).
//
// It owns the lock files and nothing else. It must not delete the lock file
// (a waiter may hold an open descriptor of it; unlinking would let two jobs
// lock two different files), decide exit codes, or write audit events.
package lock
