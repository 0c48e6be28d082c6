//go:build !linux

package store

// yieldToOthers does nothing where a thread's priority cannot be set on
// its own: the goroutine runs as any other.
func yieldToOthers() {}
