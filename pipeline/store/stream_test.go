package store

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
)

// storeWithTable opens a new store on threads DuckDB threads, closed
// with the test, creates the table t of one INTEGER column x by create,
// and returns the Arrow schema of t's rows.
func storeWithTable(t *testing.T, threads int, create string) (*Store, *arrow.Schema) {
	t.Helper()
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "ledger.duckdb"), Options{Threads: threads})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if _, err := s.conn.ExecContext(ctx, create); err != nil {
		t.Fatal(err)
	}
	return s, arrow.NewSchema([]arrow.Field{{Name: "x", Type: arrow.PrimitiveTypes.Int32}}, nil)
}

// A one-thread insert that fails leaves its transaction aborted, where the
// insert's own restore of the thread count cannot run; the rollback puts
// it back, so nothing after it (a reload in the same process) runs on one
// thread.
func TestFailedSmallInsertRestoresThreads(t *testing.T) {
	ctx := context.Background()
	s, schema := storeWithTable(t, 3, "CREATE TABLE t (x INTEGER PRIMARY KEY)")
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	b.Field(0).(*array.Int32Builder).AppendValues([]int32{1, 1}, nil) // the key twice
	rec := b.NewRecord()
	batches := make(chan arrow.Record, 1)
	batches <- rec
	close(batches)

	if _, err := s.conn.ExecContext(ctx, "BEGIN TRANSACTION"); err != nil {
		t.Fatal(err)
	}
	if err := s.insertArrow(ctx, "t", newBatchStream(schema, batches, func() error { return nil }), 2); err == nil {
		t.Fatal("an insert of a duplicate key succeeded")
	}
	s.rollback(ctx)
	var threads int
	if err := s.conn.QueryRowContext(ctx, "SELECT current_setting('threads')::INTEGER").Scan(&threads); err != nil {
		t.Fatal(err)
	}
	if threads != 3 {
		t.Errorf("threads after a failed one-thread insert = %d, want 3", threads)
	}
}

// TestSmallInsertGivesBackItsThreadsWhileRunning: an insert too small for
// a row group per thread runs as one task, and the store's thread count
// is back before the insert ends (changing it makes DuckDB return its
// allocator's free pages to the kernel, which after the insert are the
// pages the rest of the job reuses). The stream holds its second batch
// until another connection sees the thread count restored, which it never
// would if the restore waited for the insert; the rows keep the stream's
// order, as one task inserts them.
func TestSmallInsertGivesBackItsThreadsWhileRunning(t *testing.T) {
	ctx := context.Background()
	s, schema := storeWithTable(t, 2, "CREATE TABLE t (x INTEGER)")
	const batchRows, nBatches = 2048, 8
	batch := func(k int) arrow.Record {
		b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
		defer b.Release()
		for i := range batchRows {
			b.Field(0).(*array.Int32Builder).Append(int32(k*batchRows + i))
		}
		return b.NewRecord()
	}
	batches := make(chan arrow.Record, 1)
	batches <- batch(0)
	fed := make(chan error, 1)
	go func() {
		defer close(batches)
		deadline := time.Now().Add(10 * time.Second)
		for {
			var threads int
			if err := s.db.QueryRowContext(ctx, "SELECT current_setting('threads')::INTEGER").Scan(&threads); err != nil {
				fed <- err
				return
			}
			if threads == 2 {
				break
			}
			if time.Now().After(deadline) {
				fed <- errors.New("the thread count was not restored while the insert ran")
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
		for k := 1; k < nBatches; k++ {
			batches <- batch(k)
		}
		fed <- nil
	}()
	if err := s.insertArrow(ctx, "t", newBatchStream(schema, batches, func() error { return nil }), batchRows*nBatches); err != nil {
		t.Fatal(err)
	}
	if err := <-fed; err != nil {
		t.Fatal(err)
	}
	var rows, ordered int
	if err := s.conn.QueryRowContext(ctx, "SELECT count(*), count(*) FILTER (WHERE x = n) FROM "+
		"(SELECT x, row_number() OVER (ORDER BY rowid) - 1 AS n FROM t)").Scan(&rows, &ordered); err != nil {
		t.Fatal(err)
	}
	if rows != batchRows*nBatches || ordered != rows {
		t.Errorf("%d rows, %d in the stream's order; want %d in order (one task)", rows, ordered, batchRows*nBatches)
	}
}
