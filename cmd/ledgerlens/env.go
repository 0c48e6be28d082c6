package main

import (
	"context"
	"time"

	"github.com/ledgerlens/ledgerlens/pipeline/inputs"
	"github.com/ledgerlens/ledgerlens/pipeline/job"
)

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
		AfterStep:    chainSteps(a.prog.step(), faultHook()),
		ProbeStore:   a.probeStore,
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

// scheduledCommand is the command a scheduled run of the job name records
// in the audit log (job_start's command field).
func scheduledCommand(name string) string { return "schedule run: " + name }

// scheduledEnv is the environment of the scheduled run of the job name
// for fire: its job_start records the fire time, which the scheduler holds
// its state file to at its next start (recordedFires).
func (a *app) scheduledEnv(name string, fire time.Time, lockTimeout time.Duration) job.Env {
	env := a.env(scheduledCommand(name), lockTimeout)
	env.Fire = fire
	return env
}
