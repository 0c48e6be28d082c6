//go:build ledgerlens_faults

package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"syscall"
)

// faultEnv names the crash-test hook, built only into the binary the
// tests build (-tags ledgerlens_faults; TestMain): "kill-after:STEP"
// SIGKILLs the process right after STEP's checkpoint is saved;
// "pause-after:STEP" waits there until the job is cancelled (SIGTERM);
// "hang-after:STEP" waits there ignoring cancellation; "stop-after:STEP"
// stops the process there (SIGSTOP) until it is continued. Tests use it to
// crash or stop a real process at a precise point. A release binary has
// no such hook: whoever sets a job's environment could otherwise stop it
// at will.
const faultEnv = "LEDGERLENS_FAULT"

func faultHook() func(ctx context.Context, step string) {
	action, step, ok := strings.Cut(os.Getenv(faultEnv), ":")
	if !ok || step == "" {
		return nil
	}
	return func(ctx context.Context, done string) {
		if done != step {
			return
		}
		switch action {
		case "kill-after":
			_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
			select {} // the signal is on its way
		case "pause-after":
			fmt.Fprintf(os.Stderr, "%s: paused after step %s (pid %d)\n", faultEnv, done, os.Getpid())
			<-ctx.Done()
		case "stop-after":
			// The test acts while the job stands still, then continues it
			// (SIGCONT): what someone racing the job could do there.
			fmt.Fprintf(os.Stderr, "%s: stopping after step %s (pid %d)\n", faultEnv, done, os.Getpid())
			_ = syscall.Kill(os.Getpid(), syscall.SIGSTOP)
		case "hang-after":
			// A step that ignores cancellation: only a second signal
			// (which exits at once) or SIGKILL ends the process.
			fmt.Fprintf(os.Stderr, "%s: hanging after step %s (pid %d)\n", faultEnv, done, os.Getpid())
			select {}
		}
	}
}
