package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/ledgerlens/ledgerlens/pipeline/hostlimits"
	"github.com/ledgerlens/ledgerlens/pipeline/inputs"
	"github.com/ledgerlens/ledgerlens/pipeline/job"
	"github.com/ledgerlens/ledgerlens/pipeline/lock"
	"github.com/ledgerlens/ledgerlens/pipeline/store"
)

// QueryOptions are the options of `ledgerlens query`.
type QueryOptions struct {
	// Format is table, csv, json, jsonl, parquet or arrow.
	Format string
	// Out is the file parquet output is written to (atomically).
	Out string
	// LockTimeout is how long to wait while a job holds the store.
	LockTimeout time.Duration
	// Timeout stops the query after this long. It bounds how long a
	// query keeps the store from the jobs, which wait for it.
	Timeout time.Duration
	// MaxMemory bounds the process's address space, in bytes; 0 sets
	// no bound of its own (hostlimits.BoundAddressSpace).
	MaxMemory uint64
}

// defaultQueryTimeout is --timeout's default: long enough for any report
// question on a 10M-run store, short enough that a scheduled job waiting
// behind a forgotten query still runs within its slot.
const defaultQueryTimeout = 10 * time.Minute

// queryFormats are the accepted --format values.
var queryFormats = []string{"table", "csv", "json", "jsonl", "parquet", "arrow"}

func newQueryCmd(a *app) *cobra.Command {
	opts := QueryOptions{Format: "table", LockTimeout: defaultReadLockTimeout, Timeout: defaultQueryTimeout}
	cmd := &cobra.Command{
		Use:   "query SQL",
		Short: "Run one read-only SQL statement over the store, sandboxed",
		Long: `query runs one SQL statement over the store. The SQL can read the store's
tables and views and nothing else: file reads and writes (read_*, glob, COPY,
EXPORT), ATTACH, INSTALL, LOAD of an extension not built in, and the
network are disabled, and no SET, RESET or PRAGMA can change a setting of
the engine (a call runs one statement, so what a PRAGMA such as
enable_profiling turns on ends with it). The store is opened read-only: a
statement that changes only the session (CREATE TEMP TABLE, DROP VIEW runs)
ends with the call, and the engine refuses one that would change the store. To take results elsewhere, let ledgerlens
write them: --format parquet --out FILE, or --format arrow (an Arrow IPC
stream on stdout).

Tables and views:
  runs        one row per run (the first line of each run id), snake_case
              columns. Time columns:
                "timestamp"  TIMESTAMPTZ, the instant (UTC)
                ts_utc       TIMESTAMP, the instant in UTC, for arithmetic
                             (+ INTERVAL, date_trunc) and UTC periods
                ts_local     TIMESTAMP, wall-clock time in the configured zone
                day_local    DATE, the calendar day in the configured zone:
                             group by it for "per day" questions
              The configured zone is time_zone in config/ledgerlens.json
              (default UTC); the engine has no time-zone rules of its own,
              so SET TimeZone is not available.
  rejects, duplicates, ingest_log
              lines not loaded, later lines of a run id, the store's history

Output: DATE as YYYY-MM-DD; TIMESTAMP as ISO 8601 without a zone (ts_utc is
UTC, ts_local is local time); TIMESTAMPTZ as ISO 8601 in UTC with Z; NULL as
NULL in table, an empty field in csv (where an empty text is ""), null in
json and jsonl. Table output shows
control characters escaped, and at most 10000 rows: past that it says how
many there were. The other formats write each row as it is read, keeping
no copy of the result beside the engine's own (the engine holds the whole
result, so memory still grows with it). DECIMAL prints exactly; NaN and
±Inf print as NaN, +Inf and -Inf (strings in JSON); INTERVAL as the engine
prints it (1 day 04:00:00); a MAP in JSON as an object keyed by the keys'
text; values inside lists, structs and maps by their own type. JSON output
refuses two columns of one name (alias them).

Exit status 0 means every row was written (the table format's first 10000
and the count of the rest: use another format for all of them, as the
notice on stderr says). A query that fails, runs past
--timeout or is interrupted exits non-zero, and what it wrote to stdout
until then is incomplete (a csv or jsonl stream may still parse): check
the status. A Parquet file is written whole or not at all.

While a job holds the store, query waits up to --lock-timeout and then exits
75 naming the job. A query stops after --timeout (10m); a job started while
a query of the jobs' account runs waits for it, up to that limit. A query
under another account (an analyst's own) cannot say its limit in the lock
file: a job then waits only its own --lock-timeout (30m in the crontab
lines) and exits 75, so keep --timeout below that.`,
		Example: `  # spend per day in the configured zone
  ledgerlens query "SELECT day_local, round(sum(credits_total), 2) AS credits FROM runs GROUP BY 1 ORDER BY 1"
  # top 5 scenarios by spend over the last 7 days of data
  ledgerlens query --format csv "SELECT scenario_id, round(sum(credits_total), 2) AS total FROM runs WHERE ts_utc >= (SELECT max(ts_utc) FROM runs) - INTERVAL 7 DAY GROUP BY 1 ORDER BY 2 DESC LIMIT 5"
  # hand the runs of a week to pandas or Polars
  ledgerlens query --format parquet --out /tmp/week.parquet "SELECT * FROM runs WHERE day_local BETWEEN DATE '2026-11-16' AND DATE '2026-11-22'"`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runQuery(cmd.Context(), a, opts, args[0])
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.Format, "format", opts.Format, "output format: table, csv, json, jsonl, parquet (needs --out) or arrow (IPC stream on stdout)")
	f.StringVar(&opts.Out, "out", "", "file to write (parquet); written atomically")
	f.DurationVar(&opts.LockTimeout, "lock-timeout", opts.LockTimeout, "wait this long while a job holds the store before exiting 75")
	f.Var((*memoryFlag)(&opts.MaxMemory), "max-memory", "bound the query's address space, e.g. 8GiB or 6000MiB (at least 4GiB; the engine reserves well beyond what it uses, so leave room); beyond it the statement fails instead of the host running out of memory")
	f.DurationVar(&opts.Timeout, "timeout", opts.Timeout, "stop the query after this long (jobs started meanwhile wait for a query of their own account that long)")
	return cmd
}

