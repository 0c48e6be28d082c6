package store

import (
	"context"
	"fmt"
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
