package store

import "context"

// CoveredLines is the number of complete ledger lines the store has loaded
// (0 before the first ingest): the report's inputs.ledger.lines_covered.
func (s *Store) CoveredLines(ctx context.Context) (int64, error) {
	st, _, err := s.loadState(ctx)
	return st.lines, err
}
