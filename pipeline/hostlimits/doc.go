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
// is touched.
//
// It reads the limits only; it must not raise or lower them (the Go
// runtime already raises the open-file limit to its hard limit at start,
// and the host's limits are the host's).
package hostlimits
