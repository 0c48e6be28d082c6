package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
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

// ScanRowNamed runs q, the embedded file name.sql, on conn and scans its
// one result row into dest by column name (ScanNamed). Its errors name
// the file, as ScanNamed's do; a result without a row is sql.ErrNoRows,
// as QueryRow's Scan says.
func ScanRowNamed(ctx context.Context, conn *sql.Conn, name, q string, dest map[string]any, args ...any) error {
	rows, err := conn.QueryContext(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("%s.sql: %w", name, err)
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return fmt.Errorf("%s.sql: %w", name, err)
		}
		return fmt.Errorf("%s.sql: %w", name, sql.ErrNoRows)
	}
	if err := ScanNamed(rows, name, dest); err != nil {
		return err
	}
	if err := rows.Close(); err != nil {
		return fmt.Errorf("%s.sql: %w", name, err)
	}
	return nil
}

// statements splits an embedded .sql file of several statements into
// them, in order, for a caller that runs each alone (each with its own
// error, or its own parameters): comment lines are dropped, and each
// statement is its lines trimmed and joined by a space, without the ';'
// that ends it. The files it splits hold a ';' only at the end of a
// statement's last line, and no comment after code on a line.
func statements(file string) []string {
	var out, cur []string
	for _, line := range strings.Split(file, "\n") {
		t := strings.TrimSpace(line)
		if t == "" || strings.HasPrefix(t, "--") {
			continue
		}
		t, end := strings.CutSuffix(t, ";")
		cur = append(cur, t)
		if end {
			out = append(out, strings.Join(cur, " "))
			cur = nil
		}
	}
	if len(cur) > 0 {
		out = append(out, strings.Join(cur, " "))
	}
	return out
}
