// Package hostlimits checks the process's resource limits before a
// command opens anything (docs/RULES.md, "Resource limits").
//
// Under some limits a job does not fail, it crashes: with too few file
// descriptors DuckDB throws from a destructor and the C++ runtime aborts
// the process, and with too little address space the Go runtime's
// out-of-memory error ends it. Either way cron saw exit 2 (the usage
// status) under a crash report, or nothing at all. Check turns a limit
// below what the process needs into an error naming the limit, its value
// and the least value that works, before the lock, the store or any file
// is touched. The address space is checked only for commands that run the
// database engine (those working on a root): verifying a copied file or
// an evidence bundle needs little of it.
//
// It raises a soft address-space limit below the minimum as far as the
// hard limit allows (the Go runtime does the same for open files at
// start); it must never raise one beyond what a command needs, nor lower
// one but when a command is asked to bound the memory a statement it
// does not control decides (BoundAddressSpace, for `query --max-memory`).
package hostlimits
