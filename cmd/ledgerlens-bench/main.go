package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/ledgerlens/ledgerlens/pipeline/hugepages"
)

const usage = `usage:
  ledgerlens-bench [run] [flags]        measure phases (a) engine, (b) cold job, (c) warm job, and jq
  ledgerlens-bench engine [-db DIR] LEDGER WEEK
                                        phase (a) alone: DuckDB read_json scan + top scenarios of WEEK
  ledgerlens-bench floor -ledger FILE -cut BYTES -db DIR [-memory LIMIT] [-zone ZONE]
                                        each ingest phase alone (append-only check, hash, parse,
                                        parse+Arrow, store write on the job's Arrow path) for the
                                        parts [0, cut) and [cut, end), beside store.Ingest's phases
  ledgerlens-bench profile -root DIR -week WEEK [-cpuprofile FILE]
                                        one weekly job in-process (optionally under the CPU profiler),
                                        printing its step timings as JSON
  ledgerlens-bench weeks -fixture DIR -from MONDAY [-n WEEKS] [-bin FILE] [-work DIR] [-settle D]
                                        weekly jobs one after another on one root, as cron runs
                                        them, each followed by a query: per week the job's time,
                                        the WAL it left and the query's time
  ledgerlens-bench touch [-mib N] [-huge]
                                        what the host charges for memory touched the first time
                                        against the second, as JSON

run flags:
`

func main() {
	// SIGINT/SIGTERM cancel the context; running phases get SIGTERM so that
	// ledgerlens stops cleanly (its writes are atomic).
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	code := realMain(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// realMain dispatches the subcommands and maps the outcome to an exit
// status: 0 success (targets missed or not), 1 error, 2 usage.
func realMain(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	// Every phase runs under the same memory policy as the product: the
	// engine reference too (pipeline/hugepages).
	err := hugepages.Check()
	switch {
	case err != nil:
		err = usageError{err.Error()}
	case len(args) > 0 && args[0] == "engine":
		err = cmdEngine(ctx, args[1:], stdout)
	case len(args) > 0 && args[0] == "floor":
		err = cmdFloor(ctx, args[1:], stdout)
	case len(args) > 0 && args[0] == "profile":
		err = cmdProfile(ctx, args[1:], stdout)
	case len(args) > 0 && args[0] == "weeks":
		err = cmdWeeks(ctx, args[1:], stdout)
	case len(args) > 0 && args[0] == "touch":
		err = cmdTouch(ctx, args[1:], stdout)
	case len(args) > 0 && args[0] == "run":
		err = cmdRun(ctx, args[1:], stdout, stderr)
	default:
		err = cmdRun(ctx, args, stdout, stderr)
	}
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, new(usageError)):
		fmt.Fprintf(stderr, "ledgerlens-bench: %v\n\n%s", err, usage)
		return 2
	default:
		fmt.Fprintf(stderr, "ledgerlens-bench: %v\n", err)
		return 1
	}
}

