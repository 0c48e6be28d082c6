package store

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// TestSQLFileStatements: the statements the migration and the builders of
// queries run from their .sql files, one by one, are the ones they wrote
// in Go before those files held them, in the same order; and the
// migration to version 10 widens every coded column and records this
// version (a new version must look at migrateRowBounds again).
func TestSQLFileStatements(t *testing.T) {
	widen := []string{}
	for _, col := range codedColumns() {
		widen = append(widen, fmt.Sprintf("ALTER TABLE ledger_rows ALTER COLUMN %s TYPE UINTEGER", col))
	}
	widen = append(widen, "ALTER TABLE text_codes ALTER COLUMN code TYPE UINTEGER",
		fmt.Sprintf("UPDATE store_meta SET schema_version = %d", schemaVersion))
	for _, tt := range []struct {
		file string
		got  []string
		want []string
	}{
		{"create_store_meta", statements(createStoreMetaSQL), []string{
			"CREATE TABLE IF NOT EXISTS store_meta (schema_version INTEGER NOT NULL)",
			"ALTER TABLE store_meta ADD COLUMN IF NOT EXISTS time_zone VARCHAR",
		}},
		{"drop_derived_tables", statements(dropDerivedTablesSQL), []string{
			"DROP VIEW IF EXISTS runs", "DROP VIEW IF EXISTS ledger_rows_decoded",
			"DROP TABLE IF EXISTS ledger_rows", "DROP TABLE IF EXISTS text_codes",
			"DROP TABLE IF EXISTS rejects", "DROP TABLE IF EXISTS duplicates", "DROP TABLE IF EXISTS ledger_state",
			"DROP TABLE IF EXISTS field_values",
		}},
		{"record_schema_version", statements(recordSchemaVersionSQL), []string{
			"DELETE FROM store_meta",
			"INSERT INTO store_meta (schema_version, time_zone) VALUES ($1, $2)",
		}},
		{"migrate_to_v8", statements(migrateToV8SQL), []string{
			"ALTER TABLE ledger_state ADD COLUMN IF NOT EXISTS tail_fold BLOB",
			"UPDATE store_meta SET schema_version = 8",
		}},
		{"migrate_to_v10", statements(migrateToV10SQL), widen},
		{"candidate_rows_by_hash", statements(candidateRowsByHashSQL), []string{
			"SELECT * FROM ledger_rows WHERE run_hash IN ({{run_hashes}})",
		}},
		{"candidate_row_at_line", statements(candidateRowAtLineSQL), []string{
			"SELECT * FROM ledger_rows WHERE line_no = {{line_no}}",
		}},
		{"table_hash", statements(tableHashSQL), []string{
			"SELECT sum(hash(COLUMNS(*))) FROM {{table}}",
		}},
		{"parquet_copy", statements(parquetCopySQL), []string{
			"COPY (SELECT * FROM {{view}}) TO '{{target}}' (FORMAT PARQUET, COMPRESSION ZSTD, USE_TMP_FILE false)",
		}},
	} {
		if !slices.Equal(tt.got, tt.want) {
			t.Errorf("sql/%s.sql runs\n%s\nwant\n%s", tt.file, strings.Join(tt.got, "\n"), strings.Join(tt.want, "\n"))
		}
	}
}

// TestStatementsSplit: comment and blank lines dropped, a statement over
// several lines joined, the last one without a ';' kept.
func TestStatementsSplit(t *testing.T) {
	got := statements("-- a comment; with a semicolon\n\nSELECT 1;\n  SELECT a\n    FROM t;\nSELECT 2\n")
	want := []string{"SELECT 1", "SELECT a FROM t", "SELECT 2"}
	if !slices.Equal(got, want) {
		t.Errorf("statements: %q, want %q", got, want)
	}
}
