package store

import (
	"context"
	_ "embed"
	"fmt"
	"strings"
)

//go:embed sql/probe_tables.sql
var probeTablesSQL string

// Probe opens the store at path read-only and reads every row of every
// table. It is meant to run in a child process before a job opens a store
// the last job did not seal, and before a verification (docs/COMPLIANCE.md,
// "A damaged store"): on some damaged files the engine aborts the whole
// process (a stack-protector check in its reader), which no error return
// can catch, and only a read of the damaged part shows it. Probe writes
// nothing.
func Probe(ctx context.Context, path string) error {
	st, err := Open(ctx, path, Options{ReadOnly: true})
	if err != nil {
		return err
	}
	defer st.Close()
	rows, err := st.conn.QueryContext(ctx, probeTablesSQL)
	if err != nil {
		return fmt.Errorf("probe store %s: probe_tables.sql: %w", path, err)
	}
	var tables []string
	for rows.Next() {
		var schema, table string
		if err := ScanNamed(rows, "probe_tables", map[string]any{"schema_name": &schema, "table_name": &table}); err != nil {
			rows.Close()
			return fmt.Errorf("probe store %s: %w", path, err)
		}
		tables = append(tables, quoteIdent(schema)+"."+quoteIdent(table))
	}
	if err := rows.Close(); err != nil {
		return fmt.Errorf("probe store %s: %w", path, err)
	}
	for _, t := range tables {
		// The one query built here: every value of a table the catalog
		// names, read and hashed. Not "SELECT *": the driver holds a
		// whole result before handing over its first row, and the probe
		// of a 10M-run store took 3.8 GB.
		rows, err := st.conn.QueryContext(ctx, "SELECT sum(hash(COLUMNS(*))) FROM "+t)
		if err != nil {
			return fmt.Errorf("probe store %s: read %s: %w", path, t, err)
		}
		for rows.Next() {
		}
		if err := rows.Close(); err != nil {
			return fmt.Errorf("probe store %s: read %s: %w", path, t, err)
		}
	}
	return nil
}

// quoteIdent quotes a SQL identifier.
func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