// runQuery runs sql in the sandboxed store and writes its result to a's
// stdout (or opts.Out).
func runQuery(ctx context.Context, a *app, opts QueryOptions, sql string) error {
	if err := opts.validate(); err != nil {
		return err
	}
	if opts.Format == "arrow" && isTerminal(a.stdout) {
		// Binary, with ledger text in it, straight onto a screen (an
		// outside review).
		return usagef("--format arrow writes a binary stream, not for a terminal: redirect it to a file or pipe it to a program")
	}
	l := a.layout()
	if opts.Out != "" {
		if err := checkOut(l, opts.Out); err != nil {
			return err
		}
	}
	// The store is opened after the lock: DuckDB's own file lock would
	// otherwise make a job starting now fail instead of waiting.
	if _, err := os.Stat(l.StoreDir); errors.Is(err, fs.ErrNotExist) {
		if _, lerr := os.Stat(l.LegacyStoreFile); lerr != nil {
			return fmt.Errorf("query: no store at %s (run `ledgerlens ingest` first): %w", l.StoreFile, err)
		}
	}
	// Before the engine starts, when asked (--max-memory): what a
	// statement builds outside the engine's buffers is bounded too, and
	// beyond it the statement fails, not the host.
	bound := hostlimits.BoundAddressSpace(opts.MaxMemory)
	lk, err := a.boundedLock(ctx, "query", opts.LockTimeout, opts.Timeout)
	if err != nil {
		return err
	}
	defer lk.Release()
	// A signal cancels the engine, not a write nobody reads either: one
	// SIGTERM, or Ctrl-C under a pager that ignores it, left the query
	// holding the store until --timeout, then exit 1 (an outside review).
	// A query the signal has not ended within signalGrace ends its
	// process, with the signal's status.
	done := make(chan struct{})
	defer close(done)
	signalled := ctx // not the timeout's below, which it cancels after
	stopOnSignal := context.AfterFunc(signalled, func() {
		var in interrupted
		if !errors.As(context.Cause(signalled), &in) {
			return
		}
		select {
		case <-done:
		case <-time.After(signalGrace):
			go fmt.Fprintf(a.stderr, "ledgerlens: query: %s, its output still blocked %s later: exiting; the output is incomplete\n", signalName(in.sig), signalGrace)
			time.Sleep(200 * time.Millisecond)
			lk.Release()
			os.Exit(128 + int(in.sig))
		}
	})
	defer stopOnSignal()
	ctx, cancel := context.WithTimeoutCause(ctx, opts.Timeout, errQueryTimeout)
	defer cancel()
	// The timeout cancels the engine, not a write to standard output that
	// nobody reads: such a query kept the lock past its promise, and every
	// job waiting for it failed (an outside review). Before the jobs stop
	// waiting, the process ends; the lock goes with it.
	stop := exitAfter(opts.Timeout+lock.BoundedGrace/2, a.stderr, exitFailed,
		fmt.Sprintf("ledgerlens: query: still writing its output %s after --timeout %s (standard output blocked): exiting, so that the jobs waiting for the store run; the output is incomplete", lock.BoundedGrace/2, opts.Timeout))
	defer stop()
	if err := queryStore(ctx, a, opts, sql); err != nil {
		// The Arrow path's failure says only which call failed (a
		// review): under a bound, it is most likely the bound.
		if msg := err.Error(); bound != hostlimits.Unlimited && (strings.Contains(msg, "Out of Memory Error") || strings.Contains(msg, "bad_alloc") ||
			(opts.Format == "parquet" || opts.Format == "arrow") && strings.Contains(msg, "duckdb_query_arrow")) {
			return fmt.Errorf("%w\n(the query's address space is bounded at %d MiB: --max-memory, or the account's own limit (ulimit -v))", err, bound>>20)
		}
		if errors.Is(context.Cause(ctx), errQueryTimeout) {
			return fmt.Errorf("query: stopped after --timeout %s (the store is unchanged; a longer --timeout keeps jobs waiting longer)", opts.Timeout)
		}
		return err
	}
	return nil
}

