package store

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/marcboeker/go-duckdb"
)

// sandboxStore ingests a small ledger and reopens the store as `ledgerlens
// query` does. secret is a file outside the store that no query may read;
// victim one it must not write.
func sandboxStore(t *testing.T) (s *Store, dir string) {
	t.Helper()
	dir = t.TempDir()
	w, _ := storeOfLines(t, dir, 20, lowerCase)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	s, err := Open(context.Background(), filepath.Join(dir, "ledger.duckdb"), Options{Sandbox: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, dir
}

func TestSandboxRefusesFileNetworkAndSettings(t *testing.T) {
	s, dir := sandboxStore(t)
	secret := filepath.Join(dir, "secret.key")
	if err := os.WriteFile(secret, []byte("PRIVATE"), 0o600); err != nil {
		t.Fatal(err)
	}
	victim := filepath.Join(dir, "audit.jsonl")
	if err := os.WriteFile(victim, []byte("{\"seq\":1}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	for _, q := range []string{
		"SELECT * FROM read_text('" + secret + "')",
		"SELECT * FROM read_blob('" + secret + "')",
		"SELECT * FROM read_csv('" + secret + "')",
		"SELECT * FROM read_json('" + secret + "')",
		"SELECT * FROM read_parquet('" + secret + "')",
		"SELECT * FROM '" + secret + "'",
		"SELECT * FROM glob('" + dir + "/*')",
		"COPY (SELECT 'x') TO '" + victim + "' (FORMAT csv, HEADER false)",
		"COPY runs TO '" + out + "'",
		"EXPORT DATABASE '" + out + "'",
		"ATTACH '" + filepath.Join(dir, "other.duckdb") + "' AS other",
		"INSTALL httpfs",
		"LOAD httpfs",
		"LOAD '" + secret + "'",
		"SET enable_external_access = true",
		"SET lock_configuration = false",
		"RESET lock_configuration",
		"SET autoload_known_extensions = true",
		"SET autoinstall_known_extensions = true",
		"SET allow_unsigned_extensions = true",
		"SET TimeZone = 'America/New_York'",
		"PRAGMA enable_profiling = 'json'",
		"PRAGMA memory_limit = '100GB'",
		"SELECT current_setting('TimeZone')",
		"SELECT * FROM read_csv('http://127.0.0.1:9/x.csv')",
	} {
		t.Run(q, func(t *testing.T) {
			tab, err := s.Query(context.Background(), q)
			if err == nil {
				t.Fatalf("statement was allowed, returned %v", tab)
			}
		})
	}
	if b, _ := os.ReadFile(victim); string(b) != "{\"seq\":1}\n" {
		t.Fatalf("victim file changed: %q", b)
	}
	for _, p := range []string{out, filepath.Join(dir, "other.duckdb")} {
		if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("%s was created (%v)", p, err)
		}
	}
	// The store's own tables stay readable.
	tab, err := s.Query(context.Background(), "SELECT count(*) AS n FROM runs")
	if err != nil {
		t.Fatal(err)
	}
	if got := tab.Rows[0][0]; got != int64(20) {
		t.Fatalf("count = %v, want 20", got)
	}
}

func TestSandboxErrorsAreClassified(t *testing.T) {
	s, dir := sandboxStore(t)
	_, err := s.Query(context.Background(), "SELECT * FROM read_text('"+filepath.Join(dir, "ledger.jsonl")+"')")
	if !errors.Is(err, ErrAccessDisabled) {
		t.Fatalf("err = %v, want ErrAccessDisabled", err)
	}
	_, err = s.Query(context.Background(), "SELECT 1; SELECT 2")
	if !errors.Is(err, ErrMultipleStatements) {
		t.Fatalf("err = %v, want ErrMultipleStatements", err)
	}
	var de *duckdb.Error
	_, err = s.Query(context.Background(), "SELEC 1")
	if errors.Is(err, ErrAccessDisabled) || !errors.As(err, &de) {
		t.Fatalf("a syntax error: %v", err)
	}
}

func TestLocalTimesFollowTheZone(t *testing.T) {
	dir := t.TempDir()
	ledgerPath := filepath.Join(dir, "ledger.jsonl")
	// Around the 2026 US end of DST (1 November, 06:00 UTC).
	stamps := []string{"2026-10-31T12:00:00Z", "2026-11-01T03:30:00Z", "2026-11-01T05:59:59Z", "2026-11-01T06:00:00Z", "2026-11-02T04:59:00Z", "2026-11-02T05:00:00Z"}
	var lines []string
	for i, ts := range stamps {
		lines = append(lines, strings.Replace(line(i, false, 10), timestampOf(line(i, false, 10)), ts, 1))
	}
	writeLedger(t, ledgerPath, lines, "")
	path := filepath.Join(dir, "ledger.duckdb")
	check := func(zone string) {
		t.Helper()
		s, err := Open(context.Background(), path, Options{TimeZone: zone})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if _, err := s.Ingest(context.Background(), ledgerPath); err != nil {
			t.Fatal(err)
		}
		if s.Zone() != zone {
			t.Fatalf("Zone() = %q, want %q", s.Zone(), zone)
		}
		loc, _ := time.LoadLocation(zone)
		tab, err := s.Query(context.Background(), "SELECT ts_utc, ts_local, day_local FROM runs ORDER BY line_no")
		if err != nil {
			t.Fatal(err)
		}
		for i, row := range tab.Rows {
			utc := row[0].(time.Time)
			wall := utc.In(loc)
			wantLocal := time.Date(wall.Year(), wall.Month(), wall.Day(), wall.Hour(), wall.Minute(), wall.Second(), 0, time.UTC)
			if got := row[1].(time.Time); !got.Equal(wantLocal) {
				t.Errorf("%s row %d: ts_local = %v, want %v", zone, i, got, wantLocal)
			}
			if got := row[2].(time.Time).Format(time.DateOnly); got != wall.Format(time.DateOnly) {
				t.Errorf("%s row %d: day_local = %s, want %s", zone, i, got, wall.Format(time.DateOnly))
			}
		}
	}
	check("America/New_York")
	// A new zone recomputes the column in place (no reload).
	check("Asia/Kolkata")
	check("UTC")
}

func timestampOf(l string) string {
	i := strings.Index(l, `"timestamp":"`) + len(`"timestamp":"`)
	return l[i : i+20]
}

// TestNoOpenLoadsExtensions: a job's store, not only a query's, never
// installs or loads an extension by itself.
func TestNoOpenLoadsExtensions(t *testing.T) {
	s := openStore(t, t.TempDir())
	for _, setting := range []string{"autoinstall_known_extensions", "autoload_known_extensions"} {
		tab, err := s.Query(context.Background(), "SELECT current_setting('"+setting+"') AS v")
		if err != nil {
			t.Fatal(err)
		}
		if v := tab.Rows[0][0]; v != false {
			t.Errorf("%s = %v, want false", setting, v)
		}
	}
	if _, err := s.Query(context.Background(), "SELECT current_setting('TimeZone')"); !errors.Is(err, ErrMissingExtension) {
		t.Errorf("the icu extension was loaded (err %v)", err)
	}
}
