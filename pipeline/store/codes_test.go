package store

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// runsFingerprint is the runs view as users see it: an MD5 over every
// row (every column, in line order) and its columns' names and types.
func runsFingerprint(t testing.TB, s *Store) (digest, describe string) {
	t.Helper()
	digest = queryStrings(t, s, `SELECT count(*)::VARCHAR || ':' || md5(string_agg(r::VARCHAR, chr(10) ORDER BY r.line_no))
		FROM (SELECT * FROM runs) r`)
	rows, err := s.Conn().QueryContext(context.Background(), "DESCRIBE runs")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprint(vals[0], " ", vals[1])) // column_name, column_type
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return digest, strings.Join(out, ", ")
}

// runsColumnsBeforeCodes are the runs view's columns as they were when
// ledger_rows held the coded columns as text (schema version 6).
const runsColumnsBeforeCodes = "line_no BIGINT, byte_offset BIGINT, ingest_seq INTEGER, run_id VARCHAR, timestamp TIMESTAMP WITH TIME ZONE, scenario_id VARCHAR, scenario_name VARCHAR, job_type VARCHAR, status VARCHAR, credits_total DOUBLE, credits_in DOUBLE, credits_out DOUBLE, model VARCHAR, input_tokens BIGINT, output_tokens BIGINT, artifacts_link VARCHAR, severity VARCHAR, risk_flags VARCHAR[], risk_summary VARCHAR, misconfig_likelihood VARCHAR, baseline_expected_credits DOUBLE, variance_multiplier DOUBLE, retry_count BIGINT, has_max_items_config BOOLEAN, has_idempotency_key BOOLEAN, prompt_version VARCHAR, deployment_timestamp VARCHAR, is_batch_job BOOLEAN, is_backfill BOOLEAN, input_item_count BIGINT, notion_case_id VARCHAR, owner VARCHAR, ts_utc TIMESTAMP, ts_local TIMESTAMP, day_local DATE"

// TestRunsViewUnchangedByCodes: the runs view of the fixture ledger has
// the same rows, columns and types as before the text columns were coded.
// The expected digests were obtained by running runsFingerprint, as it is
// here, on the same fixture ledgers with the store code of schema version
// 6 (the commit before the codes), where ledger_rows held the text.
func TestRunsViewUnchangedByCodes(t *testing.T) {
	cases := []struct {
		zone, digest string
	}{
		{"UTC", "12461:012f758484351ee07c105f3d197fa189"},
		{"America/New_York", "12461:1870a62334f91d956a10ab5fb687fd73"},
	}
	for _, tc := range cases {
		t.Run(tc.zone, func(t *testing.T) {
			dir := t.TempDir()
			path := fixtureLedger(t, filepath.Join(dir, "fixture"), 8000)
			s, err := Open(context.Background(), filepath.Join(dir, "ledger.duckdb"), Options{TimeZone: tc.zone})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			ingest(t, s, path)
			digest, describe := runsFingerprint(t, s)
			if describe != runsColumnsBeforeCodes {
				t.Errorf("runs columns:\n got %s\nwant %s", describe, runsColumnsBeforeCodes)
			}
			if digest != tc.digest {
				t.Errorf("runs digest %s, want %s (the rows as schema version 6 stored them)", digest, tc.digest)
			}
			if got := queryStrings(t, s, "SELECT data_type FROM information_schema.columns WHERE table_name = 'ledger_rows' AND column_name = 'severity'"); got != "UINTEGER" {
				t.Errorf("ledger_rows.severity is %s, want UINTEGER codes", got)
			}
		})
	}
}

// codesDump is the store's codes: text_codes and every row's codes.
func codesDump(t testing.TB, s *Store) string {
	t.Helper()
	cols := codedColumns()
	return queryStrings(t, s, "SELECT string_agg(field || '=' || code || '=' || value, ';' ORDER BY field, code) FROM text_codes") +
		" | " + queryStrings(t, s, `SELECT count(*)::VARCHAR || ':' || md5(string_agg(r::VARCHAR, chr(10) ORDER BY r.line_no))
			FROM (SELECT line_no, `+quotedColumns(cols[:])+` FROM ledger_rows) r`)
}

