package review

import (
	"context"
	"fmt"

	"github.com/ledgerlens/ledgerlens/pipeline/store"
	"github.com/ledgerlens/ledgerlens/reports"
)

// Rejects lists the store's rejected lines in line order; limit <= 0 means
// all of them (for rejects_cumulative_<date>.jsonl).
func Rejects(ctx context.Context, st *store.Store, limit int) ([]reports.Reject, error) {
	q := "SELECT line_no, byte_offset, reason, line_sha256 FROM rejects ORDER BY line_no"
	if limit > 0 {
		q += fmt.Sprintf(" LIMIT %d", limit)
	}
	rows, err := st.Conn().QueryContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("read rejects: %w", err)
	}
	defer rows.Close()
	out := []reports.Reject{}
	for rows.Next() {
		var r reports.Reject
		if err := rows.Scan(&r.LineNo, &r.ByteOffset, &r.Reason, &r.LineSHA256); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Modifications lists every ledger_modified event the store recorded: an
// integrity finding is never silently cleared.
func Modifications(ctx context.Context, st *store.Store) ([]reports.LedgerModification, error) {
	rows, err := st.Conn().QueryContext(ctx, `
		SELECT seq, coalesce(modified_from, 0), coalesce(modified_to, 0),
		       coalesce(modified_line_from, 0), coalesce(modified_line_to, 0)
		FROM ingest_log WHERE event = 'ledger_modified' ORDER BY seq`)
	if err != nil {
		return nil, fmt.Errorf("read ingest_log: %w", err)
	}
	defer rows.Close()
	out := []reports.LedgerModification{}
	for rows.Next() {
		var m reports.LedgerModification
		if err := rows.Scan(&m.DetectedAtIngest, &m.ByteFrom, &m.ByteTo, &m.LineFrom, &m.LineTo); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}
