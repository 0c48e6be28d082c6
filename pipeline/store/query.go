package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/marcboeker/go-duckdb"
)

// Table is a materialised query result, for results known to be small.
type Table struct {
	Columns []string
	Types   []string
	Rows    [][]any
}

// Rows is a query result read one row at a time, so that `ledgerlens
// query` can write an analyst's large result out without holding a second
// copy of it in the reporting host's memory (the engine holds one: this
// driver materialises a result before its first row is read). Close it
// when done.
type Rows struct {
	// Columns and Types are the result's column names and DuckDB type
	// names.
	Columns []string
	Types   []string
	stmt    *sql.Stmt
	rows    *sql.Rows
	vals    []any
	ptrs    []any
	err     error
}

// Next advances to the next row; false at the end or on an error (Err).
func (r *Rows) Next() bool {
	if r.err != nil || !r.rows.Next() {
		return false
	}
	for i := range r.vals {
		r.vals[i] = nil
	}
	if err := r.rows.Scan(r.ptrs...); err != nil {
		r.err = err
		return false
	}
	return true
}

// Values are the current row's values, valid until the next call of Next.
func (r *Rows) Values() []any { return r.vals }

// Err is the error that ended the rows early, if any, with the sandbox's
// refusals classified as Query's are.
func (r *Rows) Err() error {
	if r.err != nil {
		return r.err
	}
	if err := r.rows.Err(); err != nil {
		return classify(err)
	}
	return nil
}

// Close frees the result.
func (r *Rows) Close() error {
	err := r.rows.Close()
	if cerr := r.stmt.Close(); err == nil {
		err = cerr
	}
	return err
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

// QueryRows runs one SQL statement and returns its rows as the engine
// produces them. Open the store with Options.Sandbox for SQL written by a
// person. Several statements are refused (ErrMultipleStatements) rather
// than run with only the last one's rows shown; refusals of the sandbox
// wrap ErrAccessDisabled, ErrSettingsLocked or ErrMissingExtension.
func (s *Store) QueryRows(ctx context.Context, query string, args ...any) (*Rows, error) {
	// Preparing first: DuckDB prepares exactly one statement, so nothing
	// of a multi-statement string runs.
	stmt, err := s.conn.PrepareContext(ctx, query)
	if err != nil {
		return nil, classify(err)
	}
	rows, err := stmt.QueryContext(ctx, args...)
	if err != nil {
		stmt.Close()
		return nil, classify(err)
	}
	r := &Rows{stmt: stmt, rows: rows}
	if r.Columns, err = rows.Columns(); err == nil {
		var types []*sql.ColumnType
		if types, err = rows.ColumnTypes(); err == nil {
			for _, ct := range types {
				r.Types = append(r.Types, ct.DatabaseTypeName())
			}
		}
	}
	if err != nil {
		r.Close()
		return nil, err
	}
	r.vals = make([]any, len(r.Columns))
	r.ptrs = make([]any, len(r.Columns))
	for i := range r.vals {
		r.ptrs[i] = &r.vals[i]
	}
	return r, nil
}

// Query is QueryRows with every row read into memory: for results known
// to be small.
func (s *Store) Query(ctx context.Context, query string, args ...any) (*Table, error) {
	r, err := s.QueryRows(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	t := &Table{Columns: r.Columns, Types: r.Types}
	for r.Next() {
		t.Rows = append(t.Rows, append([]any(nil), r.Values()...))
	}
	if err := r.Err(); err != nil {
		return nil, err
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
		// Not a value's conversion, whose message quotes the value: a
		// ledger text "no such extension" cast to a number was said to
		// need an extension (an outside review).
		de.Type != duckdb.ErrorTypeConversion && strings.Contains(msg, "extension"):
		return fmt.Errorf("%w (%w)", ErrMissingExtension, err)
	}
	return err
}

// InsertRows appends rows to table with multi-row INSERT statements: one
// statement per few hundred rows instead of one per row, whose fixed cost
// (milliseconds each through database/sql) dominates small side tables.
//
// Text holding U+0000 is refused: the driver passes bound text as C
// strings, which end there, so "X\x00old" would be stored as "X" and two
// baselines, cases or values merge (an outside review). The inputs refuse
// such text first, naming the file and line; this is the last guard.
func (s *Store) InsertRows(ctx context.Context, table string, rows [][]any) error {
	for i, row := range rows {
		for j, v := range row {
			if t, ok := v.(string); ok && strings.IndexByte(t, 0) >= 0 {
				return fmt.Errorf("insert into %s: row %d, column %d: text %q holds U+0000, which the engine would cut short", table, i+1, j+1, t)
			}
		}
	}
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
