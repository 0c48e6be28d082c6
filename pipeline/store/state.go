package store

import (
	"context"
	_ "embed"
)

//go:embed sql/last_ingest_seq.sql
var lastIngestSeqSQL string

// CoveredLines is the number of complete ledger lines the store has loaded
// (0 before the first ingest): the report's inputs.ledger.lines_covered.
func (s *Store) CoveredLines(ctx context.Context) (int64, error) {
	st, _, err := s.loadState(ctx)
	return st.lines, err
}

// LastIngestSeq is the seq of the newest ingest the store's own history
// (ingest_log) holds, 0 when it holds none: the ingest event of the audit
// log names the same seq (ingest_seq).
func (s *Store) LastIngestSeq(ctx context.Context) (int64, error) {
	var seq int64
	err := s.conn.QueryRowContext(ctx, lastIngestSeqSQL).Scan(&seq)
	return seq, err
}
