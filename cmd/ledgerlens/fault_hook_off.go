//go:build !ledgerlens_faults

package main

import "context"

// faultHook is nil: a release binary has no crash-test hook (fault_hook.go).
func faultHook() func(ctx context.Context, step string) { return nil }