// usageError is a command line that cannot be run.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// cmdRun parses the run flags and runs the whole measurement.
func cmdRun(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg := defaultRunConfig()
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, usage)
		fs.PrintDefaults()
	}
	fs.StringVar(&cfg.Bin, "bin", cfg.Bin, "ledgerlens binary to measure")
	fs.IntVar(&cfg.Runs, "runs", cfg.Runs, "runs in the generated fixture ledger")
	fs.Int64Var(&cfg.Seed, "seed", cfg.Seed, "fixture seed")
	fs.IntVar(&cfg.Weeks, "weeks", cfg.Weeks, "weeks covered by the fixture")
	fs.StringVar(&cfg.Start, "start", cfg.Start, "first Monday of the fixture (YYYY-MM-DD)")
	fs.StringVar(&cfg.DataDir, "data", cfg.DataDir, "cache of generated fixtures and scratch working roots")
	fs.StringVar(&cfg.Out, "out", cfg.Out, "results file to write")
	fs.IntVar(&cfg.Repeat, "repeat", cfg.Repeat, "rounds of (a), (b), (c); each phase reports its best round")
	fs.DurationVar(&cfg.Settle, "settle", cfg.Settle, "pause before each of (a), (b), (c) and the floors, so that each starts on memory the host has taken back, as a job that cron starts does (a duration: 3s, 500ms; 0: none)")
	fs.StringVar(&cfg.JQ, "jq", cfg.JQ, `jq binary for the runbook comparison ("" or "none" skips it)`)
	fs.DurationVar(&cfg.JQTimeout, "jq-timeout", cfg.JQTimeout, "give up on jq after this long")
	fs.StringVar(&cfg.ProfileDir, "profile", "", "also re-run the cold and warm jobs in-process under the CPU profiler, writing cold.pprof and warm.pprof here")
	fs.BoolVar(&cfg.Keep, "keep", false, "keep the scratch working roots under -data/work for inspection")
	fs.BoolVar(&cfg.Regenerate, "regenerate", false, "regenerate the cached fixture even if present")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err.Error()}
	}
	if fs.NArg() != 0 {
		return usageError{fmt.Sprintf("unexpected arguments %q", fs.Args())}
	}
	if cfg.Repeat < 1 {
		return usageError{fmt.Sprintf("-repeat must be at least 1, got %d", cfg.Repeat)}
	}
	if cfg.Settle < 0 {
		return usageError{fmt.Sprintf("-settle must not be negative, got %s", cfg.Settle)}
	}
	if cfg.Runs <= 0 {
		return usageError{fmt.Sprintf("-runs must be positive, got %d", cfg.Runs)}
	}
	// The jobs run with --as-of a day after their week, and ledgerlens
	// refuses an --as-of later than now: the fixture's weeks must be over.
	if start, err := time.Parse(time.DateOnly, cfg.Start); err != nil {
		return usageError{fmt.Sprintf("-start %q: want YYYY-MM-DD", cfg.Start)}
	} else if end := start.AddDate(0, 0, 7*cfg.Weeks+1); end.After(time.Now()) {
		return usageError{fmt.Sprintf("-start %s -weeks %d: the fixture's last week is not over until %s (the jobs run a day after their week); pick an earlier -start, e.g. -start 2025-01-06 for 52 weeks",
			cfg.Start, cfg.Weeks, end.Format(time.DateOnly))}
	}
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("locate own binary for the engine phase: %w", err)
	}
	cfg.Self = self
	if cfg.Bin, err = filepath.Abs(cfg.Bin); err != nil {
		return err
	}
	if _, err := os.Stat(cfg.Bin); err != nil {
		return fmt.Errorf("ledgerlens binary: %w (run `make build`)", err)
	}
	res, err := run(ctx, cfg, stdout)
	if err != nil {
		return err
	}
	if err := writeResults(cfg.Out, res); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\nwrote %s\n", cfg.Out)
	return nil
}

// runConfig is one measurement's settings.
type runConfig struct {
	Bin     string   // ledgerlens binary (absolute)
	Self    string   // this program, run as `Self engine …` for phase (a)
	SelfEnv []string // extra environment for Self (tests)
	Runs    int
	Repeat  int
	// Settle is the pause before each of (a), (b), (c) and the floors
	// (settle); not before (d), jq or -profile's runs.
	Settle  time.Duration
	Seed    int64
	Weeks   int
	Start   string
	DataDir string
	Out     string
	JQ      string
	// JQTimeout caps the jq run; jq -s holds the whole ledger in memory
	// and is also capped at a share of the available memory (see jq.go).
	JQTimeout  time.Duration
	ProfileDir string
	Keep       bool
	Regenerate bool
}

func defaultRunConfig() runConfig {
	return runConfig{
		Bin:       filepath.Join("bin", "ledgerlens"),
		Runs:      1_000_000,
		Repeat:    1,
		Settle:    3 * time.Second,
		Seed:      1,
		Weeks:     8,
		Start:     "2026-01-05",
		DataDir:   filepath.Join("bench", "data"),
		Out:       filepath.Join("bench", "results.json"),
		JQ:        "jq",
		JQTimeout: 10 * time.Minute,
	}
}
