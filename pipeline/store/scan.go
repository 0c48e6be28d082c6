package store

import (
	"database/sql"
	"fmt"
)

// ScanNamed scans the current row of a query's result into dest by column
// name. Every column must have a destination and every destination a
// column, so a query and the Go that reads it cannot drift apart silently.
// query names the .sql file in errors.
func ScanNamed(rows *sql.Rows, query string, dest map[string]any) error {
	cols, err := rows.Columns()
	if err != nil {
		return fmt.Errorf("%s.sql: %w", query, err)
	}
	if len(cols) != len(dest) {
		return fmt.Errorf("%s.sql: %d result columns %v, the Go reads %d", query, len(cols), cols, len(dest))
	}
	ptrs := make([]any, len(cols))
	for i, name := range cols {
		p, ok := dest[name]
		if !ok {
			return fmt.Errorf("%s.sql: result column %q is not read", query, name)
		}
		ptrs[i] = p
	}
	if err := rows.Scan(ptrs...); err != nil {
		return fmt.Errorf("%s.sql: %w", query, err)
	}
	return nil
}
