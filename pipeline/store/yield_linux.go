package store

import (
	"runtime"
	"syscall"
)

// yieldToOthers gives the calling goroutine's thread the lowest priority
// (nice 19) for the rest of the goroutine, so that it runs on what the
// process's other threads leave of the CPU. The goroutine stays locked to
// the thread and must end without unlocking it: the Go runtime then ends
// the thread, and no other goroutine ever runs at that priority (an
// unprivileged process cannot raise it back). A failure leaves the
// priority as it was.
func yieldToOthers() {
	runtime.LockOSThread()
	_ = syscall.Setpriority(syscall.PRIO_PROCESS, syscall.Gettid(), 19)
}
