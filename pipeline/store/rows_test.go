package store

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestVerifyRowsFindsEditedRows loads a ledger in two ingests, then edits,
// deletes and plants rows in the store: each is named by its line.
func TestVerifyRowsFindsEditedRows(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name  string
		sql   string
		lines []int64
	}{
		{"intact", "", nil},
		{"credits edited", "UPDATE ledger_rows SET credits_total = 1 WHERE line_no = 7", []int64{7}},
		{"row deleted", "DELETE FROM ledger_rows WHERE line_no = 42", []int64{42}},
		{"row planted", "INSERT INTO ledger_rows SELECT * REPLACE (1000 AS line_no) FROM ledger_rows WHERE line_no = 3", []int64{1000}},
		{"row planted before the ledger's first byte", "INSERT INTO ledger_rows SELECT * REPLACE (1001 AS line_no, -10 AS byte_offset) FROM ledger_rows WHERE line_no = 3", []int64{1001}},
		{"row planted past its last byte", "INSERT INTO ledger_rows SELECT * REPLACE (1002 AS line_no, 1099511627776 AS byte_offset) FROM ledger_rows WHERE line_no = 3", []int64{1002}},
		{"a line stored twice", "INSERT INTO ledger_rows SELECT * FROM ledger_rows WHERE line_no = 3", []int64{3}},
		{"row planted at the largest offset", "INSERT INTO ledger_rows SELECT * REPLACE (1003 AS line_no, 9223372036854775807 AS byte_offset) FROM ledger_rows WHERE line_no = 3", []int64{1003}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			ledgerPath := filepath.Join(dir, "ledger.jsonl")
			var lines []string
			for i := range 60 {
				lines = append(lines, line(i, i%3 == 0, float64(10+i)))
			}
			writeLedger(t, ledgerPath, lines[:30], "")
			s := openStore(t, dir)
			if _, err := s.Ingest(ctx, ledgerPath); err != nil {
				t.Fatal(err)
			}
			writeLedger(t, ledgerPath, lines, `{"Run_ID":"RUN-partial"`)
			if _, err := s.Ingest(ctx, ledgerPath); err != nil {
				t.Fatal(err)
			}
			if tc.sql != "" {
				if _, err := s.Conn().ExecContext(ctx, tc.sql); err != nil {
					t.Fatal(err)
				}
			}
			res, err := s.VerifyRows(ctx, ledgerPath)
			if err != nil {
				t.Fatal(err)
			}
			if tc.lines == nil {
				if !res.Intact() || res.Rows != 60 {
					t.Fatalf("intact store: %+v", res)
				}
				return
			}
			if res.Intact() || !slices.Equal(res.Differ, tc.lines) {
				t.Fatalf("got %+v, want lines %v", res, tc.lines)
			}
		})
	}
}

// TestVerifyRowsReadsTheCoveredBytes: the rows are re-derived from the
// ledger in place, from the bytes the store covers alone (they were copied
// to the temporary directory first: 4.9 GB there at 10M runs). Lines
// appended since are not read; covered bytes that changed after
// VerifyLedger read them are said to have changed, not taken for edited
// rows; a ledger cut below them is an error.
func TestVerifyRowsReadsTheCoveredBytes(t *testing.T) {
	ctx := context.Background()
	var lines []string
	for i := range 50 {
		lines = append(lines, line(i, i%4 == 0, float64(20+i)))
	}
	for _, tc := range []struct {
		name    string
		change  func(path string, data []byte) error
		changed bool   // PrefixChanged
		err     string // VerifyRows's error
	}{
		{"lines appended", func(path string, data []byte) error {
			return os.WriteFile(path, append(data, line(50, false, 5)+"\n"+`{"Run_ID":"RUN-partial"`...), 0o644)
		}, false, ""},
		{"a covered byte edited", func(path string, data []byte) error {
			data = bytes.Replace(data, []byte(`"RUN-000007"`), []byte(`"RUN-000070"`), 1)
			return os.WriteFile(path, data, 0o644)
		}, true, ""},
		{"cut below what the store covers", func(path string, data []byte) error {
			return os.WriteFile(path, data[:len(data)/2], 0o644)
		}, false, "shorter than the"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "ledger.jsonl")
			writeLedger(t, path, lines, "")
			s := openStore(t, dir)
			if _, err := s.Ingest(ctx, path); err != nil {
				t.Fatal(err)
			}
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := tc.change(path, data); err != nil {
				t.Fatal(err)
			}
			res, err := s.VerifyRows(ctx, path)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("got %+v, %v; want an error saying %q", res, err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if res.PrefixChanged != tc.changed || res.Intact() == tc.changed || res.CoveredBytes != int64(len(data)) {
				t.Fatalf("got %+v; want PrefixChanged %v over %d bytes", res, tc.changed, len(data))
			}
			if !tc.changed && (res.Rows != 50 || res.Derived != 50) {
				t.Fatalf("got %+v; want the 50 covered rows", res)
			}
		})
	}
}

