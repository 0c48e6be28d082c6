package review

import (
	"context"
	"fmt"

	"github.com/ledgerlens/ledgerlens/pipeline/store"
	"github.com/ledgerlens/ledgerlens/reports"
)

// Rejects lists the store's rejected lines in line order; limit <= 0 means
// all of them (for rejects_<date>.jsonl).
func Rejects(ctx context.Context, st *store.Store, limit int) ([]reports.Reject, error) {
	rows, err := st.Conn().QueryContext(ctx, query("rejects"))
	if err != nil {
		return nil, fmt.Errorf("read rejects: rejects.sql: %w", err)
	}
	defer rows.Close()
	out := []reports.Reject{}
	for rows.Next() && (limit <= 0 || len(out) < limit) {
		var r reports.Reject
		if err := scanNamed(rows, "rejects", map[string]any{"line_no": &r.LineNo, "byte_offset": &r.ByteOffset,
			"reason": &r.Reason, "line_sha256": &r.LineSHA256}); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Modifications lists every ledger_modified event the store recorded: an
// integrity finding is never silently cleared.
func Modifications(ctx context.Context, st *store.Store) ([]reports.LedgerModification, error) {
	rows, err := st.Conn().QueryContext(ctx, query("ledger_modifications"))
	if err != nil {
		return nil, fmt.Errorf("read ingest_log: ledger_modifications.sql: %w", err)
	}
	defer rows.Close()
	out := []reports.LedgerModification{}
	for rows.Next() {
		var m reports.LedgerModification
		if err := scanNamed(rows, "ledger_modifications", map[string]any{"detected_at_ingest": &m.DetectedAtIngest,
			"byte_from": &m.ByteFrom, "byte_to": &m.ByteTo, "line_from": &m.LineFrom, "line_to": &m.LineTo}); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}
