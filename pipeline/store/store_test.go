package store

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/ledgerlens/ledgerlens/pipeline/ledger"
)

// line renders one ledger line; pascal picks the runbook spelling.
func line(i int, pascal bool, credits float64) string {
	ts := fmt.Sprintf("2026-11-%02dT%02d:%02d:00Z", 16+i%7, i%24, i%60)
	if pascal {
		return fmt.Sprintf(`{"Run_ID":"RUN-%06d","Timestamp":"%s","Scenario_Name":"Scenario %d","Scenario_ID":"SCN-%02d","Job_Type":"ANALYSIS","Status":"Success","Credits_Total":%g,"Severity":"SEV4","Risk_Flags":["batch_job"],"retry_count":%d,"is_batch_job":true}`, i, ts, i%7, i%7, credits, i%3)
	}
	return fmt.Sprintf(`{"run_id":"RUN-%06d","timestamp":"%s","scenario_name":"Scenario %d","scenario_id":"SCN-%02d","job_type":"ANALYSIS","status":"Success","credits_total":%g,"severity":"SEV4","risk_flags":["batch_job"],"retry_count":%d,"is_batch_job":true}`, i, ts, i%7, i%7, credits, i%3)
}

func writeLedger(t testing.TB, path string, lines []string, tail string) {
	t.Helper()
	var b bytes.Buffer
	for _, l := range lines {
		b.WriteString(l)
		b.WriteByte('\n')
	}
	b.WriteString(tail)
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func openStore(t testing.TB, dir string) *Store {
	t.Helper()
	s, err := Open(context.Background(), filepath.Join(dir, "ledger.duckdb"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// runsDump renders the runs view in line order, one row per line, every
// column: the store's content as a string two stores can be compared by.
func runsDump(t testing.TB, s *Store) string {
	t.Helper()
	rows, err := s.Conn().QueryContext(context.Background(),
		`SELECT * EXCLUDE (ingest_seq) FROM runs ORDER BY line_no`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out strings.Builder
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintln(&out, vals...)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

func TestIngestSmoke(t *testing.T) {
	dir := t.TempDir()
	ledgerPath := filepath.Join(dir, "ledger.jsonl")
	var lines []string
	for i := range 100 {
		lines = append(lines, line(i, i%2 == 0, float64(10+i)))
	}
	writeLedger(t, ledgerPath, lines, `{"Run_ID":"RUN-partial"`)
	s := openStore(t, dir)
	res, err := s.Ingest(context.Background(), ledgerPath)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%+v", res)
	if res.Loaded != 100 || res.Lines != 100 || res.Event != EventInitial || res.PartialTailBytes != int64(len(`{"Run_ID":"RUN-partial"`)) {
		t.Fatalf("unexpected result %+v", res)
	}
	t.Log(strings.SplitN(runsDump(t, s), "\n", 3)[:2])
}

// TestSchemaUpgradeReloads opens a store written with an older schema: the
// derived tables are rebuilt and the next ingest reloads the ledger.
func TestSchemaUpgradeReloads(t *testing.T) {
	dir := t.TempDir()
	ledgerPath := filepath.Join(dir, "ledger.jsonl")
	var ls []string
	for i := range 20 {
		ls = append(ls, line(i, true, 1))
	}
	writeLedger(t, ledgerPath, ls, "")
	s := openStore(t, dir)
	ingest(t, s, ledgerPath)
	// Simulate version 1: no run_hash column, older version number.
	// (No store_meta at all: stores from before versioning had none.)
	for _, q := range []string{"DROP TABLE store_meta", "DROP VIEW runs", "ALTER TABLE ledger_rows DROP COLUMN run_hash"} {
		if _, err := s.Conn().ExecContext(context.Background(), q); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	s2, err := Open(context.Background(), filepath.Join(dir, "ledger.duckdb"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	res := ingest(t, s2, ledgerPath)
	if res.Event != EventInitial || res.Loaded != 20 {
		t.Fatalf("after upgrade: %+v", res)
	}
	if got := queryStrings(t, s2, "SELECT count(*) FROM ingest_log"); got != "2" {
		t.Fatalf("ingest_log history lost: %s rows", got)
	}
}

// runsDigest is runsDump's content hashed inside DuckDB: the same check for
// stores too large to move through database/sql row by row.
func runsDigest(t testing.TB, s *Store) string {
	t.Helper()
	return queryStrings(t, s, `SELECT count(*)::VARCHAR || ':' || md5(string_agg(r::VARCHAR, chr(10) ORDER BY r.line_no))
		FROM (SELECT * EXCLUDE (ingest_seq) FROM runs) r`)
}

// TestDeferredCheckpoint: with the checkpoint deferred, appended rows are
// durable across close and reopen, and the store checkpoints once the
// appends since the last one pass a quarter of the table.
// TestMemoryLimit checks that Options.MemoryLimit reaches DuckDB's
// buffer manager, on a writable and on a read-only open, and that the
// default is 512 MB.
func TestMemoryLimit(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "ledger.duckdb")
	for _, tc := range []struct {
		name string
		opts Options
		want string // as DuckDB prints the setting: MiB of 2^20 bytes
	}{
		{"default", Options{}, "488.2 MiB"},
		{"a job's", Options{DeferCheckpoint: true, MemoryLimit: "256MB"}, "244.1 MiB"},
		{"read-only default", Options{ReadOnly: true}, "488.2 MiB"},
		{"read-only, set", Options{ReadOnly: true, MemoryLimit: "1GB"}, "953.6 MiB"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Open(context.Background(), dbPath, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			var got string
			if err := s.Conn().QueryRowContext(context.Background(), "SELECT current_setting('memory_limit')").Scan(&got); err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("memory_limit = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestDeferredCheckpoint(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "ledger.jsonl")
	all := lines(1000, func(i int) bool { return i%2 == 0 })
	dbPath := filepath.Join(dir, "ledger.duckdb")
	steps := []struct {
		lines          int
		wantCheckpoint bool
	}{
		{600, true},  // a full load always checkpoints
		{700, false}, // 100 appended of 700 rows
		{800, false}, // 200 of 800
		{1000, true}, // 400 of 1000: more than a quarter
	}
	for i, st := range steps {
		writeFile(t, path, join(all[:st.lines]))
		s, err := Open(context.Background(), dbPath, Options{DeferCheckpoint: true})
		if err != nil {
			t.Fatal(err)
		}
		res := ingest(t, s, path)
		if got := res.CheckpointTime > 0; got != st.wantCheckpoint {
			t.Errorf("step %d: checkpointed=%v, want %v", i, got, st.wantCheckpoint)
		}
		s.Close()
		// A checkpointing ingest leaves no WAL behind; one that defers
		// leaves its rows in the WAL (the shutdown checkpoint is off).
		var walBytes int64
		if fi, err := os.Stat(dbPath + ".wal"); err == nil {
			walBytes = fi.Size()
		}
		if got := walBytes == 0; got != st.wantCheckpoint {
			t.Errorf("step %d: WAL holds %d bytes after close, want it empty: %v", i, walBytes, st.wantCheckpoint)
		}
		ro, err := Open(context.Background(), dbPath, Options{ReadOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		if got := queryStrings(t, ro, "SELECT count(*) FROM runs"); got != strconv.Itoa(st.lines) {
			t.Fatalf("step %d: %s runs after reopen, want %d", i, got, st.lines)
		}
		ro.Close()
	}
}

// TestDeferredCheckpointCapsTheWAL: appends too small for the quarter rule
// pile up in the WAL, which every open replays; once it is over the
// store's cap an ingest checkpoints after its commit, counts the rows
// since the last checkpoint from zero, and the next small append defers
// again. Without a cap in reach the same appends leave a growing WAL.
func TestDeferredCheckpointCapsTheWAL(t *testing.T) {
	all := lines(2300, func(i int) bool { return i%2 == 0 })
	walSize := func(dbPath string) int64 {
		fi, err := os.Stat(dbPath + ".wal")
		if err != nil {
			return 0
		}
		return fi.Size()
	}
	// One 100-line append's WAL, to set the cap from.
	var oneAppend int64
	{
		dir := t.TempDir()
		path, dbPath := filepath.Join(dir, "ledger.jsonl"), filepath.Join(dir, "ledger.duckdb")
		for _, n := range []int{2000, 2100} {
			writeFile(t, path, join(all[:n]))
			s, err := Open(context.Background(), dbPath, Options{DeferCheckpoint: true})
			if err != nil {
				t.Fatal(err)
			}
			ingest(t, s, path)
			s.Close()
		}
		oneAppend = walSize(dbPath)
		if oneAppend == 0 {
			t.Fatal("a deferred 100-line append left no WAL")
		}
	}
	tests := []struct {
		name string
		cap  int64
		// want: did each append after the full load checkpoint?
		want []bool
	}{
		// Over the cap after the second append (2 × oneAppend).
		{"cap of one and a half appends", oneAppend * 3 / 2, []bool{false, true, false}},
		// Never reached: the appends stay in the WAL (5 %, 10 %, 15 % of
		// the table, under the quarter rule).
		{"cap out of reach", 1 << 40, []bool{false, false, false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path, dbPath := filepath.Join(dir, "ledger.jsonl"), filepath.Join(dir, "ledger.duckdb")
			opts := Options{DeferCheckpoint: true, CheckpointWALBytes: tt.cap}
			for i, n := range []int{2000, 2100, 2200, 2300} {
				writeFile(t, path, join(all[:n]))
				s, err := Open(context.Background(), dbPath, opts)
				if err != nil {
					t.Fatal(err)
				}
				res := ingest(t, s, path)
				tally := queryStrings(t, s, "SELECT rows_since_checkpoint FROM ledger_state")
				s.Close()
				if i == 0 {
					continue // the full load checkpoints (TestDeferredCheckpoint)
				}
				want := tt.want[i-1]
				if got := res.CheckpointTime > 0; got != want {
					t.Errorf("append %d: checkpointed=%v, want %v (WAL %d bytes, cap %d)", i, got, want, walSize(dbPath), tt.cap)
				}
				if got := walSize(dbPath) == 0; got != want {
					t.Errorf("append %d: WAL holds %d bytes after close; want it empty: %v", i, walSize(dbPath), want)
				}
				if want && tally != "0" {
					t.Errorf("append %d: %s rows since the last checkpoint recorded after one, want 0", i, tally)
				}
				ro, err := Open(context.Background(), dbPath, Options{ReadOnly: true})
				if err != nil {
					t.Fatal(err)
				}
				if got := queryStrings(t, ro, "SELECT count(*) FROM runs"); got != strconv.Itoa(n) {
					t.Fatalf("append %d: %s runs after reopen, want %d", i, got, n)
				}
				ro.Close()
			}
		})
	}
}

// TestCheckpointAtCommit: when an ingest checkpoints at its commit.
func TestCheckpointAtCommit(t *testing.T) {
	tests := []struct {
		name                 string
		fullLoad             bool
		insertThreads        int
		rowsSince, tableRows int64
		want                 bool
	}{
		{"full load", true, 1, 100, 100, true},
		{"small append on one thread", false, 1, 100, 1000, false},
		{"a quarter exactly", false, 1, 250, 1000, false},
		{"more than a quarter since the last checkpoint", false, 1, 251, 1000, true},
		// Each thread leaves its last, partial row group to the WAL.
		{"an insert on several threads", false, 2, 250_000, 10_000_000, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := checkpointAtCommit(tt.fullLoad, tt.insertThreads, tt.rowsSince, tt.tableRows); got != tt.want {
				t.Fatalf("checkpointAtCommit = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestVerifyRefusesAStaleStore: a store written under an older schema,
// opened read-only (so not rebuilt), cannot be verified against this
// version's digests; VerifyLedger says so instead of reporting a
// modification, and a writable open then brings it up to date.
func TestVerifyRefusesAStaleStore(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "ledger.jsonl")
	writeFile(t, path, join(lines(50, func(i int) bool { return i%2 == 0 })))
	dbPath := filepath.Join(dir, "ledger.duckdb")
	s, err := Open(context.Background(), dbPath, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ingest(t, s, path)
	for _, q := range append(v9Codes(), "UPDATE store_meta SET schema_version = schema_version - 1") {
		if _, err := s.Conn().ExecContext(context.Background(), q); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()

	ro, err := Open(context.Background(), dbPath, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	_, err = ro.VerifyLedger(context.Background(), path)
	ro.Close()
	if err == nil || !strings.Contains(err.Error(), "schema version") {
		t.Fatalf("VerifyLedger on a stale store: %v, want a schema version error", err)
	}

	rw, err := Open(context.Background(), dbPath, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ingest(t, rw, path)
	check, err := rw.VerifyLedger(context.Background(), path)
	rw.Close()
	if err != nil || !check.Intact {
		t.Fatalf("after rebuild: %+v, %v; want intact", check, err)
	}
}

// TestUpgradeDropsCreditsBeyondTheBound: before version 9 a ledger line
// recording more than ledger.MaxCredits loaded, and the review then failed
// on its sum. A store of version 8 holding such a row is rebuilt when a
// job opens it (the next ingest reloads the ledger, by this version's
// rules); one without such a row keeps its rows and only gains the
// version.
func TestUpgradeDropsCreditsBeyondTheBound(t *testing.T) {
	for _, tc := range []struct {
		name    string
		credits float64 // what line 8's stored credits are set to
		reload  bool
	}{
		{"beyond", 1e35, true},
		{"at the bound", ledger.MaxCredits, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			// The store as version 8 would have left it.
			s, path, _ := upgradedStore(t, 8, fmt.Sprintf("UPDATE ledger_rows SET credits_in = %g WHERE line_no = 8", tc.credits))
			res := ingest(t, s, path)
			if reloaded := res.Loaded == 50; reloaded != tc.reload {
				t.Fatalf("after the upgrade the ingest loaded %d runs (%s), want a reload: %t", res.Loaded, res.Event, tc.reload)
			}
			var version int
			var most float64
			if err := s.Conn().QueryRowContext(ctx, "SELECT (SELECT max(schema_version) FROM store_meta), max(coalesce(credits_in, 0)) FROM ledger_rows").Scan(&version, &most); err != nil {
				t.Fatal(err)
			}
			if version != schemaVersion || most > ledger.MaxCredits {
				t.Fatalf("schema version %d, largest credits_in %g; want %d and at most %g", version, most, schemaVersion, ledger.MaxCredits)
			}
		})
	}
}

// TestUpgradeDropsTextWithNUL: before version 10 a ledger line whose text
// held U+0000 loaded, while the engine's side tables cut such text short
// ("Success\u0000x" counted as "Success"; an outside review). A store of
// version 9 holding such text, in a coded column or another, is rebuilt
// when a job opens it (the next ingest reloads the ledger and rejects the
// line); one without keeps its rows and only gains the version.
func TestUpgradeDropsTextWithNUL(t *testing.T) {
	for _, tc := range []struct {
		name   string
		edit   string // what the store as version 9 left holds
		reload bool
	}{
		{"in a text column", "UPDATE ledger_rows SET risk_summary = 'a' || chr(0) || 'b' WHERE line_no = 8", true},
		{"in a coded column", "UPDATE text_codes SET value = value || chr(0) || 'x' WHERE field = 'status' AND code = 0", true},
		{"in a risk flag", "UPDATE ledger_rows SET risk_flags = ['a' || chr(0)] WHERE line_no = 8", true},
		{"none", "UPDATE ledger_rows SET risk_summary = 'a0b' WHERE line_no = 8", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			s, path, before := upgradedStore(t, 9, tc.edit)
			res := ingest(t, s, path)
			if reloaded := res.Loaded == 50; reloaded != tc.reload {
				t.Fatalf("after the upgrade the ingest loaded %d runs (%s), want a reload: %t", res.Loaded, res.Event, tc.reload)
			}
			var version int
			var nul int64
			if err := s.Conn().QueryRowContext(ctx, "SELECT max(schema_version) FROM store_meta").Scan(&version); err != nil {
				t.Fatal(err)
			}
			if err := s.Conn().QueryRowContext(ctx, nulTextSQL).Scan(&nul); err != nil {
				t.Fatal(err)
			}
			if version != schemaVersion || nul != 0 {
				t.Fatalf("schema version %d, %d text values with U+0000; want %d and none", version, nul, schemaVersion)
			}
			// Kept in place or rebuilt, the codes are UINTEGER and decode
			// to the same runs.
			if got := queryStrings(t, s, "SELECT DISTINCT data_type FROM information_schema.columns WHERE table_name = 'ledger_rows' AND column_name IN ('scenario_id', 'owner', 'status')"); got != "UINTEGER" {
				t.Errorf("code columns after the upgrade: %s, want UINTEGER", got)
			}
			if got := queryStrings(t, s, "SELECT count(DISTINCT status) || ':' || count(*) FROM runs"); got != before {
				t.Errorf("runs after the upgrade %s, before %s", got, before)
			}
		})
	}
}

// upgradedStore is a store of 50 runs (the ledger at path) as schema
// version left it, 16-bit codes and the version recorded, after edits,
// opened again by this version; before is its runs ("statuses:runs")
// before the edits. The caller's ingest is the first of this version.
func upgradedStore(t *testing.T, version int, edits ...string) (s *Store, path, before string) {
	t.Helper()
	dir := t.TempDir()
	path = filepath.Join(dir, "ledger.jsonl")
	writeFile(t, path, join(lines(50, func(i int) bool { return i%2 == 0 })))
	dbPath := filepath.Join(dir, "ledger.duckdb")
	ctx := context.Background()
	s, err := Open(ctx, dbPath, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ingest(t, s, path)
	before = queryStrings(t, s, "SELECT count(DISTINCT status) || ':' || count(*) FROM runs")
	for _, q := range append(append(v9Codes(), edits...), fmt.Sprintf("UPDATE store_meta SET schema_version = %d", version)) {
		if _, err := s.Conn().ExecContext(ctx, q); err != nil {
			t.Fatal(q, err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if s, err = Open(ctx, dbPath, Options{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, path, before
}

// v9Codes are the statements that give a store's code columns the
// USMALLINT type of schema versions 7 to 9.
func v9Codes() []string {
	var qs []string
	for _, col := range codedColumns() {
		qs = append(qs, fmt.Sprintf("ALTER TABLE ledger_rows ALTER COLUMN %s TYPE USMALLINT", col))
	}
	return append(qs, "ALTER TABLE text_codes ALTER COLUMN code TYPE USMALLINT")
}