// signalGrace is how long a query a signal interrupted may take to end
// before its process ends: the engine stops at once, so only a write to
// standard output that nobody reads takes longer.
const signalGrace = 2 * time.Second

// errQueryTimeout is the cause of a query's context when --timeout ends it.
var errQueryTimeout = errors.New("query timeout")

// queryStore runs sql on the sandboxed store and writes the result.
func queryStore(ctx context.Context, a *app, opts QueryOptions, sql string) error {
	l := a.layout()
	dir, err := store.OpenDirToRead(l.StoreDir, l.LegacyStoreFile)
	if err != nil {
		return fmt.Errorf("query: %w", err)
	}
	s, err := dir.OpenOwned(ctx, store.Options{Sandbox: true})
	if err != nil {
		var busy *store.LockConflictError
		if ctx.Err() == nil && errors.As(err, &busy) && len(busy.Holders) > 0 {
			return job.StoreBusy(err, l.StoreFile)
		}
		return err
	}
	defer s.Close()
	switch opts.Format {
	case "parquet", "arrow":
		rr, err := s.QueryArrow(ctx, sql)
		if err != nil {
			return queryError(err)
		}
		defer rr.Release()
		if opts.Format == "arrow" {
			return writeArrowStream(ctx, a.stdout, rr)
		}
		return writeParquet(ctx, a.layout(), opts.Out, rr)
	}
	rows, err := s.QueryRows(ctx, sql)
	if err != nil {
		return queryError(err)
	}
	defer rows.Close()
	if err := writeTable(a.stdout, a.stderr, rows, opts.Format); err != nil {
		return queryError(err)
	}
	return nil
}

func (o QueryOptions) validate() error {
	known := false
	for _, f := range queryFormats {
		known = known || f == o.Format
	}
	switch {
	case !known:
		return usagef("--format %q: want table, csv, json, jsonl, parquet or arrow", o.Format)
	case o.Format == "parquet" && o.Out == "":
		return usagef("--format parquet needs --out FILE")
	case o.Out != "" && o.Format != "parquet":
		return usagef("--out is for --format parquet; other formats go to stdout")
	case o.Timeout <= 0 || o.Timeout > lock.MaxBoundedWait:
		return usagef("--timeout %s: want a positive duration of at most %s (jobs wait for a query that long)", o.Timeout, lock.MaxBoundedWait)
	}
	return nil
}

