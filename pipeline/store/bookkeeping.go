package store

import (
	"context"
	_ "embed"
	"fmt"
)

//go:embed sql/bookkeeping_content.sql
var bookkeepingContentSQL string

// BookkeepingDigest is the SHA-256 (hex) of the store's own record of its
// ingests and of what it covers (sql/bookkeeping_content.sql): the lines
// read, the unfinished tail and the ledger modifications the reports'
// data-quality section shows come from there, not from the rows. Unlike
// the derived tables' (DerivedDigest) it is not re-derivable from the
// ledger, which one ingest loads whole: jobs record it with each ingest
// in the signed audit log, and compare the store with it before they
// trust it, as `verify store` does.
func (s *Store) BookkeepingDigest(ctx context.Context) (string, error) {
	d, err := digestQuery(ctx, s.conn, bookkeepingContentSQL)
	if err != nil {
		return "", fmt.Errorf("digest of ingest_log and ledger_state: %w", err)
	}
	return d, nil
}
