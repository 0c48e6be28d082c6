package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/ledgerlens/ledgerlens/pipeline/inputs"
)

// cmdWeeks runs weekly jobs one after another on one working root, as
// cron does: a cold job for the week before -from, then for each of -n
// weeks its lines appended to the ledger, its job (each job after a
// pause, -settle, as for the harness's phases: settle), and an analyst's
// `ledgerlens query` after it. Phase (c) measures one warm job on a store
// a cold job has just checkpointed; this shows what each job leaves to
// the next ones (the store's WAL, which every open replays). It prints
// one row a week.
func cmdWeeks(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("weeks", flag.ContinueOnError)
	dir := fs.String("fixture", "", "a cached fixture (bench/data/fixture-…)")
	bin := fs.String("bin", filepath.Join("bin", "ledgerlens"), "ledgerlens binary")
	from := fs.String("from", "", "the first week appended (a Monday, YYYY-MM-DD)")
	n := fs.Int("n", 13, "weeks to append one after another")
	work := fs.String("work", filepath.Join("bench", "data", "weeks"), "scratch working root (replaced)")
	pause := fs.Duration("settle", 3*time.Second, "pause before each job (a duration: 3s; 0: none)")
	if err := fs.Parse(args); err != nil {
		return usageError{err.Error()}
	}
	first, err := time.Parse(time.DateOnly, *from)
	if *dir == "" || err != nil || *n < 1 || *pause < 0 || fs.NArg() != 0 {
		return usageError{"weeks wants -fixture DIR -from YYYY-MM-DD [-n WEEKS] [-bin FILE] [-work DIR] [-settle DURATION]"}
	}
	quiet := func(string, ...any) {}
	fx, err := loadFixture(*dir)
	if err != nil {
		return err
	}
	cfg := runConfig{}
	if cfg.Bin, err = filepath.Abs(*bin); err != nil {
		return err
	}
	weekCut := func(monday time.Time) (int64, error) {
		c, err := findCut(fx.Ledger, monday, monday.AddDate(0, 0, 7))
		return c.Offset, err
	}
	start, err := weekCut(first)
	if err != nil {
		return err
	}
	root := *work
	if err := os.RemoveAll(root); err != nil {
		return err
	}
	if err := newRoot(fx, root, start); err != nil {
		return err
	}
	if err := ledgerlens(ctx, cfg, nil, root, "keys", "generate"); err != nil {
		return err
	}
	syscall.Sync()
	if err := settle(ctx, *pause, quiet, "the cold job"); err != nil {
		return err
	}
	cold, err := job(ctx, cfg, nil, "cold", root, first.AddDate(0, 0, -7).Format(time.DateOnly))
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "week\tjob s\tWAL left, bytes\tquery s\t\n")
	fmt.Fprintf(tw, "%s (cold)\t%.2f\t%d\t\t\n", first.AddDate(0, 0, -7).Format(time.DateOnly), cold.Seconds, walBytes(root))
	fixtureStart, err := time.Parse(time.DateOnly, fx.Marker.Start)
	if err != nil {
		return fmt.Errorf("fixture start %q: %w", fx.Marker.Start, err)
	}
	fixtureEnd := fixtureStart.AddDate(0, 0, 7*fx.Marker.Weeks)
	prev := start
	for k := range *n {
		week := first.AddDate(0, 0, 7*k)
		if !week.Before(fixtureEnd) {
			return fmt.Errorf("week %s is past the fixture's last (it ends %s)", week.Format(time.DateOnly), fixtureEnd.Format(time.DateOnly))
		}
		next := fx.Marker.LedgerBytes // the fixture's last week: to the end
		if end := week.AddDate(0, 0, 7); end.Before(fixtureEnd) {
			if next, err = weekCut(end); err != nil {
				return err
			}
		}
		if err := copyRange(fx.Ledger, ledgerOf(root), prev, next-prev, os.O_APPEND|os.O_WRONLY); err != nil {
			return fmt.Errorf("append week %s: %w", week.Format(time.DateOnly), err)
		}
		prev = next
		syscall.Sync()
		if err := settle(ctx, *pause, quiet, "the week's job"); err != nil {
			return err
		}
		p, err := job(ctx, cfg, nil, "week", root, week.Format(time.DateOnly))
		if err != nil {
			return err
		}
		wal := walBytes(root)
		q, err := measure(ctx, "query", command(ctx, nil, cfg.Bin, "--root", root, "query", "SELECT count(*) FROM runs"))
		if err != nil {
			return err
		}
		if q.ExitCode != 0 {
			return q.failed()
		}
		fmt.Fprintf(tw, "%s\t%.2f\t%d\t%.2f\t\n", week.Format(time.DateOnly), p.Seconds, wal, q.Seconds)
	}
	return tw.Flush()
}

// walBytes is the size of the root's store WAL (0 when there is none).
func walBytes(root string) int64 {
	fi, err := os.Stat(inputs.NewLayout(root).StoreFile + ".wal")
	if err != nil {
		return 0
	}
	return fi.Size()
}
