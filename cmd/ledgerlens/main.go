package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
	_ "time/tzdata" // zone names work on hosts without system zoneinfo

	"github.com/ledgerlens/ledgerlens/pipeline/job"
	"github.com/ledgerlens/ledgerlens/pipeline/store"
	"github.com/ledgerlens/ledgerlens/schedules"
)

// Exit statuses (docs/RULES.md, "Exit status").
const (
	exitOK       = 0
	exitFailed   = 1
	exitUsage    = 2
	exitFindings = 3
	// exitIntegrity: an integrity problem (job.ErrIntegrity), found by
	// a job (which says whether it published) or by a verify command
	// that ran to the end (failedCheck); it outranks exitFindings.
	exitIntegrity = 4
	exitLocked    = 75
)

func main() {
	// A write past the file-size limit (ulimit -f) raises SIGXFSZ. On a
	// Go thread the runtime ignores it and the write fails with "file too
	// large", which the job reports; on one of DuckDB's own threads the
	// runtime restores the default action and the process died with
	// nothing on stderr (exit 153). Ignored, every such write fails the
	// same way (docs/RULES.md, "Resource limits").
	signal.Ignore(syscall.SIGXFSZ)
	// No file ledgerlens or its engine creates can be written by the
	// group or others, whatever umask cron gave: the store's directory
	// refuses such a file (store.Dir), and a write-ahead log the engine
	// created 0664 would be refused by the next job. Nor is one closed
	// to its owner: under umask 0777 the state directory had mode 000
	// (docs/COMPLIANCE.md, "The store's directory").
	syscall.Umask((syscall.Umask(0o022) | 0o022) &^ 0o700)
	ctx, stop := notifySignals(context.Background(), os.Stderr)
	code := runWith(ctx, os.Args[1:], os.Stdout, os.Stderr, selfProbe)
	stop()
	os.Exit(code)
}

// interrupted is the cancellation cause a signal gives the context.
type interrupted struct{ sig syscall.Signal }

func (i interrupted) Error() string { return "interrupted by " + signalName(i.sig) }

func signalName(sig syscall.Signal) string {
	switch sig {
	case syscall.SIGTERM:
		return "SIGTERM"
	case syscall.SIGINT:
		return "SIGINT"
	case syscall.SIGHUP:
		return "SIGHUP"
	case syscall.SIGXCPU:
		return "SIGXCPU (the CPU-time limit)"
	}
	return sig.String()
}

// notifySignals returns a context that the first SIGTERM, SIGINT or
// SIGHUP cancels (cause: interrupted), so the job cleans up and abandons
// its current step; atomic writes mean no partial files either way. SIGHUP
// (the terminal a scheduler was started from closed) ended the process
// with no word and no job_fail entry; it stops it as SIGTERM does, unless
// it is ignored (nohup), which stays so. A second signal exits at once
// with 128+signal: an operator who asks twice is not kept waiting, and is
// told that a publication under way may be left half-recorded.
func notifySignals(parent context.Context, stderr io.Writer) (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(parent)
	sigs := make(chan os.Signal, 2)
	// SIGXCPU: the soft CPU-time limit (ulimit -t) reached. Ignored, the
	// job ran on to the hard limit's SIGKILL (an outside review).
	stopOn := []os.Signal{syscall.SIGTERM, syscall.SIGINT, syscall.SIGXCPU}
	if !signal.Ignored(syscall.SIGHUP) {
		stopOn = append(stopOn, syscall.SIGHUP)
	}
	signal.Notify(sigs, stopOn...)
	done := make(chan struct{})
	go func() {
		select {
		case s := <-sigs:
			cancel(interrupted{s.(syscall.Signal)})
		case <-done:
			return
		}
		select {
		case s := <-sigs:
			sig := s.(syscall.Signal)
			// Not "nothing published": a publication under way may have
			// files in place that it has not recorded yet.
			fmt.Fprintf(stderr, "ledgerlens: %s again: exiting at once; files of a publication under way may be left unrecorded: run the same command again (it completes them), then 'ledgerlens verify all'\n", signalName(sig))
			os.Exit(128 + int(sig))
		case <-done:
		}
	}()
	return ctx, func() {
		signal.Stop(sigs)
		close(done)
		cancel(nil)
	}
}

// readOnlyCommand reports whether command (its path without
// "ledgerlens ") only reads: interrupted, it has nothing published to
// speak of, nor steps to resume.
func readOnlyCommand(command string) bool {
	return command == "verify" || strings.HasPrefix(command, "verify ") || strings.HasPrefix(command, "audit verify") ||
		command == "baseline list" || command == "schedule list"
}

// exitAfter ends the process with status code after d, unless stop is
// called first: for a command whose goroutine may be stuck in a write no
// context can interrupt (standard output a pipe nobody reads). msg goes
// to stderr without waiting for it, which may be blocked too.
func exitAfter(d time.Duration, stderr io.Writer, code int, msg string) (stop func()) {
	t := time.AfterFunc(d, func() {
		go fmt.Fprintln(stderr, msg)
		time.Sleep(200 * time.Millisecond)
		os.Exit(code)
	})
	return func() { t.Stop() }
}

