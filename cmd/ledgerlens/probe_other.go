//go:build !linux

package main

import "syscall"

// dieWithParent is nil where the system has no parent-death signal: a
// child may then outlive a killed job.
func dieWithParent() *syscall.SysProcAttr { return nil }