// TestCodesIndependentOfIngestSplits: a store loaded in two ingests (cut
// at different lines) holds the same codes as one loaded at once.
func TestCodesIndependentOfIngestSplits(t *testing.T) {
	ctx := context.Background()
	parent := t.TempDir()
	path := fixtureLedger(t, filepath.Join(parent, "fixture"), 8000)
	full, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	fresh := openStore(t, filepath.Join(parent, "fresh"))
	ingest(t, fresh, path)
	want := codesDump(t, fresh)
	if !strings.Contains(want, "severity=0=") {
		t.Fatalf("fresh store's codes: %s", want)
	}
	for _, frac := range []float64{0.001, 0.3, 0.75} {
		t.Run(fmt.Sprint(frac), func(t *testing.T) {
			dir := filepath.Join(parent, fmt.Sprint(frac))
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			ledger := filepath.Join(dir, "ledger.jsonl")
			cut := lineBoundary(t, path, int64(float64(len(full))*frac))
			writeFile(t, ledger, string(full[:cut]))
			s := openStore(t, dir)
			ingest(t, s, ledger)
			writeFile(t, ledger, string(full))
			if res := ingest(t, s, ledger); res.Event != EventAppend {
				t.Fatalf("second ingest: %+v", res)
			}
			if got := codesDump(t, s); got != want {
				t.Errorf("codes after an append at byte %d differ from a full load's:\n got %.300s\nwant %.300s", cut, got, want)
			}
			check, err := s.VerifyRows(ctx, ledger)
			if err != nil || !check.Intact() {
				t.Errorf("VerifyRows: %+v %v", check, err)
			}
		})
	}
}

// TestNewValueInAppendGetsNextCode: a value first seen in an append gets
// its column's next code, and every reader decodes it.
func TestNewValueInAppendGetsNextCode(t *testing.T) {
	ctx := context.Background()
	scenarioID := regexp.MustCompile(`"scenario_id":"SCN-[0-9]+"`)
	cases := []struct {
		field string
		edit  func(l string) string
		value string
	}{
		{"severity", func(l string) string { return strings.Replace(l, `"severity":"SEV4"`, `"severity":"SEV1"`, 1) }, "SEV1"},
		{"owner", func(l string) string { return strings.TrimSuffix(l, "}") + `,"owner":"team-ñ"}` }, "team-ñ"},
		{"scenario_id", func(l string) string { return scenarioID.ReplaceAllString(l, `"scenario_id":"SCN-NEW"`) }, "SCN-NEW"},
		{"job_type", func(l string) string { return strings.Replace(l, `"job_type":"ANALYSIS"`, `"job_type":"FILING"`, 1) }, "FILING"},
	}
	for _, tc := range cases {
		t.Run(tc.field, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "ledger.jsonl")
			ls := lines(40, func(int) bool { return false })
			writeFile(t, path, join(ls[:30]))
			s := openStore(t, dir)
			ingest(t, s, path)
			before := queryStrings(t, s, "SELECT count(*) FROM text_codes WHERE field = '"+tc.field+"'")
			// Lines 35 and 38 carry the new value (and 38 repeats it).
			ls[34], ls[37] = tc.edit(ls[34]), tc.edit(ls[37])
			writeFile(t, path, join(ls))
			first := ingest(t, s, path)
			if got := queryStrings(t, s, "SELECT code FROM text_codes WHERE field = '"+tc.field+"' AND value = '"+tc.value+"'"); got != before {
				t.Errorf("code of %s %q: %q, want the next code %s", tc.field, tc.value, got, before)
			}
			if got := queryStrings(t, s, "SELECT string_agg(line_no::VARCHAR, ',' ORDER BY line_no) FROM runs WHERE "+tc.field+" = '"+tc.value+"'"); got != "35,38" {
				t.Errorf("runs with %s %q: lines %q, want 35,38", tc.field, tc.value, got)
			}
			if got := queryStrings(t, s, "SELECT "+tc.field+" FROM ledger_rows_decoded WHERE line_no = 38"); got != tc.value {
				t.Errorf("ledger_rows_decoded line 38: %q, want %q", got, tc.value)
			}
			stored, err := s.ChunkDigests(ctx, 0, time.Time{}, time.Time{})
			if err != nil || !maps.Equal(stored, first.ChunkRowDigests) {
				t.Errorf("the append's digests %v, the stored rows' %v (%v)", first.ChunkRowDigests, stored, err)
			}
			if check, err := s.VerifyRows(ctx, path); err != nil || !check.Intact() {
				t.Errorf("VerifyRows: %+v %v", check, err)
			}
		})
	}
}