// runWith executes the command line and maps its outcome to an exit
// status. This is the one place where errors become exit statuses:
// commands return typed errors and never choose a status themselves.
// probe opens the store in a child process before a job does (selfProbe).
func runWith(ctx context.Context, args []string, stdout, stderr io.Writer, probe func(context.Context, *store.Dir) error) int {
	out := &outputWriter{w: stdout}
	a := newApp(out, stderr)
	a.probeStore = probe
	err := execute(ctx, a, args)
	if err == nil && out.err != nil {
		// What the command printed went nowhere (a full disk under
		// `> file`): it did not do its job.
		err = fmt.Errorf("write standard output: %w (the command itself finished: what it printed was lost)", out.err)
	}
	code := exitStatus(ctx, a, err)
	a.logJobEnd(a.command, code, err)
	return code
}

// outputWriter is standard output that remembers its first write error,
// for run to turn into an error: commands print with fmt.Fprint* and do
// not check each write, and an operator redirecting `schedule crontab` to
// a file on a full disk got an empty file and exit 0.
type outputWriter struct {
	w   io.Writer
	err error
}

func (o *outputWriter) Write(p []byte) (int, error) {
	n, err := o.w.Write(p)
	if err != nil && o.err == nil {
		o.err = err
	}
	return n, err
}

// interruptedStatus is the exit status of a command the signal that
// cancelled ctx stopped: 128+signal, as a shell reports a killed command.
func interruptedStatus(ctx context.Context) int {
	var sig interrupted
	if errors.As(context.Cause(ctx), &sig) {
		return 128 + int(sig.sig)
	}
	return 128 + int(syscall.SIGTERM)
}

// exitStatus maps a command's outcome to its exit status, reporting the
// error on stderr.
func exitStatus(ctx context.Context, a *app, err error) int {
	var (
		usage         usageError
		findings      *findingsError
		held          *job.LockHeldError
		notEnded      *job.PeriodNotEndedError
		notEndedRange *job.RangeNotEndedError
		abandoned     *schedules.AbandonedError
		sqlErr        *sqlError
	)
	a.prog.end()
	switch {
	case err == nil:
		return exitOK
	case ctx.Err() != nil && errors.As(err, &abandoned):
		// The scheduler stopped in the middle of a run. Stopped between
		// runs it returns nil (exit 0, a daemon's clean stop); here a
		// publication or a check it was due did not happen, and it said
		// so only in a log line at warning level, exiting 0 (an outside
		// review).
		what := "which did not finish; it runs again when the scheduler next starts (or run it by hand now)"
		if abandoned.Published {
			// Not "did not finish" over a publication, as a one-shot
			// job never says "nothing published" over one.
			what = "after it published: its announcement was cut short, and the next start announces it (a receiver that had the cut post may be told twice)"
		}
		fmt.Fprintf(a.stderr, "ledgerlens: interrupted (%v): schedule run stopped during the %s run for %s, %s\n",
			context.Cause(ctx), abandoned.Job, abandoned.Fire.UTC().Format(time.RFC3339), what)
		return interruptedStatus(ctx)
	case ctx.Err() != nil && errors.Is(err, context.Canceled):
		// SIGTERM/SIGINT stopped a one-shot job between steps or abandoned
		// the current one: every write is atomic and finished steps are
		// checkpointed, but the job did not do its work, so the status
		// says so (128+signal, as a shell reports a killed command).
		code := interruptedStatus(ctx)
		if a.command == "query" {
			// A query publishes nothing; what it wrote to stdout is cut
			// short, and only this status says so.
			fmt.Fprintf(a.stderr, "ledgerlens: interrupted: the query stopped (%v); any output written is incomplete\n", context.Cause(ctx))
			return code
		}
		if readOnlyCommand(a.command) {
			fmt.Fprintf(a.stderr, "ledgerlens: interrupted: %s stopped before it finished (%v): nothing was checked to the end; run it again\n", a.command, context.Cause(ctx))
			return code
		}
		var published *job.PublishedThenFailedError
		if errors.As(err, &published) {
			fmt.Fprintf(a.stderr, "ledgerlens: interrupted after it published (%v): the files are recorded in the audit log; a re-run finishes the rest\n",
				context.Cause(ctx))
			return code
		}
		fmt.Fprintf(a.stderr, "ledgerlens: interrupted: nothing published (%v; finished steps are checkpointed, a re-run resumes)\n",
			context.Cause(ctx))
		return code
	case errors.As(err, &notEnded), errors.As(err, &notEndedRange):
		// Not a final report's period yet, or an export of a range
		// that has not ended: refused like a bad command line.
		a.logError(err)
		return exitUsage
	case errors.As(err, &usage):
		fmt.Fprintf(a.stderr, "ledgerlens: %v\nRun 'ledgerlens --help' for usage.\n", err)
		return exitUsage
	case errors.Is(err, job.ErrIntegrity):
		// One line on stderr, also under --quiet: cron mails it.
		a.logError(err)
		return exitIntegrity
	case errors.As(err, &findings):
		// On stderr at error level, so that cron, which mails only what a
		// job prints, says why it exited 3.
		a.logError(err)
		return exitFindings
	case errors.As(err, &held):
		a.logError(err)
		return exitLocked
	case errors.As(err, &sqlErr):
		// Its lines as the engine wrote them, continuation lines
		// indented (a newline in quoted ledger text cannot print a line
		// that reads like ledgerlens's own) and a control character
		// shown escaped, as the table output shows it.
		lines := strings.Split(err.Error(), "\n")
		for i, l := range lines {
			lines[i] = escapeControl(l)
		}
		fmt.Fprintf(a.stderr, "ledgerlens: %s\n", strings.Join(lines, "\n    "))
		return exitFailed
	default:
		a.logError(err)
		return exitFailed
	}
}
