package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/ledgerlens/ledgerlens/pipeline/job"
	"github.com/ledgerlens/ledgerlens/pipeline/store"
)

// faultEnv names the crash-test hook: "kill-after:STEP" SIGKILLs the
// process right after STEP's checkpoint is saved; "pause-after:STEP" waits
// there until the job is cancelled (SIGTERM). Tests use it to crash or stop
// a real process at a precise point; it does nothing unless set.
const faultEnv = "LEDGERLENS_FAULT"

// env is the job environment for a command run from the CLI.
func (a *app) env(command string, lockTimeout time.Duration) job.Env {
	return job.Env{
		Layout:      a.layout(),
		Log:         a.log,
		Now:         time.Now,
		Version:     version(),
		Command:     command,
		LockTimeout: lockTimeout,
		// Jobs amortise DuckDB's checkpoint over appends (see
		// store.Options.DeferCheckpoint).
		StoreOptions: store.Options{DeferCheckpoint: true},
		Progress:     a.progress("ingesting ledger"),
		AfterStep:    faultHook(os.Getenv(faultEnv)),
	}
}

func faultHook(spec string) func(ctx context.Context, step string) {
	action, step, ok := strings.Cut(spec, ":")
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
		}
	}
}

// progress returns a progress reporter for work that may take a while: it
// draws only on a terminal, and only once the work has run for a second.
func (a *app) progress(label string) func(done, total int64) {
	if !isTerminal(a.stderr) {
		return nil
	}
	var (
		mu    sync.Mutex
		start = time.Now()
		last  time.Time
		drawn bool
	)
	return func(done, total int64) {
		mu.Lock()
		defer mu.Unlock()
		now := time.Now()
		if now.Sub(start) < time.Second || (now.Sub(last) < 200*time.Millisecond && done < total) {
			return
		}
		last = now
		pct := 100.0
		if total > 0 {
			pct = 100 * float64(done) / float64(total)
		}
		fmt.Fprintf(a.stderr, "\r%s: %5.1f%% (%d / %d MB)", label, pct, done>>20, total>>20)
		drawn = true
		if done >= total && drawn {
			fmt.Fprintln(a.stderr)
		}
	}
}
