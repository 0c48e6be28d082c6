//go:build cgo

package hugepages

/*
#cgo LDFLAGS: -Wl,--wrap=mmap
long ledgerlens_hugepages_advised(void);
long ledgerlens_hugepages_refused(void);
int ledgerlens_hugepages_on(void);
void ledgerlens_hugepages_withdraw(void);
*/
import "C"

// On reports whether this process advises huge pages for its new large
// mappings: only under LEDGERLENS_HUGEPAGES=on and the kernel's
// "madvise" mode, and not after Withdraw.
func On() bool { return C.ledgerlens_hugepages_on() != 0 }

// Advised returns the bytes of mappings the wrapper has advised since the
// process started, whatever became of them later (unmapped, withdrawn, or
// marked otherwise by their owner).
func Advised() int64 { return int64(C.ledgerlens_hugepages_advised()) }

// Refused returns how many times the kernel refused the advice (a kernel
// without transparent huge pages, or a sandbox that forbids it); such a
// mapping keeps its small pages and nothing else changes.
func Refused() int64 { return int64(C.ledgerlens_hugepages_refused()) }

// Withdraw stops advising new mappings and takes the advice back from the
// ones advised so far. A process that outlives its jobs calls it (the
// scheduler daemon): the kernel's khugepaged fills advised ranges that
// the process has freed with whole huge pages again, so a long-lived
// process would keep its largest job's peak memory.
func Withdraw() { C.ledgerlens_hugepages_withdraw() }
