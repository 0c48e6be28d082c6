package store

import (
	"context"
	_ "embed"
	"fmt"
)

//go:embed sql/bookkeeping_content.sql
var bookkeepingContentSQL string

//go:embed sql/ingests_after.sql
var ingestsAfterSQL string

// BookkeepingDigest is the SHA-256 (hex) of the store's own record of its
// ingests and of what it covers (sql/bookkeeping_content.sql): the lines
// read, the unfinished tail and the ledger modifications the reports'
// data-quality section shows come from there, not from the rows. Unlike
// the derived tables' (DerivedDigest) it is not re-derivable from the
// ledger, which one ingest loads whole: jobs record it with each ingest
// in the signed audit log, and compare the store with it before they
// trust it, as `verify store` does.
//
// Ingests numbered past through are left out (math.MaxInt64: none).
func (s *Store) BookkeepingDigest(ctx context.Context, through int64) (string, error) {
	d, err := digestQuery(ctx, s.conn, bookkeepingContentSQL, through)
	if err != nil {
		return "", fmt.Errorf("digest of ingest_log and ledger_state: %w", err)
	}
	return d, nil
}

// IngestsAfter counts the ingests the store's own history numbers past
// seq, and says whether each of them found nothing new (EventNoChange).
func (s *Store) IngestsAfter(ctx context.Context, seq int64) (n int64, noChange bool, err error) {
	rows, err := s.conn.QueryContext(ctx, ingestsAfterSQL, seq, EventNoChange)
	if err == nil {
		defer rows.Close()
		if !rows.Next() {
			err = rows.Err()
		} else {
			err = ScanNamed(rows, "ingests_after", map[string]any{"n": &n, "no_change": &noChange})
		}
	}
	if err != nil {
		return 0, false, fmt.Errorf("ingests after %d: %w", seq, err)
	}
	return n, noChange, nil
}
