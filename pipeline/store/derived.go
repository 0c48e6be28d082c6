package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	_ "embed"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strings"
)

// The store's derived tables besides its rows and their codes — the later
// occurrences of run ids that the runs view leaves out (duplicates), the
// lines it could not load (rejects) and the enumerated fields' counts
// (field_values) — feed the reports as much as the rows do: a run listed as
// a duplicate vanishes from every section. Their content is digested
// without the ingest that wrote each row, so a store and the same ledger
// prefix re-derived in one ingest give the same digests (VerifyRows), and
// a job can compare the store with the digest the last ingest recorded in
// the signed audit log before it trusts them (DerivedDigest).

//go:embed sql/derived_duplicates.sql
var derivedDuplicatesSQL string

//go:embed sql/derived_rejects.sql
var derivedRejectsSQL string

//go:embed sql/derived_field_counts.sql
var derivedFieldCountsSQL string

// derivedTables are the derived tables digested, with the query listing
// each one's content.
func derivedTables() []struct{ name, query string } {
	return []struct{ name, query string }{
		{"duplicates", derivedDuplicatesSQL},
		{"rejects", derivedRejectsSQL},
		{"field_values", derivedFieldCountsSQL},
	}
}

// derivedDigests returns the SHA-256 (hex) of each derived table's content
// by table name: each value, in the query's order, as a presence byte (0
// for NULL) followed by its text's length as a uvarint and its bytes.
func (s *Store) derivedDigests(ctx context.Context) (map[string]string, error) {
	out := map[string]string{}
	for _, t := range derivedTables() {
		d, err := digestQuery(ctx, s.conn, t.query)
		if err != nil {
			return nil, fmt.Errorf("digest of %s: %w", t.name, err)
		}
		out[t.name] = d
	}
	return out, nil
}

// DerivedDigest is one digest of every derived table's content: the
// SHA-256 (hex) of "name:digest" lines in derivedTables order. Jobs record
// it with each ingest and compare the store with the newest one before
// the next ingest.
func (s *Store) DerivedDigest(ctx context.Context) (string, error) {
	per, err := s.derivedDigests(ctx)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for _, t := range derivedTables() {
		fmt.Fprintf(&b, "%s:%s\n", t.name, per[t.name])
	}
	sum := sha256.Sum256([]byte(b.String()))
	return hex.EncodeToString(sum[:]), nil
}

// digestQuery hashes the rows of a query whose columns are all text.
func digestQuery(ctx context.Context, db *sql.Conn, query string, args ...any) (string, error) {
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return "", err
	}
	vals := make([]sql.NullString, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	h := sha256.New()
	var buf []byte
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return "", err
		}
		buf = buf[:0]
		for _, v := range vals {
			if !v.Valid {
				buf = append(buf, 0)
				continue
			}
			buf = append(binary.AppendUvarint(append(buf, 1), uint64(len(v.String))), v.String...)
		}
		h.Write(buf)
	}
	if err := rows.Err(); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// CoveredBytes is how many ledger bytes the store has loaded (0 before the
// first ingest, and after a rebuild).
func (s *Store) CoveredBytes(ctx context.Context) (int64, error) {
	st, _, err := s.loadState(ctx)
	return st.covered, err
}

// Reload drops the tables derived from the ledger, keeping the store's
// time zone and its ingest log, so that the next ingest loads the whole
// ledger again: for a store whose state no record vouches for. It must
// not run on a read-only store.
func (s *Store) Reload(ctx context.Context) error {
	zone := s.zone
	if zone == "" {
		zone = "UTC"
	}
	if err := s.rebuild(ctx, s.version, zone); err != nil {
		return fmt.Errorf("reload store %s: %w", s.name, err)
	}
	return nil
}