// TestCodeTextsDecodeAsTheViews: CodeTexts decodes a code of runs_coded
// to the text runs shows for the same line, for every coded column, and
// refuses a column that is not coded.
func TestCodeTextsDecodeAsTheViews(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "ledger.jsonl")
	writeFile(t, path, join(lines(40, func(int) bool { return false })))
	s := openStore(t, dir)
	ingest(t, s, path)
	for _, field := range codedColumns() {
		texts, err := s.CodeTexts(ctx, field)
		if err != nil {
			t.Fatal(err)
		}
		rows, err := s.Conn().QueryContext(ctx, "SELECT c."+field+"::INTEGER, r."+field+" FROM runs_coded c JOIN runs r USING (line_no)")
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for rows.Next() {
			var code sql.NullInt64
			var text sql.NullString
			if err := rows.Scan(&code, &text); err != nil {
				t.Fatal(err)
			}
			if code.Valid != text.Valid || (code.Valid && (int(code.Int64) >= len(texts) || texts[code.Int64] != text.String)) {
				t.Fatalf("%s: code %v, CodeTexts %q, runs shows %v", field, code, texts, text)
			}
			n++
		}
		rows.Close()
		if n != 40 {
			t.Fatalf("%s: %d runs compared, want 40", field, n)
		}
	}
	if _, err := s.CodeTexts(ctx, "run_id"); err == nil {
		t.Error("CodeTexts of a column that is not coded: no error")
	}
}

// TestLookupEditIsDetected: an edit of text_codes changes the decoded
// rows, so the chunk digests and VerifyRows see it, as an edit of the
// rows themselves.
func TestLookupEditIsDetected(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name, sql string
		lines     []int64 // the lines VerifyRows names (nil: every row)
	}{
		{"value renamed", "UPDATE text_codes SET value = 'SEV1' WHERE field = 'severity' AND value = 'SEV4'", nil},
		{"codes swapped", "UPDATE text_codes SET code = 1 - code WHERE field = 'scenario_id' AND code IN (0, 1)", nil},
		{"row dropped", "DELETE FROM text_codes WHERE field = 'job_type'", nil},
		{"one row recoded", "UPDATE ledger_rows SET scenario_id = 3 WHERE line_no = 5", []int64{5}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "ledger.jsonl")
			writeFile(t, path, join(lines(60, func(i int) bool { return i%2 == 0 })))
			s := openStore(t, dir)
			res := ingest(t, s, path)
			if _, err := s.Conn().ExecContext(ctx, tc.sql); err != nil {
				t.Fatal(err)
			}
			stored, err := s.ChunkDigests(ctx, 0, time.Time{}, time.Time{})
			if err != nil {
				t.Fatal(err)
			}
			if maps.Equal(stored, res.ChunkRowDigests) {
				t.Errorf("chunk digests unchanged by %s", tc.sql)
			}
			check, err := s.VerifyRows(ctx, path)
			if err != nil {
				t.Fatal(err)
			}
			if check.Intact() {
				t.Fatalf("VerifyRows: intact after %s", tc.sql)
			}
			if tc.lines != nil && !slices.Equal(check.Differ, tc.lines) {
				t.Errorf("VerifyRows names lines %v, want %v", check.Differ, tc.lines)
			}
		})
	}
}

