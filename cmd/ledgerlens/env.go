package main

import (
	"time"

	"github.com/ledgerlens/ledgerlens/pipeline"
)

// env is the job environment for a command run from the CLI.
func (a *app) env(command string, lockTimeout time.Duration) pipeline.Env {
	return pipeline.Env{
		Layout:      a.layout(),
		Log:         a.log,
		Now:         time.Now,
		Version:     version(),
		Command:     command,
		LockTimeout: lockTimeout,
	}
}
