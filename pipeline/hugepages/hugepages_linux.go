//go:build cgo

package hugepages

/*
#cgo LDFLAGS: -Wl,--wrap=mmap
long ledgerlens_hugepages_advised(void);
long ledgerlens_hugepages_refused(void);
int ledgerlens_hugepages_on(void);
*/
import "C"

// On reports whether this process advises huge pages: false only when
// LEDGERLENS_HUGEPAGES=off.
func On() bool { return C.ledgerlens_hugepages_on() != 0 }

// Advised returns the bytes of mappings advised so far (the wrapper counts
// each mapping once, when it is made; unmapped ones are not subtracted).
func Advised() int64 { return int64(C.ledgerlens_hugepages_advised()) }

// Refused returns how many times the kernel refused the advice (a kernel
// without transparent huge pages, or a sandbox that forbids it); such a
// mapping keeps its small pages and nothing else changes.
func Refused() int64 { return int64(C.ledgerlens_hugepages_refused()) }
