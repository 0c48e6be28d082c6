// Command ledgerlens is the batch forensics and reporting pipeline for the
// automation run ledger: it loads the ledger into an embedded DuckDB store,
// computes the weekly credit review and publishes signed, verifiable
// reports. Run `ledgerlens --help` for the commands.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	_ "time/tzdata" // zone names work on hosts without system zoneinfo

	"github.com/ledgerlens/ledgerlens/pipeline"
)

func main() {
	// SIGTERM/SIGINT cancel the context: jobs finish or cleanly abandon the
	// current step; atomic writes mean no partial files either way.
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	code := run(ctx, os.Args[1:])
	stop()
	os.Exit(code)
}

// run executes the command line and maps the outcome to SPEC §8's exit
// statuses.
func run(ctx context.Context, args []string) int {
	a := newApp(os.Stdout, os.Stderr)
	root := newRootCmd(a)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	if ctx.Err() != nil && errors.Is(err, context.Canceled) {
		// SIGTERM/SIGINT: the job stopped between steps or abandoned the
		// current one; every write is atomic and finished steps are
		// checkpointed, so stopping is a clean, successful outcome.
		a.log.Warn("stopped by signal; nothing partial was written, a re-run resumes", "cause", err.Error())
		return exitOK
	}
	if errors.Is(err, pipeline.ErrEvidenceIntegrity) {
		// Outranks every other status but usage (SPEC §8).
		a.logError(err)
		return exitEvidenceIntegrity
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil {
			a.logError(ee.err)
		}
		return ee.code
	}
	if isUsageError(err) {
		fmt.Fprintf(a.stderr, "ledgerlens: %v\nRun 'ledgerlens --help' for usage.\n", err)
		return exitUsage
	}
	a.logError(err)
	return exitError1
}
