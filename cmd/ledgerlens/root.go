package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ledgerlens/ledgerlens/pipeline/inputs"
	"github.com/ledgerlens/ledgerlens/pipeline/lock"
)

// Exit statuses of SPEC §8.
const (
	exitOK       = 0
	exitError1   = 1
	exitUsage    = 2
	exitFindings = 3
	// exitEvidenceIntegrity: pipeline.ErrEvidenceIntegrity — an audit log
	// edited, truncated or inconsistent with a signed checkpoint, a key
	// pair that does not match (docs/COMPLIANCE.md).
	exitEvidenceIntegrity = 4
	exitLocked            = 75
)

// exitError carries a specific exit status out of a command. err may be
// nil when the command already reported what happened.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// usageError marks a bad command line (exit 2).
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }

// lockedExit maps "another job holds the lock" to exit status 75.
func lockedExit(err error) error {
	var held *lock.HeldError
	if errors.As(err, &held) {
		return &exitError{code: exitLocked, err: err}
	}
	return err
}

func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

func isUsageError(err error) bool {
	var ue usageError
	if errors.As(err, &ue) {
		return true
	}
	// cobra's own argument and flag errors.
	msg := err.Error()
	for _, p := range []string{"unknown command", "unknown flag", "unknown shorthand", "flag needs an argument",
		"invalid argument", "accepts ", "requires at least", "required flag"} {
		if strings.Contains(msg, p) {
			return true
		}
	}
	return false
}

// app is what every command shares: global flags and output streams.
type app struct {
	root      string
	logFormat string
	logLevel  string
	quiet     bool
	stdout    io.Writer
	stderr    io.Writer
	log       *slog.Logger
}

func newApp(stdout, stderr io.Writer) *app {
	a := &app{stdout: stdout, stderr: stderr}
	a.log = slog.New(slog.NewTextHandler(stderr, nil))
	return a
}

func (a *app) layout() inputs.Layout { return inputs.NewLayout(a.root) }

func (a *app) setupLogging() error {
	var level slog.Level
	if a.logLevel == "auto" {
		// Under cron (no terminal) only errors are printed; a person at a
		// terminal sees progress too.
		level = slog.LevelError
		if isTerminal(a.stderr) {
			level = slog.LevelInfo
		}
	} else if err := level.UnmarshalText([]byte(a.logLevel)); err != nil {
		return usagef("--log-level %q: want debug, info, warn or error", a.logLevel)
	}
	opts := &slog.HandlerOptions{Level: level}
	switch a.logFormat {
	case "text":
		a.log = slog.New(slog.NewTextHandler(a.stderr, opts))
	case "json":
		a.log = slog.New(slog.NewJSONHandler(a.stderr, opts))
	default:
		return usagef("--log-format %q: want text or json", a.logFormat)
	}
	return nil
}

func (a *app) logError(err error) { a.log.Error(err.Error()) }

// version is the module version when built from a tagged module, else the
// VCS revision, else "dev".
func version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "dev"
	}
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	for _, s := range bi.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			return "dev+" + s.Value[:12]
		}
	}
	return "dev"
}

func newRootCmd(a *app) *cobra.Command {
	root := &cobra.Command{
		Use:   "ledgerlens",
		Short: "Forensics and weekly credit review for the automation run ledger",
		Long: `ledgerlens loads the append-only run ledger into an embedded DuckDB store and
publishes the weekly credit review as signed JSON, an Excel workbook and
SHA-256 sidecars, keeping a tamper-evident audit trail.

Exit status: 0 success, 1 error, 2 usage, 3 findings at or above --fail-on,
75 another job holds the lock.`,
		Example: `  ledgerlens fixtures generate --out demo
  ledgerlens --root demo ingest
  ledgerlens --root demo query "SELECT severity, count(*) FROM runs GROUP BY 1"`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       version(),
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			if a.quiet {
				a.stdout = io.Discard
			}
			return a.setupLogging()
		},
	}
	root.SetOut(a.stdout)
	root.SetErr(a.stderr)
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error { return usageError{err} })
	pf := root.PersistentFlags()
	pf.StringVar(&a.root, "root", ".", "working root holding runs/, config/ and .ledgerlens/")
	pf.StringVar(&a.logFormat, "log-format", "text", "log format on stderr: text or json")
	pf.BoolVarP(&a.quiet, "quiet", "q", false, "print no results on stdout (errors still go to stderr); for cron")
	pf.StringVar(&a.logLevel, "log-level", "auto", "log level: debug, info, warn, error, or auto (info on a terminal, else error)")
	root.AddCommand(
		newIngestCmd(a),
		newQueryCmd(a),
		newFixturesCmd(a),
		newReportCmd(a),
		newKeysCmd(a),
		newVerifyCmd(a),
		newAuditCmd(a),
		newScheduleCmd(a),
		newBaselineCmd(a), newEvidenceCmd(a),
		newDemoCmd(a),
	)
	return root
}
