package store

import (
	"sync/atomic"

	"github.com/apache/arrow/go/v17/arrow"
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
