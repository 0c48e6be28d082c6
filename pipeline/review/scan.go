package review

import (
	"database/sql"
	"fmt"

	"github.com/ledgerlens/ledgerlens/pipeline/store"
)

// scanNamed scans the current row into dest by column name
// (store.ScanNamed).
func scanNamed(rows *sql.Rows, query string, dest map[string]any) error {
	return store.ScanNamed(rows, query, dest)
}

// scanOne runs a one-row query and scans its row into dest by column name.
func (a *analysis) scanOne(name string, dest map[string]any, args ...any) error {
	rows, err := a.queryRows(name, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return fmt.Errorf("%s.sql: %w", name, err)
		}
		return fmt.Errorf("%s.sql: no row", name)
	}
	if err := scanNamed(rows, name, dest); err != nil {
		return err
	}
	return rows.Close()
}
