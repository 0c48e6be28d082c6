package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/ledgerlens/ledgerlens/pipeline/inputs"
	"github.com/ledgerlens/ledgerlens/pipeline/job"
)

// faultEnv names the crash-test hook: "kill-after:STEP" SIGKILLs the
// process right after STEP's checkpoint is saved; "pause-after:STEP" waits
// there until the job is cancelled (SIGTERM); "hang-after:STEP" waits there
// ignoring cancellation. Tests use it to crash or stop
// a real process at a precise point; it does nothing unless set.
const faultEnv = "LEDGERLENS_FAULT"

// env is the job environment for a command run from the CLI.
func (a *app) env(command string, lockTimeout time.Duration) job.Env {
	return job.Env{
		Layout:       a.layout(),
		Log:          a.log,
		Now:          time.Now,
		Version:      version(),
		Command:      command,
		LockTimeout:  lockTimeout,
		StoreOptions: job.StoreOptions(a.configuredZone()),
		Progress:     a.prog.ingest(),
		AfterStep:    chainSteps(a.prog.step(), faultHook(os.Getenv(faultEnv))),
		ProbeStore:   a.probeStore,
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
		case "hang-after":
			// A step that ignores cancellation: only a second signal
			// (which exits at once) or SIGKILL ends the process.
			fmt.Fprintf(os.Stderr, "%s: hanging after step %s (pid %d)\n", faultEnv, done, os.Getpid())
			select {}
		}
	}
}

// chainSteps calls each non-nil hook in turn; nil when there is none.
func chainSteps(hooks ...func(ctx context.Context, step string)) func(ctx context.Context, step string) {
	var set []func(ctx context.Context, step string)
	for _, h := range hooks {
		if h != nil {
			set = append(set, h)
		}
	}
	if len(set) == 0 {
		return nil
	}
	return func(ctx context.Context, step string) {
		for _, h := range set {
			h(ctx, step)
		}
	}
}

// configuredZone is the time zone of config/ledgerlens.json, for the
// store's local-time columns; "" (keep the store's zone) when the config
// cannot be read — the job reports that itself when it loads its inputs.
func (a *app) configuredZone() string {
	cfg, _, err := inputs.LoadConfig(a.layout().Config)
	if err != nil {
		return ""
	}
	return cfg.TimeZone
}
