package main

import "syscall"

// dieWithParent makes a child process receive SIGKILL when the thread
// that started it ends (with this process, or a SIGKILL of it).
func dieWithParent() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
