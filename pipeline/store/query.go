package store

import (
	"context"
	"fmt"
	"strings"
)

// Table is a materialised query result for `ledgerlens query`.
type Table struct {
	Columns []string
	Types   []string
	Rows    [][]any
}

// Query runs one ad-hoc SQL statement and returns its rows. Open the store
// with Options.ReadOnly for user-supplied SQL: DuckDB then refuses writes.
func (s *Store) Query(ctx context.Context, query string, args ...any) (*Table, error) {
	rows, err := s.conn.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("query: %w", err)
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
		return nil, fmt.Errorf("query: %w", err)
	}
	return t, nil
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
