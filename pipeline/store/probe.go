package store

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"strings"
)

//go:embed sql/probe_tables.sql
var probeTablesSQL string

//go:embed sql/table_hash.sql
var tableHashSQL string

// ErrCorrupt is matched by Probe's error when the engine finds a block of
// the store file, or an entry of its write-ahead log, whose checksum does
// not match: the file was changed outside the engine, on the disk or by
// hand, and what it held cannot be read. The engine says so of a block
// only when a read reaches it, of the log when it opens the store.
var ErrCorrupt = errors.New("the store's files fail the engine's checksum")

// walCorrupt is what the engine says of a write-ahead log entry that
// fails its checksum, on replaying it when it opens the store.
const walCorrupt = "Corrupt WAL file"

// CorruptError is the engine's checksum failure on reading Table
// ("" when it came on opening the file). It matches ErrCorrupt.
type CorruptError struct {
	Table string
	Err   error
}

func (e *CorruptError) Error() string {
	what := "a block of the store file fails its checksum"
	if strings.Contains(e.Err.Error(), walCorrupt) {
		what = "the store's write-ahead log fails its checksum"
	}
	if e.Table == "" {
		return fmt.Sprintf("%s (%v)", what, e.Err)
	}
	return fmt.Sprintf("table %s: %s (%v)", e.Table, what, e.Err)
}

func (e *CorruptError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrCorrupt) true.
func (e *CorruptError) Is(target error) bool { return target == ErrCorrupt }

// corrupt returns a CorruptError for err when it is the engine's checksum
// failure on reading table, and err as it is otherwise.
func corrupt(table string, err error) error {
	if err != nil && (strings.Contains(err.Error(), "Corrupt database file") || strings.Contains(err.Error(), walCorrupt)) {
		return &CorruptError{Table: table, Err: err}
	}
	return err
}

// Probe opens the store at path read-only and reads every row of every
// table; a block that fails its checksum is a CorruptError. It is meant to run in a child process before a job opens a store
// the last job did not seal, and before a verification (docs/COMPLIANCE.md,
// "A damaged store"): on some damaged files the engine aborts the whole
// process (a stack-protector check in its reader), which no error return
// can catch, and only a read of the damaged part shows it. Probe writes
// nothing.
func Probe(ctx context.Context, path string) error {
	st, err := Open(ctx, path, Options{ReadOnly: true})
	if err != nil {
		return corrupt("", err)
	}
	defer st.Close()
	rows, err := st.conn.QueryContext(ctx, probeTablesSQL)
	if err != nil {
		return fmt.Errorf("probe store %s: probe_tables.sql: %w", path, corrupt("", err))
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
		// Every value of a table the catalog names, read and hashed.
		rows, err := st.conn.QueryContext(ctx, strings.Replace(tableHashSQL, "{{table}}", t, 1))
		if err != nil {
			return fmt.Errorf("probe store %s: read %s: %w", path, t, corrupt(t, err))
		}
		for rows.Next() {
		}
		if err := rows.Err(); err != nil {
			rows.Close()
			return fmt.Errorf("probe store %s: read %s: %w", path, t, corrupt(t, err))
		}
		if err := rows.Close(); err != nil {
			return fmt.Errorf("probe store %s: read %s: %w", path, t, corrupt(t, err))
		}
	}
	return nil
}

// quoteIdent quotes a SQL identifier.
func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
