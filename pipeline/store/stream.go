package store

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
)

// batchStream is an array.RecordReader fed from a channel: the whole
// ingest's batches flow into DuckDB through one registered view and one
// INSERT, instead of one statement per batch (which cost ~100 ms each).
type batchStream struct {
	refs    atomic.Int64
	schema  *arrow.Schema
	batches <-chan arrow.Record
	cur     arrow.Record
	// err reports why the stream ended early (read or parse failure), so
	// DuckDB fails the INSERT rather than committing a short load.
	err func() error
}

func newBatchStream(schema *arrow.Schema, batches <-chan arrow.Record, err func() error) *batchStream {
	s := &batchStream{schema: schema, batches: batches, err: err}
	s.refs.Store(1)
	return s
}

func (s *batchStream) Retain() { s.refs.Add(1) }

func (s *batchStream) Release() {
	if s.refs.Add(-1) == 0 && s.cur != nil {
		s.cur.Release()
		s.cur = nil
	}
}

func (s *batchStream) Schema() *arrow.Schema { return s.schema }

// Next blocks until the next batch is parsed (DuckDB calls it from its
// scan thread through the Arrow C stream interface).
func (s *batchStream) Next() bool {
	if s.cur != nil {
		s.cur.Release()
		s.cur = nil
	}
	rec, ok := <-s.batches
	if !ok {
		return false
	}
	s.cur = rec
	return true
}

func (s *batchStream) Record() arrow.Record { return s.cur }

func (s *batchStream) Err() error { return s.err() }

// rowGroupRows is the number of rows in one of DuckDB's row groups.
const rowGroupRows = 122880

// insertArrow inserts every batch rdr yields into table, matching columns
// by name, through a view DuckDB reads the stream from in place (no value
// passes through statement parameters). rdr is released either way.
//
// rows estimates how many rows rdr yields (0: unknown). An INSERT on
// several threads gives each thread row groups of its own and, at the
// end, copies into the table a second time every thread's share smaller
// than a row group; so an insert too small to give each thread a whole
// row group runs on one thread (100,000 rows: 17 % less time,
// BenchmarkInsertBatches; bench/HISTORY.md).
func (s *Store) insertArrow(ctx context.Context, table string, rdr array.RecordReader, rows int64) (ret error) {
	if s.insertThreads(rows) == 1 && s.threads > 1 {
		if _, err := s.conn.ExecContext(ctx, "SET threads = 1"); err != nil {
			rdr.Release()
			return fmt.Errorf("insert into %s on one thread: %w", table, err)
		}
		var restore func() error
		rdr, restore = s.restoreThreadsOnceRunning(ctx, rdr)
		defer func() {
			if err := restore(); err != nil && ret == nil {
				ret = fmt.Errorf("restore threads after insert into %s: %w", table, err)
			}
		}()
	}
	view := arrowView(table)
	release, err := s.arrow.RegisterView(rdr, view)
	if err != nil {
		rdr.Release()
		return fmt.Errorf("register an Arrow stream for %s: %w", table, err)
	}
	defer release()
	if _, err := s.conn.ExecContext(ctx, "INSERT INTO "+table+" BY NAME SELECT * FROM "+view); err != nil {
		return fmt.Errorf("insert into %s: %w", table, err)
	}
	// The driver registers the stream as a view the transaction would
	// keep in the store file, naming this process's memory: read by
	// another process (an analyst's query), it crashed it.
	if _, err := s.conn.ExecContext(ctx, "DROP VIEW IF EXISTS "+view); err != nil {
		return fmt.Errorf("drop the Arrow view of %s: %w", table, err)
	}
	return nil
}

// arrowView names the view insertArrow registers for table's rows.
func arrowView(table string) string { return table + "_arrow" }

// arrowViews are the views the driver's Arrow interface registers in the
// store: each is dropped once read, and stores of earlier versions kept
// them (Open drops them on a writable open).
func arrowViews() []string {
	return []string{arrowView("ledger_rows"), arrowView("text_codes"), newRunHashesView}
}

// insertThreads is how many DuckDB threads insertArrow inserts an
// estimated rows rows on (0: unknown): one when they cannot give each of
// the store's threads a whole row group, else all of them.
func (s *Store) insertThreads(rows int64) int {
	if rows > 0 && !s.FillsThreads(rows) {
		return 1
	}
	return s.threads
}

// FillsThreads reports whether a statement over rows rows can keep each
// of the store's threads busy by itself: DuckDB gives a thread a row
// group (rowGroupRows rows) at a time, so fewer rows than a row group
// per thread leave threads idle, which a statement on a second
// connection (Second) can use.
func (s *Store) FillsThreads(rows int64) bool { return rows >= int64(s.threads)*rowGroupRows }

// restoreThreadsOnceRunning puts the store's thread count back as soon as
// DuckDB asks rdr for its first batch, instead of after the INSERT: by
// then the INSERT has been given its one task, which it keeps, and what
// the change costs is small. Every change of the thread count makes
// DuckDB hand its allocator's free pages back to the kernel
// (TaskScheduler::RelaunchThreads calls Allocator::FlushAll); after the
// INSERT those are the pages of the row group it wrote, which the commit
// and the review then faulted in again (bench/HISTORY.md). The change is
// made on a connection of the pool (the store's own is running the
// INSERT). restore waits for it, or makes it on the store's connection
// if the INSERT never read (ctx without its cancellation: the setting
// must come back even when ctx was cancelled; a failed insert leaves the
// transaction aborted, where no SET runs, and Store.rollback restores it
// then).
func (s *Store) restoreThreadsOnceRunning(ctx context.Context, rdr array.RecordReader) (array.RecordReader, func() error) {
	r := &threadRestorer{RecordReader: rdr, ctx: context.WithoutCancel(ctx), s: s, set: fmt.Sprintf("SET threads = %d", s.threads), done: make(chan error, 1)}
	return r, r.restore
}

// threadRestorer is the RecordReader of restoreThreadsOnceRunning: its
// first Next starts the SET on a pool connection.
type threadRestorer struct {
	array.RecordReader
	ctx  context.Context // the job's, without its cancellation
	s    *Store
	set  string
	once sync.Once // the first Next, or restore if no Next came first
	done chan error
}

func (r *threadRestorer) Next() bool {
	r.once.Do(func() {
		go func() {
			_, err := r.s.db.ExecContext(r.ctx, r.set)
			r.done <- err
		}()
	})
	return r.RecordReader.Next()
}

func (r *threadRestorer) restore() error {
	read := true
	r.once.Do(func() { read = false })
	if !read {
		_, err := r.s.conn.ExecContext(r.ctx, r.set)
		return err
	}
	return <-r.done
}
