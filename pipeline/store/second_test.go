package store

import (
	"context"
	"errors"
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

// TestFillsThreads holds the rule the review and the insert share: a
// statement keeps each of the store's threads busy from a row group per
// thread on.
func TestFillsThreads(t *testing.T) {
	for _, tt := range []struct {
		threads int
		rows    int64
		want    bool
	}{
		{2, 0, false},
		{2, 19_300, false}, // a week of a year-long million-run ledger
		{2, 2*rowGroupRows - 1, false},
		{2, 2 * rowGroupRows, true},
		{2, 2_500_000, true}, // two weeks of a 10M-run ledger
		{1, rowGroupRows, true},
		{4, 3 * rowGroupRows, false},
	} {
		s := &Store{threads: tt.threads}
		if got := s.FillsThreads(tt.rows); got != tt.want {
			t.Errorf("%d threads, %d rows: FillsThreads = %v, want %v", tt.threads, tt.rows, got, tt.want)
		}
	}
}

// TestSecondTaken asks for the second connection while it is taken: an
// error at once, not a wait; once it is given back, it can be had again.
func TestSecondTaken(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, t.TempDir())
	held, err := s.Second(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Second(ctx); !errors.Is(err, ErrNoSecond) {
		t.Fatalf("Second while the second connection is taken: %v, want ErrNoSecond", err)
	}
	if err := held.Close(); err != nil {
		t.Fatal(err)
	}
	again, err := s.Second(ctx)
	if err != nil {
		t.Fatalf("Second once the connection was given back: %v", err)
	}
	again.Close()
}
