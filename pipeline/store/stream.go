package store

import (
	"context"
	"fmt"
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

// insertArrow inserts every batch rdr yields into table, matching columns
// by name, through a view DuckDB reads the stream from in place (no value
// passes through statement parameters). rdr is released either way.
func (s *Store) insertArrow(ctx context.Context, table string, rdr array.RecordReader) error {
	view := table + "_arrow"
	release, err := s.arrow.RegisterView(rdr, view)
	if err != nil {
		rdr.Release()
		return fmt.Errorf("register an Arrow stream for %s: %w", table, err)
	}
	defer release()
	if _, err := s.conn.ExecContext(ctx, "INSERT INTO "+table+" BY NAME SELECT * FROM "+view); err != nil {
		return fmt.Errorf("insert into %s: %w", table, err)
	}
	return nil
}
