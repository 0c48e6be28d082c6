package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ledgerlens/ledgerlens/pipeline/inputs"
)

// usageError marks a bad command line: a flag, argument or value the
// command cannot accept (exit status 2).
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

// findingsError is a run whose findings reach the --fail-on severity (exit
// status 3). The command has already logged what it found.
type findingsError struct {
	what   string
	count  int
	failOn string
}

func (e *findingsError) Error() string {
	return fmt.Sprintf("%d %s at or above %s", e.count, e.what, e.failOn)
}

// execute runs the command line. cobra's own errors about the command line
// come back as usageError: flag errors through the flag error function,
// argument-count errors through each command's wrapped Args, and an unknown
// command through the root command's RunE.
func execute(ctx context.Context, a *app, args []string) error {
	root := newRootCmd(a)
	root.SetArgs(args)
	return root.ExecuteContext(ctx)
}

// rootRun shows the help, or refuses an unknown command as a usage error.
func rootRun(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return cmd.Help()
	}
	err := fmt.Errorf("unknown command %q for %q", args[0], cmd.CommandPath())
	if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
		err = fmt.Errorf("%w; did you mean %s?", err, strings.Join(s, " or "))
	}
	return usageError{err}
}

// usageArgs wraps every command's argument check so that its error is a
// usageError.
func usageArgs(c *cobra.Command) {
	if check := c.Args; check != nil {
		c.Args = func(cmd *cobra.Command, args []string) error {
			if err := check(cmd, args); err != nil {
				return usageError{err}
			}
			return nil
		}
	}
	for _, sub := range c.Commands() {
		usageArgs(sub)
	}
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
		Args:          cobra.ArbitraryArgs,
		RunE:          rootRun,
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
	usageArgs(root)
	return root
}
