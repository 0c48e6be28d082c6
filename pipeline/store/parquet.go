package store

import (
	"context"
	"database/sql"
	_ "embed"
	"fmt"
	"strings"
	"sync/atomic"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/marcboeker/go-duckdb"
)

//go:embed sql/parquet_copy.sql
var parquetCopySQL string

// parquetSourceView is the view WriteParquet's engine reads the records
// from.
const parquetSourceView = "parquet_source"

// WriteParquet writes every record rr yields to target as one Parquet file
// (zstd), with DuckDB's own Parquet writer. The engine that writes it is a
// private, in-memory one, not the store: it holds nothing but the records,
// and runs no SQL but its one COPY (sql/parquet_copy.sql); the sandboxed
// store, whose external access is off, could not write a file at all.
// target is opened by path, so the caller must make it a path no one else
// can redirect (cmd/ledgerlens passes /proc/self/fd/N of a file it
// created). The file is written in place (no temporary file beside it); ctx ending stops the
// write. rr is not released.
//
// DuckDB's writer replaced the Arrow module's (pqarrow), whose
// dependencies (the compute kernels' registry, gRPC) were initialised by
// every run of the binary: 25 ms of each command's start (bench/HISTORY.md).
func WriteParquet(ctx context.Context, rr array.RecordReader, target string) (err error) {
	if strings.ContainsAny(target, "'\x00") {
		return fmt.Errorf("parquet target %q: quotes and NUL are not allowed", target)
	}
	connector, err := duckdb.NewConnector("?"+engineConfig(Options{}).Encode(), nil)
	if err != nil {
		return fmt.Errorf("parquet writer: %w", err)
	}
	db := sql.OpenDB(connector)
	defer func() {
		if cerr := db.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("parquet writer: %w", cerr)
		}
	}()
	conn, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("parquet writer: %w", err)
	}
	defer conn.Close()
	src := &ownedRecords{src: rr}
	src.refs.Store(1)
	defer src.Release()
	release, err := registerArrowView(conn, src, parquetSourceView)
	if err != nil {
		return fmt.Errorf("parquet writer: register the records: %w", err)
	}
	defer release()
	q := strings.Replace(parquetCopySQL, "{{view}}", parquetSourceView, 1)
	q = strings.Replace(q, "{{target}}", target, 1)
	if _, err := conn.ExecContext(ctx, q); err != nil {
		if cerr := ctx.Err(); cerr != nil {
			return cerr
		}
		return err
	}
	return nil
}

// ownedRecords yields a copy, in Go memory, of each record src yields. A
// query's records are lent by the engine that ran it (their buffers are
// its memory, freed when its reader moves on), and the writing engine may
// still hold a batch when the next is asked for.
type ownedRecords struct {
	refs atomic.Int64
	src  array.RecordReader
	cur  arrow.Record
	err  error
}

func (o *ownedRecords) Retain() { o.refs.Add(1) }

func (o *ownedRecords) Release() {
	if o.refs.Add(-1) == 0 && o.cur != nil {
		o.cur.Release()
		o.cur = nil
	}
}

func (o *ownedRecords) Schema() *arrow.Schema { return o.src.Schema() }

func (o *ownedRecords) Next() bool {
	if o.cur != nil {
		o.cur.Release()
		o.cur = nil
	}
	if o.err != nil || !o.src.Next() {
		return false
	}
	o.cur, o.err = goOwned(o.src.Record())
	return o.err == nil
}

func (o *ownedRecords) Record() arrow.Record { return o.cur }

func (o *ownedRecords) Err() error {
	if o.err != nil {
		return o.err
	}
	return o.src.Err()
}

// goOwned copies rec, column by column, into Go memory.
func goOwned(rec arrow.Record) (arrow.Record, error) {
	cols := make([]arrow.Array, rec.NumCols())
	defer func() {
		for _, c := range cols {
			if c != nil {
				c.Release()
			}
		}
	}()
	for i, c := range rec.Columns() {
		copied, err := array.Concatenate([]arrow.Array{c}, memory.DefaultAllocator)
		if err != nil {
			return nil, fmt.Errorf("column %s: %w", rec.ColumnName(i), err)
		}
		cols[i] = copied
	}
	return array.NewRecord(rec.Schema(), cols, rec.NumRows()), nil
}
