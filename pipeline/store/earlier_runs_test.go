package store

import (
	"context"
	"path/filepath"
	"slices"
	"testing"
)

// TestEarlierRunsFindWhatTheStoreQueryFinds holds the two ways an append's
// repeated run ids are found to the same answer: the search beside a
// one-thread insert (earlierRuns on a second connection, plus the runs
// repeated within the append, found in Go) and repeated_run_hashes.sql,
// which an append inserted on several threads runs after its insert. The
// append repeats a run of the first ingest, one of its own runs twice, and
// a run that the first ingest already held twice; one of its runs is new.
func TestEarlierRunsFindWhatTheStoreQueryFinds(t *testing.T) {
	ctx := context.Background()
	base := lines(12, func(i int) bool { return i%2 == 0 })
	first := append(append([]string{}, base[:8]...), base[3]) // RUN-3 twice already
	dir := t.TempDir()
	path := filepath.Join(dir, "ledger.jsonl")
	writeLedger(t, path, first, "")
	s := openStore(t, dir)
	ingest(t, s, path)

	fresh := line(900, false, 7)
	appended := []string{
		base[1], // a run of the first ingest
		fresh,   // a new run, twice within the append
		base[8], // a new run, once
		fresh,   //
		base[3], // a run the first ingest held twice
		base[9], // new, once
		base[9], // and again
		base[1], // the first ingest's run again
		line(901, true, 3),
	}
	writeLedger(t, path, append(append([]string{}, first...), appended...), "")
	res := ingest(t, s, path)
	if res.Seq != 2 {
		t.Fatalf("the append is ingest %d, want 2", res.Seq)
	}

	hashes := queryInt64s(t, s, "SELECT run_hash FROM ledger_rows WHERE ingest_seq = 2")
	if len(hashes) != len(appended) {
		t.Fatalf("the append stored %d rows, want %d", len(hashes), len(appended))
	}

	earlier, err := s.earlierRunHashes(ctx, 2, hashes)
	if err != nil {
		t.Fatal(err)
	}
	if len(earlier) != 2 {
		t.Fatalf("the search found %d of the first ingest's runs among the append's, want 2 (RUN-1, RUN-3)", len(earlier))
	}
	got := append(repeatedHashes(slices.Clone(hashes)), earlier...)
	slices.Sort(got)
	got = slices.Compact(got)

	want := queryInt64s(t, s, repeatedRunHashesSQL, 2)
	if len(want) != 4 || !slices.Equal(got, want) {
		t.Fatalf("repeated run hashes: the search beside the insert found %v, the store's query %v (want 4: RUN-1, RUN-3, RUN-9, RUN-900)", got, want)
	}
	// The rows of the append itself are not earlier runs: asking with the
	// first ingest's number finds nothing before it.
	if none, err := s.earlierRunHashes(ctx, 1, hashes); err != nil || len(none) != 0 {
		t.Fatalf("earlier than ingest 1: %v, %v; want none", none, err)
	}
	// The append's duplicates were recorded from the search: every line
	// repeating a run loaded before it.
	if res.Duplicates != 5 {
		t.Fatalf("the append recorded %d duplicates, want 5", res.Duplicates)
	}
	// The search's connection stays open (closing one makes DuckDB give
	// its allocator's free pages back to the kernel, see Open), with no
	// view left on it that reads a released stream.
	if st := s.db.Stats(); st.OpenConnections != 2 || st.Idle != 1 {
		t.Fatalf("connections after the searches: %d open, %d idle; want 2 and 1", st.OpenConnections, st.Idle)
	}
	conn, err := s.db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var views int
	if err := conn.QueryRowContext(ctx, "SELECT count(*) FROM duckdb_views() WHERE view_name = $1", newRunHashesView).Scan(&views); err != nil || views != 0 {
		t.Fatalf("views named %s on the search's connection: %d (%v); want none", newRunHashesView, views, err)
	}
}

// queryInt64s returns the one BIGINT column q selects.
func queryInt64s(t *testing.T, s *Store, q string, args ...any) []int64 {
	t.Helper()
	return queryColumn[int64](t, s, q, args...)
}