// queryError says a sandbox refusal as what it is, with the engine's own
// message beside it (several statements: the refusal alone). Any other
// error is the engine's message for the SQL, printed as the engine wrote
// it.
func queryError(err error) error {
	if errors.Is(err, store.ErrMultipleStatements) {
		return fmt.Errorf("query: %w", store.ErrMultipleStatements)
	}
	// A refusal with the engine's own words beside it: told by words of
	// the message, which may quote the statement's values, it hid what
	// the engine said (an outside review).
	for _, short := range []error{store.ErrAccessDisabled, store.ErrSettingsLocked, store.ErrMissingExtension} {
		if errors.Is(err, short) {
			return fmt.Errorf("query: %w", err)
		}
	}
	return &sqlError{fmt.Errorf("query: %w", err)}
}

// sqlError is the engine's message about the SQL a person wrote: several
// lines (the candidate columns, the statement with a caret under the
// fault) that a log line, which escapes them, made unreadable (an outside
// review). main prints it as it is.
type sqlError struct{ err error }

func (e *sqlError) Error() string { return e.err.Error() }
func (e *sqlError) Unwrap() error { return e.err }

// checkOut refuses a --out that could overwrite anything: a path that
// exists (a file, a link, anything), or one inside the working root,
// whose files are the evidence, the ledger, the keys and the store. The
// analyst's SQL can choose every byte of the output, so the file it makes
// must be a new one outside the root (docs/COMPLIANCE.md, "Threat model").
func checkOut(l inputs.Layout, out string) error {
	if out == "-" {
		return usagef("--out -: parquet is written to a file; for a stream on stdout use --format arrow")
	}
	if _, err := os.Lstat(out); err == nil {
		return usagef("--out %s exists; query never replaces a file (remove it, or choose a new name)", out)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("--out %s: %w", out, err)
	}
	dir, err := inputs.RealPath(filepath.Dir(out))
	if err != nil {
		return fmt.Errorf("--out %s: %w", out, err)
	}
	if err := outsideProtected(l, "--out", out, dir, "write query results elsewhere"); err != nil {
		return err
	}
	// Before the query runs, not once its result is ready.
	if fi, err := os.Stat(filepath.Dir(out)); err != nil || !fi.IsDir() {
		return usagef("--out %s: its directory %s does not exist", out, filepath.Dir(out))
	}
	// Parquet keeps column statistics raw, so the SQL chooses bytes of the
	// file: named ~/.ssh/authorized_keys and written by whoever may run
	// query as the account that runs the jobs, it planted a login key
	// among lines sshd skips (an outside review). Files read as
	// configuration are not named *.parquet (cron.d and sudoers.d even
	// skip names with a dot).
	if name := filepath.Base(out); !strings.HasSuffix(name, ".parquet") || name == ".parquet" {
		return usagef("--out %s: name a new .parquet file (the query's SQL chooses bytes of the file, so a name a program reads as configuration, such as authorized_keys or a crontab, is refused)", out)
	}
	return nil
}

// memoryFlag is --max-memory: a size in MiB or GiB.
type memoryFlag uint64

func (m *memoryFlag) String() string {
	if *m == 0 {
		return ""
	}
	return fmt.Sprintf("%dMiB", uint64(*m)>>20)
}

func (m *memoryFlag) Type() string { return "size" }

func (m *memoryFlag) Set(s string) error {
	for _, u := range []struct {
		suffix string
		shift  uint
	}{{"GiB", 30}, {"MiB", 20}} {
		if n, ok := strings.CutSuffix(s, u.suffix); ok {
			v, err := strconv.ParseUint(n, 10, 32)
			if err == nil && v<<u.shift >= hostlimits.MinAddressSpace {
				*m = memoryFlag(v << u.shift)
				return nil
			}
		}
	}
	return fmt.Errorf("want a size of at least %dGiB, as 8GiB or 6000MiB (the engine and the Go runtime reserve that much)", hostlimits.MinAddressSpace>>30)
}