// TestLookupGapRefusesIngest: an append onto a text_codes whose codes do
// not run 0, 1, … (an edited table) fails naming the table, and leaves
// the store as it was.
func TestLookupGapRefusesIngest(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "ledger.jsonl")
	ls := lines(40, func(int) bool { return false })
	writeFile(t, path, join(ls[:20]))
	s := openStore(t, dir)
	ingest(t, s, path)
	if _, err := s.Conn().ExecContext(ctx, "UPDATE text_codes SET code = 9 WHERE field = 'severity' AND code = 0"); err != nil {
		t.Fatal(err)
	}
	writeFile(t, path, join(ls))
	_, err := s.Ingest(ctx, path)
	if err == nil || !strings.Contains(err.Error(), "text_codes") {
		t.Fatalf("ingest onto an edited text_codes: %v, want an error naming text_codes", err)
	}
	if got := queryStrings(t, s, "SELECT count(*) FROM ledger_rows"); got != "20" {
		t.Errorf("%s rows after the failed ingest, want 20", got)
	}
}

// TestTooManyDistinctValuesFails: a column with more distinct values than
// a code holds fails the ingest, naming the column and line (the limit
// made small here: the codes are UINTEGER).
func TestTooManyDistinctValuesFails(t *testing.T) {
	const limit = 100
	cb := newCodeBook()
	cb.limit = limit
	for i := range limit {
		cb.index[7][fmt.Sprint("v", i)] = uint32(i)
	}
	codes := []uint32{0, 1}
	dicts := [numCoded]blockDict{7: {values: []string{"v5", "new"}, first: []int32{0, 1}, codes: codes}}
	err := cb.assign(&dicts, []int64{41, 42})
	if err == nil || !strings.Contains(err.Error(), "column prompt_version") || !strings.Contains(err.Error(), "line 42") {
		t.Fatalf("a 101st value: %v, want an error naming prompt_version and line 42", err)
	}

	var c codeColumn
	c.init(limit + 1)
	c.limit = limit
	for i := range limit + 1 {
		c.append(fmt.Sprint("v", i))
	}
	if c.overflow != limit {
		t.Fatalf("block dictionary overflow at row %d, want %d", c.overflow, limit)
	}
}

