package store

import (
	"context"
	_ "embed"
	"fmt"
)

//go:embed sql/conflicting_duplicates.sql
var conflictingDuplicatesSQL string

// ConflictingDuplicate is a ledger line that repeats an earlier line's run
// id with different content. The first occurrence counts; the repeat is
// an integrity problem until an operator acknowledges it.
type ConflictingDuplicate struct {
	LineNo      int64  // the repeating line
	FirstLineNo int64  // the line that counts
	RunID       string // the repeated run id
}

// ConflictingDuplicates lists every conflicting duplicate in the store, in
// ledger line order.
func (s *Store) ConflictingDuplicates(ctx context.Context) ([]ConflictingDuplicate, error) {
	rows, err := s.conn.QueryContext(ctx, conflictingDuplicatesSQL)
	if err != nil {
		return nil, fmt.Errorf("list conflicting duplicates: conflicting_duplicates.sql: %w", err)
	}
	defer rows.Close()
	var out []ConflictingDuplicate
	for rows.Next() {
		var d ConflictingDuplicate
		if err := ScanNamed(rows, "conflicting_duplicates", map[string]any{
			"line_no": &d.LineNo, "first_line_no": &d.FirstLineNo, "run_id": &d.RunID}); err != nil {
			return nil, fmt.Errorf("list conflicting duplicates: %w", err)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}
