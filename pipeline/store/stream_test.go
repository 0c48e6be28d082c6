package store

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
)

// A one-thread insert that fails leaves its transaction aborted, where the
// insert's own restore of the thread count cannot run; the rollback puts
// it back, so nothing after it (a reload in the same process) runs on one
// thread.
func TestFailedSmallInsertRestoresThreads(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "ledger.duckdb"), Options{Threads: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.conn.ExecContext(ctx, "CREATE TABLE t (x INTEGER PRIMARY KEY)"); err != nil {
		t.Fatal(err)
	}
	schema := arrow.NewSchema([]arrow.Field{{Name: "x", Type: arrow.PrimitiveTypes.Int32}}, nil)
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
	s.rollback()
	var threads int
	if err := s.conn.QueryRowContext(ctx, "SELECT current_setting('threads')::INTEGER").Scan(&threads); err != nil {
		t.Fatal(err)
	}
	if threads != 3 {
		t.Errorf("threads after a failed one-thread insert = %d, want 3", threads)
	}
}