// v6Store turns s (schema 7) into the shape schema version 6 wrote: the
// coded columns as text, no text_codes, version 6's runs view.
func v6Store(t testing.TB, s *Store) {
	t.Helper()
	// A connection of its own: the store's defines the views and macro in
	// its temporary catalog too (Open), which these statements would
	// reach first.
	conn, err := s.db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, q := range []string{
		"CREATE TABLE ledger_rows_v6 AS SELECT * FROM ledger_rows_decoded",
		"DROP VIEW runs",
		"DROP VIEW runs_coded",
		"DROP VIEW ledger_rows_decoded",
		"DROP VIEW text_code_lists",
		"DROP MACRO code_text",
		"DROP TABLE ledger_rows",
		"DROP TABLE text_codes",
		"ALTER TABLE ledger_rows_v6 RENAME TO ledger_rows",
		`CREATE VIEW runs AS
		 SELECT r.* EXCLUDE (run_hash, ts_local), r."timestamp"::TIMESTAMP AS ts_utc,
		        r.ts_local, r.ts_local::DATE AS day_local
		 FROM ledger_rows r
		 ANTI JOIN duplicates d ON d.line_no = r.line_no`,
		"UPDATE store_meta SET schema_version = 6",
	} {
		if _, err := conn.ExecContext(context.Background(), q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

// TestMigrateFromSchema6: a schema 6 store still answers read-only
// queries of runs (an analyst's sandboxed query refuses it: its views
// are the file's), refuses digest checks clearly, and a writable open
// rebuilds it — in its recorded zone — so the next ingest reloads the
// ledger into codes with the same runs as before.
func TestMigrateFromSchema6(t *testing.T) {
	ctx := context.Background()
	for _, zone := range []string{"UTC", "Europe/Berlin"} {
		t.Run(zone, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "ledger.jsonl")
			writeFile(t, path, join(lines(80, func(i int) bool { return i%3 == 0 })))
			dbPath := filepath.Join(dir, "ledger.duckdb")
			s, err := Open(ctx, dbPath, Options{TimeZone: zone})
			if err != nil {
				t.Fatal(err)
			}
			ingest(t, s, path)
			want := runsDigest(t, s)
			wantSeverities := queryStrings(t, s, "SELECT coalesce(severity, '-') || ':' || count(*) FROM runs GROUP BY severity ORDER BY severity")
			v6Store(t, s)
			s.Close()

			// An analyst's query refuses it: its views are the file's,
			// which anyone who can write it may have changed.
			if q, err := Open(ctx, dbPath, Options{Sandbox: true}); err == nil {
				q.Close()
				t.Fatal("a sandboxed open of a schema 6 store: no error")
			} else if !strings.Contains(err.Error(), "schema version 6") || !strings.Contains(err.Error(), "ledgerlens ingest") {
				t.Fatalf("sandboxed open of a schema 6 store: %v", err)
			}
			ro, err := Open(ctx, dbPath, Options{ReadOnly: true})
			if err != nil {
				t.Fatal(err)
			}
			if got := queryStrings(t, ro, "SELECT coalesce(severity, '-') || ':' || count(*) FROM runs GROUP BY severity ORDER BY severity"); got != wantSeverities {
				t.Errorf("read-only query of a schema 6 store: %q, want %q", got, wantSeverities)
			}
			if _, err := ro.ChunkDigests(ctx, 0, time.Time{}, time.Time{}); err == nil || !strings.Contains(err.Error(), "schema version 6") {
				t.Errorf("chunk digests of a schema 6 store: %v, want a schema version error", err)
			}
			ro.Close()

			rw, err := Open(ctx, dbPath, Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer rw.Close()
			if rw.Zone() != zone {
				t.Errorf("zone after the rebuild: %s, want the recorded %s", rw.Zone(), zone)
			}
			if got := queryStrings(t, rw, "SELECT data_type FROM information_schema.columns WHERE table_name = 'ledger_rows' AND column_name = 'owner'"); got != "UINTEGER" {
				t.Errorf("ledger_rows.owner is %s after the migration, want UINTEGER", got)
			}
			res := ingest(t, rw, path)
			if res.Event != EventInitial || res.Loaded != 80 {
				t.Fatalf("first ingest after the migration: %+v, want a reload of 80 runs", res)
			}
			if got := runsDigest(t, rw); got != want {
				t.Errorf("runs after the migration %s, want %s", got, want)
			}
			if got := queryStrings(t, rw, "SELECT count(*) FROM ingest_log"); got != "2" {
				t.Errorf("ingest_log holds %s ingests, want both", got)
			}
			if check, err := rw.VerifyRows(ctx, path); err != nil || !check.Intact() {
				t.Errorf("VerifyRows after the migration: %+v %v", check, err)
			}
		})
	}
}

// TestReloadRestartsCodes: a ledger_modified reload assigns codes afresh,
// as a new store from the changed ledger would.
func TestReloadRestartsCodes(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "ledger.jsonl")
	ls := lines(30, func(int) bool { return false })
	writeFile(t, path, join(ls))
	s := openStore(t, dir)
	ingest(t, s, path)
	// The first line now carries a severity never seen: it takes code 0.
	ls[0] = strings.Replace(ls[0], `"severity":"SEV4"`, `"severity":"SEV0"`, 1)
	writeFile(t, path, join(ls))
	if res := ingest(t, s, path); res.Event != EventLedgerModified {
		t.Fatalf("event %s, want %s", res.Event, EventLedgerModified)
	}
	fresh := openStore(t, filepath.Join(dir, "fresh"))
	ingest(t, fresh, path)
	if got, want := codesDump(t, s), codesDump(t, fresh); got != want {
		t.Errorf("codes after a reload:\n got %s\nwant %s", got, want)
	}
	if got := queryStrings(t, s, "SELECT value FROM text_codes WHERE field = 'severity' AND code = 0"); got != "SEV0" {
		t.Errorf("severity code 0 is %q after the reload, want SEV0", got)
	}
}
