//go:build !linux || !cgo

package hugepages

// On reports false: transparent huge pages are a Linux facility, and the
// wrapper is built only there, with cgo.
func On() bool { return false }

// Advised returns 0 (see On).
func Advised() int64 { return 0 }

// Refused returns 0 (see On).
func Refused() int64 { return 0 }

// Withdraw does nothing (see On).
func Withdraw() {}
