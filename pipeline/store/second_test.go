package store

import (
	"context"
	"path/filepath"
	"testing"
)

// TestSecond reads a store through its second connection: the same runs
// as the first, with the views of a read-only store defined on it too;
// its temporary objects are its own, an attached database is both's; and
// its Close leaves the store open.
func TestSecond(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	ledger := filepath.Join(dir, "ledger.jsonl")
	writeLedger(t, ledger, lines(40, func(int) bool { return false }), "")
	s, err := Open(ctx, filepath.Join(dir, "ledger.duckdb"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	ingest(t, s, ledger)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	count := func(t *testing.T, st *Store, q string) int {
		t.Helper()
		var n int
		if err := st.Conn().QueryRowContext(ctx, q).Scan(&n); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return n
	}
	for _, opts := range []Options{{}, {ReadOnly: true}} {
		t.Run(map[bool]string{false: "read-write", true: "read-only"}[opts.ReadOnly], func(t *testing.T) {
			s, err := Open(ctx, filepath.Join(dir, "ledger.duckdb"), opts)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			second, err := s.Second(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if n := count(t, second, "SELECT count(*) FROM runs WHERE scenario_id = 'SCN-03'"); n != count(t, s, "SELECT count(*) FROM runs WHERE scenario_id = 'SCN-03'") || n == 0 {
				t.Fatalf("the second connection reads %d runs of SCN-03, the first another number or none", n)
			}
			if _, err := s.Conn().ExecContext(ctx, "CREATE TEMP TABLE first_only AS SELECT 1 AS x; ATTACH IF NOT EXISTS ':memory:' AS shared (READ_WRITE); CREATE OR REPLACE TABLE shared.t AS SELECT 7 AS x"); err != nil {
				t.Fatal(err)
			}
			if _, err := second.Conn().ExecContext(ctx, "SELECT * FROM first_only"); err == nil {
				t.Fatal("the second connection reads the first's temporary table")
			}
			if n := count(t, second, "SELECT x FROM shared.t"); n != 7 {
				t.Fatalf("the second connection reads %d from the attached database, not 7", n)
			}
			if err := second.Close(); err != nil {
				t.Fatal(err)
			}
			if n := count(t, s, "SELECT count(*) FROM runs"); n != 40 {
				t.Fatalf("after the second connection's Close the store reads %d runs, not 40", n)
			}
			again, err := s.Second(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer again.Close()
			if n := count(t, again, "SELECT count(*) FROM runs"); n != 40 {
				t.Fatalf("a second connection taken again reads %d runs, not 40", n)
			}
		})
	}
}
