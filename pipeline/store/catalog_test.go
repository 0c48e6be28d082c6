package store

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	_ "github.com/marcboeker/go-duckdb"
)

// catalogStore is a store at dir/ledger.duckdb that ingested 40 runs,
// closed; it returns the store file's path and the ledger's.
func catalogStore(t *testing.T) (dbPath, ledgerPath string) {
	t.Helper()
	dir := t.TempDir()
	ledgerPath = filepath.Join(dir, "ledger.jsonl")
	writeFile(t, ledgerPath, join(lines(40, func(i int) bool { return i%2 == 0 })))
	dbPath = filepath.Join(dir, "ledger.duckdb")
	s, err := Open(context.Background(), dbPath, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ingest(t, s, ledgerPath)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return dbPath, ledgerPath
}

// plant runs statements on the store file as any other DuckDB client
// could, without ledgerlens.
func plant(t *testing.T, dbPath string, stmts ...string) {
	t.Helper()
	db, err := sql.Open("duckdb", dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range stmts {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

// TestOwnObjectsAreAFreshStoresCatalog: what ownObjects lists is what a
// store that ingested holds (the Arrow views the ingest registered are
// dropped once read), so that the check cannot refuse a store ledgerlens
// made.
func TestOwnObjectsAreAFreshStoresCatalog(t *testing.T) {
	dbPath, _ := catalogStore(t)
	s, err := Open(context.Background(), dbPath, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, err := listCatalog(context.Background(), s.Conn())
	if err != nil {
		t.Fatal(err)
	}
	var want []catalogObject
	for _, o := range ownObjects() {
		if !slices.Contains(arrowViews(), o.name) {
			want = append(want, o)
		}
	}
	slices.SortFunc(want, func(a, b catalogObject) int { return strings.Compare(a.String(), b.String()) })
	if !slices.Equal(got, want) {
		t.Fatalf("a fresh store's catalog:\n%v\nownObjects without the Arrow views:\n%v", got, want)
	}
}

// TestForeignObjectsRefused: an object ledgerlens does not create,
// planted in the store file by another DuckDB client, makes every open
// fail before anything reads the store. A macro named like a built-in
// replaced it in every query: `max` computing a minimum changed a signed
// report, and every verifier passed (an outside review).
func TestForeignObjectsRefused(t *testing.T) {
	for _, tc := range []struct {
		name, stmt, object string
	}{
		{"a macro shadowing a built-in", "CREATE MACRO max(x) AS min(x)", "macro main.max"},
		{"a table macro", "CREATE MACRO recent() AS TABLE SELECT 1 AS x", "table macro main.recent"},
		{"a view", "CREATE VIEW runs_all AS SELECT 1 AS x", "view main.runs_all"},
		{"a table", "CREATE TABLE notes (x INTEGER)", "table main.notes"},
		{"a type", "CREATE TYPE level AS ENUM ('a', 'b')", "type main.level"},
		{"a sequence", "CREATE SEQUENCE ids", "sequence main.ids"},
		{"an index", "CREATE INDEX rejects_line ON rejects (line_no)", "index main.rejects_line"},
		{"a schema", "CREATE SCHEMA other", "schema other.other"},
		{"a table of a known name in another schema", "CREATE SCHEMA s2; CREATE TABLE s2.ledger_rows (x INTEGER)", "table s2.ledger_rows"},
		// The listing's own functions, planted: the first version looked
		// them up through the file and saw nothing (an outside review).
		{"the listing's current_database", "CREATE MACRO current_database() AS 'nope'; CREATE MACRO stddev_pop(x) AS stddev_samp(x) * 0.5", "macro main.current_database, macro main.stddev_pop"},
		{"the listing's duckdb_functions", "CREATE MACRO duckdb_functions() AS TABLE SELECT * FROM system.main.duckdb_functions() WHERE function_name NOT IN ('duckdb_functions', 'max') OR internal; CREATE MACRO max(x) AS min(x)", "macro main.max, table macro main.duckdb_functions"},
		// A column named like one the runs view computes came first in
		// r.*: an analyst's day_local was the planted one.
		{"a column added to ledger_rows", "ALTER TABLE ledger_rows ADD COLUMN day_local DATE DEFAULT DATE '2026-02-16'", "column main.ledger_rows.day_local DATE DEFAULT"},
		{"a default on a column", "ALTER TABLE duplicates ALTER COLUMN kind SET DEFAULT 'duplicate_identical'", "column main.duplicates.kind VARCHAR NOT NULL DEFAULT"},
		// A row with no byte offset escaped every range the row checks
		// read, and the runs view showed it (an outside review).
		{"NOT NULL dropped", "ALTER TABLE ledger_rows ALTER COLUMN byte_offset DROP NOT NULL", "column main.ledger_rows.byte_offset BIGINT"},
		{"a column dropped", "ALTER TABLE rejects DROP COLUMN raw", "column main.rejects.raw VARCHAR (missing)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dbPath, _ := catalogStore(t)
			plant(t, dbPath, tc.stmt)
			for _, opts := range []Options{{}, {ReadOnly: true}, {Sandbox: true}} {
				s, err := Open(context.Background(), dbPath, opts)
				if err == nil {
					s.Close()
					t.Fatalf("open %+v: no error", opts)
				}
				if !errors.Is(err, ErrForeignObject) || !strings.Contains(err.Error(), tc.object) {
					t.Fatalf("open %+v: %v\nwant ErrForeignObject naming %s", opts, err, tc.object)
				}
			}
		})
	}
}

// TestOwnViewsRedefinedAreNotRead: the store's own views and macro,
// redefined in the file by another client (a runs view hiding a run, a
// code_text decoding every code as the first), are not what any open
// reads: each defines them afresh in its temporary catalog. An analyst's
// query saw the redefined ones until the next job replaced them.
func TestOwnViewsRedefinedAreNotRead(t *testing.T) {
	dbPath, _ := catalogStore(t)
	const q = "SELECT count(*)::VARCHAR || ' ' || count(DISTINCT scenario_id)::VARCHAR FROM runs"
	s, err := Open(context.Background(), dbPath, Options{Sandbox: true})
	if err != nil {
		t.Fatal(err)
	}
	want := queryStrings(t, s, q)
	s.Close()
	plant(t, dbPath,
		"CREATE OR REPLACE MACRO code_text(texts, code) AS texts[1]",
		"CREATE OR REPLACE VIEW runs AS SELECT * FROM runs_coded WHERE false")
	for _, opts := range []Options{{Sandbox: true}, {ReadOnly: true}, {}} {
		s, err := Open(context.Background(), dbPath, opts)
		if err != nil {
			t.Fatal(err)
		}
		got := queryStrings(t, s, q)
		s.Close()
		if got != want || strings.HasPrefix(got, "0 ") {
			t.Fatalf("open %+v: runs and scenarios %q, want %q", opts, got, want)
		}
	}
}

// TestStaleArrowViewRefusedToAQuery: a view the driver's Arrow interface
// registered, which earlier versions left in the store, named the
// ingesting process's memory, and an analyst's query of it crashed the
// process (an outside review). A sandboxed open refuses a store holding
// one, saying what removes it; a writable open removes it.
func TestStaleArrowViewRefusedToAQuery(t *testing.T) {
	dbPath, _ := catalogStore(t)
	plant(t, dbPath, "CREATE VIEW ledger_rows_arrow AS SELECT 1 AS x")
	if s, err := Open(context.Background(), dbPath, Options{Sandbox: true}); err == nil {
		s.Close()
		t.Fatal("a sandboxed open of a store holding ledger_rows_arrow: no error")
	} else if !strings.Contains(err.Error(), "ledger_rows_arrow") || !strings.Contains(err.Error(), "ledgerlens ingest") {
		t.Fatalf("sandboxed open: %v", err)
	}
	s, err := Open(context.Background(), dbPath, Options{})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err = Open(context.Background(), dbPath, Options{Sandbox: true})
	if err != nil {
		t.Fatalf("a sandboxed open after a writable one: %v", err)
	}
	s.Close()
}

// TestQueryRefusesAnEarlierVersionsViews: store_meta set back to version
// 6 left a store's own views and macro to the file (the temporary ones
// need the current layout), and an analyst's query read a code_text that
// swapped two statuses (an outside review). A sandboxed open refuses a
// store of any other version.
func TestQueryRefusesAnEarlierVersionsViews(t *testing.T) {
	dbPath, _ := catalogStore(t)
	plant(t, dbPath, "UPDATE store_meta SET schema_version = 6",
		"CREATE OR REPLACE MACRO code_text(texts, code) AS texts[2 - CAST(code AS INTEGER)]")
	s, err := Open(context.Background(), dbPath, Options{Sandbox: true})
	if err == nil {
		s.Close()
		t.Fatal("a sandboxed open of a store set back to version 6: no error")
	}
	if !strings.Contains(err.Error(), "schema version 6") {
		t.Fatalf("sandboxed open: %v", err)
	}
}
