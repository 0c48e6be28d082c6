// Command ledgerlens is the batch forensics and reporting pipeline for the
// automation run ledger: it loads the ledger into an embedded DuckDB store,
// computes the weekly credit review and publishes signed, verifiable
// reports. Run `ledgerlens --help` for the commands.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	_ "time/tzdata" // zone names work on hosts without system zoneinfo

	"github.com/ledgerlens/ledgerlens/pipeline/job"
)

// Exit statuses (docs/RULES.md, "Exit status").
const (
	exitOK       = 0
	exitFailed   = 1
	exitUsage    = 2
	exitFindings = 3
	// exitEvidenceIntegrity: job.ErrEvidenceIntegrity — an audit log
	// edited, truncated or inconsistent with a signed checkpoint, a key
	// pair that does not match (docs/COMPLIANCE.md). It outranks 3.
	exitEvidenceIntegrity = 4
	exitLocked            = 75
)

func main() {
	// SIGTERM/SIGINT cancel the context: jobs finish or cleanly abandon the
	// current step; atomic writes mean no partial files either way.
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run executes the command line and maps its outcome to an exit status.
// This is the one place where errors become exit statuses: commands return
// typed errors and never choose a status themselves.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	a := newApp(stdout, stderr)
	return exitStatus(ctx, a, execute(ctx, a, args))
}

// exitStatus maps a command's outcome to its exit status, reporting the
// error on stderr.
func exitStatus(ctx context.Context, a *app, err error) int {
	var (
		usage    usageError
		findings *findingsError
		held     *job.LockHeldError
	)
	switch {
	case err == nil:
		return exitOK
	case ctx.Err() != nil && errors.Is(err, context.Canceled):
		// SIGTERM/SIGINT: the job stopped between steps or abandoned the
		// current one; every write is atomic and finished steps are
		// checkpointed, so stopping is a clean, successful outcome.
		a.log.Warn("stopped by signal; nothing partial was written, a re-run resumes", "cause", err.Error())
		return exitOK
	case errors.As(err, &usage):
		fmt.Fprintf(a.stderr, "ledgerlens: %v\nRun 'ledgerlens --help' for usage.\n", err)
		return exitUsage
	case errors.Is(err, job.ErrEvidenceIntegrity):
		a.logError(err)
		return exitEvidenceIntegrity
	case errors.As(err, &findings):
		// Already reported by the command (a warning naming the count).
		return exitFindings
	case errors.As(err, &held):
		a.logError(err)
		return exitLocked
	default:
		a.logError(err)
		return exitFailed
	}
}