// TestCompareRowsInWindows: the rows compared a few hundred ledger bytes
// at a time give what one window over the whole ledger gives, an edit at
// a window's edge and a row planted outside the ledger included.
func TestCompareRowsInWindows(t *testing.T) {
	ctx := context.Background()
	everyFifth := func(i int) bool { return i%5 == 0 }
	s, _ := storeOfLines(t, t.TempDir(), 80, everyFifth)
	fresh, _ := storeOfLines(t, t.TempDir(), 80, everyFifth)
	state, _, err := s.loadState(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, edit := range []string{
		"UPDATE ledger_rows SET credits_total = 1 WHERE line_no IN (2, 40, 79)",
		"DELETE FROM ledger_rows WHERE line_no = 41",
		"INSERT INTO ledger_rows SELECT * REPLACE (500 AS line_no, -1 AS byte_offset) FROM ledger_rows WHERE line_no = 3",
	} {
		if _, err := s.Conn().ExecContext(ctx, edit); err != nil {
			t.Fatal(err)
		}
	}
	want := []int64{2, 40, 41, 79, 500}
	for _, window := range []int64{1 << 40, state.covered, 4096, 300} {
		res := RowCheck{CoveredBytes: state.covered}
		if err := s.compareRows(ctx, fresh, &res, window); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(res.Differ, want) || res.DifferCount != 5 || res.Rows != 80 || res.Derived != 80 {
			t.Errorf("window of %d bytes: %+v, want lines %v, 80 rows each side", window, res, want)
		}
	}
}

// storeOfLines writes a ledger of n lines (line i in the runbook's
// spelling when pascal(i)) in dir, and returns a store in dir that has
// ingested it, and the ledger's path.
func storeOfLines(t *testing.T, dir string, n int, pascal func(i int) bool) (*Store, string) {
	t.Helper()
	ledgerPath := filepath.Join(dir, "ledger.jsonl")
	var lines []string
	for i := range n {
		lines = append(lines, line(i, pascal(i), float64(10+i)))
	}
	writeLedger(t, ledgerPath, lines, "")
	s := openStore(t, dir)
	if _, err := s.Ingest(context.Background(), ledgerPath); err != nil {
		t.Fatal(err)
	}
	return s, ledgerPath
}

func lowerCase(int) bool { return false }

// TestChunkDigestsSeeAPlantedRow: a row planted in the second chunk with
// a line number before every other line changes that chunk's digest. The
// rows were folded in line order alone, so the planted row was folded
// ahead of the first chunk, into a digest of its own that the second
// chunk's then replaced: the job compared the recorded digest with one
// that left the row out (an outside review).
func TestChunkDigestsSeeAPlantedRow(t *testing.T) {
	ctx := context.Background()
	s, _ := storeOfLines(t, t.TempDir(), 6000, lowerCase)
	before, err := s.ChunkDigests(ctx, 0, time.Time{}, time.Time{})
	if err != nil || len(before) < 2 {
		t.Fatalf("%d chunks, want 2 or more: %v", len(before), err)
	}
	if _, err := s.Conn().ExecContext(ctx, `INSERT INTO ledger_rows SELECT * REPLACE (0 AS line_no, byte_offset + 1 AS byte_offset)
		FROM ledger_rows WHERE byte_offset >= 1048576 ORDER BY byte_offset LIMIT 1`); err != nil {
		t.Fatal(err)
	}
	after, err := s.ChunkDigests(ctx, 0, time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if after[0] != before[0] || after[1] == before[1] {
		t.Errorf("chunk 0 changed: %v (want false); chunk 1 changed: %v (want true)", after[0] != before[0], after[1] != before[1])
	}
}

// TestChunkDigests: a row edit changes its chunk's digest and no other; a
// period keeps only the chunks with rows in it.
func TestChunkDigests(t *testing.T) {
	ctx := context.Background()
	s, _ := storeOfLines(t, t.TempDir(), 200, lowerCase)
	before, err := s.ChunkDigests(ctx, 0, time.Time{}, time.Time{})
	if err != nil || len(before) == 0 {
		t.Fatalf("%v %v", before, err)
	}
	if _, err := s.Conn().ExecContext(ctx, "UPDATE ledger_rows SET credits_total = 1 WHERE line_no = 7"); err != nil {
		t.Fatal(err)
	}
	after, err := s.ChunkDigests(ctx, 0, time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	changed := 0
	for c, d := range before {
		if after[c] != d {
			changed++
		}
	}
	if changed != 1 {
		t.Errorf("%d chunk digests changed, want 1", changed)
	}
	none, err := s.ChunkDigests(ctx, 0, time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2000, 1, 8, 0, 0, 0, 0, time.UTC))
	if err != nil || len(none) != 0 {
		t.Errorf("a period without rows: %v %v", none, err)
	}
}

// TestVerifyRowsInTheStoresZone: a store whose zone is not UTC re-derives
// ts_local in that zone, so an untouched store verifies (it used to report
// every row as edited).
func TestVerifyRowsInTheStoresZone(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	ledgerPath := filepath.Join(dir, "ledger.jsonl")
	var lines []string
	for i := range 40 {
		lines = append(lines, line(i, false, float64(10+i)))
	}
	writeLedger(t, ledgerPath, lines, "")
	s, err := Open(ctx, filepath.Join(dir, "ledger.duckdb"), Options{TimeZone: "America/New_York"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Ingest(ctx, ledgerPath); err != nil {
		t.Fatal(err)
	}
	res, err := s.VerifyRows(ctx, ledgerPath)
	if err != nil || !res.Intact() || res.Rows != 40 {
		t.Fatalf("an untouched store in America/New_York: %+v %v", res, err)
	}
}

// TestIngestChunkDigestsMatchStore: the chunk digests ingest makes from
// the batches it inserts equal the digests made from the rows read back
// from the store — on a first load and on an append that starts in the
// middle of a chunk — over the fixture ledger (both spellings, NULLs,
// risk-flag lists, duplicates, rejects).
func TestIngestChunkDigestsMatchStore(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path, full := fixtureBytes(t, filepath.Join(dir, "fixture"), 8000)
	cut := bytes.LastIndexByte(full[:ChunkBytes*5/2], '\n') + 1 // mid-chunk 2
	if err := os.WriteFile(path, full[:cut], 0o644); err != nil {
		t.Fatal(err)
	}
	s := openStore(t, dir)
	first, err := s.Ingest(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if len(first.ChunkRowDigests) != 3 {
		t.Fatalf("first load: digests of chunks %v, want chunks 0–2", first.ChunkRowDigests)
	}
	stored, err := s.ChunkDigests(ctx, 0, time.Time{}, time.Time{})
	if err != nil || !maps.Equal(stored, first.ChunkRowDigests) {
		t.Fatalf("first load: ingest made %v, the stored rows give %v (%v)", first.ChunkRowDigests, stored, err)
	}

	if err := os.WriteFile(path, full, 0o644); err != nil {
		t.Fatal(err)
	}
	appended, err := s.Ingest(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	stored, err = s.ChunkDigests(ctx, appended.OffsetFrom, time.Time{}, time.Time{})
	if err != nil || len(stored) < 2 || !maps.Equal(stored, appended.ChunkRowDigests) {
		t.Fatalf("append: ingest made %v, the stored rows give %v (%v)", appended.ChunkRowDigests, stored, err)
	}
	if appended.ChunkRowDigests[2] == first.ChunkRowDigests[2] {
		t.Fatal("the chunk the append extended kept its digest")
	}

	// An edit of one stored value (line 100, in chunk 0) changes that
	// chunk's digest only.
	before, err := s.ChunkDigests(ctx, 0, time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Conn().ExecContext(ctx, "UPDATE ledger_rows SET risk_flags = list_append(coalesce(risk_flags, []), 'planted') WHERE line_no = 100"); err != nil {
		t.Fatal(err)
	}
	after, err := s.ChunkDigests(ctx, 0, time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	for c, d := range before {
		if changed := after[c] != d; changed != (c == 0) {
			t.Errorf("chunk %d: digest changed = %v after editing line 100", c, changed)
		}
	}
}

// TestTailFoldResumesTheChunk: an ingest that extends the chunk holding
// the covered end gives that chunk the digest of all its stored rows, and
// reports the digest of the rows it found there (PriorChunk), whether it
// resumes the fold the last ingest saved (a chunk the caller vouches for)
// or reads the rows back.
func TestTailFoldResumesTheChunk(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	_, full := fixtureBytes(t, filepath.Join(dir, "fixture"), 8000)
	lineEndBefore := func(n int) int { return bytes.LastIndexByte(full[:n], '\n') + 1 }
	lineEndAfter := func(n int) int { return n + bytes.IndexByte(full[n:], '\n') + 1 }
	for _, tc := range []struct {
		name string
		cuts []int // the ledger's length at each ingest before the last, whole
		// noTail: after each cut no stored row starts in the tail chunk.
		noTail bool
		// forget: the saved fold is removed after each ingest (a store
		// from before it was saved).
		forget bool
	}{
		{name: "mid-chunk", cuts: []int{lineEndBefore(ChunkBytes * 5 / 2)}},
		{name: "twice into one chunk", cuts: []int{lineEndBefore(ChunkBytes * 23 / 10), lineEndBefore(ChunkBytes * 26 / 10)}},
		{name: "a line across the chunk boundary", cuts: []int{lineEndAfter(ChunkBytes * 2)}, noTail: true},
		{name: "no saved fold", cuts: []int{lineEndBefore(ChunkBytes * 5 / 2)}, forget: true},
	} {
		for _, trusted := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/trusted=%v", tc.name, trusted), func(t *testing.T) {
				sdir := t.TempDir()
				ledger := filepath.Join(sdir, "ledger.jsonl")
				s := openStore(t, sdir)
				if trusted {
					s.TrustedChunk = func(int64) bool { return true }
				}
				var last IngestResult
				for i, n := range append(tc.cuts, len(full)) {
					if err := os.WriteFile(ledger, full[:n], 0o644); err != nil {
						t.Fatal(err)
					}
					res, err := s.Ingest(ctx, ledger)
					if err != nil {
						t.Fatal(err)
					}
					if i > 0 {
						p := res.PriorChunk
						if p == nil {
							t.Fatalf("ingest %d: no prior chunk reported", i+1)
						}
						if want := last.ChunkRowDigests[p.Chunk]; p.Digest != want {
							t.Errorf("ingest %d: chunk %d's stored rows reported as %q, the ingest that loaded them made %q", i+1, p.Chunk, p.Digest, want)
						}
						if tc.noTail && p.Digest != "" {
							t.Errorf("ingest %d: chunk %d has no stored row, yet its digest is %q", i+1, p.Chunk, p.Digest)
						}
					}
					stored, err := s.ChunkDigests(ctx, res.OffsetFrom, time.Time{}, time.Time{})
					if err != nil || !maps.Equal(stored, res.ChunkRowDigests) {
						t.Fatalf("ingest %d: made %v, the stored rows give %v (%v)", i+1, res.ChunkRowDigests, stored, err)
					}
					var saved []byte
					if err := s.Conn().QueryRowContext(ctx, "SELECT tail_fold FROM ledger_state").Scan(&saved); err != nil {
						t.Fatal(err)
					}
					if hasRows := !tc.noTail || i == len(tc.cuts); (saved != nil) != hasRows && n%ChunkBytes != 0 {
						t.Errorf("ingest %d: saved fold %x, want one: %v", i+1, saved, hasRows)
					}
					if tc.forget {
						if _, err := s.Conn().ExecContext(ctx, "UPDATE ledger_state SET tail_fold = NULL"); err != nil {
							t.Fatal(err)
						}
					}
					last = res
				}
			})
		}
	}
}

// TestTailFoldOnlyWhenVouchedFor: a stored row of the tail chunk edited
// between two ingests shows in the digest the next ingest reports for the
// rows it found (PriorChunk) when it reads them back; when its caller
// vouches for the chunk it resumes the saved fold and does not read them,
// which is why only a caller that has checked the store may vouch.
func TestTailFoldOnlyWhenVouchedFor(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	_, full := fixtureBytes(t, filepath.Join(dir, "fixture"), 8000)
	cut := bytes.LastIndexByte(full[:ChunkBytes*5/2], '\n') + 1
	for _, trusted := range []bool{false, true} {
		sdir := t.TempDir()
		ledger := filepath.Join(sdir, "ledger.jsonl")
		if err := os.WriteFile(ledger, full[:cut], 0o644); err != nil {
			t.Fatal(err)
		}
		s := openStore(t, sdir)
		s.TrustedChunk = func(int64) bool { return trusted }
		first, err := s.Ingest(ctx, ledger)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Conn().ExecContext(ctx, "UPDATE ledger_rows SET credits_total = credits_total + 1 WHERE line_no = (SELECT max(line_no) FROM ledger_rows)"); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(ledger, full, 0o644); err != nil {
			t.Fatal(err)
		}
		second, err := s.Ingest(ctx, ledger)
		if err != nil {
			t.Fatal(err)
		}
		if seen := second.PriorChunk.Digest != first.ChunkRowDigests[2]; seen == trusted {
			t.Errorf("trusted=%v: the edit of a stored row of chunk 2 seen: %v", trusted, seen)
		}
	}
}

// TestVerifyRowsFindsEditedDerivedTables: an edit of the tables derived
// beside the rows — a conflicting duplicate relabelled identical, a run
// hidden by a planted duplicate, a reject deleted, a field count changed —
// is named by the table, though every row still matches.
func TestVerifyRowsFindsEditedDerivedTables(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name, edit string
		want       []string
	}{
		{"none", "", nil},
		{"conflicting duplicate relabelled", "UPDATE duplicates SET kind = 'duplicate_identical'", []string{"duplicates"}},
		{"run hidden by a planted duplicate",
			"INSERT INTO duplicates SELECT line_no, byte_offset, ingest_seq, run_id, line_no, 'duplicate_identical' FROM ledger_rows WHERE line_no = (SELECT max(line_no) FROM ledger_rows)",
			[]string{"duplicates"}},
		{"reject deleted", "DELETE FROM rejects WHERE line_no = (SELECT min(line_no) FROM rejects)", []string{"rejects"}},
		{"field count changed", "UPDATE field_values SET n = n + 1 WHERE field = (SELECT min(field) FROM field_values)", []string{"field_values"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path, full := fixtureBytes(t, filepath.Join(dir, "fixture"), 3000)
			// Two ingests, so that the derived tables hold rows of both.
			half := bytes.LastIndexByte(full[:len(full)/2], '\n') + 1
			if err := os.WriteFile(path, full[:half], 0o644); err != nil {
				t.Fatal(err)
			}
			s := openStore(t, dir)
			if _, err := s.Ingest(ctx, path); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, full, 0o644); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Ingest(ctx, path); err != nil {
				t.Fatal(err)
			}
			before, err := s.DerivedDigest(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if tc.edit != "" {
				res, err := s.Conn().ExecContext(ctx, tc.edit)
				if err != nil {
					t.Fatal(err)
				}
				if n, _ := res.RowsAffected(); n == 0 {
					t.Fatalf("%q changed nothing: the fixture lacks what it edits", tc.edit)
				}
			}
			got, err := s.VerifyRows(ctx, path)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got.DerivedDiffer, tc.want) || got.DifferCount != 0 {
				t.Errorf("derived tables differing %v and %d rows, want %v and none", got.DerivedDiffer, got.DifferCount, tc.want)
			}
			after, err := s.DerivedDigest(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if changed := after != before; changed != (tc.edit != "") {
				t.Errorf("DerivedDigest changed = %v after %q", changed, tc.edit)
			}
		})
	}
}

// TestVerifyRowsRemovesDeadScratch: a verification killed while it ran
// left its copy of the ledger in the temporary directory, and nothing
// removed it (an outside review: 787 MB a kill); so did a query killed
// while it spilled (another review: up to 2 GB). The next verification,
// or the next reader's spill, removes what processes no longer running
// left, and nothing else.
func TestVerifyRowsRemovesDeadScratch(t *testing.T) {
	dbPath, ledgerPath := catalogStore(t)
	for _, tc := range []struct {
		prefix string
		use    func(t *testing.T) // makes and removes a scratch directory of this process's
	}{
		{verifyScratchPrefix, func(t *testing.T) {
			s, err := Open(context.Background(), dbPath, Options{ReadOnly: true})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if check, err := s.VerifyRows(context.Background(), ledgerPath); err != nil || !check.Intact() {
				t.Fatalf("VerifyRows: %+v %v", check, err)
			}
		}},
		{spillPrefix, func(t *testing.T) {
			s, err := Open(context.Background(), dbPath, Options{ReadOnly: true, spillElsewhere: true})
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(tc.prefix, func(t *testing.T) {
			tmp := t.TempDir()
			t.Setenv("TMPDIR", tmp)
			dead := exec.Command("true")
			if err := dead.Run(); err != nil {
				t.Fatal(err)
			}
			names := map[string]bool{ // name → kept
				fmt.Sprintf("%s%d-1", tc.prefix, dead.Process.Pid): false,
				fmt.Sprintf("%s%d-2", tc.prefix, os.Getpid()):      true,
				tc.prefix + "4242": true, // no process id in it
				"other-dir":        true,
			}
			for n := range names {
				if err := os.Mkdir(filepath.Join(tmp, n), 0o700); err != nil {
					t.Fatal(err)
				}
				writeFile(t, filepath.Join(tmp, n, "ledger.jsonl"), "x")
			}
			tc.use(t)
			entries, err := os.ReadDir(tmp)
			if err != nil {
				t.Fatal(err)
			}
			var left []string
			for _, e := range entries {
				left = append(left, e.Name())
			}
			for n, kept := range names {
				if slices.Contains(left, n) != kept {
					t.Errorf("%s: kept %v, want %v (left: %v)", n, !kept, kept, left)
				}
			}
			if len(left) != 3 {
				t.Errorf("the temporary directory holds %v after use", left)
			}
		})
	}
}
