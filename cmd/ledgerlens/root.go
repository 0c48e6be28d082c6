package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/ledgerlens/ledgerlens/pipeline/hostlimits"
	"github.com/ledgerlens/ledgerlens/pipeline/hugepages"
	"github.com/ledgerlens/ledgerlens/pipeline/inputs"
	"github.com/ledgerlens/ledgerlens/pipeline/store"
)

// usageError marks a bad command line: a flag, argument or value the
// command cannot accept (exit status 2).
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

// findingsError is a run whose findings reach the --fail-on severity (exit
// status 3), which main reports on stderr.
type findingsError struct {
	what   string
	count  int
	failOn string
}

func (e *findingsError) Error() string {
	return fmt.Sprintf("%d %s at or above %s (--fail-on %s)", e.count, e.what, e.failOn, e.failOn)
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
	prog      *progressLine
	// command, started and outcome feed the end-of-job log line
	// (logJobEnd); command is set once a command starts running.
	command string
	started time.Time
	outcome jobOutcome
	// probeStore opens the store in a child process before a job opens
	// it (selfProbe); nil in-process (tests), where there is no child to
	// run.
	probeStore func(ctx context.Context, dir *store.Dir) error
}

func newApp(stdout, stderr io.Writer) *app {
	prog := newProgressLine(stderr)
	a := &app{stdout: prog.before(stdout), stderr: stderr, prog: prog, started: time.Now()}
	a.log = slog.New(slog.NewTextHandler(prog.before(stderr), nil))
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
		a.log = slog.New(slog.NewTextHandler(a.prog.before(a.stderr), opts))
	case "json":
		a.log = slog.New(slog.NewJSONHandler(a.prog.before(a.stderr), opts))
	default:
		return usagef("--log-format %q: want text or json", a.logFormat)
	}
	return nil
}

func (a *app) logError(err error) { a.log.Error(err.Error()) }

// buildVersion is stamped by `make build` (-ldflags "-X
// main.buildVersion=…", from git describe). It is set only by the linker
// and never written at run time.
var buildVersion string

// version is what reports record as generator.version: the stamped build
// version, else the module version of a tagged module, else the VCS
// revision Go embedded (with "-dirty" for uncommitted changes), else "dev".
func version() string {
	if buildVersion != "" {
		return buildVersion
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "dev"
	}
	return versionOf(bi)
}

// versionOf is version's reading of the build information.
func versionOf(bi *debug.BuildInfo) string {
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	var rev string
	dirty := false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if len(rev) >= 12 {
		v := "dev+" + rev[:12]
		if dirty {
			v += "-dirty"
		}
		return v
	}
	return "dev"
}

// noRoot marks a command that does not work on a working root, so --root
// is not checked: it writes a new one (fixtures generate, demo) or reads
// only the files it is given (verify FILE…).
var noRoot = map[string]string{"ledgerlens/no-root": ""}

// noRootWithFile marks a command that works on the working root, or,
// given a FILE argument, on that file only (audit verify FILE: a compliance
// team checks an exported log offline, with no root at hand).
var noRootWithFile = map[string]string{"ledgerlens/no-root-with-file": ""}

// needsRoot reports whether cmd, given args, works on the --root working
// root.
func needsRoot(cmd *cobra.Command, args []string) bool {
	if _, ok := cmd.Annotations["ledgerlens/no-root"]; ok {
		return false
	}
	if _, ok := cmd.Annotations["ledgerlens/no-root-with-file"]; ok && len(args) > 0 {
		return false
	}
	return !onlyPrints(cmd)
}

// onlyPrints reports whether cmd only prints: help, completion, and the
// bare root command (which prints help).
func onlyPrints(cmd *cobra.Command) bool {
	for c := cmd; c != nil; c = c.Parent() {
		switch c.Name() {
		case "help", "completion", cobra.ShellCompRequestCmd, cobra.ShellCompNoDescRequestCmd:
			return true
		}
	}
	return !cmd.HasParent()
}

// exitStatusHelp ends every command's help: cron reads only the status,
// and an operator writing a cron entry reads the help of the command it
// runs, not the root's (docs/RULES.md, "Exit status", has the whole table).
const exitStatusHelp = `
Exit status: 0 success, 1 error, 2 usage, 3 findings at or above --fail-on,
4 integrity problem, also a verify that found one (outranks 3; stderr says
whether anything was published), 75 another job holds the lock, 128+n interrupted by signal n
(nothing partial published).
`

// noEmptyFlags refuses (exit 2) a flag that takes a value given an empty
// one: in a cron line that is an unset variable, and an empty --pubkey,
// --from or --root would quietly mean "the root's own key", "no range" or
// "the current directory" — a check turned off without a word. Leaving
// the flag out says that.
func noEmptyFlags(cmd *cobra.Command) error {
	var err error
	cmd.Flags().Visit(func(f *pflag.Flag) {
		empty := f.Value.Type() != "bool" && f.Value.String() == ""
		if sv, ok := f.Value.(pflag.SliceValue); ok {
			empty = slices.Contains(sv.GetSlice(), "")
		}
		if err == nil && empty {
			err = usagef("--%s given an empty value (an unset variable?): give a value, or leave the flag out", f.Name)
		}
	})
	return err
}

func newRootCmd(a *app) *cobra.Command {
	root := &cobra.Command{
		Use:   "ledgerlens",
		Short: "Forensics and weekly credit review for the automation run ledger",
		Long: `ledgerlens loads the append-only run ledger into an embedded DuckDB store and
publishes the weekly credit review as signed JSON, an Excel workbook and
SHA-256 sidecars, keeping a tamper-evident audit trail.`,
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
			if err := a.setupLogging(); err != nil {
				return err
			}
			if err := noEmptyFlags(cmd); err != nil {
				return err
			}
			if err := hugepages.Check(); err != nil {
				return usageError{err}
			}
			a.log.Debug("memory", "huge_pages", hugepages.On(), "kernel_thp_mode", hugepages.KernelMode())
			a.command = strings.TrimPrefix(cmd.CommandPath(), "ledgerlens ")
			if !onlyPrints(cmd) {
				// Before the lock or any file: under these limits the
				// process crashed instead of failing.
				if err := hostlimits.Check(needsRoot(cmd, args)); err != nil {
					return err
				}
			}
			if needsRoot(cmd, args) {
				// Before anything is opened or created under it.
				return a.layout().Check()
			}
			return nil
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
		newLedgerCmd(a),
		newProbeStoreCmd(a),
	)
	usageArgs(root)
	// Subcommands inherit the usage template: every help ends with the
	// exit statuses.
	root.SetUsageTemplate(root.UsageTemplate() + exitStatusHelp)
	return root
}
