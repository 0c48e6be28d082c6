// Package hugepages lets a process ask the kernel to back its large
// anonymous memory with transparent huge pages, when its operator asks
// for it (docs/ARCHITECTURE.md, "Memory").
//
// Most of a job's memory is DuckDB's (its buffer allocator maps memory
// with mmap) and the Go heap's (the Go runtime maps its arenas through
// the C library's mmap in a cgo binary). On hosts whose transparent huge
// page mode is "madvise", the default of most distributions, neither
// asks for huge pages, so every 4 KiB page a job touches for the first
// time costs a page fault. Where a fault is dear (a virtual machine whose
// hypervisor backs each small page on its first touch) huge pages save
// most of them; where the hypervisor takes back the memory a process
// frees (free page reporting), a huge page is backed afresh, and cost a
// weekly job twice the kernel time of small pages. So the advice is off
// unless asked for.
//
// Linking this package wraps mmap (the linker's --wrap=mmap, so the
// binary must be linked externally, as every cgo binary with DuckDB is).
// Under LEDGERLENS_HUGEPAGES=on, every private, anonymous, writable
// mapping of at least 2 MiB that C or Go code of the binary maps is given
// madvise(MADV_HUGEPAGE) as soon as it exists, before anything touches
// it. Mappings made inside the C library itself (its malloc arenas,
// thread stacks) are not reached. The advice is given only under the
// kernel's "madvise" mode: under "always" the kernel gives huge pages
// unasked, and without compacting memory for them at a fault, which it
// does for advised mappings; under "never" it gives none.
//
// The setting is read once, before the first large mapping; off and the
// empty value leave the advice off. Check reports any other value, so
// that a mistyped setting is not silently ignored. A process that
// outlives its jobs calls Withdraw: the kernel's khugepaged refills freed
// advised ranges with whole huge pages. GODEBUG=disablethp=1 makes the Go
// runtime take the advice back from its own heap after the wrapper gave
// it.
//
// Import it from main packages only, and from tests that measure what the
// binaries do (a test binary is its own program): the wrap applies to the
// whole binary that links it, and a library must not change how its host
// maps memory.
// It must not allocate, log or fail inside the wrapper: mmap's callers
// include the Go runtime's allocator and the C library's start-up.
package hugepages
