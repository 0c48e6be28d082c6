package store

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/marcboeker/go-duckdb"
)

// Table is a materialised query result for `ledgerlens query`.
type Table struct {
	Columns []string
	Types   []string
	Rows    [][]any
}

// Errors of a statement a sandboxed store refused (Options.Sandbox). They
// stand for DuckDB's own refusals, which name internals a person need not
// read; the original error is wrapped beside them.
var (
	ErrAccessDisabled     = errors.New("file and network access are disabled")
	ErrSettingsLocked     = errors.New("settings are locked")
	ErrMissingExtension   = errors.New("needs a DuckDB extension, and extensions are never installed or loaded")
	ErrMultipleStatements = errors.New("one statement per call: several were given")
)

// Query runs one SQL statement and returns its rows. Open the store with
// Options.Sandbox for SQL written by a person. Several statements are
// refused (ErrMultipleStatements) rather than run with only the last one's
// rows shown; refusals of the sandbox wrap ErrAccessDisabled,
// ErrSettingsLocked or ErrMissingExtension.
func (s *Store) Query(ctx context.Context, query string, args ...any) (*Table, error) {
	// Preparing first: DuckDB prepares exactly one statement, so nothing
	// of a multi-statement string runs.
	stmt, err := s.conn.PrepareContext(ctx, query)
	if err != nil {
		return nil, classify(err)
	}
	defer stmt.Close()
	rows, err := stmt.QueryContext(ctx, args...)
	if err != nil {
		return nil, classify(err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	types, err := rows.ColumnTypes()
	if err != nil {
		return nil, err
	}
	t := &Table{Columns: cols}
	for _, ct := range types {
		t.Types = append(t.Types, ct.DatabaseTypeName())
	}
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		t.Rows = append(t.Rows, vals)
	}
	if err := rows.Err(); err != nil {
		return nil, classify(err)
	}
	return t, nil
}

// classify names a refusal of the sandbox; other errors pass unchanged.
func classify(err error) error {
	var de *duckdb.Error
	if !errors.As(err, &de) {
		return err
	}
	msg := de.Msg
	switch {
	case strings.Contains(msg, "Cannot prepare multiple statements"):
		return ErrMultipleStatements
	case de.Type == duckdb.ErrorTypePermission, strings.Contains(msg, "disabled by configuration"),
		strings.Contains(msg, "enable_external_access"):
		return fmt.Errorf("%w (%w)", ErrAccessDisabled, err)
	case strings.Contains(msg, "configuration has been locked"):
		return fmt.Errorf("%w (%w)", ErrSettingsLocked, err)
	case de.Type == duckdb.ErrorTypeMissingExtension, de.Type == duckdb.ErrorTypeAutoLoad,
		strings.Contains(msg, "extension"):
		return fmt.Errorf("%w (%w)", ErrMissingExtension, err)
	}
	return err
}

// InsertRows appends rows to table with multi-row INSERT statements: one
// statement per few hundred rows instead of one per row, whose fixed cost
// (milliseconds each through database/sql) dominates small side tables.
func (s *Store) InsertRows(ctx context.Context, table string, rows [][]any) error {
	const perStatement = 256
	for len(rows) > 0 {
		n := min(len(rows), perStatement)
		var q strings.Builder
		fmt.Fprintf(&q, "INSERT INTO %s VALUES ", table)
		args := make([]any, 0, n*len(rows[0]))
		for i, row := range rows[:n] {
			if i > 0 {
				q.WriteString(", ")
			}
			q.WriteByte('(')
			for j, v := range row {
				if j > 0 {
					q.WriteString(", ")
				}
				args = append(args, v)
				fmt.Fprintf(&q, "$%d", len(args))
			}
			q.WriteByte(')')
		}
		if _, err := s.conn.ExecContext(ctx, q.String(), args...); err != nil {
			return fmt.Errorf("insert into %s: %w", table, err)
		}
		rows = rows[n:]
	}
	return nil
}

// QueryArrow runs one SQL statement and returns its result as Arrow record
// batches, for handing result sets to other tools without a text round
// trip. The caller releases the reader. Like Query, it refuses several
// statements and classifies the sandbox's refusals.
func (s *Store) QueryArrow(ctx context.Context, query string) (array.RecordReader, error) {
	stmt, err := s.conn.PrepareContext(ctx, query)
	if err != nil {
		return nil, classify(err)
	}
	stmt.Close()
	rr, err := s.arrow.QueryContext(ctx, query)
	if err != nil {
		return nil, classify(err)
	}
	return rr, nil
}
